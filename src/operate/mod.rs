//! The operator's commands beside replication: `strait status`, `strait failover` and
//! `strait failback`. They read the clusters themselves (saved progress, end offsets, heartbeats,
//! checkpoints, group offsets), so they work whether or not a replicator is running, and they
//! reuse the same readers the replicator uses, so both agree on what a position means.

mod copies;
pub mod failback;
pub mod failover;
mod probe;
pub mod status;
