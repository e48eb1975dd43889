//! The REST calls that change connectors, as Connect answers them: `PUT .../pause` and `/resume`
//! (202), `PUT .../stop` (204), `POST .../restart` (204) and `DELETE` (204); 404 for an unknown
//! connector. Dedicated mode's API is read-only (405).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::control::{Change, Target};
use super::{error, read_only, views, Shared};

/// Makes `change` through the controller: `ok` when it found the connector, Connect's 404 when
/// not, 500 with the reason when the change could not be made, 405 in dedicated mode.
async fn with_control(w: &super::Worker, name: &str, ok: StatusCode, change: Change) -> Response {
    let Some(control) = &w.control else {
        return read_only();
    };
    match control.lock().await.change(name, change).await {
        Ok(true) => ok.into_response(),
        Ok(false) => error(StatusCode::NOT_FOUND, format!("Connector {name} not found")),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e),
    }
}

/// `PUT /connectors/{name}/pause`.
pub(super) async fn pause(State(w): Shared, Path(name): Path<String>) -> Response {
    with_control(
        &w,
        &name,
        StatusCode::ACCEPTED,
        Change::Target(Target::Paused),
    )
    .await
}

/// `PUT /connectors/{name}/resume`.
pub(super) async fn resume(State(w): Shared, Path(name): Path<String>) -> Response {
    with_control(
        &w,
        &name,
        StatusCode::ACCEPTED,
        Change::Target(Target::Running),
    )
    .await
}

/// `PUT /connectors/{name}/stop`.
pub(super) async fn stop(State(w): Shared, Path(name): Path<String>) -> Response {
    with_control(
        &w,
        &name,
        StatusCode::NO_CONTENT,
        Change::Target(Target::Stopped),
    )
    .await
}

/// `POST /connectors/{name}/restart[?includeTasks=..&onlyFailed=..]`: its cluster pair's units
/// stop (saving progress) and start again (a connector and its tasks are one flow in strait).
/// Plain: 204. With either parameter (KIP-745): 202 and the status, what restarts shown
/// RESTARTING; `onlyFailed=true` restarts only a FAILED connector.
pub(super) async fn restart(
    State(w): Shared,
    Path(name): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    let flag = |key: &str| {
        q.iter()
            .any(|(k, v)| k == key && v.eq_ignore_ascii_case("true"))
    };
    let (include_tasks, only_failed) = (flag("includeTasks"), flag("onlyFailed"));
    if !include_tasks && !only_failed {
        return with_control(&w, &name, StatusCode::NO_CONTENT, Change::Restart).await;
    }
    let now = w.now().await;
    let Some((c, t)) = now.find(&name) else {
        return error(StatusCode::NOT_FOUND, format!("Connector {name} not found"));
    };
    let mut status = views::status(&w, &now, c, t);
    let failed = |v: &Value| v["state"] == "FAILED";
    let restarts = !only_failed
        || failed(&status["connector"])
        || status["tasks"].as_array().into_iter().flatten().any(failed);
    if !restarts {
        return (StatusCode::ACCEPTED, Json(status)).into_response();
    }
    let answer = with_control(&w, &name, StatusCode::ACCEPTED, Change::Restart).await;
    if answer.status() != StatusCode::ACCEPTED {
        return answer;
    }
    status["connector"]["state"] = json!("RESTARTING");
    if include_tasks {
        for task in status["tasks"].as_array_mut().into_iter().flatten() {
            task["state"] = json!("RESTARTING");
        }
    }
    (StatusCode::ACCEPTED, Json(status)).into_response()
}

/// `POST /connectors/{name}/tasks/{task}/restart`: 204; the task's flow restarts with its other
/// tasks (they share the flow's state).
pub(super) async fn restart_task(
    State(w): Shared,
    Path((name, task)): Path<(String, usize)>,
) -> Response {
    if let Err(r) = w.task_status(&name, task).await {
        return r;
    }
    with_control(&w, &name, StatusCode::NO_CONTENT, Change::Restart).await
}

/// `DELETE /connectors/{name}`.
pub(super) async fn delete(State(w): Shared, Path(name): Path<String>) -> Response {
    with_control(&w, &name, StatusCode::NO_CONTENT, Change::Delete).await
}
