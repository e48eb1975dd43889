//! The JSON bodies of Connect's REST API for one connector: info, config, status and tasks, in
//! Connect's shapes (`ConnectorInfo`, `ConnectorStateInfo`, `TaskInfo`). Config values of keys that
//! look secret are shown as `[hidden]`: a status endpoint is no place for a password.

use serde_json::{json, Value};

use super::control::Target;
use super::{Now, Worker};
use crate::config::connect::{ConnectorClass, ConnectorSpec};
use crate::replicate::status::FlowState;

/// The `S->T` label of a connector's flow.
fn flow(c: &ConnectorSpec) -> String {
    format!("{}->{}", c.source, c.target)
}

/// How many tasks the connector runs: the flow's `tasks.max` for the source connector, one for
/// the checkpoint and heartbeat connectors (their work is one emitter each).
fn task_count(now: &Now, c: &ConnectorSpec, target: Target) -> usize {
    if target == Target::Stopped {
        return 0;
    }
    match c.class {
        ConnectorClass::Source => now.flows.get(&flow(c)).map_or(1, |f| f.tasks_max.max(1)),
        ConnectorClass::Checkpoint | ConnectorClass::Heartbeat => 1,
    }
}

/// The connector's config as given, secrets hidden; `name` included as Connect includes it.
pub(super) fn config(c: &ConnectorSpec) -> Value {
    let mut out = serde_json::Map::new();
    for (k, s) in &c.config {
        let v = if crate::config::looks_secret(k) {
            "[hidden]".to_string()
        } else {
            s.value.clone()
        };
        out.insert(k.clone(), Value::String(v));
    }
    out.insert("name".into(), Value::String(c.name.clone()));
    Value::Object(out)
}

/// `ConnectorInfo`: name, config, task ids and type.
pub(super) fn info(now: &Now, c: &ConnectorSpec, target: Target) -> Value {
    json!({
        "name": c.name,
        "config": config(c),
        "tasks": (0..task_count(now, c, target)).map(|t| json!({"connector": c.name, "task": t})).collect::<Vec<_>>(),
        "type": "source",
    })
}

/// `ConnectorStateInfo`: the connector's state and each task's: PAUSED or STOPPED as set over
/// REST, else from the flow's state (the heartbeat connector's emitter has no failing state: it
/// retries by itself).
pub(super) fn status(w: &Worker, now: &Now, c: &ConnectorSpec, target: Target) -> Value {
    let state = match c.class {
        ConnectorClass::Heartbeat => Some(FlowState::Running),
        _ => w.status.get(&flow(c)),
    };
    let tasks = task_count(now, c, target);
    let (connector, task, trace) = match (target, &state) {
        (Target::Paused, _) => ("PAUSED", "PAUSED", None),
        (Target::Stopped, _) => ("STOPPED", "STOPPED", None),
        (Target::Running, state) => match state {
            None | Some(FlowState::Starting) | Some(FlowState::Stopped) => {
                ("UNASSIGNED", "UNASSIGNED", None)
            }
            Some(FlowState::Running) => ("RUNNING", "RUNNING", None),
            Some(FlowState::Failed { trace, .. }) => ("FAILED", "FAILED", Some(trace.clone())),
        },
    };
    let with_trace = |mut v: Value| {
        if let Some(t) = &trace {
            v["trace"] = Value::String(t.clone());
        }
        v
    };
    json!({
        "name": c.name,
        "connector": with_trace(json!({"state": connector, "worker_id": w.worker_id})),
        "tasks": (0..tasks).map(|id| with_trace(json!({"id": id, "state": task, "worker_id": w.worker_id}))).collect::<Vec<_>>(),
        "type": "source",
    })
}

/// `GET /connectors/{name}/tasks`: each task's id and config (the connector's, as MM2's tasks
/// carry it plus their index).
pub(super) fn tasks(now: &Now, c: &ConnectorSpec, target: Target) -> Value {
    let base = config(c);
    Value::Array(
        (0..task_count(now, c, target))
            .map(|t| {
                let mut cfg = base.clone();
                cfg["task.index"] = Value::String(t.to_string());
                json!({"id": {"connector": c.name, "task": t}, "config": cfg})
            })
            .collect(),
    )
}
