//! What `deploy/` ships is checked with the tools operators use: the alert rules with `promtool
//! check rules` and their unit tests with `promtool test rules`; every dashboard and alert
//! expression parsed by `promtool` and naming only metrics strait serves (taken from a real
//! render of strait's registry); the systemd unit with `systemd-analyze verify`.
//! No broker is needed. (Prometheus scraping a running strait is an e2e test.)

use std::path::{Path, PathBuf};
use std::process::Command;

use strait::metrics::{CheckpointLabels, ConnectorState, FlowLabels, Metrics};

fn deploy(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("deploy")
        .join(path)
}

/// Runs `cmd`; panics with its output unless it succeeded. Returns stdout and stderr.
fn run(cmd: &mut Command, what: &str) -> (String, String) {
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("{what}: cannot run it ({e}); the README's set-up installs it (apt: prometheus)")
    });
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(out.status.success(), "{what} failed:\n{stdout}\n{stderr}");
    (stdout, stderr)
}

#[test]
fn alert_rules_pass_promtool_check_and_their_unit_tests() {
    let dir = deploy("prometheus");
    run(
        Command::new("promtool")
            .args(["check", "rules", "strait-alerts.yml"])
            .current_dir(&dir),
        "promtool check rules",
    );
    let (out, _) = run(
        Command::new("promtool")
            .args(["test", "rules", "strait-alerts.test.yml"])
            .current_dir(&dir),
        "promtool test rules",
    );
    assert!(out.contains("SUCCESS"), "{out}");
}

/// Every metric name strait serves, from a render with one series of each.
fn served_names() -> Vec<String> {
    let m = Metrics::new();
    let flow = m.flow("primary", "secondary");
    let p = flow.partition("primary.orders", 0);
    p.lag_fetched(10, 0, [(9, 1_000)].into_iter());
    p.acked(10, 100, 1_000, 1_100);
    p.fetched(1_000, 1_050);
    p.replicated(10, 1_000);
    flow.parked(0);
    let herder = FlowLabels {
        source: "primary".into(),
        target: "secondary".into(),
    };
    m.heartbeat(&herder, 1_000);
    let group = CheckpointLabels {
        source: "primary".into(),
        target: "secondary".into(),
        group: "g".into(),
        topic: "primary.orders".into(),
        partition: 0,
    };
    m.checkpoint_latency(&group, 5);
    m.checkpoint_current(&group, 1_000);
    m.connector_states(&[ConnectorState {
        connector: "c".into(),
        state: "RUNNING".into(),
        tasks: vec!["RUNNING".into()],
    }]);
    let text = m.render().unwrap();
    let mut names: Vec<String> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| l.split(['{', ' ']).next().map(str::to_string))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The PromQL expressions of the dashboard's panels.
fn dashboard_exprs() -> Vec<String> {
    let text = std::fs::read_to_string(deploy("grafana/strait-dashboard.json")).unwrap();
    let dash: serde_json::Value = serde_json::from_str(&text).unwrap();
    let exprs: Vec<String> = dash["panels"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["targets"].as_array().cloned().unwrap_or_default())
        .filter_map(|t| t["expr"].as_str().map(str::to_string))
        .collect();
    assert!(exprs.len() >= 8, "{exprs:?}");
    exprs
}

/// The `expr:` lines of the alert rules.
fn alert_exprs() -> Vec<String> {
    let text = std::fs::read_to_string(deploy("prometheus/strait-alerts.yml")).unwrap();
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("expr:"))
        .map(|e| e.trim().to_string())
        .collect()
}

#[test]
fn dashboard_and_alerts_are_valid_promql_naming_only_metrics_strait_serves() {
    let served = served_names();
    let exprs: Vec<String> = dashboard_exprs().into_iter().chain(alert_exprs()).collect();
    for expr in &exprs {
        let names: Vec<&str> = expr
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .filter(|w| {
                w.starts_with("kafka_connect_") || w.starts_with("mm2_") || w.starts_with("strait_")
            })
            .collect();
        assert!(!names.is_empty() || expr.starts_with("up"), "{expr}");
        for name in names {
            assert!(
                served.iter().any(|s| s == name),
                "`{name}` (in `{expr}`) is not served; strait serves {served:?}"
            );
        }
    }
    // Every expression parses: as recording rules for promtool ($source as Grafana fills it).
    let dir = tempfile::tempdir().unwrap();
    let mut rules = String::from("groups:\n  - name: exprs\n    rules:\n");
    for (i, expr) in exprs.iter().enumerate() {
        let expr = expr.replace("$source", ".*");
        rules.push_str(&format!(
            "      - record: strait:check_{i}\n        expr: '{}'\n",
            expr.replace('\'', "''")
        ));
    }
    let file = dir.path().join("exprs.yml");
    std::fs::write(&file, rules).unwrap();
    run(
        Command::new("promtool")
            .arg("check")
            .arg("rules")
            .arg(&file),
        "promtool check rules (dashboard expressions)",
    );
}

#[test]
fn systemd_unit_verifies() {
    if Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("systemd-analyze is not installed here: the unit is not verified");
        return;
    }
    let unit = std::fs::read_to_string(deploy("systemd/strait.service")).unwrap();
    assert!(
        unit.contains("ExecStart=/usr/local/bin/strait run"),
        "{unit}"
    );
    // Verified against the binary just built (systemd checks that ExecStart exists).
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("strait.service");
    std::fs::write(
        &path,
        unit.replace("/usr/local/bin/strait", env!("CARGO_BIN_EXE_strait")),
    )
    .unwrap();
    let (_, stderr) = run(
        Command::new("systemd-analyze").arg("verify").arg(&path),
        "systemd-analyze verify",
    );
    assert!(stderr.trim().is_empty(), "systemd-analyze warns:\n{stderr}");
}
