//! Shopify's toxiproxy (v2.5.0, a Go module `scripts/test.sh` installs as
//! `target/tools/toxiproxy-server`) in front of brokers: this kernel has no `tc netem`, so network
//! cuts, latency and stalls between strait and a cluster are injected by a TCP proxy the brokers
//! advertise (`kafka-cluster.sh --proxy-base`). Driven through its HTTP API.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

use super::{free_port_base, repo_root, run_dir, wait_until};

/// A running toxiproxy server, killed on drop.
pub struct Toxiproxy {
    child: Child,
    api: String,
}

/// The server binary: `STRAIT_TOXIPROXY`, else `<target dir>/tools/toxiproxy-server`.
fn binary() -> PathBuf {
    if let Ok(p) = std::env::var("STRAIT_TOXIPROXY") {
        return p.into();
    }
    let target = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("target dir")
        .to_path_buf();
    let bin = target.join("tools/toxiproxy-server");
    assert!(
        bin.is_file(),
        "{} is missing: scripts/test.sh installs it (GOBIN={}/tools go install github.com/Shopify/toxiproxy/v2/cmd/server@v2.5.0, renamed)",
        bin.display(),
        target.display()
    );
    bin
}

impl Toxiproxy {
    /// Starts a server on a free port, its log in the run dir.
    pub fn start(name: &str) -> Toxiproxy {
        let port = free_port_base(1);
        let log = std::fs::File::create(run_dir().join(format!("{name}-toxiproxy.log"))).unwrap();
        let child = Command::new(binary())
            .args(["-host", "127.0.0.1", "-port", &port.to_string()])
            .current_dir(repo_root())
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start toxiproxy-server");
        let proxy = Toxiproxy {
            child,
            api: format!("http://127.0.0.1:{port}"),
        };
        wait_until(Duration::from_secs(30), "toxiproxy's API", || {
            ureq::get(&format!("{}/version", proxy.api)).call().is_ok()
        });
        proxy
    }

    fn send(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let req = ureq::request(method, &format!("{}{path}", self.api));
        let resp = match body {
            Some(b) => req
                .set("Content-Type", "application/json")
                .send_string(&b.to_string()),
            None => req.call(),
        };
        match resp {
            Ok(r) => {
                serde_json::from_str(&r.into_string().unwrap_or_default()).unwrap_or(Value::Null)
            }
            Err(e) => panic!("toxiproxy {method} {path}: {e}"),
        }
    }

    /// A proxy `name` listening on `listen` (host:port) and forwarding to `upstream`.
    pub fn add_proxy(&self, name: &str, listen: &str, upstream: &str) {
        self.send(
            "POST",
            "/proxies",
            Some(json!({"name": name, "listen": listen, "upstream": upstream, "enabled": true})),
        );
    }

    /// Enables or disables proxy `name`: disabled, it refuses connections and drops the open ones
    /// (a network cut).
    pub fn set_enabled(&self, name: &str, enabled: bool) {
        self.send(
            "POST",
            &format!("/proxies/{name}"),
            Some(json!({ "enabled": enabled })),
        );
    }

    /// Adds toxic `toxic` (named `toxic_name`, e.g. `{"type": "latency", "attributes":
    /// {"latency": 100}}`) to both directions of proxy `name`.
    pub fn add_toxic(&self, name: &str, toxic_name: &str, toxic: Value) {
        for stream in ["upstream", "downstream"] {
            let mut t = toxic.clone();
            t["name"] = json!(format!("{toxic_name}-{stream}"));
            t["stream"] = json!(stream);
            self.send("POST", &format!("/proxies/{name}/toxics"), Some(t));
        }
    }

    /// Removes what [`Toxiproxy::add_toxic`] added.
    pub fn remove_toxic(&self, name: &str, toxic_name: &str) {
        for stream in ["upstream", "downstream"] {
            self.send(
                "DELETE",
                &format!("/proxies/{name}/toxics/{toxic_name}-{stream}"),
                None,
            );
        }
    }
}

impl Drop for Toxiproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
