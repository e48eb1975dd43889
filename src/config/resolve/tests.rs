//! Resolution of whole files: MM2's precedence, defaults, and errors at the right line.

use super::*;

const SAMPLE: &str = "\
clusters = primary, secondary
primary.bootstrap.servers = localhost:9092
secondary.bootstrap.servers = localhost:9093
primary->secondary.enabled = true
secondary->primary.enabled = false
replication.factor = 3
primary->secondary.topics = .*
primary->secondary.topics.blacklist = __.*,.*-internal,connect-.*
tasks.max = 4
refresh.topics.enabled = true
refresh.topics.interval.seconds = 300
primary.consumer.max.poll.records = 10000
primary.consumer.fetch.min.bytes = 1024
primary.consumer.fetch.max.wait.ms = 500
secondary.producer.batch.size = 65536
secondary.producer.linger.ms = 5
";

/// Writes `text` to `<tmp>/mm2.properties` and loads it.
fn load_text(text: &str) -> (tempfile::TempDir, Result<Mm2Config, ConfigError>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("mm2.properties");
    std::fs::write(&path, text).expect("write");
    let result = Mm2Config::load(&path);
    (dir, result)
}

fn ok(text: &str) -> Mm2Config {
    let (_dir, r) = load_text(text);
    match r {
        Ok(c) => c,
        Err(e) => panic!("unexpected error: {e}"),
    }
}

/// Asserts an error tied to `line` and `key`, and that its message names the file, line and key
/// and contains `needle`.
fn err_at(text: &str, line: usize, key: &str, needle: &str) -> String {
    let (_dir, r) = load_text(text);
    let e = r.expect_err("expected an error");
    let msg = e.to_string();
    match &e {
        ConfigError::AtLine {
            line: l, key: k, ..
        } => {
            assert_eq!((*l, k.as_str()), (line, key), "{msg}");
        }
        other => panic!("expected AtLine, got {other:?}"),
    }
    assert!(msg.contains(&format!("mm2.properties:{line}:")), "{msg}");
    assert!(msg.contains(key), "{msg}");
    assert!(msg.contains(needle), "missing `{needle}` in: {msg}");
    msg
}

fn err_in_file(text: &str, needle: &str) -> String {
    let (_dir, r) = load_text(text);
    let e = r.expect_err("expected an error");
    let msg = e.to_string();
    assert!(matches!(e, ConfigError::InFile { .. }), "{e:?}");
    assert!(msg.contains("mm2.properties: "), "{msg}");
    assert!(msg.contains(needle), "missing `{needle}` in: {msg}");
    msg
}

fn setting<'a>(c: &'a ClientConfig, key: &str) -> &'a str {
    c.props
        .get(key)
        .map(|s| s.value.as_str())
        .unwrap_or("<absent>")
}

const BASE: &str = "clusters = a, b\na.bootstrap.servers = a:9092\nb.bootstrap.servers = b:9092\na->b.enabled = true\n";

/// `strait.batch.join.enabled`: small waiting batches are joined unless a flow (or every flow)
/// asks for exact batch forwarding; anything but a boolean fails at start, at its line.
#[test]
fn batch_joining_is_on_unless_a_flow_turns_it_off() {
    assert!(ok(BASE).flows[0].produce.join_small_batches);
    let c = ok(&format!("{BASE}a->b.strait.batch.join.enabled = false\n"));
    assert!(!c.flows[0].produce.join_small_batches);
    assert!(c.ignored.is_empty(), "{:?}", c.ignored);
    let c = ok(&format!("{BASE}strait.batch.join.enabled = false\n"));
    assert!(!c.flows[0].produce.join_small_batches);
    err_at(
        &format!("{BASE}strait.batch.join.enabled = sometimes\n"),
        5,
        "strait.batch.join.enabled",
        "true",
    );
}

/// `buffer.memory` of the worker producer sets the task byte budget, with the producer's
/// precedence (`T.producer.*`, then `S->T.producer.override.*`); unset, the budget is 8 MiB.
#[test]
fn buffer_memory_sets_the_task_budget() {
    assert_eq!(ok(BASE).flows.remove(0).produce.task_budget, (8 << 20));
    let f = ok(&format!("{BASE}b.producer.buffer.memory = 67108864\n"))
        .flows
        .remove(0);
    assert_eq!(f.produce.task_budget, 64 << 20);
    let c = ok(&format!(
        "{BASE}b.producer.buffer.memory = 67108864\na->b.producer.override.buffer.memory = 1048576\n"
    ));
    assert_eq!(c.flows[0].produce.task_budget, 1 << 20);
    // Understood, not listed as ignored.
    assert!(c.ignored.is_empty(), "{:?}", c.ignored);
    err_at(
        &format!("{BASE}b.producer.buffer.memory = -1\n"),
        5,
        "b.producer.buffer.memory",
        ">= 0",
    );
}

#[test]
fn offset_syncs_and_checkpoints_resolve_as_mm2() {
    let f = ok(BASE).flows.remove(0);
    let o = f.offset_syncs.expect("on by default");
    assert_eq!(
        (
            o.topic.as_str(),
            o.cluster.as_str(),
            o.replication_factor,
            o.lag_max
        ),
        ("mm2-offset-syncs.b.internal", "a", 3, 100)
    );
    assert_eq!(o.client.bootstrap, ["a:9092"]);
    let c = f.checkpoints.expect("on by default");
    assert_eq!(c.topic, "a.checkpoints.internal");
    assert_eq!(c.interval, Duration::from_secs(60));
    assert_eq!(c.refresh_groups, Some(Duration::from_secs(600)));
    assert_eq!(c.sync_group_offsets, None);
    assert!(c.groups.matches("orders-app"));
    assert!(!c.groups.matches("console-consumer-1") && !c.groups.matches("connect-x"));

    let f = ok(&format!(
        "{BASE}a->b.offset-syncs.topic.location = target\noffset.lag.max = 0\n\
         a->b.emit.checkpoints.interval.seconds = 5\na->b.sync.group.offsets.enabled = true\n\
         checkpoints.topic.retention.ms = 1000\ngroups = payment-service,order-service\n\
         groups.blacklist = test-.*\nreplication.policy.separator = _\n"
    ))
    .flows
    .remove(0);
    let o = f.offset_syncs.unwrap();
    assert_eq!(
        (o.topic.as_str(), o.cluster.as_str(), o.lag_max),
        ("mm2-offset-syncs_a_internal", "b", 0)
    );
    assert_eq!(o.client.bootstrap, ["b:9092"]);
    let c = f.checkpoints.unwrap();
    assert_eq!(c.topic, "a_checkpoints_internal");
    assert_eq!(c.interval, Duration::from_secs(5));
    assert_eq!(c.sync_group_offsets, Some(Duration::from_secs(60)));
    assert!(c.groups.matches("order-service") && !c.groups.matches("other"));

    let f = ok(&format!("{BASE}emit.offset-syncs.enabled = false\n"))
        .flows
        .remove(0);
    assert!(f.offset_syncs.is_none() && f.checkpoints.is_none());
    assert_eq!(f.warnings.len(), 1);

    err_at(
        &format!("{BASE}offset-syncs.topic.location = elsewhere\n"),
        5,
        "offset-syncs.topic.location",
        "`source` or `target`",
    );
    err_at(
        &format!("{BASE}emit.checkpoints.interval.seconds = 0\n"),
        5,
        "emit.checkpoints.interval.seconds",
        "> 0",
    );
}

#[test]
fn sample_file_resolves() {
    let c = ok(SAMPLE);
    assert_eq!(c.clusters, ["primary", "secondary"]);
    assert_eq!(c.flows.len(), 1, "secondary->primary is not enabled");
    let f = &c.flows[0];
    assert_eq!(f.label(), "primary->secondary");
    assert_eq!(f.tasks_max, 4);
    assert_eq!(f.replication_factor, 3);
    assert_eq!(f.topics.include.items(), [".*"]);
    assert_eq!(
        f.topics.exclude.items(),
        ["__.*", ".*-internal", "connect-.*"],
        "from the blacklist alias"
    );
    assert!(f.should_replicate_topic("orders"));
    assert!(!f.should_replicate_topic("connect-offsets"));
    assert!(!f.should_replicate_topic("secondary.orders"), "cycle");
    assert_eq!(f.remote_topic("orders"), "primary.orders");
    assert_eq!(f.refresh_topics, Some(Duration::from_secs(300)));
    assert_eq!(f.fetch.min_bytes, 1024);
    assert_eq!(f.fetch.max_wait_ms, 500);
    assert_eq!(f.fetch.max_bytes, 52_428_800);
    assert_eq!(f.fetch.partition_max_bytes, 1_048_576);
    assert!(!f.fetch.read_committed);
    assert_eq!(f.fetch.start_at, StartAt::Earliest);
    assert_eq!(f.fetch.request_timeout, Duration::from_secs(30));
    // linger.ms is used; batch.size and max.poll.records are accepted but ignored.
    assert_eq!(f.produce.linger, Duration::from_millis(5));
    assert_eq!(f.produce.acks, -1);
    assert_eq!(f.produce.max_request_size, 1_048_576);
    assert_eq!(f.produce.task_budget, (8 << 20));
    let ignored: Vec<(&str, usize)> = c.ignored.iter().map(|o| (o.key.as_str(), o.line)).collect();
    assert_eq!(
        ignored,
        [
            ("primary.consumer.max.poll.records", 12),
            ("secondary.producer.batch.size", 15)
        ]
    );
    let summary = c.ignored_summary().expect("summary");
    assert!(
        summary.contains("secondary.producer.batch.size (line 15: strait forwards"),
        "{summary}"
    );
    assert!(
        !summary.contains("65536"),
        "values are not logged: {summary}"
    );
    assert_eq!(f.source_consumer.bootstrap, ["localhost:9092"]);
    assert_eq!(f.target_producer.bootstrap, ["localhost:9093"]);
    assert_eq!(
        f.source_consumer.client_id,
        "primary->secondary|MirrorSourceConnector|replication-consumer"
    );
    assert_eq!(
        f.source_admin.client_id,
        "primary->secondary|MirrorSourceConnector|replication-source-admin"
    );
    assert_eq!(
        f.target_admin.client_id,
        "primary->secondary|MirrorSourceConnector|replication-target-admin"
    );
    assert_eq!(
        f.target_producer.client_id,
        "connector-producer-MirrorSourceConnector"
    );
    assert_eq!(
        f.source_consumer.reconnect_backoff,
        Duration::from_millis(50)
    );
    assert_eq!(
        f.source_consumer.reconnect_backoff_max,
        Duration::from_millis(1000)
    );
    assert_eq!(f.source_consumer.retry_backoff, Duration::from_millis(100));
    assert_eq!(
        f.source_consumer.retry_backoff_max,
        Duration::from_millis(1000)
    );
    assert_eq!(
        f.offset_storage,
        OffsetStorage {
            topic: "mm2-offsets.primary.internal".into(),
            connector: "MirrorSourceConnector".into(),
            partitions: 25,
            replication_factor: 3,
            flush_interval: Duration::from_millis(1000),
        }
    );
    assert_eq!(f.policy, ReplicationPolicy::default());
    assert!(!f.config_properties_exclude.matches("min.insync.replicas"));
    assert!(f.config_properties_exclude.matches("retention.ms"));
    assert_eq!(
        setting(&f.clients.source_consumer, "enable.auto.commit"),
        "false"
    );
    // The fetch.min.bytes setting remembers its line.
    let origin = f.clients.source_consumer.props["fetch.min.bytes"]
        .origin
        .as_ref()
        .expect("origin");
    assert_eq!(
        (origin.line, origin.key.as_str()),
        (13, "primary.consumer.fetch.min.bytes")
    );
    // The connector config keeps the alias as written (MM2 stores it untranslated).
    assert_eq!(
        f.connector_config["topics.blacklist"].value,
        "__.*,.*-internal,connect-.*"
    );
    assert_eq!(f.connector_config["source.cluster.alias"].value, "primary");
    assert_eq!(c.flows_for(&[]).expect("flows").len(), 1);
    assert_eq!(c.flows_for(&["secondary".into()]).expect("flows").len(), 1);
}

#[test]
fn mm2_defaults() {
    let c = ok(BASE);
    let f = &c.flows[0];
    assert_eq!(f.tasks_max, 1);
    assert_eq!(f.replication_factor, 2);
    assert_eq!(f.refresh_topics, Some(Duration::from_secs(600)));
    assert_eq!(f.topics.include.items(), [".*"]);
    assert_eq!(
        f.topics.exclude.items(),
        [r".*[\-\.]internal", r".*\.replica", "__.*"]
    );
    assert_eq!(f.produce.linger, Duration::ZERO);
    assert_eq!(f.produce.request_timeout, Duration::from_secs(30));
    assert!(c.ignored.is_empty());
    assert!(c.ignored_summary().is_none());
}

/// MM2's precedence of one client key: `a.security.protocol=PLAINTEXT` + top-level `SSL` + `a.producer.security.protocol=SSL`
/// -> a's admin gets PLAINTEXT, a's producer SSL; b inherits the top-level SSL.
#[test]
fn vector_10_precedence_of_client_keys() {
    let text = "\
clusters = a, b
a.bootstrap.servers = a:9092
b.bootstrap.servers = b:9092
security.protocol = SSL
a.security.protocol = PLAINTEXT
a.producer.security.protocol = SSL
a->b.enabled = true
b->a.enabled = true
tasks.max = 100
xxx = yyy
topics.blacklist = topic3
";
    let c = ok(text);
    let ab = c.flows.iter().find(|f| f.label() == "a->b").expect("a->b");
    let ba = c.flows.iter().find(|f| f.label() == "b->a").expect("b->a");
    assert_eq!(
        setting(&ab.clients.source_admin, "security.protocol"),
        "PLAINTEXT"
    );
    assert_eq!(
        setting(&ab.clients.source_consumer, "security.protocol"),
        "PLAINTEXT"
    );
    assert_eq!(
        setting(&ba.clients.target_admin, "security.protocol"),
        "PLAINTEXT"
    );
    assert_eq!(
        setting(&ba.clients.target_producer, "security.protocol"),
        "SSL"
    );
    assert_eq!(
        setting(&ab.clients.target_producer, "security.protocol"),
        "SSL"
    );
    assert_eq!(
        setting(&ab.clients.target_admin, "security.protocol"),
        "SSL"
    );
    // tasks.max passes, xxx dropped (listed as ignored), blacklist -> exclude.
    assert_eq!(ab.tasks_max, 100);
    assert_eq!(ab.connector_config["tasks.max"].value, "100");
    assert!(!ab.connector_config.contains_key("xxx"));
    assert!(c.ignored.iter().any(|o| o.key == "xxx"));
    assert_eq!(ab.topics.exclude.items(), ["topic3"]);
    // The resolved protocol is what the connections use.
    use crate::security::SecurityProtocol;
    assert_eq!(ab.target_producer.security.protocol, SecurityProtocol::Ssl);
    assert_eq!(
        ab.source_admin.security.protocol,
        SecurityProtocol::Plaintext
    );
    assert_eq!(ba.target_producer.security.protocol, SecurityProtocol::Ssl);
    assert!(ab.target_producer.security.tls.is_some());
    assert!(c.flows_for(&[]).is_ok());
}

#[test]
fn precedence_top_level_alias_flow() {
    let text = format!(
        "{BASE}\
b.producer.request.timeout.ms = 40000
a->b.producer.override.request.timeout.ms = 50000
a.consumer.fetch.max.bytes = 1000
a->b.consumer.fetch.max.bytes = 2000
a->b.consumer.fetch.min.bytes = 7
a->b.source.consumer.fetch.max.wait.ms = 99
a.consumer.fetch.max.wait.ms = 11
a->b.admin.request.timeout.ms = 12345
b.admin.request.timeout.ms = 23456
a.consumer.client.id = mine
topics = x.*
a->b.topics = y.*
topics.exclude = top
a->b.topics.blacklist = flow
"
    );
    let c = ok(&text);
    let f = &c.flows[0];
    // Worker producer: T.producer.* then S->T.producer.override.*.
    assert_eq!(f.produce.request_timeout, Duration::from_secs(50));
    // S.consumer.* beats the flow-level consumer.*; flow-level applies when S.consumer.* is absent.
    assert_eq!(f.fetch.max_bytes, 1000);
    assert_eq!(f.fetch.min_bytes, 7);
    // S->T.source.consumer.* beats everything.
    assert_eq!(f.fetch.max_wait_ms, 99);
    // Flow-level admin.* applies to both admins, and loses to b.admin.* on the target admin.
    assert_eq!(f.source_admin.request_timeout, Duration::from_millis(12345));
    assert_eq!(f.target_admin.request_timeout, Duration::from_millis(23456));
    // User client.id is prefixed, as MM2's addClientId does.
    assert_eq!(
        f.source_consumer.client_id,
        "mine|a->b|MirrorSourceConnector|replication-consumer"
    );
    // Flow-level topics beats top-level; a top-level topics.exclude beats a flow-level blacklist.
    assert_eq!(f.topics.include.items(), ["y.*"]);
    assert_eq!(f.topics.exclude.items(), ["top"]);
}

#[test]
fn top_level_bootstrap_and_client_keys_are_inherited() {
    let text = "clusters = a, b\nbootstrap.servers = shared:9092\nb.bootstrap.servers = b1:9092, b2:9093\na->b.enabled = TRUE\n";
    let f = ok(text).flows.remove(0);
    assert_eq!(f.source_consumer.bootstrap, ["shared:9092"]);
    assert_eq!(f.target_producer.bootstrap, ["b1:9092", "b2:9093"]);
    assert_eq!(f.target_admin.bootstrap, ["b1:9092", "b2:9093"]);
}

#[test]
fn consumer_and_producer_typed_settings() {
    let text = format!(
        "{BASE}a.consumer.isolation.level = read_committed\na.consumer.auto.offset.reset = latest\nb.producer.acks = 1\nb.producer.max.request.size = 2000000\n"
    );
    let f = ok(&text).flows.remove(0);
    assert!(f.fetch.read_committed);
    assert_eq!(f.fetch.start_at, StartAt::Latest);
    assert_eq!(f.produce.acks, 1);
    assert_eq!(f.produce.max_request_size, 2_000_000);
}

#[test]
fn offset_storage_resolution() {
    // Top-level offset.storage.* beats T.offset.storage.*; the flush interval is per target only.
    let text = format!(
        "{BASE}b.offset.storage.topic = per-target\noffset.storage.topic = top-level\nb.offset.storage.partitions = 5\noffset.flush.interval.ms = 77\nb.offset.flush.interval.ms = 250\n"
    );
    let c = ok(&text);
    let f = &c.flows[0];
    assert_eq!(f.offset_storage.topic, "top-level");
    assert_eq!(f.offset_storage.partitions, 5);
    assert_eq!(f.offset_storage.flush_interval, Duration::from_millis(250));
    let top = c
        .ignored
        .iter()
        .find(|o| o.key == "offset.flush.interval.ms")
        .expect("ignored");
    assert!(c
        .ignore_reason(top)
        .contains("<target>.offset.flush.interval.ms"));
}

#[test]
fn replication_policy_settings() {
    let text = format!("{BASE}replication.policy.separator = __\nreplication.policy.internal.topic.separator.enabled = false\n");
    let f = ok(&text).flows.remove(0);
    assert_eq!(f.policy, ReplicationPolicy::default_with("__", false));
    assert_eq!(f.remote_topic("t1"), "a__t1");
    let text = format!("{BASE}a->b.replication.policy.class = org.apache.kafka.connect.mirror.IdentityReplicationPolicy\n");
    let f = ok(&text).flows.remove(0);
    assert_eq!(f.policy, ReplicationPolicy::identity_with("a", ".", true));
    assert_eq!(f.remote_topic("t1"), "t1");
}

#[test]
fn enabling_rules() {
    // Top-level `enabled` reaches every connector (heartbeat herders exist by default).
    let text =
        "clusters = a, b\na.bootstrap.servers = a:1\nb.bootstrap.servers = b:1\nenabled = true\n";
    assert_eq!(ok(text).flows.len(), 2);
    // ... unless the pair has no herder (heartbeats off and S->T.enabled not true).
    let text = "clusters = a, b\na.bootstrap.servers = a:1\nb.bootstrap.servers = b:1\nenabled = true\nemit.heartbeats.enabled = false\na->b.enabled = true\n";
    let c = ok(text);
    assert_eq!(
        c.flows.iter().map(FlowConfig::label).collect::<Vec<_>>(),
        ["a->b"]
    );
    // An explicit false wins over top-level true.
    let text = "clusters = a, b\na.bootstrap.servers = a:1\nb.bootstrap.servers = b:1\nenabled = true\nb->a.enabled = false\n";
    assert_eq!(
        ok(text)
            .flows
            .iter()
            .map(FlowConfig::label)
            .collect::<Vec<_>>(),
        ["a->b"]
    );
}

#[test]
fn clusters_filter() {
    let text = "clusters = a, b, c\na.bootstrap.servers = a:1\nb.bootstrap.servers = b:1\nc.bootstrap.servers = c:1\na->b.enabled = true\na->c.enabled = true\n";
    let c = ok(text);
    let only_c = c.flows_for(&["c".into()]).expect("flows");
    assert_eq!(
        only_c.iter().map(FlowConfig::label).collect::<Vec<_>>(),
        ["a->c"]
    );
    let e = c.flows_for(&["d".into()]).expect_err("unknown").to_string();
    assert!(e.contains("`d`") && e.contains("clusters = a, b, c"), "{e}");
    let e = c.flows_for(&["a".into()]).expect_err("none").to_string();
    assert!(e.contains("No source->target replication flows"), "{e}");
}

// ---- one test per error kind ----

#[test]
fn error_malformed_line() {
    err_at(
        "clusters = a, b\ngarbage\n",
        2,
        "garbage",
        "expected `key = value`",
    );
}

#[test]
fn error_invalid_unicode_escape() {
    err_at("clusters = a\\u00zz\n", 1, "clusters", "four hex digits");
}

#[test]
fn error_clusters_missing_or_empty() {
    err_in_file(
        "a.bootstrap.servers = x:1\n",
        "missing required key `clusters`",
    );
    err_at(
        "x = 1\nclusters =   \n",
        2,
        "clusters",
        "list of cluster aliases",
    );
}

#[test]
fn error_unknown_alias() {
    let text = "clusters = primary, secondary\nprimary.bootstrap.servers = p:1\ntertiary.bootstrap.servers = t:1\n";
    err_at(
        text,
        3,
        "tertiary.bootstrap.servers",
        "unknown cluster alias `tertiary`; clusters = primary, secondary",
    );
}

#[test]
fn error_flow_names_undefined_cluster() {
    let text = "clusters = primary, secondary\nprimary->tertiary.enabled = true\n";
    err_at(
        text,
        2,
        "primary->tertiary.enabled",
        "undefined cluster `tertiary`",
    );
}

#[test]
fn error_invalid_regex() {
    let msg = err_at(
        &format!("{BASE}a->b.topics = ok, (?<=x)y\n"),
        5,
        "a->b.topics",
        "`(?<=x)y`",
    );
    assert!(msg.contains("look-around"), "{msg}");
    err_at(
        &format!("{BASE}topics.exclude = a(\n"),
        5,
        "topics.exclude",
        "`a(`",
    );
    err_at(
        &format!("{BASE}a->b.topics.blacklist = x*+\n"),
        5,
        "a->b.topics.blacklist",
        "possessive",
    );
    err_at(&format!("{BASE}groups = [z\n"), 5, "groups", "`[z`");
    err_at(
        &format!("{BASE}config.properties.exclude = (\n"),
        5,
        "config.properties.exclude",
        "`(`",
    );
}

#[test]
fn error_missing_bootstrap() {
    let text = "clusters = a, b\na.bootstrap.servers = a:1\na->b.enabled = true\n";
    err_at(text, 3, "a->b.enabled", "cluster `b`");
}

#[test]
fn error_invalid_bootstrap() {
    err_at(
        &format!("{BASE}a.consumer.bootstrap.servers = nohost\n"),
        5,
        "a.consumer.bootstrap.servers",
        "host:port",
    );
}

#[test]
fn error_no_enabled_flow() {
    let text = "clusters = a, b\na.bootstrap.servers = a:1\nb.bootstrap.servers = b:1\na->b.enabled = false\n";
    err_in_file(text, "No source->target replication flows.");
}

#[test]
fn error_unsupported_classes() {
    err_at(
        &format!("{BASE}replication.policy.class = com.acme.MyPolicy\n"),
        5,
        "replication.policy.class",
        "IdentityReplicationPolicy",
    );
    err_at(
        &format!("{BASE}a->b.topic.filter.class = com.acme.MyFilter\n"),
        5,
        "a->b.topic.filter.class",
        "DefaultTopicFilter",
    );
}

#[test]
fn error_invalid_typed_values() {
    err_at(
        &format!("{BASE}tasks.max = four\n"),
        5,
        "tasks.max",
        "expected an integer from 1",
    );
    err_at(&format!("{BASE}tasks.max = 0\n"), 5, "tasks.max", "`0`");
    err_at(
        &format!("{BASE}a.consumer.fetch.min.bytes = -1\n"),
        5,
        "a.consumer.fetch.min.bytes",
        "expected an integer from 0",
    );
    err_at(
        &format!("{BASE}refresh.topics.enabled = yes\n"),
        5,
        "refresh.topics.enabled",
        "`true` or `false`",
    );
    err_at(
        &format!("{BASE}a.consumer.isolation.level = serializable\n"),
        5,
        "a.consumer.isolation.level",
        "read_committed",
    );
    err_at(
        &format!("{BASE}a.consumer.auto.offset.reset = none\n"),
        5,
        "a.consumer.auto.offset.reset",
        "latest",
    );
    err_at(
        &format!("{BASE}replication.factor = 0\n"),
        5,
        "replication.factor",
        "-1 (broker default)",
    );
    err_at(
        &format!("{BASE}b.offset.flush.interval.ms = 0\n"),
        5,
        "b.offset.flush.interval.ms",
        ">= 1",
    );
    err_at(
        &format!("{BASE}b.producer.linger.ms = 1s\n"),
        5,
        "b.producer.linger.ms",
        "`1s`",
    );
    err_at(
        &format!("{BASE}refresh.topics.interval.seconds = 0\n"),
        5,
        "refresh.topics.interval.seconds",
        "> 0",
    );
    err_at(
        &format!("{BASE}a.consumer.security.protocol = TLS\n"),
        5,
        "a.consumer.security.protocol",
        "SASL_SSL",
    );
    err_at(
        &format!("{BASE}replication.policy.separator = _ \n"),
        5,
        "replication.policy.separator",
        "without blanks",
    );
    err_at("clusters = a, b\na.bootstrap.servers = a:1\nb.bootstrap.servers = b:1\na->b.enabled = yes\n", 4, "a->b.enabled", "`true` or `false`");
}

#[test]
fn error_acks_zero() {
    err_at(
        &format!("{BASE}a->b.producer.override.acks = 0\n"),
        5,
        "a->b.producer.override.acks",
        "at-least-once",
    );
}

#[test]
fn error_hides_secret_values() {
    // A secret-looking key with an invalid value: the value never appears.
    let text =
        format!("{BASE}a.consumer.bootstrap.servers = ${{file:/etc/secret.properties:password}}\n");
    let msg = err_at(&text, 5, "a.consumer.bootstrap.servers", "config.providers");
    assert!(
        msg.contains("`${file:"),
        "non-secret key shows its value: {msg}"
    );
    let text =
        format!("{BASE}a.consumer.request.timeout.ms = 1\nb.producer.ssl.key.password = hunter2\n");
    ok(&text);
    let e = ConfigError::AtLine {
        path: "x".into(),
        line: 1,
        key: "k".into(),
        message: String::new(),
    };
    assert!(!e.to_string().contains("hunter2"));
    // Invalid value under a secret-looking key name.
    let ctx = Ctx {
        path: Path::new("mm2.properties"),
        raw: IndexMap::new(),
    };
    let s = Setting {
        value: "hunter2".into(),
        origin: Some(Origin {
            file: "mm2.properties".into(),
            line: 9,
            key: "a.sasl.jaas.config".into(),
        }),
    };
    let msg = ctx
        .invalid(&s, "sasl.jaas.config", "a JAAS line")
        .to_string();
    assert!(!msg.contains("hunter2") && msg.contains("hidden"), "{msg}");
    assert!(
        msg.contains("mm2.properties:9: `a.sasl.jaas.config`"),
        "{msg}"
    );
}

#[test]
fn error_sasl_without_mechanism_names_line() {
    // Kafka's default mechanism is GSSAPI, which strait refuses at start-up.
    let text = format!("{BASE}b.security.protocol = SASL_SSL\n");
    err_at(&text, 5, "b.security.protocol", "GSSAPI");
    let text = format!("{BASE}b.security.protocol = SASL_SSL\nb.sasl.mechanism = PLAIN\n");
    err_at(&text, 6, "b.sasl.mechanism", "sasl.jaas.config");
    // PLAINTEXT in any case is fine.
    let c = ok(&format!("{BASE}security.protocol = plaintext\n"));
    assert!(c.flows_for(&[]).is_ok());
}

#[test]
fn debug_output_redacts_secrets() {
    let text =
        format!("{BASE}a.sasl.jaas.config = ScramLoginModule required password=\"hunter2\";\n");
    let c = ok(&text);
    let dump = format!("{:?}", c.flows);
    assert!(
        dump.contains("a.sasl.jaas.config"),
        "the key is still visible"
    );
    assert!(!dump.contains("hunter2"), "{dump}");
}

#[test]
fn duplicate_keys_last_wins() {
    let f = ok(&format!("{BASE}tasks.max = 2\ntasks.max = 3\n"))
        .flows
        .remove(0);
    assert_eq!(f.tasks_max, 3);
    assert_eq!(
        f.connector_config["tasks.max"]
            .origin
            .as_ref()
            .map(|o| o.line),
        Some(6)
    );
}

#[test]
fn ignored_keys_are_listed_with_reasons() {
    let text = format!(
        "{BASE}tasks.max = 1\nconsumer.fetch.max.bytes = 5\nwhatever.thing = 1\ndedicated.mode.enable.internal.rest = true\na->a.enabled = true\nb.ssl.cipher.suites = X\nb.ssl.truststore.location = /x\n"
    );
    let c = ok(&text);
    let keys: Vec<&str> = c.ignored.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "consumer.fetch.max.bytes",
            "whatever.thing",
            "dedicated.mode.enable.internal.rest",
            "a->a.enabled",
            "b.ssl.cipher.suites"
        ]
    );
    let reason = |k: &str| {
        let o = c.ignored.iter().find(|o| o.key == k).expect("listed");
        c.ignore_reason(o)
    };
    assert!(reason("consumer.fetch.max.bytes").contains("top-level client keys"));
    assert!(reason("whatever.thing").contains("unknown"));
    assert!(reason("b.ssl.cipher.suites").contains("cipher suites"));
    // Top-level consumer.* is not applied (MM2 drops it).
    assert_eq!(c.flows[0].fetch.max_bytes, 52_428_800);
}
