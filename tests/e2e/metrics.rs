//! The Prometheus endpoint (`strait run --metrics-listen`), scraped with `curl` (a witness strait did
//! not write): MM2's source metrics per remote partition and the checkpoint latency per group.

use std::process::Command;
use std::time::Duration;

use crate::support::*;

/// Replicates 3 x 40 records (a `LogAppendTime` source topic, so batch timestamps are the source's
/// append time and the latency is real) with checkpoints every second for a committed group, and
/// reads every metric back from the endpoint.
#[test]
fn metrics_endpoint_reports_mm2_source_and_checkpoint_metrics() {
    let p = pair();
    let alias = unique("met");
    let topic = unique("metrics");
    let group = unique("metrics-g");
    let remote = format!("{alias}.{topic}");
    let (partitions, per_partition) = (3, 40u64);
    p.primary.create_topic(
        &topic,
        partitions,
        1,
        &[("message.timestamp.type", "LogAppendTime")],
    );
    p.primary
        .produce(&topic, partitions, per_partition, "lz4", 17);
    p.primary
        .commit_offsets(&group, &topic, &[(0, 10), (1, 25)]);
    let port = free_port_base(1);
    let config = flow_config(
        &alias,
        &format!(
            "checkpoints.topic.replication.factor = 1\n\
         emit.heartbeats.enabled = false\n\
         topics = {topic}\n\
         groups = {group}\n\
         {alias}->secondary.emit.checkpoints.interval.seconds = 1\n"
        ),
    );
    let listen = format!("127.0.0.1:{port}");
    let mut strait = Strait::start(&config, &["--metrics-listen", &listen]);

    let flow = [
        ("source", alias.as_str()),
        ("target", "secondary"),
        ("topic", remote.as_str()),
    ];
    let mut last = String::new();
    wait_until(
        Duration::from_secs(120),
        "record counts and checkpoint latency on /metrics",
        || {
            strait.assert_running();
            let Some(text) = scrape(port) else {
                return false;
            };
            let samples = parse(&text);
            last = text;
            let counts: Vec<Vec<f64>> = (0..partitions)
                .map(|part| {
                    let part = part.to_string();
                    let mut want = flow.to_vec();
                    want.push(("partition", &part));
                    values(&samples, "mm2_source_record_count_total", &want)
                })
                .collect();
            let done = counts.iter().all(|c| c == &[per_partition as f64]);
            let checkpoints = (0..2).all(|part| {
                let part = part.to_string();
                !values(
                    &samples,
                    "mm2_checkpoint_latency_ms",
                    &[("group", group.as_str()), ("partition", &part)],
                )
                .is_empty()
            });
            done && checkpoints
        },
    );
    eprintln!("scraped:\n{last}");
    let samples = parse(&last);
    for part in 0..partitions {
        let part = part.to_string();
        let mut want = flow.to_vec();
        want.push(("partition", &part));
        assert_eq!(
            values(&samples, "mm2_source_record_count_total", &want),
            vec![per_partition as f64],
            "record count of partition {part}"
        );
        // The same count under the JMX exporter's name, for existing MM2 dashboards.
        assert_eq!(
            values(
                &samples,
                "kafka_connect_mirror_mirrorsourceconnector_record_count",
                &want
            ),
            vec![per_partition as f64],
            "exporter-named record count of partition {part}"
        );
        // Everything is on the target: no lag, in records or in time.
        for name in [
            "kafka_connect_mirror_source_connector_replication_lag_records",
            "kafka_connect_mirror_source_connector_replication_lag_ms",
        ] {
            assert_eq!(values(&samples, name, &want), vec![0.0], "{name} of {part}");
        }
        let bytes = values(&samples, "mm2_source_batch_byte_count_total", &want);
        assert!(
            bytes.len() == 1 && bytes[0] > 0.0,
            "bytes of {part}: {bytes:?}"
        );
        for name in [
            "mm2_source_replication_latency_ms",
            "mm2_source_replication_latency_ms_max",
            "mm2_source_replication_latency_ms_min",
            "mm2_source_replication_latency_ms_avg",
            "mm2_source_record_age_ms",
        ] {
            let v = values(&samples, name, &want);
            // Append time on the source to the target's ack: real, small, never negative here.
            assert!(
                v.len() == 1 && (0.0..120_000.0).contains(&v[0]),
                "{name} of partition {part}: {v:?}"
            );
        }
    }
    // Checkpoints name the downstream topic, and the latency is the time from reading the group's
    // offsets to the checkpoint's acknowledgement.
    for part in ["0", "1"] {
        let v = values(
            &samples,
            "mm2_checkpoint_latency_ms",
            &[
                ("source", alias.as_str()),
                ("target", "secondary"),
                ("group", group.as_str()),
                ("topic", remote.as_str()),
                ("partition", part),
            ],
        );
        assert!(
            v.len() == 1 && (0.0..60_000.0).contains(&v[0]),
            "checkpoint latency of {part}: {v:?}"
        );
        // The checkpoint is current with the group's commit as of a recent round.
        let lag = values(
            &samples,
            "kafka_connect_mirror_checkpoint_connector_lag_ms",
            &[
                ("source", alias.as_str()),
                ("group", group.as_str()),
                ("topic", remote.as_str()),
                ("partition", part),
            ],
        );
        assert!(
            lag.len() == 1 && (0.0..60_000.0).contains(&lag[0]),
            "checkpoint lag of {part}: {lag:?}"
        );
    }
    assert_eq!(
        values(
            &samples,
            "strait_partitions_parked",
            &[("source", alias.as_str())]
        ),
        vec![0.0]
    );
    // Anything but GET /metrics is refused.
    let status = Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--max-time",
            "5",
        ])
        .arg(format!("http://127.0.0.1:{port}/other"))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&status.stdout), "404");
    stop_cleanly(&mut strait);
}

/// A metrics address that cannot be bound stops `strait run` at start-up (exit 3) with a clear message.
#[test]
fn metrics_listen_on_a_taken_port_is_a_startup_error() {
    let p = pair();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let mut strait = Strait::start(&p.mm2_config(""), &["--metrics-listen", &addr]);
    let status = strait
        .wait(Duration::from_secs(30))
        .expect("strait should exit");
    assert_eq!(status.code(), Some(3), "{}", strait.log_tail(20));
    assert!(
        strait.log().contains("--metrics-listen"),
        "{}",
        strait.log_tail(20)
    );
}

/// A source topic deleted while strait runs: at the next topic refresh its partitions leave the
/// scrape (and no warning repeats about them), while the other topic's series stay and strait
/// keeps running.
#[test]
fn a_deleted_source_topics_series_leave_the_scrape() {
    let p = pair();
    let alias = unique("metdel");
    let kept = unique("metkept");
    let doomed = unique("metdoomed");
    for t in [&kept, &doomed] {
        p.primary.create_topic(t, 2, 1, &[]);
        p.primary.produce(t, 2, 10, "none", 3);
    }
    let port = free_port_base(1);
    let config = flow_config(
        &alias,
        &format!(
            "emit.heartbeats.enabled = false\n\
             emit.checkpoints.enabled = false\n\
             topics = {kept}, {doomed}\n\
             refresh.topics.interval.seconds = 1\n"
        ),
    );
    let listen = format!("127.0.0.1:{port}");
    let mut strait = Strait::start(&config, &["--metrics-listen", &listen]);
    let series = |text: &str, topic: &str| -> usize {
        let topic = format!("{alias}.{topic}");
        parse(text)
            .iter()
            .filter(|s| s.labels.get("topic") == Some(&topic))
            .count()
    };
    let mut last = String::new();
    wait_until(Duration::from_secs(120), "both topics copied", || {
        strait.assert_running();
        last = scrape(port).unwrap_or_default();
        let samples = parse(&last);
        [&kept, &doomed].iter().all(|t| {
            let remote = format!("{alias}.{t}");
            (0..2).all(|part| {
                let part = part.to_string();
                values(
                    &samples,
                    "mm2_source_record_count_total",
                    &[("topic", remote.as_str()), ("partition", &part)],
                ) == [10.0]
            })
        })
    });
    assert!(series(&last, &doomed) > 0);
    p.primary.delete_topic(&doomed);
    wait_until(
        Duration::from_secs(60),
        "the deleted topic's series to go",
        || {
            strait.assert_running();
            last = scrape(port).unwrap_or_default();
            series(&last, &doomed) == 0
        },
    );
    assert!(series(&last, &kept) > 0, "{last}");
    strait.wait_for_log("the source topic is gone", Duration::from_secs(10));
    stop_cleanly(&mut strait);
}
