//! Turning a flow's facts into a verdict: which lags, heartbeats and groups are a warning or
//! critical, by the operator's thresholds. Pure, so every rule is unit-tested.

use std::time::Duration;

use super::FlowFacts;

/// How healthy something is; also the exit code of `strait status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Healthy (exit 0).
    Ok = 0,
    /// Needs a look (exit 1).
    Warning = 1,
    /// Replication is not happening or cannot be checked (exit 2).
    Critical = 2,
}

impl Level {
    /// The word printed for it.
    pub fn word(self) -> &'static str {
        match self {
            Level::Ok => "OK",
            Level::Warning => "WARNING",
            Level::Critical => "CRITICAL",
        }
    }
}

/// The operator's limits: how old the oldest unreplicated record and the newest heartbeat may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// Replication lag (age of the oldest record not yet on the target) that is a warning.
    pub lag_warn: Duration,
    /// ... and that is critical.
    pub lag_crit: Duration,
    /// Heartbeat age that is a warning.
    pub heartbeat_warn: Duration,
    /// ... and that is critical.
    pub heartbeat_crit: Duration,
}

impl Default for Thresholds {
    /// 30 s and 5 min for both: a healthy flow replicates within seconds and heartbeats every
    /// second (MM2's default interval).
    fn default() -> Self {
        Thresholds {
            lag_warn: Duration::from_secs(30),
            lag_crit: Duration::from_secs(300),
            heartbeat_warn: Duration::from_secs(30),
            heartbeat_crit: Duration::from_secs(300),
        }
    }
}

/// One thing wrong with a flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    /// How bad.
    pub(crate) level: Level,
    /// What, in words, naming the partition, topic or group.
    pub(crate) what: String,
}

/// The level of an age against a warning and a critical limit.
fn by_age(age: Duration, warn: Duration, crit: Duration) -> Level {
    if age >= crit {
        Level::Critical
    } else if age >= warn {
        Level::Warning
    } else {
        Level::Ok
    }
}

/// An age in ms as the report prints it.
pub(crate) fn age_text(ms: i64) -> String {
    let s = ms.max(0) as f64 / 1000.0;
    if s < 120.0 {
        format!("{s:.1} s")
    } else if s < 7200.0 {
        format!("{:.1} min", s / 60.0)
    } else {
        format!("{:.1} h", s / 3600.0)
    }
}

fn age(now_ms: i64, then_ms: i64) -> Duration {
    Duration::from_millis(u64::try_from(now_ms - then_ms).unwrap_or(0))
}

/// Everything wrong with `facts` by `t`; empty when the flow is healthy. `heartbeats_on` says
/// whether the flow's pair emits heartbeats (a missing heartbeat is then a warning).
pub(crate) fn problems(facts: &FlowFacts, heartbeats_on: bool, t: &Thresholds) -> Vec<Problem> {
    let mut out: Vec<Problem> = facts
        .unreadable
        .iter()
        .map(|what| Problem {
            level: Level::Critical,
            what: what.clone(),
        })
        .collect();
    for p in &facts.partitions {
        // A record stamped in the future (an application's own event time) has no age to judge.
        let Some(oldest) = p.oldest_unreplicated_ms.filter(|&t| t <= facts.now_ms) else {
            continue;
        };
        let a = age(facts.now_ms, oldest);
        let level = by_age(a, t.lag_warn, t.lag_crit);
        if level > Level::Ok {
            out.push(Problem {
                level,
                what: format!(
                    "{}: {} records behind, the oldest written {} ago",
                    p.source,
                    p.lag(),
                    age_text(facts.now_ms - oldest)
                ),
            });
        }
    }
    if heartbeats_on {
        match &facts.emitted_heartbeat {
            Some(h) => heartbeat_problem(&mut out, h, facts.now_ms, t),
            None => out.push(Problem {
                level: Level::Warning,
                what: "no heartbeat from this flow's emitter on the target (`heartbeats`)".into(),
            }),
        }
    }
    if let Some(h) = &facts.replicated_heartbeat {
        heartbeat_problem(&mut out, h, facts.now_ms, t);
    }
    if facts.group_sync {
        for g in &facts.groups {
            let active = g
                .target_state
                .as_deref()
                .is_some_and(|s| !matches!(s, "Empty" | "Dead"));
            if active {
                out.push(Problem {
                    level: Level::Warning,
                    what: format!(
                        "group {}: not synced, it has active members on the target (state {})",
                        g.group,
                        g.target_state.as_deref().unwrap_or("?")
                    ),
                });
            }
        }
    }
    out
}

fn heartbeat_problem(
    out: &mut Vec<Problem>,
    h: &super::HeartbeatFacts,
    now_ms: i64,
    t: &Thresholds,
) {
    match h.newest_ms {
        Some(ms) => {
            let level = by_age(age(now_ms, ms), t.heartbeat_warn, t.heartbeat_crit);
            if level > Level::Ok {
                out.push(Problem {
                    level,
                    what: format!(
                        "newest heartbeat in {} is {} old",
                        h.topic,
                        age_text(now_ms - ms)
                    ),
                });
            }
        }
        None => out.push(Problem {
            level: Level::Warning,
            what: format!("no heartbeat of this flow in {}", h.topic),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{GroupFacts, HeartbeatFacts, PartitionFacts};
    use super::*;
    use crate::protocol::TopicPartition;

    const NOW: i64 = 1_000_000_000;

    fn facts() -> FlowFacts {
        FlowFacts {
            flow: "a->b".into(),
            partitions: vec![PartitionFacts {
                source: TopicPartition::new("orders", 0),
                remote_topic: "a.orders".into(),
                log_start: 0,
                end: 100,
                replicated: Some(100),
                oldest_unreplicated_ms: None,
            }],
            emitted_heartbeat: Some(HeartbeatFacts {
                topic: "heartbeats".into(),
                newest_ms: Some(NOW - 1_000),
            }),
            replicated_heartbeat: None,
            groups: vec![],
            group_sync: false,
            unreadable: vec![],
            now_ms: NOW,
        }
    }

    fn worst(p: &[Problem]) -> Level {
        p.iter().map(|p| p.level).max().unwrap_or(Level::Ok)
    }

    #[test]
    fn a_caught_up_flow_with_fresh_heartbeats_is_healthy() {
        assert!(problems(&facts(), true, &Thresholds::default()).is_empty());
    }

    #[test]
    fn lag_is_judged_by_the_age_of_the_oldest_unreplicated_record() {
        let t = Thresholds::default();
        let mut f = facts();
        f.partitions[0].replicated = Some(90);
        f.partitions[0].oldest_unreplicated_ms = Some(NOW - 5_000);
        assert_eq!(
            worst(&problems(&f, true, &t)),
            Level::Ok,
            "10 records, 5 s old"
        );
        f.partitions[0].oldest_unreplicated_ms = Some(NOW - 31_000);
        let p = problems(&f, true, &t);
        assert_eq!(worst(&p), Level::Warning);
        assert!(p[0].what.contains("orders-0: 10 records behind"), "{p:?}");
        f.partitions[0].oldest_unreplicated_ms = Some(NOW - 301_000);
        assert_eq!(worst(&problems(&f, true, &t)), Level::Critical);
    }

    #[test]
    fn a_record_stamped_in_the_future_has_no_age_to_judge() {
        let mut f = facts();
        f.partitions[0].replicated = Some(90);
        f.partitions[0].oldest_unreplicated_ms = Some(NOW + 3_600_000);
        assert!(problems(&f, true, &Thresholds::default()).is_empty());
    }

    #[test]
    fn heartbeats_missing_or_old() {
        let t = Thresholds::default();
        let mut f = facts();
        f.emitted_heartbeat = None;
        assert_eq!(worst(&problems(&f, true, &t)), Level::Warning);
        assert!(
            problems(&f, false, &t).is_empty(),
            "heartbeats off for the pair"
        );
        f.emitted_heartbeat = Some(HeartbeatFacts {
            topic: "heartbeats".into(),
            newest_ms: Some(NOW - 600_000),
        });
        assert_eq!(worst(&problems(&f, true, &t)), Level::Critical);
        f.emitted_heartbeat = None;
        f.replicated_heartbeat = Some(HeartbeatFacts {
            topic: "a.heartbeats".into(),
            newest_ms: Some(NOW - 40_000),
        });
        assert_eq!(worst(&problems(&f, false, &t)), Level::Warning);
    }

    #[test]
    fn unreadable_clusters_are_critical_and_active_groups_are_refused() {
        let t = Thresholds::default();
        let mut f = facts();
        f.unreadable.push("source cluster a: unreachable".into());
        assert_eq!(worst(&problems(&f, true, &t)), Level::Critical);
        let mut f = facts();
        f.group_sync = true;
        f.groups.push(GroupFacts {
            group: "billing".into(),
            newest_checkpoint_ms: NOW,
            partitions: 1,
            target_state: Some("Stable".into()),
            behind: 1,
        });
        let p = problems(&f, true, &t);
        assert_eq!(worst(&p), Level::Warning);
        assert!(p[0].what.contains("group billing"), "{p:?}");
        f.groups[0].target_state = Some("Empty".into());
        assert!(problems(&f, true, &t).is_empty());
    }

    #[test]
    fn lag_ignores_what_retention_deleted() {
        let p = PartitionFacts {
            source: TopicPartition::new("t", 0),
            remote_topic: "a.t".into(),
            log_start: 50,
            end: 80,
            replicated: Some(10),
            oldest_unreplicated_ms: None,
        };
        assert_eq!(p.lag(), 30);
        let never = PartitionFacts {
            replicated: None,
            ..p
        };
        assert_eq!(never.lag(), 30);
    }
}
