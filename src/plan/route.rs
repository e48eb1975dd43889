//! [`Route`]: a source partition with the remote topic it is copied to, the unit the fetcher,
//! producer and progress store pass between them.

use crate::protocol::TopicPartition;

/// A source partition routed to its remote topic: what a task is told to replicate.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Route {
    /// Source topic name.
    pub source_topic: String,
    /// Remote topic name on the target (e.g. `primary.orders`).
    pub remote_topic: String,
    /// Partition number, the same on both sides.
    pub partition: i32,
}

impl Route {
    /// The source partition (what fetching and progress are keyed by).
    pub fn source(&self) -> TopicPartition {
        TopicPartition::new(self.source_topic.clone(), self.partition)
    }

    /// The remote partition on the target (what producing is keyed by).
    pub fn remote(&self) -> TopicPartition {
        TopicPartition::new(self.remote_topic.clone(), self.partition)
    }
}

impl std::fmt::Display for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.source_topic, self.partition)
    }
}
