//! `strait failback`: after the old primary returns. For the flow that was failed over
//! (`primary->secondary`) it reports, per partition, the records the old primary holds that never
//! reached the target before the failover (the lost tail: offsets, count, time range), found by
//! pairing the records themselves, and with `--export DIR` writes them as JSON lines for the
//! business to reconcile. It checks what the way home needs: the reverse flow enabled, the
//! forward flow stopped, and, under `IdentityReplicationPolicy` (where the old primary's topics
//! have the secondary's names and the reverse flow cannot append behind a divergent tail), it
//! says so, and with `--rebuild` (after the export) recreates those topics for the reverse flow
//! to fill. Nothing else on either cluster is changed.

mod export;
mod rebuild;
mod render;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use regex::Regex;

use self::export::TopicExport;
use crate::config::{FlowConfig, Mm2Config};
use crate::offsets::checkpoints::downstream_topic;
use crate::offsets::topic_reader::{bounds, read_records, ReadFrom};
use crate::operate::copies::{read_syncs, RemotePartition};
use crate::operate::probe::{client, source_partitions};
use crate::protocol::TopicPartition;

/// How many records one read of the lost tail takes.
const TAIL_READ: usize = 5_000;

/// What the operator asked for.
#[derive(Debug, Clone, Default)]
pub struct FailbackOptions {
    /// `--flow S->T`: the flow that was failed over (primary->secondary).
    pub flow: Option<String>,
    /// `--failover-record FILE`: the record `strait failover --record` wrote; names the flow.
    pub failover_record: Option<PathBuf>,
    /// `--topics REGEX` (full match on the source topic); default: the flow's topics.
    pub topics: Option<String>,
    /// `--export DIR`: write the lost tail there as JSON lines.
    pub export: Option<PathBuf>,
    /// `--dry-run`: report only, write no file.
    pub dry_run: bool,
    /// `--rebuild` (identity policy only): after the export, delete the old primary's topics
    /// and create them again empty, for the reverse flow to fill.
    pub rebuild: bool,
}

/// The lost tail of one source partition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Tail {
    /// The first source offset the target never got (None: it got everything).
    first: Option<i64>,
    /// The source's end offset.
    end: i64,
    /// How many records the tail holds (control records not counted).
    records: u64,
    /// The oldest and newest timestamps in the tail.
    first_ms: Option<i64>,
    last_ms: Option<i64>,
    /// With `IdentityReplicationPolicy`: the first target offset written on the target itself.
    own_from: Option<i64>,
}

/// One source partition's divergence, or why it cannot be known.
#[derive(Debug, Clone)]
struct PartitionReport {
    tp: TopicPartition,
    remote: TopicPartition,
    tail: Result<Tail, String>,
}

/// What the failover record says about the failover.
#[derive(Debug, Clone)]
struct FailoverMark {
    /// When it happened, epoch ms.
    at_ms: i64,
    /// `planned` or `unplanned`.
    mode: String,
}

/// The failback report.
#[derive(Debug, Clone)]
pub struct FailbackReport {
    flow: String,
    source: String,
    target: String,
    identity: bool,
    dry_run: bool,
    now_ms: i64,
    partitions: Vec<PartitionReport>,
    /// Export files written.
    exported: Vec<PathBuf>,
    /// When the failover record says the failover happened, and its mode.
    failover: Option<FailoverMark>,
    /// The reverse flow's label, and whether the file enables it.
    reverse: (String, bool),
    /// What the operator must know before going home.
    warnings: Vec<String>,
    /// Topics `--rebuild` rebuilt (or, with `--dry-run`, would rebuild).
    rebuilt: Vec<String>,
}

impl FailbackReport {
    /// 0: nothing was lost and every partition is known; 1: a lost tail exists (or a warning);
    /// 2: a partition's divergence cannot be known exactly.
    pub fn exit_code(&self) -> u8 {
        if self.partitions.iter().any(|p| p.tail.is_err()) {
            2
        } else if self.lost() > 0 || !self.warnings.is_empty() {
            1
        } else {
            0
        }
    }

    /// Records lost over every partition.
    fn lost(&self) -> u64 {
        self.partitions
            .iter()
            .filter_map(|p| p.tail.as_ref().ok())
            .map(|t| t.records)
            .sum()
    }

    /// The readable report.
    pub fn table(&self) -> String {
        render::table(self)
    }

    /// The report as JSON.
    pub fn json(&self) -> String {
        render::json(self).to_string()
    }
}

/// The failed-over flow named by `--flow` and/or the failover record, enabled or not.
fn failed_over_flow<'a>(
    config: &'a Mm2Config,
    opts: &FailbackOptions,
) -> Result<(&'a FlowConfig, Option<FailoverMark>), String> {
    let mut from_record = None;
    if let Some(path) = &opts.failover_record {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("--failover-record {}: {e}", path.display()))?;
        let v: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| format!("--failover-record {}: not JSON: {e}", path.display()))?;
        if v["kind"] != "strait-failover" {
            return Err(format!(
                "--failover-record {}: not a failover record (`kind` is not \"strait-failover\")",
                path.display()
            ));
        }
        let flow = v["flow"].as_str().unwrap_or_default().to_string();
        let at = v["at_ms"].as_i64().unwrap_or_default();
        let mode = v["mode"].as_str().unwrap_or_default().to_string();
        from_record = Some((flow, at, mode));
    }
    let wanted = match (&opts.flow, &from_record) {
        (Some(f), Some((r, _, _))) if f.replace(' ', "") != *r => {
            return Err(format!(
                "--flow {f} differs from the flow of the failover record ({r})"
            ))
        }
        (Some(f), _) => f.replace(' ', ""),
        (None, Some((r, _, _))) => r.clone(),
        (None, None) => return Err(
            "name the flow that was failed over: --flow SOURCE->TARGET or --failover-record FILE"
                .to_string(),
        ),
    };
    let (s, t) = wanted
        .split_once("->")
        .ok_or_else(|| format!("--flow {wanted}: expected SOURCE->TARGET"))?;
    let cfg = config.flow_between(s, t).ok_or_else(|| {
        format!(
            "--flow {wanted}: {} does not define clusters {s} and {t} (clusters = {})",
            config.path.display(),
            config.clusters.join(", ")
        )
    })?;
    Ok((
        cfg,
        from_record.map(|(_, at_ms, mode)| FailoverMark { at_ms, mode }),
    ))
}

/// Runs the failback report for the failed-over flow: see the module doc.
pub async fn failback(
    config: &Mm2Config,
    opts: &FailbackOptions,
) -> Result<FailbackReport, String> {
    let (cfg, failover) = failed_over_flow(config, opts)?;
    let topics_re = opts
        .topics
        .as_deref()
        .map(|re| {
            Regex::new(&format!("^(?:{re})$"))
                .map_err(|e| format!("--topics {re}: not a valid regex: {e}"))
        })
        .transpose()?;
    let identity = cfg.is_identity_policy();
    if opts.rebuild && !identity {
        return Err(format!(
            "--rebuild is only for IdentityReplicationPolicy: under the default policy {}'s topics stay as they are and the reverse flow writes {}.<topic> beside them",
            cfg.source, cfg.target
        ));
    }
    if opts.rebuild && opts.export.is_none() {
        return Err(
            "--rebuild deletes the old primary's topics: it needs --export DIR, so that their lost tail is written first"
                .to_string(),
        );
    }
    let source = client(&cfg.source_admin, "source")?;
    let target = client(&cfg.target_admin, "target")?;
    let mut tps = source_partitions(cfg, &source).await?;
    tps.retain(|tp| {
        topics_re.as_ref().is_none_or(|re| re.is_match(&tp.topic))
            && !cfg.policy.is_heartbeats_topic(&tp.topic)
    });
    if tps.is_empty() {
        return Err(format!(
            "flow {}: no topic on {} matches {}: nothing to fail back",
            cfg.label(),
            cfg.source,
            opts.topics
                .as_deref()
                .map_or("the flow's `topics`".to_string(), |t| format!(
                    "--topics {t}"
                ))
        ));
    }
    target
        .refresh_metadata(None)
        .await
        .map_err(|e| format!("target cluster {}: {e}", cfg.target))?;
    let syncs = read_syncs(cfg, &source, &target).await?;
    let export_dir = opts.export.as_deref().filter(|_| !opts.dry_run);

    let mut partitions = Vec::new();
    let mut exports: BTreeMap<String, TopicExport> = BTreeMap::new();
    for tp in tps {
        let remote = TopicPartition::new(
            downstream_topic(&cfg.policy, &cfg.source, &cfg.target, &tp.topic),
            tp.partition,
        );
        let pair = RemotePartition {
            source: &source,
            source_tp: tp.clone(),
            target: &target,
            target_tp: remote.clone(),
            syncs: syncs.get(&tp).map_or(&[], Vec::as_slice),
        };
        let tail = divergence(&pair, identity, export_dir, &mut exports).await;
        partitions.push(PartitionReport { tp, remote, tail });
    }
    let mut exported = Vec::new();
    for (_, e) in exports {
        exported.push(e.finish()?);
    }

    let mut rebuilt = Vec::new();
    if opts.rebuild {
        if let Some(p) = partitions.iter().find(|p| p.tail.is_err()) {
            return Err(format!(
                "--rebuild: the divergence of {} is unknown, so the export may be incomplete (nothing was deleted)",
                p.tp
            ));
        }
        let topics: BTreeSet<String> = partitions.iter().map(|p| p.tp.topic.clone()).collect();
        rebuild::check(config, cfg, &source, &topics).await?;
        for topic in &topics {
            if opts.dry_run {
                rebuilt.push(format!("{topic} on {}: would be rebuilt", cfg.source));
            } else {
                rebuilt.push(rebuild::rebuild_topic(&source, topic).await?);
            }
        }
    }
    let reverse = (
        format!("{}->{}", cfg.target, cfg.source),
        config.is_enabled(&cfg.target, &cfg.source),
    );
    let mut warnings = Vec::new();
    if config.is_enabled(&cfg.source, &cfg.target) {
        warnings.push(format!(
            "{} still enables {}: a replicator started with it copies the lost tail to {} (turn the flow off with `{}.enabled = false` until the way home is decided)",
            config.path.display(),
            cfg.label(),
            cfg.target,
            cfg.label()
        ));
    }
    Ok(FailbackReport {
        flow: cfg.label(),
        source: cfg.source.clone(),
        target: cfg.target.clone(),
        identity,
        dry_run: opts.dry_run,
        now_ms: crate::clock::now_ms(),
        partitions,
        exported,
        failover,
        reverse,
        warnings,
        rebuilt,
    })
}

/// The lost tail of one partition: where the copy ends, then every source record after it,
/// counted and (with `export`) written.
async fn divergence(
    pair: &RemotePartition<'_>,
    identity: bool,
    export: Option<&Path>,
    exports: &mut BTreeMap<String, TopicExport>,
) -> Result<Tail, String> {
    let tp = &pair.source_tp;
    let (start, end) = bounds(pair.source, &tp.topic, tp.partition)
        .await
        .map_err(|e| e.to_string())?;
    let copy = pair.copy_end(start).await?;
    let own_from = match copy.unpaired {
        None => None,
        Some((at, _)) if identity => Some(at),
        Some((_, why)) => return Err(why),
    };
    let mut tail = Tail {
        first: copy.first_missing,
        end,
        own_from,
        ..Tail::default()
    };
    let Some(mut next) = copy.first_missing else {
        return Ok(tail);
    };
    while next < end {
        let read = read_records(
            pair.source,
            &tp.topic,
            tp.partition,
            ReadFrom::Offset(next),
            Some(TAIL_READ),
        )
        .await
        .map_err(|e| e.to_string())?;
        let Some(last) = read.last() else {
            break;
        };
        next = last.offset + 1;
        for r in read.iter().filter(|r| r.offset < end) {
            tail.records += 1;
            tail.first_ms = Some(tail.first_ms.map_or(r.timestamp, |t| t.min(r.timestamp)));
            tail.last_ms = Some(tail.last_ms.map_or(r.timestamp, |t| t.max(r.timestamp)));
            if let Some(dir) = export {
                if !exports.contains_key(&tp.topic) {
                    exports.insert(tp.topic.clone(), TopicExport::create(dir, &tp.topic)?);
                }
                if let Some(e) = exports.get_mut(&tp.topic) {
                    e.write(&tp.topic, tp.partition, r)?;
                }
            }
        }
    }
    Ok(tail)
}
