//! Thin admin helpers over [`ClusterClient`]: the handful of control-plane calls a replicator makes
//! (create remote topics and partitions, read offsets, copy topic configs, get a producer id). Each
//! returns per-item results, retries what Kafka calls retriable until its deadline, and never
//! panics.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::create_partitions_request::CreatePartitionsTopic;
use kafka_protocol::messages::create_topics_request::{CreatableTopic, CreatableTopicConfig};
use kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::{
    ApiKey, CreatePartitionsRequest, CreateTopicsRequest, DescribeConfigsRequest,
    InitProducerIdRequest, ListOffsetsRequest, TopicName,
};
use kafka_protocol::protocol::StrBytes;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tracing::warn;

use super::backoff::{retry, Backoff};
use super::cluster::ClusterClient;
use super::error::{ProtocolError, Result};
use super::topic_partition::TopicPartition;

/// `DescribeConfigs` resource type of a topic.
const RESOURCE_TOPIC: i8 = 2;
/// `config_source` of a config that nobody set (Kafka's `DEFAULT_CONFIG`).
pub(crate) const CONFIG_SOURCE_DEFAULT: i8 = 5;

pub(super) fn topic_name(s: &str) -> TopicName {
    TopicName(StrBytes::from_string(s.to_string()))
}

pub(super) fn broker_error(
    client: &ClusterClient,
    api: ApiKey,
    code: ResponseError,
    context: String,
) -> ProtocolError {
    ProtocolError::Broker {
        cluster: client.cluster_name().to_string(),
        api,
        code,
        context,
    }
}

/// `context` plus the broker's error message when it sent one.
pub(super) fn with_message(context: String, message: Option<&StrBytes>) -> String {
    match message {
        Some(m) if !m.is_empty() => format!("{context}: {}", &**m),
        _ => context,
    }
}

/// How long a request may ask the broker to wait: within the caller's deadline and safely inside our
/// own request timeout (so our side never gives up first).
pub(super) fn broker_wait_ms(client: &ClusterClient, deadline: Instant) -> i32 {
    let ours = client.settings().request_timeout.mul_f64(0.8);
    let left = deadline.saturating_duration_since(Instant::now());
    i32::try_from(left.min(ours).as_millis()).unwrap_or(i32::MAX)
}

/// Sleeps for the next backoff unless that would pass `deadline`; false means give up.
pub(super) async fn backoff_or_give_up(
    backoff: &mut Backoff,
    deadline: Instant,
    what: &str,
    why: &str,
) -> bool {
    let delay = backoff.next();
    if Instant::now() + delay >= deadline {
        return false;
    }
    warn!(what, delay_ms = delay.as_millis() as u64, why, "retrying");
    tokio::time::sleep(delay).await;
    true
}

/// A topic to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NewTopic {
    /// Topic name.
    pub(crate) name: String,
    /// Partition count (-1 = broker default).
    pub(crate) partitions: i32,
    /// Replication factor (-1 = broker default).
    pub(crate) replication_factor: i16,
    /// Topic configs to set at creation (`cleanup.policy`, `retention.ms`, ...).
    pub(crate) configs: Vec<(String, String)>,
}

/// Creates topics, sent to any broker (KRaft brokers forward to the controller). A topic that already
/// exists counts as created. Retriable per-topic errors are retried until `timeout`. Results come in
/// the order of `topics`.
pub(crate) async fn create_topics(
    client: &ClusterClient,
    topics: &[NewTopic],
    timeout: Duration,
) -> Vec<(String, Result<(), ProtocolError>)> {
    let deadline = Instant::now() + timeout;
    let mut backoff = Backoff::for_retry(client.settings());
    let mut done: HashMap<String, Result<()>> = HashMap::new();
    let mut pending: Vec<&NewTopic> = topics.iter().collect();
    let mut seen = HashSet::new();
    pending.retain(|t| seen.insert(t.name.as_str()));
    while !pending.is_empty() {
        let req = CreateTopicsRequest::default()
            .with_timeout_ms(broker_wait_ms(client, deadline))
            .with_validate_only(false)
            .with_topics(
                pending
                    .iter()
                    .map(|t| {
                        CreatableTopic::default()
                            .with_name(topic_name(&t.name))
                            .with_num_partitions(t.partitions)
                            .with_replication_factor(t.replication_factor)
                            .with_configs(
                                t.configs
                                    .iter()
                                    .map(|(k, v)| {
                                        CreatableTopicConfig::default()
                                            .with_name(StrBytes::from_string(k.clone()))
                                            .with_value(Some(StrBytes::from_string(v.clone())))
                                    })
                                    .collect(),
                            )
                    })
                    .collect(),
            );
        let mut again: Vec<(&NewTopic, ProtocolError)> = Vec::new();
        match client.send_any(&req).await {
            Ok((_, resp)) => {
                let by_name: HashMap<&str, _> =
                    resp.topics.iter().map(|r| (&*r.name.0, r)).collect();
                for t in &pending {
                    let Some(r) = by_name.get(t.name.as_str()) else {
                        again.push((
                            t,
                            broker_error(
                                client,
                                ApiKey::CreateTopics,
                                ResponseError::UnknownServerError,
                                format!("topic {}: missing from the response", t.name),
                            ),
                        ));
                        continue;
                    };
                    match ResponseError::try_from_code(r.error_code) {
                        None | Some(ResponseError::TopicAlreadyExists) => {
                            done.insert(t.name.clone(), Ok(()));
                        }
                        Some(code) => {
                            let e = broker_error(
                                client,
                                ApiKey::CreateTopics,
                                code,
                                with_message(format!("topic {}", t.name), r.error_message.as_ref()),
                            );
                            if code.is_retriable() {
                                again.push((t, e));
                            } else {
                                done.insert(t.name.clone(), Err(e));
                            }
                        }
                    }
                }
            }
            Err(e) if e.is_retriable() => again.extend(pending.iter().map(|t| (*t, e.clone()))),
            Err(e) => {
                for t in &pending {
                    done.insert(t.name.clone(), Err(e.clone()));
                }
            }
        }
        if again.is_empty() {
            break;
        }
        let why = again[0].1.to_string();
        if !backoff_or_give_up(&mut backoff, deadline, "create topics", &why).await {
            for (t, e) in again {
                done.insert(t.name.clone(), Err(e));
            }
            break;
        }
        pending = again.into_iter().map(|(t, _)| t).collect();
    }
    topics
        .iter()
        .map(|t| {
            let r = done.get(&t.name).cloned().unwrap_or_else(|| {
                Err(broker_error(
                    client,
                    ApiKey::CreateTopics,
                    ResponseError::UnknownServerError,
                    format!("topic {}: no result", t.name),
                ))
            });
            (t.name.clone(), r)
        })
        .collect()
}

/// Grows `topic` to `total_count` partitions. Already having exactly that many is success (the
/// broker's INVALID_PARTITIONS is checked against fresh metadata, not its message text).
pub(crate) async fn create_partitions(
    client: &ClusterClient,
    topic: &str,
    total_count: i32,
    timeout: Duration,
) -> Result<()> {
    let deadline = Instant::now() + timeout;
    let mut backoff = Backoff::for_retry(client.settings());
    let attempt = || async move {
        let req = CreatePartitionsRequest::default()
            .with_timeout_ms(broker_wait_ms(client, deadline))
            .with_validate_only(false)
            .with_topics(vec![CreatePartitionsTopic::default()
                .with_name(topic_name(topic))
                .with_count(total_count)
                .with_assignments(None)]);
        let (_, resp) = client.send_any(&req).await?;
        let Some(r) = resp.results.iter().find(|r| &*r.name.0 == topic) else {
            return Err(broker_error(
                client,
                ApiKey::CreatePartitions,
                ResponseError::UnknownServerError,
                format!("topic {topic}: missing from the response"),
            ));
        };
        match ResponseError::try_from_code(r.error_code) {
            None => Ok(()),
            Some(ResponseError::InvalidPartitions) => {
                // The controller refuses when the topic has >= total_count partitions. Which one it
                // is comes from metadata, which may lag the controller (a growth that just
                // happened): poll it until it shows at least total_count or the deadline passes.
                let want = usize::try_from(total_count).ok();
                let mut poll = Backoff::for_retry(client.settings());
                let have = loop {
                    let snap = client.refresh_metadata(Some(&[topic.to_string()])).await?;
                    let have = snap.partition_count(topic);
                    let delay = poll.next();
                    if have >= want || Instant::now() + delay >= deadline {
                        break have;
                    }
                    tokio::time::sleep(delay).await;
                };
                if have == want {
                    Ok(())
                } else {
                    Err(broker_error(
                        client,
                        ApiKey::CreatePartitions,
                        ResponseError::InvalidPartitions,
                        with_message(
                            format!("topic {topic} to {total_count} partitions (has {have:?})"),
                            r.error_message.as_ref(),
                        ),
                    ))
                }
            }
            Some(code) => Err(broker_error(
                client,
                ApiKey::CreatePartitions,
                code,
                with_message(
                    format!("topic {topic} to {total_count} partitions"),
                    r.error_message.as_ref(),
                ),
            )),
        }
    };
    retry("create partitions", &mut backoff, Some(deadline), attempt).await
}

/// Which end of a partition [`list_offsets`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OffsetSpec {
    /// The log start offset.
    Earliest,
    /// The high watermark (read_uncommitted end offset).
    Latest,
}

impl OffsetSpec {
    fn timestamp(self) -> i64 {
        match self {
            OffsetSpec::Earliest => -2,
            OffsetSpec::Latest => -1,
        }
    }
}

/// Reads the earliest or latest offset of each partition from its leader, many partitions per
/// request and leaders in parallel. Leadership errors invalidate the metadata generation used and
/// are retried within the client's request timeout.
pub(crate) async fn list_offsets(
    client: &ClusterClient,
    partitions: &[TopicPartition],
    spec: OffsetSpec,
) -> HashMap<TopicPartition, Result<i64, ProtocolError>> {
    let deadline = Instant::now() + client.settings().request_timeout;
    let mut backoff = Backoff::for_retry(client.settings());
    let mut out: HashMap<TopicPartition, Result<i64>> = HashMap::new();
    let mut pending: Vec<TopicPartition> = partitions.to_vec();
    pending.sort();
    pending.dedup();
    while !pending.is_empty() {
        let mut again: Vec<(TopicPartition, ProtocolError)> = Vec::new();
        let mut by_leader: HashMap<i32, Vec<(TopicPartition, u64)>> = HashMap::new();
        for tp in pending {
            match client.leader_with_generation(&tp.topic, tp.partition).await {
                Ok((leader, generation)) => {
                    by_leader.entry(leader).or_default().push((tp, generation))
                }
                Err(e) if e.is_retriable() => again.push((tp, e)),
                Err(e) => {
                    out.insert(tp, Err(e));
                }
            }
        }
        let mut tasks = JoinSet::new();
        for (leader, tps) in by_leader {
            let client = client.clone();
            tasks.spawn(async move {
                let res = list_offsets_on(&client, leader, &tps, spec).await;
                (tps, res)
            });
        }
        while let Some(joined) = tasks.join_next().await {
            let Ok((tps, res)) = joined else {
                continue; // a panicked task: its partitions get "no result" below
            };
            match res {
                Ok(mut found) => {
                    for (tp, generation) in tps {
                        match found.remove(&tp) {
                            Some(Ok(offset)) => {
                                out.insert(tp, Ok(offset));
                            }
                            Some(Err(e)) if e.is_retriable() => {
                                client.invalidate_metadata(generation);
                                again.push((tp, e));
                            }
                            Some(Err(e)) => {
                                out.insert(tp, Err(e));
                            }
                            None => {
                                let e = broker_error(
                                    client,
                                    ApiKey::ListOffsets,
                                    ResponseError::UnknownTopicOrPartition,
                                    format!("{tp}: missing from the response"),
                                );
                                again.push((tp, e));
                            }
                        }
                    }
                }
                Err(e) if e.is_retriable() => {
                    for (tp, generation) in tps {
                        client.invalidate_metadata(generation);
                        again.push((tp, e.clone()));
                    }
                }
                Err(e) => {
                    for (tp, _) in tps {
                        out.insert(tp, Err(e.clone()));
                    }
                }
            }
        }
        if again.is_empty() {
            break;
        }
        let why = again[0].1.to_string();
        if !backoff_or_give_up(&mut backoff, deadline, "list offsets", &why).await {
            out.extend(again.into_iter().map(|(tp, e)| (tp, Err(e))));
            break;
        }
        pending = again.into_iter().map(|(tp, _)| tp).collect();
    }
    for tp in partitions {
        out.entry(tp.clone()).or_insert_with(|| {
            Err(broker_error(
                client,
                ApiKey::ListOffsets,
                ResponseError::UnknownServerError,
                format!("{tp}: no result"),
            ))
        });
    }
    out
}

/// One ListOffsets request to one leader.
async fn list_offsets_on(
    client: &ClusterClient,
    leader: i32,
    tps: &[(TopicPartition, u64)],
    spec: OffsetSpec,
) -> Result<HashMap<TopicPartition, Result<i64>>> {
    let mut by_topic: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
    for (tp, _) in tps {
        by_topic
            .entry(tp.topic.as_str())
            .or_default()
            .push(tp.partition);
    }
    let req = ListOffsetsRequest::default()
        .with_replica_id((-1).into())
        .with_isolation_level(0)
        .with_timeout_ms(
            i32::try_from(client.settings().request_timeout.as_millis()).unwrap_or(i32::MAX),
        )
        .with_topics(
            by_topic
                .into_iter()
                .map(|(t, ps)| {
                    ListOffsetsTopic::default()
                        .with_name(topic_name(t))
                        .with_partitions(
                            ps.into_iter()
                                .map(|p| {
                                    ListOffsetsPartition::default()
                                        .with_partition_index(p)
                                        .with_current_leader_epoch(-1)
                                        .with_timestamp(spec.timestamp())
                                })
                                .collect(),
                        )
                })
                .collect(),
        );
    let (_, resp) = client.send_to(leader, &req).await?;
    client.throttle(leader, resp.throttle_time_ms);
    let mut out = HashMap::new();
    for t in &resp.topics {
        for p in &t.partitions {
            let tp = TopicPartition::new(t.name.0.to_string(), p.partition_index);
            let r = match ResponseError::try_from_code(p.error_code) {
                None => Ok(p.offset),
                Some(code) => Err(broker_error(
                    client,
                    ApiKey::ListOffsets,
                    code,
                    format!("{tp} on broker {leader}"),
                )),
            };
            out.insert(tp, r);
        }
    }
    Ok(out)
}

/// One topic config as the broker describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConfigEntry {
    /// Config key.
    pub(crate) name: String,
    /// Value; `None` for sensitive values (and null values).
    pub(crate) value: Option<String>,
    /// Whether nobody set it (`source == DEFAULT_CONFIG`).
    pub(crate) is_default: bool,
    /// Whether it cannot be altered.
    pub(crate) read_only: bool,
    /// Whether the value is hidden.
    pub(crate) sensitive: bool,
    /// Kafka's `ConfigSource`: 1 dynamic topic, 2 dynamic broker, 3 dynamic default broker,
    /// 4 static broker, 5 default, 6 dynamic broker logger, 7 client metrics.
    pub(crate) source: i8,
}

/// Describes the configs of `topics` (one request to any broker). Transport failures are retried
/// within the client's request timeout; per-topic errors are returned per topic.
pub(crate) async fn describe_topic_configs(
    client: &ClusterClient,
    topics: &[String],
) -> HashMap<String, Result<Vec<ConfigEntry>, ProtocolError>> {
    let mut out = HashMap::new();
    if topics.is_empty() {
        return out;
    }
    let req = DescribeConfigsRequest::default()
        .with_include_synonyms(false)
        .with_include_documentation(false)
        .with_resources(
            topics
                .iter()
                .map(|t| {
                    DescribeConfigsResource::default()
                        .with_resource_type(RESOURCE_TOPIC)
                        .with_resource_name(StrBytes::from_string(t.clone()))
                        .with_configuration_keys(None)
                })
                .collect(),
        );
    let deadline = Instant::now() + client.settings().request_timeout;
    let mut backoff = Backoff::for_retry(client.settings());
    let req = &req;
    let resp = retry(
        "describe configs",
        &mut backoff,
        Some(deadline),
        move || client.send_any(req),
    )
    .await;
    let resp = match resp {
        Ok((_, resp)) => resp,
        Err(e) => {
            for t in topics {
                out.insert(t.clone(), Err(e.clone()));
            }
            return out;
        }
    };
    for r in &resp.results {
        let name = r.resource_name.to_string();
        let entry = match ResponseError::try_from_code(r.error_code) {
            Some(code) => Err(broker_error(
                client,
                ApiKey::DescribeConfigs,
                code,
                with_message(format!("topic {name}"), r.error_message.as_ref()),
            )),
            None => Ok(r
                .configs
                .iter()
                .map(|c| ConfigEntry {
                    name: c.name.to_string(),
                    value: c.value.as_ref().map(|v| v.to_string()),
                    is_default: c.config_source == CONFIG_SOURCE_DEFAULT,
                    read_only: c.read_only,
                    sensitive: c.is_sensitive,
                    source: c.config_source,
                })
                .collect()),
        };
        out.insert(name, entry);
    }
    for t in topics {
        out.entry(t.clone()).or_insert_with(|| {
            Err(broker_error(
                client,
                ApiKey::DescribeConfigs,
                ResponseError::UnknownTopicOrPartition,
                format!("topic {t}: missing from the response"),
            ))
        });
    }
    out
}

/// Gets a producer id and epoch for an idempotent (non-transactional) producer from any broker,
/// retrying coordinator-loading and similar retriable errors until `timeout`.
pub(crate) async fn init_producer_id(
    client: &ClusterClient,
    timeout: Duration,
) -> Result<(i64, i16)> {
    let req = InitProducerIdRequest::default()
        .with_transactional_id(None)
        .with_transaction_timeout_ms(60_000)
        .with_producer_id((-1).into())
        .with_producer_epoch(-1);
    let deadline = Instant::now() + timeout;
    let mut backoff = Backoff::for_retry(client.settings());
    let req = &req;
    retry(
        "init producer id",
        &mut backoff,
        Some(deadline),
        move || async move {
            let (_, resp) = client.send_any(req).await?;
            match ProtocolError::from_code(
                client.cluster_name(),
                ApiKey::InitProducerId,
                resp.error_code,
                || "idempotent producer id".to_string(),
            ) {
                Some(e) => Err(e),
                None => Ok((resp.producer_id.0, resp.producer_epoch)),
            }
        },
    )
    .await
}
