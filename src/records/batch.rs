//! Batch headers and the zero-copy split of a Fetch response's `records` bytes.
//!
//! A v2 record batch starts with a fixed 61-byte header (big-endian):
//!
//! | offset | field                 | type |
//! |-------:|-----------------------|------|
//! | 0      | baseOffset            | i64  |
//! | 8      | batchLength           | i32 (bytes after this field) |
//! | 12     | partitionLeaderEpoch  | i32  |
//! | 16     | magic                 | i8 (2) |
//! | 17     | crc                   | u32 (CRC32C of bytes 21..end) |
//! | 21     | attributes            | i16  |
//! | 23     | lastOffsetDelta       | i32  |
//! | 27     | baseTimestamp         | i64  |
//! | 35     | maxTimestamp          | i64  |
//! | 43     | producerId            | i64  |
//! | 51     | producerEpoch         | i16  |
//! | 53     | baseSequence          | i32  |
//! | 57     | recordsCount          | i32  |
//! | 61     | records (possibly compressed as one block) | |
//!
//! Everything in this file reads only that header; records are never decoded here.

use std::fmt;

use bytes::Bytes;

use super::RecordsError;

/// Size of the fields before `batchLength`'s payload (baseOffset + batchLength); Java's
/// `Records.LOG_OVERHEAD`. A batch occupies `LOG_OVERHEAD + batchLength` bytes.
pub(crate) const LOG_OVERHEAD: usize = 12;
/// Size of the whole v2 batch header, i.e. where the records block starts; Java's
/// `DefaultRecordBatch.RECORD_BATCH_OVERHEAD`.
pub(crate) const HEADER_SIZE: usize = 61;
/// The only message format strait forwards.
pub(crate) const MAGIC_V2: i8 = 2;

pub(crate) const BASE_OFFSET_OFFSET: usize = 0;
pub(crate) const BATCH_LENGTH_OFFSET: usize = 8;
pub(crate) const PARTITION_LEADER_EPOCH_OFFSET: usize = 12;
pub(crate) const MAGIC_OFFSET: usize = 16;
pub(crate) const CRC_OFFSET: usize = 17;
pub(crate) const ATTRIBUTES_OFFSET: usize = 21;
pub(crate) const LAST_OFFSET_DELTA_OFFSET: usize = 23;
pub(crate) const BASE_TIMESTAMP_OFFSET: usize = 27;
pub(crate) const MAX_TIMESTAMP_OFFSET: usize = 35;
pub(crate) const PRODUCER_ID_OFFSET: usize = 43;
pub(crate) const PRODUCER_EPOCH_OFFSET: usize = 51;
pub(crate) const BASE_SEQUENCE_OFFSET: usize = 53;
pub(crate) const RECORDS_COUNT_OFFSET: usize = 57;

/// Smallest legal `batchLength` of a v2 batch: the header after the length field.
const MIN_BATCH_LENGTH: i32 = (HEADER_SIZE - LOG_OVERHEAD) as i32;

/// Attribute bits (Java `DefaultRecordBatch`).
pub(crate) const COMPRESSION_CODEC_MASK: i16 = 0x07;
pub(crate) const TIMESTAMP_TYPE_MASK: i16 = 0x08;
pub(crate) const TRANSACTIONAL_FLAG_MASK: i16 = 0x10;
pub(crate) const CONTROL_FLAG_MASK: i16 = 0x20;
pub(crate) const DELETE_HORIZON_FLAG_MASK: i16 = 0x40;

/// The codec of a batch's records block, from attribute bits 0-2.
///
/// The data path needs it only to decide how to renumber a compacted batch (recompress with the
/// same codec), and logs and metrics want the Kafka name, which is what `Display` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Compression {
    /// Codec id 0: the records block is plain records.
    None,
    /// Codec id 1: a gzip stream.
    Gzip,
    /// Codec id 2: the xerial snappy-java stream format (magic header + length-prefixed blocks).
    Snappy,
    /// Codec id 3: the LZ4 frame format.
    Lz4,
    /// Codec id 4: a zstd frame.
    Zstd,
}

impl Compression {
    /// Maps a codec id (attribute bits 0-2) to a codec; `None` for the unassigned ids 5-7.
    pub fn from_id(id: i16) -> Option<Compression> {
        match id {
            0 => Some(Compression::None),
            1 => Some(Compression::Gzip),
            2 => Some(Compression::Snappy),
            3 => Some(Compression::Lz4),
            4 => Some(Compression::Zstd),
            _ => None,
        }
    }

    /// The codec id as stored in attribute bits 0-2.
    pub fn id(self) -> i16 {
        match self {
            Compression::None => 0,
            Compression::Gzip => 1,
            Compression::Snappy => 2,
            Compression::Lz4 => 3,
            Compression::Zstd => 4,
        }
    }

    /// The name Kafka uses for the codec in `compression.type`.
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Snappy => "snappy",
            Compression::Lz4 => "lz4",
            Compression::Zstd => "zstd",
        }
    }
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

fn be_i16(buf: &[u8], at: usize) -> i16 {
    i16::from_be_bytes([buf[at], buf[at + 1]])
}

fn be_i32(buf: &[u8], at: usize) -> i32 {
    i32::from_be_bytes([buf[at], buf[at + 1], buf[at + 2], buf[at + 3]])
}

fn be_i64(buf: &[u8], at: usize) -> i64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&buf[at..at + 8]);
    i64::from_be_bytes(b)
}

/// The decoded 61-byte header of a v2 record batch.
///
/// The data path makes every decision (forward, skip, renumber, where to re-fetch) from these
/// fields alone, so they are decoded once, copied freely, and never require touching the records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchHeader {
    /// Offset of the first record (offset delta 0) in the source partition.
    pub base_offset: i64,
    /// Bytes after the `batchLength` field; the batch spans `12 + batch_length` bytes.
    pub batch_length: i32,
    /// Leader epoch the source leader stamped on the batch.
    pub partition_leader_epoch: i32,
    /// Message format version; always 2 for a parsed header.
    pub magic: i8,
    /// Stored CRC32C of bytes 21..end.
    pub crc: u32,
    /// Raw attribute bits (codec, timestamp type, transactional, control, delete horizon).
    pub attributes: i16,
    /// Offset delta of the last record; `base_offset + last_offset_delta` is the last offset even
    /// when compaction removed that record.
    pub last_offset_delta: i32,
    /// Timestamp the record timestamp deltas are relative to (the delete horizon when bit 6 is set).
    pub base_timestamp: i64,
    /// Largest record timestamp (the append time for `LogAppendTime` batches).
    pub max_timestamp: i64,
    /// Producer id, -1 when the batch was written without one.
    pub producer_id: i64,
    /// Producer epoch, -1 when none.
    pub producer_epoch: i16,
    /// Sequence number of the first record, -1 when none.
    pub base_sequence: i32,
    /// Number of records in the batch (may be less than `last_offset_delta + 1` after compaction).
    pub records_count: i32,
}

impl BatchHeader {
    /// Decodes the header at the start of `buf` (which may be just the 61 header bytes or a whole
    /// batch; the rest is not looked at).
    ///
    /// Fails with [`RecordsError::UnsupportedMagic`] for magic other than 2 and with
    /// [`RecordsError::CorruptBatch`] when `buf` is shorter than a header, `batchLength` is shorter
    /// than the header, the codec id is unassigned, or `recordsCount` is negative. It does not
    /// check that `buf` holds the whole batch nor the CRC (see [`verify_crc`]).
    pub fn parse(buf: &[u8]) -> Result<BatchHeader, RecordsError> {
        let offset_hint = if buf.len() >= 8 {
            be_i64(buf, BASE_OFFSET_OFFSET)
        } else {
            -1
        };
        if buf.len() <= MAGIC_OFFSET {
            return Err(RecordsError::corrupt(
                offset_hint,
                format!(
                    "batch header truncated: {} of {HEADER_SIZE} bytes",
                    buf.len()
                ),
            ));
        }
        let magic = buf[MAGIC_OFFSET] as i8;
        if magic != MAGIC_V2 {
            return Err(RecordsError::UnsupportedMagic {
                offset: offset_hint,
                magic,
            });
        }
        if buf.len() < HEADER_SIZE {
            return Err(RecordsError::corrupt(
                offset_hint,
                format!(
                    "batch header truncated: {} of {HEADER_SIZE} bytes",
                    buf.len()
                ),
            ));
        }
        let header = BatchHeader {
            base_offset: be_i64(buf, BASE_OFFSET_OFFSET),
            batch_length: be_i32(buf, BATCH_LENGTH_OFFSET),
            partition_leader_epoch: be_i32(buf, PARTITION_LEADER_EPOCH_OFFSET),
            magic,
            crc: be_i32(buf, CRC_OFFSET) as u32,
            attributes: be_i16(buf, ATTRIBUTES_OFFSET),
            last_offset_delta: be_i32(buf, LAST_OFFSET_DELTA_OFFSET),
            base_timestamp: be_i64(buf, BASE_TIMESTAMP_OFFSET),
            max_timestamp: be_i64(buf, MAX_TIMESTAMP_OFFSET),
            producer_id: be_i64(buf, PRODUCER_ID_OFFSET),
            producer_epoch: be_i16(buf, PRODUCER_EPOCH_OFFSET),
            base_sequence: be_i32(buf, BASE_SEQUENCE_OFFSET),
            records_count: be_i32(buf, RECORDS_COUNT_OFFSET),
        };
        if header.batch_length < MIN_BATCH_LENGTH {
            return Err(RecordsError::corrupt(
                header.base_offset,
                format!(
                    "batch length {} is shorter than the v2 header ({MIN_BATCH_LENGTH})",
                    header.batch_length
                ),
            ));
        }
        header.compression()?;
        if header.records_count < 0 {
            return Err(RecordsError::corrupt(
                header.base_offset,
                format!("negative record count {}", header.records_count),
            ));
        }
        Ok(header)
    }

    /// Offset of the batch's last record as the source assigned it (`base_offset +
    /// last_offset_delta`), which stays put when compaction removes records.
    pub fn last_offset(&self) -> i64 {
        self.base_offset
            .wrapping_add(i64::from(self.last_offset_delta))
    }

    /// Where to fetch next after this batch (`last_offset() + 1`).
    pub fn next_offset(&self) -> i64 {
        self.last_offset().wrapping_add(1)
    }

    /// Bytes the whole batch occupies: `12 + batch_length`.
    pub fn total_size(&self) -> usize {
        LOG_OVERHEAD + usize::try_from(self.batch_length).unwrap_or(0)
    }

    /// The records block's codec; an error for the unassigned codec ids 5-7.
    pub fn compression(&self) -> Result<Compression, RecordsError> {
        let id = self.attributes & COMPRESSION_CODEC_MASK;
        Compression::from_id(id).ok_or_else(|| {
            RecordsError::corrupt(
                self.base_offset,
                format!("unknown compression codec id {id}"),
            )
        })
    }

    /// Whether the batch belongs to a transaction (attribute bit 4); such batches must be filtered
    /// with [`super::AbortedFilter`] and lose the bit when forwarded.
    pub fn is_transactional(&self) -> bool {
        self.attributes & TRANSACTIONAL_FLAG_MASK != 0
    }

    /// Whether the batch is a control batch (transaction marker, attribute bit 5); brokers refuse
    /// them from clients, so they are never forwarded.
    pub fn is_control(&self) -> bool {
        self.attributes & CONTROL_FLAG_MASK != 0
    }

    /// Whether `base_timestamp` holds a delete horizon (attribute bit 6, set by the log cleaner).
    pub fn has_delete_horizon(&self) -> bool {
        self.attributes & DELETE_HORIZON_FLAG_MASK != 0
    }

    /// Whether record timestamps are the broker's append time (attribute bit 3), in which case
    /// every record's timestamp is `max_timestamp`.
    pub fn is_log_append_time(&self) -> bool {
        self.attributes & TIMESTAMP_TYPE_MASK != 0
    }

    /// The first record's timestamp, as far as the header tells: `base_timestamp`, unless that
    /// holds a delete horizon or the records carry the append time (then `max_timestamp`).
    pub fn first_record_timestamp(&self) -> i64 {
        if self.has_delete_horizon() || self.is_log_append_time() {
            self.max_timestamp
        } else {
            self.base_timestamp
        }
    }

    /// Whether the batch carries a producer id (idempotent or transactional producer); the Java
    /// consumer's `read_committed` logic only looks at such batches.
    pub fn has_producer_id(&self) -> bool {
        self.producer_id >= 0
    }
}

/// One complete record batch: its decoded header and its bytes.
///
/// `bytes` is a zero-copy slice of the fetch buffer (cloning a `Batch` is cheap), so forwarding a
/// batch unchanged never copies it. Build one with [`split_batches`] or [`Batch::from_bytes`];
/// the fields are public for reading, and [`super::rewrite_for_target`] re-reads the header from
/// `bytes` rather than trusting an edited copy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch {
    /// The decoded header (a copy of the first 61 bytes of `bytes`).
    pub header: BatchHeader,
    /// The whole batch, header included: exactly `header.total_size()` bytes.
    pub bytes: Bytes,
}

impl Batch {
    /// Wraps bytes holding exactly one complete batch (e.g. a fixture, or a batch stored apart
    /// from its fetch buffer); fails if the header is invalid or the length does not match.
    pub fn from_bytes(bytes: Bytes) -> Result<Batch, RecordsError> {
        let header = BatchHeader::parse(&bytes)?;
        if bytes.len() != header.total_size() {
            return Err(RecordsError::corrupt(
                header.base_offset,
                format!(
                    "batch declares {} bytes but {} were given",
                    header.total_size(),
                    bytes.len()
                ),
            ));
        }
        Ok(Batch { header, bytes })
    }

    /// The records block after the header (compressed when the codec is not `none`).
    pub fn records_block(&self) -> &[u8] {
        self.bytes.get(HEADER_SIZE..).unwrap_or(&[])
    }
}

/// The complete batches found in a Fetch response's `records` bytes.
///
/// Brokers fill a fetch up to a byte limit and may cut the last batch short; the caller must know
/// that happened so it re-fetches from the next offset instead of assuming the partition is
/// drained.
#[derive(Clone, Debug, Default)]
pub struct SplitBatches {
    /// Every complete batch, in log order.
    pub batches: Vec<Batch>,
    /// True when bytes after the last complete batch were a partial batch (ignored). When
    /// `batches` is empty and this is true, the first batch did not fit in the fetch at all.
    pub truncated_tail: bool,
}

/// Splits `records` into zero-copy batches by walking headers only (no record decoding, no CRC).
///
/// Stops at a truncated tail like the Java client's `ByteBufferLogInputStream`. Errors on a batch
/// whose magic is not 2 ([`RecordsError::UnsupportedMagic`]) or whose header is impossible
/// ([`RecordsError::CorruptBatch`]); batches before the bad one are not returned, because the
/// caller cannot make progress past it anyway.
pub fn split_batches(records: &Bytes) -> Result<SplitBatches, RecordsError> {
    let mut out = SplitBatches::default();
    let mut pos = 0usize;
    while pos < records.len() {
        let rest = &records[pos..];
        if rest.len() <= MAGIC_OFFSET {
            out.truncated_tail = true;
            break;
        }
        let base_offset = be_i64(rest, BASE_OFFSET_OFFSET);
        let magic = rest[MAGIC_OFFSET] as i8;
        if magic != MAGIC_V2 {
            return Err(RecordsError::UnsupportedMagic {
                offset: base_offset,
                magic,
            });
        }
        let batch_length = be_i32(rest, BATCH_LENGTH_OFFSET);
        if batch_length < MIN_BATCH_LENGTH {
            return Err(RecordsError::corrupt(
                base_offset,
                format!(
                    "batch length {batch_length} is shorter than the v2 header ({MIN_BATCH_LENGTH})"
                ),
            ));
        }
        // batch_length >= MIN_BATCH_LENGTH > 0, so the conversion and addition cannot fail on any
        // platform with at least 32-bit usize.
        let total = LOG_OVERHEAD + batch_length as usize;
        if rest.len() < total {
            out.truncated_tail = true;
            break;
        }
        let header = BatchHeader::parse(&rest[..total])?;
        out.batches.push(Batch {
            header,
            bytes: records.slice(pos..pos + total),
        });
        pos += total;
    }
    Ok(out)
}

/// Checks the batch's stored CRC32C against its bytes.
///
/// Forwarding keeps bytes intact, so a corruption on the source side would otherwise be
/// re-stamped with a fresh CRC and laundered into the target; this catches it first.
pub(crate) fn verify_crc(batch: &Batch) -> Result<(), RecordsError> {
    let offset = batch.header.base_offset;
    let (Some(stored), Some(covered)) = (
        batch.bytes.get(CRC_OFFSET..ATTRIBUTES_OFFSET),
        batch.bytes.get(ATTRIBUTES_OFFSET..),
    ) else {
        return Err(RecordsError::corrupt(
            offset,
            "batch shorter than its header",
        ));
    };
    let stored = u32::from_be_bytes([stored[0], stored[1], stored[2], stored[3]]);
    let actual = crc32c::crc32c(covered);
    if stored != actual {
        return Err(RecordsError::corrupt(
            offset,
            format!(
                "CRC mismatch: expected {stored:#010x} (stored), actual {actual:#010x} (computed)"
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use bytes::{BufMut, Bytes, BytesMut};
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    use super::*;
    use crate::records::test_support::*;

    fn three_batches() -> Bytes {
        let mut buf = BytesMut::new();
        buf.put_slice(&kp_batch(
            &[10, 11, 12],
            Compression::None,
            KpOpts::default(),
        ));
        buf.put_slice(&kp_batch(&[13], Compression::Gzip, KpOpts::default()));
        buf.put_slice(&kp_batch(&[14, 15], Compression::Lz4, KpOpts::default()));
        buf.freeze()
    }

    #[test]
    fn parses_every_header_field() {
        let opts = KpOpts {
            producer_id: 77,
            producer_epoch: 4,
            transactional: true,
            leader_epoch: 9,
            ..KpOpts::default()
        };
        let bytes = kp_batch(&[500, 501, 504], Compression::Zstd, opts);
        let h = BatchHeader::parse(&bytes).unwrap();
        assert_eq!(h.base_offset, 500);
        assert_eq!(h.total_size(), bytes.len());
        assert_eq!(h.partition_leader_epoch, 9);
        assert_eq!(h.magic, 2);
        assert_eq!(h.crc, u32::from_be_bytes(bytes[17..21].try_into().unwrap()));
        assert_eq!(h.compression().unwrap(), Compression::Zstd);
        assert_eq!(h.last_offset_delta, 4);
        assert_eq!(h.last_offset(), 504);
        assert_eq!(h.next_offset(), 505);
        assert_eq!(h.base_timestamp, 1_650_000_000_000 + 1500);
        assert_eq!(h.max_timestamp, 1_650_000_000_000 + 1512);
        assert_eq!(
            (h.producer_id, h.producer_epoch, h.base_sequence),
            (77, 4, 500)
        );
        assert_eq!(h.records_count, 3);
        assert!(h.is_transactional() && !h.is_control() && h.has_producer_id());
        assert!(!h.has_delete_horizon() && !h.is_log_append_time());
        // The header alone parses the same as the whole batch.
        assert_eq!(BatchHeader::parse(&bytes[..HEADER_SIZE]).unwrap(), h);
    }

    #[test]
    fn parse_flags_and_missing_producer() {
        let txn = batches(&java_txn_fixture());
        assert!(txn[2].header.is_control() && txn[2].header.is_transactional());
        let compacted = batches(&java_compacted_fixture(Compression::Snappy));
        assert!(compacted[0].header.has_delete_horizon());
        let plain = kp_batch(&[0], Compression::None, KpOpts::default());
        let h = BatchHeader::parse(&plain).unwrap();
        assert!(!h.has_producer_id() && !h.is_transactional() && !h.is_control());
    }

    #[test]
    fn parse_rejects_bad_headers() {
        let good = kp_batch(&[1, 2], Compression::None, KpOpts::default()).to_vec();
        for len in 0..HEADER_SIZE {
            assert!(matches!(
                BatchHeader::parse(&good[..len]),
                Err(RecordsError::CorruptBatch { .. })
            ));
        }
        for magic in [0u8, 1, 3, 0xff] {
            let mut b = good.clone();
            b[MAGIC_OFFSET] = magic;
            assert_eq!(
                BatchHeader::parse(&b),
                Err(RecordsError::UnsupportedMagic {
                    offset: 1,
                    magic: magic as i8
                })
            );
        }
        let mut b = good.clone();
        b[ATTRIBUTES_OFFSET + 1] = 0x05;
        let err = BatchHeader::parse(&b).unwrap_err();
        assert!(
            err.to_string().contains("unknown compression codec id 5"),
            "{err}"
        );
        let mut b = good.clone();
        b[RECORDS_COUNT_OFFSET..RECORDS_COUNT_OFFSET + 4].copy_from_slice(&(-1i32).to_be_bytes());
        assert!(BatchHeader::parse(&b).is_err());
        let mut b = good.clone();
        b[BATCH_LENGTH_OFFSET..BATCH_LENGTH_OFFSET + 4].copy_from_slice(&48i32.to_be_bytes());
        assert!(BatchHeader::parse(&b).is_err());
    }

    #[test]
    fn compression_names_and_ids() {
        let names: Vec<String> = CODECS.iter().map(|c| c.to_string()).collect();
        assert_eq!(names, ["none", "gzip", "snappy", "lz4", "zstd"]);
        for c in CODECS {
            assert_eq!(Compression::from_id(c.id()), Some(c));
        }
        assert_eq!(Compression::from_id(5), None);
    }

    #[test]
    fn splits_three_batches_zero_copy() {
        let buf = three_batches();
        let split = split_batches(&buf).unwrap();
        assert!(!split.truncated_tail);
        let offsets: Vec<(i64, i64)> = split
            .batches
            .iter()
            .map(|b| (b.header.base_offset, b.header.last_offset()))
            .collect();
        assert_eq!(offsets, [(10, 12), (13, 13), (14, 15)]);
        let total: usize = split.batches.iter().map(|b| b.bytes.len()).sum();
        assert_eq!(total, buf.len());
        // Zero-copy: every batch points into the fetch buffer.
        let range = buf.as_ptr_range();
        for b in &split.batches {
            assert!(range.contains(&b.bytes.as_ptr()));
            assert_eq!(b.bytes.len(), b.header.total_size());
            verify_crc(b).unwrap();
            assert_eq!(Batch::from_bytes(b.bytes.clone()).unwrap(), *b);
        }
        assert!(split_batches(&Bytes::new()).unwrap().batches.is_empty());
    }

    #[test]
    fn truncated_tail_at_every_cut_point() {
        let buf = three_batches();
        let ends: Vec<usize> = split_batches(&buf)
            .unwrap()
            .batches
            .iter()
            .scan(0, |end, b| {
                *end += b.bytes.len();
                Some(*end)
            })
            .collect();
        for cut in 0..=buf.len() {
            let split = split_batches(&buf.slice(..cut)).unwrap();
            let complete = ends.iter().filter(|&&e| e <= cut).count();
            assert_eq!(split.batches.len(), complete, "cut {cut}");
            let expect_tail = cut != 0 && !ends.contains(&cut);
            assert_eq!(split.truncated_tail, expect_tail, "cut {cut}");
            for b in &split.batches {
                verify_crc(b).unwrap();
            }
        }
    }

    #[test]
    fn split_rejects_old_magic_and_bad_lengths() {
        // A magic v1 message (offset 42) first: unsupported, not silently skipped.
        let mut legacy = BytesMut::new();
        legacy.put_i64(42);
        legacy.put_i32(22);
        legacy.put_u32(0); // crc
        legacy.put_i8(1); // magic
        legacy.put_slice(&[0u8; 17]);
        assert_eq!(
            split_batches(&legacy.freeze()).unwrap_err(),
            RecordsError::UnsupportedMagic {
                offset: 42,
                magic: 1
            }
        );
        let mut bad = kp_batch(&[3], Compression::None, KpOpts::default()).to_vec();
        bad[BATCH_LENGTH_OFFSET..BATCH_LENGTH_OFFSET + 4].copy_from_slice(&(-7i32).to_be_bytes());
        assert!(matches!(
            split_batches(&Bytes::from(bad)),
            Err(RecordsError::CorruptBatch { offset: 3, .. })
        ));
    }

    #[test]
    fn verify_crc_accepts_intact_and_rejects_any_flipped_byte() {
        for codec in CODECS {
            for batch in batches(&java_fixture(codec)) {
                verify_crc(&batch).unwrap();
                assert_eq!(
                    reference_crc32c(&batch.bytes[ATTRIBUTES_OFFSET..]),
                    batch.header.crc
                );
                for at in CRC_OFFSET..batch.bytes.len() {
                    let mut b = batch.bytes.to_vec();
                    b[at] ^= 0x01;
                    let corrupt = Batch {
                        header: batch.header,
                        bytes: Bytes::from(b),
                    };
                    let err = verify_crc(&corrupt).unwrap_err();
                    assert!(err.to_string().contains("CRC mismatch"), "{err}");
                }
            }
        }
    }

    #[test]
    fn from_bytes_wants_exactly_one_batch() {
        let one = kp_batch(&[1], Compression::None, KpOpts::default());
        assert!(Batch::from_bytes(one.slice(..one.len() - 1)).is_err());
        let mut two = one.to_vec();
        two.push(0);
        assert!(Batch::from_bytes(Bytes::from(two)).is_err());
    }

    #[test]
    fn fuzz_split_and_parse_never_panic() {
        let mut rng = StdRng::seed_from_u64(0x5742_1175);
        let seed = three_batches();
        for round in 0..20_000 {
            let buf: Vec<u8> = if round % 2 == 0 {
                let len = rng.random_range(0..200);
                (0..len).map(|_| rng.random()).collect()
            } else {
                // Valid-looking magic and lengths, random everything else.
                let mut b = seed.to_vec();
                for _ in 0..rng.random_range(1..6) {
                    let at = rng.random_range(0..b.len());
                    b[at] = rng.random();
                }
                b.truncate(rng.random_range(0..=b.len()));
                b
            };
            let _ = BatchHeader::parse(&buf);
            if let Ok(split) = split_batches(&Bytes::from(buf)) {
                for b in &split.batches {
                    let _ = verify_crc(b);
                    let _ = b.header.compression();
                    let _ = b.records_block();
                }
            }
        }
    }
}
