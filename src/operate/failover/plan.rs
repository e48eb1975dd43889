//! What an unplanned failover commits for one group, decided from the newest checkpoints and the
//! group's state and offsets on the target. Pure, so the safety rules are unit-tested: a group is
//! never moved backwards, a group with active members is refused (unless forced), and re-running
//! changes nothing.

use std::collections::BTreeMap;

use crate::protocol::TopicPartition;

/// The newest checkpoint of one group on one target partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Checkpointed {
    /// The source offset the group had committed when the checkpoint was taken.
    pub(crate) upstream: i64,
    /// Its translation on the target.
    pub(crate) downstream: i64,
    /// The group's commit metadata, carried over as MM2's group sync does.
    pub(crate) metadata: String,
    /// When the checkpoint was written, epoch ms.
    pub(crate) written_ms: i64,
}

/// What happens to one partition of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Action {
    /// Commit `to` (the group had `from`, or nothing).
    Commit,
    /// Leave the group where it is: already at or past the checkpoint.
    Keep,
}

/// One partition of a group's plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Move {
    /// The target partition.
    pub(crate) tp: TopicPartition,
    /// The checkpoint used.
    pub(crate) checkpoint: Checkpointed,
    /// The group's committed offset on the target before, if any.
    pub(crate) from: Option<i64>,
    /// The offset it ends at.
    pub(crate) to: i64,
    /// Whether strait commits.
    pub(crate) action: Action,
}

/// One group's plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GroupPlan {
    /// The consumer group.
    pub(crate) group: String,
    /// Why nothing is committed for it, when it is refused.
    pub(crate) refused: Option<String>,
    /// Per partition, in order.
    pub(crate) moves: Vec<Move>,
}

impl GroupPlan {
    /// The offsets to commit (none when refused).
    pub(crate) fn commits(&self) -> impl Iterator<Item = &Move> {
        self.moves
            .iter()
            .filter(|m| self.refused.is_none() && m.action == Action::Commit)
    }
}

/// Whether a group in `state` has live members (so an admin commit would be refused, and the
/// application is already reading on the target).
pub(crate) fn is_active(state: Option<&str>) -> bool {
    state.is_some_and(|s| !matches!(s, "Empty" | "Dead"))
}

/// The plan for `group`: each checkpointed partition committed at its checkpoint's downstream
/// offset, unless the group is already there or further (never backwards). A group with live
/// members on the target is refused unless `force`.
pub(crate) fn plan_group(
    group: &str,
    checkpoints: &BTreeMap<TopicPartition, Checkpointed>,
    committed: &BTreeMap<TopicPartition, i64>,
    state: Option<&str>,
    force: bool,
) -> GroupPlan {
    let refused = (is_active(state) && !force).then(|| {
        format!(
            "group {group} has active members on the target (state {}); stop its consumers there, or pass --force",
            state.unwrap_or("?")
        )
    });
    let moves = checkpoints
        .iter()
        .map(|(tp, c)| {
            let from = committed.get(tp).copied();
            let (to, action) = match from {
                Some(f) if f >= c.downstream => (f, Action::Keep),
                _ => (c.downstream, Action::Commit),
            };
            Move {
                tp: tp.clone(),
                checkpoint: c.clone(),
                from,
                to,
                action,
            }
        })
        .collect();
    GroupPlan {
        group: group.to_string(),
        refused,
        moves,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cps(list: &[(i32, i64, i64)]) -> BTreeMap<TopicPartition, Checkpointed> {
        list.iter()
            .map(|&(p, u, d)| {
                (
                    TopicPartition::new("a.orders", p),
                    Checkpointed {
                        upstream: u,
                        downstream: d,
                        metadata: String::new(),
                        written_ms: 0,
                    },
                )
            })
            .collect()
    }

    #[test]
    fn commits_checkpoints_and_never_moves_a_group_backwards() {
        let committed: BTreeMap<TopicPartition, i64> = [(TopicPartition::new("a.orders", 1), 80)]
            .into_iter()
            .collect();
        let plan = plan_group(
            "g",
            &cps(&[(0, 100, 95), (1, 70, 60), (2, 5, 5)]),
            &committed,
            Some("Empty"),
            false,
        );
        assert_eq!(plan.refused, None);
        let got: Vec<(i32, Option<i64>, i64, Action)> = plan
            .moves
            .iter()
            .map(|m| (m.tp.partition, m.from, m.to, m.action.clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                (0, None, 95, Action::Commit),
                (1, Some(80), 80, Action::Keep),
                (2, None, 5, Action::Commit),
            ]
        );
        assert_eq!(plan.commits().count(), 2);
    }

    #[test]
    fn rerunning_changes_nothing() {
        let checkpoints = cps(&[(0, 100, 95)]);
        let committed: BTreeMap<TopicPartition, i64> = [(TopicPartition::new("a.orders", 0), 95)]
            .into_iter()
            .collect();
        let plan = plan_group("g", &checkpoints, &committed, Some("Empty"), false);
        assert_eq!(plan.commits().count(), 0);
    }

    #[test]
    fn active_groups_are_refused_unless_forced() {
        let checkpoints = cps(&[(0, 100, 95)]);
        let none = BTreeMap::new();
        let plan = plan_group("g", &checkpoints, &none, Some("Stable"), false);
        assert!(plan
            .refused
            .as_deref()
            .is_some_and(|r| r.contains("active members")));
        assert_eq!(plan.commits().count(), 0);
        let forced = plan_group("g", &checkpoints, &none, Some("Stable"), true);
        assert_eq!(forced.commits().count(), 1);
        for s in [None, Some("Empty"), Some("Dead")] {
            assert!(plan_group("g", &checkpoints, &none, s, false)
                .refused
                .is_none());
        }
    }
}
