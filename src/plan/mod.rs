//! What to replicate and who replicates it: MM2's naming rules, topic selection and the pinning of
//! source partitions to tasks. Pure logic, no I/O.

pub mod assignment;
pub mod replication_policy;
pub mod route;
pub mod topic_filter;

pub use route::Route;
