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
mod read;
mod views;

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
    /// `S->T` -> tasks the flow runs (`tasks.max`).
    tasks_max: std::collections::BTreeMap<String, usize>,
    /// `S->T` -> the flow's settings, for reading its saved progress (`GET .../offsets`).
    flows: std::collections::BTreeMap<String, FlowConfig>,
    status: StatusBoard,
    worker_id: String,
    /// A client of the first connector's target cluster, for `kafka_cluster_id`.
    cluster: Option<ClusterClient>,
    cluster_id: OnceCell<Option<String>>,
}

impl Worker {
    /// Every connector with its target state, now.
    async fn snapshot(&self) -> Vec<(ConnectorSpec, Target)> {
        match &self.control {
            Some(c) => c.lock().await.connectors(),
            None => self
                .fixed
                .iter()
                .map(|c| (c.clone(), Target::Running))
                .collect(),
        }
    }

    /// The connector named `name` and its target state.
    async fn find(&self, name: &str) -> Option<(ConnectorSpec, Target)> {
        self.snapshot()
            .await
            .into_iter()
            .find(|(c, _)| c.name == name)
    }
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
/// answering states from `status`.
pub fn routes(
    config: &ConnectConfig,
    status: StatusBoard,
    control: Arc<Mutex<Controller>>,
) -> Router {
    serve(
        Vec::new(),
        Some(control),
        &config.mm2.flows,
        &config.mm2.heartbeats,
        config.worker.worker_id.clone(),
        status,
    )
}

/// The same read-only API for `strait run` (dedicated mode), whose flows MM2 would run as
/// connectors named by their class: `MirrorSourceConnector`, `MirrorCheckpointConnector` (when
/// checkpoints are on) and `MirrorHeartbeatConnector` per pair, prefixed `<S>-<T>-` when the
/// process runs more than one pair. `worker_id` is the address it listens on.
pub fn dedicated_routes(
    flows: &[FlowConfig],
    heartbeats: &[HeartbeatConfig],
    worker_id: String,
    status: StatusBoard,
) -> Router {
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
    serve(connectors, None, flows, heartbeats, worker_id, status)
}

/// The router over `connectors`, with the flows' task counts and a client for the cluster id.
fn serve(
    fixed: Vec<ConnectorSpec>,
    control: Option<Arc<Mutex<Controller>>>,
    flows: &[FlowConfig],
    heartbeats: &[HeartbeatConfig],
    worker_id: String,
    status: StatusBoard,
) -> Router {
    let cluster = flows
        .first()
        .map(|f| f.target_admin.clone())
        .or_else(|| heartbeats.first().map(|h| h.target_admin.clone()))
        .and_then(|spec| crate::security::connection(&spec).ok())
        .map(ClusterClient::new);
    let worker = Worker {
        fixed,
        control,
        tasks_max: flows
            .iter()
            .map(|f| (f.label(), f.tasks_max.max(1)))
            .collect(),
        flows: flows.iter().map(|f| (f.label(), f.clone())).collect(),
        status,
        worker_id,
        cluster,
        cluster_id: OnceCell::new(),
    };
    Router::new()
        .route("/", get(read::root))
        .route("/health", get(read::health))
        .route("/connectors", get(read::list).post(change::not_yet))
        .route(
            "/connectors/{name}",
            get(read::info).put(change::not_yet).delete(change::delete),
        )
        .route(
            "/connectors/{name}/config",
            get(read::config_of)
                .put(change::not_yet)
                .patch(change::not_yet),
        )
        .route("/connectors/{name}/status", get(read::status_of))
        .route("/connectors/{name}/tasks", get(read::tasks_of))
        .route("/connectors/{name}/offsets", get(read::offsets_of))
        .route("/connector-plugins", get(read::plugins))
        .route(
            "/connectors/{name}/tasks/{task}/status",
            get(read::task_status),
        )
        .route("/connectors/{name}/pause", put(change::pause))
        .route("/connectors/{name}/resume", put(change::resume))
        .route("/connectors/{name}/stop", put(change::stop))
        .route("/connectors/{name}/restart", post(change::restart))
        .fallback(read::not_found)
        .with_state(Arc::new(worker))
}

/// The shared state every handler gets.
type Shared = State<Arc<Worker>>;

#[cfg(test)]
mod tests;
