//! `strait failover --unplanned`: with the source unreachable, groups move to the target from the
//! checkpoints there. Witnesses strait did not write: Kafka's `kafka-consumer-groups --describe`
//! shows the committed offsets of the report, and a Java consumer of the group on the target then
//! reads exactly the records after the group's source position: none twice, none skipped.

use std::time::Duration;

use serde_json::Value;

use crate::support::*;

/// Runs `strait failover --unplanned --config CONFIG ARGS...`: exit code, stdout, stderr.
fn failover(config: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    failover_mode("--unplanned", config, args)
}

/// Runs `strait failover MODE --config CONFIG ARGS...`: exit code, stdout, stderr.
fn failover_mode(mode: &str, config: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    strait_command(&["failover", mode], config, args)
}

#[test]
fn unplanned_failover_moves_groups_from_checkpoints_with_the_source_unreachable() {
    let p = pair();
    let alias = unique("fov");
    let topic = unique("failover");
    let group = unique("billing");
    p.primary.create_topic(&topic, 2, 1, &[]);
    p.primary.produce(&topic, 2, 60, "none", 31);
    let source_records = p.primary.dump_all(&topic);
    p.primary
        .commit_group(&group, &topic, &[(0, 20), (1, 45)], "meta-f");
    let config = flow_config(
        &alias,
        &format!(
            "topics = {topic}\ngroups = {group}\nemit.checkpoints.interval.seconds = 1\nrefresh.groups.interval.seconds = 1"
        ),
    );
    let mut strait = Strait::start(&config, &[]);
    let remote = format!("{alias}.{topic}");
    let want: std::collections::BTreeMap<(String, i32), i64> =
        [((remote.clone(), 0), 20), ((remote.clone(), 1), 45)]
            .into_iter()
            .collect();
    wait_until(Duration::from_secs(120), "checkpoints of the group", || {
        strait.assert_running();
        p.secondary.translate_offsets(&alias, &group) == want
    });
    // The source is gone: strait dies, and the failover's config points the source at an
    // address nobody listens on.
    strait.kill9();
    let dir = std::env::temp_dir().join(unique("failover-cfg"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("mm2.properties");
    let unreachable = config.replace(
        &format!("{alias}.bootstrap.servers = {}", p.primary.bootstrap()),
        &format!("{alias}.bootstrap.servers = 127.0.0.1:1"),
    );
    assert_ne!(unreachable, config, "the source's address was replaced");
    std::fs::write(&path, &unreachable).unwrap();

    // A dry run reports the plan and changes nothing.
    let (code, out, err) = failover(&path, &["--groups", &group, "--dry-run", "--json"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let plan: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(plan["dry_run"], true);
    assert!(
        p.secondary.describe_group(&group).is_empty(),
        "a dry run committed"
    );

    // The failover commits the checkpointed offsets and writes its record.
    let record = dir.join("failover.json");
    let record_arg = record.display().to_string();
    let (code, out, err) = failover(
        &path,
        &["--groups", &group, "--json", "--record", &record_arg],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    let report: Value = serde_json::from_str(out.trim()).unwrap();
    let moved: Vec<(i64, i64, i64)> = report["groups"][0]["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["partition"].as_i64().unwrap(),
                p["source_committed"].as_i64().unwrap(),
                p["target_after"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(moved, vec![(0, 20, 20), (1, 45, 45)], "{report:#}");
    assert_eq!(
        p.secondary.describe_group(&group),
        want,
        "kafka-consumer-groups"
    );
    let kept: Value = serde_json::from_str(&std::fs::read_to_string(&record).unwrap()).unwrap();
    assert_eq!(kept["mode"], "unplanned");
    assert_eq!(kept["groups"][0]["group"], group.as_str());
    assert_eq!(kept["groups"][0]["partitions"][1]["to"], 45);

    // The application, failed over, reads exactly the records after its source position.
    let expect = 40 + 15;
    let read = p.secondary.consume_group(&group, &remote, expect);
    for (part, u) in [(0, 20), (1, 45)] {
        let got = read.key_values(part);
        assert_eq!(
            got,
            records_from(&source_records, part, u),
            "partition {part}: the records after offset {u}, once each"
        );
    }

    // Running it again never moves the group back to its checkpoint.
    let (code, out, err) = failover(&path, &["--groups", &group, "--json"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let again: Value = serde_json::from_str(out.trim()).unwrap();
    for p in again["groups"][0]["partitions"].as_array().unwrap() {
        assert_eq!(p["committed"], false, "{again:#}");
        assert_eq!(p["target_after"], 60, "{again:#}");
    }
    let after: std::collections::BTreeMap<(String, i32), i64> =
        [((remote.clone(), 0), 60), ((remote.clone(), 1), 60)]
            .into_iter()
            .collect();
    assert_eq!(p.secondary.describe_group(&group), after);

    // A group that matches nothing is an error that changes nothing.
    let (code, _, err) = failover(&path, &["--groups", "no-such-group"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("no checkpointed group matches --groups no-such-group"),
        "{err}"
    );
    // So is a topic that matches nothing; the group stays where its consumer left it.
    let (code, _, err) = failover(&path, &["--groups", &group, "--topics", "no-such-topic"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("--topics no-such-topic"), "{err}");
    assert_eq!(p.secondary.describe_group(&group), after);
}

/// A planned switch with the source up: strait checks that nothing writes to the source, waits
/// until the target holds every record, and commits the group at its exactly translated offsets
/// (on a plain topic, and on a transactional one whose markers leave offset gaps, at a position on
/// a marker and one on an aborted record). The group's consumer on the target then reads exactly
/// the records after its source position.
#[test]
fn planned_failover_commits_exactly_translated_offsets() {
    let p = pair();
    let alias = unique("fop");
    let topic = unique("planned");
    let txn = unique("planned-txn");
    let group = unique("ledger");
    p.primary.create_topic(&topic, 2, 1, &[]);
    p.primary.produce(&topic, 2, 60, "none", 41);
    p.primary.create_topic(&txn, 2, 1, &[]);
    let counts = p.primary.transactions(&txn, 2, 12, 5, 42);
    let txn_total = (counts.committed + counts.aborted + counts.plain) as usize;
    let plain_src = p.primary.dump_all(&topic);
    let txn_src = p.primary.dump(&txn, txn_total, false);
    let marker = first_marker_offset(&txn_src, 0);
    let aborted = aborted_offset(&txn_src, 1, 10);
    p.primary
        .commit_group(&group, &topic, &[(0, 25), (1, 60)], "meta-p");
    p.primary
        .commit_group(&group, &txn, &[(0, marker), (1, aborted)], "");
    let config = flow_config(
        &alias,
        &format!("topics = {topic}, {txn}\ngroups = {group}"),
    );
    let mut strait = Strait::start(&config, &[]);
    let path = strait.config_path().to_path_buf();
    let (code, out, err) = failover_mode(
        "--planned",
        &path,
        &[
            "--groups",
            &group,
            "--settle",
            "2",
            "--timeout",
            "120",
            "--json",
        ],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    let report: Value = serde_json::from_str(out.trim()).unwrap();

    let remote = format!("{alias}.{topic}");
    let remote_txn = format!("{alias}.{txn}");
    let want: std::collections::BTreeMap<(String, i32), i64> = [
        ((remote.clone(), 0), 25),
        ((remote.clone(), 1), 60),
        ((remote_txn.clone(), 0), records_before(&txn_src, 0, marker)),
        (
            (remote_txn.clone(), 1),
            records_before(&txn_src, 1, aborted),
        ),
    ]
    .into_iter()
    .collect();
    let moved = moved_to(&report);
    assert_eq!(moved, want, "{report:#}");
    assert_eq!(
        p.secondary.describe_group(&group),
        want,
        "kafka-consumer-groups"
    );
    // Java's RemoteClusterUtils reads the final checkpoints strait wrote.
    assert_eq!(p.secondary.translate_offsets(&alias, &group), want);
    stop_cleanly(&mut strait);

    for (remote, src, pos) in [
        (&remote, &plain_src, vec![(0, 25), (1, 60)]),
        (&remote_txn, &txn_src, vec![(0, marker), (1, aborted)]),
    ] {
        let expect: usize = pos
            .iter()
            .map(|&(part, u)| records_from(src, part, u).len())
            .sum();
        let read = p.secondary.consume_group(&group, remote, expect);
        for (part, u) in pos {
            let got = read.key_values(part);
            assert_eq!(
                got,
                records_from(src, part, u),
                "{remote}-{part}: the records after {u}, once each"
            );
        }
    }
}

/// `scripts/test-client.sh ARGS...` left running in the background (output in the run dir).
fn spawn_test_client(name: &str, args: &[&str]) -> std::process::Child {
    let log = run_dir().join(format!("{name}.log"));
    std::process::Command::new("bash")
        .arg(repo_root().join("scripts/test-client.sh"))
        .args(args)
        .env("STRAIT_KAFKA_JARS", jars())
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(std::fs::File::create(log.with_extension("err")).unwrap())
        .spawn()
        .unwrap()
}

/// A planned failover refuses, naming why and changing nothing, while producers still write to
/// the source and while the group has a live consumer there; once both stopped it moves the
/// group, and running it again changes nothing.
#[test]
fn planned_failover_refuses_live_producers_and_consumers_and_a_rerun_changes_nothing() {
    let p = pair();
    let alias = unique("fopr");
    let topic = unique("plannedref");
    let group = unique("refapp");
    let remote = format!("{alias}.{topic}");
    p.primary.create_topic(&topic, 2, 1, &[]);
    p.primary.produce(&topic, 2, 30, "none", 61);
    p.primary
        .commit_group(&group, &topic, &[(0, 10), (1, 30)], "");
    let config = flow_config(&alias, &format!("topics = {topic}\ngroups = {group}"));
    let mut strait = Strait::start(&config, &[]);
    let path = strait.config_path().to_path_buf();
    let planned = |extra: &[&str]| {
        let mut args = vec![
            "--groups",
            group.as_str(),
            "--settle",
            "3",
            "--timeout",
            "120",
        ];
        args.extend_from_slice(extra);
        failover_mode("--planned", &path, &args)
    };

    // Producers still writing.
    let mut producer = spawn_test_client(
        &format!("{alias}-producer"),
        &[
            "produce-stream",
            "--bootstrap",
            p.primary.bootstrap(),
            "--topic",
            &topic,
            "--partitions",
            "2",
            "--per-partition",
            "1000000",
            "--rate",
            "50",
            "--seed",
            "62",
        ],
    );
    wait_until(Duration::from_secs(60), "live traffic", || {
        p.primary.end_offsets(&topic).values().sum::<i64>() > 60
    });
    let (code, out, err) = planned(&[]);
    let _ = producer.kill();
    let _ = producer.wait();
    assert_eq!(code, 3, "{out}\n{err}");
    assert!(
        err.contains("producers are still writing to the source"),
        "{err}"
    );
    assert!(
        p.secondary.describe_group(&group).is_empty(),
        "nothing was committed"
    );

    // A live consumer of the group on the source.
    let mut consumer = spawn_test_client(
        &format!("{alias}-consumer"),
        &[
            "consume-group",
            "--bootstrap",
            p.primary.bootstrap(),
            "--group",
            &group,
            "--topic",
            &topic,
            "--expect",
            "1000000",
            "--timeout-ms",
            "20000",
        ],
    );
    wait_until(Duration::from_secs(60), "the consumer in the group", || {
        p.primary
            .group_command(&["--describe", "--group", &group, "--state"], Some(&group))
            .contains("Stable")
    });
    let (code, out, err) = planned(&[]);
    assert_eq!(code, 3, "{out}\n{err}");
    assert!(
        err.contains("active members on the source") && err.contains(&group),
        "{err}"
    );
    assert!(
        p.secondary.describe_group(&group).is_empty(),
        "nothing was committed"
    );
    // It leaves by itself (committing where it read to), as an application shut down does.
    assert!(
        consumer.wait().unwrap().success(),
        "the consumer application"
    );

    // Both stopped: the group moves to where its consumer left it, and a re-run changes nothing.
    let ends = p.primary.end_offsets(&topic);
    let left = p.primary.describe_group(&group);
    assert_eq!(
        left.values().copied().collect::<Vec<_>>(),
        ends.values().copied().collect::<Vec<_>>(),
        "the consumer read everything"
    );
    let want: std::collections::BTreeMap<(String, i32), i64> = left
        .iter()
        .map(|((_, part), o)| ((remote.clone(), *part), *o))
        .collect();
    let (code, out, err) = planned(&["--json"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert_eq!(
        p.secondary.describe_group(&group),
        want,
        "kafka-consumer-groups"
    );
    let (code, out, err) = planned(&["--json"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let again: Value = serde_json::from_str(out.trim()).unwrap();
    for row in again["groups"][0]["partitions"].as_array().unwrap() {
        assert_eq!(row["committed"], false, "{again:#}");
    }
    assert_eq!(p.secondary.describe_group(&group), want);
    // The daily check's group columns: the final checkpoints, and the group synced on the target.
    let (_, status) = strait.status(&[]);
    let row = status["flows"][0]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["group"] == group.as_str())
        .cloned()
        .unwrap_or_else(|| panic!("{group} in {status:#}"));
    assert_eq!(row["partitions"], 2, "{row:#}");
    assert_eq!(row["target_state"], "Empty", "{row:#}");
    assert_eq!(row["partitions_not_synced"], 0, "{row:#}");
    stop_cleanly(&mut strait);
}
