/*
 * Steady-state replication latency for loadtest/run.sh (scenario 2). One JVM, two threads:
 *
 *   - a producer writes records of --size bytes to --topic on --source at a fixed --rate (records/s,
 *     spread over all partitions by the default partitioner), each stamped with the wall clock at send
 *     (CreateTime), for --seconds;
 *   - a consumer on --target, assigned every partition of --remote-topic from the beginning, records
 *     (wall clock when poll() hands the record over) - (record timestamp) in an HdrHistogram (ms, 3
 *     significant digits) for every record produced after the first --warmup seconds.
 *
 * Both run on the same machine, so both timestamps come from one clock. The latency includes the source
 * producer's own send (the same for every replicator) and the target consumer's fetch wait (fetch.min.bytes
 * 1: the broker answers as soon as a record is there). The consumer stops when it has seen every record
 * sent, or --drain seconds after the producer stopped.
 *
 * Prints a progress line every 5 s on stderr and one JSON line on stdout:
 *   {"rate":..,"sent":..,"received":..,"measured":..,"p50_ms":..,"p99_ms":..,"p999_ms":..,"max_ms":..,
 *    "mean_ms":..,"achieved_rate":..}
 * Compiled and run by loadtest/run.sh with the Kafka jars and HdrHistogram on the class path.
 */

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public final class LatencyProbe {
    private static Map<String, String> args = new HashMap<>();

    static String arg(String k, String dflt) {
        String v = args.get(k);
        if (v == null && dflt == null) throw new IllegalArgumentException("missing --" + k);
        return v == null ? dflt : v;
    }

    public static void main(String[] argv) throws Exception {
        for (int i = 0; i + 1 < argv.length; i += 2) args.put(argv[i].replaceFirst("^--", ""), argv[i + 1]);
        String source = arg("source", null), target = arg("target", null);
        String topic = arg("topic", null), remote = arg("remote-topic", null);
        double rate = Double.parseDouble(arg("rate", "5000"));
        int size = Integer.parseInt(arg("size", "1024"));
        double seconds = Double.parseDouble(arg("seconds", "60"));
        double warmup = Double.parseDouble(arg("warmup", "10"));
        double drain = Double.parseDouble(arg("drain", "30"));
        String codec = arg("codec", "none");
        String linger = arg("linger", "0");

        Properties cp = new Properties();
        cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, target);
        cp.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        cp.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        cp.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        cp.put(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, "1");
        cp.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "10000");
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(cp);
        List<TopicPartition> tps = new ArrayList<>();
        for (PartitionInfo pi : consumer.partitionsFor(remote, Duration.ofSeconds(30))) {
            tps.add(new TopicPartition(remote, pi.partition()));
        }
        consumer.assign(tps);
        consumer.seekToBeginning(tps);
        for (TopicPartition tp : tps) consumer.position(tp, Duration.ofSeconds(30)); // fetch positions now

        Properties pp = new Properties();
        pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, source);
        pp.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        pp.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        pp.put(ProducerConfig.ACKS_CONFIG, "all");
        pp.put(ProducerConfig.LINGER_MS_CONFIG, linger);
        pp.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, codec);

        final long startMs = System.currentTimeMillis();
        final long measureFromMs = startMs + (long) (warmup * 1000);
        final AtomicLong sent = new AtomicLong();
        final AtomicLong producerDoneMs = new AtomicLong(0);
        final AtomicReference<Exception> failure = new AtomicReference<>();
        Thread producerThread = new Thread(() -> {
            byte[] v = new byte[size];
            java.util.Random rnd = new java.util.Random(42);
            for (int k = 0; k < size; k++) v[k] = (byte) (32 + rnd.nextInt(95));
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(pp)) {
                long t0 = System.nanoTime();
                long total = (long) (rate * seconds);
                for (long i = 0; i < total && failure.get() == null; i++) {
                    long due = t0 + (long) (i * 1e9 / rate);
                    long wait = due - System.nanoTime();
                    if (wait > 0) LockSupport.parkNanos(wait);
                    producer.send(new ProducerRecord<>(topic, null, System.currentTimeMillis(), null, v), (md, e) -> {
                        if (e != null) failure.compareAndSet(null, e);
                    });
                    sent.incrementAndGet();
                }
                producer.flush();
            } catch (Exception e) {
                failure.compareAndSet(null, e);
            }
            producerDoneMs.set(System.currentTimeMillis());
        }, "probe-producer");
        producerThread.start();

        Histogram h = new Histogram(3_600_000L, 3);
        long received = 0;
        long lastPrint = startMs;
        while (true) {
            ConsumerRecords<byte[], byte[]> recs = consumer.poll(Duration.ofMillis(100));
            long now = System.currentTimeMillis();
            for (ConsumerRecord<byte[], byte[]> r : recs) {
                // only this probe's records (the harness's readiness records carry other timestamps)
                if (r.timestamp() < startMs || r.timestamp() > startMs + 86_400_000L) continue;
                received++;
                if (r.timestamp() >= measureFromMs) h.recordValue(Math.max(0, now - r.timestamp()));
            }
            if (now - lastPrint >= 5000) {
                lastPrint = now;
                System.err.printf("   latency probe %5.1fs  sent %,d  received %,d  p50 %d ms  p99 %d ms  max %d ms%n",
                    (now - startMs) / 1e3, sent.get(), received, h.getValueAtPercentile(50),
                    h.getValueAtPercentile(99), h.getMaxValue());
            }
            long done = producerDoneMs.get();
            if (done != 0 && received >= sent.get()) break;
            if (done != 0 && now - done > drain * 1000) break;
            if (failure.get() != null) break;
        }
        consumer.close();
        producerThread.join();
        if (failure.get() != null) throw failure.get();
        double prodSecs = (producerDoneMs.get() - startMs) / 1e3;
        System.out.printf("{\"rate\": %.0f, \"achieved_rate\": %.1f, \"sent\": %d, \"received\": %d, \"measured\": %d, "
                + "\"p50_ms\": %d, \"p99_ms\": %d, \"p999_ms\": %d, \"max_ms\": %d, \"mean_ms\": %.2f}%n",
            rate, sent.get() / prodSecs, sent.get(), received, h.getTotalCount(), h.getValueAtPercentile(50),
            h.getValueAtPercentile(99), h.getValueAtPercentile(99.9), h.getMaxValue(), h.getMean());
    }
}
