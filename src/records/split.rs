//! Cutting a produce-ready batch in two, for a target that refuses it as too large.
//!
//! strait forwards source batches whole, so a target topic whose `max.message.bytes` is below a
//! source batch (lowered by an operator, or smaller than the source's) refuses it with
//! MESSAGE_TOO_LARGE, where MirrorMaker 2, which re-batches, would not notice. Such a batch is cut
//! into two halves by record count, each re-emitted with its own codec; a half still too large is
//! cut again when the target refuses it. Every record keeps its attribute, timestamp-delta, key,
//! value and header bytes verbatim (the base timestamp is kept, so timestamps are unchanged); only
//! the offset-delta varints, the header counts and the CRC are new.

use super::batch::{
    Batch, BatchHeader, ATTRIBUTES_OFFSET, BASE_SEQUENCE_OFFSET, BATCH_LENGTH_OFFSET, CRC_OFFSET,
    HEADER_SIZE, LAST_OFFSET_DELTA_OFFSET, LOG_OVERHEAD, MAX_TIMESTAMP_OFFSET,
    RECORDS_COUNT_OFFSET,
};
use super::rewrite::{renumbered_block_from, Deltas};
use super::RecordsError;
use bytes::BytesMut;

/// The two halves of a produce-ready `batch` (consecutive offset deltas, as
/// [`super::rewrite_for_target`] writes it): the first `n / 2` records, then the rest, with the
/// base sequence of the second moved on by the first's record count. `None` for a batch of fewer
/// than two records, which cannot be cut.
pub(crate) fn split_in_two(batch: &Batch) -> Result<Option<[Batch; 2]>, RecordsError> {
    let h = BatchHeader::parse(&batch.bytes)?;
    if h.records_count < 2 || h.is_control() {
        return Ok(None);
    }
    if i64::from(h.last_offset_delta) + 1 != i64::from(h.records_count) {
        return Err(RecordsError::corrupt(
            h.base_offset,
            "only a batch with consecutive offsets (a produce-ready one) can be split",
        ));
    }
    super::batch::verify_crc(batch)?;
    let half = h.records_count / 2;
    let cut = h.base_offset + i64::from(half);
    let first = piece(batch, &h, h.base_offset..cut, h.base_sequence)?;
    let second_sequence = if h.base_sequence < 0 {
        h.base_sequence
    } else {
        // Sequences wrap from i32::MAX to 0, as the broker counts them.
        ((i64::from(h.base_sequence) + i64::from(half)) % (i64::from(i32::MAX) + 1)) as i32
    };
    let second = piece(batch, &h, cut..i64::MAX, second_sequence)?;
    Ok(Some([first, second]))
}

/// The records of `batch` in `keep` as a batch of their own, starting at `base_sequence`.
fn piece(
    batch: &Batch,
    h: &BatchHeader,
    keep: std::ops::Range<i64>,
    base_sequence: i32,
) -> Result<Batch, RecordsError> {
    let kept = renumbered_block_from(batch, keep, Deltas::Renumber)?;
    let batch_length = i32::try_from(HEADER_SIZE - LOG_OVERHEAD + kept.block.len())
        .map_err(|_| RecordsError::corrupt(h.base_offset, "split batch exceeds 2 GiB"))?;
    let mut out = BytesMut::with_capacity(HEADER_SIZE + kept.block.len());
    out.extend_from_slice(&batch.bytes[..HEADER_SIZE]);
    out.extend_from_slice(&kept.block);
    let mut put = |at: usize, bytes: &[u8]| out[at..at + bytes.len()].copy_from_slice(bytes);
    put(BATCH_LENGTH_OFFSET, &batch_length.to_be_bytes());
    put(LAST_OFFSET_DELTA_OFFSET, &(kept.count - 1).to_be_bytes());
    put(RECORDS_COUNT_OFFSET, &kept.count.to_be_bytes());
    put(BASE_SEQUENCE_OFFSET, &base_sequence.to_be_bytes());
    if !h.is_log_append_time() {
        if let Some(d) = kept.max_timestamp_delta {
            let max = h.base_timestamp.saturating_add(d);
            put(MAX_TIMESTAMP_OFFSET, &max.to_be_bytes());
        }
    }
    let crc = crc32c::crc32c(&out[ATTRIBUTES_OFFSET..]);
    out[CRC_OFFSET..ATTRIBUTES_OFFSET].copy_from_slice(&crc.to_be_bytes());
    Batch::from_bytes(out.freeze())
}

#[cfg(test)]
mod tests {
    use bytes::BytesMut;

    use super::*;
    use crate::records::batch::verify_crc;
    use crate::records::test_support::{kp_batch, KpOpts, CODECS};
    use crate::records::{decode_records, rewrite_for_target, Compression, ProducerFields};

    /// A produce-ready batch of `n` records (offsets with a gap, so rewriting renumbers them).
    fn ready(n: i64, codec: Compression, sequence: i32) -> Batch {
        let offsets: Vec<i64> = (0..n).map(|i| 100 + i * 2).collect();
        let source = Batch::from_bytes(kp_batch(&offsets, codec, KpOpts::default())).unwrap();
        let mut out = BytesMut::new();
        rewrite_for_target(
            &source,
            ProducerFields {
                producer_id: 7,
                producer_epoch: 1,
                base_sequence: sequence,
            },
            &mut out,
        )
        .unwrap()
        .unwrap();
        Batch::from_bytes(out.freeze()).unwrap()
    }

    /// Every codec: the halves hold the same records (key, value, headers, timestamp) in the same
    /// order, each is a valid batch with consecutive offsets and its own sequence, and cutting
    /// again keeps working down to one record.
    #[test]
    fn halves_keep_every_record_and_their_sequences_follow() {
        for codec in CODECS {
            let whole = ready(7, codec, i32::MAX - 1);
            let records = decode_records(&whole).unwrap();
            let [a, b] = split_in_two(&whole).unwrap().unwrap();
            for (piece, n, seq) in [(&a, 3, i32::MAX - 1), (&b, 4, 1)] {
                verify_crc(piece).unwrap();
                assert_eq!(piece.header.records_count, n, "{codec:?}");
                assert_eq!(piece.header.last_offset_delta, n - 1);
                assert_eq!(
                    piece.header.base_sequence, seq,
                    "{codec:?}: wraps at i32::MAX"
                );
                assert_eq!(piece.header.producer_id, 7);
                assert_eq!(piece.header.compression().unwrap(), codec);
            }
            let mut joined = decode_records(&a).unwrap();
            for mut r in decode_records(&b).unwrap() {
                r.offset += 3;
                joined.push(r);
            }
            assert_eq!(joined, records, "{codec:?}");
            assert_eq!(
                b.header.max_timestamp,
                records.iter().map(|r| r.timestamp).max().unwrap()
            );
            let [c, d] = split_in_two(&a).unwrap().unwrap();
            assert_eq!((c.header.records_count, d.header.records_count), (1, 2));
            assert!(
                split_in_two(&c).unwrap().is_none(),
                "one record cannot be cut"
            );
        }
    }

    #[test]
    fn a_corrupt_batch_is_not_split() {
        let whole = ready(4, Compression::None, 0);
        let mut bytes = whole.bytes.to_vec();
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        let corrupt = Batch::from_bytes(bytes.into()).unwrap();
        assert!(matches!(
            split_in_two(&corrupt),
            Err(RecordsError::CorruptBatch { .. })
        ));
    }
}
