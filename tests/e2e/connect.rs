//! `strait connect`: a Connect worker file and MM2's three connectors as a Connect runbook has
//! them (JSON for `curl -X POST /connectors`, `.properties` for standalone mode), run unchanged.
//! Witnesses strait did not write: Kafka's console consumer (records byte-identical, the progress
//! record keyed by the connector's REST name), MM2's `HeartbeatFormatter`, and Java's
//! `RemoteClusterUtils` reading the checkpoints.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::support::*;

/// The runbook's files for flow `alias -> secondary`, written to a fresh directory: the worker
/// file first, then the source (JSON), checkpoint (`.properties`) and heartbeat (JSON) connectors.
fn runbook(
    alias: &str,
    topic: &str,
    group: &str,
    offsets: &str,
    rest_port: u16,
    source_bootstrap: &str,
    extra_source: &str,
) -> Vec<std::path::PathBuf> {
    let p = pair();
    let dir = std::env::temp_dir().join(unique("connect-files"));
    std::fs::create_dir_all(&dir).unwrap();
    let (primary, secondary) = (source_bootstrap, p.secondary.bootstrap());
    let files = [
        (
            "connect-distributed.properties",
            format!(
                "bootstrap.servers={secondary}\n\
                 group.id={alias}-connect-cluster\n\
                 offset.storage.topic={offsets}\n\
                 offset.storage.replication.factor=3\n\
                 config.storage.topic={alias}-configs\n\
                 status.storage.topic={alias}-status\n\
                 offset.flush.interval.ms=1000\n\
                 listeners=http://127.0.0.1:{rest_port}\n\
                 key.converter=org.apache.kafka.connect.converters.ByteArrayConverter\n\
                 value.converter=org.apache.kafka.connect.converters.ByteArrayConverter\n"
            ),
        ),
        (
            "mm2-source.json",
            format!(
                r#"{{
  "name": "{alias}-source-connector",
  "config": {{
    "connector.class": "org.apache.kafka.connect.mirror.MirrorSourceConnector",
    "source.cluster.alias": "{alias}",
    "target.cluster.alias": "secondary",
    "source.cluster.bootstrap.servers": "{primary}",
    "target.cluster.bootstrap.servers": "{secondary}",
    "topics": "{topic}",
    "tasks.max": "2",
    "replication.factor": "3",
    "offset-syncs.topic.replication.factor": "1",
    "sync.topic.acls.enabled": "false",{extra_source}
    "key.converter": "org.apache.kafka.connect.converters.ByteArrayConverter",
    "value.converter": "org.apache.kafka.connect.converters.ByteArrayConverter"
  }}
}}
"#
            ),
        ),
        (
            "mm2-checkpoint.properties",
            format!(
                "name={alias}-checkpoint-connector\n\
                 connector.class=org.apache.kafka.connect.mirror.MirrorCheckpointConnector\n\
                 source.cluster.alias={alias}\n\
                 target.cluster.alias=secondary\n\
                 source.cluster.bootstrap.servers={primary}\n\
                 target.cluster.bootstrap.servers={secondary}\n\
                 groups={group}\n\
                 emit.checkpoints.interval.seconds=1\n\
                 refresh.groups.interval.seconds=1\n\
                 sync.group.offsets.enabled=false\n"
            ),
        ),
        (
            "mm2-heartbeat.json",
            format!(
                r#"{{"name": "{alias}-heartbeat-connector", "config": {{
  "connector.class": "MirrorHeartbeatConnector",
  "source.cluster.alias": "{alias}",
  "target.cluster.alias": "secondary",
  "target.cluster.bootstrap.servers": "{secondary}",
  "emit.heartbeats.interval.seconds": "1"
}}}}
"#
            ),
        ),
    ];
    files
        .iter()
        .map(|(name, text)| {
            let path = dir.join(name);
            std::fs::write(&path, text).unwrap();
            path
        })
        .collect()
}

#[test]
fn a_connect_runbooks_three_connectors_run_unchanged() {
    let p = pair();
    let alias = unique("cnx");
    let topic = unique("connect");
    let group = unique("cnxapp");
    let offsets = format!("{alias}-offsets");
    let remote = format!("{alias}.{topic}");
    p.primary.create_topic(&topic, 2, 1, &[]);
    p.primary.produce(&topic, 2, 40, "lz4", 51);
    p.primary
        .commit_group(&group, &topic, &[(0, 15), (1, 40)], "");
    let port = free_port_base(1);
    let files = runbook(
        &alias,
        &topic,
        &group,
        &offsets,
        port,
        p.primary.bootstrap(),
        "",
    );
    let args: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();

    // `strait check` reads the same files and says what each connector runs.
    let (code, out, err) = strait_command(&["check"], &files[0], &[&args[1], &args[2], &args[3]]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains("3 connector(s): 1 flow(s) replicating, 1 heartbeat emitter(s)"),
        "{out}"
    );

    let mut strait = Strait::start_command("connect", &files[0], &[&args[1], &args[2], &args[3]]);
    let source = p.primary.dump(&topic, 80, false);
    wait_until(
        Duration::from_secs(120),
        "every record on the target",
        || {
            strait.assert_running();
            p.secondary.has_topic(&remote)
                && p.secondary.end_offsets(&remote).values().sum::<i64>() == 80
        },
    );
    assert_same_records(&p.secondary.dump(&remote, 80, false), &source, true);

    // Checkpoints, read by Java's RemoteClusterUtils.
    let want: BTreeMap<(String, i32), i64> = [((remote.clone(), 0), 15), ((remote.clone(), 1), 40)]
        .into_iter()
        .collect();
    wait_until(
        Duration::from_secs(60),
        "the checkpoint connector's checkpoints",
        || {
            strait.assert_running();
            p.secondary.translate_offsets(&alias, &group) == want
        },
    );
    // Heartbeats of this pair, decoded by MM2's formatter.
    let mark = format!("sourceClusterAlias={alias}, targetClusterAlias=secondary");
    wait_until(
        Duration::from_secs(60),
        "the heartbeat connector's heartbeats",
        || {
            p.secondary
                .formatted("heartbeats", "HeartbeatFormatter")
                .iter()
                .any(|l| l.contains(&mark))
        },
    );
    // The runbook's curl checks.
    let names = curl_json(port, "/connectors");
    assert_eq!(
        names,
        serde_json::json!([
            format!("{alias}-source-connector"),
            format!("{alias}-checkpoint-connector"),
            format!("{alias}-heartbeat-connector")
        ])
    );
    let status = curl_json(
        port,
        &format!("/connectors/{alias}-source-connector/status"),
    );
    assert_eq!(status["connector"]["state"], "RUNNING", "{status:#}");
    assert_eq!(status["tasks"].as_array().unwrap().len(), 2, "{status:#}");
    assert!(
        status["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["state"] == "RUNNING"),
        "{status:#}"
    );
    let root = curl_json(port, "/");
    assert!(
        root["kafka_cluster_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty()),
        "{root:#}"
    );
    // Progress, keyed by the source connector's REST name as Java Connect keys it.
    let key_prefix = format!("[\"{alias}-source-connector\",{{\"cluster\":\"{alias}\"");
    wait_until(
        Duration::from_secs(30),
        "progress under the connector's name",
        || {
            p.secondary.has_topic(&offsets)
                && p.secondary
                    .dump_all(&offsets)
                    .iter()
                    .any(|r| r.key.as_deref().is_some_and(|k| k.starts_with(&key_prefix)))
        },
    );

    // The same progress through the REST API, as Connect shows it: the last replicated offset.
    let offsets_path = format!("/connectors/{alias}-source-connector/offsets");
    let want_offsets = serde_json::json!({"offsets": [
        {"partition": {"cluster": alias, "partition": 0, "topic": topic}, "offset": {"offset": 39}},
        {"partition": {"cluster": alias, "partition": 1, "topic": topic}, "offset": {"offset": 39}},
    ]});
    wait_until(
        Duration::from_secs(30),
        "GET .../offsets at the ends",
        || curl_try(port, &offsets_path).as_ref() == Some(&want_offsets),
    );

    // A restart with the same files continues from that progress: new records arrive, none twice.
    stop_cleanly(&mut strait);
    p.primary.produce_from(&topic, 2, 40, 5, "lz4", 51);
    strait.restart(&[&args[1], &args[2], &args[3]]);
    wait_until(
        Duration::from_secs(120),
        "the records written while stopped",
        || {
            strait.assert_running();
            p.secondary.end_offsets(&remote).values().sum::<i64>() >= 90
        },
    );
    let all = p.primary.dump(&topic, 90, false);
    assert_same_records(&p.secondary.dump(&remote, 90, false), &all, true);

    // Pause stops new records at the target; resume continues, nothing lost or doubled.
    let source_connector = format!("{alias}-source-connector");
    wait_until(
        Duration::from_secs(60),
        "the REST API after the restart",
        || curl_try(port, "/connectors").is_some(),
    );
    assert_eq!(
        curl_code(
            port,
            "PUT",
            &format!("/connectors/{source_connector}/pause")
        ),
        202
    );
    let status = curl_json(port, &format!("/connectors/{source_connector}/status"));
    assert_eq!(status["connector"]["state"], "PAUSED", "{status:#}");
    p.primary.produce_from(&topic, 2, 45, 3, "lz4", 51);
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(
        p.secondary.end_offsets(&remote).values().sum::<i64>(),
        90,
        "nothing arrives while paused"
    );
    assert_eq!(
        curl_code(
            port,
            "PUT",
            &format!("/connectors/{source_connector}/resume")
        ),
        202
    );
    wait_until(
        Duration::from_secs(120),
        "the records written while paused",
        || {
            strait.assert_running();
            p.secondary.end_offsets(&remote).values().sum::<i64>() >= 96
        },
    );
    let all = p.primary.dump(&topic, 96, false);
    assert_same_records(&p.secondary.dump(&remote, 96, false), &all, true);

    // DELETE stops the connector.
    assert_eq!(
        curl_code(port, "DELETE", &format!("/connectors/{source_connector}")),
        204
    );
    let names = curl_json(port, "/connectors");
    assert!(!names.to_string().contains(&source_connector), "{names}");
    p.primary.produce_from(&topic, 2, 48, 2, "lz4", 51);
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(
        p.secondary.end_offsets(&remote).values().sum::<i64>(),
        96,
        "nothing arrives after the delete"
    );
    stop_cleanly(&mut strait);
}

/// A connector whose source cluster cannot be reached is FAILED, with a trace naming the
/// cluster, and so are its tasks: never RUNNING with nothing running.
#[test]
fn a_connector_that_cannot_reach_its_cluster_is_failed_with_a_trace() {
    let alias = unique("cnf");
    let port = free_port_base(1);
    let files = runbook(
        &alias,
        "nothing",
        &alias,
        &format!("{alias}-offsets"),
        port,
        "127.0.0.1:1",
        // A short request timeout, so that each attempt gives up soon.
        "\n    \"source.cluster.request.timeout.ms\": \"5000\",",
    );
    let args: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    let metrics_port = free_port_base(1);
    let metrics_listen = format!("127.0.0.1:{metrics_port}");
    let mut strait = Strait::start_command(
        "connect",
        &files[0],
        &[&args[1], "--metrics-listen", &metrics_listen],
    );
    let path = format!("/connectors/{alias}-source-connector/status");
    let mut last = serde_json::Value::Null;
    wait_until(
        Duration::from_secs(90),
        "the connector reported FAILED",
        || {
            strait.assert_running();
            last = curl_try(port, &path).unwrap_or_default();
            last["connector"]["state"] == "FAILED"
        },
    );
    let trace = last["connector"]["trace"].as_str().unwrap_or_default();
    assert!(
        trace.contains(&alias) || trace.contains("127.0.0.1:1"),
        "{last:#}"
    );
    assert!(
        last["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["state"] != "RUNNING"),
        "{last:#}"
    );
    // The status metric goes bad too: the runbook alert `kafka_connect_connector_status != 1`
    // fires.
    let want = format!(
        "kafka_connect_connector_status{{connector=\"{alias}-source-connector\",status=\"failed\"}} 0"
    );
    let mut scraped = String::new();
    wait_until(Duration::from_secs(30), "the failed status metric", || {
        let mut cmd = std::process::Command::new("curl");
        cmd.args(["-sS", &format!("http://{metrics_listen}/metrics")]);
        scraped = run_with_timeout(cmd, "curl /metrics", Duration::from_secs(30)).stdout_str();
        scraped.lines().any(|l| l == want)
    });
    stop_cleanly(&mut strait);
}

/// `strait run --rest-listen` serves the same status endpoints for dedicated mode's flows, named
/// as MM2 names its connectors, so the runbook's curl checks work there too.
#[test]
fn dedicated_mode_serves_the_connector_status_endpoints() {
    let p = pair();
    let alias = unique("cnd");
    let topic = unique("dedicated");
    p.primary.create_topic(&topic, 2, 1, &[]);
    p.primary.produce(&topic, 2, 10, "none", 52);
    let port = free_port_base(1);
    let listen = format!("127.0.0.1:{port}");
    let config = flow_config(&alias, &format!("topics = {topic}\ntasks.max = 2"));
    let mut strait = Strait::start(&config, &["--rest-listen", &listen]);
    let remote = format!("{alias}.{topic}");
    wait_until(Duration::from_secs(120), "the copy", || {
        strait.assert_running();
        p.secondary.has_topic(&remote)
            && p.secondary.end_offsets(&remote).values().sum::<i64>() == 20
    });
    let names = curl_json(port, "/connectors");
    let source = format!("{alias}-secondary-MirrorSourceConnector");
    assert!(
        names
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n == source.as_str()),
        "{names}"
    );
    let status = curl_json(port, &format!("/connectors/{source}/status"));
    assert_eq!(status["connector"]["state"], "RUNNING", "{status:#}");
    assert_eq!(status["connector"]["worker_id"], listen.as_str());
    assert_eq!(status["tasks"].as_array().unwrap().len(), 2, "{status:#}");
    stop_cleanly(&mut strait);
}
