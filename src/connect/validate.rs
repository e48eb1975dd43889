//! `PUT /connector-plugins/{plugin}/config/validate`: a connector config checked exactly as a
//! `PUT .../config` would check it (with the worker and the other connectors), nothing changed,
//! answered in Connect's `ConfigInfos` shape: `{"name", "error_count", "groups", "configs":
//! [{"definition": {...}, "value": {"name", "value", "recommended_values", "errors", "visible"}}]}`,
//! one entry per key given, the error at the key it is about. strait's resolver stops at the
//! first problem, so `error_count` is 0 or 1.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::control::Refusal;
use super::create::{object, refused, strings, unknown_class};
use super::{read_only, Shared};
use crate::config::connect::{connector_from_json, ConnectorClass};

/// The entry of key `name` with `value` (hidden when the key looks secret) and `errors`.
fn entry(name: &str, value: Option<&str>, errors: Vec<String>) -> Value {
    let shown = value.map(|v| {
        if crate::config::looks_secret(name) {
            "[hidden]".to_string()
        } else {
            v.to_string()
        }
    });
    json!({
        "definition": {
            "name": name, "type": "STRING", "required": false, "default_value": null,
            "importance": "MEDIUM", "documentation": "", "group": null, "width": "NONE",
            "display_name": name, "dependents": [], "order": -1
        },
        "value": {
            "name": name, "value": shown, "recommended_values": [], "errors": errors,
            "visible": true
        }
    })
}

/// `PUT /connector-plugins/{plugin}/config/validate`.
pub(super) async fn validate(
    State(w): Shared,
    Path(plugin): Path<String>,
    body: Bytes,
) -> Response {
    let Some(class) = ConnectorClass::parse(&plugin) else {
        return refused(unknown_class(&plugin));
    };
    let config: BTreeMap<String, String> = match object(&body).and_then(|m| strings(&m, false)) {
        Ok(c) => c
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect(),
        Err(r) => return refused(r),
    };
    if let Some(given) = config.get("connector.class") {
        if ConnectorClass::parse(given) != Some(class) {
            return refused(Refusal::BadRequest(format!(
                "Included connector type {given} does not match request type {plugin}"
            )));
        }
    }
    let name = config
        .get("name")
        .cloned()
        .unwrap_or_else(|| "validation".to_string());
    let mut full = config.clone();
    full.insert("connector.class".into(), class.class_name().into());
    let text = json!({"name": name, "config": full}).to_string();
    let problem = match connector_from_json(&format!("connector {name}"), &text) {
        Err(e) => Some(e),
        Ok(spec) => match &w.control {
            Some(c) => c.lock().await.validate(&spec).err(),
            None => return read_only(),
        },
    };
    let at = problem.as_ref().and_then(|e| e.key().map(str::to_string));
    let mut configs: Vec<Value> = Vec::new();
    let mut placed = false;
    for (k, v) in &config {
        let errors = match (&problem, &at) {
            (Some(e), Some(key)) if key == k => {
                placed = true;
                vec![e.without_place()]
            }
            _ => Vec::new(),
        };
        configs.push(entry(k, Some(v), errors));
    }
    if let (Some(e), false) = (&problem, placed) {
        let key = at.unwrap_or_else(|| "connector.class".to_string());
        configs.push(entry(&key, None, vec![e.without_place()]));
    }
    (
        StatusCode::OK,
        Json(json!({
            "name": class.class_name(),
            "error_count": usize::from(problem.is_some()),
            "groups": ["Common"],
            "configs": configs,
        })),
    )
        .into_response()
}
