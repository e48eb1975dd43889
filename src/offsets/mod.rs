//! Replication progress and, later, MM2's offset-syncs and checkpoints. Progress is kept in Kafka
//! Connect's offsets format on the target (`mm2-offsets.<source>.internal`) so that a replacement
//! instance on another host, strait or Java MM2, resumes where this one stopped.

pub mod connect_format;
pub mod internal_topic;
pub mod mm2_records;
pub mod progress;
