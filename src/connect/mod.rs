//! Kafka Connect's REST API for `strait connect`, with Connect's paths, status codes and JSON
//! shapes, so that runbooks' `curl /connectors/<name>/status | jq` checks work unchanged. This part
//! serves what a running worker can say: `GET /`, `/health`, `/connectors` (with `?expand=status`
//! and `?expand=info`), a connector's info, config, status, tasks and task status. States come
//! from the flows themselves ([`StatusBoard`]): a connector whose cluster cannot be reached is
//! FAILED with a trace naming it, never RUNNING with nothing running. Requests that would change
//! connectors answer Connect's error shape saying so (issue 13 builds them next). `strait run`
//! serves the same read side for its flows with `--rest-listen`.

mod views;

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use tokio::sync::OnceCell;

use crate::config::connect::{ConnectConfig, ConnectorClass, ConnectorSpec};
use crate::config::{FlowConfig, HeartbeatConfig};
use crate::protocol::ClusterClient;
use crate::replicate::status::StatusBoard;

/// What the REST API answers from.
struct Worker {
    connectors: Vec<ConnectorSpec>,
    /// `S->T` -> tasks the flow runs (`tasks.max`).
    tasks_max: std::collections::BTreeMap<String, usize>,
    status: StatusBoard,
    worker_id: String,
    /// A client of the first connector's target cluster, for `kafka_cluster_id`.
    cluster: Option<ClusterClient>,
    cluster_id: OnceCell<Option<String>>,
}

/// Connect's error body: `{"error_code": N, "message": "..."}` with that status.
fn error(code: StatusCode, message: String) -> Response {
    (
        code,
        Json(json!({"error_code": code.as_u16(), "message": message})),
    )
        .into_response()
}

/// The routes of the REST API for the connectors of `config`, answering states from `status`.
pub fn routes(config: &ConnectConfig, status: StatusBoard) -> Router {
    serve(
        config.connectors.clone(),
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
    serve(connectors, flows, heartbeats, worker_id, status)
}

/// The router over `connectors`, with the flows' task counts and a client for the cluster id.
fn serve(
    connectors: Vec<ConnectorSpec>,
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
        connectors,
        tasks_max: flows
            .iter()
            .map(|f| (f.label(), f.tasks_max.max(1)))
            .collect(),
        status,
        worker_id,
        cluster,
        cluster_id: OnceCell::new(),
    };
    Router::new()
        .route("/", get(root))
        .route("/health", get(health))
        .route("/connectors", get(list).post(not_yet))
        .route("/connectors/{name}", get(info).put(not_yet).delete(not_yet))
        .route(
            "/connectors/{name}/config",
            get(config_of).put(not_yet).patch(not_yet),
        )
        .route("/connectors/{name}/status", get(status_of))
        .route("/connectors/{name}/tasks", get(tasks_of))
        .route("/connectors/{name}/tasks/{task}/status", get(task_status))
        .fallback(not_found)
        .with_state(Arc::new(worker))
}

type Shared = State<Arc<Worker>>;

/// `GET /`: version, commit and the Kafka cluster id.
async fn root(State(w): Shared) -> Json<Value> {
    let id = w
        .cluster_id
        .get_or_init(|| async {
            let c = w.cluster.as_ref()?;
            c.refresh_metadata(Some(&[])).await.ok()?.cluster_id.clone()
        })
        .await
        .clone();
    Json(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "commit": concat!("strait-", env!("CARGO_PKG_VERSION")),
        "kafka_cluster_id": id,
    }))
}

/// `GET /health`.
async fn health() -> Json<Value> {
    Json(
        json!({"status": "healthy", "message": "Worker has completed startup and is ready to handle requests."}),
    )
}

/// `view` of the connector named `name`, or Connect's 404.
fn answer(w: &Worker, name: &str, view: impl FnOnce(&ConnectorSpec) -> Value) -> Response {
    match w.connectors.iter().find(|c| c.name == name) {
        Some(c) => Json(view(c)).into_response(),
        None => error(StatusCode::NOT_FOUND, format!("Connector {name} not found")),
    }
}

/// `GET /connectors`: the names, or with `expand` an object of the requested views.
async fn list(State(w): Shared, Query(q): Query<Vec<(String, String)>>) -> Json<Value> {
    let expand: Vec<String> = q
        .into_iter()
        .filter(|(k, _)| k == "expand")
        .map(|(_, v)| v)
        .collect();
    if expand.is_empty() {
        return Json(json!(w
            .connectors
            .iter()
            .map(|c| &c.name)
            .collect::<Vec<_>>()));
    }
    let mut out = serde_json::Map::new();
    for c in &w.connectors {
        let mut entry = serde_json::Map::new();
        if expand.iter().any(|e| e == "status") {
            entry.insert("status".into(), views::status(&w, c));
        }
        if expand.iter().any(|e| e == "info") {
            entry.insert("info".into(), views::info(&w, c));
        }
        out.insert(c.name.clone(), Value::Object(entry));
    }
    Json(Value::Object(out))
}

/// `GET /connectors/{name}`.
async fn info(State(w): Shared, Path(name): Path<String>) -> Response {
    answer(&w, &name, |c| views::info(&w, c))
}

/// `GET /connectors/{name}/config`.
async fn config_of(State(w): Shared, Path(name): Path<String>) -> Response {
    answer(&w, &name, views::config)
}

/// `GET /connectors/{name}/status`.
async fn status_of(State(w): Shared, Path(name): Path<String>) -> Response {
    answer(&w, &name, |c| views::status(&w, c))
}

/// `GET /connectors/{name}/tasks`.
async fn tasks_of(State(w): Shared, Path(name): Path<String>) -> Response {
    answer(&w, &name, |c| views::tasks(&w, c))
}

/// `GET /connectors/{name}/tasks/{task}/status`.
async fn task_status(State(w): Shared, Path((name, task)): Path<(String, usize)>) -> Response {
    let Some(c) = w.connectors.iter().find(|c| c.name == name) else {
        return error(StatusCode::NOT_FOUND, format!("Connector {name} not found"));
    };
    let status = views::status(&w, c);
    match status["tasks"].as_array().and_then(|t| t.get(task)) {
        Some(t) => Json(t.clone()).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            format!("Task {name}-{task} not found"),
        ),
    }
}

/// Requests that would change connectors: not built yet, said in Connect's error shape.
async fn not_yet() -> Response {
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        "strait serves this API read-only for now: connectors come from the files given to `strait connect`".into(),
    )
}

/// Any other path.
async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "HTTP 404 Not Found".into())
}

#[cfg(test)]
mod tests;
