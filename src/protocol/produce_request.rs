//! Building Produce requests (v3-v11, topics by name) for many partitions of one leader, and
//! reading their per-partition results.

use bytes::Bytes;
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::{ProduceRequest, ProduceResponse, TopicName};
use kafka_protocol::protocol::StrBytes;

/// Record bytes for one target partition.
#[derive(Debug, Clone)]
pub struct PartitionRecords {
    /// Target topic.
    pub topic: String,
    /// Target partition.
    pub partition: i32,
    /// One or more complete record batches.
    pub records: Bytes,
}

/// Builds one Produce request; partitions of the same topic are grouped in the order given.
pub fn build(parts: &[PartitionRecords], acks: i16, timeout_ms: i32) -> ProduceRequest {
    let mut topics: Vec<TopicProduceData> = Vec::new();
    for p in parts {
        let data = PartitionProduceData::default()
            .with_index(p.partition)
            .with_records(Some(p.records.clone()));
        match topics.last_mut() {
            Some(t) if t.name.0.as_str() == p.topic => t.partition_data.push(data),
            _ => topics.push(
                TopicProduceData::default()
                    .with_name(TopicName(StrBytes::from_string(p.topic.clone())))
                    .with_partition_data(vec![data]),
            ),
        }
    }
    ProduceRequest::default()
        .with_acks(acks)
        .with_timeout_ms(timeout_ms)
        .with_topic_data(topics)
}

/// One partition's answer: error code (0 = appended) and the broker's message if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionResult {
    /// Target topic.
    pub topic: String,
    /// Target partition.
    pub partition: i32,
    /// Kafka error code.
    pub error_code: i16,
    /// Target offset of the batch's first record when appended (offset translation needs it).
    pub base_offset: i64,
    /// The broker's error message (e.g. which record was invalid).
    pub message: Option<String>,
}

/// Flattens a Produce response into per-partition results.
pub fn results(resp: &ProduceResponse) -> Vec<PartitionResult> {
    resp.responses
        .iter()
        .flat_map(|t| {
            t.partition_responses.iter().map(move |p| PartitionResult {
                topic: t.name.0.to_string(),
                partition: p.index,
                error_code: p.error_code,
                base_offset: p.base_offset,
                message: p.error_message.as_ref().map(|m| m.to_string()).or_else(|| {
                    p.record_errors
                        .first()
                        .and_then(|r| r.batch_index_error_message.as_ref().map(|m| m.to_string()))
                }),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_by_topic_and_sets_acks() {
        let p = |t: &str, n| PartitionRecords {
            topic: t.into(),
            partition: n,
            records: Bytes::from_static(b"x"),
        };
        let req = build(&[p("a", 0), p("a", 1), p("b", 0)], -1, 30_000);
        assert_eq!(req.acks, -1);
        assert_eq!(req.timeout_ms, 30_000);
        assert_eq!(req.topic_data.len(), 2);
        assert_eq!(req.topic_data[0].partition_data.len(), 2);
        assert!(req.transactional_id.is_none());
    }
}
