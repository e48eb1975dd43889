//! The chaos suite: strait replicates between two 3-node Kafka 3.9 clusters (RF 3,
//! `min.insync.replicas=2`) while faults are injected on a seeded schedule, and Kafka's own Java
//! clients (tests/java/StraitChaos.java) write the data and count every record on both sides.
//!
//! - Source: sequence-numbered records at a steady rate, idempotent with `acks=all`, into plain,
//!   compacted and transactional topics with every codec.
//! - strait reaches both clusters only through toxiproxy (the brokers advertise the proxies, see
//!   `kafka-cluster.sh --proxy-base`); the Java witnesses and the brokers themselves bypass them.
//! - Faults, one at a time with gaps between: strait `kill -9` and restart, strait `SIGSTOP` for
//!   30 s, `kill -9` and restart of a source or target broker, leader moves (reassignment then
//!   preferred-leader election), network cuts, added latency and stalls between strait and either
//!   cluster, the target's `max.message.bytes` lowered below the source's batches, a remote topic
//!   deleted on the target, a source topic deleted and created again, and retention overtaking
//!   the copy (DeleteRecords on the source while strait is paused).
//! - Then the producer stops, faults heal, strait catches up, and the checker compares every
//!   record (key, value, headers, timestamp, order per partition) read `read_committed` on both.
//!
//! Expected: 0 lost, 0 out of order, 0 changed, 0 unknown; duplicates only after a strait `kill -9`
//! (docs/reliability.md); every record the source deleted before strait copied it reported in a
//! `DATA GAP` error (records the source deleted after they were copied stay on the target). The report (seed, faults, counts) is printed and written to
//! `target/e2e/<run>/chaos-report-<seed>.json`.
//!
//! Size: `STRAIT_CHAOS_SECONDS` of faults (default 240, the CI run), `STRAIT_CHAOS_SEED`
//! (default 15), `STRAIT_CHAOS_RATE` records/s (default 200). `scripts/chaos.sh --minutes N` runs
//! a long one.

#[path = "e2e/support/mod.rs"]
mod support;

use std::fmt::Write as _;
use std::fs;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use support::*;

/// Topics: name, codec, kind (see StraitChaos's chaos-produce).
const TOPICS: [(&str, &str, &str); 5] = [
    ("chaos-none", "none", "plain"),
    ("chaos-lz4", "lz4", "plain"),
    ("chaos-zstd-txn", "zstd", "txn"),
    ("chaos-gzip-compact", "gzip", "compact"),
    ("chaos-snappy-txn", "snappy", "txn"),
];

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// One side of the replication: its cluster and its proxies' port base.
struct Side {
    name: &'static str,
    cluster: Cluster,
    proxy_base: u16,
}

impl Side {
    fn start(name: &'static str, proxy: &Toxiproxy) -> Side {
        let proxy_base = free_port_base(3);
        let (cluster, port_base) = Cluster::start_with(
            name,
            3,
            3,
            &[
                "--proxy-base",
                &proxy_base.to_string(),
                "--prop",
                "unclean.leader.election.enable=false",
            ],
        );
        for k in 0..3u16 {
            proxy.add_proxy(
                &format!("{name}-{}", k + 1),
                &format!("127.0.0.1:{}", proxy_base + k),
                &format!("127.0.0.1:{}", port_base + 6 + k),
            );
        }
        Side {
            name,
            cluster,
            proxy_base,
        }
    }

    /// The bootstrap strait uses: through the proxies.
    fn proxied(&self) -> String {
        (0..3)
            .map(|k| format!("127.0.0.1:{}", self.proxy_base + k))
            .collect::<Vec<_>>()
            .join(",")
    }

    fn proxies(&self) -> Vec<String> {
        (1..=3).map(|k| format!("{}-{k}", self.name)).collect()
    }
}

/// The faults of the schedule.
#[derive(Debug, Clone, Copy)]
enum Fault {
    StraitKill,
    StraitPause,
    BrokerKill {
        target: bool,
        node: usize,
    },
    LeaderMove {
        target: bool,
    },
    NetCut {
        target: bool,
    },
    Latency {
        target: bool,
        ms: u64,
    },
    Stall {
        target: bool,
    },
    SmallerMaxMessageBytes,
    /// An operator deletes a remote topic on the target.
    TargetTopicDeleted,
    /// Retention overtakes the copy: strait paused, the source deletes every record of
    /// [`RETENTION_TOPIC`] it holds (DeleteRecords to the high watermark).
    SourceRetention,
    /// [`RECREATED_TOPIC`] deleted on the source and created again.
    SourceRecreated,
}

/// Secrets in strait's config (unused on these PLAINTEXT clusters, but read and resolved like any
/// other): none may appear in any log of the run.
const CANARIES: [&str; 3] = [
    "chaos-secret-jaas-5d81c",
    "chaos-secret-key-0b7e2",
    "chaos-secret-trust-e4a96",
];

/// Every file under `dir` but the configs (which hold the secrets) that contains a canary.
fn files_with_secrets(dir: &std::path::Path) -> Vec<String> {
    let mut found = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return found;
    };
    for e in entries.flatten() {
        let path = e.path();
        if path.is_dir() {
            found.extend(files_with_secrets(&path));
        } else if path.extension().is_none_or(|x| x != "properties") {
            let bytes = fs::read(&path).unwrap_or_default();
            let text = String::from_utf8_lossy(&bytes);
            if CANARIES.iter().any(|c| text.contains(c)) {
                found.push(path.display().to_string());
            }
        }
    }
    found
}

/// The topic whose records the source deletes before they are copied: plain, so that its sequence
/// numbers are its offsets and the checker's gap is exactly what strait must report.
const RETENTION_TOPIC: &str = "chaos-none";
/// The topic deleted on the source and created again.
const RECREATED_TOPIC: &str = "chaos-lz4";

impl Fault {
    /// Kinds of fault (the `kind` of [`Fault::of`]).
    const KINDS: u32 = 11;

    /// A fault of `kind` with seeded parameters.
    fn of(kind: u32, rng: &mut StdRng) -> Fault {
        let target = rng.random_bool(0.5);
        match kind {
            0 => Fault::StraitKill,
            1 => Fault::StraitPause,
            2 => Fault::BrokerKill {
                target,
                node: rng.random_range(1..=3),
            },
            3 => Fault::LeaderMove { target },
            4 => Fault::NetCut { target },
            5 => Fault::Latency {
                target,
                ms: rng.random_range(50..=300),
            },
            6 => Fault::Stall { target },
            7 => Fault::SmallerMaxMessageBytes,
            8 => Fault::TargetTopicDeleted,
            9 => Fault::SourceRetention,
            _ => Fault::SourceRecreated,
        }
    }
}

/// The schedule: every kind once in a seeded order (so that even a short run injects each), then
/// seeded picks, broker kills and network cuts twice as likely, the `max.message.bytes` change
/// only once, the topic deletions and retention half as likely as the others.
fn schedule(rng: &mut StdRng) -> impl Iterator<Item = u32> + '_ {
    use rand::seq::SliceRandom;
    let mut first: Vec<u32> = (0..Fault::KINDS).collect();
    first.shuffle(rng);
    let mut rest_rng = StdRng::seed_from_u64(rng.random());
    first.into_iter().chain(std::iter::from_fn(move || {
        Some(match rest_rng.random_range(0..20) {
            k @ 0..=6 => k,
            7 | 8 => 2,
            9 | 10 => 4,
            11 => 8,
            12 => 9,
            13 => 10,
            k => k - 14,
        })
    }))
}

fn side_name(target: bool) -> &'static str {
    if target {
        "target"
    } else {
        "source"
    }
}

/// Moves the leaders of every partition of `topic`: the replica list is rotated by one
/// (reassignment without data movement), then the preferred leader is elected.
fn move_leaders(cluster: &Cluster, topic: &str) {
    let out = cluster
        .tool(
            "org.apache.kafka.tools.TopicCommand",
            &["--describe", "--topic", topic],
        )
        .ok()
        .stdout_str();
    let mut partitions = Vec::new();
    for line in out.lines().filter(|l| l.contains("Replicas:")) {
        let field = |name: &str| -> String {
            line.split('\t')
                .find_map(|f| f.trim().strip_prefix(name).map(|v| v.trim().to_string()))
                .unwrap_or_default()
        };
        let p: i32 = field("Partition:").parse().unwrap();
        let mut replicas: Vec<i32> = field("Replicas:")
            .split(',')
            .map(|r| r.parse().unwrap())
            .collect();
        replicas.rotate_left(1);
        partitions.push(json!({"topic": topic, "partition": p, "replicas": replicas}));
    }
    let file = run_dir().join(format!("{topic}-{}-reassign.json", epoch_ms()));
    fs::write(
        &file,
        json!({"version": 1, "partitions": partitions}).to_string(),
    )
    .unwrap();
    cluster
        .tool(
            "org.apache.kafka.tools.reassign.ReassignPartitionsCommand",
            &[
                "--execute",
                "--reassignment-json-file",
                file.to_str().unwrap(),
            ],
        )
        .ok();
    thread::sleep(Duration::from_secs(2));
    // Election can fail for a partition whose preferred replica is still catching up: the schedule
    // goes on either way (the fault is the attempt).
    let _ = cluster.tool(
        "org.apache.kafka.tools.LeaderElectionCommand",
        &[
            "--election-type",
            "preferred",
            "--topic",
            topic,
            "--partition",
            "0",
        ],
    );
    let _ = cluster.tool(
        "org.apache.kafka.tools.LeaderElectionCommand",
        &["--election-type", "preferred", "--all-topic-partitions"],
    );
}

/// The records strait reported lost (its `DATA GAP` errors) for `topic`, over every run.
fn reported_gap(log: &str, topic: &str) -> u64 {
    let partition = format!("partition={topic}-");
    log.lines()
        .filter(|l| l.contains("DATA GAP") && l.contains(&partition))
        .filter_map(|l| {
            let rest = &l[l.find(" lost=")? + 6..];
            rest.split_whitespace().next()?.parse::<u64>().ok()
        })
        .sum()
}

/// The Java checker's report of the two clusters.
fn check(source: &Side, target: &Side) -> Value {
    let topics: Vec<&str> = TOPICS.iter().map(|t| t.0).collect();
    let out = test_client(
        &[
            "chaos-check",
            "--source",
            source.cluster.bootstrap(),
            "--target",
            target.cluster.bootstrap(),
            "--topics",
            &topics.join(","),
            "--remote-prefix",
            "src.",
        ],
        Duration::from_secs(600),
    )
    .ok()
    .stdout_str();
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("checker output {out:?}: {e}"))
}

fn total(report: &Value, field: &str) -> u64 {
    report["topics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t[field].as_u64().unwrap())
        .sum()
}

fn start_producer(
    source: &Side,
    seconds: u64,
    rate: u64,
    seed: u64,
    stop_file: &std::path::Path,
) -> (Child, std::path::PathBuf) {
    let spec: Vec<String> = TOPICS
        .iter()
        .map(|(t, c, k)| format!("{t}:{c}:{k}"))
        .collect();
    let out = run_dir().join("chaos-producer.out");
    let err = run_dir().join("chaos-producer.log");
    let child = Command::new("bash")
        .arg(repo_root().join("scripts/test-client.sh"))
        .args([
            "chaos-produce",
            "--bootstrap",
            source.cluster.bootstrap(),
            "--topics",
            &spec.join(","),
            "--rate",
            &rate.to_string(),
            "--seconds",
            &seconds.to_string(),
            "--seed",
            &seed.to_string(),
            "--stop-file",
            stop_file.to_str().unwrap(),
        ])
        .env("STRAIT_KAFKA_JARS", jars())
        .stdin(Stdio::null())
        .stdout(fs::File::create(&out).unwrap())
        .stderr(fs::File::create(err).unwrap())
        .spawn()
        .expect("start the chaos producer");
    (child, out)
}

#[test]
fn chaos_every_record_arrives_once_in_order_through_faults() {
    let seconds: u64 = env_or("STRAIT_CHAOS_SECONDS", 240);
    let seed: u64 = env_or("STRAIT_CHAOS_SEED", 15);
    let rate: u64 = env_or("STRAIT_CHAOS_RATE", 200);
    let mut rng = StdRng::seed_from_u64(seed);
    let proxy = Toxiproxy::start("chaos");
    let source = Side::start("source", &proxy);
    let target = Side::start("target", &proxy);
    for (t, _, kind) in TOPICS {
        let mut configs = vec![("min.insync.replicas", "2")];
        if kind == "compact" {
            configs.push(("cleanup.policy", "compact"));
        }
        source.cluster.create_topic(t, 3, 3, &configs);
    }
    let config = format!(
        "clusters = src, tgt\n\
         src.bootstrap.servers = {}\n\
         tgt.bootstrap.servers = {}\n\
         src->tgt.enabled = true\n\
         tgt->src.enabled = false\n\
         src->tgt.topics = chaos-.*\n\
         src.consumer.isolation.level = read_committed\n\
         replication.factor = 3\n\
         tasks.max = 2\n\
         sync.topic.acls.enabled = false\n\
         src.sasl.jaas.config = org.apache.kafka.common.security.plain.PlainLoginModule required username=\"chaos\" password=\"{}\";\n\
         tgt.ssl.key.password = {}\n\
         tgt.ssl.truststore.password = {}\n",
        source.proxied(),
        target.proxied(),
        CANARIES[0],
        CANARIES[1],
        CANARIES[2],
    );
    // The producer writes while faults are injected: until the stop file exists (or far too long).
    let stop_file = run_dir().join("chaos-producer.stop");
    let (mut producer, producer_out) =
        start_producer(&source, seconds * 10 + 3600, rate, seed, &stop_file);
    let mut strait = Strait::start(&config, &[]);
    let started = Instant::now();
    let mut faults: Vec<String> = Vec::new();
    let mut strait_kills = 0;
    let mut kinds = schedule(&mut rng);
    let mut rng = StdRng::seed_from_u64(seed.wrapping_add(1));
    thread::sleep(Duration::from_secs(10));
    // Every kind at least once, however slow this machine is today.
    while started.elapsed() < Duration::from_secs(seconds) || faults.len() < Fault::KINDS as usize {
        let fault = Fault::of(kinds.next().unwrap(), &mut rng);
        let at = started.elapsed().as_secs();
        let hold = Duration::from_secs(rng.random_range(5..=15));
        let mut note = format!("{at:>4} s  {fault:?}");
        match fault {
            Fault::StraitKill => {
                strait.kill9();
                strait_kills += 1;
                thread::sleep(Duration::from_secs(rng.random_range(1..=5)));
                strait.restart(&[]);
            }
            Fault::StraitPause => {
                strait.signal("STOP");
                thread::sleep(Duration::from_secs(30));
                strait.signal("CONT");
                note.push_str(" for 30 s");
            }
            Fault::BrokerKill { target: t, node } => {
                let side = if t { &target } else { &source };
                side.cluster.stop_node(node, true);
                thread::sleep(hold);
                side.cluster.start_node(node);
                let _ = write!(
                    note,
                    " ({} node {node} down {} s)",
                    side.name,
                    hold.as_secs()
                );
            }
            Fault::LeaderMove { target: t } => {
                let (side, prefix) = if t { (&target, "src.") } else { (&source, "") };
                let topic = TOPICS[rng.random_range(0..TOPICS.len())].0;
                move_leaders(&side.cluster, &format!("{prefix}{topic}"));
                let _ = write!(note, " ({prefix}{topic})");
            }
            Fault::NetCut { target: t } => {
                let side = if t { &target } else { &source };
                for p in side.proxies() {
                    proxy.set_enabled(&p, false);
                }
                thread::sleep(hold);
                for p in side.proxies() {
                    proxy.set_enabled(&p, true);
                }
                let _ = write!(note, " ({} {} s)", side_name(t), hold.as_secs());
            }
            Fault::Latency { target: t, ms } => {
                let side = if t { &target } else { &source };
                let toxic = json!({"type": "latency", "attributes": {"latency": ms / 2, "jitter": ms / 10}});
                for p in side.proxies() {
                    proxy.add_toxic(&p, "lat", toxic.clone());
                }
                thread::sleep(hold * 2);
                for p in side.proxies() {
                    proxy.remove_toxic(&p, "lat");
                }
                let _ = write!(note, " ({} {} s)", side_name(t), hold.as_secs() * 2);
            }
            Fault::Stall { target: t } => {
                // Data stops flowing on open connections, which stay open: what a lossy link
                // looks like to TCP, past request timeouts.
                let side = if t { &target } else { &source };
                let toxic = json!({"type": "timeout", "attributes": {"timeout": 0}});
                for p in side.proxies() {
                    proxy.add_toxic(&p, "stall", toxic.clone());
                }
                thread::sleep(hold);
                for p in side.proxies() {
                    proxy.remove_toxic(&p, "stall");
                }
                let _ = write!(note, " ({} {} s)", side_name(t), hold.as_secs());
            }
            Fault::TargetTopicDeleted => {
                let remote = format!("src.{}", TOPICS[rng.random_range(0..TOPICS.len())].0);
                target.cluster.delete_topic(&remote);
                let _ = write!(note, " ({remote})");
            }
            Fault::SourceRetention => {
                strait.signal("STOP");
                thread::sleep(Duration::from_secs(3));
                // Every record the topic holds (to each partition's high watermark), as retention does.
                source
                    .cluster
                    .delete_records(RETENTION_TOPIC, &[(0, -1), (1, -1), (2, -1)]);
                thread::sleep(Duration::from_secs(1));
                strait.signal("CONT");
                let _ = write!(note, " ({RETENTION_TOPIC}, strait paused 4 s)");
            }
            Fault::SourceRecreated => {
                source.cluster.delete_topic(RECREATED_TOPIC);
                wait_until(Duration::from_secs(60), "the topic deleted", || {
                    !source.cluster.has_topic(RECREATED_TOPIC)
                });
                source
                    .cluster
                    .create_topic(RECREATED_TOPIC, 3, 3, &[("min.insync.replicas", "2")]);
                let _ = write!(note, " ({RECREATED_TOPIC})");
            }
            Fault::SmallerMaxMessageBytes => {
                for (t, _, _) in TOPICS {
                    let remote = format!("src.{t}");
                    if target.cluster.has_topic(&remote) {
                        target.cluster.alter_topic_config(
                            &remote,
                            &[("max.message.bytes", "2048")],
                            &[],
                        );
                    }
                }
            }
        }
        eprintln!("chaos: {note}");
        faults.push(note);
        strait.assert_running();
        thread::sleep(Duration::from_secs(rng.random_range(2..=8)));
    }
    fs::write(&stop_file, b"").unwrap();
    let status = producer.wait().unwrap();
    let produced: Value = serde_json::from_str(fs::read_to_string(&producer_out).unwrap().trim())
        .unwrap_or(Value::Null);
    assert!(status.success(), "chaos producer failed: {produced}");
    // Healed: every record must arrive. Re-check until nothing is missing (or time is up).
    let deadline = Instant::now() + Duration::from_secs(240);
    let mut report = check(&source, &target);
    while total(&report, "lost") > 0 && Instant::now() < deadline {
        strait.assert_running();
        thread::sleep(Duration::from_secs(10));
        report = check(&source, &target);
    }
    stop_cleanly(&mut strait);
    // Records of the retention topic deleted on the source before strait copied them: every one
    // must have been reported (a kill -9 after the report may report some twice).
    let gap = report["topics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["topic"] == RETENTION_TOPIC)
        .map_or(0, |t| t["deleted_uncopied"].as_u64().unwrap());
    let reported = reported_gap(&strait.log(), RETENTION_TOPIC);
    let summary = json!({
        "seed": seed,
        "seconds": seconds,
        "rate": rate,
        "faults": faults,
        "strait_kills": strait_kills,
        "producer": produced,
        "records": total(&report, "source"),
        "lost": total(&report, "lost"),
        "duplicated": total(&report, "duplicated"),
        "out_of_order": total(&report, "out_of_order"),
        "changed": total(&report, "changed"),
        "unknown": total(&report, "unknown"),
        "deleted_on_source": total(&report, "deleted_on_source"),
        "retention_gap": gap,
        "retention_gap_reported": reported,
        "topics": report["topics"],
    });
    fs::write(
        run_dir().join(format!("chaos-report-{seed}.json")),
        serde_json::to_string_pretty(&summary).unwrap(),
    )
    .unwrap();
    eprintln!(
        "chaos report:\n{}",
        serde_json::to_string_pretty(&summary).unwrap()
    );
    assert!(total(&report, "source") > 0, "nothing was produced");
    for field in ["lost", "out_of_order", "changed", "unknown"] {
        assert_eq!(total(&report, field), 0, "{field}: {summary}");
    }
    // The docs' promise: a crash re-copies what was copied since the last progress write (1 s),
    // which, while strait catches up after an outage, is at most the outage's backlog: the longest
    // fault here holds 30 s (SIGSTOP), so 35 s of the producer's rate per kill bounds it.
    let bound = strait_kills * rate * 35;
    assert!(
        total(&report, "duplicated") <= bound,
        "more duplicates than {strait_kills} kills may re-copy ({bound}): {summary}"
    );
    assert!(
        gap <= reported,
        "records deleted before they were copied, not all reported: {summary}"
    );
    let leaked = files_with_secrets(run_dir());
    assert!(
        leaked.is_empty(),
        "a secret of strait's config is in {leaked:?}"
    );
}
