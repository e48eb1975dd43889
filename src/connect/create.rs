//! Creating and reconfiguring connectors as Connect's REST API does: `POST /connectors`
//! (`{"name", "config", "initial_state"}`; 201, or 409 when the name exists), `PUT
//! /connectors/{name}/config` (201 created, 200 replaced) and `PATCH /connectors/{name}/config`
//! (merged into the current config, a `null` value removing its key; 404 when there is no such
//! connector). Each bad input gets its own 400 in Connect's error shape and changes nothing:
//! malformed JSON, an unknown connector class, a `name` that disagrees with the URL, and a config
//! that does not resolve (a missing alias, an invalid regex, a bad value: the resolver's message).

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use super::control::{invalid, Controller, Refusal, Target};
use super::{error, read_only, views, Shared, Worker};
use crate::config::connect::{connector_from_json, ConnectorClass};
use tokio::sync::Mutex;

/// A refusal as Connect answers it.
pub(super) fn refused(r: Refusal) -> Response {
    match r {
        Refusal::BadRequest(m) => error(StatusCode::BAD_REQUEST, m),
        Refusal::Conflict(m) => error(StatusCode::CONFLICT, m),
        Refusal::Failed(m) => error(StatusCode::INTERNAL_SERVER_ERROR, m),
    }
}

/// A 400.
fn bad(message: String) -> Refusal {
    Refusal::BadRequest(message)
}

/// The request body as a JSON object, or the 400 saying why not.
pub(super) fn object(body: &[u8]) -> Result<Map<String, Value>, Refusal> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| bad(format!("Cannot parse the request body as JSON: {e}")))?;
    match value {
        Value::Object(m) => Ok(m),
        other => Err(bad(format!(
            "Expected a JSON object as the request body, found {}",
            kind(&other)
        ))),
    }
}

/// What kind of JSON value `v` is, for messages (never the value: it may be a secret).
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A config map's values as strings (Connect takes strings; numbers and booleans are read as
/// their text). `nulls_remove`: PATCH, where a null removes the key (None); elsewhere a null is
/// Connect's error.
pub(super) fn strings(
    config: &Map<String, Value>,
    nulls_remove: bool,
) -> Result<BTreeMap<String, Option<String>>, Refusal> {
    let mut out = BTreeMap::new();
    for (k, v) in config {
        let value = match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Null if nulls_remove => None,
            Value::Null => {
                return Err(invalid(&format!(
                    "`{k}`: Null value can not be supplied as the configuration value."
                )))
            }
            other => {
                return Err(bad(format!(
                    "`{k}`: expected a string value, found {}",
                    kind(other)
                )))
            }
        };
        out.insert(k.clone(), value);
    }
    Ok(out)
}

/// Connect's check that a `name` inside the config matches the connector's name.
fn check_name(name: &str, config: &BTreeMap<String, String>) -> Result<(), Refusal> {
    match config.get("name") {
        Some(included) if included != name => Err(bad(format!(
            "Connector name configuration ({included}) doesn't match connector name in the URL ({name})"
        ))),
        _ => Ok(()),
    }
}

/// Connect's answer for a connector class it has no plugin for.
pub(super) fn unknown_class(class: &str) -> Refusal {
    bad(format!(
        "Failed to find any class that implements Connector and which name matches {class}, available connectors are: {}",
        [ConnectorClass::Source, ConnectorClass::Checkpoint, ConnectorClass::Heartbeat]
            .map(|c| format!("PluginDesc{{klass=class {}, name='{}', type=source}}", c.class_name(), c.class_name()))
            .join(", ")
    ))
}

/// Validates `config` for connector `name` and hands it to the controller; true when created.
async fn submit(
    control: &Mutex<Controller>,
    name: &str,
    mut config: BTreeMap<String, String>,
    create_only: bool,
    initial: Option<Target>,
) -> Result<bool, Refusal> {
    if name.is_empty() {
        return Err(invalid("`name`: String must be non-empty"));
    }
    check_name(name, &config)?;
    config.insert("name".into(), name.to_string());
    let Some(class) = config.get("connector.class") else {
        return Err(bad("Connector config contains no connector type".into()));
    };
    if ConnectorClass::parse(class).is_none() {
        return Err(unknown_class(class));
    }
    let text = json!({"name": name, "config": config}).to_string();
    let spec = connector_from_json(&format!("connector {name}"), &text)
        .map_err(|e| invalid(&e.without_place()))?;
    control
        .lock()
        .await
        .put_config(spec, create_only, initial)
        .await
}

/// The connector's info after a change, with `code`.
async fn info_answer(w: &Worker, name: &str, code: StatusCode) -> Response {
    let now = w.now().await;
    let Some((c, t)) = now.find(name) else {
        return error(StatusCode::NOT_FOUND, format!("Connector {name} not found"));
    };
    let body = Json(views::info(&now, c, t));
    if code == StatusCode::CREATED {
        let location = format!("/connectors/{name}");
        return (code, [(header::LOCATION, location)], body).into_response();
    }
    (code, body).into_response()
}

/// `POST /connectors`.
pub(super) async fn post(State(w): Shared, body: Bytes) -> Response {
    let Some(control) = &w.control else {
        return read_only();
    };
    let parsed = (|| {
        let top = object(&body)?;
        let name = top
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .trim()
            .to_string();
        let config = match top.get("config") {
            Some(Value::Object(c)) => strings(c, false)?,
            Some(other) => {
                return Err(bad(format!(
                    "`config` must be a JSON object of keys and values, found {}",
                    kind(other)
                )))
            }
            None => return Err(bad("Missing `config` in the request body".into())),
        };
        let initial = match top.get("initial_state") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(match s.to_ascii_uppercase().as_str() {
                "RUNNING" => Target::Running,
                "PAUSED" => Target::Paused,
                "STOPPED" => Target::Stopped,
                _ => {
                    return Err(bad(format!(
                        "Invalid initial_state `{s}`: expected RUNNING, PAUSED or STOPPED"
                    )))
                }
            }),
            Some(other) => {
                return Err(bad(format!(
                    "`initial_state` must be a string, found {}",
                    kind(other)
                )))
            }
        };
        let config = config
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect();
        Ok((name, config, initial))
    })();
    let (name, config, initial) = match parsed {
        Ok(p) => p,
        Err(r) => return refused(r),
    };
    match submit(control, &name, config, true, initial).await {
        Ok(_) => info_answer(&w, &name, StatusCode::CREATED).await,
        Err(r) => refused(r),
    }
}

/// `PUT /connectors/{name}/config`: the whole config.
pub(super) async fn put_config(
    State(w): Shared,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    let Some(control) = &w.control else {
        return read_only();
    };
    let config = match object(&body).and_then(|m| strings(&m, false)) {
        Ok(c) => c
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect(),
        Err(r) => return refused(r),
    };
    match submit(control, &name, config, false, None).await {
        Ok(true) => info_answer(&w, &name, StatusCode::CREATED).await,
        Ok(false) => info_answer(&w, &name, StatusCode::OK).await,
        Err(r) => refused(r),
    }
}

/// `PATCH /connectors/{name}/config`: keys merged into the current config, `null` removing one.
pub(super) async fn patch_config(
    State(w): Shared,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    let Some(control) = &w.control else {
        return read_only();
    };
    let patch = match object(&body).and_then(|m| strings(&m, true)) {
        Ok(p) => p,
        Err(r) => return refused(r),
    };
    let current = control.lock().await.get(&name).map(|c| c.properties());
    let Some(mut config) = current else {
        return error(StatusCode::NOT_FOUND, format!("Connector {name} not found"));
    };
    for (k, v) in patch {
        match v {
            Some(v) => {
                config.insert(k, v);
            }
            None => {
                config.remove(&k);
            }
        }
    }
    match submit(control, &name, config, false, None).await {
        Ok(_) => info_answer(&w, &name, StatusCode::OK).await,
        Err(r) => refused(r),
    }
}
