//! Faults of a real deployment that strait must survive or surface, one at a time, against real
//! Kafka 3.9 (the chaos suite, `tests/e2e/chaos.rs`, mixes them). Every assertion reads the
//! clusters with Kafka's own tools.

use std::time::Duration;

use crate::support::*;

/// Waits until every partition of `remote` on the target has `source`'s end offsets.
fn wait_caught_up(source: &str, remote: &str, strait: &mut Strait) {
    let p = pair();
    let timeout = Duration::from_secs(120);
    wait_until_copied(&p.primary, source, &p.secondary, remote, strait, timeout);
}

/// Asserts that each of `partitions` partitions of `got` holds the test producer's `first` run
/// (seed, records per partition) and then its `then` run, byte-identical, at offsets from 0.
fn assert_one_run_then_another(
    got: &[DumpedRecord],
    partitions: i32,
    first: (i64, u64),
    then: (i64, u64),
) {
    for partition in 0..partitions {
        let got: Vec<DumpedRecord> = (got.iter())
            .filter(|r| r.partition == partition)
            .cloned()
            .collect();
        let mut expected = expected_records(first.0, partitions, 0, first.1);
        let mut new = expected_records(then.0, partitions, 0, then.1);
        for r in &mut new {
            r.offset += first.1 as i64;
        }
        expected.extend(new);
        expected.retain(|r| r.partition == partition);
        assert_same_records(&got, &expected, true);
    }
}

/// An operator lowers the remote topic's `max.message.bytes` below the source's batches while
/// strait replicates (uncompressed and lz4): strait cuts each refused batch (and, from then on,
/// every batch that large) into smaller ones, and every record still arrives byte-identical, in
/// order, at its source offset; no batch on the target is over the limit.
#[test]
fn batches_larger_than_the_targets_max_message_bytes_are_cut_and_every_record_arrives() {
    let p = pair();
    let prefix = unique("cut");
    const LIMIT: usize = 3000;
    let codecs = ["none", "lz4"];
    for (n, codec) in codecs.iter().enumerate() {
        let t = format!("{prefix}-{codec}");
        p.primary.create_topic(&t, 2, 1, &[]);
        p.primary.produce(&t, 2, 200, codec, 40 + n as i64);
    }
    // Config sync would set the remote topic's configs back to the source's (MM2 does the same).
    let mut strait = Strait::start(
        &flow_config(
            "cut",
            &format!("topics = {prefix}-.*\nsync.topic.configs.enabled = false"),
        ),
        &[],
    );
    for codec in codecs {
        let t = format!("{prefix}-{codec}");
        wait_caught_up(&t, &format!("cut.{t}"), &mut strait);
        p.secondary.alter_topic_config(
            &format!("cut.{t}"),
            &[("max.message.bytes", &LIMIT.to_string())],
            &[],
        );
    }
    for (n, codec) in codecs.iter().enumerate() {
        let t = format!("{prefix}-{codec}");
        p.primary
            .produce_from(&t, 2, 200, 600, codec, 40 + n as i64);
    }
    for (n, codec) in codecs.iter().enumerate() {
        let t = format!("{prefix}-{codec}");
        let remote = format!("cut.{t}");
        wait_caught_up(&t, &remote, &mut strait);
        let source = p.primary.dump(&t, 1600, false);
        assert_same_records(&source, &expected_records(40 + n as i64, 2, 0, 800), true);
        assert_same_records(&p.secondary.dump(&remote, 1600, false), &source, true);
        for partition in 0..2 {
            let late = |b: &BatchInfo| b.base_offset >= 200;
            let source_batches = p.primary.batches(&t, partition);
            assert!(
                source_batches
                    .iter()
                    .filter(|b| late(b))
                    .any(|b| b.size > LIMIT),
                "the test needs source batches over {LIMIT} bytes: {source_batches:?}"
            );
            let target = p.secondary.batches(&remote, partition);
            let over: Vec<&BatchInfo> = target
                .iter()
                .filter(|b| late(b) && b.size > LIMIT)
                .collect();
            assert!(over.is_empty(), "{remote}-{partition}: {over:?}");
            assert!(target.iter().all(|b| b.codec == *codec), "{target:?}");
        }
    }
    assert!(
        strait.log().contains("cutting them in two"),
        "{}",
        strait.log_tail(30)
    );
    stop_cleanly(&mut strait);
}

/// Two aliases for one cluster (a copy-paste slip in `bootstrap.servers`) with a topic filter that
/// selects the flow's own remote topics: the flow would copy them again without end (`here.t`,
/// `here.here.t`, ...), so strait refuses it by cluster id, says why, creates no remote topic and
/// exits non-zero. (Replication inside one cluster whose filter cannot select its own remote
/// topics is allowed, with a warning: the security tests run that way.)
#[test]
fn a_target_that_is_the_source_cluster_is_refused() {
    let p = pair();
    let t = unique("self");
    p.secondary.create_topic(&t, 1, 3, &[]);
    p.secondary.produce(&t, 1, 10, "none", 5);
    let config = format!(
        "clusters = here, there\n\
         here.bootstrap.servers = {b}\n\
         there.bootstrap.servers = {b}\n\
         here->there.enabled = true\n\
         there->here.enabled = false\n\
         topics = (here\\.)*{t}\n",
        b = p.secondary.bootstrap()
    );
    let mut strait = Strait::start(&config, &[]);
    let status = strait
        .wait(Duration::from_secs(90))
        .unwrap_or_else(|| panic!("still running:\n{}", strait.log_tail(30)));
    assert!(!status.success(), "{}", strait.log_tail(30));
    let log = strait.log();
    assert!(
        log.contains("the source and the target are the same cluster (cluster id ")
            && log.contains(&format!("{t} would be copied to here.{t}")),
        "{}",
        strait.log_tail(30)
    );
    assert!(!p.secondary.has_topic(&format!("here.{t}")));
}

/// A source topic deleted and created again under the same name while strait replicates it, the
/// new topic soon holding more records than the old position: strait notices the new topic id,
/// says so, counts it (`strait_source_partition_resets_total{reason="recreated"}`), and replicates
/// the new topic from its first record (`auto.offset.reset = earliest`, MM2's), after the old one's
/// records on the remote topic; nothing of the new topic is skipped.
#[test]
fn a_recreated_source_topic_is_noticed_and_replicated_from_its_start() {
    let p = pair();
    let t = unique("recreated");
    p.primary.create_topic(&t, 2, 1, &[]);
    p.primary.produce(&t, 2, 100, "lz4", 61);
    let port = free_port_base(1);
    let listen = format!("127.0.0.1:{port}");
    let mut strait = Strait::start(
        &flow_config("re", &format!("topics = {t}")),
        &["--metrics-listen", &listen],
    );
    let remote = format!("re.{t}");
    wait_caught_up(&t, &remote, &mut strait);
    p.primary.delete_topic(&t);
    wait_until(Duration::from_secs(60), "the topic to be gone", || {
        !p.primary.has_topic(&t)
    });
    p.primary.create_topic(&t, 2, 1, &[]);
    p.primary.produce(&t, 2, 300, "zstd", 62);
    let want: std::collections::BTreeMap<i32, i64> = [(0, 400), (1, 400)].into();
    wait_until(
        Duration::from_secs(120),
        "the old and the new topic's records on the remote topic",
        || {
            strait.assert_running();
            p.secondary.end_offsets(&remote) == want
        },
    );
    let target = p.secondary.dump(&remote, 800, false);
    assert_one_run_then_another(&target, 2, (61, 100), (62, 300));
    assert!(
        strait
            .log()
            .contains("the source topic was deleted and created again"),
        "{}",
        strait.log_tail(30)
    );
    let samples = parse(&scrape(port).expect("scrape"));
    let resets = values(
        &samples,
        "strait_source_partition_resets_total",
        &[("source", "re"), ("reason", "recreated")],
    );
    assert_eq!(resets, vec![2.0], "one reset per partition");
    stop_cleanly(&mut strait);
}

/// A batch corrupt in the source log itself (a byte flipped in the segment file, as a failing disk
/// would; the broker serves it as it is): strait never forwards it, fetches it again, and after five
/// corrupt answers stops that partition with an error naming the offset
/// (`strait_partitions_halted` 1); every record before the batch arrives, and the other partition
/// replicates whole.
#[test]
fn a_batch_corrupt_in_the_source_log_stops_its_partition_after_the_records_before_it() {
    let p = pair();
    let t = unique("corrupt");
    p.primary.create_topic(&t, 2, 1, &[]);
    p.primary.produce(&t, 2, 200, "none", 71);
    let batches = p.primary.batches(&t, 0);
    let bad = batches
        .iter()
        .find(|b| b.base_offset >= 100 && b.size > 100)
        .unwrap_or_else(|| panic!("no batch past offset 100: {batches:?}"))
        .clone();
    let segment = p
        .primary
        .dir()
        .expect("the primary's files")
        .join(format!("node-1/data/{t}-0/00000000000000000000.log"));
    {
        use std::io::{Read, Seek, SeekFrom, Write};
        let mut f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&segment)
            .unwrap();
        let at = bad.position + bad.size as u64 / 2;
        let mut byte = [0u8];
        f.seek(SeekFrom::Start(at)).unwrap();
        f.read_exact(&mut byte).unwrap();
        f.seek(SeekFrom::Start(at)).unwrap();
        f.write_all(&[byte[0] ^ 0x20]).unwrap();
    }
    let port = free_port_base(1);
    let mut strait = Strait::start(
        &flow_config("crc", &format!("topics = {t}")),
        &["--metrics-listen", &format!("127.0.0.1:{port}")],
    );
    let remote = format!("crc.{t}");
    let want: std::collections::BTreeMap<i32, i64> = [(0, bad.base_offset), (1, 200)].into();
    wait_until(
        Duration::from_secs(120),
        "everything but the corrupt batch and what follows it",
        || {
            strait.assert_running();
            p.secondary.has_topic(&remote) && p.secondary.end_offsets(&remote) == want
        },
    );
    strait.wait_for_log(
        "the source holds a corrupt batch (the same one on every fetch)",
        Duration::from_secs(60),
    );
    let log = strait.log();
    let line = log
        .lines()
        .find(|l| l.contains("the source holds a corrupt batch"))
        .unwrap();
    assert!(
        line.contains(&format!("offset={}", bad.base_offset)) && line.contains(&format!("{t}-0")),
        "{line}"
    );
    let target = p
        .secondary
        .dump(&remote, bad.base_offset as usize + 200, false);
    let mut expected = expected_records(71, 2, 0, 200);
    expected.retain(|r| r.partition == 1 || r.offset < bad.base_offset);
    assert_same_records(&target, &expected, true);
    let samples = parse(&scrape(port).expect("scrape"));
    assert_eq!(
        values(&samples, "strait_partitions_halted", &[("source", "crc")]),
        vec![1.0]
    );
    let corrupt = values(
        &samples,
        "strait_source_corrupt_fetches_total",
        &[("source", "crc")],
    );
    assert!(corrupt.first().is_some_and(|n| *n >= 5.0), "{corrupt:?}");
    stop_cleanly(&mut strait);
    // The corrupt segment must not trouble a later restart of the shared primary.
    p.primary.delete_topic(&t);
}

/// An operator deletes the remote topic on the target while strait replicates into it: strait
/// notices (the target says the topic is gone, or shows it under a new topic id), stops writing to
/// it, has topic discovery create it again, and copies its partitions again from the source's start:
/// the new remote topic holds every source record once, byte-identical, at its source offset,
/// including the ones copied before the deletion; the reset is logged and counted per partition.
#[test]
fn a_remote_topic_deleted_on_the_target_is_copied_again_whole() {
    let p = pair();
    let t = unique("target-deleted");
    p.primary.create_topic(&t, 2, 1, &[]);
    p.primary.produce(&t, 2, 100, "lz4", 71);
    let port = free_port_base(1);
    let listen = format!("127.0.0.1:{port}");
    let mut strait = Strait::start(
        &flow_config("td", &format!("topics = {t}")),
        &["--metrics-listen", &listen],
    );
    let remote = format!("td.{t}");
    wait_caught_up(&t, &remote, &mut strait);
    p.secondary.delete_topic(&remote);
    wait_until(
        Duration::from_secs(60),
        "the remote topic to be gone",
        || !p.secondary.has_topic(&remote),
    );
    p.primary.produce(&t, 2, 200, "gzip", 72);
    let want: std::collections::BTreeMap<i32, i64> = [(0, 300), (1, 300)].into();
    wait_until(
        Duration::from_secs(120),
        "every source record on the new remote topic",
        || {
            strait.assert_running();
            p.secondary.end_offsets(&remote) == want
        },
    );
    let target = p.secondary.dump(&remote, 600, false);
    assert_one_run_then_another(&target, 2, (71, 100), (72, 200));
    assert!(
        strait
            .log()
            .contains("the remote topic was deleted on the target"),
        "{}",
        strait.log_tail(30)
    );
    let samples = parse(&scrape(port).expect("scrape"));
    let resets = values(
        &samples,
        "strait_source_partition_resets_total",
        &[("source", "td"), ("reason", "target_deleted")],
    );
    assert_eq!(resets, vec![2.0], "one reset per partition");
    stop_cleanly(&mut strait);

    // Deleted while strait is not running: its saved progress is past what the new remote topic
    // holds, so the partitions start again from the source's start, not from the saved progress.
    p.secondary.delete_topic(&remote);
    wait_until(
        Duration::from_secs(60),
        "the remote topic to be gone",
        || !p.secondary.has_topic(&remote),
    );
    let mut strait = Strait::start(&flow_config("td", &format!("topics = {t}")), &[]);
    wait_until(
        Duration::from_secs(120),
        "every source record on the remote topic created again",
        || {
            strait.assert_running();
            p.secondary.end_offsets(&remote) == want
        },
    );
    let again = p.secondary.dump(&remote, 600, false);
    assert_eq!(again, target, "the same records at the same offsets");
    assert!(
        strait
            .log()
            .contains("deleted on the target while strait was not running"),
        "{}",
        strait.log_tail(30)
    );
    stop_cleanly(&mut strait);
}

/// Whether node `k` of `cluster` has a live broker process.
fn node_alive(cluster: &Cluster, k: usize) -> bool {
    let pid_file = cluster.dir().unwrap().join(format!("node-{k}/pid"));
    std::fs::read_to_string(pid_file)
        .ok()
        .is_some_and(|pid| std::path::Path::new(&format!("/proc/{}", pid.trim())).exists())
}

/// Unmounts a test's tmpfs, even when the test fails.
struct Unmount(std::path::PathBuf);

impl Drop for Unmount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
    }
}

/// The target broker's disk fills up while strait writes to it (a 24 MB tmpfs): the broker takes
/// its only log dir offline (KafkaStorageException) and stops. strait keeps retrying, naming the
/// failure, and loses nothing: once the operator gives the disk more room and starts the broker
/// again, every record arrives, byte-identical, at its source offset.
#[test]
fn a_full_disk_on_the_target_loses_nothing_and_replication_resumes_after_room_is_made() {
    let p = pair();
    let (target, _) = Cluster::start_with(&unique("fulldisk"), 1, 2, &["--data-size", "24"]);
    let data = target.dir().unwrap().join("node-1/data");
    let _unmount = Unmount(data.clone());
    let alias = unique("fd");
    let t = unique("fulldisk");
    p.primary.create_topic(&t, 1, 1, &[]);
    let text = flow_config(
        &alias,
        &format!("topics = {t}\noffset.storage.replication.factor = 1\nsecondary->{alias}.emit.heartbeats.enabled = false\n"),
    )
    .replace(
        &format!("secondary.bootstrap.servers = {}", p.secondary.bootstrap()),
        &format!("secondary.bootstrap.servers = {}", target.bootstrap()),
    )
    .replace("replication.factor = 3", "replication.factor = 1");
    let mut strait = Strait::start(&text, &[]);
    // About 35 MB of records: more than the target's disk holds.
    p.primary.produce(&t, 1, 150_000, "none", 81);
    wait_until(
        Duration::from_secs(180),
        "the target broker to stop on its full disk",
        || {
            strait.assert_running();
            !node_alive(&target, 1)
        },
    );
    let broker_log = std::fs::read_to_string(target.dir().unwrap().join("node-1/logs/server.log"))
        .unwrap_or_default();
    assert!(
        broker_log.contains("No space left on device"),
        "the broker stopped for another reason"
    );
    std::thread::sleep(Duration::from_secs(5));
    strait.assert_running();
    let status = std::process::Command::new("mount")
        .args(["-o", "remount,size=256m"])
        .arg(&data)
        .status()
        .unwrap();
    assert!(status.success(), "remount the target's disk larger");
    target.start_node(1);
    let remote = format!("{alias}.{t}");
    wait_until(
        Duration::from_secs(240),
        "every record on the target after the disk got room",
        || {
            strait.assert_running();
            target.end_offsets(&remote).get(&0) == Some(&150_000)
        },
    );
    let got = target.dump(&remote, 150_000, false);
    assert_same_records(&got, &expected_records(81, 1, 0, 150_000), true);
    stop_cleanly(&mut strait);
    target.kill_all();
}
