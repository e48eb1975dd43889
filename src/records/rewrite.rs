//! Turning a fetched source batch into a batch the target broker accepts from a producer.
//!
//! A fetched batch carries broker-side state a producer may not send: a real base offset and
//! leader epoch, the source producer's id/epoch/sequence, the transactional and delete-horizon
//! bits. Everything else, the records block above all, is forwarded byte for byte. The one case
//! where the records must change is a batch from a compacted topic: its offsets have gaps, so
//! `lastOffsetDelta + 1 != recordsCount`, which the broker rejects ("Inconsistent batch offset
//! range"). Such a batch is renumbered to consecutive offset deltas, each record otherwise kept
//! byte-identical, and recompressed with its own codec.

use bytes::{BufMut, BytesMut};

use super::batch::{
    verify_crc, Batch, Compression, ATTRIBUTES_OFFSET, BASE_OFFSET_OFFSET, BASE_SEQUENCE_OFFSET,
    BATCH_LENGTH_OFFSET, CRC_OFFSET, DELETE_HORIZON_FLAG_MASK, HEADER_SIZE,
    LAST_OFFSET_DELTA_OFFSET, LOG_OVERHEAD, PARTITION_LEADER_EPOCH_OFFSET, PRODUCER_EPOCH_OFFSET,
    PRODUCER_ID_OFFSET, TRANSACTIONAL_FLAG_MASK,
};
use super::record::{compress, put_varint, uncompressed_block, RecordIter};
use super::RecordsError;

/// The producer identity stamped on a forwarded batch.
///
/// The target cluster deduplicates by the *target* producer's id, epoch and sequence, so the
/// produce layer owns these and hands them in per batch; `-1/-1/-1` writes a non-idempotent batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProducerFields {
    /// Target producer id, or -1.
    pub producer_id: i64,
    /// Target producer epoch, or -1.
    pub producer_epoch: i16,
    /// Sequence number of the batch's first record, or -1.
    pub base_sequence: i32,
}

/// What [`rewrite_for_target`] appended.
///
/// The produce layer advances its sequence counter by `records` and accounts `bytes` against its
/// request size; `renumbered` feeds a metric, since renumbering costs a decompress/recompress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rewritten {
    /// Sequence numbers the batch consumes (`last_offset_delta + 1` of the rewritten batch, which
    /// equals its record count).
    pub records: i32,
    /// Bytes appended to `out`.
    pub bytes: usize,
    /// Whether the records were renumbered (the source batch had offset gaps).
    pub renumbered: bool,
}

/// Appends to `out` the produce-ready copy of `batch`, or returns `None` for a batch that must not
/// be forwarded.
///
/// * `None` for a control batch (brokers reject transaction markers from clients) and for an empty
///   batch (`recordsCount == 0`, left by compaction to keep producer state; brokers reject those).
/// * Otherwise the copy has baseOffset 0, partitionLeaderEpoch -1, the transactional and
///   delete-horizon bits cleared, producer id/epoch/base sequence from `producer`, and a fresh
///   CRC32C. Timestamps, codec and records are untouched, except that a batch with offset gaps is
///   renumbered (see the module docs) and gets `lastOffsetDelta = recordsCount - 1`.
///
/// The source CRC is verified first: a corrupt batch is an error, never re-stamped as valid. On
/// error `out` is left as it was.
pub fn rewrite_for_target(
    batch: &Batch,
    producer: ProducerFields,
    out: &mut BytesMut,
) -> Result<Option<Rewritten>, RecordsError> {
    let h = &batch.header;
    if batch.bytes.len() != h.total_size() || batch.bytes.len() < HEADER_SIZE {
        return Err(RecordsError::corrupt(
            h.base_offset,
            format!(
                "batch declares {} bytes but holds {}",
                h.total_size(),
                batch.bytes.len()
            ),
        ));
    }
    verify_crc(batch)?;
    if h.is_control() || h.records_count == 0 {
        return Ok(None);
    }
    if h.records_count < 0 {
        return Err(RecordsError::corrupt(
            h.base_offset,
            format!("negative record count {}", h.records_count),
        ));
    }
    let start = out.len();
    if i64::from(h.last_offset_delta) + 1 == i64::from(h.records_count) {
        out.extend_from_slice(&batch.bytes);
        patch_header(&mut out[start..], producer, None);
        return Ok(Some(Rewritten {
            records: h.records_count,
            bytes: out.len() - start,
            renumbered: false,
        }));
    }

    let block = renumbered_block(batch)?;
    let batch_length = i32::try_from(HEADER_SIZE - LOG_OVERHEAD + block.len())
        .map_err(|_| RecordsError::corrupt(h.base_offset, "renumbered batch exceeds 2 GiB"))?;
    out.reserve(HEADER_SIZE + block.len());
    out.extend_from_slice(&batch.bytes[..HEADER_SIZE]);
    out.extend_from_slice(&block);
    let last_delta = h.records_count - 1;
    patch_header(
        &mut out[start..],
        producer,
        Some((last_delta, batch_length)),
    );
    Ok(Some(Rewritten {
        records: h.records_count,
        bytes: out.len() - start,
        renumbered: true,
    }))
}

/// The batch's records re-emitted with offset deltas 0..n-1, compressed with the batch's codec.
///
/// Each record keeps its attribute byte, timestamp-delta bytes, key, value and header bytes
/// verbatim; only the offset-delta varint and the record-length varint in front are re-encoded.
fn renumbered_block(batch: &Batch) -> Result<Vec<u8>, RecordsError> {
    let h = &batch.header;
    let codec = h.compression()?;
    let block = uncompressed_block(batch)?;
    let mut new_block = BytesMut::with_capacity(block.len().saturating_add(16));
    let mut iter = RecordIter::new(&block);
    let mut n: i32 = 0;
    let mut previous_delta: Option<i32> = None;
    while let Some(raw) = iter.next_raw() {
        let raw = raw.map_err(|e| e.at(h.base_offset))?;
        let delta = raw.view.offset_delta;
        if delta < 0 || delta > h.last_offset_delta || previous_delta.is_some_and(|p| delta <= p) {
            return Err(RecordsError::corrupt(
                h.base_offset,
                format!(
                    "record {n} has offset delta {delta}, out of order or beyond last offset delta {}",
                    h.last_offset_delta
                ),
            ));
        }
        previous_delta = Some(delta);
        let span = raw.offset_delta_span.clone();
        let mut delta_bytes = BytesMut::with_capacity(5);
        put_varint(&mut delta_bytes, n);
        let body_len = raw.body.len() - span.len() + delta_bytes.len();
        let body_len = i32::try_from(body_len)
            .map_err(|_| RecordsError::corrupt(h.base_offset, "record exceeds 2 GiB"))?;
        put_varint(&mut new_block, body_len);
        new_block.put_slice(&raw.body[..span.start]);
        new_block.put_slice(&delta_bytes);
        new_block.put_slice(&raw.body[span.end..]);
        n = n
            .checked_add(1)
            .ok_or_else(|| RecordsError::corrupt(h.base_offset, "more than 2^31 records"))?;
    }
    if n != h.records_count {
        return Err(RecordsError::corrupt(
            h.base_offset,
            format!(
                "batch declares {} records but its block holds {n}",
                h.records_count
            ),
        ));
    }
    match codec {
        Compression::None => Ok(new_block.to_vec()),
        c => compress(c, &new_block).map_err(|e| e.at(h.base_offset)),
    }
}

/// Rewrites the producer-visible header fields of a batch copy in place and recomputes its CRC.
/// `renumbered` carries the new `(lastOffsetDelta, batchLength)` when the records block changed.
fn patch_header(buf: &mut [u8], producer: ProducerFields, renumbered: Option<(i32, i32)>) {
    fn put(buf: &mut [u8], at: usize, bytes: &[u8]) {
        buf[at..at + bytes.len()].copy_from_slice(bytes);
    }
    put(buf, BASE_OFFSET_OFFSET, &0i64.to_be_bytes());
    put(buf, PARTITION_LEADER_EPOCH_OFFSET, &(-1i32).to_be_bytes());
    let attributes = i16::from_be_bytes([buf[ATTRIBUTES_OFFSET], buf[ATTRIBUTES_OFFSET + 1]])
        & !(TRANSACTIONAL_FLAG_MASK | DELETE_HORIZON_FLAG_MASK);
    put(buf, ATTRIBUTES_OFFSET, &attributes.to_be_bytes());
    put(buf, PRODUCER_ID_OFFSET, &producer.producer_id.to_be_bytes());
    put(
        buf,
        PRODUCER_EPOCH_OFFSET,
        &producer.producer_epoch.to_be_bytes(),
    );
    put(
        buf,
        BASE_SEQUENCE_OFFSET,
        &producer.base_sequence.to_be_bytes(),
    );
    if let Some((last_offset_delta, batch_length)) = renumbered {
        put(
            buf,
            LAST_OFFSET_DELTA_OFFSET,
            &last_offset_delta.to_be_bytes(),
        );
        put(buf, BATCH_LENGTH_OFFSET, &batch_length.to_be_bytes());
    }
    let crc = crc32c::crc32c(&buf[ATTRIBUTES_OFFSET..]);
    put(buf, CRC_OFFSET, &crc.to_be_bytes());
}
