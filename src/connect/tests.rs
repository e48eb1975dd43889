//! The REST API's paths, codes and shapes, asked through the router itself (no socket), with
//! states set on the board as the flows set them.

use axum::body::Body;
use axum::http::Request;
use tower::ServiceExt;

use super::*;
use crate::replicate::status::FlowState;
use serde_json::Value;

const WORKER: &str = "bootstrap.servers = 127.0.0.1:9\nlisteners = http://127.0.0.1:18083\nrest.advertised.host.name = connect-1\n";
const SOURCE: &str = r#"{"name": "mm2-source", "config": {
  "connector.class": "MirrorSourceConnector",
  "source.cluster.alias": "primary", "target.cluster.alias": "secondary",
  "source.cluster.bootstrap.servers": "127.0.0.1:9", "target.cluster.bootstrap.servers": "127.0.0.1:9",
  "source.cluster.sasl.jaas.config": "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password=\"p\";",
  "source.cluster.security.protocol": "SASL_PLAINTEXT", "source.cluster.sasl.mechanism": "PLAIN",
  "tasks.max": "2"}}"#;
const HEARTBEAT: &str = r#"{"name": "mm2-heartbeat", "config": {
  "connector.class": "MirrorHeartbeatConnector",
  "source.cluster.alias": "primary", "target.cluster.alias": "secondary",
  "target.cluster.bootstrap.servers": "127.0.0.1:9"}}"#;

/// The router for the files above, and the board its flows report to.
fn router() -> (tempfile::TempDir, Router, StatusBoard) {
    let (d, r, b, _) = router_and_publisher();
    (d, r, b)
}

/// [`router`] with the publisher of its statuses.
fn router_and_publisher() -> (
    tempfile::TempDir,
    Router,
    StatusBoard,
    status_writer::StatusPublisher,
) {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let worker = write("w.properties", WORKER);
    let files = vec![write("s.json", SOURCE), write("h.json", HEARTBEAT)];
    let config = crate::config::connect::load(Some(&worker), &files).unwrap();
    assert_eq!(config.worker.worker_id, "connect-1:18083");
    assert_eq!(config.worker.rest_listen.to_string(), "127.0.0.1:18083");
    let board = StatusBoard::default();
    let control = Arc::new(Mutex::new(Controller::new(config.clone())));
    let (routes, publisher) = routes(&config, board.clone(), control);
    (dir, routes, board, publisher)
}

/// One request: status code and JSON body.
async fn ask(r: &Router, method: &str, uri: &str) -> (u16, Value) {
    send(r, method, uri, "").await
}

/// One request with `body`: status code and JSON body.
async fn send(r: &Router, method: &str, uri: &str, body: &str) -> (u16, Value) {
    let resp = r
        .clone()
        .oneshot(
            Request::builder()
                .method(method)
                .uri(uri)
                .header("content-type", "application/json")
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await
        .unwrap();
    let code = resp.status().as_u16();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    (code, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

#[tokio::test]
async fn connectors_info_config_and_tasks_in_connects_shapes() {
    let (_d, r, _) = router();
    assert_eq!(
        ask(&r, "GET", "/connectors").await,
        (200, json!(["mm2-source", "mm2-heartbeat"]))
    );
    let (code, info) = ask(&r, "GET", "/connectors/mm2-source").await;
    assert_eq!(code, 200);
    assert_eq!(info["type"], "source");
    assert_eq!(
        info["tasks"],
        json!([{"connector": "mm2-source", "task": 0}, {"connector": "mm2-source", "task": 1}])
    );
    assert_eq!(info["config"]["tasks.max"], "2");
    assert_eq!(info["config"]["name"], "mm2-source");
    let (_, config) = ask(&r, "GET", "/connectors/mm2-source/config").await;
    assert_eq!(
        config["source.cluster.sasl.jaas.config"], "[hidden]",
        "no password over HTTP"
    );
    assert!(!config.to_string().contains("password=\\\"p"), "{config}");
    let (_, tasks) = ask(&r, "GET", "/connectors/mm2-source/tasks").await;
    assert_eq!(
        tasks[1]["id"],
        json!({"connector": "mm2-source", "task": 1})
    );
    let (code, health) = ask(&r, "GET", "/health").await;
    assert_eq!((code, health["status"].clone()), (200, json!("healthy")));
}

#[tokio::test]
async fn status_follows_the_flow_and_a_failed_flow_says_why() {
    let (_d, r, board) = router();
    let (_, s) = ask(&r, "GET", "/connectors/mm2-source/status").await;
    assert_eq!(
        s["connector"]["state"], "UNASSIGNED",
        "not started yet: {s}"
    );
    board.set("primary->secondary", FlowState::Running);
    let (_, s) = ask(&r, "GET", "/connectors/mm2-source/status").await;
    assert_eq!(
        s["connector"],
        json!({"state": "RUNNING", "worker_id": "connect-1:18083"})
    );
    assert_eq!(
        s["tasks"][1],
        json!({"id": 1, "state": "RUNNING", "worker_id": "connect-1:18083"})
    );
    board.set(
        "primary->secondary",
        FlowState::Failed {
            trace: "topic discovery failed (retrying): source cluster primary: connection refused"
                .into(),
        },
    );
    let (_, s) = ask(&r, "GET", "/connectors/mm2-source/status").await;
    assert_eq!(s["connector"]["state"], "FAILED");
    assert!(
        s["connector"]["trace"]
            .as_str()
            .unwrap()
            .contains("source cluster primary"),
        "{s}"
    );
    let (code, t) = ask(&r, "GET", "/connectors/mm2-source/tasks/1/status").await;
    assert_eq!((code, t["state"].clone()), (200, json!("FAILED")));
    let (_, all) = ask(&r, "GET", "/connectors?expand=status&expand=info").await;
    assert_eq!(all["mm2-source"]["status"]["connector"]["state"], "FAILED");
    assert_eq!(all["mm2-heartbeat"]["info"]["name"], "mm2-heartbeat");
    assert_eq!(
        all["mm2-heartbeat"]["status"]["connector"]["state"],
        "RUNNING"
    );
}

#[tokio::test]
async fn plugins_list_mm2s_connectors_and_only_the_source_connector_keeps_offsets() {
    let (_d, r, _) = router();
    let (code, plugins) = ask(&r, "GET", "/connector-plugins").await;
    assert_eq!(code, 200);
    let classes: Vec<&str> = plugins
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["class"].as_str().unwrap())
        .collect();
    assert_eq!(
        classes,
        vec![
            "org.apache.kafka.connect.mirror.MirrorSourceConnector",
            "org.apache.kafka.connect.mirror.MirrorCheckpointConnector",
            "org.apache.kafka.connect.mirror.MirrorHeartbeatConnector"
        ]
    );
    assert_eq!(
        ask(&r, "GET", "/connectors/mm2-heartbeat/offsets").await,
        (200, json!({"offsets": []}))
    );
    assert_eq!(ask(&r, "GET", "/connectors/nope/offsets").await.0, 404);
}

#[tokio::test]
async fn unknown_connectors_and_unbuilt_changes_get_connects_error_shape() {
    let (_d, r, _) = router();
    assert_eq!(
        ask(&r, "GET", "/connectors/nope/status").await,
        (
            404,
            json!({"error_code": 404, "message": "Connector nope not found"})
        )
    );
    let (code, body) = ask(&r, "GET", "/connectors/mm2-source/tasks/7/status").await;
    assert_eq!((code, body["error_code"].clone()), (404, json!(404)));
    assert_eq!(ask(&r, "PUT", "/connectors/nope/pause").await.0, 404);
    let (code, body) = ask(&r, "GET", "/no/such/path").await;
    assert_eq!((code, body["error_code"].clone()), (404, json!(404)));
}

#[tokio::test]
async fn pause_stop_resume_and_delete_set_the_states_connect_shows() {
    let (_d, r, board) = router();
    board.set("primary->secondary", FlowState::Running);
    assert_eq!(ask(&r, "PUT", "/connectors/mm2-source/pause").await.0, 202);
    let (_, s) = ask(&r, "GET", "/connectors/mm2-source/status").await;
    assert_eq!(s["connector"]["state"], "PAUSED");
    assert_eq!(s["tasks"][0]["state"], "PAUSED");
    assert_eq!(ask(&r, "PUT", "/connectors/mm2-source/stop").await.0, 204);
    let (_, s) = ask(&r, "GET", "/connectors/mm2-source/status").await;
    assert_eq!(
        (s["connector"]["state"].clone(), s["tasks"].clone()),
        (json!("STOPPED"), json!([]))
    );
    assert_eq!(ask(&r, "PUT", "/connectors/mm2-source/resume").await.0, 202);
    let (_, s) = ask(&r, "GET", "/connectors/mm2-source/status").await;
    assert_eq!(s["connector"]["state"], "RUNNING");
    assert_eq!(
        ask(&r, "POST", "/connectors/mm2-source/restart").await.0,
        204
    );
    assert_eq!(ask(&r, "DELETE", "/connectors/mm2-heartbeat").await.0, 204);
    assert_eq!(ask(&r, "GET", "/connectors").await.1, json!(["mm2-source"]));
    assert_eq!(
        ask(&r, "GET", "/connectors/mm2-heartbeat/status").await.0,
        404
    );
    assert_eq!(
        ask(&r, "DELETE", "/connectors/mm2-source").await.0,
        204,
        "the last one too"
    );
    assert_eq!(ask(&r, "GET", "/connectors").await.1, json!([]));
}

/// Dedicated mode's router for the mm2.properties `text`.
fn dedicated(text: &str) -> Router {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mm2.properties");
    std::fs::write(&path, text).unwrap();
    let c = crate::config::Mm2Config::load(&path).unwrap();
    dedicated_routes(
        &c.flows,
        &c.heartbeats,
        "h:1".into(),
        StatusBoard::default(),
    )
    .0
}

#[tokio::test]
async fn dedicated_mode_names_connectors_as_mm2s_herders_do() {
    let one = "clusters = a, b\na.bootstrap.servers = 127.0.0.1:9\nb.bootstrap.servers = 127.0.0.1:9\na->b.enabled = true\nb->a.emit.heartbeats.enabled = false\n";
    let r = dedicated(one);
    let (_, names) = ask(&r, "GET", "/connectors").await;
    assert_eq!(
        names,
        json!([
            "MirrorSourceConnector",
            "MirrorCheckpointConnector",
            "MirrorHeartbeatConnector"
        ])
    );
    let (_, cfg) = ask(&r, "GET", "/connectors/MirrorSourceConnector/config").await;
    assert_eq!(cfg["source.cluster.alias"], "a");
    let (code, body) = ask(&r, "PUT", "/connectors/MirrorSourceConnector/pause").await;
    assert_eq!(code, 405, "dedicated mode is read-only: {body}");
    // A second pair (here b->a's heartbeats) prefixes every name with its pair.
    let r = dedicated(&one.replace("b->a.emit.heartbeats.enabled = false\n", ""));
    let (_, names) = ask(&r, "GET", "/connectors").await;
    assert!(
        names
            .as_array()
            .unwrap()
            .contains(&json!("a-b-MirrorSourceConnector"))
            && names
                .as_array()
                .unwrap()
                .contains(&json!("b-a-MirrorHeartbeatConnector")),
        "{names}"
    );
}

/// A second source connector for another pair, as a runbook POSTs it.
const OTHER: &str = r#"{"name": "dr-source", "config": {
  "connector.class": "org.apache.kafka.connect.mirror.MirrorSourceConnector",
  "source.cluster.alias": "dr", "target.cluster.alias": "secondary",
  "source.cluster.bootstrap.servers": "127.0.0.1:9", "target.cluster.bootstrap.servers": "127.0.0.1:9",
  "topics": "orders.*", "tasks.max": 3}}"#;

#[tokio::test]
async fn post_put_and_patch_create_and_change_connectors_as_connect_answers() {
    let (_d, r, _) = router();
    let (code, info) = send(&r, "POST", "/connectors", OTHER).await;
    assert_eq!(code, 201, "{info}");
    assert_eq!(info["name"], "dr-source");
    assert_eq!(info["config"]["tasks.max"], "3");
    assert_eq!(info["tasks"].as_array().unwrap().len(), 3);
    assert_eq!(
        ask(&r, "GET", "/connectors").await.1,
        json!(["mm2-source", "mm2-heartbeat", "dr-source"])
    );
    let (code, body) = send(&r, "POST", "/connectors", OTHER).await;
    assert_eq!(
        (code, body),
        (
            409,
            json!({"error_code": 409, "message": "Connector dr-source already exists"})
        )
    );
    // PUT replaces the whole config (200), or creates (201).
    let mut config: Value = serde_json::from_str::<Value>(OTHER).unwrap()["config"].clone();
    config["topics"] = json!("invoices");
    let (code, info) = send(
        &r,
        "PUT",
        "/connectors/dr-source/config",
        &config.to_string(),
    )
    .await;
    assert_eq!(code, 200, "{info}");
    assert_eq!(info["config"]["topics"], "invoices");
    let (code, _) = send(
        &r,
        "PUT",
        "/connectors/dr-source-2/config",
        &config.to_string(),
    )
    .await;
    assert_eq!(
        code, 400,
        "strait runs one source connector per cluster pair"
    );
    // PATCH merges; null removes a key.
    let (code, info) = send(
        &r,
        "PATCH",
        "/connectors/dr-source/config",
        r#"{"tasks.max": "1", "topics": null}"#,
    )
    .await;
    assert_eq!(code, 200, "{info}");
    assert_eq!(info["config"]["tasks.max"], "1");
    assert!(info["config"].get("topics").is_none(), "{info}");
    assert_eq!(info["tasks"].as_array().unwrap().len(), 1);
    assert_eq!(
        send(&r, "PATCH", "/connectors/nope/config", "{}").await,
        (
            404,
            json!({"error_code": 404, "message": "Connector nope not found"})
        )
    );
    // Paused connectors stay paused across a config change; a new one may start paused.
    let mut paused: Value = serde_json::from_str(OTHER).unwrap();
    paused["name"] = json!("dr-paused");
    paused["config"]["source.cluster.alias"] = json!("dr2");
    paused["initial_state"] = json!("PAUSED");
    assert_eq!(
        send(&r, "POST", "/connectors", &paused.to_string()).await.0,
        201
    );
    let (_, status) = ask(&r, "GET", "/connectors/dr-paused/status").await;
    assert_eq!(status["connector"]["state"], "PAUSED");
}

#[tokio::test]
async fn each_bad_config_gets_its_own_400_and_changes_nothing() {
    let (_d, r, _) = router();
    let before = ask(&r, "GET", "/connectors?expand=info").await;
    let with = |edit: &dyn Fn(&mut Value)| {
        let mut v: Value = serde_json::from_str(OTHER).unwrap();
        edit(&mut v);
        v.to_string()
    };
    let cases: Vec<(&str, String, String, &str)> = vec![
        ("POST", "/connectors".into(), "{\"name\": \"x\", \"config\": {".into(), "Cannot parse the request body as JSON"),
        ("POST", "/connectors".into(), with(&|v| v["config"]["connector.class"] = json!("FileStreamSource")), "Failed to find any class that implements Connector and which name matches FileStreamSource"),
        ("POST", "/connectors".into(), with(&|v| { v["config"].as_object_mut().unwrap().remove("source.cluster.alias"); }), "`source.cluster.alias` is missing"),
        ("POST", "/connectors".into(), with(&|v| v["config"]["topics"] = json!("orders(")), "`topics`"),
        ("POST", "/connectors".into(), with(&|v| v["config"]["name"] = json!("other")), "Connector name configuration (other) doesn't match connector name in the URL (dr-source)"),
        ("PUT", "/connectors/dr-source/config".into(), String::new(), ""),
        ("PUT", "/connectors/y/config".into(), "{\"connector.class\": \"MirrorSourceConnector\", \"name\": \"z\"}".into(), "Connector name configuration (z) doesn't match connector name in the URL (y)"),
        ("PATCH", "/connectors/mm2-source/config".into(), "{\"tasks.max\": \"many\"}".into(), "`tasks.max`"),
        ("POST", "/connectors".into(), with(&|v| v["config"]["tasks.max"] = Value::Null), "Null value can not be supplied"),
    ];
    for (method, uri, body, needle) in cases {
        let body = if needle.is_empty() {
            // A PUT body whose `name` disagrees: the whole config map of the case above.
            let v: Value =
                serde_json::from_str(&with(&|v| v["config"]["name"] = json!("other"))).unwrap();
            v["config"].to_string()
        } else {
            body
        };
        let (code, answer) = send(&r, method, &uri, &body).await;
        assert_eq!(code, 400, "{method} {uri} {body}: {answer}");
        assert_eq!(answer["error_code"], 400);
        let message = answer["message"].as_str().unwrap();
        let needle = if needle.is_empty() {
            "doesn't match connector name in the URL (dr-source)"
        } else {
            needle
        };
        assert!(
            message.contains(needle),
            "{method} {uri}: `{needle}` not in `{message}`"
        );
        assert!(!message.contains("password"), "{message}");
    }
    assert_eq!(ask(&r, "GET", "/connectors?expand=info").await, before);
}

#[tokio::test]
async fn offsets_change_only_while_stopped_and_bad_offsets_get_mm2s_messages() {
    let (_d, r, _) = router();
    let body = r#"{"offsets": [{"partition": {"cluster": "primary", "partition": 0, "topic": "orders"}, "offset": {"offset": 5}}]}"#;
    let (code, answer) = send(&r, "PATCH", "/connectors/mm2-source/offsets", body).await;
    assert_eq!(code, 400);
    assert_eq!(
        answer["message"],
        "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/mm2-source/stop' endpoint"
    );
    assert_eq!(
        send(&r, "DELETE", "/connectors/mm2-source/offsets", "")
            .await
            .0,
        400
    );
    assert_eq!(ask(&r, "PUT", "/connectors/mm2-source/stop").await.0, 204);
    for (bad, needle) in [
        (
            r#"{"offsets": []}"#,
            "Partitions / offsets need to be provided",
        ),
        (
            r#"{"offsets": [{"partition": {"cluster": "primary", "partition": 0}, "offset": {"offset": 5}}]}"#,
            "is missing the 'topic' key",
        ),
        (
            r#"{"offsets": [{"partition": {"cluster": "primary", "partition": -1, "topic": "t"}, "offset": {"offset": 5}}]}"#,
            "cannot be negative",
        ),
        (
            r#"{"offsets": [{"partition": {"cluster": "primary", "partition": 0, "topic": "t"}, "offset": {"offset": "x"}}]}"#,
            "must be a non-negative integer",
        ),
        (
            r#"{"offsets": [{"partition": {"cluster": "dr", "partition": 0, "topic": "t"}, "offset": null}]}"#,
            "this connector replicates from `primary`",
        ),
        ("{", "Cannot parse the request body as JSON"),
    ] {
        let (code, answer) = send(&r, "PATCH", "/connectors/mm2-source/offsets", bad).await;
        assert_eq!(code, 400, "{bad}: {answer}");
        let message = answer["message"].as_str().unwrap();
        assert!(
            message.contains(needle),
            "{bad}: `{needle}` not in `{message}`"
        );
    }
    // The heartbeat connector keeps no offsets: nothing to alter.
    assert_eq!(
        ask(&r, "PUT", "/connectors/mm2-heartbeat/stop").await.0,
        204
    );
    let (code, answer) = send(&r, "DELETE", "/connectors/mm2-heartbeat/offsets", "").await;
    assert_eq!(
        (code, answer["message"].as_str().unwrap_or_default()),
        (
            200,
            "The offsets for this connector have been reset successfully"
        )
    );
}

#[tokio::test]
async fn restart_variants_answer_as_connect_and_validate_finds_the_bad_key() {
    let (_d, r, board) = router();
    board.set("primary->secondary", FlowState::Running);
    // onlyFailed on a running connector: nothing restarts, 202 with the status as it is.
    let (code, status) = ask(
        &r,
        "POST",
        "/connectors/mm2-source/restart?includeTasks=true&onlyFailed=true",
    )
    .await;
    assert_eq!(
        (code, status["connector"]["state"].clone()),
        (202, json!("RUNNING"))
    );
    board.set(
        "primary->secondary",
        FlowState::Failed {
            trace: "source cluster primary: down".into(),
        },
    );
    let (code, status) = ask(
        &r,
        "POST",
        "/connectors/mm2-source/restart?includeTasks=true&onlyFailed=true",
    )
    .await;
    assert_eq!(code, 202);
    assert_eq!(status["connector"]["state"], "RESTARTING");
    assert!(
        status["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["state"] == "RESTARTING"),
        "{status}"
    );
    assert_eq!(
        ask(&r, "POST", "/connectors/mm2-source/restart").await.0,
        204
    );
    assert_eq!(
        ask(&r, "POST", "/connectors/mm2-source/tasks/1/restart")
            .await
            .0,
        204
    );
    assert_eq!(
        ask(&r, "POST", "/connectors/mm2-source/tasks/7/restart")
            .await
            .0,
        404
    );

    // Validation: a good config has no errors; a bad regex is reported at `topics`.
    let config: Value = serde_json::from_str::<Value>(OTHER).unwrap()["config"].clone();
    let (code, infos) = send(
        &r,
        "PUT",
        "/connector-plugins/MirrorSourceConnector/config/validate",
        &config.to_string(),
    )
    .await;
    assert_eq!(
        (code, infos["error_count"].clone()),
        (200, json!(0)),
        "{infos}"
    );
    assert_eq!(
        infos["name"],
        "org.apache.kafka.connect.mirror.MirrorSourceConnector"
    );
    let mut bad = config.clone();
    bad["topics"] = json!("orders(");
    let (code, infos) = send(
        &r,
        "PUT",
        "/connector-plugins/org.apache.kafka.connect.mirror.MirrorSourceConnector/config/validate",
        &bad.to_string(),
    )
    .await;
    assert_eq!(
        (code, infos["error_count"].clone()),
        (200, json!(1)),
        "{infos}"
    );
    let topics = infos["configs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["value"]["name"] == "topics")
        .unwrap();
    assert!(
        topics["value"]["errors"][0]
            .as_str()
            .unwrap()
            .contains("orders("),
        "{topics}"
    );
    let (code, _) = send(
        &r,
        "PUT",
        "/connector-plugins/MirrorHeartbeatConnector/config/validate",
        &config.to_string(),
    )
    .await;
    assert_eq!(
        code, 400,
        "the class in the body differs from the plugin in the path"
    );
    let (code, _) = send(
        &r,
        "PUT",
        "/connector-plugins/FileStreamSource/config/validate",
        "{}",
    )
    .await;
    assert_eq!(code, 400);
    // Nothing was created by validating.
    assert_eq!(
        ask(&r, "GET", "/connectors").await.1,
        json!(["mm2-source", "mm2-heartbeat"])
    );
}

/// The status metrics follow the states: 1 while running, 0 otherwise with the state as label,
/// the former state's series gone.
#[tokio::test(start_paused = true)]
async fn status_metrics_go_bad_when_a_connector_fails() {
    let (_d, r, board, publisher) = router_and_publisher();
    let metrics = crate::metrics::Metrics::new();
    let stop = tokio_util::sync::CancellationToken::new();
    let job = tokio::spawn(publisher.run(Some(metrics.clone()), stop.clone(), stop.clone()));
    let series = |text: &str, name: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.starts_with(name) && l.contains("mm2-source"))
            .map(str::to_string)
            .collect()
    };
    board.set("primary->secondary", FlowState::Running);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let text = metrics.render().unwrap();
    assert_eq!(
        series(&text, "kafka_connect_connector_status{"),
        vec![r#"kafka_connect_connector_status{connector="mm2-source",status="running"} 1"#]
    );
    assert_eq!(
        series(&text, "kafka_connect_connector_task_status{").len(),
        2
    );
    board.set(
        "primary->secondary",
        FlowState::Failed {
            trace: "down".into(),
        },
    );
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let text = metrics.render().unwrap();
    assert_eq!(
        series(&text, "kafka_connect_connector_status{"),
        vec![r#"kafka_connect_connector_status{connector="mm2-source",status="failed"} 0"#]
    );
    assert!(series(&text, "kafka_connect_connector_task_status{")
        .iter()
        .all(|l| l.ends_with(" 0") && l.contains("failed")));
    assert_eq!(ask(&r, "PUT", "/connectors/mm2-source/pause").await.0, 202);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let text = metrics.render().unwrap();
    assert_eq!(
        series(&text, "kafka_connect_connector_status{"),
        vec![r#"kafka_connect_connector_status{connector="mm2-source",status="paused"} 0"#]
    );
    stop.cancel();
    job.await.unwrap();
}
