//! An immutable snapshot of what a cluster told us in a Metadata response: brokers, controller,
//! topics and partition leaders. Snapshots are numbered by a *generation* so that a caller that saw a
//! stale leader can invalidate exactly the generation it used (see
//! [`ClusterClient::invalidate_metadata`](super::ClusterClient::invalidate_metadata)), and two tasks
//! that hit the same error trigger one refresh, not two.

use std::collections::{BTreeMap, HashMap};

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::MetadataResponse;
use uuid::Uuid;

/// A cluster's metadata as of one refresh.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metadata {
    /// Increases with every refresh of this client; 0 means "never refreshed" (empty snapshot).
    pub generation: u64,
    /// Broker id -> `host:port`.
    pub brokers: HashMap<i32, String>,
    /// The controller's broker id as reported (-1 if unknown; in KRaft a random broker).
    pub controller_id: i32,
    /// Topic name -> topic metadata. After a partial refresh, topics not asked about keep the data of
    /// an older generation (see [`TopicMetadata::generation`]).
    pub topics: HashMap<String, TopicMetadata>,
    /// The cluster id, when the broker sent one.
    pub cluster_id: Option<String>,
}

/// One topic as seen in a Metadata response.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TopicMetadata {
    /// Topic-level error (e.g. `UnknownTopicOrPartition` for a topic that does not exist).
    pub error: Option<ResponseError>,
    /// Whether this is an internal topic (`__consumer_offsets`, `__transaction_state`).
    pub is_internal: bool,
    /// The topic's id (KIP-516), `None` from a broker that has none: a topic deleted and created
    /// again under the same name gets a new one, so this is how a recreated topic is told apart.
    pub id: Option<Uuid>,
    /// Partition index -> partition metadata.
    pub partitions: BTreeMap<i32, PartitionMetadata>,
    /// The generation of the refresh that last updated this topic: invalidating generation `g`
    /// makes every topic with `generation <= g` stale.
    pub generation: u64,
}

/// One partition as seen in a Metadata response.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PartitionMetadata {
    /// Leader broker id, -1 when there is none (election in progress).
    pub leader: i32,
    /// Leader epoch (-1 if the broker did not send one).
    pub leader_epoch: i32,
    /// Partition-level error; `LeaderNotAvailable` comes with `leader == -1`, while
    /// `ReplicaNotAvailable` may come with a usable leader.
    pub error: Option<ResponseError>,
    /// How many replicas the partition has (its replication factor), so that a topic can be
    /// created again as it was.
    pub replicas: usize,
}

impl Metadata {
    /// Builds a snapshot from a response, numbered `generation`. Topics without a name (only
    /// possible when asking by topic id, which strait does not do) are skipped.
    pub fn from_response(generation: u64, resp: &MetadataResponse) -> Metadata {
        let brokers = resp
            .brokers
            .iter()
            .map(|b| (b.node_id.0, format!("{}:{}", &*b.host, b.port)))
            .collect();
        let topics = resp
            .topics
            .iter()
            .filter_map(|t| {
                let name = t.name.as_ref()?.0.to_string();
                let partitions = t
                    .partitions
                    .iter()
                    .map(|p| {
                        (
                            p.partition_index,
                            PartitionMetadata {
                                leader: p.leader_id.0,
                                leader_epoch: p.leader_epoch,
                                error: ResponseError::try_from_code(p.error_code),
                                replicas: p.replica_nodes.len(),
                            },
                        )
                    })
                    .collect();
                Some((
                    name,
                    TopicMetadata {
                        error: ResponseError::try_from_code(t.error_code),
                        is_internal: t.is_internal,
                        id: (!t.topic_id.is_nil()).then_some(t.topic_id),
                        partitions,
                        generation,
                    },
                ))
            })
            .collect();
        Metadata {
            generation,
            brokers,
            controller_id: resp.controller_id.0,
            topics,
            cluster_id: resp.cluster_id.as_ref().map(|s| s.to_string()),
        }
    }

    /// A new snapshot from a response that covered only some topics: brokers and controller come
    /// from `partial`, its topics replace ours, and every other topic is kept as it was.
    pub fn merge(&self, partial: Metadata) -> Metadata {
        let mut topics = self.topics.clone();
        topics.extend(partial.topics);
        Metadata {
            generation: partial.generation,
            brokers: partial.brokers,
            controller_id: partial.controller_id,
            topics,
            cluster_id: partial.cluster_id.or_else(|| self.cluster_id.clone()),
        }
    }

    /// The leader of a partition if this snapshot knows one (`leader >= 0`).
    pub fn leader(&self, topic: &str, partition: i32) -> Option<i32> {
        let p = self.topics.get(topic)?.partitions.get(&partition)?;
        (p.leader >= 0).then_some(p.leader)
    }

    /// The id of a topic this snapshot knows, if the broker gave one.
    pub fn topic_id(&self, topic: &str) -> Option<Uuid> {
        self.topics.get(topic)?.id
    }

    /// Number of partitions of a topic, if known and without a topic-level error.
    pub fn partition_count(&self, topic: &str) -> Option<usize> {
        let t = self.topics.get(topic)?;
        t.error.is_none().then_some(t.partitions.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::messages::metadata_response::{
        MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
    };
    use kafka_protocol::messages::TopicName;
    use kafka_protocol::protocol::StrBytes;

    fn topic(name: &str, error: i16, leaders: &[i32]) -> MetadataResponseTopic {
        MetadataResponseTopic::default()
            .with_name(Some(TopicName(StrBytes::from_string(name.into()))))
            .with_error_code(error)
            .with_partitions(
                leaders
                    .iter()
                    .enumerate()
                    .map(|(i, &l)| {
                        MetadataResponsePartition::default()
                            .with_partition_index(i as i32)
                            .with_leader_id(l.into())
                            .with_leader_epoch(7)
                            .with_error_code(if l < 0 { 5 } else { 0 })
                    })
                    .collect(),
            )
    }

    fn response(topics: Vec<MetadataResponseTopic>) -> MetadataResponse {
        MetadataResponse::default()
            .with_brokers(vec![
                MetadataResponseBroker::default()
                    .with_node_id(1.into())
                    .with_host(StrBytes::from_static_str("h1"))
                    .with_port(9092),
                MetadataResponseBroker::default()
                    .with_node_id(2.into())
                    .with_host(StrBytes::from_static_str("h2"))
                    .with_port(9093),
            ])
            .with_controller_id(2.into())
            .with_cluster_id(Some(StrBytes::from_static_str("cid")))
            .with_topics(topics)
    }

    #[test]
    fn builds_from_response() {
        let m = Metadata::from_response(
            3,
            &response(vec![topic("a", 0, &[1, 2, -1]), topic("gone", 3, &[])]),
        );
        assert_eq!(m.generation, 3);
        assert_eq!(m.brokers[&1], "h1:9092");
        assert_eq!(m.brokers[&2], "h2:9093");
        assert_eq!(m.controller_id, 2);
        assert_eq!(m.cluster_id.as_deref(), Some("cid"));
        let a = &m.topics["a"];
        assert_eq!(a.error, None);
        assert_eq!(a.generation, 3);
        assert_eq!(a.partitions.len(), 3);
        assert_eq!(a.partitions[&1].leader, 2);
        assert_eq!(a.partitions[&1].leader_epoch, 7);
        assert_eq!(
            a.partitions[&2].error,
            Some(ResponseError::LeaderNotAvailable)
        );
        assert_eq!(m.leader("a", 0), Some(1));
        assert_eq!(m.leader("a", 2), None);
        assert_eq!(m.leader("a", 9), None);
        assert_eq!(
            m.topics["gone"].error,
            Some(ResponseError::UnknownTopicOrPartition)
        );
        assert_eq!(m.partition_count("a"), Some(3));
        assert_eq!(m.partition_count("gone"), None);
    }

    #[test]
    fn merge_keeps_other_topics() {
        let full =
            Metadata::from_response(1, &response(vec![topic("a", 0, &[1]), topic("b", 0, &[2])]));
        let partial = Metadata::from_response(2, &response(vec![topic("a", 0, &[2, 1])]));
        let m = full.merge(partial);
        assert_eq!(m.generation, 2);
        assert_eq!(m.topics["a"].partitions.len(), 2);
        assert_eq!(m.topics["a"].generation, 2);
        assert_eq!(m.topics["b"].generation, 1);
        assert_eq!(m.leader("b", 0), Some(2));
    }
}
