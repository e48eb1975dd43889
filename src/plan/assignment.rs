//! Pinning source partitions to tasks: a partition, once given to a task, stays with it for the life
//! of the process, so discovering new topics or partitions never restarts or reshuffles a task.
//!
//! The first batch is dealt round-robin in discovery order, which is exactly MM2's split (`MirrorSourceConnector.taskConfigs`:
//! `numTasks = min(tasks.max, #partitions)`, partition `i` to task `i % numTasks`). MM2 reshuffles
//! everything on every change; strait instead gives each later partition to the least-loaded task
//! (ties: lowest index) and never moves one already placed.

use std::collections::HashMap;

use crate::protocol::TopicPartition;

/// Which task slot owns which partition. There are always `tasks_max` slots; slots without partitions
/// simply have nothing to do (MM2 would not start them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Assignment {
    tasks: Vec<Vec<TopicPartition>>,
    owner: HashMap<TopicPartition, usize>,
}

impl Assignment {
    /// An empty assignment with `tasks_max` slots (at least one).
    pub(crate) fn new(tasks_max: usize) -> Assignment {
        Assignment {
            tasks: vec![Vec::new(); tasks_max.max(1)],
            owner: HashMap::new(),
        }
    }

    /// The initial assignment: `partitions` dealt round-robin in the given (discovery) order, like MM2.
    #[cfg(test)]
    pub(crate) fn initial(
        tasks_max: usize,
        partitions: impl IntoIterator<Item = TopicPartition>,
    ) -> Assignment {
        let mut a = Assignment::new(tasks_max);
        a.add(partitions);
        a
    }

    /// Places partitions not assigned yet, each on the currently least-loaded task (ties: lowest
    /// index), and returns only the new placements, in input order. Partitions already assigned (or
    /// repeated in the input) are skipped; nothing already placed ever moves. On an empty assignment
    /// this is the round-robin deal.
    pub(crate) fn add(
        &mut self,
        partitions: impl IntoIterator<Item = TopicPartition>,
    ) -> Vec<(usize, TopicPartition)> {
        let mut placed = Vec::new();
        for tp in partitions {
            if self.owner.contains_key(&tp) {
                continue;
            }
            let task = self.least_loaded();
            self.owner.insert(tp.clone(), task);
            if let Some(slot) = self.tasks.get_mut(task) {
                slot.push(tp.clone());
            }
            placed.push((task, tp));
        }
        placed
    }

    fn least_loaded(&self) -> usize {
        let mut best = 0;
        for (i, slot) in self.tasks.iter().enumerate() {
            if slot.len() < self.tasks[best].len() {
                best = i;
            }
        }
        best
    }

    /// The task owning `tp`, if assigned.
    pub(crate) fn owner_of(&self, tp: &TopicPartition) -> Option<usize> {
        self.owner.get(tp).copied()
    }

    /// The partitions of task `task`, in the order they were placed (empty for an unknown index).
    #[cfg(test)]
    pub(crate) fn partitions_of(&self, task: usize) -> &[TopicPartition] {
        self.tasks.get(task).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Number of task slots (`tasks.max`).
    #[cfg(test)]
    pub(crate) fn task_count(&self) -> usize {
        self.tasks.len()
    }

    /// Number of assigned partitions.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.owner.len()
    }

    /// True when nothing is assigned.
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.owner.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tps(topic: &str, n: i32) -> Vec<TopicPartition> {
        (0..n).map(|p| TopicPartition::new(topic, p)).collect()
    }

    #[test]
    fn display_is_topic_dash_partition() {
        assert_eq!(TopicPartition::new("a.b-c", 7).to_string(), "a.b-c-7");
    }

    /// 3 tasks over topics with 8, 2, 2 partitions -> round-robin in discovery order.
    #[test]
    fn initial_is_mm2_round_robin() {
        let mut all = tps("t0", 8);
        all.extend(tps("t1", 2));
        all.extend(tps("t2", 2));
        let a = Assignment::initial(3, all.clone());
        for (i, tp) in all.iter().enumerate() {
            assert_eq!(a.owner_of(tp), Some(i % 3), "{tp}");
        }
        let names: Vec<String> = a.partitions_of(0).iter().map(|t| t.to_string()).collect();
        assert_eq!(names, ["t0-0", "t0-3", "t0-6", "t1-1"]);
        assert_eq!(a.len(), 12);
    }

    #[test]
    fn fewer_partitions_than_tasks() {
        let a = Assignment::initial(4, tps("t", 2));
        assert_eq!(a.task_count(), 4);
        assert_eq!(a.partitions_of(0).len(), 1);
        assert_eq!(a.partitions_of(1).len(), 1);
        assert!(a.partitions_of(2).is_empty() && a.partitions_of(3).is_empty());
        assert!(a.partitions_of(99).is_empty());
    }

    #[test]
    fn additions_go_to_least_loaded_and_never_move() {
        let mut a = Assignment::initial(3, tps("t", 4)); // loads 2,1,1
        let before = a.clone();
        let placed = a.add(tps("u", 3));
        assert_eq!(
            placed,
            vec![
                (1, TopicPartition::new("u", 0)),
                (2, TopicPartition::new("u", 1)),
                (0, TopicPartition::new("u", 2)),
            ]
        );
        for tp in tps("t", 4) {
            assert_eq!(a.owner_of(&tp), before.owner_of(&tp));
        }
        // Already-assigned and duplicate partitions are not placed again.
        let placed = a.add(vec![
            TopicPartition::new("t", 0),
            TopicPartition::new("v", 0),
            TopicPartition::new("v", 0),
        ]);
        assert_eq!(placed, vec![(1, TopicPartition::new("v", 0))]);
        assert_eq!(a.len(), 8);
    }

    #[test]
    fn zero_tasks_is_one_slot() {
        let mut a = Assignment::new(0);
        assert_eq!(a.task_count(), 1);
        assert_eq!(a.add(tps("t", 2)).len(), 2);
        assert!(!a.is_empty());
    }
}
