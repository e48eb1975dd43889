//! Building Fetch requests for many partitions of one leader: topics by name (v4-v12) and by id
//! (v13), both filled in, so that the version the connection negotiates picks its own. By id, a
//! topic deleted and created again under the same name is answered UNKNOWN_TOPIC_ID instead of
//! with the new topic's records. Used by a task's fetcher and by the readers of internal topics.

use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::{BrokerId, FetchRequest, TopicName};
use kafka_protocol::protocol::StrBytes;
use uuid::Uuid;

/// The request-wide limits of a Fetch (the consumer's `fetch.*` and `isolation.level`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FetchLimits {
    /// `fetch.max.wait.ms`: how long the broker may wait for `min_bytes`.
    pub(crate) max_wait_ms: i32,
    /// `fetch.min.bytes`.
    pub(crate) min_bytes: i32,
    /// `fetch.max.bytes`: the response's upper bound.
    pub(crate) max_bytes: i32,
    /// `isolation.level = read_committed`.
    pub(crate) read_committed: bool,
}

/// One partition to fetch: topic, partition, offset, and the byte limit for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PartitionFetch {
    /// Topic name.
    pub(crate) topic: String,
    /// Topic id (nil where the broker gave none; such a broker does not speak Fetch v13).
    pub(crate) topic_id: Uuid,
    /// Partition number.
    pub(crate) partition: i32,
    /// First offset wanted.
    pub(crate) offset: i64,
    /// `partition_max_bytes` for this partition (raised for a batch larger than the default).
    pub(crate) max_bytes: i32,
}

/// Builds one Fetch request for `parts` (all led by the same broker), grouping partitions by topic
/// in the order given. No fetch session: every request is a full fetch.
pub(crate) fn build(parts: &[PartitionFetch], settings: &FetchLimits) -> FetchRequest {
    let mut topics: Vec<FetchTopic> = Vec::new();
    for p in parts {
        let partition = FetchPartition::default()
            .with_partition(p.partition)
            .with_current_leader_epoch(-1)
            .with_fetch_offset(p.offset)
            .with_last_fetched_epoch(-1)
            .with_log_start_offset(-1)
            .with_partition_max_bytes(p.max_bytes);
        match topics.last_mut() {
            Some(t) if t.topic.0.as_str() == p.topic => t.partitions.push(partition),
            _ => topics.push(
                FetchTopic::default()
                    .with_topic(TopicName(StrBytes::from_string(p.topic.clone())))
                    .with_topic_id(p.topic_id)
                    .with_partitions(vec![partition]),
            ),
        }
    }
    FetchRequest::default()
        .with_replica_id(BrokerId(-1))
        .with_max_wait_ms(settings.max_wait_ms)
        .with_min_bytes(settings.min_bytes)
        .with_max_bytes(settings.max_bytes)
        .with_isolation_level(i8::from(settings.read_committed))
        .with_session_id(0)
        .with_session_epoch(-1)
        .with_topics(topics)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(read_committed: bool) -> FetchLimits {
        FetchLimits {
            max_wait_ms: 500,
            min_bytes: 1024,
            max_bytes: 52_428_800,
            read_committed,
        }
    }

    #[test]
    fn groups_partitions_by_topic_and_carries_settings() {
        let parts = vec![
            PartitionFetch {
                topic: "a".into(),
                topic_id: Uuid::from_u128(0xa),
                partition: 0,
                offset: 5,
                max_bytes: 100,
            },
            PartitionFetch {
                topic: "a".into(),
                topic_id: Uuid::from_u128(0xa),
                partition: 3,
                offset: 9,
                max_bytes: 100,
            },
            PartitionFetch {
                topic: "b".into(),
                topic_id: Uuid::from_u128(0xb),
                partition: 1,
                offset: 0,
                max_bytes: 7000,
            },
        ];
        let req = build(&parts, &settings(true));
        assert_eq!(req.topics.len(), 2);
        assert_eq!(req.topics[0].partitions.len(), 2);
        assert_eq!(req.topics[1].topic_id, Uuid::from_u128(0xb));
        assert_eq!(req.topics[0].partitions[1].fetch_offset, 9);
        assert_eq!(req.topics[1].partitions[0].partition_max_bytes, 7000);
        assert_eq!(req.isolation_level, 1);
        assert_eq!(req.min_bytes, 1024);
        assert_eq!(req.replica_id.0, -1);
        assert_eq!(build(&parts, &settings(false)).isolation_level, 0);
    }
}
