//! Consumer-group admin calls, as Kafka's AdminClient makes them: list the groups of a cluster,
//! find a group's coordinator, read a group's committed offsets and state, and commit offsets for
//! a group that has no live members (`alterConsumerGroupOffsets`). Checkpoints and group offset
//! sync are built on these.

use std::collections::{BTreeMap, BTreeSet};

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::offset_commit_request::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use kafka_protocol::messages::{
    ApiKey, DescribeGroupsRequest, FindCoordinatorRequest, GroupId, ListGroupsRequest,
    OffsetCommitRequest, OffsetFetchRequest, TopicName,
};
use kafka_protocol::protocol::StrBytes;

use super::cluster::ClusterClient;
use super::error::{ProtocolError, Result};
use super::topic_partition::TopicPartition;

/// A committed offset of one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Committed {
    /// The offset (the next record the group reads).
    pub(crate) offset: i64,
    /// The commit metadata (`""` when none).
    pub(crate) metadata: String,
}

/// A group's committed offsets by (topic, partition).
pub(crate) type GroupOffsets = BTreeMap<TopicPartition, Committed>;

fn error(client: &ClusterClient, api: ApiKey, code: i16, context: String) -> Option<ProtocolError> {
    ProtocolError::from_code(client.cluster_name(), api, code, || context)
}

/// Group ids of every consumer group on the cluster (`ListGroups` to each broker; MM2 lists
/// `listConsumerGroups().valid()`), sorted.
pub(crate) async fn list_groups(client: &ClusterClient) -> Result<BTreeSet<String>> {
    let metadata = client.refresh_metadata(Some(&[])).await?;
    let mut groups = BTreeSet::new();
    for broker in metadata.brokers.keys() {
        let (_, resp) = client
            .send_to(*broker, &ListGroupsRequest::default())
            .await?;
        if let Some(e) = error(
            client,
            ApiKey::ListGroups,
            resp.error_code,
            format!("broker {broker}"),
        ) {
            return Err(e);
        }
        for g in resp.groups {
            // Connect workers and the like use other protocol types; MM2 keeps consumer groups
            // (an empty protocol type is a group that only ever committed offsets).
            if g.protocol_type.is_empty() || g.protocol_type.as_str() == "consumer" {
                groups.insert(g.group_id.0.to_string());
            }
        }
    }
    Ok(groups)
}

/// The broker id of `group`'s coordinator.
pub(crate) async fn find_coordinator(client: &ClusterClient, group: &str) -> Result<i32> {
    let req = FindCoordinatorRequest::default()
        .with_key(StrBytes::from_string(group.to_string()))
        .with_key_type(0);
    let (_, resp) = client.send_any(&req).await?;
    if let Some(e) = error(
        client,
        ApiKey::FindCoordinator,
        resp.error_code,
        format!("group {group}"),
    ) {
        return Err(e);
    }
    Ok(resp.node_id.0)
}

/// The committed offsets of `group` (all partitions it has offsets for).
pub(crate) async fn fetch_offsets(client: &ClusterClient, group: &str) -> Result<GroupOffsets> {
    let coordinator = find_coordinator(client, group).await?;
    let req = OffsetFetchRequest::default()
        .with_group_id(GroupId(StrBytes::from_string(group.to_string())))
        .with_topics(None);
    let (_, resp) = client.send_to(coordinator, &req).await?;
    if let Some(e) = error(
        client,
        ApiKey::OffsetFetch,
        resp.error_code,
        format!("group {group}"),
    ) {
        return Err(e);
    }
    let mut out = GroupOffsets::new();
    for t in resp.topics {
        for p in t.partitions {
            if p.error_code != 0 || p.committed_offset < 0 {
                continue;
            }
            out.insert(
                TopicPartition::new(t.name.0.to_string(), p.partition_index),
                Committed {
                    offset: p.committed_offset,
                    metadata: p.metadata.map(|m| m.to_string()).unwrap_or_default(),
                },
            );
        }
    }
    Ok(out)
}

/// A group's state as the coordinator reports it (`Empty`, `Stable`, `Dead`, ...).
pub(crate) async fn group_state(client: &ClusterClient, group: &str) -> Result<String> {
    let coordinator = find_coordinator(client, group).await?;
    let req = DescribeGroupsRequest::default()
        .with_groups(vec![GroupId(StrBytes::from_string(group.to_string()))]);
    let (_, resp) = client.send_to(coordinator, &req).await?;
    let g = resp
        .groups
        .into_iter()
        .next()
        .ok_or_else(|| ProtocolError::Broker {
            cluster: client.cluster_name().to_string(),
            api: ApiKey::DescribeGroups,
            code: ResponseError::UnknownServerError,
            context: format!("group {group}: the coordinator described no group"),
        })?;
    if let Some(e) = error(
        client,
        ApiKey::DescribeGroups,
        g.error_code,
        format!("group {group}"),
    ) {
        return Err(e);
    }
    Ok(g.group_state.to_string())
}

/// Commits `offsets` for `group` as an admin does (no member id, generation -1): the broker
/// accepts it only when the group has no active members. Returns the per-partition errors.
pub(crate) async fn commit_offsets(
    client: &ClusterClient,
    group: &str,
    offsets: &GroupOffsets,
) -> Result<Vec<(TopicPartition, ProtocolError)>> {
    let coordinator = find_coordinator(client, group).await?;
    let mut topics: Vec<OffsetCommitRequestTopic> = Vec::new();
    for (TopicPartition { topic, partition }, c) in offsets {
        let p = OffsetCommitRequestPartition::default()
            .with_partition_index(*partition)
            .with_committed_offset(c.offset)
            .with_committed_leader_epoch(-1)
            .with_committed_metadata(Some(StrBytes::from_string(c.metadata.clone())));
        match topics.last_mut() {
            Some(t) if t.name.0.as_str() == topic => t.partitions.push(p),
            _ => topics.push(
                OffsetCommitRequestTopic::default()
                    .with_name(TopicName(StrBytes::from_string(topic.clone())))
                    .with_partitions(vec![p]),
            ),
        }
    }
    let req = OffsetCommitRequest::default()
        .with_group_id(GroupId(StrBytes::from_string(group.to_string())))
        .with_generation_id_or_member_epoch(-1)
        .with_member_id(StrBytes::from_static_str(""))
        .with_topics(topics);
    let (_, resp) = client.send_to(coordinator, &req).await?;
    let mut failed = Vec::new();
    for t in resp.topics {
        for p in t.partitions {
            let topic = t.name.0.to_string();
            if let Some(e) = error(
                client,
                ApiKey::OffsetCommit,
                p.error_code,
                format!("group {group}, {topic}-{}", p.partition_index),
            ) {
                failed.push((TopicPartition::new(topic, p.partition_index), e));
            }
        }
    }
    Ok(failed)
}
