//! Per-partition queues of rewritten batches on their way to the target, and the rules that keep
//! an idempotent producer's batches in sequence order while several requests are in flight.
//!
//! Kafka accepts exactly one batch per partition in a Produce request (v3+), so a fetched chunk of
//! N batches leaves as N requests' worth of that partition, pipelined: up to
//! [`MAX_IN_FLIGHT`] requests per leader, each carrying the next batch of every partition it leads.
//! When a batch fails, later batches of the same partition fail too (sequence gap); the partition
//! stops sending until all of its in-flight batches have answered, then resends from its first
//! unacknowledged batch with the same sequence numbers, which the broker de-duplicates.

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};

use super::sequence::{next_sequence, ProducerIdentity};
use crate::plan::Route;
use crate::records::{
    rewrite_verified, split_in_two, Batch, RecordsError, Rewritten, UpstreamOffsets,
};

/// Requests in flight per target leader: the idempotent producer's ordering guarantee holds for up
/// to 5 (the broker remembers the last 5 batches of each producer and partition).
pub const MAX_IN_FLIGHT: usize = 5;

/// Where a queued batch stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryState {
    /// Not sent (or to be resent).
    Unsent,
    /// In a request that has not answered.
    InFlight,
    /// Appended on the target.
    Acked,
}

/// One source batch rewritten for the target.
#[derive(Debug)]
pub struct Entry {
    /// Unique within the task, to match answers to entries.
    pub id: u64,
    /// The bytes sent (producer fields and CRC rewritten).
    pub bytes: Bytes,
    /// Once this entry and all before it are acknowledged, every source record before this offset
    /// is on the target.
    pub mark: Option<i64>,
    /// Progress of this entry.
    pub state: EntryState,
    /// Records in the batch.
    pub records: i32,
    /// Where on the source each record came from.
    pub upstream: UpstreamOffsets,
    /// The target offset of its first record, once appended.
    pub base_offset: Option<i64>,
    /// The batch's max timestamp (its newest record), for the replication latency metric.
    pub max_timestamp: i64,
    /// Whether it was ever put in a request: only batches never sent may be joined, since a batch
    /// the broker may have appended must be resent byte for byte to be de-duplicated.
    pub sent: bool,
    /// The source producer id of a batch that may be joined with its neighbours of the same source
    /// producer; `None` for a source batch that keeps its own framing (transactional, log-append
    /// time, with a delete horizon). See `produce::joining`.
    pub join_key: Option<i64>,
}

/// A batch that is on the target, for offset-syncs: its records, their source offsets and the
/// target offset of the first one (`None` when the broker did not say, e.g. a duplicate).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Landed {
    /// Records in the batch.
    pub records: i32,
    /// Their source offsets.
    pub upstream: UpstreamOffsets,
    /// Target offset of the first record.
    pub base_offset: Option<i64>,
    /// Bytes of the batch as sent (for the byte-count metric).
    pub bytes: usize,
    /// The batch's max timestamp (for the replication latency metric).
    pub max_timestamp: i64,
}

/// How the last failures of a partition are to be handled once its in-flight batches answered.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Failure {
    /// No failure pending.
    #[default]
    None,
    /// Retry with the same producer id and sequences (leader moved, timeout, ...).
    Retry,
    /// Only sequence errors: the target lost this producer's state; a new producer id is needed.
    Sequence,
    /// The target refuses the data for good (too large, not authorized, invalid): park it.
    Refused(String),
}

impl Failure {
    /// Combines two failures: a refusal wins over a retry, a retry over a sequence error (a
    /// sequence error after another failure of the same partition is just its consequence).
    pub fn merge(self, other: Failure) -> Failure {
        match (self, other) {
            (Failure::Refused(a), _) => Failure::Refused(a),
            (_, Failure::Refused(b)) => Failure::Refused(b),
            (Failure::Retry, _) | (_, Failure::Retry) => Failure::Retry,
            (Failure::Sequence, _) | (_, Failure::Sequence) => Failure::Sequence,
            (Failure::None, Failure::None) => Failure::None,
        }
    }
}

/// The queue of one target partition.
#[derive(Debug)]
pub struct PartitionQueue {
    /// Source partition and remote topic.
    pub route: Arc<Route>,
    /// Batches in order; acknowledged ones are popped from the front.
    pub entries: VecDeque<Entry>,
    /// Failures seen since the partition last sent cleanly; sending stops while not `None`.
    pub failure: Failure,
    /// Bytes queued (for the producer's memory bound).
    pub bytes: usize,
    /// Whether the target acknowledged a batch of this partition under the current producer id.
    /// Until then only one batch may be in flight: a broker accepts any sequence number as a new
    /// producer's first write, so a second pipelined batch could land before a first one that hit
    /// a retriable error (the partition of a just-created topic not ready yet), out of order.
    pub confirmed: bool,
    /// Sequence number of the next batch encoded for this partition under the current identity.
    pub next_sequence: i32,
    /// The smallest batch the target refused as too large: later batches this big are cut before
    /// they are sent (see [`PartitionQueue::too_large`]).
    pub too_large_at: Option<usize>,
    /// The partition's metric handles, resolved once by the producer (None when metrics are off).
    pub metrics: Option<crate::metrics::PartitionMetrics>,
}

impl PartitionQueue {
    /// An empty queue for `route`.
    pub fn new(route: Arc<Route>) -> Self {
        PartitionQueue {
            route,
            entries: VecDeque::new(),
            failure: Failure::None,
            bytes: 0,
            confirmed: false,
            next_sequence: 0,
            too_large_at: None,
            metrics: None,
        }
    }

    /// Records a fetched chunk of this partition in its metrics (record age per batch, and the
    /// lag's source end and pending batches); nothing when metrics are off.
    pub(crate) fn note_fetched(&self, chunk: &crate::fetch::Chunk) {
        let Some(m) = &self.metrics else {
            return;
        };
        let now = crate::clock::now_ms();
        for b in chunk.batches.iter().filter(|b| !b.header.is_control()) {
            m.fetched(b.header.max_timestamp, now);
        }
        let first = chunk.batches.first();
        m.lag_fetched(
            chunk.source_end,
            first.map_or(chunk.next_offset, |b| b.header.base_offset),
            (chunk.batches.iter())
                .map(|b| (b.header.last_offset(), b.header.first_record_timestamp())),
        );
    }

    /// Rewrites `batches` under the current producer identity and appends them; `next_offset` is
    /// the progress mark reached once they are all acknowledged. Returns the mark to record at once
    /// when nothing is queued before it and nothing was added (only markers were fetched).
    pub fn push(
        &mut self,
        batches: Vec<Batch>,
        next_offset: i64,
        identity: &ProducerIdentity,
        next_id: &mut u64,
    ) -> Result<Option<i64>, RecordsError> {
        for batch in batches {
            if let Some((bytes, written)) = self.encode(&batch, identity)? {
                *next_id += 1;
                let entry = Entry {
                    id: *next_id,
                    bytes,
                    mark: None,
                    state: EntryState::Unsent,
                    records: written.records,
                    upstream: written.upstream,
                    base_offset: None,
                    max_timestamp: batch.header.max_timestamp,
                    sent: false,
                    join_key: super::joining::join_key(&batch.header),
                };
                let limit = self.too_large_at;
                for piece in cut_below(entry, limit, next_id)? {
                    self.bytes += piece.bytes.len();
                    self.entries.push_back(piece);
                }
            }
        }
        match self.entries.back_mut() {
            Some(last) => {
                last.mark = Some(next_offset);
                Ok(None)
            }
            None => Ok(Some(next_offset)),
        }
    }

    /// The next batch to send, if the partition may send: no pending failure and an unsent entry
    /// right after the in-flight/acknowledged prefix.
    pub fn next_to_send(&mut self) -> Option<&mut Entry> {
        if self.failure != Failure::None || (!self.confirmed && self.in_flight()) {
            return None;
        }
        self.entries
            .iter_mut()
            .find(|e| e.state == EntryState::Unsent)
    }

    /// Whether any entry is in flight.
    pub fn in_flight(&self) -> bool {
        self.entries.iter().any(|e| e.state == EntryState::InFlight)
    }

    /// Marks entry `id` acknowledged (stored from target offset `base_offset`, negative if the
    /// broker did not say) and pops the acknowledged prefix into `landed`, in order; returns the
    /// furthest progress mark popped.
    pub fn ack(&mut self, id: u64, base_offset: i64, landed: &mut Vec<Landed>) -> Option<i64> {
        if let Some(e) = self.entries.iter_mut().find(|e| e.id == id) {
            e.state = EntryState::Acked;
            e.base_offset = (base_offset >= 0).then_some(base_offset);
            self.confirmed = true;
        }
        let mut mark = None;
        while self
            .entries
            .front()
            .is_some_and(|e| e.state == EntryState::Acked)
        {
            if let Some(e) = self.entries.pop_front() {
                self.bytes -= e.bytes.len();
                mark = e.mark.or(mark);
                landed.push(Landed {
                    records: e.records,
                    upstream: e.upstream,
                    base_offset: e.base_offset,
                    bytes: e.bytes.len(),
                    max_timestamp: e.max_timestamp,
                });
            }
        }
        mark
    }

    /// Records a failed entry: it goes back to unsent and the partition stops sending until
    /// [`PartitionQueue::resume`].
    pub fn fail(&mut self, id: u64, failure: Failure) {
        if let Some(e) = self.entries.iter_mut().find(|e| e.id == id) {
            e.state = EntryState::Unsent;
        }
        self.failure = std::mem::take(&mut self.failure).merge(failure);
    }

    /// The target refused entry `id` as too large (its `max.message.bytes` is below the batch):
    /// the entry is cut in two in place (same sequence numbers in all, so nothing else in the
    /// queue changes) and the partition retries; batches at least this large are cut before they
    /// are sent from now on. A single record that is too large cannot be cut: the partition is
    /// refused with `why`. Returns whether the entry was cut.
    pub fn too_large(
        &mut self,
        id: u64,
        why: &str,
        next_id: &mut u64,
    ) -> Result<bool, RecordsError> {
        let Some(at) = self.entries.iter().position(|e| e.id == id) else {
            return Ok(false);
        };
        let size = self.entries[at].bytes.len();
        let pieces = match split_entry(&self.entries[at], next_id)? {
            Some(pieces) => pieces,
            None => {
                self.fail(
                    id,
                    Failure::Refused(format!(
                        "{why}: a single record of {size} bytes is larger than the target topic accepts (max.message.bytes)"
                    )),
                );
                return Ok(false);
            }
        };
        self.too_large_at = Some(self.too_large_at.map_or(size, |s| s.min(size)));
        self.entries.remove(at);
        self.bytes -= size;
        for (k, piece) in pieces.into_iter().enumerate() {
            self.bytes += piece.bytes.len();
            self.entries.insert(at + k, piece);
        }
        self.failure = std::mem::take(&mut self.failure).merge(Failure::Retry);
        Ok(true)
    }

    /// Allows sending again: every unacknowledged entry is resent in order.
    pub fn resume(&mut self) {
        for e in self.entries.iter_mut() {
            if e.state == EntryState::InFlight {
                e.state = EntryState::Unsent;
            }
        }
        self.failure = Failure::None;
    }

    /// Rewrites one batch for the target under `identity`, consuming this partition's sequence
    /// numbers; None for batches not forwarded.
    fn encode(
        &mut self,
        batch: &Batch,
        identity: &ProducerIdentity,
    ) -> Result<Option<(Bytes, Rewritten)>, RecordsError> {
        let mut out = BytesMut::with_capacity(batch.bytes.len());
        // The fetcher verified the source CRC (and re-encoding starts from our own bytes).
        match rewrite_verified(batch, identity.fields(self.next_sequence), &mut out)? {
            Some(written) => {
                if identity.is_idempotent() {
                    self.next_sequence = next_sequence(self.next_sequence, written.records);
                }
                Ok(Some((out.freeze(), written)))
            }
            None => Ok(None),
        }
    }

    /// Re-encodes every entry not yet acknowledged under a new producer identity (sequences
    /// restart at 0).
    pub fn reencode(&mut self, identity: &ProducerIdentity) -> Result<(), RecordsError> {
        self.bytes = 0;
        self.next_sequence = 0;
        let entries = std::mem::take(&mut self.entries);
        let mut kept = VecDeque::with_capacity(entries.len());
        for mut e in entries {
            // Acknowledged entries waiting behind an unacknowledged one are on the target already:
            // they keep their state and are never sent again.
            if e.state != EntryState::Acked {
                // Entries without output were never queued, so encode always yields bytes here.
                // Re-encoding starts from the rewritten bytes (the rewrite is idempotent), so no
                // entry pins the fetch response it came from.
                let rewritten = Batch::from_bytes(e.bytes.clone())?;
                if let Some((bytes, _)) = self.encode(&rewritten, identity)? {
                    e.bytes = bytes;
                }
                e.state = EntryState::Unsent;
            }
            self.bytes += e.bytes.len();
            kept.push_back(e);
        }
        self.entries = kept;
        self.failure = Failure::None;
        self.confirmed = false;
        Ok(())
    }
}

/// `entry` cut in halves until every piece is smaller than `limit` (or a single record); the
/// entry itself when it already is.
fn cut_below(
    entry: Entry,
    limit: Option<usize>,
    next_id: &mut u64,
) -> Result<Vec<Entry>, RecordsError> {
    let Some(limit) = limit else {
        return Ok(vec![entry]);
    };
    let mut done = Vec::new();
    let mut todo = vec![entry];
    while let Some(e) = todo.pop() {
        let halves = if e.bytes.len() >= limit {
            split_entry(&e, next_id)?
        } else {
            None
        };
        match halves {
            Some([a, b]) => {
                todo.push(b);
                todo.push(a);
            }
            None => done.push(e),
        }
    }
    Ok(done)
}

/// The two halves of an unacknowledged entry (see [`split_in_two`]); the first keeps its id, the
/// second takes a new one and its progress mark. `None` for a single record.
fn split_entry(e: &Entry, next_id: &mut u64) -> Result<Option<[Entry; 2]>, RecordsError> {
    let Some([a, b]) = split_in_two(&Batch::from_bytes(e.bytes.clone())?)? else {
        return Ok(None);
    };
    let (upstream_a, upstream_b) = e.upstream.split_at(a.header.records_count);
    *next_id += 1;
    let piece = |batch: Batch, id: u64, mark: Option<i64>, upstream: UpstreamOffsets| Entry {
        id,
        records: batch.header.records_count,
        max_timestamp: batch.header.max_timestamp,
        bytes: batch.bytes,
        mark,
        state: EntryState::Unsent,
        upstream,
        base_offset: None,
        sent: e.sent,
        join_key: e.join_key,
    };
    Ok(Some([
        piece(a, e.id, None, upstream_a),
        piece(b, *next_id, e.mark, upstream_b),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::test_support::{kp_batch, KpOpts};
    use crate::records::Compression;

    fn batch(base: i64, n: i64) -> Batch {
        let offsets: Vec<i64> = (base..base + n).collect();
        Batch::from_bytes(kp_batch(&offsets, Compression::None, KpOpts::default())).unwrap()
    }

    fn queue() -> PartitionQueue {
        PartitionQueue::new(Arc::new(Route {
            source_topic: "t".into(),
            remote_topic: "p.t".into(),
            partition: 0,
        }))
    }

    fn base_sequence(e: &Entry) -> i32 {
        i32::from_be_bytes([e.bytes[53], e.bytes[54], e.bytes[55], e.bytes[56]])
    }

    #[test]
    fn sequences_follow_the_queue_and_marks_pop_in_order() {
        let identity = ProducerIdentity::new(Some((9, 0)));
        let mut id = 0;
        let mut q = queue();
        assert_eq!(
            q.push(vec![batch(0, 3), batch(3, 2)], 5, &identity, &mut id)
                .unwrap(),
            None
        );
        assert_eq!(
            q.push(vec![batch(5, 4)], 9, &identity, &mut id).unwrap(),
            None
        );
        let seqs: Vec<i32> = q.entries.iter().map(base_sequence).collect();
        assert_eq!(seqs, vec![0, 3, 5]);
        // Answers may be observed out of order: nothing pops until the front is acknowledged.
        for e in q.entries.iter_mut() {
            e.state = EntryState::InFlight;
        }
        assert_eq!(q.ack(2, 0, &mut Vec::new()), None);
        assert_eq!(q.ack(1, 0, &mut Vec::new()), Some(5));
        assert_eq!(q.ack(3, 0, &mut Vec::new()), Some(9));
        assert!(q.entries.is_empty());
        assert_eq!(q.bytes, 0);
    }

    #[test]
    fn a_failure_stops_sending_until_resumed_then_resends_from_the_first_unacked() {
        let identity = ProducerIdentity::new(Some((9, 0)));
        let mut id = 0;
        let mut q = queue();
        q.push(
            vec![batch(0, 1), batch(1, 1), batch(2, 1)],
            3,
            &identity,
            &mut id,
        )
        .unwrap();
        q.confirmed = true; // the broker already knows this producer on this partition
        q.next_to_send().unwrap().state = EntryState::InFlight;
        q.next_to_send().unwrap().state = EntryState::InFlight;
        q.fail(1, Failure::Retry);
        assert!(q.next_to_send().is_none());
        q.fail(2, Failure::Sequence);
        assert_eq!(q.failure, Failure::Retry);
        assert!(!q.in_flight());
        q.resume();
        let first = q.next_to_send().unwrap();
        assert_eq!(first.id, 1);
        assert_eq!(
            base_sequence(first),
            0,
            "a retry reuses the sequence so the broker de-duplicates"
        );
    }

    #[test]
    fn reencoding_restarts_sequences_under_a_new_identity() {
        let identity = ProducerIdentity::new(Some((9, 0)));
        let mut id = 0;
        let mut q = queue();
        q.push(vec![batch(0, 2), batch(2, 2)], 4, &identity, &mut id)
            .unwrap();
        q.ack(1, 0, &mut Vec::new());
        q.reencode(&ProducerIdentity::new(Some((10, 0)))).unwrap();
        let e = q.entries.front().unwrap();
        assert_eq!(base_sequence(e), 0);
        assert_eq!(i64::from_be_bytes(e.bytes[43..51].try_into().unwrap()), 10);
    }

    #[test]
    fn marker_only_chunks_report_progress_at_once_when_nothing_is_queued() {
        let identity = ProducerIdentity::new(Some((9, 0)));
        let mut id = 0;
        let mut q = queue();
        assert_eq!(q.push(vec![], 7, &identity, &mut id).unwrap(), Some(7));
        q.push(vec![batch(7, 1)], 8, &identity, &mut id).unwrap();
        assert_eq!(q.push(vec![], 10, &identity, &mut id).unwrap(), None);
        assert_eq!(q.entries.back().unwrap().mark, Some(10));
    }

    #[test]
    fn one_batch_in_flight_until_the_first_is_acknowledged() {
        let identity = ProducerIdentity::new(Some((9, 0)));
        let mut id = 0;
        let mut q = queue();
        q.push(
            vec![batch(0, 2), batch(2, 2), batch(4, 2)],
            6,
            &identity,
            &mut id,
        )
        .unwrap();
        q.next_to_send().unwrap().state = EntryState::InFlight;
        assert!(
            q.next_to_send().is_none(),
            "no pipelining before the first acknowledgement"
        );
        q.ack(1, 0, &mut Vec::new());
        q.next_to_send().unwrap().state = EntryState::InFlight;
        assert!(
            q.next_to_send().is_some(),
            "pipelining once the broker knows this producer"
        );
    }

    #[test]
    fn acknowledged_entries_are_not_resent_under_a_new_identity() {
        let identity = ProducerIdentity::new(Some((9, 0)));
        let mut id = 0;
        let mut q = queue();
        q.push(vec![batch(0, 2), batch(2, 2)], 4, &identity, &mut id)
            .unwrap();
        q.confirmed = true;
        q.next_to_send().unwrap().state = EntryState::InFlight;
        q.next_to_send().unwrap().state = EntryState::InFlight;
        q.fail(1, Failure::Sequence);
        assert_eq!(
            q.ack(2, 0, &mut Vec::new()),
            None,
            "behind an unacknowledged entry"
        );
        q.reencode(&ProducerIdentity::new(Some((10, 0)))).unwrap();
        assert_eq!(q.next_to_send().unwrap().id, 1);
        assert_eq!(q.entries[1].state, EntryState::Acked);
        q.next_to_send().unwrap().state = EntryState::InFlight;
        assert!(
            q.next_to_send().is_none(),
            "the acknowledged entry is not sent again"
        );
        assert_eq!(q.ack(1, 0, &mut Vec::new()), Some(4));
    }

    #[test]
    fn failures_merge_by_severity() {
        assert_eq!(Failure::Sequence.merge(Failure::Retry), Failure::Retry);
        assert_eq!(
            Failure::Retry.merge(Failure::Refused("x".into())),
            Failure::Refused("x".into())
        );
        assert_eq!(Failure::None.merge(Failure::Sequence), Failure::Sequence);
    }

    /// A batch the target refuses as too large is cut in place: the halves keep the sequence
    /// numbers (so nothing else is re-encoded), the second carries the progress mark and the
    /// source offsets follow; later batches that large are cut before they are sent; one record
    /// too large is a refusal.
    #[test]
    fn a_batch_refused_as_too_large_is_cut_and_later_ones_before_sending() {
        let identity = ProducerIdentity::new(Some((9, 0)));
        let mut id = 0;
        let mut q = queue();
        q.push(vec![batch(0, 8)], 8, &identity, &mut id).unwrap();
        q.push(vec![batch(8, 1)], 9, &identity, &mut id).unwrap();
        let size = q.entries[0].bytes.len();
        q.next_to_send().unwrap().state = EntryState::InFlight;
        assert!(q.too_large(1, "MessageTooLarge", &mut id).unwrap());
        assert_eq!(q.failure, Failure::Retry);
        assert_eq!(q.too_large_at, Some(size));
        let shape: Vec<(i32, i32, Option<i64>, i64)> = (q.entries.iter())
            .map(|e| (base_sequence(e), e.records, e.mark, e.upstream.first))
            .collect();
        assert_eq!(
            shape,
            vec![(0, 4, None, 0), (4, 4, Some(8), 4), (8, 1, Some(9), 8)]
        );
        assert_eq!(
            q.bytes,
            q.entries.iter().map(|e| e.bytes.len()).sum::<usize>()
        );
        let ids: std::collections::HashSet<u64> = q.entries.iter().map(|e| e.id).collect();
        assert_eq!(ids.len(), 3, "every entry keeps a distinct id");
        // The next batch as large is cut before it is ever sent.
        q.push(vec![batch(9, 8)], 17, &identity, &mut id).unwrap();
        let cut: Vec<(i32, i32)> = (q.entries.iter().skip(3))
            .map(|e| (base_sequence(e), e.records))
            .collect();
        assert_eq!(cut, vec![(9, 4), (13, 4)]);
        // A single record the target refuses cannot be cut.
        let single = q.entries[2].id;
        assert!(!q.too_large(single, "MessageTooLarge", &mut id).unwrap());
        assert!(matches!(&q.failure, Failure::Refused(why) if why.contains("single record")));
    }
}
