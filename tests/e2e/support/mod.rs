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
#![allow(dead_code)]

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
// Clusters

/// The two clusters every e2e test uses.
pub struct ClusterPair {
    /// 1 node.
    pub primary: Cluster,
    /// 3 nodes (min.insync.replicas=2, default.replication.factor=3).
    pub secondary: Cluster,
}

impl ClusterPair {
    /// The start of an `mm2.properties` for this pair: `clusters`, both bootstrap servers and
    /// `primary->secondary.enabled=true`, then `extra` (one `key = value` per line). Note that
    /// primary has a single node: anything MM2 would create there (offset-syncs topic by default)
    /// needs replication factor 1.
    pub fn mm2_config(&self, extra: &str) -> String {
        format!(
            "clusters = primary, secondary\n\
             primary.bootstrap.servers = {}\n\
             secondary.bootstrap.servers = {}\n\
             primary->secondary.enabled = true\n\
             {extra}\n",
            self.primary.bootstrap(),
            self.secondary.bootstrap()
        )
    }
}

/// An `mm2.properties` for one flow `alias -> secondary` from the shared primary cluster (each test
/// its own alias, so progress and remote topics never collide), then `extra` (one `key = value` per
/// line). Remote topics get replication factor 3; the offset-syncs topic, which lands on the
/// 1-node primary by default, gets 1.
pub fn flow_config(alias: &str, extra: &str) -> String {
    let p = pair();
    format!(
        "clusters = {alias}, secondary\n\
         {alias}.bootstrap.servers = {}\n\
         secondary.bootstrap.servers = {}\n\
         {alias}->secondary.enabled = true\n\
         secondary->{alias}.enabled = false\n\
         replication.factor = 3\n\
         offset-syncs.topic.replication.factor = 1\n\
         {extra}\n",
        p.primary.bootstrap(),
        p.secondary.bootstrap()
    )
}

/// Serializes tests that stop or kill broker nodes: with two of the secondary's three nodes down at
/// once its controller quorum and `min.insync.replicas=2` would both be lost. Hold the guard for as
/// long as a node may be down.
pub fn node_fault_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

/// The shared cluster pair, started on first use (thread-safe) or taken from
/// `STRAIT_TEST_PRIMARY` / `STRAIT_TEST_SECONDARY`.
pub fn pair() -> &'static ClusterPair {
    static PAIR: OnceLock<ClusterPair> = OnceLock::new();
    PAIR.get_or_init(|| {
        let t0 = Instant::now();
        jars(); // fetch once before two threads need it
        let (primary, secondary) = thread::scope(|s| {
            let p = s.spawn(|| Cluster::from_env_or_start("STRAIT_TEST_PRIMARY", "primary", 1));
            let q = s.spawn(|| Cluster::from_env_or_start("STRAIT_TEST_SECONDARY", "secondary", 3));
            (p.join().expect("primary"), q.join().expect("secondary"))
        });
        eprintln!(
            "e2e: primary {} and secondary {} ready after {:.1} s (run dir {})",
            primary.bootstrap(),
            secondary.bootstrap(),
            t0.elapsed().as_secs_f64(),
            run_dir().display()
        );
        ClusterPair { primary, secondary }
    })
}

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

impl Cluster {
    fn from_env_or_start(var: &str, name: &str, nodes: usize) -> Cluster {
        match std::env::var(var) {
            Ok(v) if !v.trim().is_empty() => Cluster::existing(name, v.trim()),
            _ => Cluster::start(name, nodes),
        }
    }

    /// A running cluster given as a bootstrap string or as a kafka-cluster.sh DIR.
    pub fn existing(name: &str, bootstrap_or_dir: &str) -> Cluster {
        let path = Path::new(bootstrap_or_dir);
        if path.join("cluster.env").is_file() {
            let bootstrap = fs::read_to_string(path.join("bootstrap"))
                .unwrap_or_else(|e| panic!("{}/bootstrap: {e}", path.display()))
                .trim()
                .to_string();
            let nodes = bootstrap.split(',').count();
            return Cluster {
                name: name.into(),
                bootstrap,
                nodes,
                dir: Some(path.into()),
            };
        }
        let nodes = bootstrap_or_dir.split(',').count();
        Cluster {
            name: name.into(),
            bootstrap: bootstrap_or_dir.into(),
            nodes,
            dir: None,
        }
    }

    /// Starts a fresh `nodes`-node cluster under the run dir, owned by this process.
    pub fn start(name: &str, nodes: usize) -> Cluster {
        Cluster::start_with(name, nodes, 2, &[]).0
    }

    /// [`Cluster::start`] with `ports_per_node` ports per node (2 plain, 4 with `--secure`) and extra
    /// `kafka-cluster.sh start` arguments; also returns the port base.
    pub fn start_with(
        name: &str,
        nodes: usize,
        ports_per_node: usize,
        extra: &[&str],
    ) -> (Cluster, u16) {
        let mut last_err = String::new();
        for attempt in 0..3 {
            let dir = run_dir().join(format!("{name}-{attempt}"));
            let port_base = free_port_base(ports_per_node * nodes);
            let mut cmd = Command::new("bash");
            cmd.arg(repo_root().join("scripts/kafka-cluster.sh"))
                .args(["start", "--name", name, "--nodes", &nodes.to_string()])
                .arg("--dir")
                .arg(&dir)
                .args(["--port-base", &port_base.to_string()])
                .args(["--owner-pid", &std::process::id().to_string()])
                .args(extra)
                .env("STRAIT_KAFKA_JARS", jars());
            let ran = run_with_timeout(
                cmd,
                &format!("kafka-cluster.sh start {name}"),
                Duration::from_secs(300),
            );
            if ran.status.success() {
                let out = ran.stdout_str();
                let bootstrap = out
                    .lines()
                    .find_map(|l| l.strip_prefix("bootstrap="))
                    .unwrap_or_else(|| panic!("kafka-cluster.sh printed no bootstrap: {out}"))
                    .to_string();
                let cluster = Cluster {
                    name: name.into(),
                    bootstrap,
                    nodes,
                    dir: Some(dir),
                };
                return (cluster, port_base);
            }
            // Most likely a port taken between our check and the broker's bind: try other ports.
            last_err = ran.stderr;
            eprintln!("e2e: starting {name} failed (attempt {attempt}):\n{last_err}");
        }
        panic!("could not start cluster {name}:\n{last_err}");
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn bootstrap(&self) -> &str {
        &self.bootstrap
    }

    pub fn nodes(&self) -> usize {
        self.nodes
    }

    /// The kafka-cluster.sh DIR (None for a cluster given as a bootstrap string).
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    fn need_dir(&self, what: &str) -> &Path {
        self.dir.as_deref().unwrap_or_else(|| {
            panic!(
                "{what} needs the cluster's files; {} was given as a bootstrap string",
                self.name
            )
        })
    }

    /// Runs a Kafka tool with `--bootstrap-server <this cluster>` prepended to `args`.
    pub fn tool(&self, main: &str, args: &[&str]) -> Ran {
        let mut all = vec!["--bootstrap-server", self.bootstrap.as_str()];
        all.extend_from_slice(args);
        kafka_tool(main, &all, TOOL_TIMEOUT)
    }

    // -- topics ---------------------------------------------------------------------------------

    /// `kafka-topics --create`. `rf` -1 means the broker default.
    pub fn create_topic(&self, name: &str, partitions: i32, rf: i16, configs: &[(&str, &str)]) {
        let p = partitions.to_string();
        let r = rf.to_string();
        let mut args = vec![
            "--create",
            "--topic",
            name,
            "--partitions",
            &p,
            "--replication-factor",
            &r,
        ];
        let kv: Vec<String> = configs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        for c in &kv {
            args.push("--config");
            args.push(c);
        }
        self.tool("org.apache.kafka.tools.TopicCommand", &args).ok();
    }

    /// `kafka-topics --alter --partitions total`.
    pub fn add_partitions(&self, name: &str, total: i32) {
        let t = total.to_string();
        let re = topic_regex(name);
        self.tool(
            "org.apache.kafka.tools.TopicCommand",
            &["--alter", "--topic", &re, "--partitions", &t],
        )
        .ok();
    }

    /// `kafka-topics --delete`.
    pub fn delete_topic(&self, name: &str) {
        let re = topic_regex(name);
        self.tool(
            "org.apache.kafka.tools.TopicCommand",
            &["--delete", "--topic", &re],
        )
        .ok();
    }

    /// All topic names, internal ones included, sorted.
    pub fn topics(&self) -> Vec<String> {
        let out = self
            .tool("org.apache.kafka.tools.TopicCommand", &["--list"])
            .ok()
            .stdout_str();
        let mut v: Vec<String> = out
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect();
        v.sort();
        v
    }

    pub fn has_topic(&self, name: &str) -> bool {
        self.topics().iter().any(|t| t == name)
    }

    /// Partition count and replication factor (`kafka-topics --describe`) and the topic-level
    /// configs (`kafka-configs --describe`).
    pub fn describe(&self, topic: &str) -> TopicDescription {
        let re = topic_regex(topic);
        let out = self
            .tool(
                "org.apache.kafka.tools.TopicCommand",
                &["--describe", "--topic", &re],
            )
            .ok()
            .stdout_str();
        // "Topic: t	TopicId: ..	PartitionCount: 6	ReplicationFactor: 1	Configs: ..."
        let head = out
            .lines()
            .find(|l| l.starts_with(&format!("Topic: {topic}\t")) && l.contains("PartitionCount:"))
            .unwrap_or_else(|| panic!("no such topic {topic} on {}:\n{out}", self.name));
        let field = |name: &str| -> String {
            head.split('\t')
                .find_map(|f| f.trim().strip_prefix(name).map(|v| v.trim().to_string()))
                .unwrap_or_else(|| panic!("no {name} in {head}"))
        };
        TopicDescription {
            partitions: field("PartitionCount:").parse().unwrap(),
            replication_factor: field("ReplicationFactor:").parse().unwrap(),
            configs: self.topic_configs(topic),
        }
    }

    /// The topic-level configs only (`kafka-configs --describe --entity-type topics`).
    pub fn topic_configs(&self, topic: &str) -> BTreeMap<String, String> {
        let out = self
            .tool(
                "kafka.admin.ConfigCommand",
                &[
                    "--describe",
                    "--entity-type",
                    "topics",
                    "--entity-name",
                    topic,
                ],
            )
            .ok()
            .stdout_str();
        // "  retention.ms=1234567 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=1234567}"
        out.lines()
            .filter(|l| l.starts_with("  "))
            .filter_map(|l| {
                let l = l.trim_start();
                let cut = l.rfind(" sensitive=")?;
                let (k, v) = l[..cut].split_once('=')?;
                Some((k.to_string(), v.to_string()))
            })
            .collect()
    }

    /// `kafka-configs --alter` on a topic: set `set`, remove `delete`.
    pub fn alter_topic_config(&self, topic: &str, set: &[(&str, &str)], delete: &[&str]) {
        let mut args = vec!["--alter", "--entity-type", "topics", "--entity-name", topic];
        let add = set
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(",");
        let del = delete.join(",");
        if !set.is_empty() {
            args.extend(["--add-config", &add]);
        }
        if !delete.is_empty() {
            args.extend(["--delete-config", &del]);
        }
        self.tool("kafka.admin.ConfigCommand", &args).ok();
    }

    // -- offsets --------------------------------------------------------------------------------

    fn offsets(&self, topic: &str, time: &str) -> BTreeMap<i32, i64> {
        let re = topic_regex(topic);
        let ran = self.tool(
            "org.apache.kafka.tools.GetOffsetShell",
            &["--topic", &re, "--time", time],
        );
        if !ran.status.success() && ran.stderr.contains("Could not match any topic-partitions") {
            return BTreeMap::new(); // no such topic (yet)
        }
        let out = ran.ok().stdout_str();
        // "topic:partition:offset"
        out.lines()
            .filter_map(|l| {
                let mut it = l.trim().rsplitn(3, ':');
                let off = it.next()?.parse().ok()?;
                let p = it.next()?.parse().ok()?;
                (it.next()? == topic).then_some((p, off))
            })
            .collect()
    }

    /// Log end offsets (high watermarks) per partition (`GetOffsetShell --time -1`); empty if the
    /// topic does not exist (yet).
    pub fn end_offsets(&self, topic: &str) -> BTreeMap<i32, i64> {
        self.offsets(topic, "-1")
    }

    /// Log start offsets per partition (`GetOffsetShell --time -2`); empty if the topic does not exist.
    pub fn start_offsets(&self, topic: &str) -> BTreeMap<i32, i64> {
        self.offsets(topic, "-2")
    }

    /// Sum of end offsets minus start offsets.
    pub fn offset_span(&self, topic: &str) -> i64 {
        let start = self.start_offsets(topic);
        self.end_offsets(topic)
            .iter()
            .map(|(p, e)| e - start.get(p).copied().unwrap_or(0))
            .sum()
    }

    // -- records --------------------------------------------------------------------------------

    /// Reads the topic from the beginning with Kafka's console consumer until `expected_total`
    /// records arrived or none came for 20 s (read again if short, see below), sorted by (partition, offset).
    /// `read_committed` hides aborted transactional records. Null keys, values and header values are
    /// reported as `None` (the consumer prints a `null.literal` that the data cannot contain).
    /// The console consumer's group (`console-consumer-*`) commits no offsets.
    pub fn dump(
        &self,
        topic: &str,
        expected_total: usize,
        read_committed: bool,
    ) -> Vec<DumpedRecord> {
        self.dump_with(topic, expected_total, read_committed, "20000")
    }

    /// Every record of `topic` when their number is not known (a compacted topic): reads up to
    /// its offset span and stops after 6 s without a record; read again while it gets nothing.
    pub fn dump_all(&self, topic: &str) -> Vec<DumpedRecord> {
        let span = usize::try_from(self.offset_span(topic)).unwrap_or(0);
        self.dump_with(topic, span, false, "6000")
    }

    /// What the Connect offsets topic `progress_topic` saved for each partition of `topic`
    /// replicated from `alias`: the latest record of each `MirrorSourceConnector` source key (MM2's
    /// layout, read here with the console consumer and parsed as JSON, not with strait's code).
    /// Empty when the topic does not exist yet.
    pub fn saved_progress(
        &self,
        progress_topic: &str,
        alias: &str,
        topic: &str,
    ) -> BTreeMap<i32, SavedProgress> {
        if !self.has_topic(progress_topic) {
            return BTreeMap::new();
        }
        let mut saved = BTreeMap::new();
        // Sorted by (offsets-topic partition, offset); a key lives in one partition, so the last
        // record of a key is its latest.
        for r in self.dump_all(progress_topic) {
            let Some(key) = r.key.as_deref() else {
                continue;
            };
            let key: serde_json::Value = serde_json::from_str(key)
                .unwrap_or_else(|e| panic!("{progress_topic}: key {key:?} is not JSON: {e}"));
            let part = &key[1];
            if key[0] != "MirrorSourceConnector"
                || part["cluster"] != alias
                || part["topic"] != topic
            {
                continue;
            }
            let partition = part["partition"]
                .as_i64()
                .unwrap_or_else(|| panic!("{progress_topic}: key without partition: {key}"))
                as i32;
            match r.value.as_deref() {
                None => {
                    saved.remove(&partition);
                }
                Some(v) => {
                    let v: serde_json::Value = serde_json::from_str(v).unwrap_or_else(|e| {
                        panic!("{progress_topic}: value {v:?} is not JSON: {e}")
                    });
                    let last = v["offset"]
                        .as_i64()
                        .unwrap_or_else(|| panic!("{progress_topic}: value without offset: {v}"));
                    saved.insert(
                        partition,
                        SavedProgress {
                            next_offset: last + 1,
                            timestamp: r.timestamp,
                        },
                    );
                }
            }
        }
        saved
    }

    fn dump_with(
        &self,
        topic: &str,
        expected_total: usize,
        read_committed: bool,
        idle_ms: &str,
    ) -> Vec<DumpedRecord> {
        let max = expected_total.max(1).to_string();
        let props = [
            "print.timestamp=true".to_string(),
            "print.partition=true".to_string(),
            "print.offset=true".to_string(),
            "print.headers=true".to_string(),
            "print.key=true".to_string(),
            format!("key.separator={COL}"),
            format!("line.separator={LINE}"),
            format!("headers.separator={HDR}"),
            format!("null.literal={NULL}"),
        ];
        let iso = if read_committed {
            "read_committed"
        } else {
            "read_uncommitted"
        };
        let mut args = vec![
            "--topic",
            topic,
            "--from-beginning",
            "--max-messages",
            &max,
            "--timeout-ms",
            idle_ms,
            "--isolation-level",
            iso,
            "--consumer-property",
            "enable.auto.commit=false",
        ];
        for p in &props {
            args.push("--property");
            args.push(p);
        }
        // Under the whole suite's load a console consumer can wait out its idle timeout before its
        // group gets its partitions and read nothing: read again (up to 3 times) while fewer than
        // `expected_total` records came back. What the caller asserts is unchanged.
        let mut records = Vec::new();
        for attempt in 1..=3 {
            let ran = self
                .tool("org.apache.kafka.tools.consumer.ConsoleConsumer", &args)
                .ok();
            records = parse_dump(&ran.stdout);
            if records.len() >= expected_total || (idle_ms != "20000" && !records.is_empty()) {
                break;
            }
            eprintln!(
                "dump {topic} on {}: {} of {expected_total} records (attempt {attempt})",
                self.name,
                records.len()
            );
        }
        records.sort_by_key(|r| (r.partition, r.offset));
        records
    }

    /// The record batches of one partition, from the `.log` segments of a replica's log dir
    /// (`kafka.tools.DumpLogSegments`). Needs the cluster's files (see [`Cluster::dir`]).
    pub fn batches(&self, topic: &str, partition: i32) -> Vec<BatchInfo> {
        let dir = self.need_dir("batches()");
        let part = format!("{topic}-{partition}");
        let mut segments: Vec<PathBuf> = Vec::new();
        for k in 1..=self.nodes {
            let pdir = dir.join(format!("node-{k}/data/{part}"));
            if let Ok(rd) = fs::read_dir(&pdir) {
                segments = rd
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "log"))
                    .collect();
                if !segments.is_empty() {
                    break;
                }
            }
        }
        assert!(
            !segments.is_empty(),
            "no replica of {part} on {} under {}",
            self.name,
            dir.display()
        );
        segments.sort();
        let files = segments
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(",");
        let ran = kafka_tool(
            "kafka.tools.DumpLogSegments",
            &["--files", &files],
            TOOL_TIMEOUT,
        )
        .ok();
        parse_batches(&ran.stdout_str())
    }

    /// The compression codec of every record batch of a partition, in log order.
    pub fn batch_codecs(&self, topic: &str, partition: i32) -> Vec<String> {
        self.batches(topic, partition)
            .into_iter()
            .map(|b| b.codec)
            .collect()
    }

    // -- consumer groups ------------------------------------------------------------------------

    /// Runs `kafka-consumer-groups ARGS` and returns its stdout. The tool exits 0 even when it
    /// failed (it prints `Error: ...` instead), so its output is checked too and any error panics,
    /// so that a failed call never reads as "nothing there". The one error let through is
    /// "group `missing_ok` does not exist", which describes an empty group.
    pub fn group_command(&self, args: &[&str], missing_ok: Option<&str>) -> String {
        let ran = self
            .tool(
                "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
                args,
            )
            .ok();
        let out = ran.stdout_str();
        let missing = missing_ok.map(|g| format!("Error: Consumer group '{g}' does not exist."));
        let errors: Vec<&str> = out
            .lines()
            .chain(ran.stderr.lines())
            .map(str::trim)
            .filter(|l| l.starts_with("Error:") && Some(*l) != missing.as_deref())
            .collect();
        assert!(
            errors.is_empty(),
            "{} failed: {errors:?}\nstderr:\n{}",
            ran.what,
            ran.stderr
        );
        out
    }

    /// Consumer groups, sorted, without the console consumer's own `console-consumer-*` groups.
    pub fn groups(&self) -> Vec<String> {
        let out = self.group_command(&["--list"], None);
        let mut v: Vec<String> = out
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("console-consumer-"))
            .map(String::from)
            .collect();
        v.sort();
        v
    }

    /// Committed offsets of a group: (topic, partition) -> offset. Empty if the group does not exist.
    pub fn group_offsets(&self, group: &str) -> BTreeMap<(String, i32), i64> {
        self.describe_group_with(group, &["--offsets"])
    }

    /// `kafka-consumer-groups --describe --group G EXTRA...`: the offset column per (topic,
    /// partition); empty when the group does not exist.
    fn describe_group_with(&self, group: &str, extra: &[&str]) -> BTreeMap<(String, i32), i64> {
        let mut args = vec!["--describe", "--group", group];
        args.extend_from_slice(extra);
        let out = self.group_command(&args, Some(group));
        let mut map = BTreeMap::new();
        for l in out.lines() {
            // GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG ...
            let f: Vec<&str> = l.split_whitespace().collect();
            if f.len() >= 4 && f[0] == group {
                if let (Ok(p), Ok(o)) = (f[2].parse::<i32>(), f[3].parse::<i64>()) {
                    map.insert((f[1].to_string(), p), o);
                }
            }
        }
        map
    }

    /// Commits offsets for an inactive group (creating it) with
    /// `kafka-consumer-groups --reset-offsets --from-file ... --execute`.
    pub fn commit_offsets(&self, group: &str, topic: &str, offsets: &[(i32, i64)]) {
        let csv = run_dir().join(format!("offsets-{}.csv", next_seq()));
        let mut f = fs::File::create(&csv).unwrap();
        for (p, o) in offsets {
            writeln!(f, "{topic},{p},{o}").unwrap();
        }
        drop(f);
        let path = csv.display().to_string();
        self.group_command(
            &[
                "--reset-offsets",
                "--group",
                group,
                "--from-file",
                &path,
                "--execute",
            ],
            None,
        );
    }

    // -- writing data (Java test client) ----------------------------------------------------------

    /// Writes records 0..per_partition of every partition (see [`expected_record`]).
    /// Returns the number of records written.
    pub fn produce(
        &self,
        topic: &str,
        partitions: i32,
        per_partition: u64,
        codec: &str,
        seed: i64,
    ) -> u64 {
        self.produce_from(topic, partitions, 0, per_partition, codec, seed)
    }

    /// Like [`Cluster::produce`] with records start..start+per_partition of every partition.
    pub fn produce_from(
        &self,
        topic: &str,
        partitions: i32,
        start: u64,
        per_partition: u64,
        codec: &str,
        seed: i64,
    ) -> u64 {
        self.produce_keyed(topic, partitions, start, per_partition, codec, seed, 0)
    }

    /// Like [`Cluster::produce_from`]; with `key_mod` > 0 record i of a partition has key
    /// `k-<seed>-<p>-<i % key_mod>` (repeated keys, for compacted topics).
    #[allow(clippy::too_many_arguments)]
    pub fn produce_keyed(
        &self,
        topic: &str,
        partitions: i32,
        start: u64,
        per_partition: u64,
        codec: &str,
        seed: i64,
        key_mod: u64,
    ) -> u64 {
        let km = key_mod.to_string();
        let (p, n, s, st) = (
            partitions.to_string(),
            per_partition.to_string(),
            seed.to_string(),
            start.to_string(),
        );
        let out = test_client(
            &[
                "produce",
                "--bootstrap",
                &self.bootstrap,
                "--topic",
                topic,
                "--partitions",
                &p,
                "--per-partition",
                &n,
                "--codec",
                codec,
                "--seed",
                &s,
                "--start-index",
                &st,
                "--key-mod",
                &km,
            ],
            TOOL_TIMEOUT,
        )
        .ok();
        json_u64(&out.stdout_str(), "records")
    }

    /// Transactions alternating commit and abort, with a plain record after each (see the Java
    /// client's `transactions` mode).
    pub fn transactions(
        &self,
        topic: &str,
        partitions: i32,
        txns: u64,
        per_txn: u64,
        seed: i64,
    ) -> TxnCounts {
        let (p, t, k, s) = (
            partitions.to_string(),
            txns.to_string(),
            per_txn.to_string(),
            seed.to_string(),
        );
        let out = test_client(
            &[
                "transactions",
                "--bootstrap",
                &self.bootstrap,
                "--topic",
                topic,
                "--partitions",
                &p,
                "--transactions",
                &t,
                "--per-txn",
                &k,
                "--seed",
                &s,
            ],
            TOOL_TIMEOUT,
        )
        .ok()
        .stdout_str();
        TxnCounts {
            committed: json_u64(&out, "committed"),
            aborted: json_u64(&out, "aborted"),
            plain: json_u64(&out, "plain"),
        }
    }

    /// Fast load of `records` key-less records of `size` bytes. Returns the records written.
    pub fn bulk(&self, topic: &str, records: u64, size: usize, codec: &str) -> u64 {
        let (n, sz) = (records.to_string(), size.to_string());
        let out = test_client(
            &[
                "bulk",
                "--bootstrap",
                &self.bootstrap,
                "--topic",
                topic,
                "--records",
                &n,
                "--size",
                &sz,
                "--codec",
                codec,
            ],
            Duration::from_secs(600),
        )
        .ok();
        json_u64(&out.stdout_str(), "records")
    }

    // -- Java MirrorClient as a witness (run against the target cluster) ---------------------------

    /// `RemoteClusterUtils.translateOffsets(this cluster, source_alias, group)`:
    /// (topic, partition) -> offset as Java MM2's client reads strait's checkpoints.
    pub fn translate_offsets(
        &self,
        source_alias: &str,
        group: &str,
    ) -> BTreeMap<(String, i32), i64> {
        let out = test_client(
            &[
                "translate",
                "--bootstrap",
                &self.bootstrap,
                "--source-alias",
                source_alias,
                "--group",
                group,
            ],
            TOOL_TIMEOUT,
        )
        .ok()
        .stdout_str();
        let v: serde_json::Value = serde_json::from_str(out.trim()).expect("translate output");
        v.as_object()
            .unwrap()
            .iter()
            .map(|(k, o)| {
                let (t, p) = k.rsplit_once(':').unwrap();
                ((t.to_string(), p.parse().unwrap()), o.as_i64().unwrap())
            })
            .collect()
    }

    /// Java `MirrorClient` view of this cluster: heartbeat_topics, checkpoint_topics,
    /// upstream_clusters, remote_topics, and for `topic`: replication_hops, topic_source, upstream_topic.
    pub fn mirror_info(&self, topic: Option<&str>) -> serde_json::Value {
        let mut args = vec!["mirror-info", "--bootstrap", &self.bootstrap];
        if let Some(t) = topic {
            args.extend(["--topic", t]);
        }
        let out = test_client(&args, TOOL_TIMEOUT).ok().stdout_str();
        serde_json::from_str(out.trim()).expect("mirror-info output")
    }

    // -- consumer groups (Kafka's own consumer and tools) -----------------------------------------

    /// Commits `offsets` (partition, offset) of `topic` for `group`, as a consumer application does.
    pub fn commit_group(&self, group: &str, topic: &str, offsets: &[(i32, i64)], metadata: &str) {
        let list: Vec<String> = offsets.iter().map(|(p, o)| format!("{p}:{o}")).collect();
        let list = list.join(",");
        test_client(
            &[
                "commit",
                "--bootstrap",
                &self.bootstrap,
                "--group",
                group,
                "--topic",
                topic,
                "--offsets",
                &list,
                "--metadata",
                metadata,
            ],
            TOOL_TIMEOUT,
        )
        .ok();
    }

    /// A consumer application joining `group` on this cluster and reading `topic` from the group's
    /// committed positions (earliest where none) until `expect` records came and then nothing for
    /// a few seconds; it commits before leaving.
    pub fn consume_group(&self, group: &str, topic: &str, expect: usize) -> GroupRead {
        let n = expect.to_string();
        let out = test_client(
            &[
                "consume-group",
                "--bootstrap",
                &self.bootstrap,
                "--group",
                group,
                "--topic",
                topic,
                "--expect",
                &n,
                "--idle-ms",
                "4000",
            ],
            Duration::from_secs(180),
        )
        .ok()
        .stdout_str();
        let v: serde_json::Value = serde_json::from_str(out.trim()).expect("consume-group output");
        let committed = v["committed"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(p, o)| (p.parse().unwrap(), o.as_i64().unwrap()))
            .collect();
        let records = v["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| GroupRecord {
                partition: r["p"].as_i64().unwrap() as i32,
                offset: r["o"].as_i64().unwrap(),
                key: r["k"].as_str().map(str::to_string),
                value: r["v"].as_str().map(str::to_string),
            })
            .collect();
        GroupRead { committed, records }
    }

    /// `kafka-consumer-groups --describe --group G`: committed offset per (topic, partition);
    /// empty when the group does not exist, a panic when the tool failed.
    pub fn describe_group(&self, group: &str) -> BTreeMap<(String, i32), i64> {
        self.describe_group_with(group, &[])
    }

    /// Reads `topic` with one of Kafka's MM2 console formatters
    /// (`org.apache.kafka.connect.mirror.formatters.<formatter>`), every record: the lines it printed.
    pub fn formatted(&self, topic: &str, formatter: &str) -> Vec<String> {
        let class = format!("org.apache.kafka.connect.mirror.formatters.{formatter}");
        let span: i64 = self.offset_span(topic);
        let max = span.max(1).to_string();
        let mut lines = Vec::new();
        // As in `dump`: under load a console consumer may give up before it got its partition.
        for attempt in 1..=3 {
            let ran = self.tool(
                "org.apache.kafka.tools.consumer.ConsoleConsumer",
                &[
                    "--topic",
                    topic,
                    "--from-beginning",
                    "--max-messages",
                    &max,
                    "--timeout-ms",
                    "15000",
                    "--formatter",
                    &class,
                ],
            );
            lines = ran.stdout_str().lines().map(str::to_string).collect();
            if !lines.is_empty() {
                break;
            }
            eprintln!(
                "formatted {topic} on {}: nothing read (attempt {attempt}); stderr: {}",
                self.name,
                ran.stderr.lines().last().unwrap_or("")
            );
        }
        lines
    }

    // -- nodes (clusters started by this process or given as DIR) ---------------------------------

    /// Stops node `k` (1-based): SIGTERM and wait, or SIGKILL with `kill`.
    pub fn stop_node(&self, k: usize, kill: bool) {
        let dir = self.need_dir("stop_node()");
        let mut cmd = Command::new("bash");
        cmd.arg(repo_root().join("scripts/kafka-cluster.sh"))
            .arg("stop")
            .arg("--dir")
            .arg(dir)
            .args(["--node", &k.to_string()]);
        if kill {
            cmd.arg("--kill");
        }
        run_with_timeout(cmd, "kafka-cluster.sh stop", Duration::from_secs(60)).ok();
    }

    /// Starts node `k` again and waits until every node answers.
    pub fn start_node(&self, k: usize) {
        let dir = self.need_dir("start_node()");
        let mut cmd = Command::new("bash");
        cmd.arg(repo_root().join("scripts/kafka-cluster.sh"))
            .arg("start-node")
            .arg("--dir")
            .arg(dir)
            .args(["--node", &k.to_string()])
            .env("STRAIT_KAFKA_JARS", jars());
        run_with_timeout(cmd, "kafka-cluster.sh start-node", Duration::from_secs(180)).ok();
    }
}

impl fmt::Debug for Cluster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cluster({} {})", self.name, self.bootstrap)
    }
}

/// A base port such that `base..base+count` are all free now: random in 20000..32000, below Linux's
/// ephemeral range so that no client connection grabs one of them before the broker binds it.
pub fn free_port_base(count: usize) -> u16 {
    use std::hash::{BuildHasher, Hasher};
    for _ in 0..200 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(next_seq());
        let base = 20000 + (h.finish() % 12000) as u16;
        if (0..count as u16).all(|i| TcpListener::bind(("127.0.0.1", base + i)).is_ok()) {
            return base;
        }
    }
    panic!("no {count} consecutive free ports in 20000..32000");
}

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

/// Parses the console consumer's output (see the properties in [`Cluster::dump`]).
pub fn parse_dump(out: &[u8]) -> Vec<DumpedRecord> {
    let text = String::from_utf8_lossy(out);
    let mut records = Vec::new();
    for rec in text.split(LINE) {
        if rec.is_empty() {
            continue;
        }
        // timestamp, partition, offset, headers, key, value (the value may contain anything).
        let f: Vec<&str> = rec.splitn(6, COL).collect();
        assert_eq!(f.len(), 6, "unparsable console consumer record: {rec:?}");
        let (timestamp_type, timestamp) = match f[0] {
            "NO_TIMESTAMP" => ("NO_TIMESTAMP".to_string(), -1),
            ts => {
                let (t, v) = ts
                    .split_once(':')
                    .unwrap_or_else(|| panic!("bad timestamp {ts:?}"));
                (t.to_string(), v.parse().unwrap())
            }
        };
        let partition = f[1]
            .strip_prefix("Partition:")
            .expect("Partition:")
            .parse()
            .unwrap();
        let offset = f[2]
            .strip_prefix("Offset:")
            .expect("Offset:")
            .parse()
            .unwrap();
        let headers = if f[3] == "NO_HEADERS" {
            Vec::new()
        } else {
            f[3].split(HDR)
                .map(|h| {
                    let (k, v) = h
                        .split_once(':')
                        .unwrap_or_else(|| panic!("bad header {h:?}"));
                    (k.to_string(), null_or(v))
                })
                .collect()
        };
        records.push(DumpedRecord {
            partition,
            offset,
            timestamp_type,
            timestamp,
            key: null_or(f[4]),
            value: null_or(f[5]),
            headers,
        });
    }
    records
}

/// Parses `DumpLogSegments --files` output (batch lines only).
pub fn parse_batches(out: &str) -> Vec<BatchInfo> {
    out.lines()
        .filter(|l| l.starts_with("baseOffset:"))
        .map(|l| {
            // "baseOffset: 0 lastOffset: 29 count: 30 ... isTransactional: false isControl: false ...
            //  CreateTime: 1700000000029 size: 4877 magic: 2 compresscodec: zstd crc: .. isvalid: true"
            let toks: Vec<&str> = l.split_whitespace().collect();
            let get = |name: &str| -> &str {
                toks.iter()
                    .position(|t| *t == name)
                    .and_then(|i| toks.get(i + 1).copied())
                    .unwrap_or_else(|| panic!("no {name} in {l}"))
            };
            let (timestamp_type, max_timestamp) = if toks.contains(&"LogAppendTime:") {
                (
                    "LogAppendTime".to_string(),
                    get("LogAppendTime:").parse().unwrap_or(-1),
                )
            } else {
                (
                    "CreateTime".to_string(),
                    get("CreateTime:").parse().unwrap_or(-1),
                )
            };
            BatchInfo {
                base_offset: get("baseOffset:").parse().unwrap(),
                last_offset: get("lastOffset:").parse().unwrap(),
                count: get("count:").parse().unwrap(),
                codec: get("compresscodec:").to_lowercase(),
                producer_id: get("producerId:").parse().unwrap(),
                is_transactional: get("isTransactional:") == "true",
                is_control: get("isControl:") == "true",
                timestamp_type,
                max_timestamp,
            }
        })
        .collect()
}

// ------------------------------------------------------------------------------------------------
// The generated test data (mirror of `Gen` in tests/java/StraitTestClient.java)

/// Timestamp of record 0 of partition 0: 2096-10-02, in the future on purpose, so that the brokers'
/// default time-based retention (7 days) never deletes the test data; record (p, i) has
/// `BASE_TIMESTAMP + p * 1_000_000 + i`.
pub const BASE_TIMESTAMP: i64 = 4_000_000_000_000;

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Record `i` of partition `p` as the Java client's `produce --seed seed` writes it, with
/// `offset = i` (true on a topic that only this produce call wrote to, from index 0).
pub fn expected_record(seed: i64, p: i32, i: u64) -> DumpedRecord {
    let ii = i as i64;
    let key = (i % 13 != 12).then(|| format!("k-{seed}-{p}-{i}"));
    let value = (i % 11 != 10).then(|| {
        let mut h = mix(seed
            .wrapping_mul(1_000_003)
            .wrapping_add((p as i64) * 100_003)
            .wrapping_add(ii) as u64);
        let len = 100 + (h % 201) as usize;
        let mut s = format!("v-{seed}-{p}-{i}:");
        while s.len() < len {
            h = mix(h);
            s.push((32 + (h % 95) as u8) as char);
        }
        s
    });
    let headers = if i % 7 == 3 {
        Vec::new()
    } else {
        vec![
            ("h".to_string(), Some("a".to_string())),
            ("h".to_string(), Some("b".to_string())),
            ("n".to_string(), None),
            ("e".to_string(), Some(String::new())),
            ("idx".to_string(), Some(format!("{p}-{i}"))),
        ]
    };
    DumpedRecord {
        partition: p,
        offset: ii,
        timestamp_type: "CreateTime".into(),
        timestamp: BASE_TIMESTAMP + p as i64 * 1_000_000 + ii,
        key,
        value,
        headers,
    }
}

/// All records of a `produce_from(.., partitions, start, per_partition, .., seed)` call, sorted by
/// (partition, index); offsets are the indexes.
pub fn expected_records(
    seed: i64,
    partitions: i32,
    start: u64,
    per_partition: u64,
) -> Vec<DumpedRecord> {
    (0..partitions)
        .flat_map(|p| (start..start + per_partition).map(move |i| expected_record(seed, p, i)))
        .collect()
}

/// Asserts that two record lists hold the same records in the same per-partition order
/// (offsets compared only with `compare_offsets`), with a readable message on the first difference.
pub fn assert_same_records(
    actual: &[DumpedRecord],
    expected: &[DumpedRecord],
    compare_offsets: bool,
) {
    let per_partition = |rs: &[DumpedRecord]| {
        let mut m: BTreeMap<i32, usize> = BTreeMap::new();
        for r in rs {
            *m.entry(r.partition).or_default() += 1;
        }
        m
    };
    assert_eq!(
        per_partition(actual),
        per_partition(expected),
        "record counts per partition differ (actual vs expected)"
    );
    let sorted = |rs: &[DumpedRecord]| {
        let mut v: Vec<DumpedRecord> = rs.to_vec();
        v.sort_by_key(|r| r.partition); // stable: keeps each partition's order
        v
    };
    for (n, (a, e)) in sorted(actual)
        .iter()
        .zip(sorted(expected).iter())
        .enumerate()
    {
        let same = a.partition == e.partition
            && (!compare_offsets || a.offset == e.offset)
            && a.timestamp_type == e.timestamp_type
            && a.timestamp == e.timestamp
            && a.key == e.key
            && a.value == e.value
            && a.headers == e.headers;
        assert!(
            same,
            "record #{n} differs:\n  actual:   {a:?}\n  expected: {e:?}"
        );
    }
}

// ------------------------------------------------------------------------------------------------
// The strait binary under test

/// A running `strait run --config FILE`, stdout and stderr in a log file. Dropping it kills it.
pub struct Strait {
    child: Option<Child>,
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
        Strait::start_at(dir, config_path, extra_args, env)
    }

    fn start_at(
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
        cmd.arg("run")
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
        let next = Strait::start_at(self.dir.clone(), self.config_path.clone(), extra_args, &[]);
        let mut old = std::mem::replace(self, next);
        old.child = None; // already reaped
    }

    /// Runs `strait run --config FILE` on a config expected to be rejected: returns the exit status
    /// and the output once it exits. Panics if it is still running after 30 s (config accepted).
    pub fn check(config_text: &str) -> (ExitStatus, String) {
        let dir = strait_dir();
        let config_path = dir.join("mm2.properties");
        fs::write(&config_path, config_text).unwrap();
        let mut cmd = Command::new(strait_bin());
        cmd.arg("run")
            .arg("--config")
            .arg(&config_path)
            .current_dir(&dir);
        if std::env::var_os("RUST_LOG").is_none() {
            cmd.env("RUST_LOG", "info,strait=debug");
        }
        let ran = run_with_timeout(cmd, "strait run (check)", Duration::from_secs(30));
        let mut out = ran.stderr;
        out.push_str(&String::from_utf8_lossy(&ran.stdout));
        (ran.status, out)
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

// ------------------------------------------------------------------------------------------------
// The secured cluster of the security tests

/// Session lifetime the secured broker grants SASL clients (`connections.max.reauth.ms` of its
/// SASL_SSL listener): short, so that every SASL test lives through several expiries.
pub const REAUTH_MS: u64 = 8000;

/// One single-node cluster started with `kafka-cluster.sh --secure` (see there): PLAINTEXT for the
/// harness and Kafka's tools (super user ANONYMOUS), SSL with required client certificates (mTLS) and
/// SASL_SSL (PLAIN user `strait-plain`, SCRAM user `strait-scram`). Security tests use its SASL_SSL
/// listener as the source and its SSL listener as the target of one flow.
pub struct SecureCluster {
    /// The cluster, reached through its PLAINTEXT listener.
    pub cluster: Cluster,
    /// TLS material and passwords from `scripts/gen-test-certs.sh`.
    pub certs: PathBuf,
    /// `127.0.0.1:port` of the mTLS listener.
    pub ssl: String,
    /// `127.0.0.1:port` of the SASL_SSL listener.
    pub sasl_ssl: String,
}

impl SecureCluster {
    /// A file of the cert dir, as a path string for configs.
    pub fn file(&self, name: &str) -> String {
        self.certs.join(name).display().to_string()
    }

    /// The content of a password file of the cert dir.
    pub fn secret(&self, name: &str) -> String {
        fs::read_to_string(self.certs.join(name))
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .trim()
            .to_string()
    }

    /// Every password of the test set-up (stores, keys, SASL users): none may appear in a log.
    pub fn all_secrets(&self) -> Vec<String> {
        [
            "store-password",
            "key-password",
            "sasl-plain-password",
            "sasl-scram-password",
        ]
        .iter()
        .map(|f| self.secret(f))
        .collect()
    }

    /// The port of the SASL_SSL listener.
    pub fn sasl_ssl_port(&self) -> u16 {
        self.sasl_ssl.rsplit(':').next().unwrap().parse().unwrap()
    }
}

/// The secured cluster, started on first use.
pub fn secure() -> &'static SecureCluster {
    static SECURE: OnceLock<SecureCluster> = OnceLock::new();
    SECURE.get_or_init(|| {
        let t0 = Instant::now();
        let certs = run_dir().join("certs");
        let reauth = format!("listener.name.sasl_ssl.connections.max.reauth.ms={REAUTH_MS}");
        let certs_arg = certs.display().to_string();
        let (cluster, base) =
            Cluster::start_with("secure", 1, 4, &["--secure", &certs_arg, "--prop", &reauth]);
        eprintln!(
            "e2e: secured cluster {} ready after {:.1} s",
            cluster.bootstrap(),
            t0.elapsed().as_secs_f64()
        );
        SecureCluster {
            cluster,
            certs,
            ssl: format!("127.0.0.1:{}", base + 2),
            sasl_ssl: format!("127.0.0.1:{}", base + 3),
        }
    })
}

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
