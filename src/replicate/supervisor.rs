//! Flows and heartbeat emitters that change while the process runs: Connect mode's REST API
//! pauses, resumes, stops, deletes and reconfigures connectors. Each unit runs under its own
//! cancellation token; [`Supervisor::apply`] stops the units that are gone or whose settings
//! changed (cleanly: in-flight data finished, progress saved), then starts the new ones, which
//! resume from that progress. So partitions never move to a new task without their progress. A
//! flow that fails is FAILED on the status board; it does not stop the other units (as a Connect
//! worker keeps its other connectors).

use std::collections::BTreeMap;
use std::sync::Arc;

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

/// How a unit is started: the real flows and emitters, or a recorder in tests.
type Spawner = Arc<dyn Fn(Start, CancellationToken) -> JoinHandle<()> + Send + Sync>;

/// The running flows and heartbeat emitters, keyed `flow S->T` / `heartbeats S->T`.
pub struct Supervisor {
    units: BTreeMap<String, Unit>,
    shutdown: CancellationToken,
    spawner: Spawner,
}

impl Supervisor {
    /// A supervisor whose units all stop at `shutdown`.
    pub fn new(shutdown: CancellationToken, metrics: Option<Metrics>, status: StatusBoard) -> Self {
        let spawner: Spawner =
            Arc::new(move |start, stop| spawn_unit(start, stop, metrics.clone(), status.clone()));
        Supervisor {
            units: BTreeMap::new(),
            shutdown,
            spawner,
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
            let handle = (self.spawner)(start, stop.clone());
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

/// Starts one real unit under `stop`.
fn spawn_unit(
    start: Start,
    stop: CancellationToken,
    metrics: Option<Metrics>,
    status: StatusBoard,
) -> JoinHandle<()> {
    match start {
        Start::Flow(cfg) => tokio::spawn(async move {
            let label = cfg.label();
            info!(flow = %label, tasks = cfg.tasks_max, "starting flow");
            if let Err(e) = super::flow::run_flow(*cfg, stop, metrics, status.clone()).await {
                error!(error = %e.chain(), "flow stopped");
                status.set(&label, FlowState::Failed { trace: e.chain() });
            }
        }),
        Start::Heartbeats(cfg) => {
            tokio::spawn(super::heartbeats::run_heartbeats(*cfg, stop, metrics))
        }
    }
}

/// What a unit runs.
enum Start {
    Flow(Box<FlowConfig>),
    Heartbeats(Box<HeartbeatConfig>),
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// Flows `a->b` and `b->a` (and their heartbeat emitters) from a real config.
    fn config() -> (tempfile::TempDir, crate::config::Mm2Config) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mm2.properties");
        std::fs::write(
            &path,
            "clusters = a, b\na.bootstrap.servers = 127.0.0.1:9\nb.bootstrap.servers = 127.0.0.1:9\na->b.enabled = true\nb->a.enabled = true\n",
        )
        .unwrap();
        let c = crate::config::Mm2Config::load(&path).unwrap();
        (dir, c)
    }

    /// A supervisor whose units record `start <key>` and, when cancelled, `stop <key>`.
    fn recording() -> (Supervisor, Arc<Mutex<Vec<String>>>) {
        let log = Arc::new(Mutex::new(Vec::new()));
        let events = log.clone();
        let spawner: Spawner = Arc::new(move |start, stop: CancellationToken| {
            let key = match start {
                Start::Flow(f) => format!("flow {}", f.label()),
                Start::Heartbeats(h) => format!("heartbeats {}", h.label()),
            };
            events.lock().unwrap().push(format!("start {key}"));
            let events = events.clone();
            tokio::spawn(async move {
                stop.cancelled().await;
                // Draining takes a while; the supervisor must wait for it.
                tokio::time::sleep(std::time::Duration::from_secs(3)).await;
                events.lock().unwrap().push(format!("stop {key}"));
            })
        });
        let sup = Supervisor {
            units: BTreeMap::new(),
            shutdown: CancellationToken::new(),
            spawner,
        };
        (sup, log)
    }

    fn with(flows: &[FlowConfig], fp: &str) -> Vec<(FlowConfig, String)> {
        flows.iter().map(|f| (f.clone(), fp.to_string())).collect()
    }

    #[tokio::test(start_paused = true)]
    async fn only_changed_or_removed_units_restart_and_each_stops_before_its_successor() {
        let (_d, c) = config();
        let (mut sup, log) = recording();
        let beats: Vec<(HeartbeatConfig, String)> = c
            .heartbeats
            .iter()
            .map(|h| (h.clone(), "h".to_string()))
            .collect();
        sup.apply(with(&c.flows, "v1"), beats.clone()).await;
        assert_eq!(sup.running().len(), 4);
        // The same settings again: nothing stops or starts.
        let (stopped, started) = sup.apply(with(&c.flows, "v1"), beats.clone()).await;
        assert!(stopped.is_empty() && started.is_empty());
        // One flow changes: only it restarts, and its old unit has finished first.
        let mut changed = with(&c.flows, "v1");
        changed[0].1 = "v2".into();
        let (stopped, started) = sup.apply(changed.clone(), beats.clone()).await;
        assert_eq!(stopped, vec!["flow a->b".to_string()]);
        assert_eq!(started, vec!["flow a->b".to_string()]);
        let events = log.lock().unwrap().clone();
        let stop = events.iter().position(|e| e == "stop flow a->b").unwrap();
        let restart = events.iter().rposition(|e| e == "start flow a->b").unwrap();
        assert!(stop < restart, "{events:?}");
        // A flow and the emitters removed: they stop; the other flow keeps running.
        let (stopped, _) = sup.apply(changed[..1].to_vec(), Vec::new()).await;
        assert_eq!(stopped.len(), 3, "{stopped:?}");
        assert_eq!(sup.running(), vec!["flow a->b".to_string()]);
        sup.stop_all().await;
        assert!(sup.running().is_empty());
        // Stops: the changed flow's first unit, the three removed, and the last at the end.
        let stops = log
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e.starts_with("stop"))
            .count();
        assert_eq!(stops, 5);
    }
}
