//! `curl` itself against a REST API (strait's or a Java Connect worker's), as runbooks run it.

use std::time::Duration;

use super::run_with_timeout;

/// `curl http://127.0.0.1:PORT/PATH` (curl itself, as the runbook runs it): the parsed answer,
/// or None when nothing answered yet or the answer was not JSON.
pub fn curl_try(port: u16, path: &str) -> Option<serde_json::Value> {
    let mut cmd = std::process::Command::new("curl");
    cmd.args([
        "-sS",
        "--fail-with-body",
        &format!("http://127.0.0.1:{port}{path}"),
    ]);
    let ran = run_with_timeout(cmd, &format!("curl {path}"), Duration::from_secs(30));
    if !ran.status.success() {
        return None;
    }
    serde_json::from_str(&ran.stdout_str()).ok()
}

/// `curl -X METHOD`: the HTTP status code.
pub fn curl_code(port: u16, method: &str, path: &str) -> u16 {
    let mut cmd = std::process::Command::new("curl");
    cmd.args(["-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", method])
        .arg(format!("http://127.0.0.1:{port}{path}"));
    let ran = run_with_timeout(
        cmd,
        &format!("curl -X {method} {path}"),
        Duration::from_secs(60),
    )
    .ok();
    ran.stdout_str().trim().parse().unwrap_or(0)
}

/// [`curl_try`] that must answer.
pub fn curl_json(port: u16, path: &str) -> serde_json::Value {
    curl_try(port, path).unwrap_or_else(|| panic!("curl {path}: no JSON answer"))
}

/// `curl -X METHOD -H 'Content-Type: application/json' -d @FILE`: the status code and the
/// parsed answer (Null when it was not JSON).
pub fn curl_send(
    port: u16,
    method: &str,
    path: &str,
    body_file: &std::path::Path,
) -> (u16, serde_json::Value) {
    let out = std::env::temp_dir().join(format!("curl-{}-{}", std::process::id(), port));
    let mut cmd = std::process::Command::new("curl");
    cmd.args(["-sS", "-o"])
        .arg(&out)
        .args(["-w", "%{http_code}", "-X", method])
        .args(["-H", "Content-Type: application/json", "-d"])
        .arg(format!("@{}", body_file.display()))
        .arg(format!("http://127.0.0.1:{port}{path}"));
    let ran = run_with_timeout(
        cmd,
        &format!("curl -X {method} {path}"),
        Duration::from_secs(60),
    )
    .ok();
    let code = ran.stdout_str().trim().parse().unwrap_or(0);
    let body = std::fs::read_to_string(&out).unwrap_or_default();
    let _ = std::fs::remove_file(&out);
    (code, serde_json::from_str(&body).unwrap_or_default())
}
