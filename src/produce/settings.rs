//! What a task's producer is told by the operator's target producer settings (filled by the config
//! layer, owned here).

use std::time::Duration;

/// Produce settings for the data producer on the target cluster (Connect worker producer in MM2:
/// `T.producer.*`, `A->B.producer.override.*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProduceSettings {
    /// `acks`: -1 (`all`, default), 0 is refused (it cannot be at-least-once), 1.
    pub(crate) acks: i16,
    /// `request.timeout.ms` (default 30000): the broker-side timeout and our wait for the answer.
    pub(crate) request_timeout: Duration,
    /// `max.request.size` (default 1048576): upper bound of one Produce request's record bytes per
    /// partition group; larger single batches are still sent alone.
    pub(crate) max_request_size: usize,
    /// `linger.ms` (default 0 in strait; MM2's `5` in the sample only delays): extra time the
    /// producer side waits to coalesce fetched chunks into one request.
    pub(crate) linger: Duration,
    /// `buffer.memory` when the operator sets it, else the key table's default (8 MiB): the bytes one task
    /// may hold between fetching them from the source and the target's acknowledgement. It bounds
    /// a task's memory and, on a long round trip, its throughput (bytes in flight / round trip).
    pub(crate) task_budget: usize,
    /// `strait.batch.join.enabled` (default true): whether small batches waiting for the target
    /// are joined into one (see `produce::joining`); false forwards every source batch framed as
    /// it was.
    pub(crate) join_small_batches: bool,
}
