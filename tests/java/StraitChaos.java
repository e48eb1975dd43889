/*
 * The chaos suite's independent witnesses (tests/chaos.rs), written with Kafka's own Java clients so
 * that what strait replicated is produced and counted by code strait did not write. Run through
 * scripts/test-client.sh, which compiles this file beside StraitTestClient.java.
 *
 * Modes (one JSON line on stdout at the end; logs on stderr):
 *   chaos-produce --bootstrap B --topics name:codec:kind[,...] --rate R --seconds S [--seed N]
 *                 [--stop-file F]
 *       Writes sequence-numbered records at about R records/s over every partition of every topic
 *       until S seconds passed or F exists. kind: plain (idempotent, acks=all), compact (the same,
 *       on a compacted topic) or txn (transactions of 5 records, every 5th aborted). Record n of
 *       partition p of topic t: key "t/p/n", header seq=n, value "n|" + seeded payload (40..400
 *       bytes), the wall-clock timestamp. Retries and delivery timeouts are Kafka's maximum, so a
 *       broker outage slows it down and loses nothing it was told was written; a transaction that
 *       fails is abandoned (the next producer's initTransactions aborts it).
 *   chaos-check --source B --target B --topics t[,...] --remote-prefix P
 *       Reads every partition of each topic t on the source and P+t on the target, read_committed,
 *       to the end, and compares them record by record (key, value, headers, timestamp): per topic the
 *       source's records, the target's, and how many were lost (on the source, never on the target),
 *       duplicated (on the target more than once), out of order (arrived on the target after a record
 *       that follows it on the source), changed (same key, other bytes) and unknown (on the target,
 *       not on the source, and not a record the source deleted), with the first examples of each.
 *       Records the source no longer holds (DeleteRecords, or a topic deleted and created again)
 *       are told apart by their sequence number, below the first one the source holds: on the
 *       target they count as deleted_on_source, and missing from it as deleted_uncopied (the gap a
 *       replicator must report; in transactional topics it also counts aborted records).
 */

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public final class StraitChaos {

    static Map<String, String> flags(String[] args, int from) {
        Map<String, String> m = new HashMap<>();
        for (int i = from; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) throw new IllegalArgumentException("expected a flag, got " + args[i]);
            m.put(args[i].substring(2), args[i + 1]);
        }
        return m;
    }

    static String need(Map<String, String> f, String k) {
        String v = f.get(k);
        if (v == null) throw new IllegalArgumentException("missing --" + k);
        return v;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> f = flags(args, 1);
        switch (args[0]) {
            case "chaos-produce" -> produce(f);
            case "chaos-check" -> check(f);
            default -> throw new IllegalArgumentException("unknown mode " + args[0]);
        }
    }

    // -- chaos-produce ------------------------------------------------------------------------------

    /** One topic the producer writes: its producer, partitions and next sequence per partition. */
    static final class Feed {
        final String topic, codec, kind;
        final String bootstrap;
        final long seed;
        KafkaProducer<byte[], byte[]> producer;
        int partitions;
        long[] next;
        int inTxn = 0;
        long txns = 0;

        Feed(String spec, String bootstrap, long seed) {
            String[] p = spec.split(":");
            topic = p[0]; codec = p[1]; kind = p[2];
            this.bootstrap = bootstrap;
            this.seed = seed;
        }

        boolean transactional() { return kind.equals("txn"); }

        void open() {
            Properties pr = new Properties();
            pr.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            pr.put(ProducerConfig.ACKS_CONFIG, "all");
            pr.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
            pr.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, codec);
            pr.put(ProducerConfig.LINGER_MS_CONFIG, "5");
            pr.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, String.valueOf(Integer.MAX_VALUE));
            pr.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "600000");
            pr.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
            pr.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
            if (transactional()) {
                pr.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "chaos-" + seed + "-" + topic);
                pr.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, "60000");
            }
            producer = new KafkaProducer<>(pr);
            if (transactional()) producer.initTransactions();
            if (next == null) {
                List<PartitionInfo> parts = producer.partitionsFor(topic);
                partitions = parts.size();
                next = new long[partitions];
            }
            inTxn = 0;
        }

        void reopen(Exception why) {
            System.err.println("chaos-produce: " + topic + ": " + why + "; abandoning the transaction and reopening");
            try { producer.close(Duration.ZERO); } catch (Exception ignored) { }
            while (true) {
                try { open(); return; } catch (Exception e) {
                    System.err.println("chaos-produce: " + topic + ": reopen failed: " + e);
                    try { Thread.sleep(1000); } catch (InterruptedException ie) { return; }
                }
            }
        }
    }

    static void produce(Map<String, String> f) throws Exception {
        String bootstrap = need(f, "bootstrap");
        double rate = Double.parseDouble(need(f, "rate"));
        long seconds = Long.parseLong(need(f, "seconds"));
        long seed = Long.parseLong(f.getOrDefault("seed", "1"));
        java.io.File stop = f.containsKey("stop-file") ? new java.io.File(f.get("stop-file")) : null;
        List<Feed> feeds = new ArrayList<>();
        for (String spec : need(f, "topics").split(",")) {
            Feed feed = new Feed(spec, bootstrap, seed);
            feed.open();
            feeds.add(feed);
        }
        Random payloads = new Random(seed);
        AtomicLong acked = new AtomicLong(), failed = new AtomicLong();
        long sent = 0, aborted = 0, committed = 0, reopened = 0;
        long t0 = System.nanoTime(), end = t0 + seconds * 1_000_000_000L;
        int turn = 0;
        while (System.nanoTime() < end && (stop == null || !stop.exists())) {
            long due = t0 + (long) (sent / rate * 1e9);
            long wait = due - System.nanoTime();
            if (wait > 0) Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            Feed feed = feeds.get(turn % feeds.size());
            int p = (turn / feeds.size()) % feed.partitions;
            turn++;
            long n = feed.next[p]++;
            byte[] key = (feed.topic + "/" + p + "/" + n).getBytes(StandardCharsets.UTF_8);
            StringBuilder v = new StringBuilder().append(n).append('|');
            int len = 40 + payloads.nextInt(361);
            while (v.length() < len) v.append((char) (33 + payloads.nextInt(94)));
            RecordHeaders headers = new RecordHeaders();
            headers.add(new RecordHeader("seq", Long.toString(n).getBytes(StandardCharsets.UTF_8)));
            headers.add(new RecordHeader("origin", "chaos".getBytes(StandardCharsets.UTF_8)));
            ProducerRecord<byte[], byte[]> rec = new ProducerRecord<>(feed.topic, p, System.currentTimeMillis(),
                key, v.toString().getBytes(StandardCharsets.UTF_8), headers);
            try {
                if (feed.transactional() && feed.inTxn == 0) feed.producer.beginTransaction();
                feed.producer.send(rec, (md, e) -> { if (e == null) acked.incrementAndGet(); else failed.incrementAndGet(); });
                sent++;
                if (feed.transactional() && ++feed.inTxn == 5) {
                    if (++feed.txns % 5 == 0) { feed.producer.abortTransaction(); aborted++; }
                    else { feed.producer.commitTransaction(); committed++; }
                    feed.inTxn = 0;
                }
            } catch (Exception e) {
                if (!feed.transactional()) throw e;
                feed.reopen(e);
                reopened++;
            }
        }
        for (Feed feed : feeds) {
            try {
                if (feed.transactional() && feed.inTxn > 0) { feed.producer.commitTransaction(); committed++; }
                feed.producer.flush();
            } catch (Exception e) {
                System.err.println("chaos-produce: " + feed.topic + ": final commit failed: " + e);
            }
            feed.producer.close(Duration.ofSeconds(60));
        }
        System.out.println("{\"sent\":" + sent + ",\"acked\":" + acked.get() + ",\"failed\":" + failed.get()
            + ",\"transactions_committed\":" + committed + ",\"transactions_aborted\":" + aborted
            + ",\"producers_reopened\":" + reopened + "}");
    }

    // -- chaos-check --------------------------------------------------------------------------------

    /** Everything of one record a consumer sees, but its offset, as bytes to compare. */
    static byte[] content(ConsumerRecord<byte[], byte[]> r) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.DataOutputStream d = new java.io.DataOutputStream(out);
        try {
            d.writeLong(r.timestamp());
            d.writeUTF(r.timestampType().name);
            writeBytes(d, r.key());
            writeBytes(d, r.value());
            for (Header h : r.headers()) { d.writeUTF(h.key()); writeBytes(d, h.value()); }
        } catch (java.io.IOException e) { throw new RuntimeException(e); }
        return out.toByteArray();
    }

    static void writeBytes(java.io.DataOutputStream d, byte[] b) throws java.io.IOException {
        if (b == null) { d.writeInt(-1); return; }
        d.writeInt(b.length); d.write(b);
    }

    /** What the checker keeps of a record: its key, a digest of everything a consumer sees but the
     *  offset, and its offset (for the examples). Small, so a long run's records fit the heap. */
    static final class Rec {
        final String key;
        final byte[] digest;
        final long offset;

        Rec(ConsumerRecord<byte[], byte[]> r) {
            key = r.key() == null ? "<null>" : new String(r.key(), StandardCharsets.UTF_8);
            try {
                digest = Arrays.copyOf(java.security.MessageDigest.getInstance("SHA-256").digest(content(r)), 16);
            } catch (java.security.NoSuchAlgorithmException e) { throw new RuntimeException(e); }
            offset = r.offset();
        }
    }

    /** Every record of every partition of `topic`, read_committed, in offset order. */
    static TreeMap<Integer, List<Rec>> readAll(String bootstrap, String topic) {
        Properties pr = new Properties();
        pr.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        pr.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        pr.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        pr.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        pr.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        pr.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        TreeMap<Integer, List<Rec>> out = new TreeMap<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(pr)) {
            List<TopicPartition> tps = new ArrayList<>();
            List<PartitionInfo> infos = c.partitionsFor(topic, Duration.ofSeconds(60));
            if (infos == null) return out;
            for (PartitionInfo i : infos) { tps.add(new TopicPartition(topic, i.partition())); out.put(i.partition(), new ArrayList<>()); }
            c.assign(tps);
            c.seekToBeginning(tps);
            Map<TopicPartition, Long> ends = c.endOffsets(tps, Duration.ofSeconds(60));
            long deadline = System.currentTimeMillis() + 300_000;
            while (System.currentTimeMillis() < deadline) {
                boolean done = true;
                for (TopicPartition tp : tps) if (c.position(tp) < ends.get(tp)) done = false;
                if (done) break;
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) out.get(r.partition()).add(new Rec(r));
            }
        }
        return out;
    }

    static final class Count {
        long source, target, lost, duplicated, outOfOrder, changed, unknown, deletedOnSource, deletedUncopied;
        final List<String> examples = new ArrayList<>();

        void example(String s) { if (examples.size() < 10) examples.add(s); }

        String json(String topic) {
            StringBuilder ex = new StringBuilder();
            for (String e : examples) ex.append(ex.length() == 0 ? "" : ",").append('"').append(e.replace("\"", "'")).append('"');
            return "{\"topic\":\"" + topic + "\",\"source\":" + source + ",\"target\":" + target + ",\"lost\":" + lost
                + ",\"duplicated\":" + duplicated + ",\"out_of_order\":" + outOfOrder + ",\"changed\":" + changed
                + ",\"unknown\":" + unknown + ",\"deleted_on_source\":" + deletedOnSource
                + ",\"deleted_uncopied\":" + deletedUncopied + ",\"examples\":[" + ex + "]}";
        }
    }

    /** The sequence number n of a witness key "t/p/n", or -1. */
    static long seq(String key) {
        try { return Long.parseLong(key.substring(key.lastIndexOf('/') + 1)); } catch (RuntimeException e) { return -1; }
    }

    static void check(Map<String, String> f) {
        String source = need(f, "source"), target = need(f, "target"), prefix = need(f, "remote-prefix");
        List<String> reports = new ArrayList<>();
        for (String topic : need(f, "topics").split(",")) {
            Count c = new Count();
            var src = readAll(source, topic);
            var tgt = readAll(target, prefix + topic);
            for (var e : src.entrySet()) {
                int p = e.getKey();
                List<Rec> s = e.getValue();
                Map<String, Integer> index = new HashMap<>(s.size() * 2);
                for (int i = 0; i < s.size(); i++) index.put(s.get(i).key, i);
                boolean[] seen = new boolean[s.size()];
                int furthest = -1;
                c.source += s.size();
                // Sequence numbers below the source's first were written and deleted since.
                long firstSeq = s.isEmpty() ? Long.MAX_VALUE : seq(s.get(0).key);
                java.util.BitSet deletedSeen = new java.util.BitSet();
                for (Rec r : tgt.getOrDefault(p, List.of())) {
                    c.target++;
                    String key = r.key;
                    Integer i = index.get(key);
                    long n = seq(key);
                    if (i == null && n >= 0 && n < firstSeq && key.startsWith(topic + "/" + p + "/")) {
                        c.deletedOnSource++;
                        if (n <= Integer.MAX_VALUE) deletedSeen.set((int) n);
                        continue;
                    }
                    if (i == null) { c.unknown++; c.example("unknown " + key + " at target offset " + p + ":" + r.offset); continue; }
                    if (!Arrays.equals(r.digest, s.get(i).digest)) {
                        c.changed++; c.example("changed " + key + " at target offset " + p + ":" + r.offset);
                    }
                    if (seen[i]) { c.duplicated++; c.example("duplicate " + key + " at target offset " + p + ":" + r.offset); continue; }
                    seen[i] = true;
                    if (i < furthest) { c.outOfOrder++; c.example("out of order " + key + " at target offset " + p + ":" + r.offset); }
                    furthest = Math.max(furthest, i);
                }
                if (firstSeq != Long.MAX_VALUE) c.deletedUncopied += firstSeq - deletedSeen.cardinality();
                for (int i = 0; i < s.size(); i++) {
                    if (!seen[i]) {
                        c.lost++;
                        c.example("lost " + s.get(i).key + " (source offset " + p + ":" + s.get(i).offset + ")");
                    }
                }
            }
            reports.add(c.json(topic));
        }
        System.out.println("{\"topics\":[" + String.join(",", reports) + "]}");
    }
}
