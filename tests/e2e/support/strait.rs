//! The strait binary under test: start, restart, signal, kill and read its log.

use super::*;

// ------------------------------------------------------------------------------------------------
// The strait binary under test

/// A running `strait run --config FILE` (or `strait connect`), stdout and stderr in a log file.
/// Dropping it kills it.
pub struct Strait {
    child: Option<Child>,
    /// `run` or `connect`.
    command: &'static str,
    pid: u32,
    dir: PathBuf,
    log_path: PathBuf,
    config_path: PathBuf,
}

/// The strait binary built for this test run.
pub fn strait_bin() -> &'static str {
    env!("CARGO_BIN_EXE_strait")
}

fn strait_dir() -> PathBuf {
    let dir = run_dir().join(format!("strait-{}", next_seq()));
    fs::create_dir_all(&dir).unwrap();
    dir
}

impl Strait {
    /// Writes `config_text` to a file and starts `strait run --config FILE EXTRA_ARGS...` with
    /// `RUST_LOG=info,strait=debug` (unless RUST_LOG is set).
    pub fn start(config_text: &str, extra_args: &[&str]) -> Strait {
        Strait::start_with_env(config_text, extra_args, &[])
    }

    /// [`Strait::start`] with extra environment variables.
    pub fn start_with_env(config_text: &str, extra_args: &[&str], env: &[(&str, &str)]) -> Strait {
        let dir = strait_dir();
        let config_path = dir.join("mm2.properties");
        fs::write(&config_path, config_text).unwrap();
        Strait::start_at("run", dir, config_path, extra_args, env)
    }

    /// Starts `strait COMMAND --config CONFIG EXTRA_ARGS...` on a file already written (`connect`
    /// with a worker file and connector files).
    pub fn start_command(command: &'static str, config: &Path, extra_args: &[&str]) -> Strait {
        Strait::start_at(command, strait_dir(), config.to_path_buf(), extra_args, &[])
    }

    fn start_at(
        command: &'static str,
        dir: PathBuf,
        config_path: PathBuf,
        extra_args: &[&str],
        env: &[(&str, &str)],
    ) -> Strait {
        let log_path = dir.join("strait.log");
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .unwrap();
        let mut cmd = Command::new(strait_bin());
        cmd.arg(command)
            .arg("--config")
            .arg(&config_path)
            .args(extra_args)
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        if std::env::var_os("RUST_LOG").is_none() {
            cmd.env("RUST_LOG", "info,strait=debug");
        }
        cmd.env("NO_COLOR", "1"); // plain log files
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", strait_bin()));
        let pid = child.id();
        Strait {
            child: Some(child),
            command,
            pid,
            dir,
            log_path,
            config_path,
        }
    }

    /// Starts strait again with the same config file and log (appended), e.g. after `kill9`.
    pub fn restart(&mut self, extra_args: &[&str]) {
        assert!(
            !self.is_running(),
            "restart() of a strait that is still running"
        );
        let next = Strait::start_at(
            self.command,
            self.dir.clone(),
            self.config_path.clone(),
            extra_args,
            &[],
        );
        let mut old = std::mem::replace(self, next);
        old.child = None; // already reaped
    }

    /// Runs `strait run --config FILE` on a config expected to be rejected: returns the exit status
    /// and the output once it exits. Panics if it is still running after 30 s (config accepted).
    pub fn check(config_text: &str) -> (ExitStatus, String) {
        Self::start_only("run", config_text)
    }

    /// `strait check` on `config_text`: validates without connecting and lists what each key does.
    pub fn check_command(config_text: &str) -> (ExitStatus, String) {
        Self::start_only("check", config_text)
    }

    /// Runs `strait <command> --config` on `config_text` for at most 30 s; stderr then stdout.
    fn start_only(command: &str, config_text: &str) -> (ExitStatus, String) {
        let dir = strait_dir();
        let config_path = dir.join("mm2.properties");
        fs::write(&config_path, config_text).unwrap();
        let mut cmd = Command::new(strait_bin());
        cmd.arg(command)
            .arg("--config")
            .arg(&config_path)
            .current_dir(&dir);
        if std::env::var_os("RUST_LOG").is_none() {
            cmd.env("RUST_LOG", "info,strait=debug");
        }
        let ran = run_with_timeout(cmd, &format!("strait {command}"), Duration::from_secs(30));
        let mut out = ran.stderr;
        out.push_str(&String::from_utf8_lossy(&ran.stdout));
        (ran.status, out)
    }

    /// `strait status --json` on this strait's config with `args`: the exit code and the parsed
    /// report. It reads the clusters itself, so it works whether or not this strait runs.
    pub fn status(&self, args: &[&str]) -> (i32, serde_json::Value) {
        let mut cmd = Command::new(strait_bin());
        cmd.arg("status")
            .arg("--config")
            .arg(&self.config_path)
            .arg("--json")
            .args(args);
        let ran = run_with_timeout(cmd, "strait status", Duration::from_secs(60));
        let code = ran.status.code().unwrap_or(-1);
        let out = String::from_utf8_lossy(&ran.stdout).to_string();
        let report = serde_json::from_str(out.trim()).unwrap_or_else(|e| {
            panic!(
                "strait status (exit {code}) printed no JSON ({e}):\n{out}\n{}",
                ran.stderr
            )
        });
        (code, report)
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    pub fn config_path(&self) -> &Path {
        &self.config_path
    }

    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// Everything strait printed so far (stdout and stderr).
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// Waits until the log contains `needle`.
    pub fn wait_for_log(&self, needle: &str, timeout: Duration) {
        wait_until(
            timeout,
            &format!("strait log line containing {needle:?}"),
            || self.log().contains(needle),
        );
    }

    /// True while the process has not exited.
    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            Some(c) => c.try_wait().unwrap().is_none(),
            None => false,
        }
    }

    /// Panics with the end of the log unless strait is still running: for waits that must not
    /// outlive the process they wait on.
    pub fn assert_running(&mut self) {
        assert!(self.is_running(), "strait exited:\n{}", self.log_tail(40));
    }

    /// The exit status if it has exited (reaps it).
    pub fn try_wait(&mut self) -> Option<ExitStatus> {
        self.child.as_mut().and_then(|c| c.try_wait().unwrap())
    }

    /// SIGKILL and reap.
    pub fn kill9(&mut self) -> ExitStatus {
        let c = self.child.as_mut().expect("strait already reaped");
        let _ = c.kill();
        c.wait().unwrap()
    }

    /// Sends a signal by name (`TERM`, `INT`, `HUP`, ...) without waiting.
    pub fn signal(&self, sig: &str) {
        let st = Command::new("kill")
            .args(["-s", sig, &self.pid.to_string()])
            .status()
            .unwrap();
        assert!(st.success(), "kill -s {sig} {} failed", self.pid);
    }

    /// SIGTERM, then waits up to `timeout` for the exit; panics (after SIGKILL) if it does not exit.
    pub fn terminate(&mut self, timeout: Duration) -> ExitStatus {
        if let Some(st) = self.try_wait() {
            return st;
        }
        self.signal("TERM");
        self.wait(timeout).unwrap_or_else(|| {
            let st = self.kill9();
            panic!(
                "strait did not exit within {timeout:?} of SIGTERM (killed: {st}); log:\n{}",
                self.log_tail(60)
            )
        })
    }

    /// Waits up to `timeout` for the process to exit by itself.
    pub fn wait(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(st) = self.try_wait() {
                return Some(st);
            }
            if Instant::now() >= deadline {
                return None;
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// The last `n` lines of the log, for failure messages.
    pub fn log_tail(&self, n: usize) -> String {
        let log = self.log();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }
}

impl Drop for Strait {
    fn drop(&mut self) {
        if let Some(c) = self.child.as_mut() {
            if c.try_wait().ok().flatten().is_none() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    }
}

/// SIGTERM and the exit a user expects after a clean shutdown: status 0 (progress saved).
pub fn stop_cleanly(strait: &mut Strait) {
    let status = strait.terminate(Duration::from_secs(60));
    assert_eq!(
        status.code(),
        Some(0),
        "strait exit {status}:\n{}",
        strait.log_tail(40)
    );
}

/// Runs `strait SUBCOMMAND... --config CONFIG ARGS...` (an operator command): exit code, stdout,
/// stderr.
pub fn strait_command(sub: &[&str], config: &Path, args: &[&str]) -> (i32, String, String) {
    let mut cmd = Command::new(strait_bin());
    cmd.args(sub).arg("--config").arg(config).args(args);
    let ran = run_with_timeout(
        cmd,
        &format!("strait {}", sub.join(" ")),
        Duration::from_secs(180),
    );
    (
        ran.status.code().unwrap_or(-1),
        ran.stdout_str(),
        ran.stderr.clone(),
    )
}

/// Where a `strait failover --json` report moved its first group: (topic, partition) -> the
/// target offset after.
pub fn moved_to(report: &serde_json::Value) -> BTreeMap<(String, i32), i64> {
    report["groups"][0]["partitions"]
        .as_array()
        .unwrap_or_else(|| panic!("no group in {report:#}"))
        .iter()
        .map(|r| {
            (
                (
                    r["topic"].as_str().unwrap().to_string(),
                    r["partition"].as_i64().unwrap() as i32,
                ),
                r["target_after"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// Waits until every partition of `remote` on `to` has the end offsets `source` has on `from`,
/// strait running all along.
pub fn wait_until_copied(
    from: &Cluster,
    source: &str,
    to: &Cluster,
    remote: &str,
    strait: &mut Strait,
    timeout: Duration,
) {
    let want = from.end_offsets(source);
    wait_until(
        timeout,
        &format!("{remote} to reach {source}'s end offsets {want:?}"),
        || {
            strait.assert_running();
            to.has_topic(remote) && to.end_offsets(remote) == want
        },
    );
}
