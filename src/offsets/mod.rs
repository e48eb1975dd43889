//! Replication progress, MM2's offset-syncs and checkpoints, and exact offset translation.
//! Progress is kept in Kafka Connect's offsets format on the target (`mm2-offsets.<source>.internal`)
//! so that a replacement instance on another host, strait or Java MM2, resumes where this one
//! stopped; offset-syncs and checkpoints are written in MM2's byte layout so that Java tooling
//! (`RemoteClusterUtils`, the MM2 formatters) reads them unchanged.

pub mod checkpoints;
pub mod connect_format;
pub mod internal_topic;
pub mod mm2_records;
pub mod offset_syncs;
pub mod progress;
pub mod sync_rules;
pub mod translation;
