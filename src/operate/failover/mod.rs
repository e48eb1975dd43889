//! `strait failover --unplanned`: for when the source is gone. Each selected group is committed
//! on the target from the newest checkpoints there, never moved backwards, and refused when it has
//! active members on the target (unless `--force`). The report says, per group and partition,
//! what was used and how old it is, the last replicated source offset, the newest heartbeat, and
//! what cannot be known while the source is down; `--record FILE` keeps a JSON record of what was
//! moved, for failback.

mod home;
mod plan;
mod planned;
mod render;

pub use planned::planned;

use std::collections::BTreeMap;

use regex::Regex;

use self::plan::{plan_group, Checkpointed, GroupPlan};
use crate::config::{FlowConfig, Mm2Config};
use crate::offsets::checkpoints::decode_records;
use crate::offsets::progress::read_saved;
use crate::offsets::topic_reader::read_partition;
use crate::operate::probe::with_retry;
use crate::protocol::groups::{commit_offsets, fetch_offsets, group_state, Committed};
use crate::protocol::{ClusterClient, TopicPartition};

/// What the operator asked for.
#[derive(Debug, Clone, Default)]
pub struct FailoverOptions {
    /// `--flow S->T`; required when the file enables several flows.
    pub flow: Option<String>,
    /// `--groups REGEX` (full match); default: the flow's `groups` selection.
    pub groups: Option<String>,
    /// `--topics REGEX` (full match on the source topic name); default: the flow's topics.
    pub topics: Option<String>,
    /// `--dry-run`: print the plan, change nothing.
    pub dry_run: bool,
    /// `--force`: commit groups that have active members on the target too.
    pub force: bool,
}

impl FailoverOptions {
    /// `--groups` and `--topics` as full-match regexes, or a message naming the bad one.
    fn selection(&self) -> Result<(Option<Regex>, Option<Regex>), String> {
        let compile =
            |flag, re: &Option<String>| re.as_deref().map(|r| full_match(flag, r)).transpose();
        Ok((
            compile("--groups", &self.groups)?,
            compile("--topics", &self.topics)?,
        ))
    }

    /// The selection as error messages name it: the flags given, else the flow's own selection.
    fn selection_text(&self) -> String {
        let groups = self
            .groups
            .as_deref()
            .map_or("the flow's `groups`".to_string(), |g| {
                format!("--groups {g}")
            });
        let topics = self
            .topics
            .as_deref()
            .map_or("the flow's `topics`".to_string(), |t| {
                format!("--topics {t}")
            });
        format!("{groups} with {topics}")
    }
}

/// What a failover did (or, with `--dry-run`, would do).
#[derive(Debug, Clone)]
pub struct FailoverReport {
    flow: String,
    source: String,
    target: String,
    dry_run: bool,
    now_ms: i64,
    plans: Vec<GroupPlan>,
    /// Failures of commits the broker refused, per group.
    failed: BTreeMap<String, Vec<String>>,
    /// The last replicated (saved) source position per source partition.
    replicated: BTreeMap<TopicPartition, i64>,
    /// The newest heartbeat from the source on the target, epoch ms.
    heartbeat_ms: Option<i64>,
    /// Target topic -> its source topic.
    source_topics: BTreeMap<String, String>,
    /// `planned` or `unplanned`.
    mode: &'static str,
    /// The target's end offsets, when known (a planned failover): what each group has left to
    /// read there.
    target_ends: BTreeMap<TopicPartition, i64>,
}

impl FailoverReport {
    /// 0 when every selected group was moved (or was already there), 1 when a group was refused
    /// or a commit failed.
    pub fn exit_code(&self) -> u8 {
        let refused = self.plans.iter().any(|p| p.refused.is_some());
        u8::from(refused || !self.failed.is_empty())
    }

    /// The readable report.
    pub fn table(&self) -> String {
        render::table(self)
    }

    /// The report as JSON.
    pub fn json(&self) -> String {
        render::json(self).to_string()
    }

    /// The failover record `--record` writes: what was moved, from what, to what, and when.
    pub fn record(&self) -> String {
        render::record(self).to_string()
    }
}

/// A full-match regex from a `--groups`/`--topics` value, or a message naming the flag.
fn full_match(flag: &str, re: &str) -> Result<Regex, String> {
    Regex::new(&format!("^(?:{re})$")).map_err(|e| format!("{flag} {re}: not a valid regex: {e}"))
}

/// The one flow a failover acts on.
fn one_flow<'a>(config: &'a Mm2Config, flow: Option<&str>) -> Result<&'a FlowConfig, String> {
    let flows = crate::operate::probe::select_flows(config, flow)?;
    match flows.as_slice() {
        [one] => Ok(one),
        _ => Err(format!(
            "{} enables several flows ({}): name one with --flow SOURCE->TARGET",
            config.path.display(),
            flows
                .iter()
                .map(|f| f.label())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// Runs an unplanned failover of the selected groups of one flow, reading only the target.
/// Errors (an unreachable target, no checkpoints, no group selected) change nothing.
pub async fn unplanned(
    config: &Mm2Config,
    opts: &FailoverOptions,
) -> Result<FailoverReport, String> {
    let cfg = one_flow(config, opts.flow.as_deref())?;
    let Some(checkpoints_cfg) = &cfg.checkpoints else {
        return Err(format!(
            "flow {}: checkpoints are off (`emit.checkpoints.enabled` or `emit.offset-syncs.enabled` is false), so there is nothing to fail groups over from",
            cfg.label()
        ));
    };
    let (groups_re, topics_re) = opts.selection()?;
    let target = crate::operate::probe::client(&cfg.target_admin, "target")?;
    let topic = &checkpoints_cfg.topic;
    let records = read_partition(&target, topic, 0).await.map_err(|e| {
        format!(
            "target cluster {}: cannot read the checkpoints topic {topic}: {e}",
            cfg.target
        )
    })?;
    // The newest checkpoint per group and target partition (the log is in write order).
    let mut newest: BTreeMap<String, BTreeMap<TopicPartition, Checkpointed>> = BTreeMap::new();
    for (c, written_ms) in decode_records(records) {
        let source_topic = cfg
            .policy
            .upstream_topic(&c.topic)
            .unwrap_or_else(|| c.topic.clone());
        let group_selected = match &groups_re {
            Some(re) => re.is_match(&c.group),
            None => checkpoints_cfg.groups.matches(&c.group),
        };
        let topic_selected = match &topics_re {
            Some(re) => re.is_match(&source_topic),
            None => cfg.should_replicate_topic(&source_topic),
        };
        if !group_selected || !topic_selected {
            continue;
        }
        newest.entry(c.group).or_default().insert(
            TopicPartition::new(c.topic, c.partition),
            Checkpointed {
                upstream: c.upstream_offset,
                downstream: c.downstream_offset,
                metadata: c.metadata,
                written_ms,
            },
        );
    }
    if newest.is_empty() {
        return Err(format!(
            "flow {}: no checkpointed group matches {} in {topic} on {}: nothing to fail over",
            cfg.label(),
            opts.selection_text(),
            cfg.target
        ));
    }
    let mut plans = Vec::new();
    for (group, checkpoints) in &newest {
        let (state, committed) = target_group(&target, &cfg.target, group).await?;
        plans.push(plan_group(
            group,
            checkpoints,
            &committed,
            Some(&state),
            opts.force,
        ));
    }
    let failed = commit_plans(&target, &plans, opts.dry_run).await;
    Ok(context(cfg, &target, plans, failed, opts.dry_run, "unplanned").await)
}

/// A group's state and committed offsets on the target (`alias` names it in messages).
async fn target_group(
    target: &ClusterClient,
    alias: &str,
    group: &str,
) -> Result<(String, BTreeMap<TopicPartition, i64>), String> {
    let failed =
        |e: crate::protocol::ProtocolError| format!("target cluster {alias}: group {group}: {e}");
    let state = with_retry(target, "describe group", || group_state(target, group))
        .await
        .map_err(failed)?;
    let committed = with_retry(target, "fetch group offsets", || {
        fetch_offsets(target, group)
    })
    .await
    .map_err(failed)?
    .into_iter()
    .map(|(tp, c)| (tp, c.offset))
    .collect();
    Ok((state, committed))
}

/// Commits every plan's offsets on the target (nothing with `dry_run`); the failures per group.
async fn commit_plans(
    target: &ClusterClient,
    plans: &[GroupPlan],
    dry_run: bool,
) -> BTreeMap<String, Vec<String>> {
    let mut failed: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if dry_run {
        return failed;
    }
    for plan in plans {
        let offsets: BTreeMap<TopicPartition, Committed> = plan
            .commits()
            .map(|m| {
                (
                    m.tp.clone(),
                    Committed {
                        offset: m.to,
                        metadata: m.checkpoint.metadata.clone(),
                    },
                )
            })
            .collect();
        if offsets.is_empty() {
            continue;
        }
        let commit = || commit_offsets(target, &plan.group, &offsets);
        match with_retry(target, "commit group offsets", commit).await {
            Ok(errors) => {
                for (tp, e) in errors {
                    failed
                        .entry(plan.group.clone())
                        .or_default()
                        .push(format!("{tp}: {e}"));
                }
            }
            Err(e) => failed
                .entry(plan.group.clone())
                .or_default()
                .push(e.to_string()),
        }
    }
    failed
}

/// The report of a failover: the plans and what the target says about the flow besides (saved
/// progress, the newest heartbeat from the source).
async fn context(
    cfg: &FlowConfig,
    target: &ClusterClient,
    plans: Vec<GroupPlan>,
    failed: BTreeMap<String, Vec<String>>,
    dry_run: bool,
    mode: &'static str,
) -> FailoverReport {
    let source_topics = plans
        .iter()
        .flat_map(|p| p.moves.iter())
        .map(|m| {
            let source = cfg
                .policy
                .upstream_topic(&m.tp.topic)
                .unwrap_or_else(|| m.tp.topic.clone());
            (m.tp.topic.clone(), source)
        })
        .collect();
    let replicated = read_saved(target, &cfg.offset_storage, &cfg.source)
        .await
        .ok()
        .flatten()
        .map(|m| m.into_iter().collect())
        .unwrap_or_default();
    let heartbeats = cfg.policy.heartbeats_topic();
    let heartbeat_ms = match target
        .refresh_metadata(Some(&[heartbeats.to_string()]))
        .await
    {
        Ok(_) => {
            crate::operate::probe::newest_heartbeat(
                target,
                heartbeats,
                Some((&cfg.source, &cfg.target)),
            )
            .await
        }
        Err(_) => None,
    };
    FailoverReport {
        flow: cfg.label(),
        source: cfg.source.clone(),
        target: cfg.target.clone(),
        dry_run,
        now_ms: crate::clock::now_ms(),
        plans,
        failed,
        replicated,
        heartbeat_ms,
        source_topics,
        mode,
        target_ends: BTreeMap::new(),
    }
}
