//! Reading and writing strait's small internal topics (Connect offsets, offset-syncs,
//! checkpoints): create a compacted topic and wait until it is usable, read a partition from its
//! start to its end, append a few records. The data path never uses these; they favour clear
//! errors over speed.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use kafka_protocol::indexmap::IndexMap;
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::records::{
    Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};

use crate::config::{FetchSettings, StartAt};
use crate::fetch::request::{self as fetch_request, PartitionFetch};
use crate::produce::request::{self as produce_request, PartitionRecords};
use crate::protocol::admin::{create_topics, list_offsets, NewTopic, OffsetSpec};
use crate::protocol::{ClusterClient, ProtocolError};
use crate::records::{decode_records, split_batches};

/// Failure to use an internal topic.
#[derive(Debug, thiserror::Error)]
pub enum TopicIoError {
    /// The broker answered but the topic cannot be used as asked.
    #[error("topic `{topic}` on cluster `{cluster}`: {message}")]
    Topic {
        /// Topic name.
        topic: String,
        /// Cluster alias.
        cluster: String,
        /// What went wrong.
        message: String,
    },
    /// A request failed (connection, timeout, retriable broker error).
    #[error("topic `{topic}`: {source}")]
    Protocol {
        /// Topic name.
        topic: String,
        /// Cause.
        #[source]
        source: ProtocolError,
    },
}

impl TopicIoError {
    /// Whether trying again later may help.
    pub fn is_retriable(&self) -> bool {
        matches!(self, TopicIoError::Protocol { source, .. } if source.is_retriable())
    }

    fn topic(client: &ClusterClient, topic: &str, message: String) -> Self {
        TopicIoError::Topic {
            topic: topic.to_string(),
            cluster: client.cluster_name().to_string(),
            message,
        }
    }
}

/// A record read back from an internal topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    /// Its offset in the partition.
    pub offset: i64,
    /// Key (None for a null key).
    pub key: Option<Bytes>,
    /// Value (None for a tombstone).
    pub value: Option<Bytes>,
    /// Headers in order.
    pub headers: Vec<(Bytes, Option<Bytes>)>,
}

/// A record to append to an internal topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutRecord {
    /// Key bytes.
    pub key: Bytes,
    /// Value bytes (None writes a tombstone).
    pub value: Option<Bytes>,
    /// Headers in order.
    pub headers: Vec<(String, Bytes)>,
    /// CreateTime timestamp in ms.
    pub timestamp: i64,
}

/// Creates `topic` if it does not exist (an existing one is used as it is) and waits until its
/// metadata lists partitions. Returns the partition count.
pub async fn ensure_topic(
    client: &ClusterClient,
    topic: &NewTopic,
    timeout: Duration,
) -> Result<i32, TopicIoError> {
    let wrap = |source| TopicIoError::Protocol {
        topic: topic.name.clone(),
        source,
    };
    for (_, r) in create_topics(client, std::slice::from_ref(topic), timeout).await {
        if let Err(e) = r {
            if e.is_retriable() {
                return Err(wrap(e));
            }
            return Err(TopicIoError::topic(
                client,
                &topic.name,
                format!(
                    "cannot create it ({e}); check its replication factor ({}) against the cluster",
                    topic.replication_factor
                ),
            ));
        }
    }
    // A topic just created reaches every broker's metadata a moment later.
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let metadata = client
            .refresh_metadata(Some(std::slice::from_ref(&topic.name)))
            .await
            .map_err(wrap)?;
        let found = metadata
            .topics
            .get(&topic.name)
            .filter(|t| t.error.is_none())
            .map_or(0, |t| t.partitions.len() as i32);
        if found > 0 {
            return Ok(found);
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(TopicIoError::topic(
                client,
                &topic.name,
                format!("the topic does not appear in the cluster's metadata after {timeout:?}"),
            ));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Reads partition `partition` of `topic` from its log start to its current end.
pub async fn read_partition(
    client: &ClusterClient,
    topic: &str,
    partition: i32,
    timeout: Duration,
) -> Result<Vec<StoredRecord>, TopicIoError> {
    let wrap = |source| TopicIoError::Protocol {
        topic: topic.to_string(),
        source,
    };
    let key = vec![(topic.to_string(), partition)];
    let bound = |r: Option<Result<i64, ProtocolError>>| match r {
        Some(Ok(o)) => Ok(o),
        Some(Err(e)) => Err(TopicIoError::topic(
            client,
            topic,
            format!("cannot read the bounds of partition {partition}: {e}"),
        )),
        None => Err(TopicIoError::topic(
            client,
            topic,
            format!("no offsets returned for partition {partition}"),
        )),
    };
    let start = bound(
        list_offsets(client, &key, OffsetSpec::Earliest)
            .await
            .remove(&key[0]),
    )?;
    let end = bound(
        list_offsets(client, &key, OffsetSpec::Latest)
            .await
            .remove(&key[0]),
    )?;
    let settings = FetchSettings {
        max_wait_ms: 0,
        min_bytes: 1,
        max_bytes: 8 << 20,
        partition_max_bytes: 1 << 20,
        read_committed: false,
        start_at: StartAt::Earliest,
        request_timeout: timeout,
    };
    let corrupt = |e: crate::records::RecordsError| {
        TopicIoError::topic(client, topic, format!("unreadable record batch: {e}"))
    };
    let mut out = Vec::new();
    let mut offset = start;
    let mut max_bytes = settings.partition_max_bytes;
    while offset < end {
        let leader = client.leader_for(topic, partition).await.map_err(wrap)?;
        let req = fetch_request::build(
            &[PartitionFetch {
                topic: topic.to_string(),
                partition,
                offset,
                max_bytes,
            }],
            &settings,
        );
        let (_, resp) = client.send_to(leader, &req).await.map_err(wrap)?;
        let data = resp
            .responses
            .iter()
            .flat_map(|t| t.partitions.iter())
            .find(|p| p.partition_index == partition)
            .ok_or_else(|| {
                TopicIoError::topic(
                    client,
                    topic,
                    format!("partition {partition} missing from a fetch response"),
                )
            })?;
        if data.error_code != 0 {
            return Err(TopicIoError::topic(
                client,
                topic,
                format!(
                    "reading partition {partition} failed with error code {}",
                    data.error_code
                ),
            ));
        }
        let records = data.records.clone().unwrap_or_default();
        let split = split_batches(&records).map_err(corrupt)?;
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
            for r in decode_records(batch).map_err(corrupt)? {
                out.push(StoredRecord {
                    offset: r.offset,
                    key: r.key,
                    value: r.value,
                    headers: r.headers,
                });
            }
        }
    }
    Ok(out)
}

/// Encodes `records` as one uncompressed, non-idempotent batch (brokers take one batch per
/// partition per request).
pub fn encode_batch(records: &[OutRecord]) -> Result<Bytes, String> {
    let encoded: Vec<Record> = records
        .iter()
        .enumerate()
        .map(|(i, r)| Record {
            transactional: false,
            control: false,
            delete_horizon: false,
            partition_leader_epoch: -1,
            producer_id: -1,
            producer_epoch: -1,
            timestamp_type: TimestampType::Creation,
            offset: i as i64,
            // kafka-protocol starts a new batch whenever sequences do not follow on; consecutive
            // numbers keep the records in ONE batch. The producer id stays -1, so brokers ignore them.
            sequence: i as i32,
            timestamp: r.timestamp,
            key: Some(r.key.clone()),
            value: r.value.clone(),
            headers: r
                .headers
                .iter()
                .map(|(k, v)| (StrBytes::from_string(k.clone()), Some(v.clone())))
                .collect::<IndexMap<_, _>>(),
        })
        .collect();
    let mut buf = BytesMut::new();
    RecordBatchEncoder::encode(
        &mut buf,
        encoded.iter(),
        &RecordEncodeOptions {
            version: 2,
            compression: Compression::None,
        },
    )
    .map_err(|e| e.to_string())?;
    Ok(buf.freeze())
}

/// Appends `records` to partition `partition` of `topic` (acks=all) and returns the offset the
/// first one got. On error nothing is known to be written; retrying may duplicate, which every
/// reader of these topics tolerates (last value per key wins).
pub async fn append(
    client: &ClusterClient,
    topic: &str,
    partition: i32,
    records: &[OutRecord],
    timeout: Duration,
) -> Result<i64, TopicIoError> {
    let wrap = |source| TopicIoError::Protocol {
        topic: topic.to_string(),
        source,
    };
    let bytes = encode_batch(records)
        .map_err(|e| TopicIoError::topic(client, topic, format!("cannot encode records: {e}")))?;
    let leader = client.leader_for(topic, partition).await.map_err(wrap)?;
    let timeout_ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
    let req = produce_request::build(
        &[PartitionRecords {
            topic: topic.to_string(),
            partition,
            records: bytes,
        }],
        -1,
        timeout_ms,
    );
    let (_, resp) = client.send_to(leader, &req).await.map_err(wrap)?;
    let result = produce_request::results(&resp)
        .into_iter()
        .find(|r| r.partition == partition)
        .ok_or_else(|| TopicIoError::topic(client, topic, "no answer for the partition".into()))?;
    if result.error_code != 0 {
        let generation = client.metadata().generation;
        client.invalidate_metadata(generation);
        let error = ProtocolError::from_code(
            client.cluster_name(),
            kafka_protocol::messages::ApiKey::Produce,
            result.error_code,
            || format!("{topic}-{partition}"),
        );
        return Err(match error {
            Some(e) => wrap(e),
            None => TopicIoError::topic(
                client,
                topic,
                format!("append failed with error code {}", result.error_code),
            ),
        });
    }
    Ok(result.base_offset)
}
