//! strait's end-to-end tests against real Apache Kafka 3.9 clusters (one test binary, so that every
//! test shares the one cluster pair of `support::pair()`).
//!
//! `harness_*` tests check the harness itself (clusters, Kafka tools, Java test client): they do not
//! run strait.

mod bad_config;
mod connect;
mod connect_state;
mod failback;
mod failover;
mod faults;
mod heartbeats;
mod interop;
mod metrics;
mod offsets;
mod prometheus;
mod replication;
mod security;
mod status;
mod status_page;
mod support;
mod topic_sync;

use std::process::Command;
use std::time::{Duration, Instant};

use support::*;

/// The shared clusters come up with the advertised shapes: primary 1 node, secondary 3 nodes on
/// which replication factor 3 and per-topic configs work.
#[test]
fn harness_clusters_start() {
    let pair = pair();
    assert_eq!(pair.primary.nodes(), 1);
    assert_eq!(pair.secondary.nodes(), 3);
    let t = unique("harness-rf3");
    pair.secondary.create_topic(
        &t,
        2,
        3,
        &[("retention.ms", "3600000"), ("cleanup.policy", "compact")],
    );
    let d = pair.secondary.describe(&t);
    assert_eq!(d.partitions, 2);
    assert_eq!(d.replication_factor, 3);
    assert_eq!(
        d.configs.get("retention.ms").map(String::as_str),
        Some("3600000")
    );
    assert_eq!(
        d.configs.get("cleanup.policy").map(String::as_str),
        Some("compact")
    );
    assert!(pair.secondary.topics().contains(&t));
    assert!(
        !pair.primary.topics().contains(&t),
        "the clusters are separate"
    );
}

fn produce_and_dump(codec: &str) {
    let c = &pair().primary;
    let t = unique(&format!("harness-{codec}"));
    let (partitions, per_partition, seed) = (6, 50, 1234);
    c.create_topic(&t, partitions, 1, &[]);
    assert_eq!(c.produce(&t, partitions, per_partition, codec, seed), 300);

    let end = c.end_offsets(&t);
    assert_eq!(end.len(), 6);
    assert!(end.values().all(|&o| o == 50), "end offsets {end:?}");
    assert!(c.start_offsets(&t).values().all(|&o| o == 0));

    let dumped = c.dump(&t, 300, false);
    let expected = expected_records(seed, partitions, 0, per_partition);
    assert_same_records(&dumped, &expected, true);
    // The generator's special cases really are in the data.
    assert!(dumped.iter().any(|r| r.key.is_none()));
    assert!(dumped.iter().any(|r| r.value.is_none()));
    assert!(dumped.iter().any(|r| r.headers.is_empty()));
    assert!(dumped
        .iter()
        .any(|r| r.headers.iter().filter(|(k, _)| k == "h").count() == 2));
    assert!(dumped
        .iter()
        .any(|r| r.headers.iter().any(|(_, v)| v.is_none())));
    assert!(dumped
        .iter()
        .any(|r| r.headers.iter().any(|(_, v)| v.as_deref() == Some(""))));

    for p in 0..partitions {
        let batches = c.batches(&t, p);
        assert!(
            batches.iter().all(|b| b.codec == codec),
            "partition {p}: {batches:?}"
        );
        assert_eq!(batches.iter().map(|b| b.count).sum::<i64>(), 50);
        assert!(
            batches.iter().any(|b| b.count > 1),
            "no multi-record batch: {batches:?}"
        );
    }
    assert!(c.batch_codecs(&t, 0).iter().all(|x| x == codec));
}

#[test]
fn harness_produce_dump_none() {
    produce_and_dump("none");
}

#[test]
fn harness_produce_dump_gzip() {
    produce_and_dump("gzip");
}

#[test]
fn harness_produce_dump_snappy() {
    produce_and_dump("snappy");
}

#[test]
fn harness_produce_dump_lz4() {
    produce_and_dump("lz4");
}

#[test]
fn harness_produce_dump_zstd() {
    produce_and_dump("zstd");
}

/// A second produce continues the sequence (offsets = indexes) on the 3-node cluster too.
#[test]
fn harness_produce_from_continues_on_secondary() {
    let c = &pair().secondary;
    let t = unique("harness-continue");
    c.create_topic(&t, 3, 3, &[]);
    c.produce(&t, 3, 20, "lz4", 99);
    c.produce_from(&t, 3, 20, 15, "snappy", 99);
    let dumped = c.dump(&t, 105, false);
    assert_same_records(&dumped, &expected_records(99, 3, 0, 35), true);
    let codecs = c.batch_codecs(&t, 1);
    assert!(
        codecs.contains(&"lz4".to_string()) && codecs.contains(&"snappy".to_string()),
        "{codecs:?}"
    );
}

/// read_committed shows committed and plain records only; read_uncommitted shows aborted ones too;
/// the log holds transactional batches and control batches (markers).
#[test]
fn harness_transactions_read_committed() {
    let c = &pair().primary;
    let t = unique("harness-txn");
    c.create_topic(&t, 3, 1, &[]);
    let n = c.transactions(&t, 3, 6, 5, 7);
    assert_eq!(
        n,
        TxnCounts {
            committed: 15,
            aborted: 15,
            plain: 6
        }
    );

    let committed = c.dump(&t, (n.committed + n.plain) as usize, true);
    assert_eq!(committed.len() as u64, n.committed + n.plain);
    let values: Vec<&str> = committed
        .iter()
        .map(|r| r.value.as_deref().unwrap())
        .collect();
    assert!(
        values
            .iter()
            .all(|v| v.starts_with("committed-") || v.starts_with("plain-")),
        "{values:?}"
    );
    assert_eq!(
        values
            .iter()
            .filter(|v| v.starts_with("committed-"))
            .count() as u64,
        n.committed
    );

    let all = c.dump(&t, (n.committed + n.aborted + n.plain) as usize, false);
    assert_eq!(all.len() as u64, n.committed + n.aborted + n.plain);

    // Every transaction writes one marker into each partition it touched (all 3 here).
    let total: i64 = c.end_offsets(&t).values().sum();
    assert_eq!(total as u64, n.committed + n.aborted + n.plain + 6 * 3);
    let batches: Vec<BatchInfo> = (0..3).flat_map(|p| c.batches(&t, p)).collect();
    assert_eq!(batches.iter().filter(|b| b.is_control).count(), 18);
    assert!(batches.iter().any(|b| b.is_transactional && !b.is_control));
}

/// Topic admin helpers: add partitions, alter and read configs, delete.
#[test]
fn harness_topic_admin() {
    let c = &pair().primary;
    let t = unique("harness.admin"); // a dot: the regex-taking tools must match this topic only
    let decoy = t.replace('.', "X");
    c.create_topic(&t, 2, 1, &[("retention.ms", "100000")]);
    c.create_topic(&decoy, 1, 1, &[]);
    c.add_partitions(&t, 5);
    c.alter_topic_config(&t, &[("segment.bytes", "1048576")], &["retention.ms"]);
    let d = c.describe(&t);
    assert_eq!(d.partitions, 5);
    assert_eq!(
        d.configs.get("segment.bytes").map(String::as_str),
        Some("1048576")
    );
    assert!(!d.configs.contains_key("retention.ms"), "{:?}", d.configs);
    assert_eq!(c.end_offsets(&t).len(), 5);
    c.delete_topic(&t);
    wait_until(Duration::from_secs(30), "topic deletion", || {
        !c.has_topic(&t)
    });
    assert!(c.has_topic(&decoy));
}

/// Consumer group offsets can be committed and read back, and groups are listed.
#[test]
fn harness_group_offsets() {
    let c = &pair().primary;
    let t = unique("harness-group");
    let g = unique("harness-g");
    c.create_topic(&t, 3, 1, &[]);
    c.produce(&t, 3, 10, "none", 1);
    c.commit_offsets(&g, &t, &[(0, 4), (2, 9)]);
    let offs = c.group_offsets(&g);
    assert_eq!(offs.get(&(t.clone(), 0)), Some(&4));
    assert_eq!(offs.get(&(t.clone(), 2)), Some(&9));
    assert_eq!(offs.len(), 2);
    assert!(c.groups().contains(&g));
    assert!(c.group_offsets("no-such-group").is_empty());
}

/// A node of the 3-node cluster can be killed and started again.
#[test]
fn harness_secondary_node_restart() {
    let c = &pair().secondary;
    if c.dir().is_none() {
        return; // reused cluster given as a bootstrap string
    }
    let t = unique("harness-restart");
    c.create_topic(&t, 1, 3, &[]);
    let _faults = node_fault_lock();
    c.stop_node(3, true);
    // acks=all with min.insync.replicas=2 still works with 2 of 3 nodes.
    c.produce(&t, 1, 20, "zstd", 5);
    c.start_node(3);
    assert_same_records(&c.dump(&t, 20, false), &expected_records(5, 1, 0, 20), true);
}

/// The owner watchdog stops a cluster once its owner process is gone.
#[test]
fn harness_watchdog_kills_orphaned_cluster() {
    if std::env::var_os("STRAIT_TEST_PRIMARY").is_some() {
        return;
    }
    let mut owner = Command::new("sleep").arg("600").spawn().unwrap();
    let dir = run_dir().join("orphan");
    let root = repo_root();
    let base = free_port_base(2);
    let ran = run_with_timeout(
        {
            let mut cmd = Command::new("bash");
            cmd.arg(root.join("scripts/kafka-cluster.sh"))
                .args([
                    "start",
                    "--name",
                    "orphan",
                    "--nodes",
                    "1",
                    "--port-base",
                    &base.to_string(),
                ])
                .arg("--dir")
                .arg(&dir)
                .args(["--owner-pid", &owner.id().to_string()])
                .env("STRAIT_KAFKA_JARS", jars());
            cmd
        },
        "kafka-cluster.sh start orphan",
        Duration::from_secs(180),
    );
    if !ran.status.success() {
        let _ = owner.kill();
        panic!("{}", ran.stderr);
    }
    let pid: u32 = std::fs::read_to_string(dir.join("node-1/pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(std::path::Path::new(&format!("/proc/{pid}")).exists());
    owner.kill().unwrap();
    owner.wait().unwrap();
    let t0 = Instant::now();
    wait_until(
        Duration::from_secs(20),
        "the orphaned broker to be killed",
        || !std::path::Path::new(&format!("/proc/{pid}")).exists(),
    );
    eprintln!(
        "watchdog stopped the orphaned broker {:.1} s after its owner died",
        t0.elapsed().as_secs_f64()
    );
}

/// The Java and Rust copies of the record generator agree on a few fixed points (cheap, no cluster).
#[test]
fn harness_generator_shape() {
    let r = expected_record(1, 0, 0);
    assert_eq!(r.key.as_deref(), Some("k-1-0-0"));
    assert_eq!(r.timestamp, BASE_TIMESTAMP);
    let v = r.value.unwrap();
    assert!((100..=300).contains(&v.len()) && v.starts_with("v-1-0-0:"));
    assert!(v.bytes().all(|b| (32..127).contains(&b)));
    assert!(expected_record(1, 2, 12).key.is_none());
    assert!(expected_record(1, 2, 10).value.is_none());
    assert!(expected_record(1, 2, 3).headers.is_empty());
    assert_eq!(
        expected_record(1, 2, 5).timestamp,
        BASE_TIMESTAMP + 2_000_005
    );
}

/// End offsets of a topic that does not exist are empty, not an error (tests poll for remote topics).
#[test]
fn harness_offsets_of_missing_topic_are_empty() {
    let c = &pair().secondary;
    assert!(c.end_offsets(&unique("harness-missing")).is_empty());
}

/// `Strait::check` reports a config strait refuses to start with.
#[test]
fn strait_smoke_rejects_a_config_without_bootstrap_servers() {
    let (status, output) =
        Strait::check("clusters = primary, secondary\nprimary->secondary.enabled = true\n");
    assert!(!status.success(), "strait accepted it:\n{output}");
    assert!(!output.is_empty());
}
