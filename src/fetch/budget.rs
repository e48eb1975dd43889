//! How many bytes one task holds between fetching them from the source and the target's
//! acknowledgement, and how large its next Fetch may therefore be.
//!
//! `fetch.max.bytes` (50 MiB in many MM2 configs) says how much one response may carry; honoured
//! as the only limit, a task could hold that much per source leader on top of its produce queue.
//! strait instead sizes each Fetch's `max_bytes` to the task's free budget: it never asks for more
//! than `fetch.max.bytes`, but it also never asks for more than what the target has not yet taken
//! off its hands allows. That is flow control, not a change of meaning: a smaller `max_bytes` only
//! makes a response smaller (the broker still returns at least one whole batch, so a partition
//! with a batch larger than the budget keeps moving).

use std::sync::atomic::{AtomicUsize, Ordering};

/// The smallest `max_bytes` a Fetch asks for when the budget is spent: enough for one
/// partition's worth (`max.partition.fetch.bytes`), so a task never stalls on its own accounting
/// (for example when the target refuses a partition whose queued data then sits in the budget).
/// The producer's own queue bound and the fetcher-to-producer channel still apply backpressure.
pub(crate) fn min_fetch_bytes(partition_max_bytes: i32) -> usize {
    usize::try_from(partition_max_bytes.max(1)).unwrap_or(1)
}

/// The `max_bytes` of the next Fetch: what is left of `limit` after `held` (fetched and not yet
/// acknowledged) and `reserved` (asked for by Fetches still in flight), at least `floor`, at most
/// `config_max` (`fetch.max.bytes`).
pub(crate) fn fetch_max_bytes(
    config_max: i32,
    limit: usize,
    held: usize,
    reserved: usize,
    floor: usize,
) -> i32 {
    let free = limit
        .saturating_sub(held)
        .saturating_sub(reserved)
        .max(floor);
    i32::try_from(free)
        .unwrap_or(i32::MAX)
        .min(config_max)
        .max(1)
}

/// The byte counts a task's fetcher and producer share, and the budget they are held to
/// (`ProduceSettings::task_budget`: `buffer.memory`, or 8 MiB). The fetcher adds a round's bytes
/// when it hands the round over and sizes its Fetches to what is left of the budget; the producer
/// takes them off when it queues the round, publishes what its queues hold until the target
/// acknowledges it, and stops taking rounds while its queues alone fill the budget.
#[derive(Debug)]
pub(crate) struct TaskBytes {
    /// The budget: bytes the task may hold before its fetches shrink to the floor.
    limit: usize,
    /// Bytes of rounds handed to the producer and not yet taken into its queues.
    in_transit: AtomicUsize,
    /// Bytes in the producer's queues (rewritten, not yet acknowledged).
    queued: AtomicUsize,
}

impl TaskBytes {
    /// Counts for a task held to `limit` bytes.
    pub(crate) fn new(limit: usize) -> Self {
        TaskBytes {
            limit,
            in_transit: AtomicUsize::new(0),
            queued: AtomicUsize::new(0),
        }
    }

    /// The task's budget in bytes.
    pub(crate) fn limit(&self) -> usize {
        self.limit
    }

    /// What the task holds now.
    pub(crate) fn held(&self) -> usize {
        self.in_transit
            .load(Ordering::Relaxed)
            .saturating_add(self.queued.load(Ordering::Relaxed))
    }

    /// The fetcher handed a round of `bytes` to the producer.
    pub(crate) fn handed_over(&self, bytes: usize) {
        self.in_transit.fetch_add(bytes, Ordering::Relaxed);
    }

    /// The producer took a round of `bytes` into its queues (or dropped it).
    pub(crate) fn taken(&self, bytes: usize) {
        // Never below zero, even if a caller miscounts: saturate instead of wrapping.
        let _ = self
            .in_transit
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| {
                Some(v.saturating_sub(bytes))
            });
    }

    /// The producer's queues hold `bytes`.
    pub(crate) fn set_queued(&self, bytes: usize) {
        self.queued.store(bytes, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: usize = 1 << 20;

    #[test]
    fn fetch_size_is_the_free_budget_capped_by_fetch_max_bytes() {
        // Nothing held: the budget, not the 50 MiB of fetch.max.bytes.
        assert_eq!(
            fetch_max_bytes(50 * MIB as i32, 16 * MIB, 0, 0, MIB),
            16 * MIB as i32
        );
        // A smaller fetch.max.bytes wins.
        assert_eq!(
            fetch_max_bytes(4 * MIB as i32, 16 * MIB, 0, 0, MIB),
            4 * MIB as i32
        );
        // Held and reserved bytes come off.
        assert_eq!(
            fetch_max_bytes(50 * MIB as i32, 16 * MIB, 6 * MIB, 2 * MIB, MIB),
            8 * MIB as i32
        );
    }

    #[test]
    fn a_spent_budget_still_fetches_the_floor() {
        assert_eq!(
            fetch_max_bytes(50 * MIB as i32, 16 * MIB, 20 * MIB, 0, MIB),
            MIB as i32
        );
        assert_eq!(
            fetch_max_bytes(50 * MIB as i32, 16 * MIB, 15 * MIB, 4 * MIB, MIB),
            MIB as i32
        );
        // ...but never above fetch.max.bytes, and never zero.
        assert_eq!(fetch_max_bytes(1000, 16 * MIB, 20 * MIB, 0, MIB), 1000);
        assert_eq!(fetch_max_bytes(0, 0, 0, 0, 0), 1);
        assert_eq!(min_fetch_bytes(0), 1);
        assert_eq!(min_fetch_bytes(1_048_576), MIB);
    }

    #[test]
    fn task_bytes_follow_rounds_from_fetch_to_acknowledgement() {
        let b = TaskBytes::new(8 * MIB);
        assert_eq!(b.limit(), 8 * MIB);
        b.handed_over(3 * MIB);
        b.handed_over(MIB);
        assert_eq!(b.held(), 4 * MIB);
        b.taken(3 * MIB);
        b.set_queued(3 * MIB);
        assert_eq!(b.held(), 4 * MIB);
        b.set_queued(0);
        b.taken(5 * MIB); // more than in transit: saturates
        assert_eq!(b.held(), 0);
    }
}
