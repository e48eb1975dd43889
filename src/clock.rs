//! [`now_ms`]: the wall clock as Kafka measures it. A leaf module, usable from every layer.

use std::time::{SystemTime, UNIX_EPOCH};

/// Wall-clock milliseconds since the epoch (0 if the clock is before 1970): what record
/// timestamps are measured in, and what MM2 stamps heartbeats, checkpoints and offset syncs with.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
