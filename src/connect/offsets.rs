//! A source connector's offsets as Connect's REST API shows and changes them (KIP-875): `GET`
//! reads the progress strait saved, `PATCH` sets chosen partitions' offsets (`null`: forget one)
//! and `DELETE` forgets them all, both only while the connector is STOPPED, as Connect requires.
//! The progress is the Connect offsets record MM2's source task writes: the last replicated offset
//! per source partition, so a connector resumed after a `PATCH` to N continues at N + 1. The
//! checkpoint and heartbeat connectors keep no offsets in strait.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::control::Target;
use super::{error, read_only, Shared, Worker};
use crate::config::connect::ConnectorClass;
use crate::config::FlowConfig;
use crate::protocol::{ClusterClient, TopicPartition};

/// How long a write of the offsets topic may wait for the brokers.
const TIMEOUT: Duration = Duration::from_secs(30);

/// `GET /connectors/{name}/offsets`: the source connector's progress as Connect stores it
/// (`{"offsets": [{"partition": {"cluster", "partition", "topic"}, "offset": {"offset": N}}]}`,
/// N the last replicated offset), read from the offsets topic; the checkpoint and heartbeat
/// connectors keep none in strait (an empty list).
pub(super) async fn get(State(w): Shared, Path(name): Path<String>) -> Response {
    let now = w.now().await;
    let Some((c, _)) = now.find(&name) else {
        return error(StatusCode::NOT_FOUND, format!("Connector {name} not found"));
    };
    let flow = now.flows.get(&format!("{}->{}", c.source, c.target));
    let (ConnectorClass::Source, Some(flow)) = (c.class, flow) else {
        return Json(json!({"offsets": []})).into_response();
    };
    let client = match target_client(flow) {
        Ok(c) => c,
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e),
    };
    match crate::offsets::progress::read_saved(&client, &flow.offset_storage, &flow.source).await {
        Ok(saved) => {
            let mut saved: Vec<_> = saved.unwrap_or_default().into_iter().collect();
            saved.sort();
            let offsets: Vec<Value> = saved
                .into_iter()
                .map(|(tp, next)| {
                    json!({
                        "partition": {"cluster": flow.source, "partition": tp.partition, "topic": tp.topic},
                        "offset": {"offset": next - 1},
                    })
                })
                .collect();
            Json(json!({ "offsets": offsets })).into_response()
        }
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot read the offsets of {name}: {e}"),
        ),
    }
}

/// The flow of the STOPPED source connector `name`, or Connect's answer why its offsets cannot
/// be changed now (None as the flow: a checkpoint or heartbeat connector, nothing kept).
async fn stopped(w: &Worker, name: &str) -> Result<Option<FlowConfig>, Response> {
    if w.control.is_none() {
        return Err(read_only());
    }
    let now = w.now().await;
    let Some((c, t)) = now.find(name) else {
        return Err(error(
            StatusCode::NOT_FOUND,
            format!("Connector {name} not found"),
        ));
    };
    if t != Target::Stopped {
        return Err(error(
            StatusCode::BAD_REQUEST,
            format!("Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/{name}/stop' endpoint"),
        ));
    }
    if c.class != ConnectorClass::Source {
        return Ok(None);
    }
    let pair = format!("{}->{}", c.source, c.target);
    match now.flows.get(&pair) {
        Some(f) => Ok(Some(f.clone())),
        None => Err(error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("connector {name}: no settings resolved for {pair}"),
        )),
    }
}

/// A client of the flow's target, where its progress lives; a 500 when it cannot be built.
fn target_client(flow: &FlowConfig) -> Result<ClusterClient, String> {
    crate::security::connection(&flow.target_producer)
        .map(ClusterClient::new)
        .map_err(|e| e.to_string())
}

/// Connect's success message.
fn done(what: &str) -> Response {
    Json(
        json!({"message": format!("The offsets for this connector have been {what} successfully")}),
    )
    .into_response()
}

/// One `{"partition": {...}, "offset": {...} | null}` entry of a `PATCH` body, validated as
/// MM2's `MirrorSourceConnector.alterOffsets` validates it, for source cluster `source`.
fn change(entry: &Value, source: &str) -> Result<(TopicPartition, Option<i64>), String> {
    let partition = entry
        .get("partition")
        .and_then(Value::as_object)
        .ok_or("Source partitions may not be null")?;
    let text = |key: &str| {
        match partition.get(key) {
        None => Err(format!("Source partition {} is missing the '{key}' key, which is required", Value::Object(partition.clone()))),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(v) => Err(format!("Source partition {} has an invalid value {v} for the '{key}' key, which must be a string", Value::Object(partition.clone()))),
    }
    };
    let cluster = text("cluster")?;
    let topic = text("topic")?;
    if cluster != source {
        return Err(format!(
            "Source partition {} names cluster `{cluster}`; this connector replicates from `{source}`",
            Value::Object(partition.clone())
        ));
    }
    let index = match partition.get("partition") {
        None => return Err(format!("Source partition {} is missing the 'partition' key, which is required", Value::Object(partition.clone()))),
        Some(v) => match v.as_i64().filter(|p| i32::try_from(*p).is_ok()) {
            Some(p) if p < 0 => return Err(format!("Source partition {} has an invalid value {v} for the 'partition' key, which cannot be negative", Value::Object(partition.clone()))),
            Some(p) => p as i32,
            None => return Err(format!("Source partition {} has an invalid value {v} for the 'partition' key, which must be an integer", Value::Object(partition.clone()))),
        },
    };
    let offset = match entry.get("offset") {
        None | Some(Value::Null) => None,
        Some(Value::Object(o)) => match o.get("offset") {
            None => return Err(format!("Source offset {} for source partition {} is missing the 'offset' key, which is required", Value::Object(o.clone()), Value::Object(partition.clone()))),
            Some(v) => match v.as_i64() {
                Some(n) if n >= 0 => Some(n),
                _ => return Err(format!("Source offset {} for source partition {} has an invalid value {v} for the 'offset' key, which must be a non-negative integer", Value::Object(o.clone()), Value::Object(partition.clone()))),
            },
        },
        Some(v) => return Err(format!("Source offset {v} must be a JSON object or null")),
    };
    Ok((TopicPartition::new(&topic, index), offset))
}

/// `PATCH /connectors/{name}/offsets`.
pub(super) async fn alter(State(w): Shared, Path(name): Path<String>, body: Bytes) -> Response {
    let flow = match stopped(&w, &name).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let entries = match serde_json::from_slice::<Value>(&body) {
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("Cannot parse the request body as JSON: {e}"),
            )
        }
        Ok(v) => v
            .get("offsets")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
    };
    if entries.is_empty() {
        return error(
            StatusCode::BAD_REQUEST,
            "Partitions / offsets need to be provided for an alter offsets request".into(),
        );
    }
    let Some(flow) = flow else {
        return done("altered");
    };
    let mut changes = Vec::new();
    for entry in &entries {
        match change(entry, &flow.source) {
            Ok(c) => changes.push(c),
            Err(m) => return error(StatusCode::BAD_REQUEST, m),
        }
    }
    match target_client(&flow) {
        Ok(client) => write(&client, &flow, &changes, &name, "altered").await,
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e),
    }
}

/// Writes `changes` to the flow's progress; Connect's answer that the offsets were `what`.
async fn write(
    client: &ClusterClient,
    flow: &FlowConfig,
    changes: &[(TopicPartition, Option<i64>)],
    name: &str,
    what: &str,
) -> Response {
    match crate::offsets::progress::overwrite(
        client,
        &flow.offset_storage,
        &flow.source,
        changes,
        TIMEOUT,
    )
    .await
    {
        Ok(()) => done(what),
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot change the offsets of {name}: {e}"),
        ),
    }
}

/// `DELETE /connectors/{name}/offsets`: every saved partition forgotten (tombstones), so the
/// connector starts again from each partition's log start.
pub(super) async fn reset(State(w): Shared, Path(name): Path<String>) -> Response {
    let flow = match stopped(&w, &name).await {
        Ok(Some(f)) => f,
        Ok(None) => return done("reset"),
        Err(r) => return r,
    };
    let client = match target_client(&flow) {
        Ok(c) => c,
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e),
    };
    let saved =
        match crate::offsets::progress::read_saved(&client, &flow.offset_storage, &flow.source)
            .await
        {
            Ok(s) => s.unwrap_or_default(),
            Err(e) => {
                return error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("cannot read the offsets of {name}: {e}"),
                )
            }
        };
    let changes: Vec<(TopicPartition, Option<i64>)> =
        saved.into_keys().map(|tp| (tp, None)).collect();
    if changes.is_empty() {
        return done("reset");
    }
    write(&client, &flow, &changes, &name, "reset").await
}
