//! The REST calls that change connectors, as Connect answers them: `PUT .../pause` and `/resume`
//! (202), `PUT .../stop` (204), `POST .../restart` (204) and `DELETE` (204); 404 for an unknown
//! connector. Dedicated mode's API is read-only (405).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::control::{Change, Target};
use super::{error, Shared};

/// Makes `change` through the controller: `ok` when it found the connector, Connect's 404 when
/// not, 500 with the reason when the change could not be made, 405 in dedicated mode.
async fn with_control(w: &super::Worker, name: &str, ok: StatusCode, change: Change) -> Response {
    let Some(control) = &w.control else {
        return error(
            StatusCode::METHOD_NOT_ALLOWED,
            "strait run serves this API read-only: its flows come from mm2.properties".into(),
        );
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

/// `POST /connectors/{name}/restart`: its cluster pair's units stop (saving progress) and start
/// again.
pub(super) async fn restart(State(w): Shared, Path(name): Path<String>) -> Response {
    with_control(&w, &name, StatusCode::NO_CONTENT, Change::Restart).await
}

/// `DELETE /connectors/{name}`.
pub(super) async fn delete(State(w): Shared, Path(name): Path<String>) -> Response {
    with_control(&w, &name, StatusCode::NO_CONTENT, Change::Delete).await
}
