//! The OAuth identity provider of the OAUTHBEARER tests.

use super::*;

// ------------------------------------------------------------------------------------------------
// The OAuth identity provider of the OAUTHBEARER tests

/// `tests/oauth_token_endpoint.py` running on 127.0.0.1: an OAuth 2 token endpoint that grants
/// unsecured JWTs (`sub` = the client id) to one client id and secret. Killed when dropped.
pub struct TokenEndpoint {
    child: Child,
    /// `http://127.0.0.1:PORT/token`.
    pub url: String,
    log: PathBuf,
}

impl TokenEndpoint {
    /// Starts an endpoint granting tokens of `lifetime_s` seconds to `client_id`/`client_secret`.
    pub fn start(client_id: &str, client_secret: &str, lifetime_s: u64) -> TokenEndpoint {
        Self::start_with(client_id, client_secret, lifetime_s, &[])
    }

    /// Like [`TokenEndpoint::start`], with more arguments for the script (`--signed`).
    pub fn start_with(
        client_id: &str,
        client_secret: &str,
        lifetime_s: u64,
        extra: &[&str],
    ) -> TokenEndpoint {
        let dir = run_dir().join(unique("oauth"));
        fs::create_dir_all(&dir).unwrap();
        let port_file = dir.join("port");
        let log = dir.join("requests.log");
        let child = Command::new("python3")
            .arg(repo_root().join("tests/oauth_token_endpoint.py"))
            .args(["--port-file", port_file.to_str().unwrap()])
            .args(["--client-id", client_id, "--client-secret", client_secret])
            .args(["--lifetime", &lifetime_s.to_string()])
            .args(extra)
            .stdout(fs::File::create(&log).unwrap())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs the test token endpoint");
        let mut port = String::new();
        wait_until(
            Duration::from_secs(20),
            "the token endpoint to listen",
            || {
                port = fs::read_to_string(&port_file).unwrap_or_default();
                !port.is_empty()
            },
        );
        TokenEndpoint {
            child,
            url: format!("http://127.0.0.1:{}/token", port.trim()),
            log,
        }
    }

    /// The tokens granted so far, in order.
    pub fn issued(&self) -> Vec<String> {
        self.lines("issued ")
    }

    /// The reasons of the requests refused so far.
    pub fn refused(&self) -> Vec<String> {
        self.lines("refused ")
    }

    fn lines(&self, prefix: &str) -> Vec<String> {
        fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.strip_prefix(prefix).map(str::to_string))
            .collect()
    }
}

impl Drop for TokenEndpoint {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
