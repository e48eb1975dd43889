//! Test support for strait's end-to-end tests: real Apache Kafka 3.9 clusters started by
//! `scripts/kafka-cluster.sh`, inspected and fed only through Kafka's own Java tools and the Java test
//! client (`tests/java/StraitTestClient.java`), never through strait's code, plus a handle on the
//! `strait` binary under test.
//!
//! All tests of the `e2e` binary share one pair of clusters ([`pair`]): `primary` (1 node) and
//! `secondary` (3 nodes, so that `replication.factor = 3` in a user's config works). Tests run in
//! parallel threads, so every test works on its own topics ([`unique`]). The clusters are started with
//! the test process as owner: a watchdog kills them a few seconds after the process exits, however it
//! exits. Their files live under `target/e2e/<run-id>/`.
//!
//! Env:
//! - `STRAIT_TEST_PRIMARY`, `STRAIT_TEST_SECONDARY`: reuse running clusters instead of starting them,
//!   given as a bootstrap string (`127.0.0.1:19092`) or as the DIR of a `kafka-cluster.sh` cluster
//!   (then [`Cluster::batches`] and node control work too).
//! - `STRAIT_KAFKA_JARS`: the jar directory (default: whatever `scripts/kafka-jars.sh` prints).
//!
//! Files: this one (paths, running tools, polling, the types the others share), `cluster` (the
//! shared pair, topics, offsets, nodes), `records` (writing with the Java test client, reading with
//! the console consumer, the data generator), `groups` (consumer groups, MirrorClient), `strait`
//! (the process under test), `secure` (the TLS/SASL cluster), `token_endpoint` (the OAuth server).
// Shared by the e2e and chaos binaries, each of which uses a part.
#![allow(dead_code, unused_imports)]

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

mod cluster;
mod curl;
mod groups;
mod java;
mod records;
mod scrape;
mod secure;
mod strait;
mod token_endpoint;
mod toxiproxy;

pub use cluster::*;
pub use curl::*;
pub use java::*;
pub use records::*;
pub use scrape::*;
pub use secure::*;
pub use strait::*;
pub use token_endpoint::*;
pub use toxiproxy::*;

// ------------------------------------------------------------------------------------------------
// Paths and process helpers

/// The repository root (where Cargo.toml is).
pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `target/e2e/<run-id>/`: everything this test process writes (cluster dirs, tool output, strait logs).
pub fn run_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        // CARGO_TARGET_TMPDIR is <target dir>/tmp.
        let e2e = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .parent()
            .expect("target dir")
            .join("e2e");
        fs::create_dir_all(&e2e).expect("create target/e2e");
        prune_old_runs(&e2e, 4);
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let dir = e2e.join(format!("{secs}-{}", std::process::id()));
        fs::create_dir_all(&dir).expect("create run dir");
        dir
    })
}

/// Keeps the newest `keep` run directories; older ones are stopped (if anything still runs there)
/// and removed.
fn prune_old_runs(e2e: &Path, keep: usize) {
    let mut runs: Vec<PathBuf> = match fs::read_dir(e2e) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_dir())
            .collect(),
        Err(_) => return,
    };
    runs.sort();
    if runs.len() <= keep {
        return;
    }
    for old in &runs[..runs.len() - keep] {
        let _ = Command::new("bash")
            .arg(repo_root().join("scripts/kafka-cluster.sh"))
            .args(["stop", "--kill", "--all-under"])
            .arg(old)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = fs::remove_dir_all(old);
    }
}

/// The Kafka jar directory (`scripts/kafka-jars.sh`, fetched from Maven Central on first use).
pub fn jars() -> &'static Path {
    static JARS: OnceLock<PathBuf> = OnceLock::new();
    JARS.get_or_init(|| {
        if let Ok(dir) = std::env::var("STRAIT_KAFKA_JARS") {
            return PathBuf::from(dir);
        }
        let out = Command::new("bash")
            .arg(repo_root().join("scripts/kafka-jars.sh"))
            .stderr(Stdio::inherit())
            .output()
            .expect("run scripts/kafka-jars.sh");
        assert!(out.status.success(), "scripts/kafka-jars.sh failed");
        PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
    })
}

/// A process run to completion with its output, for the helpers below.
#[derive(Debug)]
pub struct Ran {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: String,
    /// What was run, for messages.
    pub what: String,
}

impl Ran {
    pub fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Panics with the command and its stderr unless it exited 0.
    pub fn ok(self) -> Ran {
        assert!(
            self.status.success(),
            "{} failed ({}):\n{}\n{}",
            self.what,
            self.status,
            self.stderr,
            String::from_utf8_lossy(&self.stdout)
        );
        self
    }
}

static SEQ: AtomicU64 = AtomicU64::new(0);

fn next_seq() -> u64 {
    SEQ.fetch_add(1, Ordering::Relaxed)
}

/// Runs `cmd` with stdout/stderr in files under the run dir (no pipe can fill up and block), killing
/// it after `timeout`.
pub fn run_with_timeout(mut cmd: Command, what: &str, timeout: Duration) -> Ran {
    let dir = run_dir().join("tools");
    fs::create_dir_all(&dir).unwrap();
    let n = next_seq();
    let out_path = dir.join(format!("{n}.out"));
    let err_path = dir.join(format!("{n}.err"));
    cmd.stdin(Stdio::null())
        .stdout(fs::File::create(&out_path).unwrap())
        .stderr(fs::File::create(&err_path).unwrap());
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{what} did not finish within {timeout:?}; stderr:\n{}",
                fs::read_to_string(&err_path).unwrap_or_default()
            );
        }
        thread::sleep(Duration::from_millis(20));
    };
    let ran = Ran {
        status,
        stdout: fs::read(&out_path).unwrap_or_default(),
        stderr: fs::read_to_string(&err_path).unwrap_or_default(),
        what: what.to_string(),
    };
    let _ = fs::remove_file(&out_path);
    let _ = fs::remove_file(&err_path);
    ran
}

/// `java -cp 'JARS/*' MAIN ARGS...` with small-JVM flags and warnings-only logging on stderr.
pub fn kafka_tool(main: &str, args: &[&str], timeout: Duration) -> Ran {
    let mut cmd = Command::new("java");
    cmd.args([
        "-Xms64m",
        "-Xmx512m",
        "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1",
    ])
    .arg("-Djava.awt.headless=true")
    .arg(format!(
        "-Dlog4j.configuration=file:{}",
        repo_root().join("scripts/tools-log4j.properties").display()
    ))
    .arg("-cp")
    .arg(format!("{}/*", jars().display()))
    .arg(main)
    .args(args);
    let short = main.rsplit('.').next().unwrap_or(main);
    run_with_timeout(cmd, &format!("{short} {}", args.join(" ")), timeout)
}

/// `scripts/test-client.sh MODE ARGS...` (the Java test client, compiled on demand).
pub fn test_client(args: &[&str], timeout: Duration) -> Ran {
    let mut cmd = Command::new("bash");
    cmd.arg(repo_root().join("scripts/test-client.sh"))
        .args(args)
        .env("STRAIT_KAFKA_JARS", jars());
    run_with_timeout(
        cmd,
        &format!("StraitTestClient {}", args.join(" ")),
        timeout,
    )
}

const TOOL_TIMEOUT: Duration = Duration::from_secs(120);

/// A topic name for regex-taking tools (TopicCommand, GetOffsetShell): match this topic only.
fn topic_regex(topic: &str) -> String {
    topic.replace('.', "\\.")
}

// ------------------------------------------------------------------------------------------------
// Polling and names

/// Polls `cond` every 200 ms until it returns true; panics naming `what` after `timeout`.
pub fn wait_until(timeout: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    loop {
        if cond() {
            return;
        }
        if start.elapsed() >= timeout {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        thread::sleep(Duration::from_millis(200));
    }
}

/// Wall-clock now in epoch milliseconds.
pub fn epoch_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as i64
}

/// A name no other test of this run uses: `<prefix>-<pid>-<n>` (valid as topic or group name).
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}-{}", std::process::id(), next_seq())
}

// ------------------------------------------------------------------------------------------------
// What the helper files share

/// Partition count, replication factor and topic-level (dynamic) configs of a topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicDescription {
    pub partitions: i32,
    pub replication_factor: i16,
    /// Only configs set on the topic itself (`DYNAMIC_TOPIC_CONFIG`), as `kafka-configs --describe`.
    pub configs: BTreeMap<String, String>,
}

/// One record as Kafka's console consumer printed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpedRecord {
    pub partition: i32,
    pub offset: i64,
    /// `CreateTime`, `LogAppendTime` or `NO_TIMESTAMP`.
    pub timestamp_type: String,
    pub timestamp: i64,
    pub key: Option<String>,
    pub value: Option<String>,
    /// In record order; repeated keys stay repeated.
    pub headers: Vec<(String, Option<String>)>,
}

/// A partition's replication progress as the Connect offsets topic holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SavedProgress {
    /// Where a restart resumes: the saved offset (the last copied record's) plus one.
    pub next_offset: i64,
    /// When it was saved: the progress record's timestamp (epoch ms).
    pub timestamp: i64,
}

/// What a consumer application read in [`Cluster::consume_group`].
#[derive(Debug, Clone)]
pub struct GroupRead {
    /// The group's committed positions when it started, by partition.
    pub committed: BTreeMap<i32, i64>,
    /// Every record it read, in the order read.
    pub records: Vec<GroupRecord>,
}

impl GroupRead {
    /// The (key, value) of every record read from `partition`, in the order read.
    pub fn key_values(&self, partition: i32) -> Vec<(Option<String>, Option<String>)> {
        self.records
            .iter()
            .filter(|r| r.partition == partition)
            .map(|r| (r.key.clone(), r.value.clone()))
            .collect()
    }
}

/// One record read by [`Cluster::consume_group`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRecord {
    pub partition: i32,
    pub offset: i64,
    pub key: Option<String>,
    pub value: Option<String>,
}

/// One record batch as `kafka.tools.DumpLogSegments` printed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchInfo {
    pub base_offset: i64,
    pub last_offset: i64,
    pub count: i64,
    /// `none`, `gzip`, `snappy`, `lz4`, `zstd`.
    pub codec: String,
    pub producer_id: i64,
    pub is_transactional: bool,
    pub is_control: bool,
    /// The batch's max timestamp line: (`CreateTime`|`LogAppendTime`, value).
    pub timestamp_type: String,
    pub max_timestamp: i64,
    /// The batch's bytes in the log.
    pub size: usize,
    /// Where the batch starts in its segment file.
    pub position: u64,
}

/// What the Java client's `transactions` mode wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxnCounts {
    pub committed: u64,
    pub aborted: u64,
    pub plain: u64,
}

/// A Kafka cluster: started by this process (owns `dir`) or given by the environment.
pub struct Cluster {
    name: String,
    bootstrap: String,
    nodes: usize,
    /// The kafka-cluster.sh DIR, when known.
    dir: Option<PathBuf>,
}

// Separators for the console consumer: control characters that the generated test data never
// contains, so parsing is unambiguous (see `dump`).
const COL: &str = "\u{1f}";
const LINE: &str = "\u{1e}\n";
const HDR: &str = "\u{1d}";
const NULL: &str = "\u{2}NULL\u{3}";

fn json_u64(out: &str, field: &str) -> u64 {
    let line = out
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('{'))
        .unwrap_or("");
    let v: serde_json::Value = serde_json::from_str(line)
        .unwrap_or_else(|e| panic!("bad JSON from the test client ({e}): {out}"));
    v[field]
        .as_u64()
        .unwrap_or_else(|| panic!("no {field} in {line}"))
}

fn null_or(s: &str) -> Option<String> {
    (s != NULL).then(|| s.to_string())
}
