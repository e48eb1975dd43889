//! The two clusters every test shares, and a cluster's nodes, topics and offsets, read and changed
//! through Kafka's own tools.

use super::*;

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

    pub(super) fn need_dir(&self, what: &str) -> &Path {
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

    /// Deletes the records of `topic` below each `(partition, offset)` with Kafka's own
    /// DeleteRecordsCommand (offset -1: up to the high watermark), as retention or an operator does.
    pub fn delete_records(&self, topic: &str, before: &[(i32, i64)]) {
        let partitions: Vec<serde_json::Value> = (before.iter())
            .map(|(p, o)| serde_json::json!({"topic": topic, "partition": p, "offset": o}))
            .collect();
        let file = run_dir().join(format!("{topic}-{}-delete.json", epoch_ms()));
        std::fs::write(
            &file,
            serde_json::json!({"version": 1, "partitions": partitions}).to_string(),
        )
        .unwrap();
        self.tool(
            "org.apache.kafka.tools.DeleteRecordsCommand",
            &["--offset-json-file", file.to_str().unwrap()],
        )
        .ok();
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

    /// Kills every node at once (SIGKILL), as when a data centre goes dark.
    pub fn kill_all(&self) {
        let dir = self.need_dir("kill_all()");
        let mut cmd = Command::new("bash");
        cmd.arg(repo_root().join("scripts/kafka-cluster.sh"))
            .args(["stop", "--kill", "--dir"])
            .arg(dir);
        run_with_timeout(cmd, "kafka-cluster.sh stop --kill", Duration::from_secs(60)).ok();
    }

    /// Starts every stopped node again (together, so that the controller quorum forms) and waits
    /// until all answer.
    pub fn start_stopped(&self) {
        let dir = self.need_dir("start_stopped()");
        let mut cmd = Command::new("bash");
        cmd.arg(repo_root().join("scripts/kafka-cluster.sh"))
            .args(["start", "--dir"])
            .arg(dir)
            .args(["--owner-pid", &std::process::id().to_string()])
            .env("STRAIT_KAFKA_JARS", jars());
        run_with_timeout(
            cmd,
            "kafka-cluster.sh start (restart)",
            Duration::from_secs(300),
        )
        .ok();
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
