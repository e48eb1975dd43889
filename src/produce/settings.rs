//! What a task's producer is told by the operator's target producer settings (filled by the config
//! layer, owned here).

use std::time::Duration;

/// Produce settings for the data producer on the target cluster (Connect worker producer in MM2:
/// `T.producer.*`, `A->B.producer.override.*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProduceSettings {
    /// `acks`: -1 (`all`, default), 0 is refused (it cannot be at-least-once), 1.
    pub acks: i16,
    /// `request.timeout.ms` (default 30000): the broker-side timeout and our wait for the answer.
    pub request_timeout: Duration,
    /// `max.request.size` (default 1048576): upper bound of one Produce request's record bytes per
    /// partition group; larger single batches are still sent alone.
    pub max_request_size: usize,
    /// `linger.ms` (default 0 in strait; MM2's `5` in the sample only delays): extra time the
    /// producer side waits to coalesce fetched chunks into one request.
    pub linger: Duration,
    /// `buffer.memory` when the operator sets it, else [`DEFAULT_TASK_BUDGET`]: the bytes one task
    /// may hold between fetching them from the source and the target's acknowledgement. It bounds
    /// a task's memory and, on a long round trip, its throughput (bytes in flight / round trip).
    pub task_budget: usize,
}

/// The task byte budget when `buffer.memory` is not set: 8 MiB. Kafka's producer defaults to
/// 32 MiB, but a task on a local network needs only a few MiB in flight (bandwidth x round trip),
/// and this keeps two tasks near a tenth of Java MM2's memory. Operators replicating across a
/// long round trip raise it with `buffer.memory`, the key they already tune for MM2's producer
/// (docs/configuration.md).
pub const DEFAULT_TASK_BUDGET: usize = 8 << 20;
