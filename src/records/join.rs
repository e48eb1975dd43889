//! Joining consecutive small batches, already rewritten for the target, into one batch.
//!
//! A broker accepts one batch per partition in a Produce request (v3+), and its cost is per
//! appended batch. A source written in few-record batches (a Java producer with `linger.ms=0` at a
//! steady rate) makes the target append one batch per source batch, and when the target falls
//! behind, batches wait in strait's queue and each adds a round trip to the ones behind it. A Kafka
//! producer's accumulator avoids that by filling one batch while earlier requests are in flight;
//! [`join`] does the same for batches that are waiting anyway (the producer decides which, see
//! `produce::joining`). Each record's attribute byte, key, value and headers stay byte-identical
//! and its timestamp and order are unchanged; only its timestamp delta (rebased to the first
//! batch's base timestamp), offset delta (renumbered) and length are re-encoded, and the block is
//! recompressed with the batches' own codec.

use bytes::{BufMut, Bytes, BytesMut};

use super::batch::{
    Batch, BatchHeader, Compression, ATTRIBUTES_OFFSET, BATCH_LENGTH_OFFSET, CRC_OFFSET,
    HEADER_SIZE, LAST_OFFSET_DELTA_OFFSET, LOG_OVERHEAD, MAX_TIMESTAMP_OFFSET,
    RECORDS_COUNT_OFFSET,
};
use super::record::{compress, put_varint, put_varlong, uncompressed_block, RecordIter};
use super::rewrite::all_records_seen;
use super::RecordsError;

/// Whether `next` may be appended to `prev` in one batch: both plain producer batches of the same
/// codec and timestamp type with create-time timestamps, consecutive offsets (no compaction gaps),
/// the same producer id and epoch, and `next`'s sequence continuing `prev`'s without wrapping.
pub(crate) fn can_join(prev: &BatchHeader, next: &BatchHeader) -> bool {
    let plain = |h: &BatchHeader| {
        !h.is_control()
            && !h.is_transactional()
            && !h.is_log_append_time()
            && !h.has_delete_horizon()
            && h.records_count > 0
            && i64::from(h.last_offset_delta) + 1 == i64::from(h.records_count)
    };
    if !plain(prev) || !plain(next) || prev.attributes != next.attributes {
        return false;
    }
    if prev.producer_id != next.producer_id || prev.producer_epoch != next.producer_epoch {
        return false;
    }
    if prev.producer_id < 0 {
        return prev.base_sequence == next.base_sequence;
    }
    i64::from(prev.base_sequence) + i64::from(prev.records_count) == i64::from(next.base_sequence)
}

/// One batch holding the records of `parts` in order, which must be consecutive batches that
/// [`can_join`] accepts pairwise (checked again here). The result keeps the first batch's header
/// (producer id, epoch and base sequence, base timestamp, attributes) with the record count, last
/// offset delta, length, max timestamp and CRC of the whole.
pub(crate) fn join(parts: &[Bytes]) -> Result<Bytes, RecordsError> {
    let batches = parts
        .iter()
        .map(|p| Batch::from_bytes(p.clone()))
        .collect::<Result<Vec<_>, _>>()?;
    let Some(first) = batches.first() else {
        return Err(RecordsError::corrupt(-1, "nothing to join"));
    };
    let h0 = &first.header;
    for pair in batches.windows(2) {
        if !can_join(&pair[0].header, &pair[1].header) {
            return Err(RecordsError::corrupt(
                pair[1].header.base_offset,
                "batches cannot be joined (different producer fields, codec or sequence)",
            ));
        }
    }
    let codec = h0.compression()?;
    let mut block = BytesMut::with_capacity(parts.iter().map(|p| p.len()).sum::<usize>());
    let mut head = BytesMut::with_capacity(16);
    let mut n: i32 = 0;
    let mut max_timestamp = h0.max_timestamp;
    for b in &batches {
        let h = &b.header;
        let shift = h
            .base_timestamp
            .checked_sub(h0.base_timestamp)
            .ok_or_else(|| RecordsError::corrupt(h.base_offset, "timestamps too far apart"))?;
        max_timestamp = max_timestamp.max(h.max_timestamp);
        let raw_block = uncompressed_block(b)?;
        let mut iter = RecordIter::new(&raw_block);
        let mut seen: i32 = 0;
        while let Some(raw) = iter.next_raw() {
            let raw = raw.map_err(|e| e.at(h.base_offset))?;
            let delta = raw
                .view
                .timestamp_delta
                .checked_add(shift)
                .ok_or_else(|| RecordsError::corrupt(h.base_offset, "timestamp overflow"))?;
            head.clear();
            head.put_i8(raw.view.attributes);
            put_varlong(&mut head, delta);
            put_varint(&mut head, n);
            let rest = &raw.body[raw.offset_delta_span.end..];
            let len = i32::try_from(head.len() + rest.len())
                .map_err(|_| RecordsError::corrupt(h.base_offset, "record exceeds 2 GiB"))?;
            put_varint(&mut block, len);
            block.put_slice(&head);
            block.put_slice(rest);
            n = n
                .checked_add(1)
                .ok_or_else(|| RecordsError::corrupt(h.base_offset, "more than 2^31 records"))?;
            seen += 1;
        }
        all_records_seen(h, seen)?;
    }
    let block = match codec {
        Compression::None => block.freeze(),
        c => Bytes::from(compress(c, &block).map_err(|e| e.at(h0.base_offset))?),
    };
    let batch_length = i32::try_from(HEADER_SIZE - LOG_OVERHEAD + block.len())
        .map_err(|_| RecordsError::corrupt(h0.base_offset, "joined batch exceeds 2 GiB"))?;
    let mut out = BytesMut::with_capacity(HEADER_SIZE + block.len());
    out.extend_from_slice(&first.bytes[..HEADER_SIZE]);
    out.extend_from_slice(&block);
    let mut put = |at: usize, bytes: &[u8]| out[at..at + bytes.len()].copy_from_slice(bytes);
    put(BATCH_LENGTH_OFFSET, &batch_length.to_be_bytes());
    put(LAST_OFFSET_DELTA_OFFSET, &(n - 1).to_be_bytes());
    put(MAX_TIMESTAMP_OFFSET, &max_timestamp.to_be_bytes());
    put(RECORDS_COUNT_OFFSET, &n.to_be_bytes());
    let crc = crc32c::crc32c(&out[ATTRIBUTES_OFFSET..]);
    out[CRC_OFFSET..ATTRIBUTES_OFFSET].copy_from_slice(&crc.to_be_bytes());
    Ok(out.freeze())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::test_support::{kp_batch, KpOpts, CODECS};
    use crate::records::{decode_records, rewrite_for_target, verify_crc, ProducerFields};

    /// A source batch of `offsets` rewritten for the target as producer 7, epoch 1, from `seq`.
    fn rewritten(offsets: &[i64], codec: Compression, seq: i32) -> Bytes {
        let src = Batch::from_bytes(kp_batch(offsets, codec, KpOpts::default())).unwrap();
        let mut out = BytesMut::new();
        rewrite_for_target(
            &src,
            ProducerFields {
                producer_id: 7,
                producer_epoch: 1,
                base_sequence: seq,
            },
            &mut out,
        )
        .unwrap()
        .unwrap();
        out.freeze()
    }

    #[test]
    fn a_joined_batch_holds_every_record_in_order_with_the_first_header() {
        for codec in CODECS {
            let a = rewritten(&[10, 11, 12], codec, 100);
            let b = rewritten(&[13, 14], codec, 103);
            let c = rewritten(&[15], codec, 105);
            let joined =
                Batch::from_bytes(join(&[a.clone(), b.clone(), c.clone()]).unwrap()).unwrap();
            verify_crc(&joined).unwrap();
            let h = &joined.header;
            assert_eq!(h.records_count, 6, "{codec:?}");
            assert_eq!(h.last_offset_delta, 5);
            assert_eq!(h.base_sequence, 100);
            assert_eq!((h.producer_id, h.producer_epoch), (7, 1));
            assert_eq!(h.compression().unwrap(), codec);
            let expected: Vec<_> = [a, b, c]
                .into_iter()
                .flat_map(|p| decode_records(&Batch::from_bytes(p).unwrap()).unwrap())
                .collect();
            let got = decode_records(&joined).unwrap();
            assert_eq!(got.len(), expected.len());
            for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
                assert_eq!(g.offset, i as i64, "{codec:?}: records are renumbered");
                assert_eq!(g.timestamp, e.timestamp, "{codec:?}: timestamps kept");
                assert_eq!(
                    (&g.key, &g.value, &g.headers),
                    (&e.key, &e.value, &e.headers)
                );
            }
            assert_eq!(
                h.max_timestamp,
                got.iter().map(|r| r.timestamp).max().unwrap()
            );
        }
    }

    #[test]
    fn only_consecutive_plain_batches_of_one_producer_join() {
        let header = |b: &Bytes| BatchHeader::parse(b).unwrap();
        let a = rewritten(&[0, 1], Compression::Lz4, 0);
        assert!(can_join(
            &header(&a),
            &header(&rewritten(&[2], Compression::Lz4, 2))
        ));
        // A sequence gap, another codec, another producer epoch.
        assert!(!can_join(
            &header(&a),
            &header(&rewritten(&[2], Compression::Lz4, 3))
        ));
        assert!(!can_join(
            &header(&a),
            &header(&rewritten(&[2], Compression::None, 2))
        ));
        let mut other_epoch = BytesMut::from(&rewritten(&[2], Compression::Lz4, 2)[..]);
        other_epoch[crate::records::batch::PRODUCER_EPOCH_OFFSET + 1] = 2;
        assert!(!can_join(&header(&a), &header(&other_epoch.freeze())));
        // A join of batches that do not fit is an error, never a wrong batch.
        assert!(join(&[a.clone(), rewritten(&[2], Compression::Lz4, 5)]).is_err());
        assert!(join(&[]).is_err());
    }

    /// Cutting the source offsets of a batch anywhere and appending the halves again gives the
    /// original back: a joined batch names the source offset of every record it holds.
    #[test]
    fn appended_upstream_offsets_keep_every_source_offset() {
        use crate::records::UpstreamOffsets;
        let whole = UpstreamOffsets {
            first: 10,
            jumps: vec![(2, 20), (5, 40)],
        };
        for at in 1..7 {
            let (mut a, b) = whole.split_at(at);
            a.append(at, &b);
            assert_eq!(a, whole, "cut at {at}");
        }
    }
}
