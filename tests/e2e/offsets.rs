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
    let p = pair();
    format!(
        "clusters = {alias}, secondary\n\
         {alias}.bootstrap.servers = {}\n\
         secondary.bootstrap.servers = {}\n\
         {alias}->secondary.enabled = true\n\
         secondary->{alias}.enabled = false\n\
         replication.factor = 3\n\
         offset-syncs.topic.replication.factor = 1\n\
         {alias}->secondary.emit.checkpoints.interval.seconds = 1\n\
         {alias}->secondary.sync.group.offsets.enabled = true\n\
         {alias}->secondary.sync.group.offsets.interval.seconds = 1\n\
         checkpoints.topic.retention.ms = 86400000\n\
         checkpoints.topic.cleanup.policy = compact\n\
         groups = payment-service,order-service\n\
         groups.blacklist = test-.*,debug-.*,console-consumer-.*\n\
         {extra}\n",
        p.primary.bootstrap(),
        p.secondary.bootstrap()
    )
}

/// The definition of exact translation, computed from the source alone: with the remote topic
/// filled from the source's first record, the target offset of the first replicated record at or
/// after `u` is the number of replicated source records before `u`.
fn truth(source: &[DumpedRecord], partition: i32, u: i64) -> i64 {
    source
        .iter()
        .filter(|r| r.partition == partition && r.offset < u)
        .count() as i64
}

/// Source records of `partition` at or after `u` as (key, value), in order.
fn after(source: &[DumpedRecord], partition: i32, u: i64) -> Vec<(Option<String>, Option<String>)> {
    source
        .iter()
        .filter(|r| r.partition == partition && r.offset >= u)
        .map(|r| (r.key.clone(), r.value.clone()))
        .collect()
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
    let on_gap = {
        let offsets: Vec<i64> = txn_src
            .iter()
            .filter(|r| r.partition == 0)
            .map(|r| r.offset)
            .collect();
        // The first offset missing from partition 0's records: a transaction marker.
        (0..).find(|o| !offsets.contains(o)).unwrap()
    };
    let aborted_at = txn_src
        .iter()
        .find(|r| {
            r.partition == 1
                && r.offset > 20
                && r.value
                    .as_deref()
                    .is_some_and(|v| v.starts_with("aborted-"))
        })
        .map(|r| r.offset)
        .expect("an aborted record on partition 1");
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
            want.insert((remote_plain.clone(), part), truth(&plain_src, part, u));
        }
    }
    for (part, u) in txn_pos {
        want.insert((remote_txn.clone(), part), truth(&txn_src, part, u));
    }
    let mut got = BTreeMap::new();
    wait_until(
        Duration::from_secs(120),
        "checkpoints for payment-service",
        || {
            assert!(
                strait.is_running(),
                "strait exited:\n{}",
                strait.log_tail(30)
            );
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
            .map(|(part, u)| after(src, *part, *u).len())
            .sum();
        let read = p.secondary.consume_group("payment-service", remote, expect);
        for (part, u) in pos {
            let got: Vec<(Option<String>, Option<String>)> = read
                .records
                .iter()
                .filter(|r| r.partition == *part)
                .map(|r| (r.key.clone(), r.value.clone()))
                .collect();
            let want = after(src, *part, *u);
            assert_eq!(
                got.len(),
                want.len(),
                "{remote}-{part}: read {} records after failover, the source has {} after offset {u}",
                got.len(),
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
