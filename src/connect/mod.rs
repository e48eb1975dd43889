//! Kafka Connect's REST API for `strait connect`, with Connect's paths, status codes and JSON
//! shapes, so that runbooks' `curl /connectors/<name>/status | jq` checks work unchanged:
//! `GET /`, `/health`, `/connectors` (with `?expand=status` and `?expand=info`), a connector's
//! info, config, status, tasks, task status and saved offsets, and `/connector-plugins` ([`read`]); `PUT .../pause`, `/resume`, `/stop`,
//! `POST .../restart` and `DELETE` ([`change`], through the [`control::Controller`]). States come
//! from the flows themselves ([`StatusBoard`]): a connector whose cluster cannot be reached is
//! FAILED with a trace naming it, never RUNNING with nothing running. Creating and reconfiguring
//! connectors (`POST /connectors`, `PUT/PATCH .../config`) answer Connect's error shape saying
//! they are not built yet. `strait run --rest-listen` serves the read side for its flows.

mod change;
pub mod control;
mod create;
mod offsets;
mod read;
pub mod status_writer;
mod store;
mod validate;
mod views;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde_json::json;
use tokio::sync::{Mutex, OnceCell};

use crate::config::connect::{ConnectConfig, ConnectorClass, ConnectorSpec};
use crate::config::{FlowConfig, HeartbeatConfig};
use crate::protocol::ClusterClient;
use crate::replicate::status::StatusBoard;
use control::{Controller, Target};

/// What the REST API answers from.
struct Worker {
    /// Dedicated mode's connectors (fixed); empty in Connect mode, where `control` has them.
    fixed: Vec<ConnectorSpec>,
    /// Connect mode's connectors and their target states.
    control: Option<Arc<Mutex<Controller>>>,
    /// Dedicated mode's flows by `S->T` (Connect mode: the controller's).
    fixed_flows: BTreeMap<String, FlowConfig>,
    status: StatusBoard,
    worker_id: String,
    /// A client of the first connector's target cluster, for `kafka_cluster_id`.
    cluster: Option<ClusterClient>,
    cluster_id: OnceCell<Option<String>>,
}

/// What the worker runs at one moment: its connectors with their target states, and the flows
/// they make (running or not) by `S->T`.
struct Now {
    connectors: Vec<(ConnectorSpec, Target)>,
    flows: BTreeMap<String, FlowConfig>,
}

impl Now {
    /// The connector named `name` and its target state.
    fn find(&self, name: &str) -> Option<(&ConnectorSpec, Target)> {
        self.connectors
            .iter()
            .find(|(c, _)| c.name == name)
            .map(|(c, t)| (c, *t))
    }
}

impl Worker {
    /// The status of task `task` of connector `name`, or Connect's 404.
    async fn task_status(&self, name: &str, task: usize) -> Result<serde_json::Value, Response> {
        let now = self.now().await;
        let Some((c, t)) = now.find(name) else {
            return Err(error(
                StatusCode::NOT_FOUND,
                format!("Connector {name} not found"),
            ));
        };
        match views::status(self, &now, c, t)["tasks"]
            .as_array()
            .and_then(|tasks| tasks.get(task))
        {
            Some(status) => Ok(status.clone()),
            None => Err(error(
                StatusCode::NOT_FOUND,
                format!("Task {name}-{task} not found"),
            )),
        }
    }

    /// Every connector with its target state and the flows, now.
    async fn now(&self) -> Now {
        match &self.control {
            Some(c) => {
                let c = c.lock().await;
                Now {
                    connectors: c.connectors(),
                    flows: c.flows(),
                }
            }
            None => Now {
                connectors: self
                    .fixed
                    .iter()
                    .map(|c| (c.clone(), Target::Running))
                    .collect(),
                flows: self.fixed_flows.clone(),
            },
        }
    }
}

/// The answer to a change asked of dedicated mode's read-only API (405).
fn read_only() -> Response {
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        "strait run serves this API read-only: its flows come from mm2.properties".into(),
    )
}

/// Connect's error body: `{"error_code": N, "message": "..."}` with that status.
fn error(code: StatusCode, message: String) -> Response {
    (
        code,
        Json(json!({"error_code": code.as_u16(), "message": message})),
    )
        .into_response()
}

/// The routes of the REST API for the connectors `control` runs (`config`: as at start),
/// answering states from `status`, and the publisher of those states to the status topic.
pub fn routes(
    config: &ConnectConfig,
    status: StatusBoard,
    control: Arc<Mutex<Controller>>,
) -> (Router, status_writer::StatusPublisher) {
    let worker = worker(
        Vec::new(),
        Some(control),
        &config.mm2.flows,
        &config.mm2.heartbeats,
        config.worker.worker_id.clone(),
        status,
    );
    (
        router(worker.clone()),
        status_writer::StatusPublisher(worker),
    )
}

/// The same read-only API for `strait run` (dedicated mode), whose flows MM2 would run as
/// connectors named by their class: `MirrorSourceConnector`, `MirrorCheckpointConnector` (when
/// checkpoints are on) and `MirrorHeartbeatConnector` per pair, prefixed `<S>-<T>-` when the
/// process runs more than one pair, and the publisher of their status metrics. `worker_id` is the
/// address it listens on.
pub fn dedicated_routes(
    flows: &[FlowConfig],
    heartbeats: &[HeartbeatConfig],
    worker_id: String,
    status: StatusBoard,
) -> (Router, status_writer::StatusPublisher) {
    let mut pairs: Vec<(String, String)> = flows
        .iter()
        .map(|f| (f.source.clone(), f.target.clone()))
        .chain(
            heartbeats
                .iter()
                .map(|h| (h.source.clone(), h.target.clone())),
        )
        .collect();
    pairs.sort();
    pairs.dedup();
    let several = pairs.len() > 1;
    let mut connectors = Vec::new();
    for (s, t) in &pairs {
        let flow = flows.iter().find(|f| &f.source == s && &f.target == t);
        let mut classes = Vec::new();
        if let Some(f) = flow {
            classes.push(ConnectorClass::Source);
            if f.checkpoints.is_some() {
                classes.push(ConnectorClass::Checkpoint);
            }
        }
        if heartbeats.iter().any(|h| &h.source == s && &h.target == t) {
            classes.push(ConnectorClass::Heartbeat);
        }
        for class in classes {
            let simple = class
                .class_name()
                .trim_start_matches("org.apache.kafka.connect.mirror.");
            let name = if several {
                format!("{s}-{t}-{simple}")
            } else {
                simple.to_string()
            };
            let setting = |v: &str| crate::config::Setting {
                value: v.to_string(),
                origin: None,
            };
            connectors.push(ConnectorSpec {
                name,
                class,
                source: s.clone(),
                target: t.clone(),
                file: std::path::PathBuf::new(),
                config: vec![
                    ("connector.class".to_string(), setting(class.class_name())),
                    ("source.cluster.alias".to_string(), setting(s)),
                    ("target.cluster.alias".to_string(), setting(t)),
                ],
            });
        }
    }
    let worker = worker(connectors, None, flows, heartbeats, worker_id, status);
    (
        router(worker.clone()),
        status_writer::StatusPublisher(worker),
    )
}

/// What the handlers answer from: `fixed` connectors or `control`'s, with a client for the
/// cluster id.
fn worker(
    fixed: Vec<ConnectorSpec>,
    control: Option<Arc<Mutex<Controller>>>,
    flows: &[FlowConfig],
    heartbeats: &[HeartbeatConfig],
    worker_id: String,
    status: StatusBoard,
) -> Arc<Worker> {
    let cluster = flows
        .first()
        .map(|f| f.target_admin.clone())
        .or_else(|| heartbeats.first().map(|h| h.target_admin.clone()))
        .and_then(|spec| crate::security::connection(&spec).ok())
        .map(ClusterClient::new);
    Arc::new(Worker {
        fixed,
        control,
        fixed_flows: flows.iter().map(|f| (f.label(), f.clone())).collect(),
        status,
        worker_id,
        cluster,
        cluster_id: OnceCell::new(),
    })
}

/// The REST API's routes over `worker`.
fn router(worker: Arc<Worker>) -> Router {
    Router::new()
        .route("/", get(read::root))
        .route("/health", get(read::health))
        .route("/connectors", get(read::list).post(create::post))
        .route("/connectors/{name}", get(read::info).delete(change::delete))
        .route(
            "/connectors/{name}/config",
            get(read::config_of)
                .put(create::put_config)
                .patch(create::patch_config),
        )
        .route("/connectors/{name}/status", get(read::status_of))
        .route("/connectors/{name}/tasks", get(read::tasks_of))
        .route(
            "/connectors/{name}/offsets",
            get(offsets::get)
                .patch(offsets::alter)
                .delete(offsets::reset),
        )
        .route("/connector-plugins", get(read::plugins))
        .route(
            "/connector-plugins/{plugin}/config/validate",
            put(validate::validate),
        )
        .route(
            "/connectors/{name}/tasks/{task}/status",
            get(read::task_status),
        )
        .route("/connectors/{name}/pause", put(change::pause))
        .route("/connectors/{name}/resume", put(change::resume))
        .route("/connectors/{name}/stop", put(change::stop))
        .route("/connectors/{name}/restart", post(change::restart))
        .route(
            "/connectors/{name}/tasks/{task}/restart",
            post(change::restart_task),
        )
        .fallback(read::not_found)
        .with_state(worker)
}

/// The shared state every handler gets.
type Shared = State<Arc<Worker>>;

#[cfg(test)]
mod tests;
