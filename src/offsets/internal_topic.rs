//! MM2's small internal topics (`heartbeats`, offset-syncs, checkpoints, Connect offsets): creating
//! them the way `MirrorUtils.createCompactedTopic` does, reading a partition from its start to its
//! end, and producing a handful of records to one partition with `acks=all`. MM2 writes these with plain producers, one partition each; they are not on the
//! zero-copy data path, so a simple "encode a batch, send one Produce, read the base offset" is all
//! they need. One place for it, so every internal-topic writer behaves the same.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use kafka_protocol::error::ResponseError;
use kafka_protocol::indexmap::IndexMap;
use kafka_protocol::messages::ApiKey;
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::records::{
    Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};
use tracing::{debug, info};

use crate::protocol::admin::{create_topics, NewTopic};
use crate::protocol::produce_request::{self, PartitionRecords};
use crate::protocol::{ClusterClient, ProtocolError};

/// `acks=all`: internal records must survive a leader change, as MM2's producers ensure.
const ACKS_ALL: i16 = -1;

/// One record for an internal topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InternalRecord {
    /// Record key (`None` = null key).
    pub(crate) key: Option<Bytes>,
    /// Record value (`None` = tombstone).
    pub(crate) value: Option<Bytes>,
    /// CreateTime, epoch milliseconds.
    pub(crate) timestamp: i64,
    /// Record headers, in order (`None` value = null header value).
    pub(crate) headers: Vec<(String, Option<Bytes>)>,
}

impl InternalRecord {
    /// A record with a key and a value and no headers (what MM2's internal records look like).
    pub(crate) fn new(key: Vec<u8>, value: Vec<u8>, timestamp: i64) -> Self {
        InternalRecord {
            key: Some(Bytes::from(key)),
            value: Some(Bytes::from(value)),
            timestamp,
            headers: Vec::new(),
        }
    }
}

/// `MirrorUtils.createCompactedTopic`: creates `topic` with `partitions` partitions,
/// `replication_factor` (-1 = broker default) and `cleanup.policy=compact`, nothing else (MM2 3.9
/// sets no other topic config on its internal topics). As in MM2, a topic that already exists, a
/// broker without CreateTopics, and a topic or cluster authorization failure count as success (the
/// topic is assumed to exist or to be auto-created); any other error (invalid replication factor,
/// invalid config, timeout) is returned.
pub(crate) async fn create_compacted_topic(
    client: &ClusterClient,
    topic: &str,
    partitions: i32,
    replication_factor: i16,
    timeout: Duration,
) -> Result<(), ProtocolError> {
    let new = NewTopic {
        name: topic.to_string(),
        partitions,
        replication_factor,
        configs: vec![("cleanup.policy".into(), "compact".into())],
    };
    let result = create_topics(client, std::slice::from_ref(&new), timeout)
        .await
        .into_iter()
        .next()
        .map(|(_, r)| r)
        .unwrap_or(Ok(()));
    match result {
        // create_topics already counts TOPIC_ALREADY_EXISTS as success.
        Ok(()) => {
            debug!(cluster = %client.cluster_name(), topic, "internal topic ready");
            Ok(())
        }
        Err(e) if assumed_to_exist(&e) => {
            info!(cluster = %client.cluster_name(), topic, error = %e, "cannot create the internal topic; assuming it exists or will be auto-created, as MM2 does");
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// The creation failures `MirrorUtils.createCompactedTopic` swallows.
fn assumed_to_exist(e: &ProtocolError) -> bool {
    match e {
        ProtocolError::UnsupportedVersion { .. } => true,
        ProtocolError::Broker { code, .. } => matches!(
            code,
            ResponseError::TopicAlreadyExists
                | ResponseError::UnsupportedVersion
                | ResponseError::TopicAuthorizationFailed
                | ResponseError::ClusterAuthorizationFailed
        ),
        _ => false,
    }
}

/// Encodes `records` as one uncompressed record batch (magic 2, no producer id).
pub(crate) fn encode_batch(records: &[InternalRecord]) -> Result<Bytes, String> {
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
            key: r.key.clone(),
            value: r.value.clone(),
            headers: r
                .headers
                .iter()
                .map(|(k, v)| (StrBytes::from_string(k.clone()), v.clone()))
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

/// Appends `records`, in order, to partition `partition` of `topic` with `acks=all` in one Produce
/// request to the partition's leader, and returns the offset the broker gave the first record. `timeout`
/// is the broker-side wait for the replicas. An empty `records` sends nothing and returns -1.
///
/// One attempt, no retry: the caller decides ([`ProtocolError::is_retriable`]). A failed produce marks
/// the client's metadata stale so the next attempt looks the leader up again.
pub(crate) async fn produce(
    client: &ClusterClient,
    topic: &str,
    partition: i32,
    records: &[InternalRecord],
    timeout: Duration,
) -> Result<i64, ProtocolError> {
    if records.is_empty() {
        return Ok(-1);
    }
    let codec = |message: String| ProtocolError::Codec {
        cluster: client.cluster_name().to_string(),
        broker: "-".into(),
        api: ApiKey::Produce,
        message,
    };
    let batch = encode_batch(records).map_err(|e| codec(format!("topic {topic}: {e}")))?;
    let (leader, generation) = client.leader_with_generation(topic, partition).await?;
    let timeout_ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
    let req = produce_request::build(
        &[PartitionRecords {
            topic: topic.to_string(),
            partition,
            records: batch,
        }],
        ACKS_ALL,
        timeout_ms,
    );
    let result = client.send_to(leader, &req).await.and_then(|(_, resp)| {
        let answer = resp
            .responses
            .iter()
            .filter(|t| t.name.0.as_str() == topic)
            .flat_map(|t| t.partition_responses.iter())
            .find(|p| p.index == partition)
            .ok_or_else(|| {
                codec(format!(
                    "{topic}-{partition} missing from the produce response"
                ))
            })?;
        if let Some(e) = ProtocolError::from_code(
            client.cluster_name(),
            ApiKey::Produce,
            answer.error_code,
            || {
                let message = answer
                    .error_message
                    .as_ref()
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default();
                format!("{topic}-{partition}{message}")
            },
        ) {
            return Err(e);
        }
        Ok(answer.base_offset)
    });
    if result.is_err() {
        client.invalidate_metadata(generation);
    }
    result
}

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

    pub(crate) fn topic(client: &ClusterClient, topic: &str, message: String) -> Self {
        TopicIoError::Topic {
            topic: topic.to_string(),
            cluster: client.cluster_name().to_string(),
            message,
        }
    }
}

/// Creates the compacted internal topic `topic` if it does not exist ([`create_compacted_topic`],
/// MM2's rules) and waits until its metadata lists partitions. Returns the partition count.
pub(crate) async fn ensure_topic(
    client: &ClusterClient,
    topic: &NewTopic,
    timeout: Duration,
) -> Result<i32, TopicIoError> {
    let wrap = |source| TopicIoError::Protocol {
        topic: topic.name.clone(),
        source,
    };
    if let Err(e) = create_compacted_topic(
        client,
        &topic.name,
        topic.partitions,
        topic.replication_factor,
        timeout,
    )
    .await
    {
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

/// [`produce`] with the error naming the topic, for the readers/writers built on [`TopicIoError`].
pub(crate) async fn append(
    client: &ClusterClient,
    topic: &str,
    partition: i32,
    records: &[InternalRecord],
    timeout: Duration,
) -> Result<i64, TopicIoError> {
    produce(client, topic, partition, records, timeout)
        .await
        .map_err(|source| TopicIoError::Protocol {
            topic: topic.to_string(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::{decode_records, split_batches};

    #[test]
    fn batch_round_trips_keys_values_timestamps_and_headers() {
        let records = vec![
            InternalRecord::new(b"k1".to_vec(), b"v1".to_vec(), 1_700_000_000_000),
            InternalRecord {
                key: None,
                value: None,
                timestamp: 1_700_000_000_001,
                headers: vec![
                    ("h".into(), Some(Bytes::from_static(b"x"))),
                    ("n".into(), None),
                ],
            },
        ];
        let bytes = encode_batch(&records).expect("encode");
        let split = split_batches(&bytes).expect("split");
        assert_eq!(split.batches.len(), 1, "one batch");
        let decoded = decode_records(&split.batches[0]).expect("decode");
        assert_eq!(decoded.len(), 2);
        assert_eq!(decoded[0].key.as_deref(), Some(&b"k1"[..]));
        assert_eq!(decoded[0].value.as_deref(), Some(&b"v1"[..]));
        assert_eq!(decoded[0].timestamp, 1_700_000_000_000);
        assert_eq!(decoded[1].key, None);
        assert_eq!(decoded[1].value, None);
        assert_eq!(decoded[1].timestamp, 1_700_000_000_001);
        assert_eq!(decoded[1].headers.len(), 2);
    }

    #[test]
    fn swallowed_creation_errors_match_mm2() {
        let broker = |code| ProtocolError::Broker {
            cluster: "c".into(),
            api: ApiKey::CreateTopics,
            code,
            context: String::new(),
        };
        for code in [
            ResponseError::TopicAlreadyExists,
            ResponseError::UnsupportedVersion,
            ResponseError::TopicAuthorizationFailed,
            ResponseError::ClusterAuthorizationFailed,
        ] {
            assert!(assumed_to_exist(&broker(code)), "{code:?}");
        }
        for code in [
            ResponseError::InvalidReplicationFactor,
            ResponseError::InvalidConfig,
            ResponseError::RequestTimedOut,
            ResponseError::PolicyViolation,
        ] {
            assert!(!assumed_to_exist(&broker(code)), "{code:?}");
        }
    }
}
