//! Flows and heartbeat emitters that change while the process runs: Connect mode's REST API
//! pauses, resumes, stops, deletes and reconfigures connectors. Each unit runs under its own
//! cancellation token; [`Supervisor::apply`] stops the units that are gone or whose settings
//! changed (cleanly: in-flight data finished, progress saved), then starts the new ones, which
//! resume from that progress. So partitions never move to a new task without their progress. A
//! flow that fails is FAILED on the status board; it does not stop the other units (as a Connect
//! worker keeps its other connectors).

use std::collections::BTreeMap;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{error, info};

use super::status::{FlowState, StatusBoard};
use crate::config::{FlowConfig, HeartbeatConfig};
use crate::metrics::Metrics;

/// One running unit.
struct Unit {
    /// What it was started with; a different fingerprint means "restart".
    fingerprint: String,
    stop: CancellationToken,
    handle: JoinHandle<()>,
}

/// The running flows and heartbeat emitters, keyed `flow S->T` / `heartbeats S->T`.
pub struct Supervisor {
    units: BTreeMap<String, Unit>,
    shutdown: CancellationToken,
    metrics: Option<Metrics>,
    status: StatusBoard,
}

impl Supervisor {
    /// A supervisor whose units all stop at `shutdown`.
    pub fn new(shutdown: CancellationToken, metrics: Option<Metrics>, status: StatusBoard) -> Self {
        Supervisor {
            units: BTreeMap::new(),
            shutdown,
            metrics,
            status,
        }
    }

    /// Makes the running units exactly `flows` and `heartbeats`, each with a fingerprint of its
    /// settings: units that are gone or whose fingerprint changed are stopped and awaited first,
    /// then the new ones start. Returns the keys stopped and the keys started.
    pub async fn apply(
        &mut self,
        flows: Vec<(FlowConfig, String)>,
        heartbeats: Vec<(HeartbeatConfig, String)>,
    ) -> (Vec<String>, Vec<String>) {
        let mut wanted: BTreeMap<String, (String, Start)> = BTreeMap::new();
        for (cfg, fp) in flows {
            wanted.insert(
                format!("flow {}", cfg.label()),
                (fp, Start::Flow(Box::new(cfg))),
            );
        }
        for (cfg, fp) in heartbeats {
            wanted.insert(
                format!("heartbeats {}", cfg.label()),
                (fp, Start::Heartbeats(Box::new(cfg))),
            );
        }
        let stale: Vec<String> = self
            .units
            .iter()
            .filter(|(k, u)| wanted.get(*k).is_none_or(|(fp, _)| *fp != u.fingerprint))
            .map(|(k, _)| k.clone())
            .collect();
        for key in &stale {
            if let Some(unit) = self.units.remove(key) {
                info!(unit = %key, "stopping");
                unit.stop.cancel();
                let _ = unit.handle.await;
            }
        }
        let mut started = Vec::new();
        for (key, (fingerprint, start)) in wanted {
            if self.units.contains_key(&key) {
                continue;
            }
            let stop = self.shutdown.child_token();
            let handle = self.spawn(start, stop.clone());
            self.units.insert(
                key.clone(),
                Unit {
                    fingerprint,
                    stop,
                    handle,
                },
            );
            started.push(key);
        }
        (stale, started)
    }

    /// Starts one unit under `stop`.
    fn spawn(&self, start: Start, stop: CancellationToken) -> JoinHandle<()> {
        let metrics = self.metrics.clone();
        let status = self.status.clone();
        match start {
            Start::Flow(cfg) => tokio::spawn(async move {
                let label = cfg.label();
                info!(flow = %label, tasks = cfg.tasks_max, "starting flow");
                if let Err(e) = super::flow::run_flow(*cfg, stop, metrics, status.clone()).await {
                    error!(error = %e.chain(), "flow stopped");
                    status.set(
                        &label,
                        FlowState::Failed {
                            trace: e.chain(),
                            tasks: 0,
                        },
                    );
                }
            }),
            Start::Heartbeats(cfg) => {
                tokio::spawn(super::heartbeats::run_heartbeats(*cfg, stop, metrics))
            }
        }
    }

    /// The keys of the running units.
    pub fn running(&self) -> Vec<String> {
        self.units.keys().cloned().collect()
    }

    /// Stops every unit (they also stop with the shutdown token) and waits for them.
    pub async fn stop_all(&mut self) {
        let units = std::mem::take(&mut self.units);
        for u in units.values() {
            u.stop.cancel();
        }
        for u in units.into_values() {
            let _ = u.handle.await;
        }
    }
}

/// What a unit runs.
enum Start {
    Flow(Box<FlowConfig>),
    Heartbeats(Box<HeartbeatConfig>),
}
