//! Which source record each record of a remote partition is a copy of, read from the data itself.
//! Failback needs this where the offset-syncs alone cannot say it: where the copy of a partition
//! ends (the first source record the target never got, so the lost tail after an unplanned
//! failover), and which source position a group's position on a remote topic stands for (the
//! inverse of the forward translation, to move a group home). Both are answered the same way:
//! from an offset-sync at or before the position (a sync is a fact: source record `U` is target
//! record `D`), verified by comparing the two records, then pairing the records after it one by
//! one, each pair checked. Anything that does not pair (a topic recreated, a re-copied stretch,
//! compaction on one side only, aborted records a `read_committed` flow left out) is an error for
//! that partition, never a guess.

use std::collections::BTreeMap;

use crate::config::FlowConfig;
use crate::offsets::mm2_records::OffsetSync;
use crate::offsets::sync_rules::SyncPoint;
use crate::offsets::topic_reader::{bounds, read_partition, read_records, ReadFrom, StoredRecord};
use crate::protocol::{ClusterClient, TopicPartition};

/// How many offset-syncs, newest first, are tried as an anchor before giving up on a partition
/// (a sync whose records differ is from an earlier copy, e.g. of a topic since recreated).
const ANCHOR_TRIES: usize = 4;

/// One source partition and its remote partition, with the offset-syncs of the pair.
pub(crate) struct RemotePartition<'a> {
    /// The source cluster.
    pub(crate) source: &'a ClusterClient,
    /// The source partition.
    pub(crate) source_tp: TopicPartition,
    /// The target cluster.
    pub(crate) target: &'a ClusterClient,
    /// Its copy on the target.
    pub(crate) target_tp: TopicPartition,
    /// The offset-syncs of the source partition, in write order.
    pub(crate) syncs: &'a [SyncPoint],
}

/// Every offset-sync the flow wrote, per source partition in write order, read from its
/// offset-syncs topic (on the source or the target, as the flow configures). Empty when the flow
/// emits none.
pub(crate) async fn read_syncs(
    cfg: &FlowConfig,
    source: &ClusterClient,
    target: &ClusterClient,
) -> Result<BTreeMap<TopicPartition, Vec<SyncPoint>>, String> {
    let Some(syncs) = &cfg.offset_syncs else {
        return Ok(BTreeMap::new());
    };
    let client = if syncs.cluster == cfg.source {
        source
    } else {
        target
    };
    let records = read_partition(client, &syncs.topic, 0)
        .await
        .map_err(|e| format!("cluster {}: offset-syncs: {e}", syncs.cluster))?;
    let mut out: BTreeMap<TopicPartition, Vec<SyncPoint>> = BTreeMap::new();
    for r in &records {
        let (Some(key), Some(value)) = (&r.key, &r.value) else {
            continue;
        };
        if let Ok(s) = OffsetSync::decode(key, value) {
            out.entry(TopicPartition::new(s.topic, s.partition))
                .or_default()
                .push(SyncPoint {
                    upstream: s.upstream_offset,
                    downstream: s.downstream_offset,
                });
        }
    }
    Ok(out)
}

/// Whether `copy` is a copy of `original`: the same key, value and headers. Timestamps are not
/// compared, since a target topic with `LogAppendTime` stamps its own.
fn same_record(copy: &StoredRecord, original: &StoredRecord) -> bool {
    copy.key == original.key && copy.value == original.value && copy.headers == original.headers
}

/// Target records paired with the source records they copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Paired {
    /// `(target offset, source offset)`, in order.
    pub(crate) pairs: Vec<(i64, i64)>,
    /// The offset of the first source record after the last paired one, when the source read
    /// holds one.
    pub(crate) next_source: Option<i64>,
    /// The first target record that is not a copy of its source counterpart, and why: with
    /// `IdentityReplicationPolicy` the first record the target's own producers wrote after a
    /// failover; under the default policy a fault (a re-copied stretch, a recreated topic).
    pub(crate) unpaired: Option<(i64, String)>,
}

/// Pairs `target` (read from an anchor on) with `source` (read from the anchor's source offset
/// on) record by record, up to the first target record that is not a copy.
pub(crate) fn pair(target: &[StoredRecord], source: &[StoredRecord]) -> Paired {
    let mut pairs = Vec::with_capacity(target.len());
    let mut unpaired = None;
    for (i, t) in target.iter().enumerate() {
        match source.get(i) {
            Some(s) if same_record(t, s) => pairs.push((t.offset, s.offset)),
            Some(s) => {
                unpaired = Some((
                    t.offset,
                    format!(
                        "target offset {} is not a copy of source offset {} (the records differ)",
                        t.offset, s.offset
                    ),
                ));
                break;
            }
            None => {
                unpaired = Some((
                    t.offset,
                    format!(
                        "target offset {} has no source record left to be a copy of",
                        t.offset
                    ),
                ));
                break;
            }
        }
    }
    Paired {
        next_source: source.get(pairs.len()).map(|r| r.offset),
        pairs,
        unpaired,
    }
}

/// Where the copy of a source partition ends on the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CopyEnd {
    /// The source offset of the first record the target does not hold (None: it holds every
    /// record up to the source's end): the start of the tail an unplanned failover left behind.
    pub(crate) first_missing: Option<i64>,
    /// The first target record after the copy that is not a copy, and why (see
    /// [`Paired::unpaired`]).
    pub(crate) unpaired: Option<(i64, String)>,
}

/// One record of a partition, or None when there is no record at exactly `offset`.
async fn record_at(
    client: &ClusterClient,
    tp: &TopicPartition,
    offset: i64,
) -> Result<Option<StoredRecord>, String> {
    let read = read_records(
        client,
        &tp.topic,
        tp.partition,
        ReadFrom::Offset(offset),
        Some(1),
    )
    .await
    .map_err(|e| e.to_string())?;
    Ok(read.into_iter().next().filter(|r| r.offset == offset))
}

impl RemotePartition<'_> {
    /// The newest offset-sync whose target record exists, is at or before `upto`, and is a copy
    /// of its source record.
    async fn anchor(&self, t_start: i64, t_end: i64, upto: i64) -> Result<SyncPoint, String> {
        let mut candidates: Vec<SyncPoint> = self
            .syncs
            .iter()
            .rev()
            .filter(|s| s.downstream >= t_start && s.downstream < t_end && s.downstream <= upto)
            .copied()
            .collect();
        // Newest by target offset; among equals the latest written (stable sort keeps it first).
        candidates.sort_by_key(|s| std::cmp::Reverse(s.downstream));
        candidates.dedup();
        for s in candidates.into_iter().take(ANCHOR_TRIES) {
            let t = record_at(self.target, &self.target_tp, s.downstream).await?;
            let u = record_at(self.source, &self.source_tp, s.upstream).await?;
            if let (Some(t), Some(u)) = (t, u) {
                if same_record(&t, &u) {
                    return Ok(s);
                }
            }
        }
        Err(format!(
            "no offset-sync of {} at or before target offset {upto} of {} pairs two equal records, so where its copy stands cannot be known exactly",
            self.source_tp, self.target_tp
        ))
    }

    /// Pairs the target records from an anchor up to `upto` (inclusive; None: the target's end)
    /// with their source records, reading one source record past the last pair.
    async fn walk(&self, upto: Option<i64>) -> Result<Walk, String> {
        let (t_start, t_end) = bounds(self.target, &self.target_tp.topic, self.target_tp.partition)
            .await
            .map_err(|e| e.to_string())?;
        if t_end == t_start {
            return Ok(Walk::Empty { t_end });
        }
        let upto = upto.unwrap_or(t_end - 1).min(t_end - 1);
        let anchor = self.anchor(t_start, t_end, upto).await?;
        let target = read_records(
            self.target,
            &self.target_tp.topic,
            self.target_tp.partition,
            ReadFrom::Offset(anchor.downstream),
            usize::try_from(upto - anchor.downstream + 1).ok(),
        )
        .await
        .map_err(|e| e.to_string())?;
        let target: Vec<StoredRecord> = target.into_iter().filter(|r| r.offset <= upto).collect();
        let source = read_records(
            self.source,
            &self.source_tp.topic,
            self.source_tp.partition,
            ReadFrom::Offset(anchor.upstream),
            Some(target.len() + 1),
        )
        .await
        .map_err(|e| e.to_string())?;
        Ok(Walk::Paired {
            paired: pair(&target, &source),
            t_end,
        })
    }

    /// Where the copy of the source partition ends on the target (see [`CopyEnd`]).
    pub(crate) async fn copy_end(&self, source_start: i64) -> Result<CopyEnd, String> {
        match self.walk(None).await? {
            Walk::Empty { t_end: 0 } => Ok(CopyEnd {
                first_missing: Some(source_start),
                unpaired: None,
            }),
            Walk::Empty { .. } => Err(self.emptied()),
            Walk::Paired { paired, .. } => Ok(CopyEnd {
                first_missing: paired.next_source,
                unpaired: paired.unpaired.map(|(t, why)| {
                    (
                        t,
                        format!("{} -> {}: {why}", self.source_tp, self.target_tp),
                    )
                }),
            }),
        }
    }

    /// The source position that target position `t` of a group stands for: the source offset of
    /// the record at `t`, or, for a group at the target's end, the first source record the target
    /// does not hold (`source_end` when there is none). Only for copies whose every record up to
    /// `t` pairs.
    pub(crate) async fn source_position(
        &self,
        t: i64,
        source_start: i64,
        source_end: i64,
    ) -> Result<i64, String> {
        match self.walk(Some(t)).await? {
            Walk::Empty { t_end: 0 } => Ok(source_start),
            Walk::Empty { .. } => Err(self.emptied()),
            Walk::Paired { paired, t_end } => {
                if let Some((_, why)) = paired.unpaired {
                    return Err(format!("{} -> {}: {why}", self.source_tp, self.target_tp));
                }
                if t >= t_end {
                    return Ok(paired.next_source.unwrap_or(source_end));
                }
                paired
                    .pairs
                    .iter()
                    .find(|(down, _)| *down >= t)
                    .map(|(_, up)| *up)
                    .ok_or_else(|| {
                        format!(
                            "{}: target offset {t} is not among the records read",
                            self.target_tp
                        )
                    })
            }
        }
    }

    /// The error for a target partition that held records once but holds none now.
    fn emptied(&self) -> String {
        format!(
            "{} is empty but held records once (retention or deleted records): where the copy of {} ends cannot be known",
            self.target_tp, self.source_tp
        )
    }
}

/// What a walk found.
enum Walk {
    /// The target partition holds no record; `t_end` is its end offset.
    Empty { t_end: i64 },
    /// The records from an anchor on, paired.
    Paired { paired: Paired, t_end: i64 },
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn rec(offset: i64, value: &str) -> StoredRecord {
        StoredRecord {
            offset,
            timestamp: 1_000 + offset,
            key: None,
            value: Some(Bytes::from(value.to_string())),
            headers: vec![],
        }
    }

    #[test]
    fn pairs_in_order_across_source_gaps_and_names_the_next_source_record() {
        // A compacted or transactional source: offsets skip; the target is dense.
        let source = vec![rec(10, "a"), rec(12, "b"), rec(15, "c"), rec(16, "d")];
        let target = vec![rec(3, "a"), rec(4, "b"), rec(5, "c")];
        let p = pair(&target, &source);
        assert_eq!(p.pairs, vec![(3, 10), (4, 12), (5, 15)]);
        assert_eq!((p.next_source, p.unpaired), (Some(16), None));
        let all = pair(&target, &source[..3]);
        assert_eq!(all.next_source, None, "the target holds every record read");
    }

    #[test]
    fn pairing_stops_at_the_first_record_that_is_not_a_copy_and_names_both_offsets() {
        let source = vec![rec(10, "a"), rec(11, "b")];
        // A re-copied stretch: the target repeats "a".
        let target = vec![rec(3, "a"), rec(4, "a")];
        let p = pair(&target, &source);
        assert_eq!(p.pairs, vec![(3, 10)]);
        assert_eq!(p.next_source, Some(11), "the copy ends after the last pair");
        let (at, err) = p.unpaired.unwrap();
        assert_eq!(at, 4);
        assert!(
            err.contains("target offset 4") && err.contains("source offset 11"),
            "{err}"
        );
        // The target's own records after the copy (identity policy, after a failover).
        let longer = vec![rec(3, "a"), rec(4, "b"), rec(5, "c")];
        let p = pair(&longer, &source);
        assert_eq!((p.pairs.len(), p.next_source), (2, None));
        let (at, err) = p.unpaired.unwrap();
        assert_eq!(at, 5);
        assert!(
            err.contains("target offset 5 has no source record"),
            "{err}"
        );
    }

    #[test]
    fn headers_and_keys_take_part_but_timestamps_do_not() {
        let mut s = rec(1, "v");
        let mut t = rec(9, "v");
        t.timestamp = 77;
        assert!(same_record(&t, &s), "a restamped copy is still a copy");
        s.headers = vec![(Bytes::from_static(b"h"), None)];
        assert!(!same_record(&t, &s));
        t.headers = s.headers.clone();
        t.key = Some(Bytes::from_static(b"k"));
        assert!(!same_record(&t, &s));
    }
}
