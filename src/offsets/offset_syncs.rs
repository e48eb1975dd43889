//! The flow's offset-sync log: every acknowledged forwarded batch passes through here. It applies
//! MM2's sync rule ([`super::sync_rules`]), keeps the translation index ([`super::translation`])
//! that checkpoints read, and writes the syncs, in MM2's byte layout, to
//! `mm2-offset-syncs.<T>.internal` (on the source by default) so that Java tooling and a restarted
//! strait can read them.
//!
//! Every sync strait writes carries one record header, [`CHAIN_HEADER`]: the upstream offset of
//! the previous sync this run wrote for the same partition. Key and value stay MM2's bytes (Java
//! MM2 ignores headers); the header tells a restarted strait which pairs of syncs it read back have
//! nothing missing between them (compaction and Java MM2 can both leave holes), which is what
//! makes translation exact across restarts rather than only "never too far".

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::internal_topic::{append, ensure_topic, InternalRecord, TopicIoError};
use super::mm2_records::OffsetSync;
use super::sync_rules::{PartitionSyncState, SyncPoint};
use super::topic_reader::{read_partition, StoredRecord};
use super::translation::TranslationIndex;
use crate::clock::now_ms;
use crate::protocol::admin::NewTopic;
use crate::protocol::{Backoff, ClusterClient};
use crate::records::UpstreamOffsets;

/// Record header naming the previous sync of the same partition in the writing run (8-byte
/// big-endian upstream offset).
pub const CHAIN_HEADER: &str = "strait.previous-sync";

/// Syncs held for writing at most; beyond it (the offset-syncs topic unwritable for long) the
/// oldest are dropped and the chain of their partitions restarts, which only costs precision.
const MAX_PENDING: usize = 200_000;

/// Syncs in one append request at most.
const MAX_PER_APPEND: usize = 5_000;

/// Where and how the syncs are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetSyncSettings {
    /// `mm2-offset-syncs.<T>.internal` (policy-dependent separator).
    pub topic: String,
    /// `offset-syncs.topic.replication.factor` (default 3).
    pub replication_factor: i16,
    /// `offset.lag.max` (default 100).
    pub lag_max: i64,
    /// How often the last replicated record of each partition is synced (MM2 does it at each
    /// offset commit); strait uses the progress flush interval.
    pub flush_interval: Duration,
    /// Request timeout of the client that writes them.
    pub timeout: Duration,
}

/// The offset-syncs topic as MM2 creates it: one partition, compacted.
fn new_topic(settings: &OffsetSyncSettings) -> NewTopic {
    NewTopic {
        name: settings.topic.clone(),
        partitions: 1,
        replication_factor: settings.replication_factor,
        configs: vec![("cleanup.policy".into(), "compact".into())],
    }
}

/// One sync waiting to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pending {
    topic: Arc<str>,
    partition: i32,
    point: SyncPoint,
    /// Upstream offset of the previous sync written for the partition in this run.
    previous: Option<i64>,
}

#[derive(Debug)]
struct PartitionState {
    rules: PartitionSyncState,
    topic: Arc<str>,
    last_emitted: Option<i64>,
    delayed: Option<SyncPoint>,
}

#[derive(Debug, Default)]
struct State {
    index: TranslationIndex,
    partitions: HashMap<(Arc<str>, i32), PartitionState>,
    pending: VecDeque<Pending>,
}

impl State {
    fn emit(&mut self, key: &(Arc<str>, i32), point: SyncPoint) {
        let Some(p) = self.partitions.get_mut(key) else {
            return;
        };
        let previous = p.last_emitted.replace(point.upstream);
        self.index
            .partition_mut(&key.0, key.1)
            .add(point, previous.is_some());
        self.pending.push_back(Pending {
            topic: p.topic.clone(),
            partition: key.1,
            point,
            previous,
        });
    }
}

/// The flow's offset-sync log (shared by its tasks and its checkpoint emitter).
#[derive(Debug)]
pub struct OffsetSyncLog {
    state: Mutex<State>,
    wake: Notify,
    lag_max: i64,
}

impl OffsetSyncLog {
    /// An empty log; `lag_max` is `offset.lag.max`.
    pub fn new(lag_max: i64) -> Arc<Self> {
        Arc::new(OffsetSyncLog {
            state: Mutex::new(State::default()),
            wake: Notify::new(),
            lag_max,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        crate::locks::lock(&self.state)
    }

    /// Records one acknowledged forwarded batch of source partition `topic`/`partition`: its
    /// `records` records are on the target from `downstream_base`.
    pub fn on_batch(
        &self,
        topic: &str,
        partition: i32,
        upstream: &UpstreamOffsets,
        records: i32,
        downstream_base: i64,
    ) {
        let mut state = self.lock();
        let key: (Arc<str>, i32) = (Arc::from(topic), partition);
        let lag_max = self.lag_max;
        let p = state
            .partitions
            .entry(key.clone())
            .or_insert_with(|| PartitionState {
                rules: PartitionSyncState::new(lag_max),
                topic: key.0.clone(),
                last_emitted: None,
                delayed: None,
            });
        let mut syncs = Vec::new();
        let last = p
            .rules
            .on_batch(upstream, records, downstream_base, &mut syncs);
        let forced = !syncs.is_empty();
        for s in syncs {
            state.emit(&key, s);
        }
        if let Some(last) = last {
            if let Some(p) = state.partitions.get_mut(&key) {
                p.delayed = (p.last_emitted != Some(last.upstream)).then_some(last);
            }
            state.index.partition_mut(topic, partition).set_tail(last);
        }
        drop(state);
        if forced {
            self.wake.notify_one();
        }
    }

    /// Notes that a batch of the partition landed at an unknown target offset (the broker did not
    /// say): the next batch starts a new chain with a fresh sync.
    pub fn forget(&self, topic: &str, partition: i32) {
        let mut state = self.lock();
        let key: (Arc<str>, i32) = (Arc::from(topic), partition);
        if let Some(p) = state.partitions.get_mut(&key) {
            p.rules = PartitionSyncState::new(self.lag_max);
            p.last_emitted = None;
            p.delayed = None;
        }
        state.index.partition_mut(topic, partition).clear_tail();
    }

    /// See [`TranslationIndex::translate`].
    pub fn translate(&self, topic: &str, partition: i32, upstream: i64) -> Option<i64> {
        self.lock().index.translate(topic, partition, upstream)
    }

    /// Closes a finished partition's chain for exact translation after the newest sync, given
    /// the partition's source and target end offsets once the source stopped and the target holds
    /// everything. Two cases are exact: the newest sync is the target's last record (any later
    /// source offset, a trailing transaction marker say, then translates to the target's end), or
    /// the ends are as far from the newest sync as each other (every record after it was
    /// replicated in lockstep: a skipped source offset would have been synced). Returns whether the
    /// chain was closed. For a planned failover.
    pub(crate) fn close_at_ends(
        &self,
        topic: &str,
        partition: i32,
        source_end: i64,
        target_end: i64,
    ) -> bool {
        let mut state = self.lock();
        let index = state.index.partition_mut(topic, partition);
        let Some(last) = index.last() else {
            return false;
        };
        if target_end - last.downstream == 1 {
            index.set_tail(last);
            return true;
        }
        let lockstep = source_end - last.upstream == target_end - last.downstream;
        if lockstep && source_end > last.upstream {
            index.set_tail(SyncPoint {
                upstream: source_end - 1,
                downstream: target_end - 1,
            });
        }
        lockstep
    }

    /// The newest sync known for a partition.
    pub(crate) fn last_sync(&self, topic: &str, partition: i32) -> Option<SyncPoint> {
        self.lock().index.partition_mut(topic, partition).last()
    }

    /// Drops index entries that no offset at or after `upstream` needs.
    pub fn prune_below(&self, topic: &str, partition: i32, upstream: i64) {
        self.lock()
            .index
            .partition_mut(topic, partition)
            .prune_below(upstream);
    }

    /// Index entries held in total.
    pub fn index_entries(&self) -> usize {
        self.lock().index.entries()
    }

    /// Feeds syncs read back from the offset-syncs topic (oldest first) into the index.
    pub fn load(&self, records: &[StoredRecord]) -> usize {
        let mut state = self.lock();
        let mut last_seen: HashMap<(String, i32), i64> = HashMap::new();
        let mut loaded = 0;
        for r in records {
            let (Some(key), Some(value)) = (&r.key, &r.value) else {
                continue;
            };
            let Ok(sync) = OffsetSync::decode(key, value) else {
                continue;
            };
            let previous = r
                .headers
                .iter()
                .find(|(k, _)| k.as_ref() == CHAIN_HEADER.as_bytes())
                .and_then(|(_, v)| v.as_ref())
                .and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok())
                .map(i64::from_be_bytes);
            let tp = (sync.topic.clone(), sync.partition);
            let chained = previous.is_some() && previous == last_seen.get(&tp).copied();
            last_seen.insert(tp, sync.upstream_offset);
            state.index.partition_mut(&sync.topic, sync.partition).add(
                SyncPoint {
                    upstream: sync.upstream_offset,
                    downstream: sync.downstream_offset,
                },
                chained,
            );
            loaded += 1;
        }
        loaded
    }

    /// Takes what is to be written; `promote` also syncs each partition's last replicated record
    /// (MM2's delayed syncs, promoted at each offset commit).
    fn take(&self, promote: bool) -> Vec<Pending> {
        let mut state = self.lock();
        if promote {
            let delayed: Vec<((Arc<str>, i32), SyncPoint)> = state
                .partitions
                .iter_mut()
                .filter_map(|(k, p)| p.delayed.take().map(|d| (k.clone(), d)))
                .collect();
            for (key, point) in delayed {
                state.emit(&key, point);
            }
        }
        let n = state.pending.len().min(MAX_PER_APPEND);
        state.pending.drain(..n).collect()
    }

    /// Puts back syncs that could not be written, ahead of newer ones, dropping the oldest beyond
    /// [`MAX_PENDING`].
    fn requeue(&self, failed: Vec<Pending>) {
        let mut state = self.lock();
        for p in failed.into_iter().rev() {
            state.pending.push_front(p);
        }
        let excess = state.pending.len().saturating_sub(MAX_PENDING);
        if excess > 0 {
            let dropped: Vec<Pending> = state.pending.drain(..excess).collect();
            warn!(
                dropped = excess,
                "offset-syncs could not be written for a long time; the oldest were dropped"
            );
            // The next sync of each affected partition no longer follows a written one.
            for d in dropped {
                if let Some(next) = state
                    .pending
                    .iter_mut()
                    .find(|p| p.topic == d.topic && p.partition == d.partition)
                {
                    next.previous = None;
                }
            }
        }
    }

    fn has_pending(&self) -> bool {
        !self.lock().pending.is_empty()
    }

    /// Creates the offset-syncs topic if needed and reads what earlier runs (strait or Java MM2)
    /// wrote into the index; returns how many syncs were read. Call before any batch is recorded.
    pub async fn open(
        &self,
        client: &ClusterClient,
        settings: &OffsetSyncSettings,
    ) -> Result<usize, TopicIoError> {
        ensure_topic(client, &new_topic(settings), settings.timeout).await?;
        let records = read_partition(client, &settings.topic, 0).await?;
        let loaded = self.load(&records);
        info!(topic = %settings.topic, cluster = client.cluster_name(), syncs = loaded, index_entries = self.index_entries(), "offset-syncs loaded");
        Ok(loaded)
    }

    /// Writes syncs as they come (forced ones at once, each partition's last record every
    /// `flush_interval`) until `drained` fires, then writes what is left.
    pub async fn run_writer(
        self: Arc<Self>,
        client: ClusterClient,
        settings: OffsetSyncSettings,
        drained: CancellationToken,
    ) {
        let mut tick = tokio::time::interval(settings.flush_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(10));
        let mut final_round = false;
        loop {
            let promote = if final_round {
                true
            } else {
                tokio::select! {
                    _ = self.wake.notified() => false,
                    _ = tick.tick() => true,
                    _ = drained.cancelled() => { final_round = true; true }
                }
            };
            let mut promote = promote;
            loop {
                let batch = self.take(promote);
                promote = false;
                if batch.is_empty() {
                    break;
                }
                if let Err(e) = self.write(&client, &settings, &batch).await {
                    self.requeue(batch);
                    // The topic may be missing (deleted, or its creation failed at start).
                    let _ = ensure_topic(&client, &new_topic(&settings), settings.timeout).await;
                    let delay = backoff.next();
                    warn!(topic = %settings.topic, error = %e, retry_in = ?delay, "writing offset-syncs failed; retrying");
                    if final_round {
                        return;
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(delay) => {}
                        _ = drained.cancelled() => { final_round = true; }
                    }
                    break;
                }
                backoff.reset();
            }
            if final_round && !self.has_pending() {
                debug!(topic = %settings.topic, "offset-syncs writer stopped");
                return;
            }
        }
    }

    async fn write(
        &self,
        client: &ClusterClient,
        settings: &OffsetSyncSettings,
        batch: &[Pending],
    ) -> Result<(), TopicIoError> {
        let now = now_ms();
        let records: Vec<InternalRecord> = batch
            .iter()
            .filter_map(|p| {
                let sync = OffsetSync {
                    topic: p.topic.to_string(),
                    partition: p.partition,
                    upstream_offset: p.point.upstream,
                    downstream_offset: p.point.downstream,
                };
                let mut record =
                    InternalRecord::new(sync.encode_key().ok()?, sync.encode_value().ok()?, now);
                if let Some(prev) = p.previous {
                    record.headers.push((
                        CHAIN_HEADER.to_string(),
                        Some(Bytes::copy_from_slice(&prev.to_be_bytes())),
                    ));
                }
                Some(record)
            })
            .collect();
        append(client, &settings.topic, 0, &records, settings.timeout).await?;
        debug!(topic = %settings.topic, syncs = records.len(), "offset-syncs written");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(offset: i64, topic: &str, u: i64, d: i64, previous: Option<i64>) -> StoredRecord {
        let s = OffsetSync {
            topic: topic.into(),
            partition: 0,
            upstream_offset: u,
            downstream_offset: d,
        };
        StoredRecord {
            offset,
            timestamp: 0,
            key: Some(Bytes::from(s.encode_key().unwrap())),
            value: Some(Bytes::from(s.encode_value().unwrap())),
            headers: previous
                .map(|p| {
                    vec![(
                        Bytes::from_static(CHAIN_HEADER.as_bytes()),
                        Some(Bytes::copy_from_slice(&p.to_be_bytes())),
                    )]
                })
                .unwrap_or_default(),
        }
    }

    /// A finished partition read back from the topic closes at its ends when that is exact: a
    /// trailing marker after the last replicated record, or lockstep from the newest sync.
    #[test]
    fn finished_partitions_close_at_their_ends_only_when_exact() {
        let log = OffsetSyncLog::new(100);
        log.load(&[stored(0, "t", 0, 0, None), stored(1, "t", 52, 41, Some(0))]);
        // The newest sync is the target's last record; 53 is a marker.
        assert!(log.close_at_ends("t", 0, 54, 42));
        assert_eq!(log.translate("t", 0, 52), Some(41));
        assert_eq!(log.translate("t", 0, 53), Some(42));
        assert_eq!(log.translate("t", 0, 54), Some(42));

        let log = OffsetSyncLog::new(100);
        log.load(&[stored(0, "t", 0, 0, None)]);
        // Lockstep: 60 records after the sync on both sides.
        assert!(log.close_at_ends("t", 0, 60, 60));
        assert_eq!(log.translate("t", 0, 25), Some(25));
        assert_eq!(log.translate("t", 0, 60), Some(60));

        let log = OffsetSyncLog::new(100);
        log.load(&[stored(0, "t", 0, 0, None)]);
        // A skipped source offset after the newest sync that no sync records: not exact.
        assert!(!log.close_at_ends("t", 0, 60, 58));
        assert!(!log.close_at_ends("u", 0, 60, 60), "no sync at all");
    }

    #[test]
    fn live_batches_emit_syncs_with_their_chain_and_translate_exactly() {
        let log = OffsetSyncLog::new(100);
        // Two transactions of 3 records, markers at 3 and 7.
        let up = |first| UpstreamOffsets {
            first,
            jumps: vec![],
        };
        log.on_batch("t", 0, &up(0), 3, 50);
        log.on_batch("t", 0, &up(4), 3, 53);
        let pending = log.take(false);
        assert_eq!(
            pending
                .iter()
                .map(|p| (p.point.upstream, p.point.downstream, p.previous))
                .collect::<Vec<_>>(),
            [(0, 50, None), (4, 53, Some(0))]
        );
        assert_eq!(log.translate("t", 0, 3), Some(53));
        assert_eq!(log.translate("t", 0, 6), Some(55));
        assert_eq!(log.translate("t", 0, 7), Some(56), "target end");
        // The last record is synced at the next flush.
        let promoted = log.take(true);
        assert_eq!(
            promoted
                .iter()
                .map(|p| (p.point.upstream, p.previous))
                .collect::<Vec<_>>(),
            [(6, Some(4))]
        );
        assert!(log.take(true).is_empty());
    }

    #[test]
    fn syncs_read_back_are_chained_only_where_nothing_is_missing() {
        let log = OffsetSyncLog::new(100);
        let loaded = log.load(&[
            stored(0, "t", 0, 0, None),
            stored(1, "t", 10, 8, Some(0)),
            // Written by Java MM2 or after a lost sync: not chained.
            stored(2, "t", 30, 20, None),
            stored(3, "t", 40, 30, Some(35)),
        ]);
        assert_eq!(loaded, 4);
        assert_eq!(log.translate("t", 0, 9), Some(8), "chained: exact");
        assert_eq!(log.translate("t", 0, 12), Some(9), "no chain: MM2's rule");
        assert_eq!(log.translate("t", 0, 33), Some(21), "no chain: MM2's rule");
        assert_eq!(log.translate("t", 0, 40), Some(30));
    }

    #[test]
    fn requeued_syncs_keep_their_order() {
        let log = OffsetSyncLog::new(0);
        log.on_batch(
            "t",
            0,
            &UpstreamOffsets {
                first: 0,
                jumps: vec![],
            },
            3,
            0,
        );
        let first = log.take(false);
        assert_eq!(first.len(), 3);
        log.on_batch(
            "t",
            0,
            &UpstreamOffsets {
                first: 3,
                jumps: vec![],
            },
            1,
            3,
        );
        log.requeue(first);
        let again: Vec<i64> = log.take(false).iter().map(|p| p.point.upstream).collect();
        assert_eq!(again, [0, 1, 2, 3]);
    }
}
