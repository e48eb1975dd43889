//! Checkpoints and group offset sync: every `emit.checkpoints.interval.seconds`,
//! the committed offsets of the selected consumer groups on the source are translated with the
//! flow's offset-sync log and written, in MM2's byte layout, to `<S>.checkpoints.internal` on the
//! target, where `RemoteClusterUtils.translateOffsets` reads them; with `sync.group.offsets.enabled`
//! they are also committed to the same groups on the target while those have no active members.
//!
//! The rules are MM2's: a group is checkpointed when it passes the group filter and has offsets on
//! a topic passing the topic filter; no checkpoint before any record of a partition was replicated;
//! checkpoints never go backwards unless the group itself rewound upstream; group sync never moves a
//! target group backwards and leaves active groups alone.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::internal_topic::{append, ensure_topic, InternalRecord};
use super::mm2_records::Checkpoint;
use super::offset_syncs::OffsetSyncLog;
use super::topic_reader::{read_partition, StoredRecord};
use crate::clock::now_ms;
use crate::metrics::{CheckpointLabels, Metrics};
use crate::plan::replication_policy::ReplicationPolicy;
use crate::plan::topic_filter::TopicFilter;
use crate::protocol::admin::{list_offsets, NewTopic, OffsetSpec};
use crate::protocol::groups::{
    commit_offsets, fetch_offsets, group_state, list_groups, Committed, GroupOffsets,
};
use crate::protocol::{Backoff, ClusterClient, TopicPartition};

/// MM2's checkpoints and group offset sync for one flow (`emit.checkpoints.enabled`, default true;
/// needs offset-syncs, as in MM2 3.9).
#[derive(Debug, Clone)]
pub(crate) struct CheckpointsConfig {
    /// `<S>.checkpoints.internal` on the target (separator per the replication policy).
    pub(crate) topic: String,
    /// `checkpoints.topic.replication.factor` (default 3; -1 = broker default).
    pub(crate) replication_factor: i16,
    /// `emit.checkpoints.interval.seconds` (default 60).
    pub(crate) interval: Duration,
    /// `groups` / `groups.exclude` (`groups.blacklist`).
    pub(crate) groups: TopicFilter,
    /// `refresh.groups.interval.seconds` when `refresh.groups.enabled` (default 600 s).
    pub(crate) refresh_groups: Option<Duration>,
    /// `sync.group.offsets.interval.seconds` when `sync.group.offsets.enabled` (default off, 60 s).
    pub(crate) sync_group_offsets: Option<Duration>,
}

/// Key of the last checkpoint per group and downstream partition.
type CheckpointKey = (String, String, i32);

/// The last checkpoint per (group, downstream topic, partition): loaded from the checkpoints topic
/// at start (MM2's `CheckpointStore`), then updated with each one written.
pub(crate) type CheckpointStore = BTreeMap<CheckpointKey, Checkpoint>;

/// The checkpoints in `records` (read from a checkpoints topic, oldest first), each with the
/// time it was written; undecodable records are skipped, as MM2's `CheckpointStore` does. The
/// checkpoint emitter's store, `strait status` and `strait failover` all read them so.
pub(crate) fn decode_records(
    records: Vec<StoredRecord>,
) -> impl Iterator<Item = (Checkpoint, i64)> {
    records.into_iter().filter_map(|r| {
        let (Some(k), Some(v)) = (r.key, r.value) else {
            return None;
        };
        Checkpoint::decode(&k, &v).ok().map(|c| (c, r.timestamp))
    })
}

/// MM2's emission rule: a new checkpoint is written when there is none yet, when
/// `checkpoints` as the records of the checkpoints topic (MM2's key and value bytes), stamped
/// `now_ms`; one that cannot be encoded is left out.
pub(crate) fn checkpoint_records(checkpoints: &[Checkpoint], now_ms: i64) -> Vec<InternalRecord> {
    checkpoints
        .iter()
        .filter_map(|c| {
            Some(InternalRecord::new(
                c.encode_key().ok()?,
                c.encode_value().ok()?,
                now_ms,
            ))
        })
        .collect()
}

/// the group rewound upstream, or when the downstream offset moved forward.
pub(crate) fn should_emit(previous: Option<&Checkpoint>, upstream: i64, downstream: i64) -> bool {
    match previous {
        None => true,
        Some(p) => upstream < p.upstream_offset || downstream > p.downstream_offset,
    }
}

/// The downstream (target) name of source topic `topic` for checkpoints: a topic
/// that came from the target goes back to its original name, any other gets the remote name.
pub(crate) fn downstream_topic(
    policy: &ReplicationPolicy,
    source: &str,
    target: &str,
    topic: &str,
) -> String {
    if policy.topic_source(topic).as_deref() == Some(target) {
        policy.original_topic(topic)
    } else {
        policy.format_remote_topic(source, topic)
    }
}

/// What the checkpoint loop of one flow needs.
pub(crate) struct CheckpointEmitter {
    /// `S->T`, for logs.
    pub(crate) flow: String,
    /// Source alias.
    pub(crate) source: String,
    /// Target alias.
    pub(crate) target: String,
    /// The flow's checkpoint settings.
    pub(crate) settings: CheckpointsConfig,
    /// The flow's topic filter (checkpoints only for topics it selects).
    pub(crate) topics: TopicFilter,
    /// The flow's replication policy (remote names).
    pub(crate) policy: ReplicationPolicy,
    /// Source admin client (groups and their offsets).
    pub(crate) source_admin: ClusterClient,
    /// Target admin client (checkpoints topic, target groups).
    pub(crate) target_admin: ClusterClient,
    /// The flow's offset-sync log (translation).
    pub(crate) syncs: Arc<OffsetSyncLog>,
    /// Request timeout for the internal topic.
    pub(crate) timeout: Duration,
    /// Where checkpoint latencies are recorded (None when metrics are off).
    pub(crate) metrics: Option<Metrics>,
}

impl CheckpointEmitter {
    /// Runs until `shutdown`: creates and loads the checkpoints topic, then discovers groups and
    /// emits checkpoints (and syncs group offsets) on their intervals.
    pub(crate) async fn run(self, shutdown: CancellationToken) {
        let Some(mut store) = self.open(&shutdown).await else {
            return;
        };
        let mut groups: BTreeSet<String> = BTreeSet::new();
        let now = Instant::now();
        let mut next_refresh = now;
        let mut next_emit = now + self.settings.interval;
        let mut next_sync = self.settings.sync_group_offsets.map(|d| now + d);
        loop {
            let wake = [Some(next_refresh), Some(next_emit), next_sync]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or(next_emit);
            tokio::select! {
                _ = tokio::time::sleep_until(wake) => {}
                _ = shutdown.cancelled() => return,
            }
            // Each step asks the source or the target and can wait out a request timeout when
            // a cluster is unreachable: shutdown does not wait for it (nothing here needs a
            // final write; the next run starts from what the checkpoints topic holds).
            let step = async {
                let now = Instant::now();
                if now >= next_refresh {
                    match self.discover_groups().await {
                        Ok(found) => {
                            if found != groups {
                                info!(flow = %self.flow, groups = ?found, "consumer groups to checkpoint");
                            }
                            groups = found;
                            next_refresh = match self.settings.refresh_groups {
                                Some(d) => now + d,
                                None => now + Duration::from_secs(u32::MAX as u64),
                            };
                        }
                        Err(e) => {
                            warn!(flow = %self.flow, error = %e, "listing consumer groups on the source failed; retrying");
                            next_refresh = now + Duration::from_secs(5);
                        }
                    }
                }
                if now >= next_emit {
                    self.emit(&groups, &mut store).await;
                    next_emit = now + self.settings.interval;
                }
                if let (Some(at), Some(every)) = (next_sync, self.settings.sync_group_offsets) {
                    if now >= at {
                        self.sync_groups(&store).await;
                        next_sync = Some(now + every);
                    }
                }
            };
            tokio::select! {
                _ = step => {}
                _ = shutdown.cancelled() => return,
            }
        }
    }

    /// Creates the checkpoints topic if needed and loads the last checkpoint per group and
    /// partition from it; retries until it works or `shutdown`.
    async fn open(&self, shutdown: &CancellationToken) -> Option<CheckpointStore> {
        let topic = NewTopic {
            name: self.settings.topic.clone(),
            partitions: 1,
            replication_factor: self.settings.replication_factor,
            // As MM2 3.9 creates it: `checkpoints.topic.<config>` keys other than the replication
            // factor do not exist there and are listed as ignored at start.
            configs: vec![("cleanup.policy".into(), "compact".into())],
        };
        let mut backoff = Backoff::new(Duration::from_millis(500), Duration::from_secs(30));
        loop {
            let attempt = async {
                ensure_topic(&self.target_admin, &topic, self.timeout).await?;
                read_partition(&self.target_admin, &topic.name, 0).await
            };
            match attempt.await {
                Ok(records) => {
                    let store: CheckpointStore = decode_records(records)
                        .map(|(c, _)| ((c.group.clone(), c.topic.clone(), c.partition), c))
                        .collect();
                    info!(flow = %self.flow, topic = %topic.name, checkpoints = store.len(), "checkpoints loaded");
                    return Some(store);
                }
                Err(e) => {
                    let delay = backoff.next();
                    warn!(flow = %self.flow, topic = %topic.name, error = %e, retry_in = ?delay, "cannot use the checkpoints topic yet (check `checkpoints.topic.replication.factor`)");
                    tokio::select! {
                        _ = tokio::time::sleep(delay) => {}
                        _ = shutdown.cancelled() => return None,
                    }
                }
            }
        }
    }

    /// Groups passing the group filter that have committed offsets on a topic passing the topic
    /// filter.
    async fn discover_groups(&self) -> crate::protocol::Result<BTreeSet<String>> {
        let mut out = BTreeSet::new();
        for group in list_groups(&self.source_admin).await? {
            if !self.settings.groups.matches(&group) {
                continue;
            }
            match fetch_offsets(&self.source_admin, &group).await {
                Ok(offsets) => {
                    if offsets.keys().any(|tp| self.topics.matches(&tp.topic)) {
                        out.insert(group);
                    }
                }
                Err(e) => {
                    warn!(flow = %self.flow, group = %group, error = %e, "cannot read the group's offsets on the source")
                }
            }
        }
        Ok(out)
    }

    /// The metric labels of a checkpointed group partition (`topic`: the downstream name).
    fn labels(&self, group: &str, topic: &str, partition: i32) -> CheckpointLabels {
        CheckpointLabels {
            source: self.source.clone(),
            target: self.target.clone(),
            group: group.to_string(),
            topic: topic.to_string(),
            partition,
        }
    }

    /// One checkpoint round: translate every group's committed offsets and write what changed.
    async fn emit(&self, groups: &BTreeSet<String>, store: &mut CheckpointStore) {
        let mut fresh: Vec<Checkpoint> = Vec::new();
        // When each fresh checkpoint's group offsets were read (ms), for checkpoint-latency-ms.
        let mut listed_at: Vec<i64> = Vec::new();
        let mut seen: BTreeSet<TopicPartition> = BTreeSet::new();
        for group in groups {
            let offsets = match fetch_offsets(&self.source_admin, group).await {
                Ok(o) => o,
                Err(e) => {
                    warn!(flow = %self.flow, group = %group, error = %e, "cannot read the group's offsets on the source; skipping it this round");
                    continue;
                }
            };
            let listed = now_ms();
            for (TopicPartition { topic, partition }, committed) in offsets {
                if !self.topics.matches(&topic) {
                    continue;
                }
                seen.insert(TopicPartition::new(topic.clone(), partition));
                let Some(downstream) = self.syncs.translate(&topic, partition, committed.offset)
                else {
                    continue;
                };
                if downstream < 0 {
                    continue;
                }
                let remote = downstream_topic(&self.policy, &self.source, &self.target, &topic);
                let key = (group.clone(), remote.clone(), partition);
                if !should_emit(store.get(&key), committed.offset, downstream) {
                    // Already current with this commit.
                    if let Some(m) = &self.metrics {
                        m.checkpoint_current(&self.labels(group, &remote, partition), listed);
                    }
                    continue;
                }
                listed_at.push(listed);
                fresh.push(Checkpoint {
                    group: group.clone(),
                    topic: remote,
                    partition,
                    upstream_offset: committed.offset,
                    downstream_offset: downstream,
                    metadata: committed.metadata,
                });
            }
        }
        // Syncs for records the source no longer has are not needed. (Not the groups' positions:
        // a group may rewind to any offset the source still holds.)
        let seen: Vec<TopicPartition> = seen.into_iter().collect();
        for (tp, start) in list_offsets(&self.source_admin, &seen, OffsetSpec::Earliest).await {
            if let Ok(start) = start {
                self.syncs.prune_below(&tp.topic, tp.partition, start);
            }
        }
        if fresh.is_empty() {
            return;
        }
        let records = checkpoint_records(&fresh, now_ms());
        match append(
            &self.target_admin,
            &self.settings.topic,
            0,
            &records,
            self.timeout,
        )
        .await
        {
            Ok(_) => {
                debug!(flow = %self.flow, checkpoints = fresh.len(), "checkpoints written");
                if let Some(m) = &self.metrics {
                    let acked = now_ms();
                    for (c, at) in fresh.iter().zip(&listed_at) {
                        let labels = self.labels(&c.group, &c.topic, c.partition);
                        m.checkpoint_latency(&labels, acked.saturating_sub(*at));
                        m.checkpoint_current(&labels, *at);
                    }
                }
                for c in fresh {
                    store.insert((c.group.clone(), c.topic.clone(), c.partition), c);
                }
            }
            Err(e) => {
                warn!(flow = %self.flow, error = %e, "writing checkpoints failed; they are computed again next round")
            }
        }
    }

    /// Group offset sync: commit the latest checkpoints to the same groups on the
    /// target, for groups that do not exist there or have no members, never moving a partition
    /// backwards and never past the target's end offset.
    async fn sync_groups(&self, store: &CheckpointStore) {
        let mut by_group: BTreeMap<&str, GroupOffsets> = BTreeMap::new();
        for ((group, topic, partition), c) in store {
            by_group.entry(group.as_str()).or_default().insert(
                TopicPartition::new(topic.clone(), *partition),
                Committed {
                    offset: c.downstream_offset,
                    metadata: c.metadata.clone(),
                },
            );
        }
        for (group, candidates) in by_group {
            if let Err(e) = self.sync_group(group, candidates).await {
                warn!(flow = %self.flow, group, error = %e, "group offset sync failed; retrying next interval");
            }
        }
    }

    async fn sync_group(
        &self,
        group: &str,
        candidates: GroupOffsets,
    ) -> crate::protocol::Result<()> {
        let state = group_state(&self.target_admin, group).await?;
        let existing = match state.as_str() {
            "Dead" => GroupOffsets::new(),
            "Empty" => fetch_offsets(&self.target_admin, group).await?,
            active => {
                info!(flow = %self.flow, group, state = active, "group is active on the target; its offsets are left alone");
                return Ok(());
            }
        };
        let keys: Vec<TopicPartition> = candidates.keys().cloned().collect();
        let ends = list_offsets(&self.target_admin, &keys, OffsetSpec::Latest).await;
        let mut writes = GroupOffsets::new();
        for (tp, mut c) in candidates {
            let Some(Ok(end)) = ends.get(&tp) else {
                continue;
            };
            c.offset = c.offset.min(*end);
            if existing.get(&tp).is_some_and(|e| e.offset >= c.offset) {
                continue;
            }
            writes.insert(tp, c);
        }
        if writes.is_empty() {
            return Ok(());
        }
        let failed = commit_offsets(&self.target_admin, group, &writes).await?;
        if let Some((_, e)) = failed.first() {
            // UNKNOWN_MEMBER_ID and the like: consumers joined meanwhile; MM2 logs and moves on.
            info!(flow = %self.flow, group, error = %e, "the target refused the group's offsets (active consumers?)");
        } else {
            info!(flow = %self.flow, group, partitions = writes.len(), "group offsets synced to the target");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cp(upstream: i64, downstream: i64) -> Checkpoint {
        Checkpoint {
            group: "g".into(),
            topic: "A.t".into(),
            partition: 0,
            upstream_offset: upstream,
            downstream_offset: downstream,
            metadata: String::new(),
        }
    }

    /// Spec 12 item 19: monotonic unless the group rewinds.
    #[test]
    fn checkpoints_are_monotonic_unless_the_group_rewinds() {
        assert!(should_emit(None, 13, 6));
        let prev = cp(13, 6);
        assert!(!should_emit(Some(&prev), 13, 6), "nothing changed");
        assert!(!should_emit(Some(&prev), 13, 5), "translation went back");
        assert!(should_emit(Some(&prev), 14, 7), "group moved forward");
        assert!(should_emit(Some(&prev), 12, 5), "group rewound");
    }

    /// Spec 12 item 8.
    #[test]
    fn downstream_names_follow_mm2s_renaming() {
        let p = ReplicationPolicy::default_with(".", true);
        assert_eq!(
            downstream_topic(&p, "source1", "target2", "topic3"),
            "source1.topic3"
        );
        assert_eq!(
            downstream_topic(&p, "source1", "target2", "target2.topic3"),
            "topic3"
        );
        assert_eq!(
            downstream_topic(&p, "source1", "target2", "source6.topic7"),
            "source1.source6.topic7"
        );
    }
}
