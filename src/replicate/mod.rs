//! Wiring: one flow per enabled `source->target` pair, each with its topic discovery loop, its
//! pinned tasks (fetch -> produce) and its progress store; one heartbeat emitter per MM2 herder
//! (enabled flow or not); plus clean shutdown on a signal.

pub(crate) mod acl_sync;
pub(crate) mod config_sync;
pub(crate) mod connections;
pub(crate) mod flow;
pub(crate) mod heartbeats;
pub mod status;
pub mod supervisor;
pub(crate) mod task;
pub(crate) mod topics;

use tokio_util::sync::CancellationToken;
use tracing::{error, info};

use crate::config::{FlowConfig, HeartbeatConfig};
use crate::metrics::Metrics;

/// Why replication stopped with an error, with its cause kept (printed as a chain by
/// [`RunError::chain`]).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A client's TLS/SASL settings could not be built when the flow started (a store or key
    /// changed since the config was loaded).
    #[error("flow {flow}: cannot build the connection settings (key `{}`)", source.key)]
    Connections {
        /// `source->target`.
        flow: String,
        /// What the security layer refused.
        #[source]
        source: crate::security::SecurityError,
    },
    /// The progress topic on the target cannot be used (a config problem, such as a replication
    /// factor the cluster cannot meet).
    #[error("flow {flow}: cannot open its progress topic")]
    Progress {
        /// `source->target`.
        flow: String,
        /// Why.
        #[source]
        source: crate::offsets::progress::ProgressError,
    },
    /// The source and target aliases name one cluster (same cluster id) and the topic filter
    /// selects the flow's own remote topics: it would copy them again without end, so the flow
    /// refuses to run.
    #[error("flow {flow}: the source and the target are the same cluster (cluster id {cluster_id}) and `topics` selects the flow's own remote topics ({topic} would be copied to {remote}, and {remote} again); check bootstrap.servers and topics")]
    SameCluster {
        /// `source->target`.
        flow: String,
        /// The one cluster's id.
        cluster_id: String,
        /// A selected source topic.
        topic: String,
        /// Its remote topic, which the filter selects too.
        remote: String,
    },
    /// The flow's task panicked or was cancelled.
    #[error("flow {flow}: ended abnormally")]
    Aborted {
        /// `source->target`.
        flow: String,
        /// The runtime's report.
        #[source]
        source: tokio::task::JoinError,
    },
}

impl RunError {
    /// The flow it stopped.
    pub fn flow(&self) -> &str {
        match self {
            RunError::Connections { flow, .. }
            | RunError::Progress { flow, .. }
            | RunError::SameCluster { flow, .. }
            | RunError::Aborted { flow, .. } => flow,
        }
    }

    /// The error and each of its causes, joined by `: `, for the one log line that reports it.
    pub fn chain(&self) -> String {
        crate::protocol::error::with_causes(self)
    }
}

/// Runs every flow and heartbeat emitter until `shutdown` fires (then drains in-flight data and
/// saves progress) or a flow fails for good. Heartbeat emitters never fail; they stop with the flows.
/// `metrics`, when given, is where flows, tasks and emitters report (see [`crate::metrics`]);
/// `status` is where each flow says what it is doing ([`status::StatusBoard`]).
pub async fn run(
    flows: Vec<FlowConfig>,
    heartbeats: Vec<HeartbeatConfig>,
    shutdown: CancellationToken,
    metrics: Option<Metrics>,
    status: status::StatusBoard,
) -> Result<(), RunError> {
    let beats_stop = shutdown.child_token();
    let beats: Vec<_> = heartbeats
        .into_iter()
        .map(|cfg| {
            tokio::spawn(heartbeats::run_heartbeats(
                cfg,
                beats_stop.clone(),
                metrics.clone(),
            ))
        })
        .collect();
    let mut handles = Vec::new();
    for cfg in flows {
        info!(flow = %cfg.label(), tasks = cfg.tasks_max, task_budget_bytes = cfg.produce.task_budget, "starting flow");
        let label = cfg.label();
        handles.push((
            label,
            tokio::spawn(flow::run_flow(
                cfg,
                shutdown.clone(),
                metrics.clone(),
                status.clone(),
            )),
        ));
    }
    let mut first_error = None;
    for (label, h) in handles {
        let result = match h.await {
            Ok(r) => r,
            Err(e) => Err(RunError::Aborted {
                flow: label,
                source: e,
            }),
        };
        if let Err(e) = result {
            error!(error = %e.chain(), "flow stopped");
            status.set(e.flow(), status::FlowState::Failed { trace: e.chain() });
            // One failed flow stops the others: the process exits non-zero and a supervisor restarts it.
            shutdown.cancel();
            first_error.get_or_insert(e);
        }
    }
    beats_stop.cancel();
    for b in beats {
        if let Err(e) = b.await {
            error!(error = %e, "heartbeat emitter ended abnormally");
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}
