//! Drop-in compatibility with Java MirrorMaker 2, proved with Java MM2 itself as the witness:
//! strait and Kafka's own `org.apache.kafka.connect.mirror.MirrorMaker` (run by
//! `scripts/java-mm2.sh` with the SAME config file) hand a flow over to each other through the
//! Connect offsets topic `mm2-offsets.<alias>.internal` on the target, in both directions, without
//! losing or re-copying a record (Kafka Connect's offset storage format).
//!
//! The offsets topic is read with Kafka's console consumer (never with strait code), which also
//! shows that both tools put a given key in the same partition of the offsets topic (murmur2 of the
//! same key bytes).
//!
//! Each test has its own source alias (`io1`, `io2`), so its remote topic, offsets topic and Java
//! MM2's internal topics (`mm2-configs/status.<alias>.internal`, group `<alias>-mm2`, offset syncs
//! on the target as `mm2-offset-syncs.<alias>.internal`) meet no other test's.

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::support::*;

const PARTITIONS: i32 = 4;
/// Records per partition copied by the first tool.
const FIRST: u64 = 200;
/// Records per partition produced while nothing runs, copied by the second tool.
const SECOND: u64 = 100;

/// One flow `alias -> secondary` from the shared primary cluster, in a file both strait and Java MM2
/// accept and run quietly on these clusters: no heartbeats (no herder for `secondary->alias`, no
/// `heartbeats` topics), checkpoints on but for a group that does not exist (so the checkpoint
/// connector has no task and writes nothing; `emit.checkpoints.enabled = false` trips KAFKA-18021),
/// offset syncs on the 3-node target (primary has 1 node, and the source-side name
/// `mm2-offset-syncs.secondary.internal` would be shared by every alias), no ACL sync (no authorizer),
/// offsets flushed every second by both tools.
fn interop_config(alias: &str, topic: &str) -> String {
    let p = pair();
    format!(
        "clusters = {alias}, secondary\n\
         {alias}.bootstrap.servers = {}\n\
         secondary.bootstrap.servers = {}\n\
         {alias}->secondary.enabled = true\n\
         secondary->{alias}.enabled = false\n\
         {alias}->secondary.topics = {}\n\
         replication.factor = 3\n\
         emit.heartbeats.enabled = false\n\
         {alias}->secondary.groups = {alias}-no-such-group\n\
         {alias}->secondary.sync.group.offsets.enabled = false\n\
         offset-syncs.topic.location = target\n\
         sync.topic.acls.enabled = false\n\
         refresh.topics.interval.seconds = 5\n\
         refresh.groups.interval.seconds = 5\n\
         secondary.offset.flush.interval.ms = 1000\n",
        p.primary.bootstrap(),
        p.secondary.bootstrap(),
        topic // a plain name (no `.`, which a .properties file would need escaped as a backslash-dot)
    )
}

// ------------------------------------------------------------------------------------------------
// Java MM2

// ------------------------------------------------------------------------------------------------
// The Connect offsets topic, read with Kafka's console consumer

const SEP: &str = "\u{1f}";
const EOL: &str = "\u{1e}\n";

/// One record of the offsets topic: (offsets-topic partition, key, value; `None` = tombstone).
#[derive(Debug, Clone, PartialEq, Eq)]
struct OffsetRecord {
    partition: i32,
    key: String,
    value: Option<String>,
}

/// Every record of `offsets_topic` on the secondary, per offsets-topic partition in log order.
fn read_offsets_topic(offsets_topic: &str) -> Vec<OffsetRecord> {
    let c = &pair().secondary;
    let total: i64 = c.end_offsets(offsets_topic).values().sum();
    if total == 0 {
        return Vec::new();
    }
    let max = total.to_string();
    let (ks, ls) = (
        format!("key.separator={SEP}"),
        format!("line.separator={EOL}"),
    );
    let ran = c
        .tool(
            "org.apache.kafka.tools.consumer.ConsoleConsumer",
            &[
                "--topic",
                offsets_topic,
                "--from-beginning",
                "--max-messages",
                &max,
                "--timeout-ms",
                "8000",
                "--consumer-property",
                "enable.auto.commit=false",
                "--property",
                "print.partition=true",
                "--property",
                "print.offset=true",
                "--property",
                "print.key=true",
                "--property",
                &ks,
                "--property",
                &ls,
                "--property",
                "null.literal=\u{2}NULL\u{3}",
            ],
        )
        .ok();
    let text = ran.stdout_str();
    let mut recs: Vec<(i32, i64, OffsetRecord)> = text
        .split(EOL)
        .filter(|r| !r.is_empty())
        .map(|r| {
            // Partition:P SEP Offset:O SEP key SEP value
            let f: Vec<&str> = r.splitn(4, SEP).collect();
            assert_eq!(f.len(), 4, "unparsable offsets record {r:?}");
            let partition = f[0].strip_prefix("Partition:").unwrap().parse().unwrap();
            let offset = f[1].strip_prefix("Offset:").unwrap().parse().unwrap();
            let value = (f[3] != "\u{2}NULL\u{3}").then(|| f[3].to_string());
            (
                partition,
                offset,
                OffsetRecord {
                    partition,
                    key: f[2].to_string(),
                    value,
                },
            )
        })
        .collect();
    recs.sort_by_key(|(p, o, _)| (*p, *o));
    recs.into_iter().map(|(_, _, r)| r).collect()
}

/// The key Java Connect writes for MirrorSourceConnector's progress on one source partition
/// (Kafka Connect's format), spelled out here rather than taken from strait.
fn source_key(alias: &str, topic: &str, partition: i32) -> String {
    format!(
        r#"["MirrorSourceConnector",{{"cluster":"{alias}","partition":{partition},"topic":"{topic}"}}]"#
    )
}

/// The latest value of each of `topic`'s source keys, with the offsets-topic partition it was in.
fn latest_progress(
    records: &[OffsetRecord],
    alias: &str,
    topic: &str,
) -> BTreeMap<i32, (i32, Option<String>)> {
    let mut m = BTreeMap::new();
    for p in 0..PARTITIONS {
        let key = source_key(alias, topic, p);
        // Per-partition log order; a key lives in one partition, so the last match is the latest.
        if let Some(r) = records.iter().rfind(|r| r.key == key) {
            m.insert(p, (r.partition, r.value.clone()));
        }
    }
    m
}

/// The offsets-topic partition of each source key, asserting that every record of a key (whoever
/// wrote it) is in one partition.
fn key_partitions(records: &[OffsetRecord], alias: &str, topic: &str) -> BTreeMap<i32, i32> {
    let mut m = BTreeMap::new();
    for p in 0..PARTITIONS {
        let key = source_key(alias, topic, p);
        let parts: Vec<i32> = records
            .iter()
            .filter(|r| r.key == key)
            .map(|r| r.partition)
            .collect();
        assert!(!parts.is_empty(), "no record for {key} in {records:#?}");
        assert!(
            parts.iter().all(|&x| x == parts[0]),
            "{key} written to several offsets-topic partitions: {parts:?}"
        );
        m.insert(p, parts[0]);
    }
    m
}

/// Waits until the offsets topic says `last` (the last replicated offset) for every partition of
/// `topic`, i.e. the progress of everything copied so far is saved. Returns how long it took.
fn wait_progress_saved(
    alias: &str,
    topic: &str,
    last: i64,
    timeout: Duration,
    alive: &mut dyn FnMut() -> bool,
) -> Duration {
    let t0 = Instant::now();
    let offsets_topic = format!("mm2-offsets.{alias}.internal");
    let want = format!("{{\"offset\":{last}}}");
    wait_until(
        timeout,
        &format!("{offsets_topic} to hold {want} for every partition of {topic}"),
        || {
            assert!(alive(), "the tool under watch exited");
            if !pair().secondary.has_topic(&offsets_topic) {
                return false;
            }
            let seen = latest_progress(&read_offsets_topic(&offsets_topic), alias, topic);
            seen.len() == PARTITIONS as usize
                && seen
                    .values()
                    .all(|(_, v)| v.as_deref() == Some(want.as_str()))
        },
    );
    t0.elapsed()
}

/// Waits until every partition of `remote` on the secondary has exactly `n` records (offset `n`),
/// failing at once if it goes past (a re-copy).
fn wait_remote_end(
    remote: &str,
    n: i64,
    timeout: Duration,
    alive: &mut dyn FnMut() -> bool,
) -> Duration {
    let t0 = Instant::now();
    let want: BTreeMap<i32, i64> = (0..PARTITIONS).map(|p| (p, n)).collect();
    wait_until(timeout, &format!("{remote} to reach {want:?}"), || {
        assert!(alive(), "the tool under watch exited");
        let end = pair().secondary.end_offsets(remote);
        assert!(
            end.values().all(|&o| o <= n),
            "{remote} went past {n} per partition (records copied twice): {end:?}"
        );
        end == want
    });
    t0.elapsed()
}

fn write_config(name: &str, text: &str) -> PathBuf {
    let dir = run_dir().join(unique(name));
    fs::create_dir_all(&dir).unwrap();
    let path = dir.join("mm2.properties");
    fs::write(&path, text).unwrap();
    path
}

// ------------------------------------------------------------------------------------------------
// Tests

/// strait copies FIRST records per partition and saves its progress at SIGTERM; Java MM2, started
/// with the same file, resumes from strait's progress and copies only the SECOND records produced
/// meanwhile: the remote topic ends with exactly FIRST + SECOND records per partition, equal to the
/// source's in order. Java MM2's own progress lands in the same offsets-topic partitions as strait's.
#[test]
fn java_mm2_takes_over_from_strait() {
    let p = pair();
    let alias = "io1";
    let t = unique("interop-s2j");
    let remote = format!("{alias}.{t}");
    let offsets_topic = format!("mm2-offsets.{alias}.internal");
    let seed = 2101;
    p.primary.create_topic(&t, PARTITIONS, 1, &[]);
    p.primary.produce(&t, PARTITIONS, FIRST, "lz4", seed);

    let config = interop_config(alias, &t);
    let mut strait = Strait::start(&config, &[]);
    wait_remote_end(&remote, FIRST as i64, Duration::from_secs(120), &mut || {
        strait.is_running()
    });
    assert_eq!(
        strait.terminate(Duration::from_secs(60)).code(),
        Some(0),
        "{}",
        strait.log_tail(40)
    );
    // What strait left in the offsets topic, read with Kafka's console consumer: Connect's key bytes
    // and the last replicated offset.
    let by_strait = read_offsets_topic(&offsets_topic);
    let latest = latest_progress(&by_strait, alias, &t);
    for part in 0..PARTITIONS {
        assert_eq!(
            latest.get(&part).and_then(|(_, v)| v.clone()),
            Some(format!("{{\"offset\":{}}}", FIRST - 1)),
            "strait's saved progress for partition {part}: {by_strait:#?}"
        );
    }
    let strait_partitions = key_partitions(&by_strait, alias, &t);
    // strait created the offsets topic as Connect would (Connect refuses to start on an offsets topic
    // that is not compacted, and hashes keys over its partition count).
    let d = p.secondary.describe(&offsets_topic);
    assert_eq!(d.partitions, 25, "{offsets_topic}: {d:?}");
    assert_eq!(
        d.configs.get("cleanup.policy").map(String::as_str),
        Some("compact"),
        "{offsets_topic}: {d:?}"
    );

    p.primary
        .produce_from(&t, PARTITIONS, FIRST, SECOND, "lz4", seed);

    let mut java = JavaProcess::start("java-mm2.sh", strait.config_path());
    let took = wait_remote_end(
        &remote,
        (FIRST + SECOND) as i64,
        Duration::from_secs(240),
        &mut || java.is_running(),
    );
    eprintln!(
        "interop: Java MM2 copied the new records {:.1} s after its start",
        took.as_secs_f64()
    );
    // Let Java MM2 flush its own progress too, then stop it; nothing more may arrive.
    flush_and_stop(&mut java, alias, &t, (FIRST + SECOND - 1) as i64);
    // Java's own account: its source task found a stored offset for every partition it was given.
    assert!(
        java.log()
            .contains("Starting with 0 previously uncommitted partitions."),
        "Java MM2 did not find strait's progress for every partition:\n{}",
        java.log_tail(40)
    );

    assert_copied_exactly_once(&t, &remote, seed, "Java MM2");

    // Java wrote the same keys, to the same partitions of the offsets topic (same key bytes, same
    // murmur2), after strait's records.
    let all = read_offsets_topic(&offsets_topic);
    assert!(
        all.len() > by_strait.len(),
        "Java MM2 wrote no progress: {all:#?}"
    );
    assert_eq!(key_partitions(&all, alias, &t), strait_partitions);
}

/// Java MM2 copies FIRST records per partition and flushes its progress; it is stopped, SECOND more
/// are produced, and strait, started with the same file, copies only those: exactly FIRST + SECOND
/// per partition on the target, equal to the source's in order. strait's progress is written under
/// Java's keys, in the same offsets-topic partitions.
#[test]
fn strait_takes_over_from_java_mm2() {
    let p = pair();
    let alias = "io2";
    let t = unique("interop-j2s");
    let remote = format!("{alias}.{t}");
    let offsets_topic = format!("mm2-offsets.{alias}.internal");
    let seed = 2102;
    p.primary.create_topic(&t, PARTITIONS, 1, &[]);
    p.primary.produce(&t, PARTITIONS, FIRST, "gzip", seed);

    let config_path = write_config("interop-j2s", &interop_config(alias, &t));
    let mut java = JavaProcess::start("java-mm2.sh", &config_path);
    let took = wait_remote_end(&remote, FIRST as i64, Duration::from_secs(240), &mut || {
        java.is_running()
    });
    eprintln!(
        "interop: Java MM2 copied the first records {:.1} s after its start",
        took.as_secs_f64()
    );
    flush_and_stop(&mut java, alias, &t, (FIRST - 1) as i64);
    let by_java = read_offsets_topic(&offsets_topic);
    // Java's keys are exactly the bytes strait writes and looks up (Kafka Connect's format).
    let java_partitions = key_partitions(&by_java, alias, &t);

    p.primary
        .produce_from(&t, PARTITIONS, FIRST, SECOND, "gzip", seed);
    let mut strait = Strait::start(&fs::read_to_string(&config_path).unwrap(), &[]);
    // (The count in this line covers every topic of the alias saved so far, so clusters reused
    // across runs show more than this test's partitions.)
    strait.wait_for_log(
        &format!("loaded saved replication progress topic={offsets_topic}"),
        Duration::from_secs(60),
    );
    wait_remote_end(
        &remote,
        (FIRST + SECOND) as i64,
        Duration::from_secs(120),
        &mut || strait.is_running(),
    );
    assert_eq!(
        strait.terminate(Duration::from_secs(60)).code(),
        Some(0),
        "{}",
        strait.log_tail(40)
    );

    assert_copied_exactly_once(&t, &remote, seed, "strait");

    // strait saved its progress under Java's keys, in the same offsets-topic partitions.
    let all = read_offsets_topic(&offsets_topic);
    let latest = latest_progress(&all, alias, &t);
    for part in 0..PARTITIONS {
        assert_eq!(
            latest.get(&part).and_then(|(_, v)| v.clone()),
            Some(format!("{{\"offset\":{}}}", FIRST + SECOND - 1)),
            "strait's saved progress for partition {part}: {all:#?}"
        );
    }
    assert_eq!(key_partitions(&all, alias, &t), java_partitions);
}

/// After the take-over: the remote topic holds exactly FIRST + SECOND records per partition (the
/// tool that took over copied only the new ones) and they equal the source's, record by record.
fn assert_copied_exactly_once(t: &str, remote: &str, seed: i64, who: &str) {
    let p = pair();
    let want: BTreeMap<i32, i64> = (0..PARTITIONS)
        .map(|p| (p, (FIRST + SECOND) as i64))
        .collect();
    assert_eq!(
        p.secondary.end_offsets(remote),
        want,
        "{who} re-copied records"
    );
    let total = (PARTITIONS as u64 * (FIRST + SECOND)) as usize;
    let source = p.primary.dump(t, total, false);
    assert_same_records(
        &source,
        &expected_records(seed, PARTITIONS, 0, FIRST + SECOND),
        true,
    );
    assert_same_records(&p.secondary.dump(remote, total, false), &source, true);
}

/// Waits until Java MM2's own progress for `t` reaches `last` in the offsets topic (so a take-over
/// can be exact), then stops it with SIGTERM and checks it exited cleanly (143 is Java's SIGTERM exit).
fn flush_and_stop(java: &mut JavaProcess, alias: &str, t: &str, last: i64) {
    let flushed = wait_progress_saved(alias, t, last, Duration::from_secs(120), &mut || {
        java.is_running()
    });
    eprintln!(
        "interop: Java MM2 flushed offsets {:.1} s after the copy ({:.1} s after its start)",
        flushed.as_secs_f64(),
        java.started.elapsed().as_secs_f64()
    );
    let st = java.terminate(Duration::from_secs(60));
    assert!(
        st.code() == Some(143) || st.success(),
        "Java MM2 exit {st}:\n{}",
        java.log_tail(40)
    );
}
