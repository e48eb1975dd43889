//! Reading one flow's facts from its two clusters, without writing anything: the source's topics
//! and log bounds, the progress saved on the target, the record at each saved position (its
//! timestamp is the lag in time), heartbeats and checkpoints on the target, and the target's
//! groups. What cannot be read is noted, and the rest is still read.

use std::collections::BTreeMap;

use super::{FlowFacts, GroupFacts, HeartbeatFacts, PartitionFacts};
use crate::config::FlowConfig;
use crate::offsets::checkpoints::decode_records;
use crate::offsets::progress::read_saved;
use crate::offsets::topic_reader::{read_partition, read_records, ReadFrom};
use crate::operate::probe::{offsets, source_partitions};
use crate::protocol::admin::OffsetSpec;
use crate::protocol::groups::{fetch_offsets, group_state};
use crate::protocol::{ClusterClient, TopicPartition};

/// Everything `strait status` shows about flow `cfg`.
pub(super) async fn flow(cfg: &FlowConfig, heartbeats_on: bool) -> FlowFacts {
    let mut facts = FlowFacts {
        flow: cfg.label(),
        partitions: Vec::new(),
        emitted_heartbeat: None,
        replicated_heartbeat: None,
        groups: Vec::new(),
        group_sync: cfg
            .checkpoints
            .as_ref()
            .is_some_and(|c| c.sync_group_offsets.is_some()),
        unreadable: Vec::new(),
        now_ms: crate::clock::now_ms(),
    };
    let (source, target) = match (
        crate::operate::probe::client(&cfg.source_admin, "source"),
        crate::operate::probe::client(&cfg.target_admin, "target"),
    ) {
        (Ok(s), Ok(t)) => (s, t),
        (s, t) => {
            facts.unreadable.extend(s.err());
            facts.unreadable.extend(t.err());
            return facts;
        }
    };
    match partitions(cfg, &source, &target).await {
        Ok(p) => facts.partitions = p,
        Err(e) => facts.unreadable.push(e),
    }
    let target_meta = match target.refresh_metadata(None).await {
        Ok(m) => m,
        Err(e) => {
            facts
                .unreadable
                .push(format!("target cluster {}: {e}", cfg.target));
            return facts;
        }
    };
    let exists = |topic: &str| {
        target_meta
            .topics
            .get(topic)
            .is_some_and(|t| t.error.is_none() && !t.partitions.is_empty())
    };
    let heartbeats = cfg.policy.heartbeats_topic();
    if heartbeats_on {
        facts.emitted_heartbeat = Some(HeartbeatFacts {
            topic: heartbeats.to_string(),
            newest_ms: if exists(heartbeats) {
                crate::operate::probe::newest_heartbeat(
                    &target,
                    heartbeats,
                    Some((&cfg.source, &cfg.target)),
                )
                .await
            } else {
                None
            },
        });
    }
    let replicated = cfg.remote_topic(heartbeats);
    if exists(&replicated) {
        facts.replicated_heartbeat = Some(HeartbeatFacts {
            newest_ms: crate::operate::probe::newest_heartbeat(&target, &replicated, None).await,
            topic: replicated,
        });
    }
    if let Some(c) = &cfg.checkpoints {
        if exists(&c.topic) {
            match groups(&target, &c.topic).await {
                Ok(g) => facts.groups = g,
                Err(e) => facts.unreadable.push(e),
            }
        }
    }
    facts
}

/// Every source partition the flow selects, with its bounds, saved position and the timestamp
/// of its oldest unreplicated record.
async fn partitions(
    cfg: &FlowConfig,
    source: &ClusterClient,
    target: &ClusterClient,
) -> Result<Vec<PartitionFacts>, String> {
    let tps = source_partitions(cfg, source).await?;
    let starts = offsets(source, &tps, OffsetSpec::Earliest).await?;
    let ends = offsets(source, &tps, OffsetSpec::Latest).await?;
    let saved = read_saved(target, &cfg.offset_storage, &cfg.source)
        .await
        .map_err(|e| format!("target cluster {}: saved progress: {e}", cfg.target))?
        .unwrap_or_default();
    let mut out = Vec::new();
    for tp in tps {
        let (log_start, end) = (starts[&tp], ends[&tp]);
        let mut p = PartitionFacts {
            remote_topic: cfg.remote_topic(&tp.topic),
            log_start,
            end,
            replicated: saved.get(&tp).copied(),
            oldest_unreplicated_ms: None,
            source: tp,
        };
        if p.lag() > 0 {
            let from = p.replicated.unwrap_or(log_start).max(log_start);
            let first = read_records(
                source,
                &p.source.topic,
                p.source.partition,
                ReadFrom::Offset(from),
                Some(1),
            )
            .await
            .map_err(|e| format!("source cluster {}: {}: {e}", cfg.source, p.source))?;
            p.oldest_unreplicated_ms = first.first().map(|r| r.timestamp);
        }
        out.push(p);
    }
    Ok(out)
}

/// Every group in the checkpoints topic: its newest checkpoint, and how it stands on the target
/// (a checkpoint names the partition by its name on the target, as MM2's do).
async fn groups(target: &ClusterClient, topic: &str) -> Result<Vec<GroupFacts>, String> {
    let records = read_partition(target, topic, 0)
        .await
        .map_err(|e| format!("target cluster {}: {topic}: {e}", target.cluster_name()))?;
    // group -> (newest record time, remote partition -> downstream offset)
    let mut latest: BTreeMap<String, (i64, BTreeMap<TopicPartition, i64>)> = BTreeMap::new();
    for (c, written) in decode_records(records) {
        let entry = latest.entry(c.group).or_default();
        entry.0 = entry.0.max(written);
        entry.1.insert(
            TopicPartition::new(c.topic, c.partition),
            c.downstream_offset,
        );
    }
    let mut out = Vec::new();
    for (group, (newest, offsets)) in latest {
        let target_state = group_state(target, &group).await.ok();
        let committed = fetch_offsets(target, &group).await.unwrap_or_default();
        let behind = offsets
            .iter()
            .filter(|(tp, o)| committed.get(*tp).map(|c| c.offset) != Some(**o))
            .count();
        out.push(GroupFacts {
            group,
            newest_checkpoint_ms: newest,
            partitions: offsets.len(),
            target_state,
            behind,
        });
    }
    Ok(out)
}
