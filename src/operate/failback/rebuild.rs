//! `strait failback --rebuild`, for `IdentityReplicationPolicy` only. There the old primary's
//! `orders` and the secondary's `orders` share a name, and the secondary's holds the copy followed
//! by what applications wrote after the failover. The reverse flow cannot append that behind the
//! primary's divergent tail, nor tell the copied records from the new ones, so the primary's topic
//! is rebuilt: deleted and created again empty, with the partitions, replication factor and topic
//! configs it had, for the reverse flow to fill from the secondary's first record. It runs only
//! after the export of the lost tail was written, and refuses when anything could make the copy
//! incomplete or loop.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::config::{FlowConfig, Mm2Config};
use crate::offsets::progress::read_saved;
use crate::protocol::admin::{create_topics, describe_topic_configs, NewTopic};
use crate::protocol::delete_topics::delete_topic;
use crate::protocol::ClusterClient;

/// How long deleting and creating one topic may take.
const TOPIC_CHANGE: Duration = Duration::from_secs(60);

/// `config.source` of a config set on the topic itself (Kafka's `DYNAMIC_TOPIC_CONFIG`).
const DYNAMIC_TOPIC_CONFIG: i8 = 1;

/// Checks that rebuilding `topics` on the flow's source (the old primary) is safe: the reverse
/// flow exists, the forward flow is off, and the reverse flow saved no progress for them yet (it
/// would resume there and skip the start).
pub(super) async fn check(
    config: &Mm2Config,
    cfg: &FlowConfig,
    source: &ClusterClient,
    topics: &BTreeSet<String>,
) -> Result<(), String> {
    if config.is_enabled(&cfg.source, &cfg.target) {
        return Err(format!(
            "--rebuild: {} still enables {}; under IdentityReplicationPolicy it would copy the rebuilt topics back (a loop): set `{}.enabled = false` first (nothing was changed)",
            config.path.display(),
            cfg.label(),
            cfg.label()
        ));
    }
    let Some(reverse) = config.flow_between(&cfg.target, &cfg.source) else {
        return Err(format!(
            "--rebuild: {} has no settings for the reverse flow {}->{} (nothing was changed)",
            config.path.display(),
            cfg.target,
            cfg.source
        ));
    };
    let saved = read_saved(source, &reverse.offset_storage, &reverse.source)
        .await
        .map_err(|e| format!("--rebuild: source cluster {}: {e}", cfg.source))?
        .unwrap_or_default();
    let resumed: BTreeSet<String> = saved
        .keys()
        .filter(|tp| topics.contains(&tp.topic))
        .map(|tp| tp.to_string())
        .collect();
    if !resumed.is_empty() {
        return Err(format!(
            "--rebuild: the reverse flow {} already saved progress in {} for {}: it would resume there and leave the rebuilt topic without its start (nothing was changed)",
            reverse.label(),
            reverse.offset_storage.topic,
            resumed.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    Ok(())
}

/// Deletes `topic` on `source` and creates it again empty as it was. Returns a line for the
/// report.
pub(super) async fn rebuild_topic(source: &ClusterClient, topic: &str) -> Result<String, String> {
    let cluster = source.cluster_name().to_string();
    let fail = |what: &str, e: String| format!("--rebuild {topic} on {cluster}: {what}: {e}");
    let meta = source
        .refresh_metadata(Some(&[topic.to_string()]))
        .await
        .map_err(|e| fail("metadata", e.to_string()))?;
    let described = meta
        .topics
        .get(topic)
        .filter(|t| t.error.is_none())
        .ok_or_else(|| fail("metadata", "the topic does not exist".to_string()))?;
    let partitions = i32::try_from(described.partitions.len()).unwrap_or(i32::MAX);
    let replicas = described
        .partitions
        .values()
        .map(|p| p.replicas)
        .max()
        .unwrap_or(1);
    let mut configs_read = describe_topic_configs(source, &[topic.to_string()]).await;
    let configs: Vec<(String, String)> = configs_read
        .remove(topic)
        .unwrap_or_else(|| Ok(Vec::new()))
        .map_err(|e| fail("its configs", e.to_string()))?
        .into_iter()
        .filter(|c| c.source == DYNAMIC_TOPIC_CONFIG && !c.sensitive && !c.read_only)
        .filter_map(|c| Some((c.name, c.value?)))
        .collect();
    delete_topic(source, topic, TOPIC_CHANGE)
        .await
        .map_err(|e| fail("delete", e.to_string()))?;
    // Creating before the deletion is visible would "succeed" on the old topic.
    let deadline = tokio::time::Instant::now() + TOPIC_CHANGE;
    loop {
        let gone = match source.refresh_metadata(Some(&[topic.to_string()])).await {
            Ok(m) => m.topics.get(topic).is_none_or(|t| t.error.is_some()),
            Err(_) => false,
        };
        if gone {
            break;
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(fail("delete", "still listed after 60 s".to_string()));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let new = NewTopic {
        name: topic.to_string(),
        partitions,
        replication_factor: i16::try_from(replicas).unwrap_or(-1),
        configs: configs.clone(),
    };
    for (_, r) in create_topics(source, &[new], TOPIC_CHANGE).await {
        r.map_err(|e| fail("create", e.to_string()))?;
    }
    Ok(format!(
        "{topic} on {cluster}: deleted and created again empty ({partitions} partitions, replication factor {replicas}, {} topic configs)",
        configs.len()
    ))
}
