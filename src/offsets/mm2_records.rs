//! Byte-exact keys and values of MM2's internal records (Kafka's `OffsetSync`, `Checkpoint` and `Heartbeat` in connect/mirror-client): offset syncs
//! (`mm2-offset-syncs.<x>.internal`), checkpoints (`<S>.checkpoints.internal`) and heartbeats
//! (`heartbeats`). Java's `MirrorClient`, `RemoteClusterUtils.translateOffsets` and the console
//! formatters read these topics, so strait must write exactly what Kafka 3.9's `OffsetSync`,
//! `Checkpoint` and `Heartbeat` classes write, and read whatever they write.
//!
//! Encoding is Kafka's protocol `Schema` layout: fields concatenated with no framing, INT16/INT32/
//! INT64 big-endian, STRING = INT16 byte length (0..=32767) + UTF-8. Reading stops after the last
//! field, so trailing bytes are ignored, as in Java. Checkpoint and heartbeat values start with an
//! INT16 version that Java reads and then ignores (it always parses the V0 body); so do we.
//!
//! The test vectors below were produced by Kafka 3.9.2's own classes through
//! `tests/java/Mm2FormatCheck.java` (the rerun command is at the top of that file).

use std::fmt;

/// Longest STRING Kafka's protocol `Schema` encodes (`Short.MAX_VALUE` bytes of UTF-8).
pub(crate) const MAX_STRING_BYTES: usize = i16::MAX as usize;

/// Version written in the header of checkpoint values (`Checkpoint.VERSION` in Java).
pub(crate) const CHECKPOINT_VERSION: i16 = 0;

/// Version written in the header of heartbeat values (`Heartbeat.VERSION` in Java).
pub(crate) const HEARTBEAT_VERSION: i16 = 0;

/// Why an MM2 record could not be encoded or decoded; names the record, the part (key or value)
/// and the field, so a bad record on a shared topic can be reported precisely and skipped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Mm2RecordError {
    /// The bytes end before a field does (Java: `BufferUnderflowException`).
    #[error("{record} {part}: field `{field}` needs {needed} bytes but only {available} are left")]
    Truncated {
        /// `OffsetSync`, `Checkpoint` or `Heartbeat`.
        record: &'static str,
        /// `key` or `value`.
        part: &'static str,
        /// Java's schema field name.
        field: &'static str,
        /// Bytes the field (or its remaining part) needs.
        needed: usize,
        /// Bytes that were left.
        available: usize,
    },
    /// A STRING's INT16 length is negative (Java: "String length -1 cannot be negative").
    #[error("{record} {part}: field `{field}` has negative string length {length}")]
    NegativeStringLength {
        /// `OffsetSync`, `Checkpoint` or `Heartbeat`.
        record: &'static str,
        /// `key` or `value`.
        part: &'static str,
        /// Java's schema field name.
        field: &'static str,
        /// The length read.
        length: i16,
    },
    /// A STRING's bytes are not UTF-8. Java would decode them lossily, but Java never writes
    /// such bytes (it encodes `String`s), so they mean corruption or a foreign writer.
    #[error("{record} {part}: field `{field}` is not valid UTF-8")]
    InvalidUtf8 {
        /// `OffsetSync`, `Checkpoint` or `Heartbeat`.
        record: &'static str,
        /// `key` or `value`.
        part: &'static str,
        /// Java's schema field name.
        field: &'static str,
    },
    /// A string to encode is longer than a STRING can hold (Java throws `SchemaException`).
    #[error("{record} {part}: field `{field}` is {length} bytes, over the {MAX_STRING_BYTES}-byte STRING limit")]
    StringTooLong {
        /// `OffsetSync`, `Checkpoint` or `Heartbeat`.
        record: &'static str,
        /// `key` or `value`.
        part: &'static str,
        /// Java's schema field name.
        field: &'static str,
        /// The string's length in UTF-8 bytes.
        length: usize,
    },
}

/// One upstream->downstream offset pair for a source partition, as `MirrorSourceTask` emits it to
/// `mm2-offset-syncs.<x>.internal`; checkpointing translates group offsets with these.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct OffsetSync {
    /// UPSTREAM (source-cluster) topic name.
    pub(crate) topic: String,
    /// Source partition.
    pub(crate) partition: i32,
    /// Offset of the record on the source.
    pub(crate) upstream_offset: i64,
    /// Offset of its copy on the target.
    pub(crate) downstream_offset: i64,
}

impl OffsetSync {
    const NAME: &'static str = "OffsetSync";

    /// Key: `topic` STRING, `partition` INT32.
    pub(crate) fn encode_key(&self) -> Result<Vec<u8>, Mm2RecordError> {
        let mut w = Writer::new(Self::NAME, "key");
        w.string("topic", &self.topic)?;
        w.i32(self.partition);
        Ok(w.finish())
    }

    /// Value: `upstreamOffset` INT64, `offset` INT64. No version header. Never fails; returns a
    /// `Result` only so all MM2 records share one encoding signature.
    pub(crate) fn encode_value(&self) -> Result<Vec<u8>, Mm2RecordError> {
        let mut w = Writer::new(Self::NAME, "value");
        w.i64(self.upstream_offset);
        w.i64(self.downstream_offset);
        Ok(w.finish())
    }

    /// Parses a record as Java's `OffsetSync.deserializeRecord` does; trailing bytes are ignored.
    pub(crate) fn decode(key: &[u8], value: &[u8]) -> Result<Self, Mm2RecordError> {
        let mut k = Reader::new(Self::NAME, "key", key);
        let topic = k.string("topic")?;
        let partition = k.i32("partition")?;
        let mut v = Reader::new(Self::NAME, "value", value);
        let upstream_offset = v.i64("upstreamOffset")?;
        let downstream_offset = v.i64("offset")?;
        Ok(Self {
            topic,
            partition,
            upstream_offset,
            downstream_offset,
        })
    }
}

/// Java's `OffsetSync.toString`, which `OffsetSyncFormatter` prints.
impl fmt::Display for OffsetSync {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "OffsetSync{{topicPartition={}-{}, upstreamOffset={}, downstreamOffset={}}}",
            self.topic, self.partition, self.upstream_offset, self.downstream_offset
        )
    }
}

/// A consumer group's offset on the source translated to the target, as `MirrorCheckpointTask`
/// emits it to `<S>.checkpoints.internal`; `RemoteClusterUtils.translateOffsets` reads these.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Checkpoint {
    /// Consumer group id.
    pub(crate) group: String,
    /// DOWNSTREAM (target, usually renamed, e.g. `A.topic1`) topic name.
    pub(crate) topic: String,
    /// Partition.
    pub(crate) partition: i32,
    /// The group's committed offset on the source.
    pub(crate) upstream_offset: i64,
    /// The translated offset on the target.
    pub(crate) downstream_offset: i64,
    /// The group's commit metadata (`""` where Java had null).
    pub(crate) metadata: String,
}

impl Checkpoint {
    const NAME: &'static str = "Checkpoint";

    /// Key: `group` STRING, `topic` STRING, `partition` INT32.
    pub(crate) fn encode_key(&self) -> Result<Vec<u8>, Mm2RecordError> {
        let mut w = Writer::new(Self::NAME, "key");
        w.string("group", &self.group)?;
        w.string("topic", &self.topic)?;
        w.i32(self.partition);
        Ok(w.finish())
    }

    /// Value: `version` INT16 (0), `upstreamOffset` INT64, `offset` INT64, `metadata` STRING.
    pub(crate) fn encode_value(&self) -> Result<Vec<u8>, Mm2RecordError> {
        let mut w = Writer::new(Self::NAME, "value");
        w.i16(CHECKPOINT_VERSION);
        w.i64(self.upstream_offset);
        w.i64(self.downstream_offset);
        w.string("metadata", &self.metadata)?;
        Ok(w.finish())
    }

    /// Parses a record as Java's `Checkpoint.deserializeRecord` does: any version is accepted and
    /// the V0 body is read after it; trailing bytes are ignored.
    pub(crate) fn decode(key: &[u8], value: &[u8]) -> Result<Self, Mm2RecordError> {
        let mut k = Reader::new(Self::NAME, "key", key);
        let group = k.string("group")?;
        let topic = k.string("topic")?;
        let partition = k.i32("partition")?;
        let mut v = Reader::new(Self::NAME, "value", value);
        let _version = v.i16("version")?;
        let upstream_offset = v.i64("upstreamOffset")?;
        let downstream_offset = v.i64("offset")?;
        let metadata = v.string("metadata")?;
        Ok(Self {
            group,
            topic,
            partition,
            upstream_offset,
            downstream_offset,
            metadata,
        })
    }
}

/// Java's `Checkpoint.toString`, which `CheckpointFormatter` prints.
impl fmt::Display for Checkpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Checkpoint{{consumerGroupId={}, topicPartition={}-{}, upstreamOffset={}, downstreamOffset={}, metadata={}}}",
            self.group,
            self.topic,
            self.partition,
            self.upstream_offset,
            self.downstream_offset,
            self.metadata
        )
    }
}

/// A liveness beacon from one herder, as `MirrorHeartbeatTask` emits it to `heartbeats`; replicated
/// downstream, these let `MirrorClient` discover upstream clusters and replication hops.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Heartbeat {
    /// Alias of the emitting herder's source cluster.
    pub(crate) source_alias: String,
    /// Alias of the emitting herder's target cluster.
    pub(crate) target_alias: String,
    /// Emission time, epoch milliseconds.
    pub(crate) timestamp: i64,
}

impl Heartbeat {
    const NAME: &'static str = "Heartbeat";

    /// Key: `sourceClusterAlias` STRING, `targetClusterAlias` STRING.
    pub(crate) fn encode_key(&self) -> Result<Vec<u8>, Mm2RecordError> {
        let mut w = Writer::new(Self::NAME, "key");
        w.string("sourceClusterAlias", &self.source_alias)?;
        w.string("targetClusterAlias", &self.target_alias)?;
        Ok(w.finish())
    }

    /// Value: `version` INT16 (0), `timestamp` INT64. Never fails; returns a `Result` only so all
    /// MM2 records share one encoding signature.
    pub(crate) fn encode_value(&self) -> Result<Vec<u8>, Mm2RecordError> {
        let mut w = Writer::new(Self::NAME, "value");
        w.i16(HEARTBEAT_VERSION);
        w.i64(self.timestamp);
        Ok(w.finish())
    }

    /// Parses a record as Java's `Heartbeat.deserializeRecord` does: any version is accepted and
    /// the V0 body is read after it; trailing bytes are ignored. `strait status` reads the newest
    /// heartbeats with it, and the tests check the encoder against Java's bytes.
    pub(crate) fn decode(key: &[u8], value: &[u8]) -> Result<Self, Mm2RecordError> {
        let mut k = Reader::new(Self::NAME, "key", key);
        let source_alias = k.string("sourceClusterAlias")?;
        let target_alias = k.string("targetClusterAlias")?;
        let mut v = Reader::new(Self::NAME, "value", value);
        let _version = v.i16("version")?;
        let timestamp = v.i64("timestamp")?;
        Ok(Self {
            source_alias,
            target_alias,
            timestamp,
        })
    }
}

/// Java's `Heartbeat.toString`, which `HeartbeatFormatter` prints.
impl fmt::Display for Heartbeat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Heartbeat{{sourceClusterAlias={}, targetClusterAlias={}, timestamp={}}}",
            self.source_alias, self.target_alias, self.timestamp
        )
    }
}

/// Appends protocol primitives; carries record/part names for errors.
struct Writer {
    record: &'static str,
    part: &'static str,
    buf: Vec<u8>,
}

impl Writer {
    fn new(record: &'static str, part: &'static str) -> Self {
        Self {
            record,
            part,
            buf: Vec::with_capacity(32),
        }
    }

    fn i16(&mut self, v: i16) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    fn i32(&mut self, v: i32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    fn i64(&mut self, v: i64) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    fn string(&mut self, field: &'static str, s: &str) -> Result<(), Mm2RecordError> {
        let length = i16::try_from(s.len()).map_err(|_| Mm2RecordError::StringTooLong {
            record: self.record,
            part: self.part,
            field,
            length: s.len(),
        })?;
        self.i16(length);
        self.buf.extend_from_slice(s.as_bytes());
        Ok(())
    }

    fn finish(self) -> Vec<u8> {
        self.buf
    }
}

/// Reads protocol primitives from the front of a slice; never panics on short input.
struct Reader<'a> {
    record: &'static str,
    part: &'static str,
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(record: &'static str, part: &'static str, bytes: &'a [u8]) -> Self {
        Self {
            record,
            part,
            rest: bytes,
        }
    }

    fn take<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], Mm2RecordError> {
        let bytes = self.take_slice(field, N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    fn take_slice(&mut self, field: &'static str, n: usize) -> Result<&'a [u8], Mm2RecordError> {
        if self.rest.len() < n {
            return Err(Mm2RecordError::Truncated {
                record: self.record,
                part: self.part,
                field,
                needed: n,
                available: self.rest.len(),
            });
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn i16(&mut self, field: &'static str) -> Result<i16, Mm2RecordError> {
        Ok(i16::from_be_bytes(self.take(field)?))
    }

    fn i32(&mut self, field: &'static str) -> Result<i32, Mm2RecordError> {
        Ok(i32::from_be_bytes(self.take(field)?))
    }

    fn i64(&mut self, field: &'static str) -> Result<i64, Mm2RecordError> {
        Ok(i64::from_be_bytes(self.take(field)?))
    }

    fn string(&mut self, field: &'static str) -> Result<String, Mm2RecordError> {
        let length = self.i16(field)?;
        let n = usize::try_from(length).map_err(|_| Mm2RecordError::NegativeStringLength {
            record: self.record,
            part: self.part,
            field,
            length,
        })?;
        let bytes = self.take_slice(field, n)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| Mm2RecordError::InvalidUtf8 {
            record: self.record,
            part: self.part,
            field,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected bytes below were printed by Kafka 3.9.2's own OffsetSync/Checkpoint/Heartbeat
    // classes (recordKey()/recordValue()) via tests/java/Mm2FormatCheck.java; they equal the hex in
    // Kafka's `OffsetSync`, `Checkpoint` and `Heartbeat`. The Display strings are those classes' toString() output.

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn sync_example() -> OffsetSync {
        OffsetSync {
            topic: "topic1".into(),
            partition: 2,
            upstream_offset: 100,
            downstream_offset: 200,
        }
    }

    fn checkpoint_example(metadata: &str) -> Checkpoint {
        Checkpoint {
            group: "group-1".into(),
            topic: "A.topic1".into(),
            partition: 0,
            upstream_offset: 150,
            downstream_offset: 201,
            metadata: metadata.into(),
        }
    }

    fn heartbeat_example() -> Heartbeat {
        Heartbeat {
            source_alias: "A".into(),
            target_alias: "B".into(),
            timestamp: 1_700_000_000_000,
        }
    }

    const SYNC_KEY: &str = "0006746f7069633100000002";
    const SYNC_VALUE: &str = "000000000000006400000000000000c8";
    const CHECKPOINT_KEY: &str = "000767726f75702d310008412e746f7069633100000000";
    const CHECKPOINT_VALUE: &str = "0000000000000000009600000000000000c90000";
    const CHECKPOINT_VALUE_M1: &str = "0000000000000000009600000000000000c900026d31";
    const HEARTBEAT_KEY: &str = "000141000142";
    const HEARTBEAT_VALUE: &str = "00000000018bcfe56800";

    #[test]
    fn offset_sync_matches_java_bytes_and_text() {
        let sync = sync_example();
        assert_eq!(sync.encode_key().unwrap(), hex(SYNC_KEY));
        assert_eq!(sync.encode_value().unwrap(), hex(SYNC_VALUE));
        assert_eq!(
            OffsetSync::decode(&hex(SYNC_KEY), &hex(SYNC_VALUE)).unwrap(),
            sync
        );
        assert_eq!(
            sync.to_string(),
            "OffsetSync{topicPartition=topic1-2, upstreamOffset=100, downstreamOffset=200}"
        );
    }

    #[test]
    fn checkpoint_matches_java_bytes_and_text() {
        let cp = checkpoint_example("");
        assert_eq!(cp.encode_key().unwrap(), hex(CHECKPOINT_KEY));
        assert_eq!(cp.encode_value().unwrap(), hex(CHECKPOINT_VALUE));
        assert_eq!(
            Checkpoint::decode(&hex(CHECKPOINT_KEY), &hex(CHECKPOINT_VALUE)).unwrap(),
            cp
        );
        assert_eq!(
            cp.to_string(),
            "Checkpoint{consumerGroupId=group-1, topicPartition=A.topic1-0, upstreamOffset=150, downstreamOffset=201, metadata=}"
        );

        let m1 = checkpoint_example("m1");
        assert_eq!(m1.encode_key().unwrap(), hex(CHECKPOINT_KEY));
        assert_eq!(m1.encode_value().unwrap(), hex(CHECKPOINT_VALUE_M1));
        assert_eq!(
            Checkpoint::decode(&hex(CHECKPOINT_KEY), &hex(CHECKPOINT_VALUE_M1)).unwrap(),
            m1
        );
        assert_eq!(
            m1.to_string(),
            "Checkpoint{consumerGroupId=group-1, topicPartition=A.topic1-0, upstreamOffset=150, downstreamOffset=201, metadata=m1}"
        );
    }

    #[test]
    fn heartbeat_matches_java_bytes_and_text() {
        let hb = heartbeat_example();
        assert_eq!(hb.encode_key().unwrap(), hex(HEARTBEAT_KEY));
        assert_eq!(hb.encode_value().unwrap(), hex(HEARTBEAT_VALUE));
        assert_eq!(
            Heartbeat::decode(&hex(HEARTBEAT_KEY), &hex(HEARTBEAT_VALUE)).unwrap(),
            hb
        );
        assert_eq!(
            hb.to_string(),
            "Heartbeat{sourceClusterAlias=A, targetClusterAlias=B, timestamp=1700000000000}"
        );
    }

    /// a test vector of Java MM2's bytes, and the inputs Java 3.9.2 was seen to accept via
    /// `Mm2FormatCheck decode`: a future version number and trailing bytes in key and value.
    #[test]
    fn other_versions_and_trailing_bytes_are_accepted_as_java_does() {
        let key = hex(&format!("{CHECKPOINT_KEY}ff"));
        let value = hex("0001000000000000009600000000000000c900026d31deadbeef");
        assert_eq!(
            Checkpoint::decode(&key, &value).unwrap(),
            checkpoint_example("m1")
        );

        let key = hex(&format!("{HEARTBEAT_KEY}aa"));
        assert_eq!(
            Heartbeat::decode(&key, &hex("00070000018bcfe56800bb")).unwrap(),
            heartbeat_example()
        );
        // Java reads a negative version too (it only ever asserts == 0, with assertions off).
        assert_eq!(
            Heartbeat::decode(&hex(HEARTBEAT_KEY), &hex("ffff0000018bcfe56800")).unwrap(),
            heartbeat_example()
        );

        let key = hex(&format!("{SYNC_KEY}ff"));
        let value = hex(&format!("{SYNC_VALUE}ff"));
        assert_eq!(OffsetSync::decode(&key, &value).unwrap(), sync_example());
    }

    /// Decodes a key and value, true when the decoder refused them.
    type DecodeFails = fn(&[u8], &[u8]) -> bool;

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let cases: [(&str, &str, DecodeFails); 4] = [
            (SYNC_KEY, SYNC_VALUE, |k, v| {
                OffsetSync::decode(k, v).is_err()
            }),
            (CHECKPOINT_KEY, CHECKPOINT_VALUE, |k, v| {
                Checkpoint::decode(k, v).is_err()
            }),
            (CHECKPOINT_KEY, CHECKPOINT_VALUE_M1, |k, v| {
                Checkpoint::decode(k, v).is_err()
            }),
            (HEARTBEAT_KEY, HEARTBEAT_VALUE, |k, v| {
                Heartbeat::decode(k, v).is_err()
            }),
        ];
        for (key, value, fails) in cases {
            let (key, value) = (hex(key), hex(value));
            for n in 0..key.len() {
                assert!(fails(&key[..n], &value), "key cut to {n} of {key:02x?}");
            }
            for n in 0..value.len() {
                assert!(fails(&key, &value[..n]), "value cut to {n} of {value:02x?}");
            }
        }
    }

    #[test]
    fn truncation_errors_name_record_part_and_field() {
        // Java: "Error reading field 'partition': java.nio.BufferUnderflowException".
        let key = hex("000767726f75702d310008412e746f706963310000");
        assert_eq!(
            Checkpoint::decode(&key, &hex(CHECKPOINT_VALUE)).unwrap_err(),
            Mm2RecordError::Truncated {
                record: "Checkpoint",
                part: "key",
                field: "partition",
                needed: 4,
                available: 2,
            }
        );
        let err = OffsetSync::decode(&hex(SYNC_KEY), &hex("0000000000000064")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "OffsetSync value: field `offset` needs 8 bytes but only 0 are left"
        );
        // String body shorter than its length prefix.
        assert_eq!(
            Heartbeat::decode(&hex("000541"), &hex(HEARTBEAT_VALUE)).unwrap_err(),
            Mm2RecordError::Truncated {
                record: "Heartbeat",
                part: "key",
                field: "sourceClusterAlias",
                needed: 5,
                available: 1,
            }
        );
    }

    #[test]
    fn negative_string_length_and_bad_utf8_are_rejected() {
        // Java: "Error reading field 'metadata': String length -1 cannot be negative".
        let value = hex("0000000000000000009600000000000000c9ffff");
        assert_eq!(
            Checkpoint::decode(&hex(CHECKPOINT_KEY), &value).unwrap_err(),
            Mm2RecordError::NegativeStringLength {
                record: "Checkpoint",
                part: "value",
                field: "metadata",
                length: -1,
            }
        );
        // Java decodes this lossily (U+FFFD); Java never writes it, so strait calls it corrupt.
        let key = hex("0006ffff7069633100000002");
        assert_eq!(
            OffsetSync::decode(&key, &hex(SYNC_VALUE)).unwrap_err(),
            Mm2RecordError::InvalidUtf8 {
                record: "OffsetSync",
                part: "key",
                field: "topic",
            }
        );
    }

    #[test]
    fn strings_over_32767_bytes_are_refused_when_encoding() {
        let longest = "x".repeat(MAX_STRING_BYTES);
        let mut cp = checkpoint_example("");
        cp.metadata = longest.clone();
        let value = cp.encode_value().unwrap();
        assert_eq!(&value[18..20], &[0x7f, 0xff]);
        assert_eq!(
            Checkpoint::decode(&cp.encode_key().unwrap(), &value).unwrap(),
            cp
        );

        cp.metadata.push('x');
        assert_eq!(
            cp.encode_value().unwrap_err(),
            Mm2RecordError::StringTooLong {
                record: "Checkpoint",
                part: "value",
                field: "metadata",
                length: MAX_STRING_BYTES + 1,
            }
        );
        // The limit is in UTF-8 bytes, not characters.
        let hb = Heartbeat {
            source_alias: "é".repeat(16_384),
            ..heartbeat_example()
        };
        assert!(matches!(
            hb.encode_key(),
            Err(Mm2RecordError::StringTooLong {
                field: "sourceClusterAlias",
                length: 32_768,
                ..
            })
        ));
        let sync = OffsetSync {
            topic: longest + "x",
            ..sync_example()
        };
        assert!(sync.encode_key().is_err());
    }

    #[test]
    fn round_trips_keep_every_field() {
        let sync = OffsetSync {
            topic: "orders.v1".into(),
            partition: i32::MAX,
            upstream_offset: i64::MAX,
            downstream_offset: -1,
        };
        let cp = Checkpoint {
            group: "grüppe".into(),
            topic: "A.orders.v1".into(),
            partition: -7,
            upstream_offset: 0,
            downstream_offset: i64::MIN,
            metadata: "{\"k\":\"v\"} ✓".into(),
        };
        let hb = Heartbeat {
            source_alias: String::new(),
            target_alias: "east-1".into(),
            timestamp: -5,
        };
        assert_eq!(
            OffsetSync::decode(&sync.encode_key().unwrap(), &sync.encode_value().unwrap()).unwrap(),
            sync
        );
        assert_eq!(
            Checkpoint::decode(&cp.encode_key().unwrap(), &cp.encode_value().unwrap()).unwrap(),
            cp
        );
        assert_eq!(
            Heartbeat::decode(&hb.encode_key().unwrap(), &hb.encode_value().unwrap()).unwrap(),
            hb
        );
        assert_eq!(hb.encode_key().unwrap(), hex("00000006656173742d31"));
    }
}
