//! Which waiting batches of a partition the producer joins into one before sending them.
//!
//! The target broker's cost is per appended batch: a source written in few-record batches
//! (`linger.ms=0` at a steady rate) would make the target append one batch per source batch, and
//! once the target falls behind, every waiting batch adds a round trip to the ones behind it. So,
//! unless the operator asks for exact batch forwarding (`strait.batch.join.enabled = false`), the
//! small batches queued behind the in-flight ones are joined ([`crate::records::join`]) when there
//! are several. The rules keep what the source and the idempotent producer need:
//!
//! * only batches never sent: a batch the broker may have appended is resent byte for byte, or the
//!   broker could not recognise it as a duplicate;
//! * only small batches ([`JOIN_SMALL_BYTES`]): a catch-up of large batches stays on the copy-only
//!   path, and a joined batch stays far below the target's `max.message.bytes` ([`JOIN_MAX_BYTES`],
//!   and below any size the target refused as too large);
//! * never across a transactional, control, log-append-time or delete-horizon batch, nor across
//!   source producer ids (the source's batch framing is kept where it means something);
//! * the joined batch takes the first one's sequence number and covers all their sequences, its
//!   progress mark and source offsets cover all of theirs, so offset translation stays exact.

use bytes::Bytes;

use super::queue::{EntryState, PartitionQueue};
use crate::records::{can_join, join, BatchHeader, RecordsError};

/// Batches at most this large are joined with the small ones queued behind them. Small enough
/// that a backlog written in large batches (a catch-up) stays on the copy-only path, large enough
/// for the few-record batches a producer with `linger.ms=0` writes at a steady rate.
pub(crate) const JOIN_SMALL_BYTES: usize = 8 << 10;

/// A joined batch holds at most this many bytes of input batches, far below the target's default
/// `max.message.bytes` (1 MiB).
pub(crate) const JOIN_MAX_BYTES: usize = 256 << 10;

/// The join key of a source batch: its producer id when it may be joined with neighbours of the
/// same producer, `None` when its framing is kept (transactional, control, log-append time,
/// delete horizon).
pub(crate) fn join_key(source: &BatchHeader) -> Option<i64> {
    let keeps_framing = source.is_transactional()
        || source.is_control()
        || source.is_log_append_time()
        || source.has_delete_horizon();
    (!keeps_framing).then_some(source.producer_id)
}

impl PartitionQueue {
    /// Joins the small never-sent batches right behind the in-flight ones into one entry, when
    /// there are at least two. Returns how many entries were joined (0, or 2 and more). On error
    /// the queue is unchanged and its batches go out one by one, as they came.
    pub(crate) fn join_waiting(&mut self) -> Result<usize, RecordsError> {
        let Some(start) = (self.entries.iter()).position(|e| e.state == EntryState::Unsent) else {
            return Ok(0);
        };
        let max = self
            .too_large_at
            .map_or(JOIN_MAX_BYTES, |refused| JOIN_MAX_BYTES.min(refused - 1));
        let mut end = start;
        let mut total = 0usize;
        let mut prev: Option<(BatchHeader, Option<i64>)> = None;
        for e in self.entries.iter().skip(start) {
            let len = e.bytes.len();
            if e.state != EntryState::Unsent
                || e.sent
                || e.join_key.is_none()
                || len > JOIN_SMALL_BYTES
                || total + len > max
            {
                break;
            }
            let h = BatchHeader::parse(&e.bytes)?;
            if let Some((p, key)) = &prev {
                if *key != e.join_key || !can_join(p, &h) {
                    break;
                }
            }
            prev = Some((h, e.join_key));
            total += len;
            end += 1;
        }
        if end - start < 2 {
            return Ok(0);
        }
        let parts: Vec<Bytes> = (self.entries.range(start..end))
            .map(|e| e.bytes.clone())
            .collect();
        let joined = join(&parts)?;
        let mut taken = self.entries.drain(start..end);
        let Some(mut first) = taken.next() else {
            return Ok(0);
        };
        for e in taken {
            first.upstream.append(first.records, &e.upstream);
            first.records += e.records;
            first.mark = e.mark.or(first.mark);
            first.max_timestamp = first.max_timestamp.max(e.max_timestamp);
        }
        self.bytes = self.bytes - total + joined.len();
        first.bytes = joined;
        self.entries.insert(start, first);
        Ok(end - start)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::plan::Route;
    use crate::produce::queue::Failure;
    use crate::produce::sequence::ProducerIdentity;
    use crate::records::test_support::{kp_batch, KpOpts};
    use crate::records::{decode_records, Batch, Compression, UpstreamOffsets};

    fn batch(base: i64, n: i64, opts: KpOpts) -> Batch {
        let offsets: Vec<i64> = (base..base + n).collect();
        Batch::from_bytes(kp_batch(&offsets, Compression::None, opts)).unwrap()
    }

    fn plain(base: i64, n: i64) -> Batch {
        batch(base, n, KpOpts::default())
    }

    fn queue() -> PartitionQueue {
        PartitionQueue::new(Arc::new(Route {
            source_topic: "t".into(),
            partition: 0,
            remote_topic: "s.t".into(),
        }))
    }

    fn base_sequence(q: &PartitionQueue, i: usize) -> i32 {
        BatchHeader::parse(&q.entries[i].bytes)
            .unwrap()
            .base_sequence
    }

    /// Joined: one entry with every record, the first sequence, the last progress mark and the
    /// source offset of every record (offsets 3 and 4 were never fetched, say transaction markers
    /// of another producer's aborted transaction). A batch once sent is resent as it was and never
    /// joined; the ones behind it still are.
    #[test]
    fn small_batches_never_sent_are_joined_and_sent_ones_never_are() {
        let identity = ProducerIdentity::new(Some((9, 0)));
        let mut id = 0;
        let mut q = queue();
        q.push(vec![plain(0, 2), plain(2, 1)], 3, &identity, &mut id)
            .unwrap();
        q.push(vec![plain(5, 2)], 7, &identity, &mut id).unwrap();
        let records: Vec<_> = (q.entries.iter())
            .flat_map(|e| decode_records(&Batch::from_bytes(e.bytes.clone()).unwrap()).unwrap())
            .collect();
        assert_eq!(q.join_waiting().unwrap(), 3);
        assert_eq!(q.entries.len(), 1);
        let e = &q.entries[0];
        assert_eq!((e.records, e.mark, base_sequence(&q, 0)), (5, Some(7), 0));
        assert_eq!(
            e.upstream,
            UpstreamOffsets {
                first: 0,
                jumps: vec![(3, 5)]
            }
        );
        assert_eq!(q.bytes, e.bytes.len());
        let joined = decode_records(&Batch::from_bytes(e.bytes.clone()).unwrap()).unwrap();
        assert_eq!(joined.len(), records.len());
        for (j, r) in joined.iter().zip(&records) {
            assert_eq!(
                (&j.key, &j.value, &j.headers, j.timestamp),
                (&r.key, &r.value, &r.headers, r.timestamp)
            );
        }
        // Sent, then failed: resent as it is, never joined again.
        let first = q.next_to_send().unwrap();
        first.state = EntryState::InFlight;
        first.sent = true;
        q.push(vec![plain(7, 1)], 8, &identity, &mut id).unwrap();
        assert_eq!(q.join_waiting().unwrap(), 0, "one batch waits");
        q.push(vec![plain(8, 1)], 9, &identity, &mut id).unwrap();
        let sent_id = q.entries[0].id;
        q.fail(sent_id, Failure::Retry);
        q.resume();
        assert_eq!(q.join_waiting().unwrap(), 0, "the resent batch leads");
        q.entries[0].state = EntryState::InFlight;
        assert_eq!(q.join_waiting().unwrap(), 2, "the two behind it join");
        assert_eq!(
            (0..2).map(|i| base_sequence(&q, i)).collect::<Vec<_>>(),
            vec![0, 5]
        );
        assert_eq!(q.entries[1].records, 2);
    }

    /// Large batches are forwarded as they are; transactional batches and batches of another
    /// source producer are never joined with their neighbours.
    #[test]
    fn large_transactional_and_other_producers_batches_keep_their_framing() {
        let identity = ProducerIdentity::new(Some((9, 0)));
        let mut id = 0;
        let mut q = queue();
        // About 60 bytes per record: 300 records are well above JOIN_SMALL_BYTES.
        q.push(
            vec![plain(0, 300), plain(300, 1), plain(301, 1)],
            302,
            &identity,
            &mut id,
        )
        .unwrap();
        assert!(q.entries[0].bytes.len() > JOIN_SMALL_BYTES);
        assert_eq!(q.join_waiting().unwrap(), 0);
        q.entries[0].state = EntryState::InFlight;
        assert_eq!(q.join_waiting().unwrap(), 2);
        q.entries[1].state = EntryState::InFlight;

        let txn = KpOpts {
            producer_id: 11,
            transactional: true,
            ..KpOpts::default()
        };
        let other = KpOpts {
            producer_id: 12,
            ..KpOpts::default()
        };
        q.push(
            vec![
                batch(302, 1, txn),
                batch(303, 1, txn),
                batch(304, 1, other),
                plain(305, 1),
            ],
            306,
            &identity,
            &mut id,
        )
        .unwrap();
        assert_eq!(q.join_waiting().unwrap(), 0, "a transactional batch leads");
        q.entries[2].state = EntryState::InFlight;
        assert_eq!(q.join_waiting().unwrap(), 0, "then another");
        q.entries[3].state = EntryState::InFlight;
        assert_eq!(q.join_waiting().unwrap(), 0, "then two source producers");
    }

    /// After the target refused a size as too large, a join stays below it.
    #[test]
    fn a_join_stays_below_a_size_the_target_refused() {
        let identity = ProducerIdentity::new(Some((9, 0)));
        let mut id = 0;
        let mut q = queue();
        q.push(
            (0..6).map(|i| plain(i * 10, 10)).collect(),
            60,
            &identity,
            &mut id,
        )
        .unwrap();
        let two = q.entries[0].bytes.len() + q.entries[1].bytes.len();
        q.too_large_at = Some(two + 1);
        assert_eq!(q.join_waiting().unwrap(), 2);
        assert!(q.entries[0].bytes.len() <= two);
    }
}
