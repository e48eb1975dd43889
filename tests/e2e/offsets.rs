//! Offset-syncs, checkpoints, group offset sync: what a consumer application sees when it fails
//! over to the target. The truth each test checks against comes from Kafka's own tools on the
//! source (console consumer dump with offsets); the witnesses of what strait wrote are Java's
//! `RemoteClusterUtils`, `kafka-consumer-groups`, Kafka's MM2 formatters and a Java consumer group.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::support::*;

/// An MM2 file for `alias -> secondary` with the checkpoint settings written seed-style, as the
/// issue's operators have them.
fn offsets_config(alias: &str, extra: &str) -> String {
    flow_config(
        alias,
        &format!(
            "{alias}->secondary.emit.checkpoints.interval.seconds = 1\n\
         {alias}->secondary.sync.group.offsets.enabled = true\n\
         {alias}->secondary.sync.group.offsets.interval.seconds = 1\n\
         checkpoints.topic.retention.ms = 86400000\n\
         checkpoints.topic.cleanup.policy = compact\n\
         groups = payment-service,order-service\n\
         groups.blacklist = test-.*,debug-.*,console-consumer-.*\n\
         {extra}\n"
        ),
    )
}

/// Failover with no duplicates and nothing lost, on a plain topic with an empty partition and on a
/// transactional topic with aborted transactions (markers and aborted records leave offset gaps):
/// - Java `RemoteClusterUtils.translateOffsets` on the target returns, for every partition with
///   replicated data, exactly the target offset of the first record at or after the group's
///   source position, and nothing for the empty partition (no checkpoint before data);
/// - `kafka-consumer-groups --describe` on the target shows the group at those offsets (group
///   offset sync), and a group excluded by `groups.blacklist` gets nothing;
/// - a Java consumer in the same group on the target then reads every record after the committed
///   position and none before it;
/// - Kafka's own OffsetSync and Checkpoint formatters read what strait wrote.
#[test]
fn failover_continues_exactly_where_the_group_stopped() {
    let p = pair();
    let alias = "fo";
    let plain = unique("fo-plain");
    let txn = unique("fo-txn");
    p.primary.create_topic(&plain, 3, 1, &[]);
    p.primary.produce(&plain, 2, 300, "lz4", 21); // partition 2 stays empty
    p.primary.create_topic(&txn, 2, 1, &[]);
    let counts = p.primary.transactions(&txn, 2, 20, 7, 22);
    let txn_total = (counts.committed + counts.aborted + counts.plain) as usize;
    let plain_src = p.primary.dump(&plain, 600, false);
    let txn_src = p.primary.dump(&txn, txn_total, false);
    assert_eq!(plain_src.len(), 600);
    assert_eq!(txn_src.len(), txn_total);

    // Positions inside the data, at the end, and at 0 of the empty partition; for the
    // transactional topic, positions that fall on a marker and on an aborted record.
    let txn_end = p.primary.end_offsets(&txn);
    let on_gap = first_marker_offset(&txn_src, 0);
    let aborted_at = aborted_offset(&txn_src, 1, 20);
    let plain_pos = [(0, 137), (1, 300), (2, 0)];
    let txn_pos = [(0, on_gap), (1, aborted_at)];
    for group in ["payment-service", "test-skipped"] {
        p.primary.commit_group(group, &plain, &plain_pos, "meta-1");
        p.primary.commit_group(group, &txn, &txn_pos, "");
    }

    let remote_plain = format!("{alias}.{plain}");
    let remote_txn = format!("{alias}.{txn}");
    let mut strait = Strait::start(
        &offsets_config(alias, &format!("topics = {plain}, {txn}")),
        &[],
    );
    let mut want: BTreeMap<(String, i32), i64> = BTreeMap::new();
    for (part, u) in plain_pos {
        if part != 2 {
            want.insert(
                (remote_plain.clone(), part),
                records_before(&plain_src, part, u),
            );
        }
    }
    for (part, u) in txn_pos {
        want.insert(
            (remote_txn.clone(), part),
            records_before(&txn_src, part, u),
        );
    }
    let mut got = BTreeMap::new();
    wait_until(
        Duration::from_secs(120),
        "checkpoints for payment-service",
        || {
            strait.assert_running();
            got = p.secondary.translate_offsets(alias, "payment-service");
            got == want
        },
    );
    let mut synced = BTreeMap::new();
    wait_until(
        Duration::from_secs(60),
        "group offsets synced to the target",
        || {
            synced = p.secondary.describe_group("payment-service");
            want.iter().all(|(k, v)| synced.get(k) == Some(v))
        },
    );
    assert!(
        p.secondary
            .translate_offsets(alias, "test-skipped")
            .is_empty(),
        "an excluded group got checkpoints"
    );
    assert!(p.secondary.describe_group("test-skipped").is_empty());

    // Kafka's own formatters read strait's records.
    let syncs = p
        .primary
        .formatted("mm2-offset-syncs.secondary.internal", "OffsetSyncFormatter");
    assert!(
        syncs.iter().any(|l| l.starts_with(&format!(
            "OffsetSync{{topicPartition={txn}-0, upstreamOffset="
        ))),
        "{syncs:?}"
    );
    let checkpoints = p.secondary.formatted(
        &format!("{alias}.checkpoints.internal"),
        "CheckpointFormatter",
    );
    assert!(
        checkpoints.iter().any(|l| l.contains(&format!(
            "Checkpoint{{consumerGroupId=payment-service, topicPartition={remote_plain}-0, upstreamOffset=137, downstreamOffset={}, metadata=meta-1}}",
            want[&(remote_plain.clone(), 0)]
        ))),
        "{checkpoints:?}"
    );
    stop_cleanly(&mut strait);

    // The application fails over: same group, on the target.
    for (remote, src, pos) in [
        (&remote_plain, &plain_src, &plain_pos[..]),
        (&remote_txn, &txn_src, &txn_pos[..]),
    ] {
        let expect: usize = pos
            .iter()
            .map(|(part, u)| records_from(src, *part, *u).len())
            .sum();
        let read = p.secondary.consume_group("payment-service", remote, expect);
        for (part, u) in pos {
            let got = read.key_values(*part);
            let want = records_from(src, *part, *u);
            assert_eq!(
                got.len(),
                want.len(),
                "{remote}-{part}: read {} records after failover (target offsets {:?}, target end offsets {:?}), the source has {} after offset {u}",
                got.len(),
                read.records.iter().filter(|r| r.partition == *part).map(|r| r.offset).collect::<Vec<_>>(),
                p.secondary.end_offsets(remote),
                want.len()
            );
            assert!(
                got == want,
                "{remote}-{part}: records differ from the source's after {u}"
            );
        }
    }
    assert_eq!(txn_end.len(), 2);
}

/// Waits until Java's `translateOffsets` on the target shows `group` at exactly `want`.
fn wait_translated(
    alias: &str,
    group: &str,
    want: &BTreeMap<(String, i32), i64>,
    strait: &mut Strait,
) {
    let p = pair();
    let start = std::time::Instant::now();
    loop {
        strait.assert_running();
        let got = p.secondary.translate_offsets(alias, group);
        if &got == want {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "checkpoints of {group}: want {want:?}, Java's translateOffsets says {got:?}\n{}",
            strait.log_tail(40)
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Offset-syncs on the target (`offset-syncs.topic.location = target`), translation across a
/// restart, and a group moving backwards:
/// - the syncs go to `mm2-offset-syncs.<alias>.internal` on the target, none to the source;
/// - after strait restarts, positions in data the FIRST run replicated (gaps from transaction
///   markers and aborted records included) still translate exactly: the syncs were read back;
/// - a group rewound upstream gets a new, smaller checkpoint; a group moving forward into the
///   data of the second run gets the exact offset there.
#[test]
fn translation_survives_a_restart_and_follows_a_rewinding_group() {
    let p = pair();
    let alias = "rs";
    let t = unique("rs-txn");
    p.primary.create_topic(&t, 1, 1, &[]);
    let c1 = p.primary.transactions(&t, 1, 15, 6, 31);
    let config = offsets_config(
        alias,
        &format!("topics = {t}\noffset-syncs.topic.location = target\n"),
    );
    let remote = format!("{alias}.{t}");
    let first_end = p.primary.end_offsets(&t)[&0];
    let n1 = (c1.committed + c1.aborted + c1.plain) as usize;
    let src = p.primary.dump(&t, n1, false);
    let group = "order-service";
    let a = first_end - 9;
    p.primary.commit_group(group, &t, &[(0, a)], "");
    let mut strait = Strait::start(&config, &[]);
    let want = |src: &[DumpedRecord], u: i64| {
        BTreeMap::from([((remote.clone(), 0), records_before(src, 0, u))])
    };
    wait_translated(alias, group, &want(&src, a), &mut strait);
    stop_cleanly(&mut strait);

    // More transactions while strait is down, then a second run.
    let c2 = p.primary.transactions(&t, 1, 15, 6, 32);
    let n2 = n1 + (c2.committed + c2.aborted + c2.plain) as usize;
    let src = p.primary.dump(&t, n2, false);
    let mut strait = Strait::start(&config, &[]);
    // Rewind into the first run's data, onto a transaction marker's offset.
    let offsets: Vec<i64> = src.iter().map(|r| r.offset).collect();
    let rewind = (5..first_end)
        .find(|o| !offsets.contains(o))
        .expect("a marker offset");
    assert!(rewind < a);
    p.primary.commit_group(group, &t, &[(0, rewind)], "");
    wait_translated(alias, group, &want(&src, rewind), &mut strait);
    // Forward into the second run's data.
    let end = p.primary.end_offsets(&t)[&0];
    let forward = end - 4;
    p.primary.commit_group(group, &t, &[(0, forward)], "");
    wait_translated(alias, group, &want(&src, forward), &mut strait);
    stop_cleanly(&mut strait);

    let on_target = p.secondary.formatted(
        &format!("mm2-offset-syncs.{alias}.internal"),
        "OffsetSyncFormatter",
    );
    assert!(
        on_target
            .iter()
            .any(|l| l.contains(&format!("topicPartition={t}-0,"))),
        "{on_target:?}"
    );
    if p.primary.has_topic("mm2-offset-syncs.secondary.internal") {
        let on_source = p
            .primary
            .formatted("mm2-offset-syncs.secondary.internal", "OffsetSyncFormatter");
        assert!(!on_source
            .iter()
            .any(|l| l.contains(&format!("topicPartition={t}-0,"))));
    }
}

/// A compacted source topic: batches with offset gaps inside them. After the broker compacted the
/// source, a group positioned on a removed record and one inside a gapped stretch translate
/// exactly, and a consumer failing over reads exactly the records the source still has after its
/// position.
#[test]
fn compacted_topic_failover_is_exact() {
    let p = pair();
    let alias = "cp";
    let t = unique("cp-compacted");
    p.primary.create_topic(
        &t,
        1,
        1,
        &[
            ("cleanup.policy", "compact"),
            ("segment.ms", "300"),
            ("min.cleanable.dirty.ratio", "0.001"),
            ("delete.retention.ms", "0"),
        ],
    );
    // Segment 1: 300 records over keys 0..39, so its last 40 records hold every key's latest value
    // (offsets 260..299). Segment 2: 100 records over keys 0..6, which overwrite keys 0..6 of
    // segment 1 (offsets 280..286): compaction cuts a hole INSIDE segment 1's surviving records.
    // Segment 3: a few records with new keys, which roll segment 2 so that it can be cleaned.
    // (Record timestamps grow by 1 ms per index and Kafka rolls segments on record time, so the
    // three appends use indexes 10 s apart.)
    p.primary.produce_keyed(&t, 1, 0, 300, "lz4", 41, 40, &[]);
    p.primary
        .produce_keyed(&t, 1, 10_000, 100, "lz4", 41, 7, &[]);
    p.primary
        .produce_keyed(&t, 1, 20_000, 5, "none", 41, 1_000_000, &[]);
    // Wait until the cleaner cut the hole (it runs every second on the test brokers).
    let mut src: Vec<DumpedRecord> = Vec::new();
    let interior_gap = |src: &[DumpedRecord]| {
        let offsets: Vec<i64> = src.iter().map(|r| r.offset).collect();
        offsets
            .windows(2)
            .find(|w| w[1] != w[0] + 1 && w[0] >= 260 && w[1] < 300)
            .map(|w| w[0] + 1)
    };
    wait_until(
        Duration::from_secs(150),
        "the source topic to be compacted",
        || {
            src = p.primary.dump_all(&t);
            interior_gap(&src).is_some() && src.len() < 60
        },
    );
    let removed = interior_gap(&src).unwrap();
    // The second surviving record after the hole: inside a run that follows a gap.
    let kept = src
        .iter()
        .map(|r| r.offset)
        .filter(|o| *o > removed)
        .nth(1)
        .unwrap();
    let group = "payment-service";
    let pos = [(0, removed)];
    p.primary.commit_group(group, &t, &pos, "");
    // The remote topic must not compact on its own (the test compares it with the source), so
    // the compaction settings are not copied.
    let mut strait = Strait::start(
        &offsets_config(
            alias,
            &format!("topics = {t}\nconfig.properties.exclude = cleanup\\.policy, segment\\.ms, min\\.cleanable\\.dirty\\.ratio, delete\\.retention\\.ms"),
        ),
        &[],
    );
    let remote = format!("{alias}.{t}");
    wait_translated(
        alias,
        group,
        &BTreeMap::from([((remote.clone(), 0), records_before(&src, 0, removed))]),
        &mut strait,
    );
    p.primary.commit_group(group, &t, &[(0, kept)], "");
    wait_translated(
        alias,
        group,
        &BTreeMap::from([((remote.clone(), 0), records_before(&src, 0, kept))]),
        &mut strait,
    );
    let want_synced = records_before(&src, 0, kept);
    wait_until(Duration::from_secs(60), "group offsets synced", || {
        p.secondary.describe_group(group).get(&(remote.clone(), 0)) == Some(&want_synced)
    });
    stop_cleanly(&mut strait);
    let want = records_from(&src, 0, kept);
    let read = p.secondary.consume_group(group, &remote, want.len());
    let got: Vec<(Option<String>, Option<String>)> = read
        .records
        .iter()
        .map(|r| (r.key.clone(), r.value.clone()))
        .collect();
    assert_eq!(got.len(), want.len(), "records read after failover");
    assert!(
        got == want,
        "records after failover differ from the source's"
    );
}

/// `kafka-consumer-groups --describe --state` on `cluster`: the group's state (`Stable`, `Empty`...).
fn group_state(cluster: &Cluster, group: &str) -> String {
    cluster
        .group_command(&["--describe", "--group", group, "--state"], Some(group))
        .lines()
        .filter_map(|l| {
            // GROUP COORDINATOR (ID) ASSIGNMENT-STRATEGY STATE #MEMBERS
            let f: Vec<&str> = l.split_whitespace().collect();
            const STATES: [&str; 5] = [
                "Stable",
                "Empty",
                "PreparingRebalance",
                "CompletingRebalance",
                "Dead",
            ];
            (f.first() == Some(&group))
                .then(|| f.iter().find(|w| STATES.contains(w)).map(|w| w.to_string()))
                .flatten()
        })
        .next()
        .unwrap_or_default()
}

/// Group offset sync respects what consumers on the target did:
/// - a group that committed further on the target than the translation is not moved back;
/// - a group with an active member on the target is left alone and reported in the log, and is
///   synced once its member left (the group is then empty);
/// - a group absent from the target gets the translated offset.
#[test]
fn group_sync_never_moves_target_groups_back_and_leaves_active_ones_alone() {
    let p = pair();
    let alias = "gs";
    let t = unique("gs-sync");
    p.primary.create_topic(&t, 1, 1, &[]);
    p.primary.produce(&t, 1, 200, "none", 51);
    let remote = format!("{alias}.{t}");
    let (ahead, active, absent) = (unique("gs-ahead"), unique("gs-active"), unique("gs-absent"));
    for g in [&ahead, &active, &absent] {
        p.primary.commit_group(g, &t, &[(0, 100)], "");
    }
    // On the target, before strait runs: the remote topic, a group already further on it, and a
    // consumer application holding the other group open (subscribed to another topic).
    p.secondary.create_topic(&remote, 1, 3, &[]);
    p.secondary.commit_group(&ahead, &remote, &[(0, 150)], "");
    let decoy = unique("gs-decoy");
    p.secondary.create_topic(&decoy, 1, 3, &[]);
    let bootstrap = p.secondary.bootstrap().to_string();
    let member = {
        let (active, decoy) = (active.clone(), decoy.clone());
        std::thread::spawn(move || {
            test_client(
                &[
                    "consume-group",
                    "--bootstrap",
                    &bootstrap,
                    "--group",
                    &active,
                    "--topic",
                    &decoy,
                    "--expect",
                    "1",
                    "--timeout-ms",
                    "40000",
                ],
                Duration::from_secs(120),
            )
        })
    };
    wait_until(
        Duration::from_secs(60),
        "the target group to be active",
        || group_state(&p.secondary, &active) == "Stable",
    );
    let mut strait = Strait::start(
        &offsets_config(
            alias,
            &format!("topics = {t}\n{alias}->secondary.groups = gs-.*\n"),
        ),
        &[],
    );
    let translated = BTreeMap::from([((remote.clone(), 0), 100)]);
    wait_until(Duration::from_secs(90), "the absent group synced", || {
        p.secondary.describe_group(&absent) == translated
    });
    strait.wait_for_log("group is active on the target", Duration::from_secs(30));
    assert!(
        strait
            .log()
            .lines()
            .any(|l| l.contains("group is active on the target") && l.contains(&active)),
        "no report naming {active}:\n{}",
        strait.log_tail(30)
    );
    // Several sync intervals later: the ahead group is where its consumers left it, the active
    // group got nothing from strait, though both were checkpointed.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        p.secondary.describe_group(&ahead),
        BTreeMap::from([((remote.clone(), 0), 150)])
    );
    assert!(
        group_state(&p.secondary, &active) == "Stable",
        "the member left too early for this test"
    );
    assert_eq!(
        p.secondary
            .describe_group(&active)
            .get(&(remote.clone(), 0)),
        None
    );
    assert_eq!(p.secondary.translate_offsets(alias, &ahead), translated);
    assert_eq!(p.secondary.translate_offsets(alias, &active), translated);
    // The member leaves: the group is empty, and strait syncs it.
    member.join().unwrap();
    wait_until(Duration::from_secs(60), "the emptied group synced", || {
        p.secondary
            .describe_group(&active)
            .get(&(remote.clone(), 0))
            == Some(&100)
    });
    stop_cleanly(&mut strait);
}
