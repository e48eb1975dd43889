//! Reading what the operator's commands share: a client per configured cluster, the flow's source
//! partitions and their offsets, and the newest heartbeat in a topic.

use std::collections::BTreeMap;

use crate::config::{ConnectionSpec, FlowConfig, Mm2Config};
use crate::offsets::mm2_records::Heartbeat;
use crate::offsets::topic_reader::{read_records, ReadFrom};
use crate::protocol::admin::{list_offsets, OffsetSpec};
use crate::protocol::{ClusterClient, TopicPartition};

/// How many records from the end of each `heartbeats` partition are searched for the newest
/// heartbeat of a flow (a herder writes one per second; every herder targeting the cluster
/// shares the topic).
const HEARTBEAT_TAIL: i64 = 500;

/// Runs a broker call on `client` with the client's retry backoff until it succeeds, fails for
/// good, or 30 s passed (a fresh cluster answers COORDINATOR_NOT_AVAILABLE until its offsets
/// topic exists).
pub(super) async fn with_retry<T, Fut>(
    client: &ClusterClient,
    what: &str,
    f: impl FnMut() -> Fut,
) -> Result<T, crate::protocol::ProtocolError>
where
    Fut: std::future::Future<Output = Result<T, crate::protocol::ProtocolError>>,
{
    let mut backoff = crate::protocol::Backoff::for_retry(client.settings());
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    crate::protocol::backoff::retry(what, &mut backoff, Some(deadline), f).await
}

/// A client for `spec`'s cluster (`role` names it in the message), or why there is none.
pub(super) fn client(spec: &ConnectionSpec, role: &str) -> Result<ClusterClient, String> {
    crate::security::connection(spec)
        .map(ClusterClient::new)
        .map_err(|e| format!("{role} cluster {}: {e}", spec.cluster))
}

/// The newest heartbeat timestamp in `topic` (the last `HEARTBEAT_TAIL` records of each
/// partition), only of the pair `(source, target)` when given.
pub(super) async fn newest_heartbeat(
    client: &ClusterClient,
    topic: &str,
    pair: Option<(&str, &str)>,
) -> Option<i64> {
    let meta = client.metadata();
    let partitions: Vec<i32> = meta.topics.get(topic)?.partitions.keys().copied().collect();
    let mut newest: Option<i64> = None;
    for partition in partitions {
        let Ok(records) = read_records(
            client,
            topic,
            partition,
            ReadFrom::Last(HEARTBEAT_TAIL),
            None,
        )
        .await
        else {
            continue;
        };
        for r in records {
            let (Some(k), Some(v)) = (&r.key, &r.value) else {
                continue;
            };
            let Ok(h) = Heartbeat::decode(k, v) else {
                continue;
            };
            if pair.is_some_and(|(s, t)| h.source_alias != s || h.target_alias != t) {
                continue;
            }
            newest = newest.max(Some(h.timestamp));
        }
    }
    newest
}

/// The source partitions flow `cfg` replicates (its topic selection; internal and erroneous
/// topics left out), in topic then partition order.
pub(super) async fn source_partitions(
    cfg: &FlowConfig,
    source: &ClusterClient,
) -> Result<Vec<TopicPartition>, String> {
    let meta = source
        .refresh_metadata(None)
        .await
        .map_err(|e| format!("source cluster {}: {e}", cfg.source))?;
    let mut tps: Vec<TopicPartition> = Vec::new();
    for (name, topic) in &meta.topics {
        if topic.is_internal || topic.error.is_some() || !cfg.should_replicate_topic(name) {
            continue;
        }
        tps.extend(
            topic
                .partitions
                .keys()
                .map(|p| TopicPartition::new(name.clone(), *p)),
        );
    }
    tps.sort();
    Ok(tps)
}

/// The log start (`Earliest`) or end (`Latest`) offset of every partition in `tps`, or a message
/// naming the first that could not be read.
pub(super) async fn offsets(
    client: &ClusterClient,
    tps: &[TopicPartition],
    spec: OffsetSpec,
) -> Result<BTreeMap<TopicPartition, i64>, String> {
    let mut read = list_offsets(client, tps, spec).await;
    tps.iter()
        .map(|tp| match read.remove(tp) {
            Some(Ok(o)) => Ok((tp.clone(), o)),
            Some(Err(e)) => Err(format!("cluster {}: {tp}: {e}", client.cluster_name())),
            None => Err(format!(
                "cluster {}: {tp}: no offsets returned",
                client.cluster_name()
            )),
        })
        .collect()
}

/// The flows `--flow` names (all enabled flows when it is not given).
pub(super) fn select_flows<'a>(
    config: &'a Mm2Config,
    flow: Option<&str>,
) -> Result<Vec<&'a FlowConfig>, String> {
    let Some(wanted) = flow else {
        return Ok(config.flows.iter().collect());
    };
    let wanted = wanted.replace(' ', "");
    let found: Vec<&FlowConfig> = config
        .flows
        .iter()
        .filter(|f| f.label() == wanted)
        .collect();
    if found.is_empty() {
        let enabled: Vec<String> = config.flows.iter().map(FlowConfig::label).collect();
        return Err(format!(
            "--flow {wanted}: no such enabled flow in {} (enabled flows: {})",
            config.path.display(),
            enabled.join(", ")
        ));
    }
    Ok(found)
}
