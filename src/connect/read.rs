//! The read side of the REST API: what a running worker can say about itself and its connectors.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::control::Target;
use super::{error, views, Now, Shared, Worker};
use crate::config::connect::{ConnectorClass, ConnectorSpec};

/// `GET /`: version, commit and the Kafka cluster id.
pub(super) async fn root(State(w): Shared) -> Json<Value> {
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
pub(super) async fn health() -> Json<Value> {
    Json(
        json!({"status": "healthy", "message": "Worker has completed startup and is ready to handle requests."}),
    )
}

/// `view` of the connector named `name`, or Connect's 404.
async fn answer(
    w: &Worker,
    name: &str,
    view: impl FnOnce(&Now, &ConnectorSpec, Target) -> Value,
) -> Response {
    let now = w.now().await;
    match now.find(name) {
        Some((c, t)) => Json(view(&now, c, t)).into_response(),
        None => error(StatusCode::NOT_FOUND, format!("Connector {name} not found")),
    }
}

/// `GET /connectors`: the names, or with `expand` an object of the requested views.
pub(super) async fn list(State(w): Shared, Query(q): Query<Vec<(String, String)>>) -> Json<Value> {
    let expand: Vec<String> = q
        .into_iter()
        .filter(|(k, _)| k == "expand")
        .map(|(_, v)| v)
        .collect();
    let now = w.now().await;
    if expand.is_empty() {
        return Json(json!(now
            .connectors
            .iter()
            .map(|(c, _)| &c.name)
            .collect::<Vec<_>>()));
    }
    let mut out = serde_json::Map::new();
    for (c, t) in &now.connectors {
        let mut entry = serde_json::Map::new();
        if expand.iter().any(|e| e == "status") {
            entry.insert("status".into(), views::status(&w, &now, c, *t));
        }
        if expand.iter().any(|e| e == "info") {
            entry.insert("info".into(), views::info(&now, c, *t));
        }
        out.insert(c.name.clone(), Value::Object(entry));
    }
    Json(Value::Object(out))
}

/// `GET /connectors/{name}`.
pub(super) async fn info(State(w): Shared, Path(name): Path<String>) -> Response {
    answer(&w, &name, views::info).await
}

/// `GET /connectors/{name}/config`.
pub(super) async fn config_of(State(w): Shared, Path(name): Path<String>) -> Response {
    answer(&w, &name, |_, c, _| views::config(c)).await
}

/// `GET /connectors/{name}/status`.
pub(super) async fn status_of(State(w): Shared, Path(name): Path<String>) -> Response {
    answer(&w, &name, |now, c, t| views::status(&w, now, c, t)).await
}

/// `GET /connectors/{name}/tasks`.
pub(super) async fn tasks_of(State(w): Shared, Path(name): Path<String>) -> Response {
    answer(&w, &name, views::tasks).await
}

/// `GET /connectors/{name}/tasks/{task}/status`.
pub(super) async fn task_status(
    State(w): Shared,
    Path((name, task)): Path<(String, usize)>,
) -> Response {
    match w.task_status(&name, task).await {
        Ok(status) => Json(status).into_response(),
        Err(r) => r,
    }
}

/// `GET /connector-plugins`: the three MirrorMaker connectors strait runs.
pub(super) async fn plugins() -> Json<Value> {
    let version = env!("CARGO_PKG_VERSION");
    Json(Value::Array(
        [
            ConnectorClass::Source,
            ConnectorClass::Checkpoint,
            ConnectorClass::Heartbeat,
        ]
        .iter()
        .map(|c| json!({"class": c.class_name(), "type": "source", "version": version}))
        .collect(),
    ))
}

/// Any other path.
pub(super) async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "HTTP 404 Not Found".into())
}
