//! Consumer groups on a cluster and Java's MirrorClient, through Kafka's own tools.

use super::*;

impl Cluster {
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
        self.consume_group_idle(group, topic, expect, 4000)
    }

    /// [`Cluster::consume_group`] that stops once `expect` records came and nothing more for
    /// `idle_ms` (0: at once, while producers still write).
    pub fn consume_group_idle(
        &self,
        group: &str,
        topic: &str,
        expect: usize,
        idle_ms: u64,
    ) -> GroupRead {
        let n = expect.to_string();
        let idle = idle_ms.to_string();
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
                &idle,
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
}
