//! MM2 heartbeats against real Kafka 3.9, read back only with Kafka's own code: the console consumer
//! with MM2's `HeartbeatFormatter` (which decodes with Java's `Heartbeat.deserializeRecord`) and Java
//! `MirrorClient` (`upstreamClusters`, `replicationHops`).
//!
//! Each test uses its own source alias, so the heartbeat keys `(alias, secondary)` /
//! `(secondary, alias)` and the remote names `alias.heartbeats` of concurrent tests never meet. The
//! `heartbeats` topics themselves are shared by every test of the run (as by every herder of a real
//! deployment), so assertions filter by key.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

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

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
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
            assert!(
                strait.is_running(),
                "strait exited:\n{}",
                strait.log_tail(30)
            );
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
    let age = now_ms() - last;
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

/// One flow `hb1 -> secondary` whose `topics` filter names only a data topic:
/// - strait writes `Heartbeat(hb1, secondary, now)` into the secondary's `heartbeats` about once a
///   second, decodable by MM2's own formatter, record timestamp = heartbeat timestamp, and the topic is
///   1 partition, compacted;
/// - the disabled reverse flow `secondary -> hb1` still has a herder, so `Heartbeat(secondary, hb1)`
///   lands in the primary's `heartbeats` (created with the per-pair replication factor 1);
/// - the primary's `heartbeats` is replicated as `hb1.heartbeats` despite the filter, values and
///   timestamps preserved, and so is an upstream `hbup.heartbeats` (as `hb1.hbup.heartbeats`);
/// - Java `MirrorClient` on the secondary then sees `hb1` one hop and `hbup` two hops upstream.
#[test]
fn heartbeats_are_emitted_replicated_and_seen_by_mirror_client() {
    let p = pair();
    let alias = "hb1";
    let upstream = "hbup";
    let data = unique("hb1data");
    let other = unique("hb1other");
    p.primary.create_topic(&data, 1, 1, &[]);
    p.primary.create_topic(&other, 1, 1, &[]);
    p.primary.produce(&data, 1, 10, "none", 7);
    p.primary.produce(&other, 1, 10, "none", 8);
    let upstream_topic = format!("{upstream}.heartbeats");
    if !p.primary.has_topic(&upstream_topic) {
        p.primary
            .create_topic(&upstream_topic, 1, 1, &[("cleanup.policy", "compact")]);
    }
    let config = format!(
        "clusters = {alias}, secondary\n\
         {alias}.bootstrap.servers = {}\n\
         secondary.bootstrap.servers = {}\n\
         {alias}->secondary.enabled = true\n\
         secondary->{alias}.enabled = false\n\
         secondary->{alias}.heartbeats.topic.replication.factor = 1\n\
         replication.factor = 3\n\
         topics = {data}\n\
         refresh.topics.interval.seconds = 2\n",
        p.primary.bootstrap(),
        p.secondary.bootstrap()
    );
    let mut strait = Strait::start(&config, &[]);

    // strait's own heartbeats on the target.
    let beats = wait_beats(
        &p.secondary,
        "heartbeats",
        alias,
        "secondary",
        6,
        &mut strait,
    );
    assert_live(&beats, "secondary heartbeats (hb1, secondary)");
    let d = p.secondary.describe("heartbeats");
    assert_eq!(d.partitions, 1);
    assert_eq!(
        d.configs.get("cleanup.policy").map(String::as_str),
        Some("compact")
    );

    // The heartbeat-only herder secondary->hb1 writes into the primary.
    let back = wait_beats(&p.primary, "heartbeats", "secondary", alias, 3, &mut strait);
    assert_live(&back, "primary heartbeats (secondary, hb1)");

    // ... and those are replicated back as hb1.heartbeats although `topics` names only `data`.
    let remote = format!("{alias}.heartbeats");
    let mirrored = wait_beats(&p.secondary, &remote, "secondary", alias, 3, &mut strait);
    for b in &mirrored {
        assert_eq!(b.timestamp, b.record_timestamp, "{b:?}");
    }
    assert!(
        mirrored.iter().any(|b| back.contains(b)),
        "replicated heartbeats keep value and timestamp"
    );
    let hop2 = format!("{alias}.{upstream}.heartbeats");
    wait_until(Duration::from_secs(60), &hop2, || {
        p.secondary.has_topic(&hop2)
    });
    wait_until(Duration::from_secs(60), "data replicated", || {
        p.secondary.has_topic(&format!("{alias}.{data}"))
    });
    assert!(
        !p.secondary.has_topic(&format!("{alias}.{other}")),
        "the filter still applies to other topics"
    );

    // Java MirrorClient's view of the secondary.
    let info = p.secondary.mirror_info(Some(&format!("{alias}.{data}")));
    let upstreams: Vec<&str> = info["upstream_clusters"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert!(upstreams.contains(&alias), "{info}");
    assert!(upstreams.contains(&upstream), "{info}");
    assert_eq!(info["replication_hops"][alias], 1, "{info}");
    assert_eq!(info["replication_hops"][upstream], 2, "{info}");
    assert_eq!(info["topic_source"], alias, "{info}");

    let status = strait.terminate(Duration::from_secs(60));
    assert_eq!(status.code(), Some(0), "{}", strait.log_tail(30));
    assert!(strait.log().contains("heartbeats stopped"));
}

/// `emit.heartbeats.enabled = false` for a pair: no heartbeats keyed with that pair, and the start-up
/// line lists no heartbeat key as ignored; the other pair keeps emitting at its own interval.
#[test]
fn heartbeats_disabled_per_pair() {
    let p = pair();
    let alias = "hb2";
    let data = unique("hb2data");
    p.primary.create_topic(&data, 1, 1, &[]);
    let config = format!(
        "clusters = {alias}, secondary\n\
         {alias}.bootstrap.servers = {}\n\
         secondary.bootstrap.servers = {}\n\
         {alias}->secondary.enabled = true\n\
         {alias}->secondary.emit.heartbeats.enabled = false\n\
         secondary->{alias}.heartbeats.topic.replication.factor = -1\n\
         secondary->{alias}.emit.heartbeats.interval.seconds = 2\n\
         replication.factor = 3\n\
         topics = {data}\n",
        p.primary.bootstrap(),
        p.secondary.bootstrap()
    );
    let mut strait = Strait::start(&config, &[]);
    let back = wait_beats(&p.primary, "heartbeats", "secondary", alias, 4, &mut strait);
    let gaps: Vec<i64> = back
        .windows(2)
        .map(|w| w[1].timestamp - w[0].timestamp)
        .collect();
    assert!(
        gaps.iter().filter(|g| **g >= 1_500).count() * 2 >= gaps.len(),
        "interval 2 s: gaps {gaps:?}"
    );
    if p.secondary.has_topic("heartbeats") {
        assert!(
            read_beats(&p.secondary, "heartbeats")
                .iter()
                .all(|b| b.source != alias),
            "hb2->secondary must not emit"
        );
    }
    let log = strait.log();
    assert!(!log.contains("emit.heartbeats"), "{log}");
    let status = strait.terminate(Duration::from_secs(60));
    assert_eq!(status.code(), Some(0), "{}", strait.log_tail(30));
}
