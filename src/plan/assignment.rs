//! Pinning source partitions to tasks: a partition, once given to a task, stays with it for the life
//! of the process, so discovering new topics or partitions never restarts or reshuffles a task.
