//! A distributed `strait connect` worker keeps its connectors in Connect's own topics: connectors
//! POSTed with curl are written to the config topic, changed with PUT and PATCH, reloaded after a
//! restart, and their statuses written to the status topic. And because the formats are
//! Connect's, a real Java Connect worker (`org.apache.kafka.connect.cli.ConnectDistributed`
//! running MM2's connector, `scripts/java-connect.sh`) and strait take over from each other with
//! the same worker file. Witnesses strait did not write: curl, Kafka's console consumer (records
//! byte-identical, the config and status topics), and Java Connect itself.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::json;

use crate::support::*;

/// A fresh directory for one test's files.
fn files_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(unique("connect-state"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes `text` to `dir/name`.
fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// A distributed worker file on the secondary, as a runbook writes it for Java Connect. Java
/// Connect needs the byte-array header converter too: with its default (`SimpleHeaderConverter`)
/// MM2's connector writes every header value base64-encoded (strait copies bytes whatever the
/// converters say).
fn worker_text(alias: &str, port: u16) -> String {
    format!(
        "bootstrap.servers={}\n\
         group.id={alias}-connect-cluster\n\
         offset.storage.topic={alias}-offsets\n\
         config.storage.topic={alias}-configs\n\
         status.storage.topic={alias}-status\n\
         offset.flush.interval.ms=1000\n\
         listeners=http://127.0.0.1:{port}\n\
         key.converter=org.apache.kafka.connect.converters.ByteArrayConverter\n\
         value.converter=org.apache.kafka.connect.converters.ByteArrayConverter\n\
         header.converter=org.apache.kafka.connect.converters.ByteArrayConverter\n",
        pair().secondary.bootstrap()
    )
}

/// The config map of MM2's source connector `alias -> secondary` for `topics`.
fn source_config(alias: &str, topics: &str) -> serde_json::Value {
    let p = pair();
    json!({
        "connector.class": "org.apache.kafka.connect.mirror.MirrorSourceConnector",
        "source.cluster.alias": alias,
        "target.cluster.alias": "secondary",
        "source.cluster.bootstrap.servers": p.primary.bootstrap(),
        "target.cluster.bootstrap.servers": p.secondary.bootstrap(),
        "topics": topics,
        "tasks.max": "2",
        "replication.factor": "3",
        "offset-syncs.topic.replication.factor": "1",
        "sync.topic.acls.enabled": "false",
        "sync.topic.configs.enabled": "false",
        "refresh.topics.interval.seconds": "5",
        "key.converter": "org.apache.kafka.connect.converters.ByteArrayConverter",
        "value.converter": "org.apache.kafka.connect.converters.ByteArrayConverter"
    })
}

/// Records on the target's remote topic `remote`.
fn copied(remote: &str) -> i64 {
    let s = &pair().secondary;
    if !s.has_topic(remote) {
        return 0;
    }
    s.end_offsets(remote).values().sum()
}

/// The last value of `key` in the compacted topic `topic` on the secondary (console consumer).
fn last_value(topic: &str, key: &str) -> Option<String> {
    pair()
        .secondary
        .dump_all(topic)
        .into_iter()
        .rfind(|r| r.key.as_deref() == Some(key))
        .and_then(|r| r.value)
}

#[test]
fn a_distributed_worker_takes_connectors_over_rest_and_reloads_them_from_its_config_topic() {
    let p = pair();
    let alias = unique("cnr");
    let (a, b) = (unique("resta"), unique("restb"));
    for t in [&a, &b] {
        p.primary.create_topic(t, 2, 1, &[]);
        p.primary.produce(t, 2, 20, "lz4", 61);
    }
    let (remote_a, remote_b) = (format!("{alias}.{a}"), format!("{alias}.{b}"));
    let port = free_port_base(1);
    let dir = files_dir();
    let worker = write(
        &dir,
        "connect-distributed.properties",
        &worker_text(&alias, port),
    );
    let name = format!("{alias}-source-connector");
    let body = json!({"name": name, "config": source_config(&alias, &format!("{a},{b}"))});
    let source = write(&dir, "mm2-source.json", &body.to_string());

    // A worker file alone: its connectors come from the config topic (empty) and REST.
    let mut strait = Strait::start_command("connect", &worker, &[]);
    wait_until(Duration::from_secs(60), "the REST API", || {
        strait.assert_running();
        curl_try(port, "/connectors") == Some(json!([]))
    });
    let (code, info) = curl_send(port, "POST", "/connectors", &source);
    assert_eq!(code, 201, "{info:#}");
    assert_eq!(info["name"], name.as_str());
    let (code, answer) = curl_send(port, "POST", "/connectors", &source);
    assert_eq!(
        (code, answer),
        (
            409,
            json!({"error_code": 409, "message": format!("Connector {name} already exists")})
        )
    );
    // Bad input: a specific 400 each, nothing created.
    let mut bad_regex = body.clone();
    bad_regex["name"] = json!(format!("{alias}-bad"));
    bad_regex["config"]["source.cluster.alias"] = json!(format!("{alias}x"));
    bad_regex["config"]["topics"] = json!("orders(");
    for (file, text, needle) in [
        (
            "malformed.json",
            "{\"name\": \"x\", \"config\": {".to_string(),
            "Cannot parse the request body as JSON",
        ),
        ("regex.json", bad_regex.to_string(), "`topics`"),
    ] {
        let (code, answer) = curl_send(port, "POST", "/connectors", &write(&dir, file, &text));
        assert_eq!(code, 400, "{file}: {answer:#}");
        assert!(
            answer["message"]
                .as_str()
                .unwrap_or_default()
                .contains(needle),
            "{file}: {answer:#}"
        );
    }
    assert_eq!(curl_json(port, "/connectors"), json!([name]));

    let source_a = p.primary.dump(&a, 40, false);
    wait_until(Duration::from_secs(120), "both topics copied", || {
        strait.assert_running();
        copied(&remote_a) == 40 && copied(&remote_b) == 40
    });
    assert_same_records(&p.secondary.dump(&remote_a, 40, false), &source_a, true);

    // A PUT that narrows `topics` stops replicating the topic it removed.
    let narrowed = write(
        &dir,
        "narrowed.json",
        &source_config(&alias, &a).to_string(),
    );
    let (code, info) = curl_send(
        port,
        "PUT",
        &format!("/connectors/{name}/config"),
        &narrowed,
    );
    assert_eq!(code, 200, "{info:#}");
    assert_eq!(info["config"]["topics"], a.as_str());
    p.primary.produce_from(&a, 2, 20, 10, "lz4", 61);
    p.primary.produce_from(&b, 2, 20, 10, "lz4", 61);
    wait_until(
        Duration::from_secs(120),
        "the narrowed topic's records",
        || {
            strait.assert_running();
            copied(&remote_a) == 60
        },
    );
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(
        copied(&remote_b),
        40,
        "the removed topic is not replicated any more"
    );

    // The config topic holds the connector as Connect stores it, the status topic its status.
    let config_topic = format!("{alias}-configs");
    let stored = last_value(&config_topic, &format!("connector-{name}")).expect("config record");
    let stored: serde_json::Value = serde_json::from_str(&stored).unwrap();
    assert_eq!(stored["properties"]["topics"], a.as_str(), "{stored:#}");
    assert_eq!(stored["properties"]["name"], name.as_str(), "{stored:#}");
    let status_topic = format!("{alias}-status");
    let status_key = format!("status-connector-{name}");
    let mut status = None;
    wait_until(Duration::from_secs(30), "a RUNNING status record", || {
        status = last_value(&status_topic, &status_key)
            .and_then(|v| serde_json::from_str::<serde_json::Value>(&v).ok());
        status.as_ref().is_some_and(|s| s["state"] == "RUNNING")
    });
    assert_eq!(
        status.unwrap()["worker_id"],
        format!("127.0.0.1:{port}").as_str()
    );

    // A restart without files reloads the connector from the config topic and continues: the
    // records written meanwhile arrive, none twice.
    stop_cleanly(&mut strait);
    let left = last_value(&status_topic, &status_key).unwrap_or_default();
    assert!(
        left.contains("\"UNASSIGNED\""),
        "status after a clean stop: {left}"
    );
    p.primary.produce_from(&a, 2, 30, 10, "lz4", 61);
    strait.restart(&[]);
    wait_until(
        Duration::from_secs(120),
        "the records written while stopped",
        || {
            strait.assert_running();
            copied(&remote_a) >= 80
        },
    );
    assert_eq!(curl_json(port, "/connectors"), json!([name]));
    let now = curl_json(port, &format!("/connectors/{name}/config"));
    assert_eq!(now["topics"], a.as_str(), "{now:#}");
    let source_a = p.primary.dump(&a, 80, false);
    assert_same_records(&p.secondary.dump(&remote_a, 80, false), &source_a, true);

    // Offsets (KIP-875): refused while running; once STOPPED, partition 0 is moved back to 34,
    // and the resumed connector copies 35..39 of partition 0 again, nothing else.
    let offsets_path = format!("/connectors/{name}/offsets");
    let rewind = write(
        &dir,
        "rewind.json",
        &json!({"offsets": [{"partition": {"cluster": alias, "partition": 0, "topic": a}, "offset": {"offset": 34}}]}).to_string(),
    );
    let (code, answer) = curl_send(port, "PATCH", &offsets_path, &rewind);
    assert_eq!(code, 400, "{answer:#}");
    assert_eq!(
        curl_code(port, "PUT", &format!("/connectors/{name}/stop")),
        204
    );
    let (code, answer) = curl_send(port, "PATCH", &offsets_path, &rewind);
    assert_eq!(
        (code, answer),
        (
            200,
            json!({"message": "The offsets for this connector have been altered successfully"})
        )
    );
    let shown = curl_json(port, &offsets_path);
    assert!(
        shown["offsets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["partition"]["partition"] == 0
                && o["partition"]["topic"] == a.as_str()
                && o["offset"]["offset"] == 34),
        "{shown:#}"
    );
    assert_eq!(
        curl_code(port, "PUT", &format!("/connectors/{name}/resume")),
        202
    );
    wait_until(
        Duration::from_secs(120),
        "partition 0's copy from 35",
        || {
            strait.assert_running();
            copied(&remote_a) >= 85
        },
    );
    std::thread::sleep(Duration::from_secs(3));
    let target = p.secondary.dump(&remote_a, 85, false);
    let p0: Vec<_> = target
        .iter()
        .filter(|r| r.partition == 0)
        .cloned()
        .collect();
    let mut want: Vec<_> = source_a
        .iter()
        .filter(|r| r.partition == 0)
        .cloned()
        .collect();
    want.extend(
        source_a
            .iter()
            .filter(|r| r.partition == 0 && r.offset >= 35)
            .cloned(),
    );
    assert_same_records(&p0, &want, false);
    assert_eq!(target.len(), 85, "only partition 0's 35..39 again");
    stop_cleanly(&mut strait);
}

/// Java Connect runs MM2's source connector; strait, started with the same worker file, takes
/// over from its config and offsets topics; strait changes the config; Java takes over again and
/// runs strait's config from strait's offsets. Graceful stops on both sides: nothing lost and
/// nothing copied twice.
#[test]
fn java_connect_and_strait_take_over_from_each_other() {
    let p = pair();
    let alias = unique("cnj");
    let (a, b) = (unique("takea"), unique("takeb"));
    for t in [&a, &b] {
        p.primary.create_topic(t, 2, 1, &[]);
    }
    p.primary.produce(&a, 2, 30, "lz4", 62);
    let (remote_a, remote_b) = (format!("{alias}.{a}"), format!("{alias}.{b}"));
    let port = free_port_base(1);
    let dir = files_dir();
    let worker = write(
        &dir,
        "connect-distributed.properties",
        &worker_text(&alias, port),
    );
    let name = format!("{alias}-source-connector");
    let body = json!({"name": name, "config": source_config(&alias, &a)});
    let source = write(&dir, "mm2-source.json", &body.to_string());

    // 1. Java Connect, with the connector POSTed as a runbook does.
    let mut java = JavaProcess::start("java-connect.sh", &worker);
    wait_until(Duration::from_secs(120), "Java Connect's REST API", || {
        assert!(
            java.is_running(),
            "Java Connect exited:\n{}",
            java.log_tail(40)
        );
        curl_try(port, "/connectors").is_some()
    });
    let (code, info) = curl_send(port, "POST", "/connectors", &source);
    assert_eq!(code, 201, "{info:#}");
    wait_until(Duration::from_secs(120), "Java Connect's copy", || {
        assert!(
            java.is_running(),
            "Java Connect exited:\n{}",
            java.log_tail(40)
        );
        copied(&remote_a) == 60
    });
    let st = java.terminate(Duration::from_secs(60));
    assert!(
        matches!(st.code(), Some(0) | Some(143)),
        "Java Connect exit {st}"
    );

    // 2. strait with the same worker file and no connector file: the connector from Java's
    //    config topic, continuing from Java's offsets.
    p.primary.produce_from(&a, 2, 30, 20, "lz4", 62);
    let mut strait = Strait::start_command("connect", &worker, &[]);
    wait_until(
        Duration::from_secs(120),
        "strait's copy of the rest",
        || {
            strait.assert_running();
            copied(&remote_a) >= 100
        },
    );
    std::thread::sleep(Duration::from_secs(3));
    let target = p.secondary.dump(&remote_a, 100, false);
    let duplicates = target.len() as i64 - 100;
    eprintln!(
        "Java Connect -> strait: {} records on the target for 100, duplicates {duplicates}",
        target.len()
    );
    assert_same_records(&target, &p.primary.dump(&a, 100, false), false);
    assert_eq!(curl_json(port, "/connectors"), json!([name]));
    let status = curl_json(port, &format!("/connectors/{name}/status"));
    assert_eq!(status["connector"]["state"], "RUNNING", "{status:#}");

    // 3. strait changes the connector: a second topic.
    let patch = write(
        &dir,
        "patch.json",
        &json!({"topics": format!("{a},{b}")}).to_string(),
    );
    let (code, info) = curl_send(port, "PATCH", &format!("/connectors/{name}/config"), &patch);
    assert_eq!(code, 200, "{info:#}");
    p.primary.produce(&b, 2, 10, "none", 62);
    wait_until(Duration::from_secs(120), "the added topic", || {
        strait.assert_running();
        copied(&remote_b) == 20
    });
    stop_cleanly(&mut strait);

    // 4. Java Connect again: strait's config, from strait's offsets.
    p.primary.produce_from(&a, 2, 50, 10, "lz4", 62);
    p.primary.produce_from(&b, 2, 10, 10, "none", 62);
    let mut java = JavaProcess::start("java-connect.sh", &worker);
    wait_until(
        Duration::from_secs(180),
        "Java Connect's copy of the rest",
        || {
            assert!(
                java.is_running(),
                "Java Connect exited:\n{}",
                java.log_tail(40)
            );
            copied(&remote_a) >= 120 && copied(&remote_b) >= 40
        },
    );
    std::thread::sleep(Duration::from_secs(3));
    let config = curl_json(port, &format!("/connectors/{name}/config"));
    assert_eq!(config["topics"], format!("{a},{b}").as_str(), "{config:#}");
    for (source, remote, total) in [(&a, &remote_a, 120), (&b, &remote_b, 40)] {
        let target = p.secondary.dump(remote, total, false);
        eprintln!(
            "strait -> Java Connect: {remote}: {} records on the target for {total}, duplicates {}",
            target.len(),
            target.len() as i64 - total as i64
        );
        assert_same_records(&target, &p.primary.dump(source, total, false), false);
    }
    let st = java.terminate(Duration::from_secs(60));
    assert!(
        matches!(st.code(), Some(0) | Some(143)),
        "Java Connect exit {st}"
    );
}
