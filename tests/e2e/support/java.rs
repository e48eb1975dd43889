//! Kafka's own Java processes beside strait: dedicated-mode MirrorMaker 2 and a Connect worker,
//! started by the project's scripts from the Maven Central jars.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::{jars, repo_root};

/// A running `scripts/<script> run --config FILE`: Kafka's own dedicated-mode MirrorMaker 2
/// (`java-mm2.sh`) or Connect worker (`java-connect.sh`), output in a log file beside the config.
/// Dropping it kills it.
pub struct JavaProcess {
    child: Option<Child>,
    log_path: PathBuf,
    /// When it was started.
    pub started: Instant,
}

impl JavaProcess {
    /// Starts `scripts/<script> run --config <config_path>`.
    pub fn start(script: &str, config_path: &Path) -> JavaProcess {
        let dir = config_path.parent().unwrap();
        let log_path = dir.join(format!("{}.log", script.trim_end_matches(".sh")));
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .unwrap();
        let child = Command::new("bash")
            .arg(repo_root().join("scripts").join(script))
            .args(["run", "--config"])
            .arg(config_path)
            .env("STRAIT_KAFKA_JARS", jars())
            .env("MM2_HEAP", "512m")
            .env("CONNECT_HEAP", "384m")
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("start scripts/{script}: {e}"));
        JavaProcess {
            child: Some(child),
            log_path,
            started: Instant::now(),
        }
    }

    /// Its output so far.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// The last `n` lines of its output.
    pub fn log_tail(&self, n: usize) -> String {
        let log = self.log();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    /// Whether it still runs.
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| c.try_wait().unwrap().is_none())
    }

    /// SIGTERM (the script `exec`s the JVM, so this is the JVM's pid) and wait for a clean exit:
    /// 143 (128 + SIGTERM) is what the JVM reports after a clean shutdown.
    pub fn terminate(&mut self, timeout: Duration) -> ExitStatus {
        let c = self.child.as_mut().expect("already reaped");
        if let Some(st) = c.try_wait().unwrap() {
            return st;
        }
        let pid = c.id().to_string();
        let _ = Command::new("kill").args(["-s", "TERM", &pid]).status();
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(st) = c.try_wait().unwrap() {
                return st;
            }
            if Instant::now() >= deadline {
                let _ = c.kill();
                let st = c.wait().unwrap();
                panic!(
                    "Java did not exit within {timeout:?} of SIGTERM (killed: {st}); log:\n{}",
                    self.log_tail(40)
                );
            }
            thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for JavaProcess {
    fn drop(&mut self) {
        if let Some(c) = self.child.as_mut() {
            if c.try_wait().ok().flatten().is_none() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    }
}
