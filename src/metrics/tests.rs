//! Unit tests of the registry: names, labels and values as a scrape shows them.

use super::*;

#[test]
fn partition_metrics_render_with_mm2_labels() {
    let m = Metrics::new();
    let flow = m.flow("primary", "secondary");
    let p = flow.partition("primary.orders", 3);
    p.acked(10, 700, 1_000, 1_250);
    p.acked(5, 300, 2_000, 2_100);
    p.fetched(1_000, 1_040);
    flow.parked(1);
    flow.parked(1);
    flow.parked(-1);
    let herder = FlowLabels {
        source: "primary".into(),
        target: "secondary".into(),
    };
    m.heartbeat(&herder, 1_700_000_000_000);
    m.heartbeat(&herder, 1_700_000_001_000);
    m.checkpoint_latency(
        &CheckpointLabels {
            source: "primary".into(),
            target: "secondary".into(),
            group: "g1".into(),
            topic: "primary.orders".into(),
            partition: 3,
        },
        42,
    );
    let text = m.render().unwrap();
    let labels = r#"{source="primary",target="secondary",topic="primary.orders",partition="3"}"#;
    assert!(
        text.contains(&format!("mm2_source_record_count_total{labels} 15\n")),
        "{text}"
    );
    assert!(
        text.contains(&format!("mm2_source_batch_byte_count_total{labels} 1000\n")),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "mm2_source_replication_latency_ms{labels} 100.0\n"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "mm2_source_replication_latency_ms_max{labels} 250.0\n"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "mm2_source_replication_latency_ms_min{labels} 100.0\n"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "mm2_source_replication_latency_ms_avg{labels} 175.0\n"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("mm2_source_record_age_ms{labels} 40.0\n")),
        "{text}"
    );
    assert!(text.contains(r#"mm2_checkpoint_latency_ms{source="primary",target="secondary",group="g1",topic="primary.orders",partition="3"} 42.0"#), "{text}");
    assert!(
        text.contains(r#"strait_partitions_parked{source="primary",target="secondary"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"strait_heartbeats_emitted_total{source="primary",target="secondary"} 2"#),
        "{text}"
    );
    assert!(text.contains(r#"strait_heartbeat_last_emitted_timestamp_ms{source="primary",target="secondary"} 1700000001000"#), "{text}");
    assert!(
        text.contains("# TYPE mm2_source_record_count_total counter"),
        "{text}"
    );
    assert!(
        text.contains("# TYPE mm2_source_replication_latency_ms_avg gauge"),
        "{text}"
    );
    // The same measurements under the JMX exporter's names, as gauges.
    for line in [
        format!("kafka_connect_mirror_mirrorsourceconnector_record_count{labels} 15\n"),
        format!(
            "kafka_connect_mirror_mirrorsourceconnector_replication_latency_ms_avg{labels} 175.0\n"
        ),
        format!("kafka_connect_mirror_mirrorsourceconnector_record_age_ms{labels} 40.0\n"),
        r#"kafka_connect_mirror_mirrorcheckpointconnector_checkpoint_latency_ms_max{source="primary",target="secondary",group="g1",topic="primary.orders",partition="3"} 42.0"#.to_string(),
        "# TYPE kafka_connect_mirror_mirrorsourceconnector_record_count gauge".to_string(),
        "# TYPE kafka_connect_mirror_heartbeat_connector_freshness_ms gauge".to_string(),
    ] {
        assert!(text.contains(&line), "{line} in {text}");
    }
}

/// Group names may hold any character; the exposition escapes them.
#[test]
fn group_names_are_escaped() {
    let m = Metrics::new();
    let labels = CheckpointLabels {
        source: "a".into(),
        target: "b".into(),
        group: "we\"ird\\g\n".into(),
        topic: "a.t".into(),
        partition: 0,
    };
    m.checkpoint_latency(&labels, 1);
    let text = m.render().unwrap();
    assert!(text.contains(r#"group="we\"ird\\g\n""#), "{text}");
}

#[test]
fn handles_are_shared_per_label_set() {
    let m = Metrics::new();
    let flow = m.flow("a", "b");
    flow.partition("a.t", 0).acked(1, 1, 0, 0);
    flow.partition("a.t", 0).acked(2, 1, 0, 0);
    let text = m.render().unwrap();
    assert!(
        text.contains(
            r#"mm2_source_record_count_total{source="a",target="b",topic="a.t",partition="0"} 3"#
        ),
        "{text}"
    );
}

/// Latencies of every partition of a flow land in one histogram per flow, whose cumulative
/// buckets give percentiles (`histogram_quantile`).
#[test]
fn latency_histograms_are_per_flow_and_cumulative() {
    let m = Metrics::new();
    let flow = m.flow("a", "b");
    flow.partition("a.t", 0).acked(1, 1, 1_000, 1_250);
    flow.partition("a.t", 1).acked(1, 1, 2_000, 2_100);
    flow.partition("a.u", 0).acked(1, 1, 0, 70_000);
    let checkpoint = CheckpointLabels {
        source: "a".into(),
        target: "b".into(),
        group: "g".into(),
        topic: "a.t".into(),
        partition: 0,
    };
    m.checkpoint_latency(&checkpoint, 3);
    let text = m.render().unwrap();
    for line in [
        r#"strait_replication_latency_ms_bucket{source="a",target="b",le="50"} 0"#,
        r#"strait_replication_latency_ms_bucket{source="a",target="b",le="100"} 1"#,
        r#"strait_replication_latency_ms_bucket{source="a",target="b",le="250"} 2"#,
        r#"strait_replication_latency_ms_bucket{source="a",target="b",le="60000"} 2"#,
        r#"strait_replication_latency_ms_bucket{source="a",target="b",le="300000"} 3"#,
        r#"strait_replication_latency_ms_bucket{source="a",target="b",le="+Inf"} 3"#,
        r#"strait_replication_latency_ms_count{source="a",target="b"} 3"#,
        r#"strait_replication_latency_ms_sum{source="a",target="b"} 70350.0"#,
        r#"strait_checkpoint_latency_ms_bucket{source="a",target="b",le="2"} 0"#,
        r#"strait_checkpoint_latency_ms_bucket{source="a",target="b",le="5"} 1"#,
    ] {
        assert!(text.contains(line), "{line} in {text}");
    }
    assert_eq!(
        text.matches("strait_replication_latency_ms_count{").count(),
        1
    );
}

/// A partition whose topic is gone leaves the scrape entirely; used again, it comes back.
#[test]
fn a_forgotten_partition_leaves_the_scrape() {
    let m = Metrics::new();
    let flow = m.flow("a", "b");
    let gone = flow.partition("a.gone", 0);
    gone.acked(1, 1, 0, 5);
    gone.lag_fetched(10, 0, [(9, 0)].into_iter());
    flow.partition("a.kept", 0).acked(1, 1, 0, 5);
    assert!(m.render().unwrap().contains(r#"topic="a.gone""#));
    flow.forget("a.gone", 0);
    let text = m.render().unwrap();
    assert!(!text.contains(r#"topic="a.gone""#), "{text}");
    assert!(text.contains(r#"topic="a.kept""#), "{text}");
    flow.partition("a.gone", 0).acked(2, 1, 0, 5);
    assert!(m.render().unwrap().contains(
        r#"mm2_source_record_count_total{source="a",target="b",topic="a.gone",partition="0"} 2"#
    ));
}

/// An idle partition's window gauges are left out (Kafka would show NaN); its last value stays.
#[test]
fn empty_windows_are_left_out_of_the_scrape() {
    let m = Metrics::new();
    let flow = m.flow("a", "b");
    let p = flow.partition("a.t", 0);
    p.lag_fetched(10, 0, [(9, 0)].into_iter());
    let labels = r#"{source="a",target="b",topic="a.t",partition="0"}"#;
    let text = m.render().unwrap();
    assert!(!text.contains("NaN"), "{text}");
    assert!(
        text.contains(&format!("mm2_source_replication_latency_ms{labels} 0")),
        "{text}"
    );
    assert!(
        !text.contains(&format!("mm2_source_replication_latency_ms_max{labels}")),
        "{text}"
    );
    p.acked(1, 1, 0, 5);
    let text = m.render().unwrap();
    assert!(
        text.contains(&format!("mm2_source_replication_latency_ms_max{labels} 5")),
        "{text}"
    );
}

/// The status page shows the metrics' numbers, escapes names, and plots the sampled history.
#[test]
fn status_page_shows_the_scraped_numbers_escaped() {
    let m = Metrics::new();
    let flow = m.flow("a", "b");
    let p = flow.partition("a.<t>", 2);
    p.lag_fetched(10, 0, [(9, 1_000)].into_iter());
    p.acked(7, 1, 1_000, 1_100);
    p.replicated(7, 1_000);
    m.checkpoint_current(
        &CheckpointLabels {
            source: "a".into(),
            target: "b".into(),
            group: "<script>alert(1)</script>".into(),
            topic: "a.<t>".into(),
            partition: 2,
        },
        crate::clock::now_ms(),
    );
    m.sample_lag(crate::clock::now_ms() - 5_000);
    m.sample_lag(crate::clock::now_ms());
    let page = status_page::render(&m.snapshot());
    assert!(!page.contains("<script>"), "{page}");
    assert!(page.contains("&lt;script&gt;"), "{page}");
    assert!(
        page.contains(r#"<tr data-topic="a.&lt;t&gt;" data-partition="2"><td>a-&gt;b</td><td>a.&lt;t&gt;</td><td>2</td><td class="records">7</td><td class="lag-records">3</td>"#),
        "{page}"
    );
    assert!(page.contains(r#"<polyline data-flow="a-&gt;b""#), "{page}");
    let text = m.render().unwrap();
    assert!(text.contains(r#"kafka_connect_mirror_source_connector_replication_lag_records{source="a",target="b",topic="a.<t>",partition="2"} 3"#), "{text}");
}
