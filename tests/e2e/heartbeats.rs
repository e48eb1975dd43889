//! MM2 heartbeats against real Kafka 3.9, read back only with Kafka's own code: the console consumer
//! with MM2's `HeartbeatFormatter` (which decodes with Java's `Heartbeat.deserializeRecord`) and Java
//! `MirrorClient` (`upstreamClusters`, `replicationHops`).
//!
//! Each test uses its own aliases, so the heartbeat keys and the remote names `alias.heartbeats` of
//! concurrent tests never meet. The secondary's `heartbeats` topic itself is shared by every test of
//! the run (every strait test emits into it, as every herder of a real deployment does), so assertions
//! filter by key.
//!
//! No heartbeat topic may land on the PRIMARY: every other test replicates from it, and MM2's rules
//! (which strait follows) replicate a source's heartbeat topics whatever the topic filter says, so
//! such a topic would appear in every flow (and break, e.g., the interop tests' "Java MM2 found
//! strait's progress for every partition" check). That is why these tests run both aliases on the
//! secondary, and why the other tests' heartbeat-only herders `secondary->alias`, which target the
//! 1-node primary with the default `heartbeats.topic.replication.factor` 3, only log a creation error.

use std::time::Duration;

use crate::support::*;

const HEARTBEAT_FORMATTER: &str = "org.apache.kafka.connect.mirror.formatters.HeartbeatFormatter";

/// One heartbeat as Java decodes it, with the record's own timestamp.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Beat {
    source: String,
    target: String,
    timestamp: i64,
    record_timestamp: i64,
}

/// Every record of `topic` partition 0 up to its current end: decoded by MM2's `HeartbeatFormatter`
/// and, in a second read of the same offsets, the record timestamps (`print.timestamp`).
fn read_beats(cluster: &Cluster, topic: &str) -> Vec<Beat> {
    let end = cluster.end_offsets(topic).get(&0).copied().unwrap_or(0);
    if end == 0 {
        return Vec::new();
    }
    let max = end.to_string();
    let base = [
        "--topic",
        topic,
        "--partition",
        "0",
        "--offset",
        "earliest",
        "--max-messages",
        &max,
        "--timeout-ms",
        "20000",
    ];
    let mut formatted = base.to_vec();
    formatted.extend(["--formatter", HEARTBEAT_FORMATTER]);
    let decoded = cluster
        .tool(
            "org.apache.kafka.tools.consumer.ConsoleConsumer",
            &formatted,
        )
        .ok()
        .stdout_str();
    let mut stamped = base.to_vec();
    stamped.extend([
        "--property",
        "print.timestamp=true",
        "--property",
        "print.key=false",
        "--property",
        "print.value=false",
    ]);
    let stamps = cluster
        .tool("org.apache.kafka.tools.consumer.ConsoleConsumer", &stamped)
        .ok()
        .stdout_str();
    let stamps: Vec<i64> = stamps
        .lines()
        .filter_map(|l| l.trim().strip_prefix("CreateTime:"))
        .map(|t| t.trim().parse().expect("record timestamp"))
        .collect();
    let beats: Vec<(String, String, i64)> = decoded
        .lines()
        .filter_map(|l| {
            let body = l
                .trim()
                .strip_prefix("Heartbeat{sourceClusterAlias=")?
                .strip_suffix('}')?;
            let (source, rest) = body.split_once(", targetClusterAlias=")?;
            let (target, ts) = rest.split_once(", timestamp=")?;
            Some((source.to_string(), target.to_string(), ts.parse().ok()?))
        })
        .collect();
    assert_eq!(
        beats.len(),
        stamps.len(),
        "{topic}: {} decoded heartbeats but {} timestamps:\n{decoded}",
        beats.len(),
        stamps.len()
    );
    beats
        .into_iter()
        .zip(stamps)
        .map(|((source, target, timestamp), record_timestamp)| Beat {
            source,
            target,
            timestamp,
            record_timestamp,
        })
        .collect()
}

/// The beats of `topic` keyed `(source, target)`, waiting until at least `at_least` are there.
fn wait_beats(
    cluster: &Cluster,
    topic: &str,
    source: &str,
    target: &str,
    at_least: usize,
    strait: &mut Strait,
) -> Vec<Beat> {
    let mut found = Vec::new();
    wait_until(
        Duration::from_secs(120),
        &format!("{at_least} heartbeats ({source}, {target}) in {topic}"),
        || {
            strait.assert_running();
            if !cluster.has_topic(topic) {
                return false;
            }
            found = read_beats(cluster, topic)
                .into_iter()
                .filter(|b| b.source == source && b.target == target)
                .collect();
            found.len() >= at_least
        },
    );
    found
}

/// Recent, about one a second, record timestamp = heartbeat timestamp.
fn assert_live(beats: &[Beat], what: &str) {
    for b in beats {
        assert_eq!(b.timestamp, b.record_timestamp, "{what}: {b:?}");
    }
    let last = beats.last().expect("beats").timestamp;
    let age = epoch_ms() - last;
    assert!(
        (0..60_000).contains(&age),
        "{what}: newest heartbeat is {age} ms old"
    );
    let mut gaps: Vec<i64> = beats
        .windows(2)
        .map(|w| w[1].timestamp - w[0].timestamp)
        .collect();
    gaps.sort_unstable();
    let median = gaps[gaps.len() / 2];
    assert!(
        (500..=2_500).contains(&median),
        "{what}: median gap between heartbeats {median} ms, expected about 1000 (gaps {gaps:?})"
    );
}

/// A config whose two aliases both name the SECONDARY cluster, so that no heartbeat topic ever lands
/// on the primary: every other test replicates from the primary, and a flow replicates every heartbeat
/// topic of its source whatever its filter says, so one there would show up in all of them. Topic
/// refresh is off: with both aliases on one cluster, `S.heartbeats` would otherwise be found on the
/// "source" again and become `S.S.heartbeats`, and so on.
fn same_cluster_config(source: &str, target: &str, data: &str, extra: &str) -> String {
    let secondary = pair().secondary.bootstrap();
    format!(
        "clusters = {source}, {target}\n\
         {source}.bootstrap.servers = {secondary}\n\
         {target}.bootstrap.servers = {secondary}\n\
         {source}->{target}.enabled = true\n\
         {target}->{source}.enabled = false\n\
         replication.factor = 3\n\
         topics = {data}\n\
         refresh.topics.enabled = false\n\
         {extra}\n"
    )
}

/// One flow `hbs -> hbt` (both aliases on the secondary) whose `topics` filter names one data topic:
/// - strait writes `Heartbeat(hbs, hbt, now)` into the target's `heartbeats` about once a second,
///   decodable by MM2's own formatter, record timestamp = heartbeat timestamp;
/// - the disabled reverse flow `hbt -> hbs` still has a herder, so `Heartbeat(hbt, hbs)` lands in the
///   source cluster's `heartbeats`;
/// - the source's `heartbeats` is replicated as `hbs.heartbeats` despite the filter, values and
///   timestamps preserved, and so is an upstream `hbup.heartbeats` (as `hbs.hbup.heartbeats`), while
///   another data topic is not;
/// - Java `MirrorClient` then sees `hbs` upstream at one hop, and reads `hbs.hbup.heartbeats` as
///   `hbup.heartbeats` from `hbs`.
#[test]
fn heartbeats_are_emitted_replicated_and_seen_by_mirror_client() {
    let p = pair();
    let (source, target, upstream) = ("hbs", "hbt", "hbup");
    let data = unique("hbdata");
    let other = unique("hbother");
    p.secondary.create_topic(&data, 1, 3, &[]);
    p.secondary.create_topic(&other, 1, 3, &[]);
    p.secondary.produce(&data, 1, 10, "none", 7);
    p.secondary.produce(&other, 1, 10, "none", 8);
    let upstream_topic = format!("{upstream}.heartbeats");
    p.secondary
        .create_topic(&upstream_topic, 1, 3, &[("cleanup.policy", "compact")]);
    let config = same_cluster_config(source, target, &data, "");
    let metrics_listen = format!("127.0.0.1:{}", free_port_base(1));
    let mut strait = Strait::start(&config, &["--metrics-listen", &metrics_listen]);

    // strait's own heartbeats on the target, in the `heartbeats` topic strait created (this
    // strait or another test's: nothing else in the suite creates it) the way MM2 does.
    let beats = wait_beats(&p.secondary, "heartbeats", source, target, 6, &mut strait);
    assert_live(&beats, "heartbeats (hbs, hbt)");
    // Their freshness on /metrics: the newest one on the target is at most a few seconds old
    // (emitted every second here).
    let prefix = format!(
        "kafka_connect_mirror_heartbeat_connector_freshness_ms{{source=\"{source}\",target=\"{target}\"}} "
    );
    let mut cmd = std::process::Command::new("curl");
    cmd.args(["-sS", &format!("http://{metrics_listen}/metrics")]);
    let scraped = run_with_timeout(cmd, "curl /metrics", Duration::from_secs(30))
        .ok()
        .stdout_str();
    let age: i64 = scraped
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {prefix} in\n{scraped}"));
    assert!((0..10_000).contains(&age), "freshness {age} ms");
    let d = p.secondary.describe("heartbeats");
    assert_eq!(d.partitions, 1);
    assert_eq!(
        d.configs.get("cleanup.policy").map(String::as_str),
        Some("compact")
    );
    // Topic discovery runs only at start here (refresh is off), and the source's `heartbeats`
    // (same cluster) may have appeared only now: start again so that it is found.
    let status = strait.terminate(Duration::from_secs(60));
    assert_eq!(status.code(), Some(0), "{}", strait.log_tail(30));
    strait.restart(&[]);

    // The heartbeat-only herder hbt->hbs writes into the source cluster's heartbeats.
    let back = wait_beats(&p.secondary, "heartbeats", target, source, 3, &mut strait);
    assert_live(&back, "heartbeats (hbt, hbs)");

    // ... and the source's heartbeats are replicated as hbs.heartbeats although `topics` names only
    // the data topic.
    let remote = format!("{source}.heartbeats");
    let mirrored = wait_beats(&p.secondary, &remote, target, source, 3, &mut strait);
    for b in &mirrored {
        assert_eq!(b.timestamp, b.record_timestamp, "{b:?}");
    }
    assert!(
        mirrored.iter().any(|b| back.contains(b)),
        "replicated heartbeats keep value and timestamp"
    );
    let hop2 = format!("{source}.{upstream}.heartbeats");
    wait_until(Duration::from_secs(60), &hop2, || {
        p.secondary.has_topic(&hop2)
    });
    wait_until(Duration::from_secs(60), "data replicated", || {
        p.secondary.has_topic(&format!("{source}.{data}"))
    });
    assert!(
        !p.secondary.has_topic(&format!("{source}.{other}")),
        "the filter still applies to other topics"
    );

    // Java MirrorClient's view of the cluster. (`hbup` is also one hop away here, through the
    // `hbup.heartbeats` this test made on the same cluster, so a two-hop count cannot be shown with
    // one cluster; Java's reading of strait's `hbs.hbup.heartbeats` name is.)
    let info = p.secondary.mirror_info(Some(&hop2));
    let names = |k: &str| -> Vec<String> {
        info[k]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect()
    };
    assert!(
        names("upstream_clusters").contains(&source.to_string()),
        "{info}"
    );
    assert!(names("heartbeat_topics").contains(&remote), "{info}");
    assert!(names("heartbeat_topics").contains(&hop2), "{info}");
    assert_eq!(info["replication_hops"][source], 1, "{info}");
    assert_eq!(info["topic_source"], source, "{info}");
    assert_eq!(info["upstream_topic"], upstream_topic.as_str(), "{info}");

    let status = strait.terminate(Duration::from_secs(60));
    assert_eq!(status.code(), Some(0), "{}", strait.log_tail(30));
    assert!(strait.log().contains("heartbeats stopped"));
}

/// `S->T.emit.heartbeats.enabled = false`: no heartbeats keyed `(S, T)`, and no heartbeat key is
/// listed as ignored at start-up; the reverse pair keeps emitting at its own interval (2 s).
#[test]
fn heartbeats_disabled_per_pair() {
    let p = pair();
    let (source, target) = ("hbd", "hbe");
    let data = unique("hbd-data");
    p.secondary.create_topic(&data, 1, 3, &[]);
    let config = same_cluster_config(
        source,
        target,
        &data,
        &format!(
            "{source}->{target}.emit.heartbeats.enabled = false\n\
             {target}->{source}.emit.heartbeats.interval.seconds = 2\n\
             {target}->{source}.heartbeats.topic.replication.factor = -1"
        ),
    );
    let mut strait = Strait::start(&config, &[]);
    let back = wait_beats(&p.secondary, "heartbeats", target, source, 4, &mut strait);
    let gaps: Vec<i64> = back
        .windows(2)
        .map(|w| w[1].timestamp - w[0].timestamp)
        .collect();
    assert!(
        gaps.iter().filter(|g| **g >= 1_500).count() * 2 >= gaps.len(),
        "interval 2 s: gaps {gaps:?}"
    );
    assert!(
        read_beats(&p.secondary, "heartbeats")
            .iter()
            .all(|b| b.source != source),
        "{source}->{target} must not emit"
    );
    let log = strait.log();
    assert!(!log.contains("emit.heartbeats"), "{log}");
    assert!(
        !log.contains(&format!("herder={source}->{target}")),
        "{log}"
    );
    let status = strait.terminate(Duration::from_secs(60));
    assert_eq!(status.code(), Some(0), "{}", strait.log_tail(30));
}
