//! `strait failover --planned`: the switch an operator schedules. It checks that the source's
//! producers have stopped (end offsets stable for a settle time) and that the moved groups have
//! no active members on the source, waits until the target holds every record of the selected
//! topics, then translates each group's committed source offsets exactly, writes them as final
//! checkpoints and commits them on the target. Nothing is lost and nothing is read twice.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use regex::Regex;

use super::home::{came_from_target, translate_home};
use super::plan::{is_active, plan_group, Checkpointed, GroupPlan};
use super::{commit_plans, context, one_flow, target_group, FailoverOptions, FailoverReport};
use crate::config::{FlowConfig, Mm2Config};
use crate::offsets::checkpoints::{checkpoint_records, downstream_topic};
use crate::offsets::internal_topic::append;
use crate::offsets::mm2_records::Checkpoint;
use crate::offsets::offset_syncs::OffsetSyncLog;
use crate::offsets::progress::read_saved;
use crate::offsets::topic_reader::read_partition;
use crate::operate::probe::{client, offsets, source_partitions, with_retry};
use crate::protocol::admin::OffsetSpec;
use crate::protocol::groups::{fetch_offsets, group_state, list_groups};
use crate::protocol::{ClusterClient, TopicPartition};

/// The source partitions the failover covers: the flow's, narrowed by `--topics`, without
/// heartbeats (other herders keep writing those).
async fn selected_partitions(
    cfg: &FlowConfig,
    source: &ClusterClient,
    topics: Option<&Regex>,
) -> Result<Vec<TopicPartition>, String> {
    let mut tps = source_partitions(cfg, source).await?;
    tps.retain(|tp| {
        topics.is_none_or(|re| re.is_match(&tp.topic)) && !cfg.policy.is_heartbeats_topic(&tp.topic)
    });
    Ok(tps)
}

/// Runs a planned failover of one flow: see the module doc. `settle` is how long the source's
/// end offsets must stay still; `catch_up` how long to wait for the target.
pub async fn planned(
    config: &Mm2Config,
    opts: &FailoverOptions,
    settle: Duration,
    catch_up: Duration,
    mut progress: impl FnMut(i64),
) -> Result<FailoverReport, String> {
    let cfg = one_flow(config, opts.flow.as_deref())?;
    let Some(syncs_cfg) = &cfg.offset_syncs else {
        return Err(format!(
            "flow {}: `emit.offset-syncs.enabled` is false, so source offsets cannot be translated: a planned failover needs offset-syncs",
            cfg.label()
        ));
    };
    let (groups_re, topics_re) = opts.selection()?;
    let source = client(&cfg.source_admin, "source")?;
    let target = client(&cfg.target_admin, "target")?;
    let tps = selected_partitions(cfg, &source, topics_re.as_ref()).await?;
    if tps.is_empty() {
        return Err(format!(
            "flow {}: no topic on {} matches {}: nothing to fail over",
            cfg.label(),
            cfg.source,
            opts.selection_text()
        ));
    }
    let topic_set: BTreeSet<&str> = tps.iter().map(|tp| tp.topic.as_str()).collect();

    // The groups and their committed source offsets on the selected topics.
    let listed = with_retry(&source, "list groups", || list_groups(&source))
        .await
        .map_err(|e| format!("source cluster {}: {e}", cfg.source))?;
    let chosen: Vec<String> = listed
        .into_iter()
        .filter(|g| match &groups_re {
            Some(re) => re.is_match(g),
            None => cfg
                .checkpoints
                .as_ref()
                .is_some_and(|c| c.groups.matches(g)),
        })
        .collect();
    let mut committed_src: BTreeMap<String, BTreeMap<TopicPartition, (i64, String)>> =
        BTreeMap::new();
    let mut active = Vec::new();
    for g in &chosen {
        let state = with_retry(&source, "describe group", || group_state(&source, g))
            .await
            .map_err(|e| format!("source cluster {}: group {g}: {e}", cfg.source))?;
        if is_active(Some(&state)) {
            active.push(format!("{g} ({state})"));
        }
        let offsets = with_retry(&source, "fetch group offsets", || fetch_offsets(&source, g))
            .await
            .map_err(|e| format!("source cluster {}: group {g}: {e}", cfg.source))?;
        let mine: BTreeMap<TopicPartition, (i64, String)> = offsets
            .into_iter()
            .filter(|(tp, _)| {
                topic_set.contains(tp.topic.as_str())
                    || (came_from_target(cfg, &tp.topic)
                        && topics_re.as_ref().is_none_or(|re| re.is_match(&tp.topic)))
            })
            .map(|(tp, c)| (tp, (c.offset, c.metadata)))
            .collect();
        if !mine.is_empty() {
            committed_src.insert(g.clone(), mine);
        }
    }
    if committed_src.is_empty() {
        return Err(format!(
            "flow {}: no group with offsets on the selected topics matches {} on {}: nothing to fail over",
            cfg.label(),
            opts.selection_text(),
            cfg.source
        ));
    }
    if !active.is_empty() {
        return Err(format!(
            "groups still have active members on the source {}: {}; stop their consumers first (nothing was changed)",
            cfg.source,
            active.join(", ")
        ));
    }

    // The source's producers have stopped: its end offsets stay still for `settle`.
    let before = offsets(&source, &tps, OffsetSpec::Latest).await?;
    tokio::time::sleep(settle).await;
    let after = offsets(&source, &tps, OffsetSpec::Latest).await?;
    if let Some((tp, end)) = after.iter().find(|(tp, end)| before.get(*tp) != Some(end)) {
        return Err(format!(
            "producers are still writing to the source: {tp} grew from {} to {end} within {settle:?}; stop them first, or use --unplanned (nothing was changed)",
            before.get(tp).copied().unwrap_or(-1)
        ));
    }

    // The target holds every record: the saved progress reaches every end.
    let deadline = tokio::time::Instant::now() + catch_up;
    loop {
        let saved = read_saved(&target, &cfg.offset_storage, &cfg.source)
            .await
            .map_err(|e| format!("target cluster {}: saved progress: {e}", cfg.target))?
            .unwrap_or_default();
        let left: i64 = after
            .iter()
            .map(|(tp, end)| (end - saved.get(tp).copied().unwrap_or(0)).max(0))
            .sum();
        progress(left);
        if left == 0 {
            break;
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(format!(
                "the target still lacks {left} records of the selected topics after {catch_up:?}: is the replicator running? (nothing was changed)"
            ));
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }

    // Exact translation: the offset-syncs, closed at both ends. The replicator writes its syncs
    // a moment after the data, so wait (within the catch-up time) until they reach every end.
    let syncs_client = if syncs_cfg.cluster == cfg.source {
        &source
    } else {
        &target
    };
    let remote_of = |tp: &TopicPartition| {
        TopicPartition::new(
            downstream_topic(&cfg.policy, &cfg.source, &cfg.target, &tp.topic),
            tp.partition,
        )
    };
    let remote_tps: Vec<TopicPartition> = tps.iter().map(&remote_of).collect();
    let target_ends = offsets(&target, &remote_tps, OffsetSpec::Latest).await?;
    let needed: BTreeSet<&TopicPartition> = committed_src
        .values()
        .flat_map(|o| o.keys())
        .filter(|tp| !came_from_target(cfg, &tp.topic))
        .collect();
    let (log, closed) = loop {
        let records = read_partition(syncs_client, &syncs_cfg.topic, 0)
            .await
            .map_err(|e| {
                format!(
                    "cluster {}: offset-syncs {}: {e}",
                    syncs_cfg.cluster, syncs_cfg.topic
                )
            })?;
        let log = OffsetSyncLog::new(syncs_cfg.lag_max);
        log.load(&records);
        let mut closed: HashMap<TopicPartition, bool> = HashMap::new();
        for tp in &tps {
            let t_end = target_ends.get(&remote_of(tp)).copied().unwrap_or(0);
            let s_end = after.get(tp).copied().unwrap_or(0);
            closed.insert(
                tp.clone(),
                log.close_at_ends(&tp.topic, tp.partition, s_end, t_end),
            );
        }
        let all = needed
            .iter()
            .all(|tp| closed.get(*tp).copied().unwrap_or(false));
        if all || tokio::time::Instant::now() >= deadline {
            break (log, closed);
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    };

    // Positions on topics that came from the target map home through the forward copy.
    let home_positions: BTreeSet<(TopicPartition, i64)> = committed_src
        .values()
        .flat_map(|o| o.iter())
        .filter(|(tp, _)| came_from_target(cfg, &tp.topic))
        .map(|(tp, (u, _))| (tp.clone(), *u))
        .collect();
    let home = translate_home(config, cfg, &source, &target, &home_positions).await?;

    let now = crate::clock::now_ms();
    let mut plans: Vec<GroupPlan> = Vec::new();
    let mut inexact: Vec<String> = Vec::new();
    let mut checkpoints: Vec<Checkpoint> = Vec::new();
    for (group, offsets) in &committed_src {
        let mut wanted: BTreeMap<TopicPartition, Checkpointed> = BTreeMap::new();
        for (tp, (u, metadata)) in offsets {
            let (remote, down) = if let Some((home_tp, down)) = home.get(&(tp.clone(), *u)) {
                (home_tp.clone(), *down)
            } else {
                let Some(down) = log.translate(&tp.topic, tp.partition, *u) else {
                    inexact.push(format!(
                        "{group} {tp}: offset {u} has no offset-sync to translate it"
                    ));
                    continue;
                };
                if !closed.get(tp).copied().unwrap_or(false) {
                    inexact.push(format!(
                        "{group} {tp}: the offset-syncs do not reach the end of the partition yet (newest sync {:?}, source end {}, target end {})",
                        log.last_sync(&tp.topic, tp.partition),
                        after.get(tp).copied().unwrap_or(-1),
                        target_ends.get(&remote_of(tp)).copied().unwrap_or(-1)
                    ));
                    continue;
                }
                (remote_of(tp), down)
            };
            checkpoints.push(Checkpoint {
                group: group.clone(),
                topic: remote.topic.clone(),
                partition: remote.partition,
                upstream_offset: *u,
                downstream_offset: down,
                metadata: metadata.clone(),
            });
            wanted.insert(
                remote,
                Checkpointed {
                    upstream: *u,
                    downstream: down,
                    metadata: metadata.clone(),
                    written_ms: now,
                },
            );
        }
        let (state, committed) = target_group(&target, &cfg.target, group).await?;
        plans.push(plan_group(
            group,
            &wanted,
            &committed,
            Some(&state),
            opts.force,
        ));
    }
    if !inexact.is_empty() {
        return Err(format!(
            "cannot translate exactly (nothing was changed): {}",
            inexact.join("; ")
        ));
    }
    if !opts.dry_run {
        if let Some(c) = &cfg.checkpoints {
            let records = checkpoint_records(&checkpoints, now);
            append(&target, &c.topic, 0, &records, Duration::from_secs(30))
                .await
                .map_err(|e| {
                    format!(
                        "target cluster {}: final checkpoints to {}: {e}",
                        cfg.target, c.topic
                    )
                })?;
        }
    }
    let failed = commit_plans(&target, &plans, opts.dry_run).await;
    let mut report = context(cfg, &target, plans, failed, opts.dry_run, "planned").await;
    report.target_ends = target_ends;
    for ((remote, _), (home_tp, _)) in &home {
        report
            .source_topics
            .insert(home_tp.topic.clone(), remote.topic.clone());
    }
    Ok(report)
}
