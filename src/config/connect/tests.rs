//! Connect-mode files resolved as MM2 gives them meaning: a runbook's worker file and its three
//! connectors (JSON and `.properties`), and each bad input named at its file and line.

use super::*;

const WORKER: &str = "\
bootstrap.servers = secondary-1:9092,secondary-2:9092
group.id = mm2-connect-cluster
offset.storage.topic = connect-offsets
offset.storage.replication.factor = 3
config.storage.topic = connect-configs
status.storage.topic = connect-status
offset.flush.interval.ms = 5000
rest.port = 8083
producer.linger.ms = 7
security.protocol = PLAINTEXT
";

const SOURCE: &str = r#"{
  "name": "mm2-source-connector",
  "config": {
    "connector.class": "org.apache.kafka.connect.mirror.MirrorSourceConnector",
    "source.cluster.alias": "primary",
    "target.cluster.alias": "secondary",
    "source.cluster.bootstrap.servers": "primary-1:9092",
    "target.cluster.bootstrap.servers": "secondary-1:9092",
    "topics": "orders.*",
    "tasks.max": "4",
    "source.consumer.fetch.min.bytes": "2048",
    "replication.factor": "3"
  }
}
"#;

const CHECKPOINT: &str = "\
name = mm2-checkpoint-connector
connector.class = MirrorCheckpointConnector
source.cluster.alias = primary
target.cluster.alias = secondary
source.cluster.bootstrap.servers = primary-1:9092
target.cluster.bootstrap.servers = secondary-1:9092
groups = billing.*
tasks.max = 1
emit.checkpoints.interval.seconds = 5
";

const HEARTBEAT: &str = r#"{"name": "mm2-heartbeat-connector", "config": {
  "connector.class": "MirrorHeartbeat",
  "source.cluster.alias": "primary",
  "target.cluster.alias": "secondary",
  "target.cluster.bootstrap.servers": "secondary-1:9092"
}}"#;

/// Writes the files into a temp dir and loads them (the first is the worker file).
fn load_files(files: &[(&str, &str)]) -> (tempfile::TempDir, Result<ConnectConfig, ConfigError>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let paths: Vec<PathBuf> = files
        .iter()
        .map(|(name, text)| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).expect("write");
            p
        })
        .collect();
    let r = load(Some(&paths[0]), &paths[1..]);
    (dir, r)
}

#[test]
fn a_runbooks_three_connectors_make_one_flow_with_each_part_and_mm2s_meanings() {
    let (_d, r) = load_files(&[
        ("connect-distributed.properties", WORKER),
        ("mm2-source.json", SOURCE),
        ("mm2-checkpoint.properties", CHECKPOINT),
        ("mm2-heartbeat.json", HEARTBEAT),
    ]);
    let c = r.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.connectors.len(), 3);
    assert_eq!(c.worker.group_id.as_deref(), Some("mm2-connect-cluster"));
    assert_eq!(c.mm2.flows.len(), 1);
    let f = &c.mm2.flows[0];
    assert_eq!(f.label(), "primary->secondary");
    assert_eq!(f.tasks_max, 4, "the source connector's tasks.max");
    assert!(f.should_replicate_topic("orders-eu") && !f.should_replicate_topic("payments"));
    assert_eq!(f.source_consumer.bootstrap, vec!["primary-1:9092"]);
    assert_eq!(f.fetch.min_bytes, 2048);
    assert_eq!(
        f.target_producer.bootstrap,
        vec!["secondary-1:9092"],
        "records go to the target"
    );
    assert_eq!(
        f.produce.linger,
        std::time::Duration::from_millis(7),
        "the worker's producer tuning"
    );
    assert_eq!(f.offset_storage.topic, "connect-offsets");
    assert_eq!(
        f.offset_storage.connector, "mm2-source-connector",
        "progress is keyed by the REST name"
    );
    assert_eq!(
        f.offset_storage.flush_interval,
        std::time::Duration::from_millis(5000)
    );
    let cp = f
        .checkpoints
        .as_ref()
        .expect("the checkpoint connector runs checkpoints");
    assert!(cp.groups.matches("billing-eu") && !cp.groups.matches("other"));
    assert_eq!(cp.interval, std::time::Duration::from_secs(5));
    assert_eq!(c.mm2.heartbeats.len(), 1, "the heartbeat connector emits");
    let report = c.key_report().join("\n");
    for (file_key, what) in [
        (
            "mm2-source.json:line    4  connector.class",
            "acts: a source connector",
        ),
        ("mm2-checkpoint.properties:line    7  groups", "acts:"),
        (
            "connect-distributed.properties:line    8  rest.port",
            "acts: where the REST API listens",
        ),
        (
            "connect-distributed.properties:line    2  group.id",
            "no effect yet",
        ),
        (
            "connect-distributed.properties:line   10  security.protocol",
            "acts: the connection to the worker's cluster",
        ),
    ] {
        let line = report
            .lines()
            .find(|l| l.trim_start().starts_with(file_key))
            .unwrap_or_else(|| panic!("{file_key} in\n{report}"));
        assert!(line.contains(what), "{line}");
    }
    assert!(
        !report.contains("secondary-1:9092"),
        "values are never shown"
    );
    assert!(
        c.warnings.iter().any(|w| w.contains("tasks.max")),
        "{:?}",
        c.warnings
    );
    assert!(
        !c.warnings.iter().any(|w| w.contains("bootstrap.servers")),
        "the worker's cluster is the target: {:?}",
        c.warnings
    );
}

#[test]
fn each_connector_runs_only_its_part() {
    let (_d, r) = load_files(&[("w.properties", WORKER), ("s.json", SOURCE)]);
    let c = r.unwrap_or_else(|e| panic!("{e}"));
    assert!(
        c.mm2.flows[0].checkpoints.is_none(),
        "no checkpoint connector"
    );
    assert!(c.mm2.heartbeats.is_empty(), "no heartbeat connector");
    let (_d, r) = load_files(&[("w.properties", WORKER), ("h.json", HEARTBEAT)]);
    let c = r.unwrap_or_else(|e| panic!("{e}"));
    assert!(c.mm2.flows.is_empty(), "no source connector, no data");
    assert_eq!(c.mm2.heartbeats.len(), 1);
}

#[test]
fn a_worker_on_another_cluster_is_warned_about_loudly() {
    let worker = WORKER.replace("secondary-1:9092,secondary-2:9092", "primary-1:9092");
    let (_d, r) = load_files(&[("w.properties", &worker), ("s.json", SOURCE)]);
    let c = r.unwrap_or_else(|e| panic!("{e}"));
    let w = c.warnings.join("\n");
    assert!(
        w.contains("primary-1:9092") && w.contains("target cluster secondary"),
        "{w}"
    );
}

#[test]
fn bad_connectors_are_named_at_their_file_and_line() {
    let cases: Vec<(String, &str)> = vec![
        (
            SOURCE.replace(
                "org.apache.kafka.connect.mirror.MirrorSourceConnector",
                "com.acme.Sink",
            ),
            "mm2-source.json:4: `connector.class`: unknown connector class `com.acme.Sink`",
        ),
        (
            SOURCE.replace("\"source.cluster.alias\": \"primary\",", ""),
            "`source.cluster.alias` is missing; MM2 would call the cluster `source`",
        ),
        (
            SOURCE.replace("\"topics\": \"orders.*\"", "\"topics\": \"orders(\""),
            "mm2-source.json:9: `topics`",
        ),
        (
            SOURCE.replace("\"tasks.max\": \"4\"", "\"tasks.max\": \"many\""),
            "mm2-source.json:10: `tasks.max`",
        ),
    ];
    for (source, needle) in cases {
        let (_d, r) = load_files(&[("w.properties", WORKER), ("mm2-source.json", &source)]);
        let e = r.expect_err(needle).to_string();
        assert!(e.contains(needle), "{needle}\n  got: {e}");
    }
    // A standalone worker (no config topic) runs only what the files give: a checkpoint
    // connector alone is refused. A distributed one keeps it waiting for its source connector,
    // which may come over REST.
    let standalone = WORKER.replace("config.storage.topic = connect-configs\n", "");
    let (_d, r) = load_files(&[("w.properties", &standalone), ("cp.properties", CHECKPOINT)]);
    let e = r.expect_err("a checkpoint connector alone").to_string();
    assert!(
        e.contains("cp.properties:2") && e.contains("source connector"),
        "{e}"
    );
    let (_d, r) = load_files(&[("w.properties", WORKER), ("cp.properties", CHECKPOINT)]);
    let waiting = r.expect("a distributed worker keeps it waiting");
    assert!(waiting.flows().is_empty() && waiting.connectors.len() == 1);
    // A distributed worker needs its status topic as well.
    let no_status = WORKER.replace("status.storage.topic = connect-status\n", "");
    let (_d, r) = load_files(&[("w.properties", &no_status), ("mm2-source.json", SOURCE)]);
    let e = r.expect_err("no status topic").to_string();
    assert!(
        e.contains("w.properties:5: `config.storage.topic`") && e.contains("status.storage.topic"),
        "{e}"
    );
    let (_d, r) = load_files(&[
        ("w.properties", WORKER),
        ("a.json", SOURCE),
        ("b.json", SOURCE),
    ]);
    let e = r.expect_err("a name twice").to_string();
    assert!(e.contains("mm2-source-connector is also defined"), "{e}");
}
