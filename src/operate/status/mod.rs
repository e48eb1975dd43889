//! `strait status`: the daily check of a runbook, as one command. Per flow it shows the lag of
//! every replicated partition in records and in time (the age of the oldest record not yet on the
//! target), how fresh the heartbeats on the target are, the age of each group's newest checkpoint,
//! and which groups are synced or refused. The exit code (0 healthy, 1 warning, 2 critical) and
//! `--json` make it usable from cron and Nagios-style checks.

mod assess;
mod gather;
mod render;

pub(crate) use assess::age_text;
pub use assess::{Level, Thresholds};

use crate::config::Mm2Config;
use crate::protocol::TopicPartition;

/// What one flow looks like right now.
#[derive(Debug, Clone)]
pub(crate) struct FlowFacts {
    /// `S->T`.
    pub(crate) flow: String,
    /// Per replicated source partition, in topic then partition order.
    pub(crate) partitions: Vec<PartitionFacts>,
    /// The newest heartbeat the flow's herder emitted to the target (`heartbeats` there), epoch ms;
    /// `None` when there is none. Not looked at when the pair's heartbeats are off.
    pub(crate) emitted_heartbeat: Option<HeartbeatFacts>,
    /// The newest heartbeat replicated from the source (`S.heartbeats` on the target), when that
    /// topic exists there.
    pub(crate) replicated_heartbeat: Option<HeartbeatFacts>,
    /// Per checkpointed group, when checkpoints are on.
    pub(crate) groups: Vec<GroupFacts>,
    /// Whether group offsets are synced to the target (`sync.group.offsets.enabled`).
    pub(crate) group_sync: bool,
    /// What could not be read (a cluster down, a topic unreadable); each makes the flow critical.
    pub(crate) unreadable: Vec<String>,
    /// When the facts were read, epoch ms.
    pub(crate) now_ms: i64,
}

/// One source partition: where the source ends and how far replication got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PartitionFacts {
    /// The source partition.
    pub(crate) source: TopicPartition,
    /// Its name on the target.
    pub(crate) remote_topic: String,
    /// The source's log start offset.
    pub(crate) log_start: i64,
    /// The source's end offset (high watermark).
    pub(crate) end: i64,
    /// The saved position (next offset to replicate); `None` when nothing was saved yet.
    pub(crate) replicated: Option<i64>,
    /// The timestamp of the oldest record not yet replicated, epoch ms (`None` at lag 0).
    pub(crate) oldest_unreplicated_ms: Option<i64>,
}

impl PartitionFacts {
    /// Records on the source not yet replicated (those deleted by retention are not counted).
    pub(crate) fn lag(&self) -> i64 {
        let from = self
            .replicated
            .unwrap_or(self.log_start)
            .max(self.log_start);
        (self.end - from).max(0)
    }
}

/// The newest heartbeat found in one topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HeartbeatFacts {
    /// The topic on the target.
    pub(crate) topic: String,
    /// The heartbeat's own timestamp (when its emitter wrote it), epoch ms.
    pub(crate) newest_ms: Option<i64>,
}

/// One checkpointed group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GroupFacts {
    /// The consumer group.
    pub(crate) group: String,
    /// When its newest checkpoint was written, epoch ms.
    pub(crate) newest_checkpoint_ms: i64,
    /// Partitions it has checkpoints for.
    pub(crate) partitions: usize,
    /// The group's state on the target (`Empty`, `Stable`, `Dead`...), when it could be read.
    pub(crate) target_state: Option<String>,
    /// Checkpointed partitions whose offset on the target differs from the checkpoint.
    pub(crate) behind: usize,
}

/// The status of every selected flow, with its verdict.
#[derive(Debug, Clone)]
pub struct StatusReport {
    flows: Vec<(FlowFacts, Vec<assess::Problem>)>,
}

impl StatusReport {
    /// 0 healthy, 1 warning, 2 critical: the worst level over every flow.
    pub fn exit_code(&self) -> u8 {
        self.level() as u8
    }

    /// The worst level over every flow.
    pub fn level(&self) -> Level {
        self.flows
            .iter()
            .flat_map(|(_, p)| p.iter().map(|p| p.level))
            .max()
            .unwrap_or(Level::Ok)
    }

    /// The readable table.
    pub fn table(&self) -> String {
        render::table(&self.flows)
    }

    /// The same as JSON (one object with a `flows` array), for scripts.
    pub fn json(&self) -> String {
        render::json(&self.flows, self.level())
    }
}

/// Reads the status of `flow` (`S->T`), or of every enabled flow when `None`. An unknown flow is
/// an error naming the enabled ones.
pub async fn status(
    config: &Mm2Config,
    flow: Option<&str>,
    thresholds: &Thresholds,
) -> Result<StatusReport, String> {
    let selected = crate::operate::probe::select_flows(config, flow)?;
    let mut flows = Vec::new();
    for cfg in selected {
        let heartbeats_on = config
            .heartbeats_for(&[])
            .iter()
            .any(|h| h.source == cfg.source && h.target == cfg.target);
        let facts = gather::flow(cfg, heartbeats_on).await;
        let problems = assess::problems(&facts, heartbeats_on, thresholds);
        flows.push((facts, problems));
    }
    Ok(StatusReport { flows })
}
