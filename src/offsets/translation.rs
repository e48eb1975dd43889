//! Exact offset translation: for a consumer position `u` on a source partition, the target offset
//! of the first replicated record at or after `u`.
//!
//! Source and target offsets move in lockstep except where source offsets are skipped (control
//! markers, aborted or compacted records, a restart point) and there MM2's rule always emits a sync
//! (`u - previousUpstream != 1`). So between two syncs `a` and `b` with no sync missing between
//! them ("chained"), the target offset of `u` is `min(a.down + (u - a.up), b.down)`: lockstep up
//! to the gap, then the record after it. A chain can break (syncs lost to compaction of the
//! offset-syncs topic, written by another tool, or by an earlier run); across a break strait falls
//! back to MM2's own rule, `a.down + 1`, which never points past a record the group has not read.
//!
//! Memory: entries strictly inside a lockstep run add nothing and are dropped as they arrive, so a
//! partition holds one entry per gap (per transaction on a transactional topic, per hole on a
//! compacted one) from the source's log start on; [`PartitionIndex::prune_below`] drops what lies
//! before the log start and [`MAX_ENTRIES`] bounds the rest.

use std::collections::HashMap;

use super::sync_rules::SyncPoint;

/// Most entries kept per partition; beyond it the oldest half goes (older positions then fall back
/// to "no translation", as MM2's sparse history does).
pub(crate) const MAX_ENTRIES: usize = 200_000;

/// One retained sync.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    point: SyncPoint,
    /// No sync is missing between the previous entry and this one.
    chained: bool,
}

/// The syncs of one source partition, ordered by upstream offset.
#[derive(Clone, Debug, Default)]
pub(crate) struct PartitionIndex {
    entries: Vec<Entry>,
    /// The last record replicated in this run, when it continues the last entry's chain.
    tail: Option<SyncPoint>,
}

impl PartitionIndex {
    /// Adds a sync; `chained` says no sync was left out since the previous one of the same writer.
    /// A sync at or before the last entry (a restart re-copying, a target reset) replaces the
    /// entries from its offset on and starts a new chain.
    pub(crate) fn add(&mut self, point: SyncPoint, chained: bool) {
        let mut chained = chained;
        if let Some(last) = self.entries.last() {
            if last.point == point {
                return;
            }
            if point.upstream <= last.point.upstream {
                let keep = self
                    .entries
                    .partition_point(|e| e.point.upstream < point.upstream);
                self.entries.truncate(keep);
                chained = false;
            }
        } else {
            chained = false;
        }
        if self.tail.is_some_and(|t| t.upstream >= point.upstream) {
            self.tail = None;
        }
        // An entry in the middle of a lockstep run says nothing its neighbours do not.
        let n = self.entries.len();
        if chained && n >= 2 {
            let (prev, mid) = (self.entries[n - 2].point, self.entries[n - 1]);
            if mid.chained
                && mid.point.downstream - prev.downstream == mid.point.upstream - prev.upstream
            {
                self.entries.pop();
            }
        }
        self.entries.push(Entry { point, chained });
        if self.entries.len() > MAX_ENTRIES {
            self.entries.drain(..MAX_ENTRIES / 2);
        }
    }

    /// Notes the last record replicated in this run; valid because every sync of the run went
    /// through [`PartitionIndex::add`] first.
    pub(crate) fn set_tail(&mut self, last: SyncPoint) {
        if self
            .entries
            .last()
            .is_some_and(|e| e.point.upstream <= last.upstream)
        {
            self.tail = Some(last);
        }
    }

    /// The newest retained sync.
    pub(crate) fn last(&self) -> Option<SyncPoint> {
        self.entries.last().map(|e| e.point)
    }

    /// Forgets the tail (the live chain broke).
    pub(crate) fn clear_tail(&mut self) {
        self.tail = None;
    }

    /// The target offset of the first replicated record at or after source offset `u`; `None`
    /// when nothing of this partition is known or `u` is older than every retained sync.
    pub(crate) fn translate(&self, u: i64) -> Option<i64> {
        let idx = self.entries.partition_point(|e| e.point.upstream <= u);
        let e = self.entries.get(idx.checked_sub(1)?)?.point;
        if u == e.upstream {
            return Some(e.downstream);
        }
        let lockstep = e.downstream + (u - e.upstream);
        Some(match self.entries.get(idx) {
            Some(next) if next.chained => lockstep.min(next.point.downstream),
            Some(_) => e.downstream + 1,
            None => match self.tail {
                Some(t) if u <= t.upstream => lockstep,
                Some(t) => t.downstream + 1,
                None => e.downstream + 1,
            },
        })
    }

    /// Drops entries no translation of an offset at or after `u` needs.
    pub(crate) fn prune_below(&mut self, u: i64) {
        let idx = self.entries.partition_point(|e| e.point.upstream <= u);
        if idx > 1 {
            self.entries.drain(..idx - 1);
        }
    }

    /// Entries held (for the memory figures in docs and metrics).
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

/// The flow's translation index: one [`PartitionIndex`] per source topic-partition.
#[derive(Debug, Default)]
pub(crate) struct TranslationIndex {
    partitions: HashMap<(String, i32), PartitionIndex>,
}

impl TranslationIndex {
    /// The index of one source partition, created empty.
    pub(crate) fn partition_mut(&mut self, topic: &str, partition: i32) -> &mut PartitionIndex {
        self.partitions
            .entry((topic.to_string(), partition))
            .or_default()
    }

    /// See [`PartitionIndex::translate`].
    pub(crate) fn translate(&self, topic: &str, partition: i32, u: i64) -> Option<i64> {
        self.partitions
            .get(&(topic.to_string(), partition))?
            .translate(u)
    }

    /// Total entries held.
    pub(crate) fn entries(&self) -> usize {
        self.partitions.values().map(PartitionIndex::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offsets::sync_rules::PartitionSyncState;
    use crate::records::UpstreamOffsets;

    fn p(u: i64, d: i64) -> SyncPoint {
        SyncPoint {
            upstream: u,
            downstream: d,
        }
    }

    /// A source partition as a list of record offsets (gaps = markers, aborted or compacted
    /// records), replicated in batches of `batch` records starting at target offset `d0`, with the
    /// syncs MM2's rule emits fed into an index the way the live path does.
    fn replicate(offsets: &[i64], batch: usize, d0: i64, lag: i64) -> PartitionIndex {
        let mut rules = PartitionSyncState::new(lag);
        let mut index = PartitionIndex::default();
        let mut d = d0;
        let mut first = true;
        for chunk in offsets.chunks(batch) {
            let upstream = UpstreamOffsets {
                first: chunk[0],
                jumps: chunk
                    .windows(2)
                    .enumerate()
                    .filter(|(_, w)| w[1] != w[0] + 1)
                    .map(|(i, w)| (i as i32 + 1, w[1]))
                    .collect(),
            };
            let mut syncs = Vec::new();
            let last = rules.on_batch(&upstream, chunk.len() as i32, d, &mut syncs);
            for s in syncs {
                index.add(s, !first);
                first = false;
            }
            index.set_tail(last.unwrap());
            d += chunk.len() as i64;
        }
        index
    }

    /// The definition: target offset of the first record at or after `u`, else the target end.
    fn truth(offsets: &[i64], d0: i64, u: i64) -> i64 {
        let i = offsets.partition_point(|o| *o < u);
        d0 + i as i64
    }

    #[test]
    fn translation_is_exact_everywhere_for_gapped_partitions() {
        let mut offsets: Vec<i64> = Vec::new();
        // Transactions of 7 records each followed by a marker, an aborted stretch, compaction holes.
        let mut o = 0;
        for _ in 0..30 {
            offsets.extend(o..o + 7);
            o += 8;
        }
        o += 50;
        offsets.extend((o..o + 400).filter(|x| x % 3 != 0 && x % 17 != 5));
        for (batch, lag) in [(1, 100), (5, 100), (16, 0), (64, 10), (500, 100)] {
            let index = replicate(&offsets, batch, 1000, lag);
            let end = *offsets.last().unwrap() + 5;
            for u in offsets[0]..=end {
                assert_eq!(
                    index.translate(u),
                    Some(truth(&offsets, 1000, u)),
                    "u={u} batch={batch} lag={lag}"
                );
            }
            assert_eq!(index.translate(offsets[0] - 1), None);
        }
    }

    #[test]
    fn lockstep_runs_hold_one_entry() {
        let offsets: Vec<i64> = (0..100_000).collect();
        let index = replicate(&offsets, 16, 0, 100);
        assert!(index.len() <= 2, "{} entries", index.len());
        assert_eq!(index.translate(77_777), Some(77_777));
        assert_eq!(index.translate(100_000), Some(100_000));
        assert_eq!(
            index.translate(200_000),
            Some(100_000),
            "never past the target end"
        );
    }

    #[test]
    fn a_broken_chain_falls_back_to_mm2s_rule() {
        let mut index = PartitionIndex::default();
        index.add(p(0, 0), false);
        // A later sync from another run: records in between may have had gaps strait did not see.
        index.add(p(100, 90), false);
        assert_eq!(index.translate(0), Some(0));
        assert_eq!(index.translate(50), Some(1), "MM2's +1 rule across a break");
        assert_eq!(index.translate(100), Some(90));
        assert_eq!(
            index.translate(120),
            Some(91),
            "no tail known after a restart"
        );
        index.set_tail(p(130, 120));
        assert_eq!(index.translate(120), Some(110));
        assert_eq!(index.translate(131), Some(121));
    }

    #[test]
    fn a_restart_rewind_replaces_the_newer_entries() {
        let mut index = PartitionIndex::default();
        index.add(p(0, 0), false);
        index.add(p(10, 8), true);
        index.add(p(20, 18), true);
        // Progress saved at 15: strait re-copies from there after the target end (30).
        index.add(p(15, 30), false);
        assert_eq!(index.len(), 3);
        // Across the restart the chain is broken: MM2's rule (record 12 is really at 10; 9 is
        // one record early, never late). The sync strait writes at every progress flush for the
        // last replicated record keeps this stretch empty in practice.
        assert_eq!(index.translate(12), Some(9));
        assert_eq!(index.translate(15), Some(30));
        assert_eq!(index.translate(20), Some(31));
    }

    #[test]
    fn pruning_keeps_what_later_offsets_need() {
        let offsets: Vec<i64> = (0..1000).filter(|o| o % 10 != 9).collect();
        let mut index = replicate(&offsets, 4, 0, 100);
        let before = index.len();
        index.prune_below(500);
        assert!(index.len() < before);
        for u in 500..1000 {
            assert_eq!(index.translate(u), Some(truth(&offsets, 0, u)), "u={u}");
        }
        assert_eq!(index.translate(100), None);
    }
}
