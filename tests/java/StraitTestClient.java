/*
 * strait's Java test client: writes deterministic test data into a real Kafka cluster with the official
 * Java producer, so that strait's end-to-end tests compare what strait replicates against data that
 * Kafka's own client wrote. Compiled and run by scripts/test-client.sh (no build tool, one file).
 *
 * Modes (every mode prints one JSON line on stdout when it succeeds, logs go to stderr):
 *   wait-ready   --bootstrap B --brokers N [--timeout-ms T]
 *       Polls Admin.describeCluster through each address of B on its own until every one answers and
 *       lists N brokers (registered and unfenced).
 *   produce      --bootstrap B --topic T --partitions P --per-partition N [--codec C] [--seed S]
 *                [--start-index I] [--key-mod M] [--batch-size B]
 *       Sends records I..I+N-1 of every partition p < P to partition p explicitly; record (p, i) is
 *       defined by Gen below (tests/e2e/support/mod.rs mirrors it in Rust as `expected_record`).
 *       With --key-mod M every record gets key "k-<seed>-<p>-<i % M>" (for compacted topics).
 *       --batch-size B is the producer's batch.size (default 16384): small, it writes many small batches.
 *   produce-stream --bootstrap B --topic T --partitions P --per-partition N --rate R [--seed S]
 *       Live traffic: the records of `produce`, round-robin over the partitions at about R records/s,
 *       until N per partition were sent or the process is killed (a test kills the cluster under it).
 *   transactions --bootstrap B --topic T --partitions P --transactions N --per-txn K [--seed S]
 *                [--codec C]
 *       Transaction t sends K records (record j to partition j % P), commits even t and aborts odd t;
 *       after every transaction one non-transactional record goes to partition t % P. Values start with
 *       "committed-", "aborted-" or "plain-".
 *   bulk         --bootstrap B --topic T --records N [--size S] [--codec C]
 *       Fast load: N key-less records of S bytes (idempotent, acks=all, big batches).
 *   translate    --bootstrap B --source-alias A --group G
 *       Java MirrorClient witness: RemoteClusterUtils.translateOffsets(B, A, G) as {"topic:partition":offset}.
 *   mirror-info  --bootstrap B [--topic T]
 *       Java MirrorClient witness: heartbeat topics, checkpoint topics, upstream clusters, remote topics
 *       and (with --topic) replicationHops/topicSource/upstreamTopic of T.
 *   commit       --bootstrap B --group G --topic T --offsets p:o[,p:o...] [--metadata M]
 *       Commits the given offsets for group G as a consumer application would (commitSync).
 *   consume-group --bootstrap B --group G --topic T --expect N [--isolation read_committed]
 *                [--idle-ms I] [--timeout-ms T]
 *       A consumer application failing over: joins group G, reads T from the group's committed
 *       positions (earliest where none), stops once N records arrived and nothing more came for I ms,
 *       commits, and prints the committed positions it started from and every record it read.
 * Codecs: none, gzip, snappy, lz4, zstd.
 */

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.connect.mirror.MirrorClient;
import org.apache.kafka.connect.mirror.RemoteClusterUtils;

public final class StraitTestClient {

    /** The deterministic record generator. Keep in step with `expected_record` in tests/e2e/support. */
    static final class Gen {
        /**
         * 4_000_000_000_000 ms = 2096-10-02. Deliberately in the future: a fixed timestamp in the past
         * (2023, say) is older than the brokers' default retention.ms (7 days), so the brokers would
         * delete the test data a few minutes after it is written (seen in practice).
         */
        static final long BASE_TS = 4_000_000_000_000L;

        static long mix(long z) { // splitmix64 finaliser
            z += 0x9E3779B97F4A7C15L;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            return z ^ (z >>> 31);
        }

        static long timestamp(int p, long i) {
            return BASE_TS + p * 1_000_000L + i;
        }

        /** Every 13th record (i % 13 == 12) has a null key. */
        static String key(long seed, int p, long i) {
            return i % 13 == 12 ? null : "k-" + seed + "-" + p + "-" + i;
        }

        /** Every 11th record (i % 11 == 10) is a tombstone; others are 100..300 printable ASCII chars. */
        static String value(long seed, int p, long i) {
            if (i % 11 == 10) return null;
            long h = mix(seed * 1_000_003L + p * 100_003L + i);
            int len = 100 + (int) Long.remainderUnsigned(h, 201);
            StringBuilder sb = new StringBuilder(len);
            sb.append("v-").append(seed).append('-').append(p).append('-').append(i).append(':');
            while (sb.length() < len) {
                h = mix(h);
                sb.append((char) (32 + Long.remainderUnsigned(h, 95)));
            }
            return sb.toString();
        }

        /**
         * Every 7th record (i % 7 == 3) has no headers; the others carry, in this order:
         * h=a, h=b (a repeated key), n=null (null value), e="" (empty value), idx="p-i" (per record).
         */
        static List<String[]> headers(long seed, int p, long i) {
            List<String[]> hs = new ArrayList<>();
            if (i % 7 == 3) return hs;
            hs.add(new String[] {"h", "a"});
            hs.add(new String[] {"h", "b"});
            hs.add(new String[] {"n", null});
            hs.add(new String[] {"e", ""});
            hs.add(new String[] {"idx", p + "-" + i});
            return hs;
        }

        static ProducerRecord<byte[], byte[]> record(String topic, long seed, int p, long i) {
            RecordHeaders headers = new RecordHeaders();
            for (String[] h : headers(seed, p, i)) headers.add(new RecordHeader(h[0], bytes(h[1])));
            return new ProducerRecord<>(topic, p, timestamp(p, i), bytes(key(seed, p, i)), bytes(value(seed, p, i)), headers);
        }
    }

    static byte[] bytes(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    // ---------------------------------------------------------------------------------------------------

    private final Map<String, String> args = new HashMap<>();

    private StraitTestClient(String[] argv, int from) {
        for (int k = from; k < argv.length; k++) {
            String a = argv[k];
            if (!a.startsWith("--")) throw new IllegalArgumentException("unexpected argument " + a);
            if (k + 1 >= argv.length) throw new IllegalArgumentException("missing value for " + a);
            args.put(a.substring(2), argv[++k]);
        }
    }

    private String str(String name) {
        String v = args.get(name);
        if (v == null) throw new IllegalArgumentException("missing --" + name);
        return v;
    }

    private String str(String name, String dflt) {
        return args.getOrDefault(name, dflt);
    }

    private long num(String name) {
        return Long.parseLong(str(name));
    }

    private long num(String name, long dflt) {
        return args.containsKey(name) ? Long.parseLong(args.get(name)) : dflt;
    }

    private Properties producerProps() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, str("bootstrap"));
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, str("codec", "none"));
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        // Big enough batches and a little linger so that every partition gets multi-record batches.
        p.put(ProducerConfig.LINGER_MS_CONFIG, "20");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, str("batch-size", "16384"));
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "120000");
        // Fail soon on a topic that does not exist instead of blocking every send for a minute.
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "15000");
        return p;
    }

    private static void println(String json) {
        System.out.println(json);
        System.out.flush();
    }

    // ---------------------------------------------------------------------------------------------------

    private void waitReady() throws Exception {
        // Every address is asked on its own (an Admin's first metadata request goes to its bootstrap
        // address), so a node that was just restarted counts only once it answers itself, not while the
        // others still list its old registration.
        int want = (int) num("brokers");
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(num("timeout-ms", 60_000));
        List<Admin> admins = new ArrayList<>();
        String[] addresses = str("bootstrap").split(",");
        String last = "no answer";
        try {
            for (String address : addresses) {
                Properties p = new Properties();
                p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, address);
                p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "3000");
                p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "3000");
                p.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "200");
                admins.add(Admin.create(p));
            }
            boolean[] ok = new boolean[addresses.length];
            // At least one pass whatever the deadline: on a loaded machine the JVM's own start can
            // take longer than the whole timeout, and every call would then end with "no answer".
            for (boolean first = true; first || System.nanoTime() < deadline; first = false) {
                boolean all = true;
                for (int k = 0; k < addresses.length; k++) {
                    if (ok[k]) continue;
                    try {
                        int n = admins.get(k).describeCluster().nodes().get(3, TimeUnit.SECONDS).size();
                        ok[k] = n >= want;
                        if (!ok[k]) last = addresses[k] + " sees " + n + " of " + want + " brokers";
                    } catch (Exception e) {
                        last = addresses[k] + ": " + (e.getCause() != null ? e.getCause() : e);
                    }
                    all &= ok[k];
                }
                if (all) {
                    println("{\"ready\":true,\"brokers\":" + want + "}");
                    return;
                }
                Thread.sleep(200);
            }
        } finally {
            for (Admin a : admins) a.close(Duration.ZERO);
        }
        System.err.println("wait-ready: not ready in time: " + last);
        System.exit(1);
    }

    /**
     * Waits until every partition of the topic has a leader in the brokers' metadata, and a
     * moment more. Right after a topic is created, a broker can already list itself as leader
     * while it does not yet act as one; an idempotent producer whose first batch is answered
     * NOT_LEADER_OR_FOLLOWER then was seen to retry OUT_OF_ORDER_SEQUENCE_NUMBER until its
     * delivery timeout (Kafka 3.9 client against a 1-node cluster).
     */
    private void awaitLeaders(String topic) throws Exception {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, str("bootstrap"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        try (Admin admin = Admin.create(p)) {
            while (true) {
                try {
                    org.apache.kafka.clients.admin.TopicDescription d = admin
                        .describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic);
                    if (d.partitions().stream().allMatch(i -> i.leader() != null && !i.leader().isEmpty())) {
                        Thread.sleep(300);
                        return;
                    }
                } catch (java.util.concurrent.ExecutionException e) {
                    // Not known yet: ask again below.
                }
                if (System.nanoTime() > deadline) throw new IllegalStateException("no leader for every partition of " + topic + " within 60 s");
                Thread.sleep(100);
            }
        }
    }

    private void produce() throws Exception {
        String topic = str("topic");
        int partitions = (int) num("partitions");
        long perPartition = num("per-partition");
        long seed = num("seed", 1);
        long start = num("start-index", 0);
        long keyMod = num("key-mod", 0);
        List<Future<RecordMetadata>> acks = new ArrayList<>();
        final AtomicReference<Exception> failure = new AtomicReference<>();
        awaitLeaders(topic);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps())) {
            // Round-robin over partitions so that every partition's batches fill up concurrently.
            for (long i = start; i < start + perPartition && failure.get() == null; i++) {
                for (int p = 0; p < partitions && failure.get() == null; p++) {
                    ProducerRecord<byte[], byte[]> r = Gen.record(topic, seed, p, i);
                    if (keyMod > 0) {
                        // Repeated keys (a compacted topic's workload): key i % M of the partition.
                        r = new ProducerRecord<>(topic, p, r.timestamp(), bytes("k-" + seed + "-" + p + "-" + (i % keyMod)), r.value(), r.headers());
                    }
                    acks.add(producer.send(r, (md, e) -> {
                        if (e != null && failure.get() == null) failure.set(e);
                    }));
                }
            }
            producer.flush();
            if (failure.get() != null) throw failure.get();
            for (Future<RecordMetadata> f : acks) f.get();
        }
        println("{\"records\":" + acks.size() + ",\"partitions\":" + partitions + "}");
    }

    private void produceStream() throws Exception {
        String topic = str("topic");
        int partitions = (int) num("partitions");
        long perPartition = num("per-partition");
        long seed = num("seed", 1);
        long rate = Math.max(1, num("rate"));
        final AtomicReference<Exception> failure = new AtomicReference<>();
        awaitLeaders(topic);
        long sent = 0;
        long t0 = System.nanoTime();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps())) {
            for (long i = 0; i < perPartition && failure.get() == null; i++) {
                for (int p = 0; p < partitions; p++) {
                    producer.send(Gen.record(topic, seed, p, i), (md, e) -> {
                        if (e != null) failure.compareAndSet(null, e);
                    });
                    sent++;
                }
                long wait = t0 + sent * 1_000_000_000L / rate - System.nanoTime();
                if (wait > 0) Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            }
            producer.flush();
        }
        if (failure.get() != null) throw failure.get();
        println("{\"records\":" + sent + "}");
    }

    private void transactions() throws Exception {
        String topic = str("topic");
        int partitions = (int) num("partitions");
        long txns = num("transactions");
        long perTxn = num("per-txn");
        long seed = num("seed", 1);
        Properties tp = producerProps();
        tp.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "strait-test-" + seed + "-" + System.nanoTime());
        long committed = 0, aborted = 0, plain = 0;
        try (KafkaProducer<byte[], byte[]> txp = new KafkaProducer<>(tp);
             KafkaProducer<byte[], byte[]> plainp = new KafkaProducer<>(producerProps())) {
            txp.initTransactions();
            for (long t = 0; t < txns; t++) {
                boolean commit = t % 2 == 0;
                txp.beginTransaction();
                for (long j = 0; j < perTxn; j++) {
                    String v = (commit ? "committed-" : "aborted-") + seed + "-" + t + "-" + j;
                    txp.send(new ProducerRecord<>(topic, (int) (j % partitions), bytes("t-" + seed + "-" + t + "-" + j), bytes(v)));
                }
                if (commit) {
                    txp.commitTransaction();
                    committed += perTxn;
                } else {
                    txp.flush(); // make sure the aborted records really are in the log
                    txp.abortTransaction();
                    aborted += perTxn;
                }
                plainp.send(new ProducerRecord<>(topic, (int) (t % partitions), bytes("p-" + seed + "-" + t), bytes("plain-" + seed + "-" + t))).get();
                plain++;
            }
        }
        println("{\"committed\":" + committed + ",\"aborted\":" + aborted + ",\"plain\":" + plain + "}");
    }

    private void bulk() throws Exception {
        String topic = str("topic");
        long records = num("records");
        int size = (int) num("size", 512);
        Properties p = producerProps();
        p.put(ProducerConfig.LINGER_MS_CONFIG, "20");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(256 * 1024));
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, String.valueOf(64L * 1024 * 1024));
        // Somewhat compressible data: printable ASCII from a fixed pseudo-random pool, read at shifting offsets.
        byte[] pool = new byte[1 << 20];
        long h = 42;
        for (int k = 0; k < pool.length; k++) {
            h = Gen.mix(h);
            pool[k] = (byte) (32 + Long.remainderUnsigned(h, 95));
        }
        long t0 = System.nanoTime();
        final AtomicReference<Exception> failure = new AtomicReference<>();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
            for (long i = 0; i < records && failure.get() == null; i++) {
                byte[] v = new byte[size];
                int off = (int) Long.remainderUnsigned(Gen.mix(i), pool.length - size);
                System.arraycopy(pool, off, v, 0, size);
                producer.send(new ProducerRecord<>(topic, null, v), (md, e) -> {
                    if (e != null && failure.get() == null) failure.set(e);
                });
            }
            producer.flush();
        }
        if (failure.get() != null) throw failure.get();
        double secs = (System.nanoTime() - t0) / 1e9;
        println(String.format("{\"records\":%d,\"bytes\":%d,\"seconds\":%.3f}", records, records * size, secs));
    }

    private Properties consumerProps() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, str("bootstrap"));
        p.put(ConsumerConfig.GROUP_ID_CONFIG, str("group"));
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, str("isolation", "read_uncommitted"));
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return p;
    }

    private void commit() throws Exception {
        String topic = str("topic");
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (String po : str("offsets").split(",")) {
            String[] a = po.split(":");
            offsets.put(new TopicPartition(topic, Integer.parseInt(a[0])),
                new OffsetAndMetadata(Long.parseLong(a[1]), str("metadata", "")));
        }
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(consumerProps())) {
            c.commitSync(offsets, Duration.ofSeconds(30));
        }
        println("{\"committed\":" + offsets.size() + "}");
    }

    private static String text(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    private void consumeGroup() throws Exception {
        String topic = str("topic");
        long expect = num("expect");
        long idleMs = num("idle-ms", 5_000);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(num("timeout-ms", 90_000));
        StringBuilder out = new StringBuilder("{\"committed\":{");
        StringBuilder records = new StringBuilder();
        long got = 0;
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(consumerProps())) {
            List<TopicPartition> tps = new ArrayList<>();
            for (PartitionInfo pi : c.partitionsFor(topic, Duration.ofSeconds(30))) {
                tps.add(new TopicPartition(topic, pi.partition()));
            }
            Map<TopicPartition, OffsetAndMetadata> committed = c.committed(new java.util.HashSet<>(tps), Duration.ofSeconds(30));
            boolean first = true;
            for (TopicPartition tp : tps) {
                OffsetAndMetadata om = committed.get(tp);
                if (om == null) continue;
                out.append(first ? "" : ",").append(json(Integer.toString(tp.partition()))).append(':').append(om.offset());
                first = false;
            }
            // Where this consumer is, per partition. Offsets are committed only at the end, so a
            // rebalance in the middle (a coordinator move on the shared 3-broker cluster does
            // that) would otherwise send the consumer back to the committed offset and read the
            // same records twice; a careful application continues from its own position.
            Map<TopicPartition, Long> next = new HashMap<>();
            c.subscribe(java.util.Collections.singletonList(topic), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(java.util.Collection<TopicPartition> revoked) {}

                @Override
                public void onPartitionsAssigned(java.util.Collection<TopicPartition> assigned) {
                    for (TopicPartition tp : assigned) {
                        Long at = next.get(tp);
                        if (at != null) c.seek(tp, at);
                    }
                }
            });
            long lastRecord = System.nanoTime();
            while (System.nanoTime() < deadline) {
                int n = 0;
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    next.put(new TopicPartition(r.topic(), r.partition()), r.offset() + 1);
                    records.append(records.length() > 0 ? "," : "")
                        .append("{\"p\":").append(r.partition())
                        .append(",\"o\":").append(r.offset())
                        .append(",\"k\":").append(json(text(r.key())))
                        .append(",\"v\":").append(json(text(r.value()))).append('}');
                    n++;
                }
                got += n;
                if (n > 0) lastRecord = System.nanoTime();
                if (got >= expect && System.nanoTime() - lastRecord > TimeUnit.MILLISECONDS.toNanos(idleMs)) break;
            }
            c.commitSync(Duration.ofSeconds(30));
        }
        println(out.append("},\"records\":[").append(records).append("]}").toString());
    }

    private Map<String, Object> mirrorClientConfig() {
        Map<String, Object> c = new HashMap<>();
        c.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, str("bootstrap"));
        return c;
    }

    private void translate() throws Exception {
        Map<TopicPartition, OffsetAndMetadata> offsets = RemoteClusterUtils.translateOffsets(
            mirrorClientConfig(), str("source-alias"), str("group"), Duration.ofSeconds(30));
        TreeMap<String, Long> sorted = new TreeMap<>();
        offsets.forEach((tp, om) -> sorted.put(tp.topic() + ":" + tp.partition(), om.offset()));
        StringBuilder sb = new StringBuilder("{");
        sorted.forEach((k, v) -> sb.append(sb.length() > 1 ? "," : "").append(json(k)).append(':').append(v));
        println(sb.append('}').toString());
    }

    private void mirrorInfo() throws Exception {
        try (MirrorClient mc = new MirrorClient(mirrorClientConfig())) {
            StringBuilder sb = new StringBuilder("{");
            sb.append("\"heartbeat_topics\":").append(jsonList(mc.heartbeatTopics()));
            sb.append(",\"checkpoint_topics\":").append(jsonList(mc.checkpointTopics()));
            sb.append(",\"upstream_clusters\":").append(jsonList(mc.upstreamClusters()));
            sb.append(",\"remote_topics\":").append(jsonList(mc.remoteTopics()));
            String topic = args.get("topic");
            if (topic != null) {
                sb.append(",\"replication_hops\":{");
                boolean first = true;
                for (String up : new java.util.TreeSet<>(mc.upstreamClusters())) {
                    sb.append(first ? "" : ",").append(json(up)).append(':').append(mc.replicationHops(up));
                    first = false;
                }
                sb.append('}');
                sb.append(",\"topic_source\":").append(json(mc.replicationPolicy().topicSource(topic)));
                sb.append(",\"upstream_topic\":").append(json(mc.replicationPolicy().upstreamTopic(topic)));
            }
            println(sb.append('}').toString());
        }
    }

    static String json(String s) {
        if (s == null) return "null";
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') sb.append('\\').append(c);
            else if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
            else sb.append(c);
        }
        return sb.append('"').toString();
    }

    static String jsonList(java.util.Collection<String> xs) {
        StringBuilder sb = new StringBuilder("[");
        for (String x : new java.util.TreeSet<>(xs)) sb.append(sb.length() > 1 ? "," : "").append(json(x));
        return sb.append(']').toString();
    }

    public static void main(String[] argv) throws Exception {
        if (argv.length == 0) {
            System.err.println("usage: StraitTestClient wait-ready|produce|transactions|bulk|translate|mirror-info --option value ...");
            System.exit(2);
        }
        StraitTestClient c = new StraitTestClient(argv, 1);
        switch (argv[0]) {
            case "wait-ready": c.waitReady(); break;
            case "produce": c.produce(); break;
            case "produce-stream": c.produceStream(); break;
            case "transactions": c.transactions(); break;
            case "bulk": c.bulk(); break;
            case "translate": c.translate(); break;
            case "mirror-info": c.mirrorInfo(); break;
            case "commit": c.commit(); break;
            case "consume-group": c.consumeGroup(); break;
            default:
                System.err.println("unknown mode " + argv[0]);
                System.exit(2);
        }
        System.exit(0); // do not wait for lingering non-daemon client threads
    }
}
