//! The target side of a task: fetched batches, rewritten only in their producer fields and CRC,
//! sent in multi-partition Produce requests to the target leaders as an idempotent producer, with
//! retries that cannot duplicate; progress is recorded only for what the target acknowledged.

mod joining;
pub(crate) mod producer;
pub mod queue;
pub mod sequence;
pub(crate) mod settings;
mod standing;
pub(crate) mod target;
mod verdict;
