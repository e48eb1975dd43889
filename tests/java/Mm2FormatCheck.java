// Witness for strait's src/offsets/mm2_records.rs: Kafka 3.9's own MM2 classes encode the example
// OffsetSync, Checkpoint and Heartbeat (Kafka's connect/mirror-client) and decode bytes given to them.
// Not run in CI; the hex it prints is pasted into the Rust unit tests.
//
// Rerun (from the repository root):
//   J=$(scripts/kafka-jars.sh) && d=$(mktemp -d) && javac -d "$d" -cp "$J/*" tests/java/Mm2FormatCheck.java && java -cp "$d:$J/*" org.apache.kafka.connect.mirror.Mm2FormatCheck
//
// Modes:
//   (no arguments)                       print key/value hex and toString of the three examples
//   decode offset-sync|checkpoint|heartbeat KEYHEX VALUEHEX
//                                        decode with the class's deserializeRecord, print toString()
//
// It lives in package org.apache.kafka.connect.mirror because recordKey()/recordValue() are
// package-private in 3.9 (both connect-mirror and connect-mirror-client use that package; on the
// class path they share one runtime package, so the access is legal).
package org.apache.kafka.connect.mirror;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

public class Mm2FormatCheck {
    public static void main(String[] args) {
        if (args.length == 0) {
            OffsetSync sync = new OffsetSync(new TopicPartition("topic1", 2), 100, 200);
            print("offset-sync", sync.recordKey(), sync.recordValue(), sync.toString());
            Checkpoint cp = new Checkpoint("group-1", new TopicPartition("A.topic1", 0), 150, 201, "");
            print("checkpoint", cp.recordKey(), cp.recordValue(), cp.toString());
            Checkpoint cpM1 = new Checkpoint("group-1", new TopicPartition("A.topic1", 0), 150, 201, "m1");
            print("checkpoint-m1", cpM1.recordKey(), cpM1.recordValue(), cpM1.toString());
            Heartbeat hb = new Heartbeat("A", "B", 1700000000000L);
            print("heartbeat", hb.recordKey(), hb.recordValue(), hb.toString());
            return;
        }
        if (args.length != 4 || !args[0].equals("decode")) {
            System.err.println("usage: Mm2FormatCheck [decode offset-sync|checkpoint|heartbeat KEYHEX VALUEHEX]");
            System.exit(2);
        }
        ConsumerRecord<byte[], byte[]> record =
            new ConsumerRecord<>("t", 0, 0L, unhex(args[2]), unhex(args[3]));
        switch (args[1]) {
            case "offset-sync":
                System.out.println(OffsetSync.deserializeRecord(record));
                break;
            case "checkpoint":
                System.out.println(Checkpoint.deserializeRecord(record));
                break;
            case "heartbeat":
                System.out.println(Heartbeat.deserializeRecord(record));
                break;
            default:
                System.err.println("unknown kind " + args[1]);
                System.exit(2);
        }
    }

    private static void print(String name, byte[] key, byte[] value, String text) {
        System.out.println(name + " key   " + hex(key));
        System.out.println(name + " value " + hex(value));
        System.out.println(name + " text  " + text);
    }

    private static String hex(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        for (byte b : bytes) {
            sb.append(String.format("%02x", b & 0xff));
        }
        return sb.toString();
    }

    private static byte[] unhex(String s) {
        byte[] out = new byte[s.length() / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        }
        return out;
    }
}
