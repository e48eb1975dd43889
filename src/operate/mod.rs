//! The operator's commands beside replication: `strait status` today, the failover and failback
//! commands next. They read the clusters themselves (saved progress, end offsets, heartbeats,
//! checkpoints, group offsets), so they work whether or not a replicator is running, and they
//! reuse the same readers the replicator uses, so both agree on what a position means.

pub mod failover;
mod probe;
pub mod status;
