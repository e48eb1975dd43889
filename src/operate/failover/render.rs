//! The failover report as a table and as JSON, and the failover record failback reads.

use std::fmt::Write;

use serde_json::{json, Value};

use super::plan::Action;
use super::FailoverReport;
use crate::operate::status::age_text;
use crate::protocol::TopicPartition;

/// The source partition of target partition `tp`, and its last replicated (saved) position.
fn source_of(r: &FailoverReport, tp: &TopicPartition) -> (TopicPartition, Option<i64>) {
    let topic = r
        .source_topics
        .get(&tp.topic)
        .cloned()
        .unwrap_or_else(|| tp.topic.clone());
    let source = TopicPartition::new(topic, tp.partition);
    let replicated = r.replicated.get(&source).copied();
    (source, replicated)
}

/// What cannot be known about a partition while the source is down.
fn unknowable(source: &TopicPartition, replicated: Option<i64>) -> String {
    match replicated {
        Some(o) => format!(
            "records written to {source} at or after offset {o} (not replicated), and commits of the group on the source after its checkpoint"
        ),
        None => format!(
            "what {source} held (no replication progress saved), and commits of the group on the source after its checkpoint"
        ),
    }
}

/// One block per group: its verdict, then one line per partition.
pub(super) fn table(r: &FailoverReport) -> String {
    let mut out = String::new();
    let verb = if r.dry_run {
        "would commit"
    } else {
        "committed"
    };
    let _ = writeln!(
        out,
        "{} failover of flow {}{}: groups move to {}",
        r.mode,
        r.flow,
        if r.dry_run {
            " (dry run: nothing changed)"
        } else {
            ""
        },
        r.target
    );
    let _ = writeln!(
        out,
        "  newest heartbeat from {} on {}: {}",
        r.source,
        r.target,
        r.heartbeat_ms.map_or("none".to_string(), |t| format!(
            "{} ago",
            age_text(r.now_ms - t)
        ))
    );
    for plan in &r.plans {
        match &plan.refused {
            Some(why) => {
                let _ = writeln!(out, "group {}: REFUSED: {why}", plan.group);
            }
            None => {
                let n = plan.commits().count();
                let _ = writeln!(out, "group {}: {verb} {n} partition(s)", plan.group);
            }
        }
        for e in r.failed.get(&plan.group).into_iter().flatten() {
            let _ = writeln!(out, "  FAILED: {e}");
        }
        let _ = writeln!(
            out,
            "  {:<28} {:>12} {:>12} {:>12} {:>16} {:>16}",
            "target partition",
            "source group",
            "target was",
            "target now",
            "checkpoint age",
            "last replicated"
        );
        for m in &plan.moves {
            let (_, replicated) = source_of(r, &m.tp);
            let now = match (&plan.refused, &m.action) {
                (Some(_), _) => m.from.map_or("-".to_string(), |f| f.to_string()),
                (None, _) => m.to.to_string(),
            };
            let _ = writeln!(
                out,
                "  {:<28} {:>12} {:>12} {:>12} {:>16} {:>16}{}",
                m.tp.to_string(),
                m.checkpoint.upstream,
                m.from.map_or("-".to_string(), |f| f.to_string()),
                now,
                age_text(r.now_ms - m.checkpoint.written_ms),
                replicated.map_or("-".to_string(), |o| o.to_string()),
                if m.action == Action::Keep {
                    "  (kept: already there or further)"
                } else {
                    ""
                }
            );
        }
    }
    if r.mode == "unplanned" {
        let _ = writeln!(
            out,
            "unknown while {} is down: records it holds past the last replicated offsets above, and any commit a group made there after its checkpoint",
            r.source
        );
    }
    out
}

/// The report as JSON.
pub(super) fn json(r: &FailoverReport) -> Value {
    let groups: Vec<Value> = r
        .plans
        .iter()
        .map(|plan| {
            json!({
                "group": plan.group,
                "refused": plan.refused,
                "failed": r.failed.get(&plan.group).cloned().unwrap_or_default(),
                "partitions": plan.moves.iter().map(|m| {
                    let (source, replicated) = source_of(r, &m.tp);
                    json!({
                        "topic": m.tp.topic,
                        "partition": m.tp.partition,
                        "source_topic": source.topic,
                        "source_committed": m.checkpoint.upstream,
                        "target_before": m.from,
                        "target_after": if plan.refused.is_some() { m.from } else { Some(m.to) },
                        "committed": plan.refused.is_none() && m.action == Action::Commit && !r.dry_run,
                        "checkpoint_age_ms": r.now_ms - m.checkpoint.written_ms,
                        "last_replicated_source_offset": replicated,
                        "unknown": (r.mode == "unplanned").then(|| unknowable(&source, replicated)),
                        "unread_on_target": r.target_ends.get(&m.tp).map(|end| (end - m.to).max(0)),
                    })
                }).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "flow": r.flow,
        "mode": r.mode,
        "dry_run": r.dry_run,
        "heartbeat_age_ms": r.heartbeat_ms.map(|t| r.now_ms - t),
        "groups": groups,
        "exit_code": r.exit_code(),
    })
}

/// The failover record: what was moved, from what, to what, and when.
pub(super) fn record(r: &FailoverReport) -> Value {
    json!({
        "kind": "strait-failover",
        "version": 1,
        "mode": r.mode,
        "flow": r.flow,
        "source": r.source,
        "target": r.target,
        "at_ms": r.now_ms,
        "dry_run": r.dry_run,
        "groups": r.plans.iter().filter(|p| p.refused.is_none()).map(|plan| json!({
            "group": plan.group,
            "partitions": plan.moves.iter().map(|m| {
                let (source, replicated) = source_of(r, &m.tp);
                json!({
                    "topic": m.tp.topic,
                    "partition": m.tp.partition,
                    "source_topic": source.topic,
                    "source_offset": m.checkpoint.upstream,
                    "from": m.from,
                    "to": m.to,
                    "last_replicated_source_offset": replicated,
                })
            }).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}
