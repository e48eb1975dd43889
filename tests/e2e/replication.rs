//! strait against real Kafka 3.9: what a user of the data path cares about. Every assertion reads
//! the target with Kafka's own tools (console consumer, GetOffsetShell, DumpLogSegments), never with
//! strait code.
//!
//! Each test names its own source alias, so remote topics (`<alias>.<topic>`) and progress topics
//! (`mm2-offsets.<alias>.internal`) of concurrent tests never meet, and the sample-config test (whose
//! `topics = .*` copies everything on primary as `primary.*`) cannot collide with them.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::support::*;

/// Waits until every partition of `remote` on the target has the source topic's end offset.
fn wait_replicated(source: &str, remote: &str, strait: &mut Strait, timeout: Duration) {
    let p = pair();
    wait_until_copied(&p.primary, source, &p.secondary, remote, strait, timeout);
}

/// Byte identity across every codec: keys (null too), null values (tombstones), repeated header keys,
/// header null values, explicit timestamps, 6 partitions; compared record by record with what a
/// Kafka console consumer reads on the source, and with what the Java producer wrote. Each source
/// partition holds many small batches of one producer, which strait joins by default
/// (`strait.batch.join.enabled`): the target holds fewer batches, every one of the source's codec
/// (records recompressed with it, never another), and the same records at the same offsets. The
/// remote topic got the source's partitions, `replication.factor` and copied configs (minus MM2's
/// default exclusions).
#[test]
fn replicates_every_codec_byte_identical_in_order() {
    let p = pair();
    let prefix = unique("bytes");
    let codecs = ["none", "gzip", "snappy", "lz4", "zstd"];
    produce_small_batches(&p.primary, &prefix, &codecs);
    let mut strait = Strait::start(
        &flow_config("bi", &format!("topics = {prefix}-.*\ntasks.max = 3")),
        &[],
    );
    for codec in codecs {
        let t = format!("{prefix}-{codec}");
        wait_replicated(
            &t,
            &format!("bi.{t}"),
            &mut strait,
            Duration::from_secs(120),
        );
    }
    for (n, codec) in codecs.iter().enumerate() {
        let t = format!("{prefix}-{codec}");
        let remote = format!("bi.{t}");
        let source = p.primary.dump(&t, 720, false);
        let target = p.secondary.dump(&remote, 720, false);
        assert_same_records(&source, &expected_records(100 + n as i64, 6, 0, 120), true);
        // Offsets too: a plain topic keeps its offsets one to one.
        assert_same_records(&target, &source, true);
        let (mut source_batches, mut target_batches) = (0, 0);
        for partition in 0..6 {
            let batches = p.secondary.batches(&remote, partition);
            assert!(!batches.is_empty());
            assert!(
                batches.iter().all(|b| b.codec == *codec),
                "{remote}-{partition}: {batches:?}"
            );
            target_batches += batches.len();
            source_batches += p.primary.batches(&t, partition).len();
        }
        assert!(
            target_batches < source_batches,
            "{remote}: small waiting batches are joined ({target_batches} on the target, {source_batches} on the source)"
        );
        let d = p.secondary.describe(&remote);
        assert_eq!(d.partitions, 6);
        assert_eq!(d.replication_factor, 3);
        assert_eq!(
            d.configs.get("retention.ms").map(String::as_str),
            Some("604800123")
        );
        assert!(
            !d.configs.contains_key("min.insync.replicas"),
            "excluded by config.properties.exclude: {:?}",
            d.configs
        );
    }
    stop_cleanly(&mut strait);
}

/// `<prefix>-<codec>` for every codec: 6 partitions, records 0..120 of each (seed 100 + the
/// codec's index) written by one producer in small batches, so that every partition holds many
/// batches of a few records.
fn produce_small_batches(cluster: &Cluster, prefix: &str, codecs: &[&str]) {
    for (n, codec) in codecs.iter().enumerate() {
        let t = format!("{prefix}-{codec}");
        cluster.create_topic(
            &t,
            6,
            1,
            &[("retention.ms", "604800123"), ("min.insync.replicas", "1")],
        );
        let seed = 100 + n as i64;
        assert_eq!(
            cluster.produce_in_small_batches(&t, 6, 120, codec, seed),
            720
        );
    }
}

/// `strait.batch.join.enabled = false` (exact batch forwarding): every batch on the target is one
/// of the source's, with its records, in the same order, and nothing recompressed.
#[test]
fn exact_batch_forwarding_keeps_every_source_batch() {
    let p = pair();
    let prefix = unique("framing");
    let codecs = ["none", "zstd"];
    produce_small_batches(&p.primary, &prefix, &codecs);
    let mut strait = Strait::start(
        &flow_config(
            "ex",
            &format!("topics = {prefix}-.*\nex->secondary.strait.batch.join.enabled = false"),
        ),
        &[],
    );
    for codec in codecs {
        let t = format!("{prefix}-{codec}");
        wait_replicated(
            &t,
            &format!("ex.{t}"),
            &mut strait,
            Duration::from_secs(120),
        );
        for partition in 0..6 {
            let framing = |batches: Vec<BatchInfo>| -> Vec<(i64, i64, String)> {
                (batches.into_iter())
                    .map(|b| (b.base_offset, b.count, b.codec))
                    .collect()
            };
            let source = framing(p.primary.batches(&t, partition));
            assert!(source.len() >= 2, "{t}-{partition}: {source:?}");
            assert_eq!(
                framing(p.secondary.batches(&format!("ex.{t}"), partition)),
                source,
                "batches are forwarded as they are, not joined"
            );
        }
        let source = p.primary.dump(&t, 720, false);
        assert_same_records(
            &p.secondary.dump(&format!("ex.{t}"), 720, false),
            &source,
            true,
        );
    }
    stop_cleanly(&mut strait);
}

/// The sample file, unchanged but for bootstrap addresses, loads and replicates; the keys
/// strait does not use are listed once; excluded, internal and cycle topics stay on the source.
#[test]
fn sample_mm2_properties_replicates_and_filters() {
    let p = pair();
    let u = unique("sample");
    let orders = format!("{u}-orders");
    let excluded = [
        format!("{u}-internal"),
        format!("connect-{u}"),
        format!("{u}.internal"),
        format!("secondary.{u}"),
    ];
    p.primary.create_topic(&orders, 6, 1, &[]);
    for t in &excluded {
        p.primary.create_topic(t, 1, 1, &[]);
        p.primary.produce(t, 1, 5, "none", 7);
    }
    assert_eq!(p.primary.produce(&orders, 6, 200, "lz4", 42), 1200);
    let config = format!(
        "clusters = primary, secondary\n\
         primary.bootstrap.servers = {}\n\
         secondary.bootstrap.servers = {}\n\
         primary->secondary.enabled = true\n\
         secondary->primary.enabled = false\n\
         replication.factor = 3\n\
         primary->secondary.topics = .*\n\
         primary->secondary.topics.blacklist = __.*,.*-internal,connect-.*\n\
         tasks.max = 4\n\
         refresh.topics.enabled = true\n\
         refresh.topics.interval.seconds = 300\n\
         primary.consumer.max.poll.records = 10000\n\
         primary.consumer.fetch.min.bytes = 1024\n\
         primary.consumer.fetch.max.wait.ms = 500\n\
         secondary.producer.batch.size = 65536\n\
         secondary.producer.linger.ms = 5\n",
        p.primary.bootstrap(),
        p.secondary.bootstrap()
    );
    let mut strait = Strait::start(&config, &[]);
    let remote = format!("primary.{orders}");
    wait_replicated(&orders, &remote, &mut strait, Duration::from_secs(180));
    assert_same_records(
        &p.secondary.dump(&remote, 1200, false),
        &expected_records(42, 6, 0, 200),
        true,
    );
    assert_eq!(p.secondary.describe(&remote).replication_factor, 3);
    let targets = p.secondary.topics();
    for t in &excluded {
        assert!(
            !targets.iter().any(|x| x.ends_with(t.as_str())),
            "{t} must not be replicated; target has {targets:?}"
        );
    }
    let log = strait.log();
    assert_eq!(
        log.matches("accepted but without effect").count(),
        1,
        "ignored keys are listed once"
    );
    for key in [
        "primary.consumer.max.poll.records",
        "secondary.producer.batch.size",
    ] {
        assert!(log.contains(key), "{key} listed as ignored:\n{log}");
    }
    stop_cleanly(&mut strait);
}

/// A topic created after start is found at the next refresh, partitions added to a source topic
/// are created on the target and replicated, a topic excluded by `topics.exclude` is not.
#[test]
fn discovers_new_topics_and_added_partitions() {
    let p = pair();
    let u = unique("disc");
    let first = format!("{u}-first");
    p.primary.create_topic(&first, 2, 1, &[]);
    p.primary.produce(&first, 2, 50, "none", 1);
    let mut strait = Strait::start(
        &flow_config("disc", &format!("topics = {u}-.*\ntopics.exclude = {u}-skip.*\nrefresh.topics.interval.seconds = 2\ntasks.max = 2")),
        &[],
    );
    wait_replicated(
        &first,
        &format!("disc.{first}"),
        &mut strait,
        Duration::from_secs(60),
    );

    let late = format!("{u}-late");
    let skip = format!("{u}-skipped");
    p.primary.create_topic(&late, 3, 1, &[]);
    p.primary.create_topic(&skip, 1, 1, &[]);
    p.primary.produce(&late, 3, 40, "snappy", 2);
    p.primary.produce(&skip, 1, 10, "none", 3);
    wait_replicated(
        &late,
        &format!("disc.{late}"),
        &mut strait,
        Duration::from_secs(60),
    );

    p.primary.add_partitions(&late, 5);
    p.primary.produce_from(&late, 5, 40, 30, "zstd", 2);
    wait_replicated(
        &late,
        &format!("disc.{late}"),
        &mut strait,
        Duration::from_secs(60),
    );
    assert_eq!(p.secondary.describe(&format!("disc.{late}")).partitions, 5);
    let mut want = expected_records(2, 3, 0, 40);
    want.extend(expected_records(2, 5, 40, 30));
    let got = p.secondary.dump(&format!("disc.{late}"), want.len(), false);
    assert_same_records(&got, &p.primary.dump(&late, want.len(), false), true);
    assert!(
        !p.secondary.has_topic(&format!("disc.{skip}")),
        "excluded topic was replicated"
    );
    stop_cleanly(&mut strait);
}

/// Committed and aborted transactions from a Java transactional producer, replicated with
/// `read_committed`: the target holds exactly the committed and plain records, in order, with no
/// control batches and no transactional batches (so any consumer sees the same, whatever its
/// isolation level).
#[test]
fn read_committed_replicates_committed_data_without_markers() {
    let p = pair();
    let t = unique("txn");
    p.primary.create_topic(&t, 3, 1, &[]);
    let counts = p.primary.transactions(&t, 3, 12, 25, 9);
    assert!(counts.aborted > 0 && counts.committed > 0);
    let mut strait = Strait::start(
        &flow_config(
            "txn",
            &format!("topics = {t}\ntxn.consumer.isolation.level = read_committed"),
        ),
        &[],
    );
    let remote = format!("txn.{t}");
    let kept = (counts.committed + counts.plain) as i64;
    wait_until(
        Duration::from_secs(90),
        "committed records on the target",
        || {
            p.secondary.has_topic(&remote)
                && p.secondary.end_offsets(&remote).values().sum::<i64>() == kept
        },
    );
    let source = p.primary.dump(&t, kept as usize, true);
    let target = p.secondary.dump(&remote, kept as usize, false);
    assert_eq!(target.len() as i64, kept);
    assert!(
        target
            .iter()
            .all(|r| !r.value.as_deref().unwrap_or("").contains("aborted")),
        "aborted data on the target"
    );
    assert_same_records(&target, &source, false);
    for partition in 0..3 {
        let batches = p.secondary.batches(&remote, partition);
        assert!(
            batches.iter().all(|b| !b.is_control && !b.is_transactional),
            "{batches:?}"
        );
    }
    // Progress moved past the final markers: nothing more arrives after a while.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(p.secondary.end_offsets(&remote).values().sum::<i64>(), kept);
    stop_cleanly(&mut strait);
}

/// `kill -9` several times during a large copy, restarting each time: afterwards every source
/// record is on the target, in per-partition order, and the only extra records are the ones the
/// docs allow (docs/architecture.md, "Delivery guarantees"). At each kill the test notes, with
/// Kafka's own tools, how long each target partition is and what the progress topic saved. At the
/// end it checks, per kill and partition: the restarted strait's first record is exactly the saved
/// position (never earlier, so a restart from offset 0 fails), the saved position is not past what
/// was on the target, and what was on the target but unsaved is younger than one flush interval
/// (plus slack for a loaded machine). The records copied twice are then exactly those unsaved ones.
#[test]
fn kill9_during_copy_loses_nothing() {
    let p = pair();
    let t = unique("kill9");
    let (partitions, per_partition, seed) = (6, 40_000u64, 77);
    p.primary.create_topic(&t, partitions, 1, &[]);
    assert_eq!(
        p.primary
            .produce(&t, partitions, per_partition, "lz4", seed),
        partitions as u64 * per_partition
    );
    let total = partitions as i64 * per_partition as i64;
    let remote = format!("k9.{t}");
    let progress_topic = "mm2-offsets.k9.internal";
    // Small fetches stretch the copy over several seconds so that the kills land mid-copy.
    let config = flow_config(
        "k9",
        &format!("topics = {t}\ntasks.max = 2\nk9.consumer.max.partition.fetch.bytes = 8192\nk9.consumer.fetch.max.bytes = 16384\nsecondary.offset.flush.interval.ms = {}", FLUSH.as_millis()),
    );
    let mut strait = Strait::start(&config, &[]);
    let mut started = epoch_ms();
    let mut kills: Vec<Kill> = Vec::new();
    for delay_ms in [1500u64, 1200, 900] {
        std::thread::sleep(Duration::from_millis(delay_ms));
        strait.kill9();
        let killed_at = epoch_ms();
        let target_len = if p.secondary.has_topic(&remote) {
            settled_end_offsets(&p.secondary, &remote)
        } else {
            BTreeMap::new()
        };
        let saved = p.secondary.saved_progress(progress_topic, "k9", &t);
        kills.push(Kill {
            killed_at,
            started,
            target_len,
            saved,
        });
        strait.restart(&[]);
        started = epoch_ms();
    }
    wait_until(
        Duration::from_secs(180),
        "the copy to complete after restarts",
        || p.secondary.end_offsets(&remote).values().sum::<i64>() >= total,
    );
    std::thread::sleep(Duration::from_secs(2));
    let target_total: i64 = p.secondary.end_offsets(&remote).values().sum();
    let target = p.secondary.dump(&remote, target_total as usize, false);
    let expected = expected_records(seed, partitions, 0, per_partition);
    let mut duplicates = 0i64;
    let mut interrupted = std::collections::BTreeSet::new();
    for partition in 0..partitions {
        let want: Vec<&DumpedRecord> = expected
            .iter()
            .filter(|r| r.partition == partition)
            .collect();
        let got: Vec<&DumpedRecord> = target.iter().filter(|r| r.partition == partition).collect();
        // The source offset of each target record, in target order.
        let mut source_offsets: Vec<i64> = Vec::with_capacity(got.len());
        let mut next = 0usize;
        for r in &got {
            let index = (r.timestamp - BASE_TIMESTAMP - partition as i64 * 1_000_000) as usize;
            let same = |a: &DumpedRecord, b: &DumpedRecord| {
                a.key == b.key
                    && a.value == b.value
                    && a.headers == b.headers
                    && a.timestamp == b.timestamp
            };
            if next < want.len() && same(r, want[next]) {
                next += 1;
            } else {
                assert!(
                    index < next && same(r, want[index]),
                    "partition {partition}: unexpected record {r:?} (next expected #{next})"
                );
            }
            source_offsets.push(index as i64);
        }
        assert_eq!(
            next,
            want.len(),
            "partition {partition}: records lost after #{next}"
        );
        let mut allowed = 0i64;
        for (k, kill) in kills.iter().enumerate() {
            let len = kill.target_len.get(&partition).copied().unwrap_or(0) as usize;
            let (resume, saved_at) = kill.saved.get(&partition).map_or((0, kill.started), |s| {
                (s.next_offset, s.timestamp.max(kill.started))
            });
            // Everything up to the last record on the target at the kill was copied.
            let copied = if len == 0 {
                0
            } else {
                source_offsets[len - 1] + 1
            };
            if copied < per_partition as i64 {
                interrupted.insert(k);
            }
            assert!(
                resume <= copied,
                "kill {k}, partition {partition}: progress saved at {resume}, past the {copied} records copied"
            );
            if len < source_offsets.len() {
                assert_eq!(
                    source_offsets[len], resume,
                    "kill {k}, partition {partition}: the restart went on at source offset {} instead of the saved {resume}",
                    source_offsets[len]
                );
            }
            if copied > resume {
                // The killed process's flusher saves every interval from its start: what it left
                // unsaved is younger than one interval, counted from its last save or, when it
                // saved nothing yet, from its start (an earlier run's save can be much older).
                assert!(
                    kill.killed_at - saved_at <= (FLUSH + FLUSH_SLACK).as_millis() as i64,
                    "kill {k}, partition {partition}: {} unsaved records, and the last save was {} ms before the kill (flush interval {FLUSH:?})",
                    copied - resume,
                    kill.killed_at - saved_at
                );
            }
            allowed += copied - resume;
        }
        let again = got.len() as i64 - want.len() as i64;
        assert_eq!(
            again, allowed,
            "partition {partition}: {again} records copied twice, but the kills left {allowed} unsaved"
        );
        duplicates += again;
    }
    assert!(
        interrupted.len() >= 2,
        "the kills did not land during the copy; the test proves nothing"
    );
    eprintln!("kill9: {duplicates} re-copied records out of {total}, each one unsaved at a kill");
    stop_cleanly(&mut strait);
}

/// What the kill -9 test saw at one kill.
struct Kill {
    /// When the process was killed (epoch ms).
    killed_at: i64,
    /// When that process was started (epoch ms).
    started: i64,
    /// Records per target partition once the target stopped moving.
    target_len: BTreeMap<i32, i64>,
    /// What the progress topic held for each source partition.
    saved: BTreeMap<i32, SavedProgress>,
}

/// The progress flush interval of the kill -9 test (strait's default, written out).
const FLUSH: Duration = Duration::from_millis(1000);
/// Allowance for a flush delayed by a loaded machine (a produce with `acks=all` to 3 nodes).
const FLUSH_SLACK: Duration = Duration::from_secs(5);

/// End offsets of `topic` once they stopped moving: Produce requests a killed process had already
/// sent may still be appended after it died.
fn settled_end_offsets(cluster: &Cluster, topic: &str) -> BTreeMap<i32, i64> {
    let mut last = cluster.end_offsets(topic);
    loop {
        std::thread::sleep(Duration::from_millis(500));
        let now = cluster.end_offsets(topic);
        if now == last {
            return now;
        }
        last = now;
    }
}

/// SIGTERM, and SIGINT (Ctrl-C) the same way, finish in-flight work and save progress before
/// strait exits with status 0: after each, a restart copies only the records written since.
#[test]
fn sigterm_and_sigint_save_progress_and_restart_copies_nothing_again() {
    let p = pair();
    let t = unique("term");
    p.primary.create_topic(&t, 4, 1, &[]);
    p.primary.produce(&t, 4, 500, "gzip", 5);
    let remote = format!("term.{t}");
    let mut strait = Strait::start(&flow_config("term", &format!("topics = {t}")), &[]);
    wait_replicated(&t, &remote, &mut strait, Duration::from_secs(60));
    let mut written = 500;
    for signal in ["TERM", "INT"] {
        let saved_before = strait.log().matches("final progress saved").count();
        strait.signal(signal);
        let status = strait.wait(Duration::from_secs(60));
        assert_eq!(
            status.and_then(|s| s.code()),
            Some(0),
            "exit after SIG{signal}: {status:?}\n{}",
            strait.log_tail(40)
        );
        assert_eq!(
            strait.log().matches("final progress saved").count(),
            saved_before + 1,
            "SIG{signal} saved progress"
        );
        let before = p.secondary.end_offsets(&remote);
        p.primary.produce_from(&t, 4, written, 100, "gzip", 5);
        written += 100;
        strait.restart(&[]);
        wait_replicated(&t, &remote, &mut strait, Duration::from_secs(60));
        let after = p.secondary.end_offsets(&remote);
        for (partition, end) in &after {
            assert_eq!(
                end - before[partition],
                100,
                "partition {partition}: only the new records were copied after SIG{signal}"
            );
        }
    }
    stop_cleanly(&mut strait);
}

/// `buffer.memory` sets each task's byte budget. A budget of one byte, with one-byte partition
/// fetches, leaves strait a single fetched batch at a time per task: it must still copy every
/// record, byte-identical, at the source's offsets, in order.
#[test]
fn a_budget_smaller_than_one_batch_still_copies_everything() {
    let p = pair();
    let t = unique("budget");
    p.primary.create_topic(&t, 3, 1, &[]);
    assert_eq!(p.primary.produce(&t, 3, 400, "lz4", 9), 1200);
    let remote = format!("budget.{t}");
    let mut strait = Strait::start(
        &flow_config(
            "budget",
            &format!(
                "topics = {t}\n\
                 secondary.producer.buffer.memory = 1\n\
                 budget.consumer.max.partition.fetch.bytes = 1"
            ),
        ),
        &[],
    );
    wait_replicated(&t, &remote, &mut strait, Duration::from_secs(90));
    assert!(
        strait.log().lines().any(|l| l.contains("starting flow")
            && l.split_whitespace().any(|w| w == "task_budget_bytes=1")),
        "the budget reached the tasks: {}",
        strait.log_tail(20)
    );
    let source = p.primary.dump(&t, 1200, false);
    assert_same_records(&source, &expected_records(9, 3, 0, 400), true);
    assert_same_records(&p.secondary.dump(&remote, 1200, false), &source, true);
    stop_cleanly(&mut strait);
}

/// Records deleted on the source before strait copied them: replication resumes at the earliest
/// available offset and the gap is reported with partition and count.
#[test]
fn deleted_source_records_are_reported_as_a_gap() {
    let p = pair();
    let t = unique("gap");
    p.primary.create_topic(&t, 1, 1, &[]);
    p.primary.produce(&t, 1, 100, "none", 11);
    let remote = format!("gap.{t}");
    let mut strait = Strait::start(&flow_config("gap", &format!("topics = {t}")), &[]);
    wait_replicated(&t, &remote, &mut strait, Duration::from_secs(60));
    stop_cleanly(&mut strait);
    p.primary.produce_from(&t, 1, 100, 100, "none", 11);
    p.primary.delete_records(&t, &[(0, 150)]);
    assert_eq!(p.primary.start_offsets(&t)[&0], 150);
    strait.restart(&[]);
    wait_until(
        Duration::from_secs(60),
        "the target to catch up after the gap",
        || p.secondary.end_offsets(&remote)[&0] == 150,
    );
    let log = strait.log();
    let gap = log
        .lines()
        .find(|l| l.contains("DATA GAP"))
        .unwrap_or_else(|| panic!("no gap reported:\n{log}"));
    assert!(
        gap.contains(&format!("partition={t}-0")) && gap.contains("lost=50"),
        "{gap}"
    );
    let got = p.secondary.dump(&remote, 150, false);
    let mut want = expected_records(11, 1, 0, 100);
    want.extend(expected_records(11, 1, 150, 50));
    assert_same_records(&got, &want, false);
    stop_cleanly(&mut strait);
}

/// With `consumer.auto.offset.reset = latest` a new flow starts at the end of each partition:
/// records written before it started stay on the source, records written after arrive.
#[test]
fn auto_offset_reset_latest_starts_at_the_end() {
    let p = pair();
    let t = unique("latest");
    p.primary.create_topic(&t, 2, 1, &[]);
    p.primary.produce(&t, 2, 30, "none", 21);
    let remote = format!("lt.{t}");
    let mut strait = Strait::start(
        &flow_config(
            "lt",
            &format!("topics = {t}\nlt.consumer.auto.offset.reset = latest"),
        ),
        &[],
    );
    strait.wait_for_log(
        &format!("partition={t}-1 offset=30"),
        Duration::from_secs(60),
    );
    strait.wait_for_log(
        &format!("partition={t}-0 offset=30"),
        Duration::from_secs(60),
    );
    p.primary.produce_from(&t, 2, 30, 20, "none", 21);
    wait_until(
        Duration::from_secs(60),
        "the records written after start",
        || {
            strait.assert_running();
            p.secondary.end_offsets(&remote).values().sum::<i64>() == 40
        },
    );
    let got = p.secondary.dump(&remote, 40, false);
    assert_same_records(&got, &expected_records(21, 2, 30, 20), false);
    stop_cleanly(&mut strait);
}

/// A target broker is killed mid-copy and started again: partition leaders move, strait refreshes
/// its metadata and retries with the same sequence numbers, and the target ends with every record
/// exactly once, in order, at the same offsets as the source.
#[test]
fn target_broker_killed_mid_copy_loses_and_duplicates_nothing() {
    let p = pair();
    assert!(
        p.secondary.dir().is_some(),
        "this test needs the secondary's files (STRAIT_TEST_SECONDARY as a dir)"
    );
    let t = unique("failover");
    let (partitions, per_partition, seed) = (6, 15_000u64, 31);
    p.primary.create_topic(&t, partitions, 1, &[]);
    p.primary
        .produce(&t, partitions, per_partition, "lz4", seed);
    let remote = format!("fo.{t}");
    let config = flow_config(
        "fo",
        &format!("topics = {t}\ntasks.max = 2\nfo.consumer.max.partition.fetch.bytes = 16384\nfo.consumer.fetch.max.bytes = 32768"),
    );
    let _faults = node_fault_lock();
    let mut strait = Strait::start(&config, &[]);
    wait_until(Duration::from_secs(60), "the copy to start", || {
        p.secondary.end_offsets(&remote).values().sum::<i64>() > 0
    });
    p.secondary.stop_node(2, true);
    std::thread::sleep(Duration::from_secs(2));
    p.secondary.start_node(2);
    wait_replicated(&t, &remote, &mut strait, Duration::from_secs(180));
    let total = (partitions as u64 * per_partition) as usize;
    assert_same_records(
        &p.secondary.dump(&remote, total, false),
        &expected_records(seed, partitions, 0, per_partition),
        true,
    );
    stop_cleanly(&mut strait);
}

/// `--clusters` picks the target aliases this node serves, as MM2's dedicated mode does: of two
/// enabled flows only the one whose target is listed runs. (Both target aliases point at the
/// secondary cluster; the second flow's separator and offsets topic keep its state apart. A `_`
/// separator would not do: Kafka refuses `sel_x` next to `sel.x` as colliding names.)
#[test]
fn clusters_flag_runs_only_the_flows_to_the_listed_targets() {
    let p = pair();
    let t = unique("sel");
    p.primary.create_topic(&t, 2, 1, &[]);
    p.primary.produce(&t, 2, 20, "none", 3);
    let config = format!(
        "clusters = sel, near, far\n\
         sel.bootstrap.servers = {primary}\n\
         near.bootstrap.servers = {secondary}\n\
         far.bootstrap.servers = {secondary}\n\
         sel->near.enabled = true\n\
         sel->far.enabled = true\n\
         sel->far.replication.policy.separator = -\n\
         far.offset.storage.topic = mm2-offsets.sel-far.internal\n\
         topics = {t}\n\
         replication.factor = 3\n\
         emit.heartbeats.enabled = false\n",
        primary = p.primary.bootstrap(),
        secondary = p.secondary.bootstrap()
    );
    let mut strait = Strait::start(&config, &["--clusters", "near"]);
    wait_replicated(
        &t,
        &format!("sel.{t}"),
        &mut strait,
        Duration::from_secs(60),
    );
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        !p.secondary.has_topic(&format!("sel-{t}")),
        "the flow to `far` ran although --clusters names only `near`"
    );
    assert!(
        !strait.log().contains("flow=sel->far"),
        "{}",
        strait.log_tail(20)
    );
    stop_cleanly(&mut strait);
    // The other flow is real: selected, it replicates under its own separator.
    let mut far = Strait::start(&config, &["--clusters", "far"]);
    wait_replicated(&t, &format!("sel-{t}"), &mut far, Duration::from_secs(60));
    stop_cleanly(&mut far);
}
