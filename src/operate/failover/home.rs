//! Going home after a failback: a planned failover of the reverse flow (`secondary->primary`)
//! moves the groups' positions on the secondary's own topics through that flow's offset-syncs, as
//! any flow. But the groups also hold positions on remote topics that came from the primary
//! (`primary.orders` on the secondary). The reverse flow never copies those (cycle rules); their
//! records are copies of the primary's own `orders`, so each position maps back through the
//! inverse of the forward translation, read from the data by [`crate::operate::copies`].

use std::collections::{BTreeMap, BTreeSet};

use crate::config::{FlowConfig, Mm2Config};
use crate::operate::copies::{read_syncs, RemotePartition};
use crate::operate::probe::offsets;
use crate::protocol::admin::OffsetSpec;
use crate::protocol::{ClusterClient, TopicPartition};

/// Whether `topic` on flow `cfg`'s source is a remote topic copied from the flow's target
/// (`primary.orders` on the secondary for `secondary->primary`). Only the default policy can
/// tell; under the identity policy the names are the same on both sides.
pub(super) fn came_from_target(cfg: &FlowConfig, topic: &str) -> bool {
    !cfg.is_identity_policy()
        && cfg.policy.topic_source(topic).as_deref() == Some(cfg.target.as_str())
}

/// For each group position `(tp, offset)` on a topic that came from the target, the target's
/// own partition and the offset it stands for there (exact, or an error naming the partition).
pub(super) async fn translate_home(
    config: &Mm2Config,
    cfg: &FlowConfig,
    source: &ClusterClient,
    target: &ClusterClient,
    positions: &BTreeSet<(TopicPartition, i64)>,
) -> Result<BTreeMap<(TopicPartition, i64), (TopicPartition, i64)>, String> {
    if positions.is_empty() {
        return Ok(BTreeMap::new());
    }
    // The forward flow copied these topics: the target was its source.
    let forward = config
        .flow_between(&cfg.target, &cfg.source)
        .ok_or_else(|| {
            format!(
                "{} has no settings for the flow {}->{} that copied {}: cannot map positions home",
                config.path.display(),
                cfg.target,
                cfg.source,
                positions
                    .iter()
                    .map(|(tp, _)| tp.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
    let syncs = read_syncs(forward, target, source).await?;
    let homes: Vec<TopicPartition> = positions
        .iter()
        .map(|(tp, _)| {
            let upstream = cfg.policy.upstream_topic(&tp.topic);
            TopicPartition::new(upstream.unwrap_or_else(|| tp.topic.clone()), tp.partition)
        })
        .collect();
    let starts = offsets(target, &homes, OffsetSpec::Earliest).await?;
    let ends = offsets(target, &homes, OffsetSpec::Latest).await?;
    let mut out = BTreeMap::new();
    for ((tp, t), home) in positions.iter().zip(homes) {
        let pair = RemotePartition {
            source: target,
            source_tp: home.clone(),
            target: source,
            target_tp: tp.clone(),
            syncs: syncs.get(&home).map_or(&[], Vec::as_slice),
        };
        let at = pair.source_position(*t, starts[&home], ends[&home]).await?;
        out.insert((tp.clone(), *t), (home, at));
    }
    Ok(out)
}
