//! When to emit an offset-sync: MM2's `OffsetSyncWriter.PartitionState` rule,
//! applied to whole forwarded batches.
//!
//! MM2 decides per record; strait acknowledges whole batches, whose records the target numbers
//! consecutively. Inside a run of records whose source offsets follow on (a "segment"), only the
//! lag condition can fire, at positions that are plain arithmetic, so the batch form emits exactly
//! the syncs the per-record rule would, without a per-record loop unless `offset.lag.max` is 0.

use crate::records::UpstreamOffsets;

/// One offset-sync: the record at `upstream` on the source is at `downstream` on the target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct SyncPoint {
    /// Source offset.
    pub(crate) upstream: i64,
    /// Target offset.
    pub(crate) downstream: i64,
}

/// MM2's per-partition sync state: the previous record and the last synced downstream offset.
#[derive(Clone, Debug)]
pub(crate) struct PartitionSyncState {
    previous_upstream: i64,
    previous_downstream: i64,
    last_sync_downstream: i64,
    lag_max: i64,
}

impl PartitionSyncState {
    /// A partition with nothing replicated since start (its first record is always synced);
    /// `lag_max` is `offset.lag.max`.
    pub(crate) fn new(lag_max: i64) -> Self {
        PartitionSyncState {
            previous_upstream: -1,
            previous_downstream: -1,
            last_sync_downstream: -1,
            lag_max,
        }
    }

    /// MM2's rule for one acknowledged record `(u, d)`: whether it must be synced.
    pub(crate) fn on_record(&mut self, u: i64, d: i64) -> bool {
        let sync = self.last_sync_downstream == -1
            || d - (self.last_sync_downstream + 1) >= self.lag_max
            || u - self.previous_upstream != 1
            || d < self.previous_downstream;
        if sync {
            self.last_sync_downstream = d;
        }
        self.previous_upstream = u;
        self.previous_downstream = d;
        sync
    }

    /// Applies one acknowledged batch of `records` records that the target stored from offset
    /// `downstream_base`; appends the syncs MM2's rule forces, in order, to `out`, and returns the
    /// batch's last record (the sync MM2 keeps "delayed" until the next offset commit).
    pub(crate) fn on_batch(
        &mut self,
        upstream: &UpstreamOffsets,
        records: i32,
        downstream_base: i64,
        out: &mut Vec<SyncPoint>,
    ) -> Option<SyncPoint> {
        if records <= 0 {
            return None;
        }
        let step = self.lag_max.max(0) + 1;
        let mut starts: Vec<(i32, i64)> = Vec::with_capacity(1 + upstream.jumps.len());
        starts.push((0, upstream.first));
        starts.extend(upstream.jumps.iter().copied());
        for (k, &(index, u_start)) in starts.iter().enumerate() {
            let end_index = starts.get(k + 1).map_or(records, |(j, _)| *j) - 1;
            let d_start = downstream_base + i64::from(index);
            let d_end = downstream_base + i64::from(end_index);
            if self.on_record(u_start, d_start) {
                out.push(SyncPoint {
                    upstream: u_start,
                    downstream: d_start,
                });
            }
            // The rest of the segment moves in lockstep: only the lag condition can fire, first at
            // `last_sync + 1 + lag_max`, then every `lag_max + 1` records.
            let mut d = (self.last_sync_downstream + step).max(d_start + 1);
            while d <= d_end {
                out.push(SyncPoint {
                    upstream: u_start + (d - d_start),
                    downstream: d,
                });
                self.last_sync_downstream = d;
                d += step;
            }
            self.previous_upstream = u_start + (d_end - d_start);
            self.previous_downstream = d_end;
        }
        Some(SyncPoint {
            upstream: self.previous_upstream,
            downstream: self.previous_downstream,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Spec 12 item 13 (`MirrorSourceTaskTest.testOffsetSync`, L = 50), the rows with a reset
    /// after each sync (the sticky flag is MM2's, strait returns the rule's answer directly).
    #[test]
    fn mm2_partition_state_vector() {
        let mut s = PartitionSyncState::new(50);
        let rows = [
            (0, 100, true),
            (2, 102, true),
            (3, 152, false),
            (4, 153, true),
            (5, 154, false),
            (6, 203, false),
            (7, 204, true),
            (2, 206, true),
            (3, 207, false),
            (4, 3, true),
            (5, 4, false),
        ];
        for (u, d, want) in rows {
            assert_eq!(s.on_record(u, d), want, "({u},{d})");
        }
        assert!(PartitionSyncState::new(0).on_record(0, 0));
        let mut every = PartitionSyncState::new(0);
        assert!((0..10).all(|i| every.on_record(i, i + 5)));
    }

    /// The batch form emits exactly what the per-record rule emits.
    #[test]
    fn batch_form_matches_the_per_record_rule() {
        // (offset.lag.max, [(source offsets of a batch, its target base offset)])
        type Case = (i64, Vec<(Vec<i64>, i64)>);
        let cases: Vec<Case> = vec![
            (100, vec![((0..40).collect(), 0), ((40..300).collect(), 40)]),
            (0, vec![((5..12).collect(), 0)]),
            (
                3,
                vec![
                    (vec![0, 1, 5, 6, 7, 8, 9, 20, 21], 0),
                    ((22..30).collect(), 9),
                ],
            ),
            // Markers between batches (upstream gap), a target reset (downstream goes back).
            (
                10,
                vec![
                    ((0..25).collect(), 0),
                    ((27..60).collect(), 25),
                    ((60..70).collect(), 3),
                ],
            ),
        ];
        for (lag, batches) in cases {
            let mut by_batch = PartitionSyncState::new(lag);
            let mut by_record = PartitionSyncState::new(lag);
            let mut got = Vec::new();
            let mut want = Vec::new();
            for (offsets, base) in batches {
                let upstream = UpstreamOffsets {
                    first: offsets[0],
                    jumps: offsets
                        .windows(2)
                        .enumerate()
                        .filter(|(_, w)| w[1] != w[0] + 1)
                        .map(|(i, w)| (i as i32 + 1, w[1]))
                        .collect(),
                };
                let last = by_batch.on_batch(&upstream, offsets.len() as i32, base, &mut got);
                for (i, u) in offsets.iter().enumerate() {
                    let d = base + i as i64;
                    if by_record.on_record(*u, d) {
                        want.push(SyncPoint {
                            upstream: *u,
                            downstream: d,
                        });
                    }
                }
                assert_eq!(
                    last,
                    Some(SyncPoint {
                        upstream: *offsets.last().unwrap(),
                        downstream: base + offsets.len() as i64 - 1
                    })
                );
            }
            assert_eq!(got, want, "lag {lag}");
        }
    }
}
