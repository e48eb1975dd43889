//! `strait status`, the daily check, read from the clusters themselves: healthy (exit 0) while
//! strait keeps up, critical (exit 2) once replication stalls while the source keeps growing, and
//! healthy again after strait catches up. Kafka's own tools are the witness of the end offsets the
//! report gives.

use std::time::Duration;

use serde_json::Value;

use crate::support::*;

/// Thresholds small enough for a test: a lag or heartbeat 5 s old is a warning, 10 s critical.
const LIMITS: &[&str] = &[
    "--lag-warn",
    "5",
    "--lag-crit",
    "10",
    "--heartbeat-warn",
    "5",
    "--heartbeat-crit",
    "10",
];

/// The report's partitions of `topic`: (partition, replicated, end, lag records).
fn partitions_of(report: &Value, topic: &str) -> Vec<(i64, Option<i64>, i64, i64)> {
    let mut out: Vec<(i64, Option<i64>, i64, i64)> = report["flows"][0]["partitions"]
        .as_array()
        .expect("partitions")
        .iter()
        .filter(|p| p["topic"] == topic)
        .map(|p| {
            (
                p["partition"].as_i64().unwrap(),
                p["replicated"].as_i64(),
                p["end"].as_i64().unwrap(),
                p["lag_records"].as_i64().unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Runs `strait status` until it exits with `code` and `ready` holds for the report (at most
/// `timeout`); returns that report.
fn status_until(
    strait: &Strait,
    code: i32,
    ready: impl Fn(&Value) -> bool,
    timeout: Duration,
    what: &str,
) -> Value {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        let (exit, report) = strait.status(LIMITS);
        if exit == code && ready(&report) {
            return report;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{what}: strait status exits {exit} after {timeout:?}:\n{report:#}"
        );
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// True when every partition of `topic` in the report has lag 0.
fn caught_up(report: &Value, topic: &str) -> bool {
    let p = partitions_of(report, topic);
    !p.is_empty() && p.iter().all(|p| p.3 == 0)
}

/// True when some partition of `topic` lags, and the oldest unreplicated record of every lagging
/// one is at least `ms` old.
fn lagging_for(report: &Value, topic: &str, ms: i64) -> bool {
    let lagging: Vec<&Value> = report["flows"][0]["partitions"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|p| p["topic"] == topic && p["lag_records"].as_i64() > Some(0))
                .collect()
        })
        .unwrap_or_default();
    !lagging.is_empty()
        && lagging
            .iter()
            .all(|p| p["lag_ms"].as_i64().is_some_and(|l| l >= ms))
}

#[test]
fn status_is_critical_while_replication_stalls_and_healthy_after_catch_up() {
    // No broker of the pair goes down while the verdicts are read.
    let _nodes = node_fault_lock();
    let p = pair();
    let alias = unique("st");
    let topic = unique("status");
    p.primary.create_topic(&topic, 2, 1, &[]);
    p.primary.produce(&topic, 2, 30, "none", 21);
    let mut strait = Strait::start(&flow_config(&alias, &format!("topics = {topic}")), &[]);

    // Caught up: every partition of the topic replicated to its end, exit 0.
    let healthy = status_until(
        &strait,
        0,
        |r| caught_up(r, &topic),
        Duration::from_secs(90),
        "while replicating",
    );
    let ends = p.primary.end_offsets(&topic);
    let expected: Vec<(i64, Option<i64>, i64, i64)> = ends
        .iter()
        .map(|(&part, &end)| (i64::from(part), Some(end), end, 0))
        .collect();
    assert_eq!(partitions_of(&healthy, &topic), expected, "{healthy:#}");
    assert_eq!(healthy["status"], "OK");
    assert_eq!(
        healthy["flows"][0]["heartbeats"]["emitted"]["topic"],
        "heartbeats"
    );

    // strait stops while the source keeps getting records (stamped with the time they are
    // written: the seeded records above carry timestamps in 2096): lag in records at once, and once
    // the oldest of them is 10 s old, critical (exit 2), naming the partition.
    stop_cleanly(&mut strait);
    let before = p.primary.end_offsets(&topic);
    let added = p.primary.bulk(&topic, 200, 100, "none");
    let stalled = status_until(
        &strait,
        2,
        |r| lagging_for(r, &topic, 10_000),
        Duration::from_secs(60),
        "after strait stopped",
    );
    let ends = p.primary.end_offsets(&topic);
    let lagging = partitions_of(&stalled, &topic);
    let mut total = 0;
    for (part, replicated, end, lag) in &lagging {
        let part32 = *part as i32;
        assert_eq!(Some(*end), ends.get(&part32).copied(), "{stalled:#}");
        assert_eq!(*replicated, before.get(&part32).copied(), "{stalled:#}");
        assert_eq!(*lag, end - replicated.unwrap(), "{stalled:#}");
        total += lag;
    }
    assert_eq!(
        total, added as i64,
        "every record written after the stop is lag"
    );
    let problems = stalled["flows"][0]["problems"].to_string();
    assert!(
        problems.contains(&format!("{topic}-")) && problems.contains("records behind"),
        "{problems}"
    );
    assert_eq!(stalled["status"], "CRITICAL");

    // strait runs again and catches up: healthy again, lag 0 at the new ends.
    strait.restart(&[]);
    let recovered = status_until(
        &strait,
        0,
        |r| caught_up(r, &topic),
        Duration::from_secs(90),
        "after restart",
    );
    let expected: Vec<(i64, Option<i64>, i64, i64)> = ends
        .iter()
        .map(|(&part, &end)| (i64::from(part), Some(end), end, 0))
        .collect();
    assert_eq!(partitions_of(&recovered, &topic), expected, "{recovered:#}");
    stop_cleanly(&mut strait);
}

#[test]
fn status_names_an_unknown_flow() {
    let p = pair();
    let strait_config = flow_config("stx", "topics = nothing-here");
    let dir = std::env::temp_dir().join(unique("status-cfg"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("mm2.properties");
    std::fs::write(&path, strait_config).unwrap();
    let mut cmd = std::process::Command::new(strait_bin());
    cmd.args(["status", "--config"])
        .arg(&path)
        .args(["--flow", "stx->nowhere"]);
    let ran = run_with_timeout(cmd, "strait status --flow", Duration::from_secs(30));
    assert_eq!(ran.status.code(), Some(3), "{}", ran.stderr);
    assert!(
        ran.stderr
            .contains("--flow stx->nowhere: no such enabled flow")
            && ran.stderr.contains("stx->secondary"),
        "{}",
        ran.stderr
    );
    let _ = p;
}
