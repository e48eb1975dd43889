//! Wiring: one flow per enabled `source->target` pair, each with its topic discovery loop, its
//! pinned tasks (fetch -> produce) and its progress store; one heartbeat emitter per MM2 herder
//! (enabled flow or not); plus clean shutdown on a signal.

pub mod connections;
pub mod flow;
pub mod heartbeats;
pub mod task;
pub mod topics;

use tokio_util::sync::CancellationToken;
use tracing::{error, info};

use crate::config::{FlowConfig, HeartbeatConfig};
use crate::metrics::Metrics;

/// Why replication stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A flow could not start or failed for good.
    #[error("flow {flow}: {message}")]
    Flow {
        /// `source->target`.
        flow: String,
        /// What happened.
        message: String,
    },
}

/// Runs every flow and heartbeat emitter until `shutdown` fires (then drains in-flight data and
/// saves progress) or a flow fails for good. Heartbeat emitters never fail; they stop with the flows.
/// `metrics`, when given, is where flows, tasks and emitters report (see [`crate::metrics`]).
pub async fn run(
    flows: Vec<FlowConfig>,
    heartbeats: Vec<HeartbeatConfig>,
    shutdown: CancellationToken,
    metrics: Option<Metrics>,
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
        handles.push(tokio::spawn(flow::run_flow(
            cfg,
            shutdown.clone(),
            metrics.clone(),
        )));
    }
    let mut first_error = None;
    for h in handles {
        let result = match h.await {
            Ok(r) => r,
            Err(e) => Err(RunError::Flow {
                flow: "?".into(),
                message: format!("flow task ended abnormally: {e}"),
            }),
        };
        if let Err(e) = result {
            error!(error = %e, "flow stopped");
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
