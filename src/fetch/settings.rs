//! What a task's fetcher is told by the operator's source consumer settings (filled by the config
//! layer, owned here).

use std::time::Duration;

use crate::protocol::admin::OffsetSpec;
use crate::protocol::fetch_request::FetchLimits;

/// Fetch settings taken from the source consumer config (`A.consumer.*` and friends).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FetchSettings {
    /// `fetch.max.wait.ms` (default 500).
    pub(crate) max_wait_ms: i32,
    /// `fetch.min.bytes` (default 1).
    pub(crate) min_bytes: i32,
    /// `fetch.max.bytes` (default 52428800).
    pub(crate) max_bytes: i32,
    /// `max.partition.fetch.bytes` (default 1048576).
    pub(crate) partition_max_bytes: i32,
    /// `isolation.level`: true for `read_committed` (default `read_uncommitted`).
    pub(crate) read_committed: bool,
    /// `auto.offset.reset`: where a partition with no saved progress starts (MM2 default `earliest`).
    pub(crate) start_at: StartAt,
    /// `request.timeout.ms` (default 30000).
    pub(crate) request_timeout: Duration,
}

/// Where a partition without saved progress starts reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StartAt {
    /// The log start offset (`earliest`, MM2's default).
    Earliest,
    /// The log end offset (`latest`).
    Latest,
}

impl StartAt {
    /// The log bound a new partition starts at, as a ListOffsets asks for it.
    pub(crate) fn offset_spec(self) -> OffsetSpec {
        match self {
            StartAt::Earliest => OffsetSpec::Earliest,
            StartAt::Latest => OffsetSpec::Latest,
        }
    }
}

impl FetchSettings {
    /// The request-wide limits every Fetch of this consumer carries.
    pub(crate) fn limits(&self) -> FetchLimits {
        FetchLimits {
            max_wait_ms: self.max_wait_ms,
            min_bytes: self.min_bytes,
            max_bytes: self.max_bytes,
            read_committed: self.read_committed,
        }
    }
}
