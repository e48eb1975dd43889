//! Fixtures shared by the record-layer unit tests: the Java-written batches under `fixtures/`, the
//! expectations they were written from, and builders for hand-made and `kafka-protocol` batches.

use bytes::{BufMut, Bytes, BytesMut};
use indexmap::IndexMap;
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::records::{
    Compression as KpCompression, Record as KpRecord, RecordBatchEncoder, RecordEncodeOptions,
    TimestampType,
};

use super::batch::{split_batches, Batch, Compression};
use super::record::{compress, put_varint, put_varlong, OwnedRecord};

/// Every codec, in id order.
pub(crate) const CODECS: [Compression; 5] = [
    Compression::None,
    Compression::Gzip,
    Compression::Snappy,
    Compression::Lz4,
    Compression::Zstd,
];

/// `java_<codec>.bin`: batch A (offsets 100..102, records 0,1,2) then batch B (offsets 200, 203,
/// 207, records 0,1,2), producer 4242 epoch 3, sequences 17 and 20.
pub(crate) fn java_fixture(codec: Compression) -> Bytes {
    Bytes::from_static(match codec {
        Compression::None => include_bytes!("fixtures/java_none.bin"),
        Compression::Gzip => include_bytes!("fixtures/java_gzip.bin"),
        Compression::Snappy => include_bytes!("fixtures/java_snappy.bin"),
        Compression::Lz4 => include_bytes!("fixtures/java_lz4.bin"),
        Compression::Zstd => include_bytes!("fixtures/java_zstd.bin"),
    })
}

/// `java_compacted_<codec>.bin`: `MemoryRecords.filterTo` output of offsets 300..307 keeping 300,
/// 303, 305 (records 0, 3, 5; delete horizon set, lastOffsetDelta still 7), then the empty batch
/// left of 400..401.
pub(crate) fn java_compacted_fixture(codec: Compression) -> Bytes {
    Bytes::from_static(match codec {
        Compression::None => include_bytes!("fixtures/java_compacted_none.bin"),
        Compression::Gzip => include_bytes!("fixtures/java_compacted_gzip.bin"),
        Compression::Snappy => include_bytes!("fixtures/java_compacted_snappy.bin"),
        Compression::Lz4 => include_bytes!("fixtures/java_compacted_lz4.bin"),
        Compression::Zstd => include_bytes!("fixtures/java_compacted_zstd.bin"),
    })
}

/// `java_txn.bin`: txn batch of producer 1 (offsets 0-1, records 0,1), txn batch of producer 2
/// (2-3, records 2,3), ABORT marker of producer 1 (4), COMMIT marker of producer 2 (5), idempotent
/// batch of producer 3 (6, record 6). The matching aborted_transactions list is `[(1, 0)]`.
pub(crate) fn java_txn_fixture() -> Bytes {
    Bytes::from_static(include_bytes!("fixtures/java_txn.bin"))
}

/// The complete batches of a fixture buffer.
pub(crate) fn batches(buf: &Bytes) -> Vec<Batch> {
    let split = split_batches(buf).expect("fixture splits");
    assert!(!split.truncated_tail);
    split.batches
}

/// Record `i` as `JavaCompat.java` writes it, at `offset`.
pub(crate) fn java_record(i: i64, offset: i64) -> OwnedRecord {
    let key = (i % 3 != 1).then(|| Bytes::from(format!("k{i}")));
    let value = (i % 3 != 2).then(|| Bytes::from(format!("value-{i}-").repeat(20)));
    let headers = match i % 3 {
        0 => vec![
            (Bytes::from("h"), Some(Bytes::from(format!("a{i}")))),
            (Bytes::from("h"), Some(Bytes::from(format!("b{i}")))),
            (Bytes::from("n"), None),
        ],
        1 => vec![],
        _ => vec![(Bytes::from("h"), Some(Bytes::from(format!("c{i}"))))],
    };
    OwnedRecord {
        offset,
        timestamp: 1_700_000_000_000 + i * 10,
        attributes: 0,
        key,
        value,
        headers,
    }
}

/// A record to encode by hand, bypassing every library (so repeated header keys survive).
#[derive(Clone, Debug)]
pub(crate) struct HandRecord {
    pub(crate) timestamp_delta: i64,
    pub(crate) offset_delta: i32,
    pub(crate) key: Option<Vec<u8>>,
    pub(crate) value: Option<Vec<u8>>,
    pub(crate) headers: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

/// Three records with a repeated header key, a null header value, a null key and a null value.
pub(crate) fn hand_records(offset_deltas: [i32; 3]) -> Vec<HandRecord> {
    vec![
        HandRecord {
            timestamp_delta: 0,
            offset_delta: offset_deltas[0],
            key: Some(b"key-0".to_vec()),
            value: Some(b"value-0 value-0 value-0 value-0".to_vec()),
            headers: vec![
                (b"dup".to_vec(), Some(b"first".to_vec())),
                (b"dup".to_vec(), Some(b"second".to_vec())),
                (b"nil".to_vec(), None),
            ],
        },
        HandRecord {
            timestamp_delta: -5,
            offset_delta: offset_deltas[1],
            key: None,
            value: Some(b"value-1 value-1 value-1 value-1".to_vec()),
            headers: vec![],
        },
        HandRecord {
            timestamp_delta: 300_000,
            offset_delta: offset_deltas[2],
            key: Some(b"key-2".to_vec()),
            value: None,
            headers: vec![(b"dup".to_vec(), Some(Vec::new()))],
        },
    ]
}

fn put_nullable(out: &mut BytesMut, v: &Option<Vec<u8>>) {
    match v {
        None => put_varint(out, -1),
        Some(v) => {
            put_varint(out, v.len() as i32);
            out.put_slice(v);
        }
    }
}

/// Encodes records into an uncompressed records block, as Java's `DefaultRecord.writeTo` does.
pub(crate) fn encode_block(records: &[HandRecord]) -> Vec<u8> {
    let mut block = BytesMut::new();
    for r in records {
        let mut body = BytesMut::new();
        body.put_i8(0);
        put_varlong(&mut body, r.timestamp_delta);
        put_varint(&mut body, r.offset_delta);
        put_nullable(&mut body, &r.key);
        put_nullable(&mut body, &r.value);
        put_varint(&mut body, r.headers.len() as i32);
        for (k, v) in &r.headers {
            put_varint(&mut body, k.len() as i32);
            body.put_slice(k);
            put_nullable(&mut body, v);
        }
        put_varint(&mut block, body.len() as i32);
        block.put_slice(&body);
    }
    block.to_vec()
}

/// Header fields of a hand-made batch.
#[derive(Clone, Copy, Debug)]
pub(crate) struct HandHeader {
    pub(crate) base_offset: i64,
    pub(crate) partition_leader_epoch: i32,
    /// Attribute bits other than the codec.
    pub(crate) flags: i16,
    pub(crate) last_offset_delta: i32,
    pub(crate) base_timestamp: i64,
    pub(crate) max_timestamp: i64,
    pub(crate) producer_id: i64,
    pub(crate) producer_epoch: i16,
    pub(crate) base_sequence: i32,
    pub(crate) records_count: i32,
}

impl HandHeader {
    /// A plain idempotent-looking batch header for `records`.
    pub(crate) fn for_records(base_offset: i64, records: &[HandRecord]) -> Self {
        HandHeader {
            base_offset,
            partition_leader_epoch: 7,
            flags: 0,
            last_offset_delta: records.iter().map(|r| r.offset_delta).max().unwrap_or(0),
            base_timestamp: 1_600_000_000_000,
            max_timestamp: 1_600_000_300_000,
            producer_id: 99,
            producer_epoch: 2,
            base_sequence: 40,
            records_count: records.len() as i32,
        }
    }
}

/// Builds a complete batch around an uncompressed block, compressing it with `codec`.
pub(crate) fn build_batch(h: HandHeader, codec: Compression, block: &[u8]) -> Bytes {
    let compressed = compress(codec, block).expect("compress");
    let mut out = BytesMut::new();
    out.put_i64(h.base_offset);
    out.put_i32((49 + compressed.len()) as i32);
    out.put_i32(h.partition_leader_epoch);
    out.put_i8(2);
    out.put_u32(0);
    out.put_i16(h.flags | codec.id());
    out.put_i32(h.last_offset_delta);
    out.put_i64(h.base_timestamp);
    out.put_i64(h.max_timestamp);
    out.put_i64(h.producer_id);
    out.put_i16(h.producer_epoch);
    out.put_i32(h.base_sequence);
    out.put_i32(h.records_count);
    out.put_slice(&compressed);
    let crc = crc32c::crc32c(&out[21..]);
    out[17..21].copy_from_slice(&crc.to_be_bytes());
    out.freeze()
}

/// Recomputes the CRC of a (possibly mutated) batch buffer in place, if it is long enough.
pub(crate) fn restamp_crc(buf: &mut [u8]) {
    if buf.len() >= 21 {
        let crc = crc32c::crc32c(&buf[21..]);
        buf[17..21].copy_from_slice(&crc.to_be_bytes());
    }
}

/// A bitwise CRC-32C (Castagnoli, reflected 0x82F63B78), independent of the `crc32c` crate.
pub(crate) fn reference_crc32c(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0x82F6_3B78
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Maps our codec to kafka-protocol's.
pub(crate) fn kp_codec(codec: Compression) -> KpCompression {
    match codec {
        Compression::None => KpCompression::None,
        Compression::Gzip => KpCompression::Gzip,
        Compression::Snappy => KpCompression::Snappy,
        Compression::Lz4 => KpCompression::Lz4,
        Compression::Zstd => KpCompression::Zstd,
    }
}

/// Options for [`kp_batch`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct KpOpts {
    pub(crate) producer_id: i64,
    pub(crate) producer_epoch: i16,
    pub(crate) transactional: bool,
    pub(crate) control: bool,
    pub(crate) leader_epoch: i32,
}

impl Default for KpOpts {
    fn default() -> Self {
        KpOpts {
            producer_id: -1,
            producer_epoch: -1,
            transactional: false,
            control: false,
            leader_epoch: 5,
        }
    }
}

/// One kafka-protocol record at `offset` (value `v<offset>`, one header). kafka-protocol keeps
/// records in one batch only while `offset - sequence` stays the same, so `sequence` is given.
pub(crate) fn kp_record(offset: i64, sequence: i32, opts: KpOpts) -> KpRecord {
    let mut headers = IndexMap::new();
    headers.insert(
        StrBytes::from_static_str("hk"),
        Some(Bytes::from(format!("hv{offset}"))),
    );
    KpRecord {
        transactional: opts.transactional,
        control: opts.control,
        delete_horizon: false,
        partition_leader_epoch: opts.leader_epoch,
        producer_id: opts.producer_id,
        producer_epoch: opts.producer_epoch,
        timestamp_type: TimestampType::Creation,
        offset,
        sequence,
        timestamp: 1_650_000_000_000 + offset * 3,
        key: Some(Bytes::from(format!("key{offset}"))),
        value: Some(Bytes::from(format!("v{offset}-").repeat(10))),
        headers,
    }
}

/// A batch encoded by kafka-protocol holding records at `offsets` (gaps allowed: the encoder
/// writes `lastOffsetDelta = max - min` and `recordsCount = offsets.len()`).
pub(crate) fn kp_batch(offsets: &[i64], codec: Compression, opts: KpOpts) -> Bytes {
    let first = offsets.first().copied().unwrap_or(0);
    let records: Vec<KpRecord> = offsets
        .iter()
        .map(|&o| {
            // Base sequence = offset for a producer batch, -1 without one.
            let sequence = if opts.producer_id >= 0 {
                o
            } else {
                o - first - 1
            };
            kp_record(o, sequence as i32, opts)
        })
        .collect();
    kp_encode(&records, codec)
}

/// Encodes records with kafka-protocol's `RecordBatchEncoder`.
pub(crate) fn kp_encode(records: &[KpRecord], codec: Compression) -> Bytes {
    let mut buf = BytesMut::new();
    RecordBatchEncoder::encode(
        &mut buf,
        records,
        &RecordEncodeOptions {
            version: 2,
            compression: kp_codec(codec),
        },
    )
    .expect("kafka-protocol encodes");
    buf.freeze()
}

/// A control batch as Kafka writes an end-transaction marker: key = version 0 + type
/// (0 abort, 1 commit), value = version 0 + coordinator epoch.
pub(crate) fn control_batch(offset: i64, producer_id: i64, control_type: i16) -> Bytes {
    let mut key = BytesMut::new();
    key.put_i16(0);
    key.put_i16(control_type);
    let mut value = BytesMut::new();
    value.put_i16(0);
    value.put_i32(3);
    let record = HandRecord {
        timestamp_delta: 0,
        offset_delta: 0,
        key: Some(key.to_vec()),
        value: Some(value.to_vec()),
        headers: vec![],
    };
    let mut h = HandHeader::for_records(offset, std::slice::from_ref(&record));
    h.flags = 0x30;
    h.producer_id = producer_id;
    h.producer_epoch = 0;
    h.base_sequence = -1;
    build_batch(h, Compression::None, &encode_block(&[record]))
}
