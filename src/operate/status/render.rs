//! The status report as a readable table and as JSON.

use std::fmt::Write;

use serde_json::{json, Value};

use super::assess::{age_text, Level, Problem};
use super::FlowFacts;

/// An age column: `-` when there is nothing to age, and no age for a time in the future.
fn since(now_ms: i64, then: Option<i64>) -> String {
    match then {
        None => "-".to_string(),
        Some(t) if t > now_ms => "stamped in the future".to_string(),
        Some(t) => age_text(now_ms - t),
    }
}

/// The worst level of a flow's problems.
fn level_of(problems: &[Problem]) -> Level {
    problems.iter().map(|p| p.level).max().unwrap_or(Level::Ok)
}

/// One block per flow: partitions, heartbeats, groups, then the verdict.
pub(super) fn table(flows: &[(FlowFacts, Vec<Problem>)]) -> String {
    let mut out = String::new();
    for (f, problems) in flows {
        let _ = writeln!(out, "flow {}: {}", f.flow, level_of(problems).word());
        let width = f
            .partitions
            .iter()
            .map(|p| p.source.to_string().len())
            .max()
            .unwrap_or(9)
            .max(9);
        let _ = writeln!(
            out,
            "  {:<width$}  {:>12}  {:>12}  {:>10}  oldest unreplicated",
            "partition", "replicated", "source end", "lag"
        );
        for p in &f.partitions {
            let replicated = p.replicated.map_or("none".to_string(), |r| r.to_string());
            let _ = writeln!(
                out,
                "  {:<width$}  {:>12}  {:>12}  {:>10}  {}",
                p.source.to_string(),
                replicated,
                p.end,
                p.lag(),
                since(f.now_ms, p.oldest_unreplicated_ms)
            );
        }
        for h in [&f.emitted_heartbeat, &f.replicated_heartbeat]
            .into_iter()
            .flatten()
        {
            let _ = writeln!(
                out,
                "  heartbeats in {}: newest {}",
                h.topic,
                h.newest_ms.map_or("none".to_string(), |t| format!(
                    "{} ago",
                    age_text(f.now_ms - t)
                ))
            );
        }
        if !f.groups.is_empty() {
            let _ = writeln!(
                out,
                "  {:<24}  {:>16}  {:>10}  {:<12}  sync",
                "group", "newest checkpoint", "partitions", "target state"
            );
            for g in &f.groups {
                let sync = if !f.group_sync {
                    "off".to_string()
                } else if g
                    .target_state
                    .as_deref()
                    .is_some_and(|s| !matches!(s, "Empty" | "Dead"))
                {
                    "refused: active on the target".to_string()
                } else if g.behind == 0 {
                    "synced".to_string()
                } else {
                    format!("{} partition(s) not yet synced", g.behind)
                };
                let _ = writeln!(
                    out,
                    "  {:<24}  {:>16}  {:>10}  {:<12}  {sync}",
                    g.group,
                    format!("{} ago", age_text(f.now_ms - g.newest_checkpoint_ms)),
                    g.partitions,
                    g.target_state.as_deref().unwrap_or("?"),
                );
            }
        }
        for p in problems {
            let _ = writeln!(out, "  {}: {}", p.level.word(), p.what);
        }
    }
    out
}

/// `{"status": "OK", "exit_code": 0, "flows": [...]}`.
pub(super) fn json(flows: &[(FlowFacts, Vec<Problem>)], level: Level) -> String {
    let heartbeat = |h: &Option<super::HeartbeatFacts>, now: i64| -> Value {
        match h {
            None => Value::Null,
            Some(h) => json!({
                "topic": h.topic,
                "newest_ms": h.newest_ms,
                "age_ms": h.newest_ms.map(|t| now - t),
            }),
        }
    };
    let flows: Vec<Value> = flows
        .iter()
        .map(|(f, problems)| {
            json!({
                "flow": f.flow,
                "status": level_of(problems).word(),
                "partitions": f.partitions.iter().map(|p| json!({
                    "topic": p.source.topic,
                    "partition": p.source.partition,
                    "remote_topic": p.remote_topic,
                    "log_start": p.log_start,
                    "end": p.end,
                    "replicated": p.replicated,
                    "lag_records": p.lag(),
                    "lag_ms": p.oldest_unreplicated_ms.map(|t| f.now_ms - t).filter(|&ms| ms >= 0),
                    "oldest_unreplicated_timestamp": p.oldest_unreplicated_ms,
                })).collect::<Vec<_>>(),
                "heartbeats": {
                    "emitted": heartbeat(&f.emitted_heartbeat, f.now_ms),
                    "replicated": heartbeat(&f.replicated_heartbeat, f.now_ms),
                },
                "groups": f.groups.iter().map(|g| json!({
                    "group": g.group,
                    "checkpoint_age_ms": f.now_ms - g.newest_checkpoint_ms,
                    "partitions": g.partitions,
                    "target_state": g.target_state,
                    "partitions_not_synced": g.behind,
                })).collect::<Vec<_>>(),
                "group_sync": f.group_sync,
                "problems": problems.iter().map(|p| json!({
                    "level": p.level.word(),
                    "what": p.what,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "status": level.word(),
        "exit_code": level as u8,
        "flows": flows,
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::super::{GroupFacts, HeartbeatFacts, PartitionFacts};
    use super::*;
    use crate::protocol::TopicPartition;

    #[test]
    fn the_table_shows_lag_heartbeats_groups_and_the_verdict() {
        let now = 10_000_000;
        let facts = FlowFacts {
            flow: "primary->secondary".into(),
            partitions: vec![PartitionFacts {
                source: TopicPartition::new("orders", 0),
                remote_topic: "primary.orders".into(),
                log_start: 0,
                end: 120,
                replicated: Some(100),
                oldest_unreplicated_ms: Some(now - 45_000),
            }],
            emitted_heartbeat: Some(HeartbeatFacts {
                topic: "heartbeats".into(),
                newest_ms: Some(now - 800),
            }),
            replicated_heartbeat: None,
            groups: vec![GroupFacts {
                group: "billing".into(),
                newest_checkpoint_ms: now - 61_000,
                partitions: 3,
                target_state: Some("Empty".into()),
                behind: 0,
            }],
            group_sync: true,
            unreadable: vec![],
            now_ms: now,
        };
        let problems = vec![Problem {
            level: Level::Warning,
            what: "orders-0: 20 records behind, the oldest written 45.0 s ago".into(),
        }];
        let table = table(&[(facts.clone(), problems.clone())]);
        for want in [
            "flow primary->secondary: WARNING",
            "orders-0",
            "45.0 s",
            "heartbeats in heartbeats: newest 0.8 s ago",
            "billing",
            "61.0 s ago",
            "synced",
            "WARNING: orders-0: 20 records behind",
        ] {
            assert!(table.contains(want), "`{want}` in:\n{table}");
        }
        let v: Value = serde_json::from_str(&json(&[(facts, problems)], Level::Warning)).unwrap();
        assert_eq!(v["exit_code"], 1);
        assert_eq!(v["flows"][0]["partitions"][0]["lag_records"], 20);
        assert_eq!(v["flows"][0]["partitions"][0]["lag_ms"], 45_000);
        assert_eq!(v["flows"][0]["groups"][0]["checkpoint_age_ms"], 61_000);
    }
}
