//! strait: a zero-copy cross-cluster Kafka replicator that reads MirrorMaker 2's `mm2.properties`.
//!
//! Data flows one way through the modules:
//! `config` (what the operator asked for) -> `plan` (which partitions go where) -> `fetch` (record
//! batches from source leaders) -> `records` (header walk, the minimal rewrite) -> `produce` (the same
//! bytes to target leaders) -> `offsets` (progress saved in Kafka). `protocol` is the wire layer under
//! `fetch`, `produce` and the control plane; `replicate` wires the stages into tasks and flows.
#![forbid(unsafe_code)]
#![warn(unreachable_pub)]

pub mod clock;
pub mod config;
pub mod connect;
pub(crate) mod fetch;
#[cfg(test)]
mod fuzz;
pub mod launch;
pub(crate) mod locks;
pub mod metrics;
pub mod offsets;
pub mod operate;
pub mod plan;
pub mod produce;
pub mod protocol;
pub mod records;
pub mod replicate;
pub(crate) mod secret;
pub(crate) mod security;
pub mod serve;
