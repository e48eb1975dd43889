//! A real Prometheus server (Debian's `prometheus` package) scraping a running strait, with
//! `deploy/`'s alert rules loaded: every expression of the shipped dashboard and alert rules
//! returns data, and the replication-lag and heartbeat-freshness alerts fire while the target
//! cluster is down and clear once replication has caught up. Prometheus is the witness: strait's
//! own endpoint is only what it scrapes.

use std::path::Path;
use std::process::{Child, Command};
use std::time::Duration;

use serde_json::Value;

use crate::support::*;

/// A Prometheus server of this test, killed when dropped.
struct Prometheus {
    child: Child,
    port: u16,
}

impl Prometheus {
    /// Starts `prometheus` on a free port with `config` (a file in `dir`, which also holds its
    /// database) and waits until it answers.
    fn start(dir: &Path, config: &Path) -> Prometheus {
        let port = free_port_base(1);
        let log = std::fs::File::create(dir.join("prometheus.log")).unwrap();
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", dir.join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot run prometheus ({e}); the README's set-up installs it (apt: prometheus)")
            });
        let server = Prometheus { child, port };
        wait_until(Duration::from_secs(60), "prometheus to answer", || {
            Command::new("curl")
                .args(["-sf", "-o", "/dev/null"])
                .arg(format!("http://127.0.0.1:{port}/-/ready"))
                .status()
                .is_ok_and(|s| s.success())
        });
        server
    }

    /// The series an instant query returns (`/api/v1/query`), or a panic with Prometheus's error.
    fn query(&self, expr: &str) -> Vec<Value> {
        let mut cmd = Command::new("curl");
        cmd.args(["-sS", "--fail-with-body", "-G", "--data-urlencode"])
            .arg(format!("query={expr}"))
            .arg(format!("http://127.0.0.1:{}/api/v1/query", self.port));
        let ran = run_with_timeout(cmd, "curl /api/v1/query", Duration::from_secs(30)).ok();
        let answer: Value = serde_json::from_str(&ran.stdout_str()).unwrap();
        assert_eq!(answer["status"], "success", "{expr}: {answer}");
        answer["data"]["result"].as_array().unwrap().clone()
    }

    /// The labels of the firing instances of `alert`.
    fn firing(&self, alert: &str) -> Vec<Value> {
        self.query(&format!(
            "ALERTS{{alertname=\"{alert}\",alertstate=\"firing\"}}"
        ))
        .into_iter()
        .map(|s| s["metric"].clone())
        .collect()
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every `expr` of the dashboard (its panels' targets) and of the alert rules.
fn shipped_expressions() -> Vec<String> {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                for (k, v) in map {
                    match (k.as_str(), v) {
                        ("expr", Value::String(e)) => out.push(e.clone()),
                        _ => walk(v, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let deploy = repo_root().join("deploy");
    let dashboard: Value = serde_json::from_str(
        &std::fs::read_to_string(deploy.join("grafana/strait-dashboard.json")).unwrap(),
    )
    .unwrap();
    let mut exprs = Vec::new();
    walk(&dashboard, &mut exprs);
    let rules = std::fs::read_to_string(deploy.join("prometheus/strait-alerts.yml")).unwrap();
    exprs.extend(
        rules
            .lines()
            .filter_map(|l| l.trim().strip_prefix("expr:"))
            .map(|e| e.trim().to_string()),
    );
    exprs
}

/// `expr` as a query that must return data on a healthy strait: the dashboard's `$source`
/// variable set to every source, and an alert's threshold comparison (`> 30000`, `!= 1`, `== 0`)
/// taken off, since a healthy process rightly does not pass it.
fn data_query(expr: &str) -> String {
    let expr = expr.replace("$source", ".*");
    for op in [" != ", " == ", " > ", " < "] {
        if let Some((lhs, rhs)) = expr.rsplit_once(op) {
            if rhs.trim().parse::<f64>().is_ok() {
                return lhs.trim().to_string();
            }
        }
    }
    expr
}

/// `deploy/prometheus/strait-alerts.yml` with the lag and freshness alerts' thresholds and hold
/// times shortened for a test that cannot wait minutes (30 s / 60 s for 2 m become 3 s for 3 s).
fn shortened_rules() -> String {
    let rules =
        std::fs::read_to_string(repo_root().join("deploy/prometheus/strait-alerts.yml")).unwrap();
    let mut out = rules.clone();
    for (from, to) in [
        (
            "kafka_connect_mirror_source_connector_replication_lag_ms > 30000\n        for: 2m",
            "kafka_connect_mirror_source_connector_replication_lag_ms > 3000\n        for: 3s",
        ),
        (
            "kafka_connect_mirror_heartbeat_connector_freshness_ms > 60000\n        for: 2m",
            "kafka_connect_mirror_heartbeat_connector_freshness_ms > 3000\n        for: 3s",
        ),
    ] {
        assert!(out.contains(from), "the shipped rules changed: {from:?}");
        out = out.replace(from, to);
    }
    out
}

/// strait replicates from the shared primary to a 1-node target of its own, with a group
/// checkpointed and heartbeats every second; Prometheus scrapes it every second with the shipped
/// rules. Healthy: every shipped expression has data and neither the lag nor the freshness alert
/// fires. Target killed (`kill -9`) while the source gets new records: both alerts fire. Target
/// back: replication catches up (the remote topic holds every record) and both alerts clear.
#[test]
fn prometheus_scrapes_strait_every_shipped_expression_has_data_and_alerts_fire_and_clear() {
    let p = pair();
    let target = Cluster::start(&unique("prom-target"), 1);
    let alias = unique("prom");
    let topic = unique("promorders");
    let group = unique("promapp");
    let remote = format!("{alias}.{topic}");
    // LogAppendTime: the records carry the time they reached the source, so their wait is real
    // (the test producer's own timestamps are fixed, far in the future).
    p.primary
        .create_topic(&topic, 2, 1, &[("message.timestamp.type", "LogAppendTime")]);
    p.primary.produce(&topic, 2, 50, "lz4", 31);
    p.primary
        .commit_offsets(&group, &topic, &[(0, 20), (1, 30)]);
    let shared = flow_config(
        &alias,
        &format!(
            "topics = {topic}\n\
             groups = {group}\n\
             {alias}->secondary.emit.checkpoints.interval.seconds = 1\n\
             {alias}->secondary.refresh.groups.interval.seconds = 1\n\
             {alias}->secondary.checkpoints.topic.replication.factor = 1\n\
             {alias}->secondary.heartbeats.topic.replication.factor = 1\n\
             secondary->{alias}.emit.heartbeats.enabled = false\n\
             offset.storage.replication.factor = 1\n"
        ),
    );
    let text = shared
        .replace(
            &format!("secondary.bootstrap.servers = {}", p.secondary.bootstrap()),
            &format!("secondary.bootstrap.servers = {}", target.bootstrap()),
        )
        .replace("replication.factor = 3", "replication.factor = 1");
    assert!(
        text.contains(target.bootstrap()),
        "the target's address was put in"
    );
    let metrics_port = free_port_base(1);
    let listen = format!("127.0.0.1:{metrics_port}");
    let mut strait = Strait::start(&text, &["--metrics-listen", &listen]);

    let dir = run_dir().join(unique("prometheus"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("strait-alerts.yml"), shortened_rules()).unwrap();
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
             rule_files:\n  - strait-alerts.yml\n\
             scrape_configs:\n  - job_name: strait\n    static_configs:\n      \
             - targets: ['{listen}']\n"
        ),
    )
    .unwrap();
    let prom = Prometheus::start(&dir, &config);

    // Healthy: everything copied and checkpointed, and every shipped expression has data.
    wait_until(
        Duration::from_secs(120),
        "the copy and a checkpoint",
        || {
            strait.assert_running();
            target.end_offsets(&remote).values().sum::<i64>() == 100
                && !target.translate_offsets(&alias, &group).is_empty()
        },
    );
    let exprs = shipped_expressions();
    assert!(
        exprs.len() >= 10,
        "dashboard and rules expressions: {exprs:?}"
    );
    let mut empty = Vec::new();
    wait_until(
        Duration::from_secs(90),
        "every shipped expression to return data",
        || {
            strait.assert_running();
            empty = exprs
                .iter()
                .map(|e| data_query(e))
                .filter(|q| prom.query(q).is_empty())
                .collect();
            empty.is_empty()
        },
    );
    for alert in ["StraitReplicationLagHigh", "StraitHeartbeatsStale"] {
        assert_eq!(
            prom.firing(alert),
            Vec::<Value>::new(),
            "{alert} while healthy"
        );
    }

    // The target goes dark while the source gets new records: both alerts fire, for this flow.
    target.kill_all();
    p.primary.produce_from(&topic, 2, 50, 20, "lz4", 31);
    let mut lag = Vec::new();
    wait_until(
        Duration::from_secs(90),
        "the lag and freshness alerts to fire",
        || {
            strait.assert_running();
            lag = prom.firing("StraitReplicationLagHigh");
            // Both partitions (each alert fires on its own evaluation, seconds apart).
            lag.iter().filter(|l| l["topic"] == remote.as_str()).count() == 2
                && !prom.firing("StraitHeartbeatsStale").is_empty()
        },
    );
    // Per partition: both of the topic's partitions got new records and both fire. (Other
    // topics of the flow may fire too: MM2's rules replicate the source's `heartbeats` topic,
    // which other tests may have created on the shared primary.)
    let parts: Vec<&Value> = lag
        .iter()
        .filter(|l| l["topic"] == remote.as_str())
        .map(|l| &l["partition"])
        .collect();
    assert_eq!(parts.len(), 2, "{lag:?}");
    let stale = prom.firing("StraitHeartbeatsStale");
    assert!(
        stale.iter().any(|l| l["source"] == alias.as_str()),
        "{stale:?}"
    );

    // The target returns: replication catches up and both alerts clear.
    target.start_stopped();
    wait_until(
        Duration::from_secs(180),
        "the catch-up after the outage",
        || {
            strait.assert_running();
            target.end_offsets(&remote).values().sum::<i64>() == 140
        },
    );
    wait_until(
        Duration::from_secs(90),
        "the lag and freshness alerts to clear",
        || {
            strait.assert_running();
            prom.firing("StraitReplicationLagHigh").is_empty()
                && prom.firing("StraitHeartbeatsStale").is_empty()
        },
    );
    // Every record, in order, at its source offset, with the producer's own timestamps (the
    // documented LogAppendTime gap: docs/configuration.md, "Timestamps").
    assert_same_records(
        &target.dump(&remote, 140, false),
        &[
            expected_records(31, 2, 0, 50),
            expected_records(31, 2, 50, 20),
        ]
        .concat(),
        true,
    );
    stop_cleanly(&mut strait);
    drop(prom);
    target.kill_all();
}
