//! Replication progress in Kafka: the last replicated offset of every source partition, written to
//! the Connect offsets topic on the target (`mm2-offsets.<source>.internal`) in exactly the format
//! Java MM2 uses. Read in full at start-up; written by a flusher every `offset.flush.interval.ms`
//! and once more at shutdown. Producers record progress only after the target acknowledged the data,
//! so a restart (after `kill -9` too) re-copies at most what was in flight or not yet flushed.
//!
//! One store per flow is shared by that flow's tasks (a mutex-guarded map of partition -> offset):
//! the flow has one offsets topic and one writer, so the tasks' updates have to meet somewhere.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::connect_format::{
    parse_source_offset_key, parse_source_offset_value, partition_for_key, source_offset_key,
    source_offset_value,
};
use super::internal_topic::{encode_batch, ensure_topic, InternalRecord, TopicIoError};
use super::topic_reader::read_partition;
use crate::clock::now_ms;
use crate::locks::lock;
use crate::plan::Route;
use crate::protocol::admin::NewTopic;
use crate::protocol::produce_request::{self, PartitionRecords};
use crate::protocol::{ClusterClient, ProtocolError, TopicPartition};

/// The internal topic on the target that stores replication progress in Kafka Connect's offsets
/// format, so that a replacement instance (strait or Java MM2) resumes where this one stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OffsetStorage {
    /// `offset.storage.topic` (default `mm2-offsets.<source>.internal`).
    pub(crate) topic: String,
    /// The connector name progress is keyed by: `MirrorSourceConnector` in dedicated mode (as
    /// MM2's herders name it), the source connector's REST name in Connect mode.
    pub(crate) connector: String,
    /// `offset.storage.partitions` (default 25).
    pub(crate) partitions: i32,
    /// `offset.storage.replication.factor` (default 3; -1 = broker default).
    pub(crate) replication_factor: i16,
    /// `offset.flush.interval.ms` given per target alias (`T.offset.flush.interval.ms`).
    ///
    /// Deliberate difference from MM2: the default is 1000 ms, not Connect's 60000 ms, so that a
    /// restart re-copies at most about a second of data. As in MM2, a top-level
    /// `offset.flush.interval.ms` is not applied (it is listed as ignored).
    pub(crate) flush_interval: Duration,
}

/// Failure to read or write the offsets topic.
#[derive(Debug, thiserror::Error)]
pub enum ProgressError {
    /// The offsets topic could not be created or found.
    #[error("offsets topic `{topic}` on cluster `{cluster}`: {message}")]
    Topic {
        /// Topic name.
        topic: String,
        /// Target cluster alias.
        cluster: String,
        /// What went wrong.
        message: String,
    },
    /// A request to the target failed.
    #[error("offsets topic `{topic}`: {source}")]
    Protocol {
        /// Topic name.
        topic: String,
        /// Cause.
        #[source]
        source: ProtocolError,
    },
}

impl From<TopicIoError> for ProgressError {
    fn from(e: TopicIoError) -> Self {
        match e {
            TopicIoError::Topic {
                topic,
                cluster,
                message,
            } => ProgressError::Topic {
                topic,
                cluster,
                message,
            },
            TopicIoError::Protocol { topic, source } => ProgressError::Protocol { topic, source },
        }
    }
}

/// Saved offsets: source (topic, partition) -> next offset to replicate.
pub(crate) type SavedProgress = HashMap<TopicPartition, i64>;

/// The progress saved for source cluster `source` in `topic`, read without creating anything:
/// `None` when the topic does not exist (nothing was ever saved there). For `strait status` and
/// the failover commands, which must work whether or not a replicator runs.
pub(crate) async fn read_saved(
    client: &ClusterClient,
    storage: &OffsetStorage,
    source: &str,
) -> Result<Option<SavedProgress>, ProgressError> {
    let topic = storage.topic.as_str();
    let metadata = client
        .refresh_metadata(Some(&[topic.to_string()]))
        .await
        .map_err(|source| ProgressError::Protocol {
            topic: topic.to_string(),
            source,
        })?;
    let Some(partitions) = metadata
        .topics
        .get(topic)
        .filter(|t| t.error.is_none() && !t.partitions.is_empty())
        .map(|t| t.partitions.len() as i32)
    else {
        return Ok(None);
    };
    read_progress(client, topic, partitions, &storage.connector, source)
        .await
        .map(Some)
}

/// Writes progress records for source cluster `source` as an operator asks through Connect's
/// `PATCH`/`DELETE .../offsets` (KIP-875): per source partition the last replicated offset, or
/// `None` for a tombstone (start again from the log start). The offsets topic is created if
/// missing; each record goes to the partition Java's producer would pick for its key.
pub(crate) async fn overwrite(
    client: &ClusterClient,
    storage: &OffsetStorage,
    source: &str,
    changes: &[(TopicPartition, Option<i64>)],
    timeout: Duration,
) -> Result<(), ProgressError> {
    let partitions = ensure_topic(
        client,
        &NewTopic {
            name: storage.topic.clone(),
            partitions: storage.partitions,
            replication_factor: storage.replication_factor,
            configs: Vec::new(),
        },
        timeout,
    )
    .await?;
    let mut by_partition: BTreeMap<i32, Vec<InternalRecord>> = BTreeMap::new();
    for (tp, last) in changes {
        let key = source_offset_key(&storage.connector, source, &tp.topic, tp.partition);
        let partition = partition_for_key(&key, partitions);
        by_partition
            .entry(partition)
            .or_default()
            .push(InternalRecord {
                key: Some(bytes::Bytes::from(key)),
                value: last.map(|o| bytes::Bytes::from(source_offset_value(o))),
                timestamp: now_ms(),
                headers: Vec::new(),
            });
    }
    for (partition, records) in by_partition {
        super::internal_topic::append(client, &storage.topic, partition, &records, timeout).await?;
    }
    Ok(())
}

/// Reads partitions `0..partitions` of offsets topic `topic` to their ends: the progress
/// `connector` saved for source cluster `source`.
async fn read_progress(
    client: &ClusterClient,
    topic: &str,
    partitions: i32,
    connector: &str,
    source: &str,
) -> Result<SavedProgress, ProgressError> {
    let mut saved = SavedProgress::new();
    for partition in 0..partitions {
        for r in read_partition(client, topic, partition).await? {
            apply(
                &mut saved,
                connector,
                source,
                r.key.as_deref(),
                r.value.as_deref(),
            );
        }
    }
    Ok(saved)
}

/// Applies one record of an offsets topic to `saved` as Connect's offset store does: the last
/// value per key wins, a null value deletes; keys of other connectors or clusters are skipped.
fn apply(
    saved: &mut SavedProgress,
    connector: &str,
    source: &str,
    key: Option<&[u8]>,
    value: Option<&[u8]>,
) {
    let Some(key) = key.and_then(parse_source_offset_key) else {
        return;
    };
    if key.connector != connector || key.cluster != source {
        return;
    }
    let tp = TopicPartition::new(key.topic, key.partition);
    match value.and_then(parse_source_offset_value) {
        // Connect stores the last replicated offset; replication resumes after it.
        Some(last) if last >= 0 => {
            saved.insert(tp, last + 1);
        }
        _ => {
            saved.remove(&tp);
        }
    }
}

/// The flow's progress writer.
pub(crate) struct ProgressStore {
    client: ClusterClient,
    storage: OffsetStorage,
    source: String,
    partitions: i32,
    timeout_ms: i32,
    /// Last replicated offset per source partition, not yet written.
    dirty: Mutex<BTreeMap<TopicPartition, i64>>,
}

impl ProgressStore {
    /// Ensures the offsets topic exists (compacted, as Connect creates it) and reads the progress
    /// saved for `source` from it.
    pub(crate) async fn open(
        client: ClusterClient,
        storage: OffsetStorage,
        source: &str,
        timeout: std::time::Duration,
    ) -> Result<(Arc<ProgressStore>, SavedProgress), ProgressError> {
        let hint = format!(
            " (`offset.storage.replication.factor` = {}, `offset.storage.partitions` = {})",
            storage.replication_factor, storage.partitions
        );
        let partitions = ensure_topic(
            &client,
            &NewTopic {
                name: storage.topic.clone(),
                partitions: storage.partitions,
                replication_factor: storage.replication_factor,
                configs: vec![("cleanup.policy".into(), "compact".into())],
            },
            timeout,
        )
        .await
        .map_err(|e| match ProgressError::from(e) {
            ProgressError::Topic {
                topic,
                cluster,
                message,
            } => ProgressError::Topic {
                topic,
                cluster,
                message: message + &hint,
            },
            other => other,
        })?;
        let timeout_ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
        let store = Arc::new(ProgressStore {
            client,
            storage,
            source: source.to_string(),
            partitions,
            timeout_ms,
            dirty: Mutex::new(BTreeMap::new()),
        });
        let saved = store.read_all().await?;
        info!(topic = %store.storage.topic, partitions = saved.len(), "loaded saved replication progress");
        Ok((store, saved))
    }

    /// Reads every partition of the offsets topic to its end; the last value per key wins and a
    /// null value deletes, as Connect's offset store does.
    async fn read_all(&self) -> Result<SavedProgress, ProgressError> {
        read_progress(
            &self.client,
            &self.storage.topic,
            self.partitions,
            &self.storage.connector,
            &self.source,
        )
        .await
    }

    /// Notes that every record of `route` before `next_offset` is on the target.
    pub(crate) fn record(&self, route: &Route, next_offset: i64) {
        if next_offset < 0 {
            return;
        }
        let mut dirty = lock(&self.dirty);
        dirty.insert(route.source(), next_offset - 1);
    }

    /// Writes everything recorded since the last flush; on failure it is kept for the next one.
    pub(crate) async fn flush(&self) -> Result<usize, ProgressError> {
        let taken = std::mem::take(&mut *lock(&self.dirty));
        if taken.is_empty() {
            return Ok(0);
        }
        match self.write(&taken).await {
            Ok(()) => Ok(taken.len()),
            Err(e) => {
                let mut dirty = lock(&self.dirty);
                for (k, v) in taken {
                    // Newer progress recorded meanwhile wins.
                    dirty.entry(k).or_insert(v);
                }
                Err(e)
            }
        }
    }

    async fn write(&self, entries: &BTreeMap<TopicPartition, i64>) -> Result<(), ProgressError> {
        let topic = &self.storage.topic;
        let wrap = |source| ProgressError::Protocol {
            topic: topic.clone(),
            source,
        };
        let now = now_ms();
        let mut by_partition: BTreeMap<i32, Vec<InternalRecord>> = BTreeMap::new();
        for (tp, last) in entries {
            let key = source_offset_key(
                &self.storage.connector,
                &self.source,
                &tp.topic,
                tp.partition,
            );
            let partition = partition_for_key(&key, self.partitions);
            by_partition
                .entry(partition)
                .or_default()
                .push(InternalRecord::new(key, source_offset_value(*last), now));
        }
        let mut by_leader: BTreeMap<i32, Vec<PartitionRecords>> = BTreeMap::new();
        for (partition, records) in by_partition {
            // One batch per partition: brokers accept one batch per partition per request.
            let batch = encode_batch(&records).map_err(|e| ProgressError::Topic {
                topic: topic.clone(),
                cluster: self.client.cluster_name().to_string(),
                message: format!("cannot encode progress records: {e}"),
            })?;
            let leader = self
                .client
                .leader_for(topic, partition)
                .await
                .map_err(wrap)?;
            by_leader.entry(leader).or_default().push(PartitionRecords {
                topic: topic.clone(),
                partition,
                records: batch,
            });
        }
        for (leader, parts) in by_leader {
            let req = produce_request::build(&parts, -1, self.timeout_ms);
            let (_, resp) = self.client.send_to(leader, &req).await.map_err(wrap)?;
            if let Some(bad) = produce_request::results(&resp)
                .into_iter()
                .find(|r| r.error_code != 0)
            {
                let generation = self.client.metadata().generation;
                self.client.invalidate_metadata(generation);
                return Err(ProgressError::Topic {
                    topic: topic.clone(),
                    cluster: self.client.cluster_name().to_string(),
                    message: format!(
                        "writing partition {} failed with error code {}",
                        bad.partition, bad.error_code
                    ),
                });
            }
        }
        Ok(())
    }

    /// Flushes every `offset.flush.interval.ms` until `drained` fires (every task has finished its
    /// in-flight produces after a shutdown signal), then flushes a last time.
    pub(crate) async fn run_flusher(self: Arc<Self>, drained: CancellationToken) {
        let mut tick = tokio::time::interval(self.storage.flush_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = drained.cancelled() => break,
            }
            match self.flush().await {
                Ok(0) => {}
                Ok(n) => debug!(partitions = n, "progress saved"),
                Err(e) => warn!(error = %e, "saving progress failed; retrying at the next flush"),
            }
        }
        for attempt in 0..5 {
            match self.flush().await {
                Ok(n) => {
                    info!(partitions = n, "final progress saved");
                    return;
                }
                Err(e) => {
                    warn!(error = %e, attempt, "saving final progress failed");
                    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                }
            }
        }
    }
}
