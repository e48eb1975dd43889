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
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::{Bytes, BytesMut};
use kafka_protocol::indexmap::IndexMap;
use kafka_protocol::records::{
    Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::connect_format::{
    parse_source_offset_key, parse_source_offset_value, partition_for_key, source_offset_key,
    source_offset_value, SOURCE_CONNECTOR,
};
use crate::config::{FetchSettings, OffsetStorage, StartAt};
use crate::fetch::request::{self as fetch_request, PartitionFetch};
use crate::fetch::Route;
use crate::produce::request::{self as produce_request, PartitionRecords};
use crate::protocol::admin::{create_topics, list_offsets, NewTopic, OffsetSpec};
use crate::protocol::{ClusterClient, ProtocolError};
use crate::records::{decode_records, split_batches};

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

/// Saved offsets: source (topic, partition) -> next offset to replicate.
pub type SavedProgress = HashMap<(String, i32), i64>;

/// The flow's progress writer.
pub struct ProgressStore {
    client: ClusterClient,
    storage: OffsetStorage,
    source: String,
    partitions: i32,
    timeout_ms: i32,
    /// Last replicated offset per source partition, not yet written.
    dirty: Mutex<BTreeMap<(String, i32), i64>>,
}

impl ProgressStore {
    /// Ensures the offsets topic exists (compacted, as Connect creates it) and reads the progress
    /// saved for `source` from it.
    pub async fn open(
        client: ClusterClient,
        storage: OffsetStorage,
        source: &str,
        timeout: std::time::Duration,
    ) -> Result<(Arc<ProgressStore>, SavedProgress), ProgressError> {
        let topic = storage.topic.clone();
        let wrap = |source| ProgressError::Protocol {
            topic: topic.clone(),
            source,
        };
        let created = create_topics(
            &client,
            &[NewTopic {
                name: storage.topic.clone(),
                partitions: storage.partitions,
                replication_factor: storage.replication_factor,
                configs: vec![("cleanup.policy".into(), "compact".into())],
            }],
            timeout,
        )
        .await;
        for (_, r) in created {
            if let Err(e) = r {
                if e.is_retriable() {
                    return Err(wrap(e));
                }
                return Err(ProgressError::Topic {
                    topic: storage.topic.clone(),
                    cluster: client.cluster_name().to_string(),
                    message: format!(
                        "cannot create it ({e}); check `offset.storage.replication.factor` ({}) and `offset.storage.partitions` ({}) against the target cluster",
                        storage.replication_factor, storage.partitions
                    ),
                });
            }
        }
        // A topic just created reaches every broker's metadata a moment later.
        let deadline = tokio::time::Instant::now() + timeout;
        let partitions = loop {
            let metadata = client
                .refresh_metadata(Some(std::slice::from_ref(&storage.topic)))
                .await
                .map_err(wrap)?;
            let found = metadata
                .topics
                .get(&storage.topic)
                .filter(|t| t.error.is_none())
                .map_or(0, |t| t.partitions.len() as i32);
            if found > 0 {
                break found;
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(ProgressError::Topic {
                    topic: storage.topic.clone(),
                    cluster: client.cluster_name().to_string(),
                    message: format!(
                        "the topic does not appear in the target's metadata after {timeout:?}"
                    ),
                });
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        };
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
        let topic = &self.storage.topic;
        let keys: Vec<(String, i32)> = (0..self.partitions).map(|p| (topic.clone(), p)).collect();
        let starts = list_offsets(&self.client, &keys, OffsetSpec::Earliest).await;
        let ends = list_offsets(&self.client, &keys, OffsetSpec::Latest).await;
        let mut saved = SavedProgress::new();
        let settings = FetchSettings {
            max_wait_ms: 0,
            min_bytes: 1,
            max_bytes: 8 << 20,
            partition_max_bytes: 1 << 20,
            read_committed: false,
            start_at: StartAt::Earliest,
            request_timeout: std::time::Duration::from_millis(self.timeout_ms as u64),
        };
        for key in &keys {
            let wrap = |source| ProgressError::Protocol {
                topic: topic.clone(),
                source,
            };
            let start = self.bound(starts.get(key), key.1)?;
            let end = self.bound(ends.get(key), key.1)?;
            let mut offset = start;
            let mut max_bytes = settings.partition_max_bytes;
            while offset < end {
                let leader = self.client.leader_for(topic, key.1).await.map_err(wrap)?;
                let req = fetch_request::build(
                    &[PartitionFetch {
                        topic: topic.clone(),
                        partition: key.1,
                        offset,
                        max_bytes,
                    }],
                    &settings,
                );
                let (_, resp) = self.client.send_to(leader, &req).await.map_err(wrap)?;
                let data = resp
                    .responses
                    .iter()
                    .flat_map(|t| t.partitions.iter())
                    .find(|p| p.partition_index == key.1)
                    .ok_or_else(|| ProgressError::Topic {
                        topic: topic.clone(),
                        cluster: self.client.cluster_name().to_string(),
                        message: format!("partition {} missing from a fetch response", key.1),
                    })?;
                if data.error_code != 0 {
                    return Err(ProgressError::Topic {
                        topic: topic.clone(),
                        cluster: self.client.cluster_name().to_string(),
                        message: format!(
                            "reading partition {} failed with error code {}",
                            key.1, data.error_code
                        ),
                    });
                }
                let records = data.records.clone().unwrap_or_default();
                let split = split_batches(&records).map_err(|e| self.corrupt(e))?;
                if split.batches.is_empty() {
                    // A single batch larger than the limit: ask for more.
                    max_bytes = max_bytes.saturating_mul(4);
                    continue;
                }
                for batch in &split.batches {
                    offset = offset.max(batch.header.last_offset() + 1);
                    if batch.header.is_control() {
                        continue;
                    }
                    for record in decode_records(batch).map_err(|e| self.corrupt(e))? {
                        self.apply(&mut saved, record.key.as_deref(), record.value.as_deref());
                    }
                }
            }
        }
        Ok(saved)
    }

    fn bound(
        &self,
        r: Option<&Result<i64, ProtocolError>>,
        partition: i32,
    ) -> Result<i64, ProgressError> {
        match r {
            Some(Ok(o)) => Ok(*o),
            Some(Err(e)) => Err(ProgressError::Topic {
                topic: self.storage.topic.clone(),
                cluster: self.client.cluster_name().to_string(),
                message: format!("cannot read the bounds of partition {partition}: {e}"),
            }),
            None => Err(ProgressError::Topic {
                topic: self.storage.topic.clone(),
                cluster: self.client.cluster_name().to_string(),
                message: format!("no offsets returned for partition {partition}"),
            }),
        }
    }

    fn corrupt(&self, e: crate::records::RecordsError) -> ProgressError {
        ProgressError::Topic {
            topic: self.storage.topic.clone(),
            cluster: self.client.cluster_name().to_string(),
            message: format!("unreadable record batch: {e}"),
        }
    }

    fn apply(&self, saved: &mut SavedProgress, key: Option<&[u8]>, value: Option<&[u8]>) {
        let Some(key) = key.and_then(parse_source_offset_key) else {
            return;
        };
        if key.connector != SOURCE_CONNECTOR || key.cluster != self.source {
            return;
        }
        let tp = (key.topic, key.partition);
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

    /// Notes that every record of `route` before `next_offset` is on the target.
    pub fn record(&self, route: &Route, next_offset: i64) {
        if next_offset <= 0 {
            return;
        }
        let mut dirty = self.dirty.lock().unwrap_or_else(|p| p.into_inner());
        dirty.insert(
            (route.source_topic.clone(), route.partition),
            next_offset - 1,
        );
    }

    /// Writes everything recorded since the last flush; on failure it is kept for the next one.
    pub async fn flush(&self) -> Result<usize, ProgressError> {
        let taken = std::mem::take(&mut *self.dirty.lock().unwrap_or_else(|p| p.into_inner()));
        if taken.is_empty() {
            return Ok(0);
        }
        match self.write(&taken).await {
            Ok(()) => Ok(taken.len()),
            Err(e) => {
                let mut dirty = self.dirty.lock().unwrap_or_else(|p| p.into_inner());
                for (k, v) in taken {
                    // Newer progress recorded meanwhile wins.
                    dirty.entry(k).or_insert(v);
                }
                Err(e)
            }
        }
    }

    async fn write(&self, entries: &BTreeMap<(String, i32), i64>) -> Result<(), ProgressError> {
        let topic = &self.storage.topic;
        let wrap = |source| ProgressError::Protocol {
            topic: topic.clone(),
            source,
        };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        let mut by_partition: BTreeMap<i32, Vec<Record>> = BTreeMap::new();
        for ((t, p), last) in entries {
            let key = source_offset_key(&self.source, t, *p);
            let partition = partition_for_key(&key, self.partitions);
            let records = by_partition.entry(partition).or_default();
            records.push(Record {
                transactional: false,
                control: false,
                delete_horizon: false,
                partition_leader_epoch: -1,
                producer_id: -1,
                producer_epoch: -1,
                timestamp_type: TimestampType::Creation,
                offset: records.len() as i64,
                // kafka-protocol starts a new batch whenever sequences do not follow on; consecutive
                // numbers keep each partition's records in ONE batch (brokers accept one batch per
                // partition per request). The producer id stays -1, so brokers ignore them.
                sequence: records.len() as i32,
                timestamp: now,
                key: Some(Bytes::from(key)),
                value: Some(Bytes::from(source_offset_value(*last))),
                headers: IndexMap::new(),
            });
        }
        let mut by_leader: BTreeMap<i32, Vec<PartitionRecords>> = BTreeMap::new();
        for (partition, records) in by_partition {
            let mut buf = BytesMut::new();
            RecordBatchEncoder::encode(
                &mut buf,
                records.iter(),
                &RecordEncodeOptions {
                    version: 2,
                    compression: Compression::None,
                },
            )
            .map_err(|e| ProgressError::Topic {
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
                records: buf.freeze(),
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
    pub async fn run_flusher(self: Arc<Self>, drained: CancellationToken) {
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
