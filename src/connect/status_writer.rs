//! The connectors' statuses, as the REST API shows them, published every second: as the
//! `kafka_connect_connector_status` and `..._task_status` metrics when metrics are served (both
//! modes), and, on a distributed worker, to Connect's status topic: each connector's and task's
//! state that changed is written
//! (`status-connector-<name>`, `status-task-<name>-<id>`), a deleted connector's and a removed
//! task's as tombstones; at shutdown every one is written UNASSIGNED, as a Java worker leaving
//! the group writes it. Tools that read the status topic (and a Java worker taking over) see what
//! strait runs.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio_util::sync::CancellationToken;
use tracing::warn;

use super::store::{status_value, StateTopics};
use super::{views, Worker};
use crate::metrics::{ConnectorState, Metrics};

/// How often statuses are compared with what was written.
const EVERY: Duration = Duration::from_secs(1);

/// Writes the statuses of a Connect-mode worker's connectors (see the module doc).
pub struct StatusPublisher(pub(super) Arc<Worker>);

impl StatusPublisher {
    /// Runs until `shutdown`, then writes every status UNASSIGNED to the status topic once the
    /// connectors stopped (`stopped` is cancelled by then).
    pub async fn run(
        self,
        metrics: Option<Metrics>,
        shutdown: CancellationToken,
        stopped: CancellationToken,
    ) {
        let mut written: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        let mut store: Option<Arc<StateTopics>> = None;
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(EVERY) => {}
            }
            if store.is_none() {
                if let Some(c) = &self.0.control {
                    store = c.lock().await.store();
                }
            }
            if store.is_none() && metrics.is_none() && self.0.control.is_none() {
                return;
            }
            // One view of every status per round, for both outputs.
            let views = self.views().await;
            if let Some(m) = &metrics {
                m.connector_states(&states(&views));
            }
            if let Some(s) = &store {
                publish(s, &mut written, records(&views, &self.0.worker_id, false)).await;
            }
        }
        stopped.cancelled().await;
        if let Some(s) = &store {
            let views = self.views().await;
            publish(s, &mut written, records(&views, &self.0.worker_id, true)).await;
        }
    }

    /// Every connector's name and status view, as the REST API shows it now.
    async fn views(&self) -> Vec<(String, Value)> {
        let w = &self.0;
        let now = w.now().await;
        now.connectors
            .iter()
            .map(|(c, t)| (c.name.clone(), views::status(w, &now, c, *t)))
            .collect()
    }
}

/// Every connector's state and its tasks', from `views`, for the status metrics.
fn states(views: &[(String, Value)]) -> Vec<ConnectorState> {
    let state = |v: &Value| v["state"].as_str().unwrap_or("UNASSIGNED").to_string();
    views
        .iter()
        .map(|(name, status)| ConnectorState {
            connector: name.clone(),
            state: state(&status["connector"]),
            tasks: status["tasks"]
                .as_array()
                .into_iter()
                .flatten()
                .map(state)
                .collect(),
        })
        .collect()
}

/// Every connector's and task's status record by key, from `views` (`leaving`: UNASSIGNED, as
/// at shutdown).
fn records(views: &[(String, Value)], worker_id: &str, leaving: bool) -> BTreeMap<String, Vec<u8>> {
    let record = |v: &Value| {
        let state = if leaving {
            "UNASSIGNED"
        } else {
            v["state"].as_str().unwrap_or("UNASSIGNED")
        };
        let trace = if leaving { None } else { v["trace"].as_str() };
        status_value(state, trace, worker_id)
    };
    let mut out = BTreeMap::new();
    for (name, status) in views {
        out.insert(
            format!("status-connector-{name}"),
            record(&status["connector"]),
        );
        for task in status["tasks"].as_array().into_iter().flatten() {
            let id = task["id"].as_u64().unwrap_or(0);
            out.insert(format!("status-task-{name}-{id}"), record(task));
        }
    }
    out
}

/// Writes what changed since `written`: new or changed records, tombstones for keys gone. A
/// failed write is retried at the next round.
async fn publish(
    store: &StateTopics,
    written: &mut BTreeMap<String, Vec<u8>>,
    wanted: BTreeMap<String, Vec<u8>>,
) {
    let gone: Vec<String> = written
        .keys()
        .filter(|k| !wanted.contains_key(*k))
        .cloned()
        .collect();
    for key in gone {
        match store.put_status(&key, None).await {
            Ok(()) => {
                written.remove(&key);
            }
            Err(e) => warn!(key, error = %e, "cannot write a status tombstone; retrying"),
        }
    }
    for (key, value) in wanted {
        if written.get(&key) == Some(&value) {
            continue;
        }
        match store.put_status(&key, Some(value.clone())).await {
            Ok(()) => {
                written.insert(key, value);
            }
            Err(e) => warn!(key, error = %e, "cannot write a status; retrying"),
        }
    }
}
