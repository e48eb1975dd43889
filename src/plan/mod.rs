//! What to replicate and who replicates it: MM2's naming rules, topic selection and the pinning of
//! source partitions to tasks. Pure logic, no I/O.

pub(crate) mod assignment;
pub(crate) mod replication_policy;
pub mod route;
pub(crate) mod topic_filter;

pub use route::Route;
