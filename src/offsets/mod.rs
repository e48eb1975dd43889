//! Replication progress, MM2's offset-syncs and checkpoints, and exact offset translation.
//! Progress is kept in Kafka Connect's offsets format on the target (`mm2-offsets.<source>.internal`)
//! so that a replacement instance on another host, strait or Java MM2, resumes where this one
//! stopped; offset-syncs and checkpoints are written in MM2's byte layout so that Java tooling
//! (`RemoteClusterUtils`, the MM2 formatters) reads them unchanged.

pub(crate) mod checkpoints;
pub(crate) mod connect_format;
pub(crate) mod internal_topic;
pub(crate) mod mm2_records;
pub mod offset_syncs;
pub(crate) mod progress;
pub(crate) mod sync_rules;
pub(crate) mod topic_reader;
pub(crate) mod translation;
