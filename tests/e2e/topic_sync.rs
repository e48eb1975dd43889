//! Topic config sync with MM2's rules: a change of a source topic's configs (retention,
//! cleanup.policy, max.message.bytes, an override removed) shows on the remote topic within one
//! `sync.topic.configs.interval.seconds`, with IncrementalAlterConfigs and with the legacy
//! AlterConfigs (`use.incremental.alter.configs = never`); `config.properties.exclude` keys
//! (`min.insync.replicas` by default) are never copied. Topic ACL sync with MM2's rewrite, on the
//! secured cluster (StandardAuthorizer) as both source and target. Witnesses: Kafka's own
//! `kafka-configs --describe` and `kafka-acls --list` on the target.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::support::*;

/// The remote topic's overrides as `kafka-configs --describe` lists them, for `keys`.
fn remote_configs(remote: &str, keys: &[&str]) -> BTreeMap<String, String> {
    pair()
        .secondary
        .topic_configs(remote)
        .into_iter()
        .filter(|(k, _)| keys.contains(&k.as_str()))
        .collect()
}

/// `(key, value)` pairs as a map.
fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn source_topic_config_changes_reach_the_remote_topic_with_both_apis() {
    let p = pair();
    let keys = [
        "retention.ms",
        "cleanup.policy",
        "max.message.bytes",
        "segment.bytes",
        "min.insync.replicas",
    ];
    let mut running = Vec::new();
    for (alias, api) in [("cfgi", "requested"), ("cfgl", "never")] {
        let alias = unique(alias);
        let topic = unique("cfgsync");
        p.primary.create_topic(
            &topic,
            1,
            1,
            &[
                ("retention.ms", "3600000"),
                ("segment.bytes", "1048576"),
                ("min.insync.replicas", "1"),
            ],
        );
        p.primary.produce(&topic, 1, 5, "none", 71);
        let config = flow_config(
            &alias,
            &format!(
                "topics = {topic}\n\
                 sync.topic.configs.interval.seconds = 2\n\
                 use.incremental.alter.configs = {api}\n\
                 sync.topic.acls.interval.seconds = 1\n\
                 refresh.topics.interval.seconds = 2"
            ),
        );
        let strait = Strait::start(&config, &[]);
        running.push((alias, topic, strait));
    }
    for (alias, topic, strait) in &mut running {
        let remote = format!("{alias}.{topic}");
        let want = map(&[("retention.ms", "3600000"), ("segment.bytes", "1048576")]);
        wait_until(
            Duration::from_secs(90),
            "the remote topic with the source's configs",
            || {
                strait.assert_running();
                p.secondary.has_topic(&remote) && remote_configs(&remote, &keys) == want
            },
        );
    }
    // Change the sources: a new retention, compaction, a larger max.message.bytes, and the
    // segment.bytes override removed.
    for (_, topic, _) in &running {
        p.primary.alter_topic_config(
            topic,
            &[
                ("retention.ms", "7200000"),
                ("cleanup.policy", "compact"),
                ("max.message.bytes", "2000000"),
            ],
            &["segment.bytes"],
        );
    }
    let want = map(&[
        ("retention.ms", "7200000"),
        ("cleanup.policy", "compact"),
        ("max.message.bytes", "2000000"),
    ]);
    for (alias, topic, strait) in &mut running {
        let remote = format!("{alias}.{topic}");
        let mut last = BTreeMap::new();
        wait_until(
            Duration::from_secs(60),
            "the source's changes on the remote topic",
            || {
                strait.assert_running();
                last = remote_configs(&remote, &keys);
                last == want
            },
        );
        assert!(!last.contains_key("min.insync.replicas"), "{last:?}");
    }
    // The primary has no authorizer: said once, not every second.
    for (_, _, mut strait) in running {
        let said = strait.log().matches("has no ACL authorizer").count();
        assert_eq!(said, 1, "{}", strait.log_tail(30));
        stop_cleanly(&mut strait);
    }
}

/// A flow `alias->mirror` of `topics` from the secured cluster (plaintext, the super user) back to
/// itself as `mirror` (connected as `mirror` says), without heartbeats or checkpoints.
fn secure_to_itself(alias: &str, topics: &str, mirror: &str, extra: &str) -> String {
    secured_to_itself(&secure().cluster, alias, topics, mirror, extra)
}

/// [`secure_to_itself`] on any secured cluster `c`.
fn secured_to_itself(c: &Cluster, alias: &str, topics: &str, mirror: &str, extra: &str) -> String {
    format!(
        "clusters = {alias}, mirror\n\
         {alias}.bootstrap.servers = {b}\n\
         {mirror}\
         {alias}->mirror.enabled = true\n\
         {alias}->mirror.topics = {topics}\n\
         replication.factor = 1\n\
         offset.storage.replication.factor = 1\n\
         offset.storage.partitions = 2\n\
         offset-syncs.topic.replication.factor = 1\n\
         emit.heartbeats.enabled = false\n\
         emit.checkpoints.enabled = false\n\
         {extra}",
        b = c.bootstrap()
    )
}

/// `mirror.*` keys connecting as the SASL PLAIN user `strait-plain` (not a super user) on port
/// `sasl` of a secured cluster.
fn as_plain_user(sasl: u16) -> String {
    let s = secure();
    format!(
        "mirror.bootstrap.servers = 127.0.0.1:{sasl}\n\
         mirror.security.protocol = SASL_SSL\n\
         mirror.sasl.mechanism = PLAIN\n\
         mirror.sasl.jaas.config = org.apache.kafka.common.security.plain.PlainLoginModule required username=\"strait-plain\" password=\"{pw}\";\n\
         mirror.ssl.truststore.location = {ts}\n\
         mirror.ssl.truststore.password = {tspw}\n",
        pw = s.secret("sasl-plain-password"),
        ts = s.file("truststore.jks"),
        tspw = s.secret("store-password"),
    )
}

/// `kafka-acls --add --force ARGS` on `c`.
fn add_acl(c: &Cluster, args: &[&str]) {
    let mut all = vec!["--add", "--force"];
    all.extend_from_slice(args);
    c.tool("kafka.admin.AclCommand", &all).ok();
}

/// `kafka-acls --list --topic TOPIC` on the secured cluster: (principal, operation, permission).
fn acls_of(c: &Cluster, topic: &str) -> Vec<(String, String, String)> {
    let out = c
        .tool("kafka.admin.AclCommand", &["--list", "--topic", topic])
        .ok()
        .stdout_str();
    let field = |l: &str, name: &str| {
        l.split([',', '(', ')'])
            .map(str::trim)
            .find_map(|f| f.strip_prefix(&format!("{name}=")).map(str::to_string))
            .unwrap_or_default()
    };
    let mut out: Vec<_> = out
        .lines()
        .filter(|l| l.contains("principal="))
        .map(|l| {
            (
                field(l, "principal"),
                field(l, "operation"),
                field(l, "permissionType"),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn source_topic_acls_reach_the_remote_topic_with_mm2s_rewrite() {
    let s = secure();
    let c = &s.cluster;
    let topic = unique("aclsync");
    c.create_topic(&topic, 1, 1, &[]);
    let add = |args: &[&str]| add_acl(c, args);
    add(&[
        "--allow-principal",
        "User:alice",
        "--operation",
        "Read",
        "--topic",
        &topic,
    ]);
    add(&[
        "--allow-principal",
        "User:bob",
        "--operation",
        "Write",
        "--topic",
        &topic,
    ]);
    add(&[
        "--allow-principal",
        "User:carol",
        "--operation",
        "All",
        "--topic",
        &topic,
    ]);
    add(&[
        "--deny-principal",
        "User:dave",
        "--operation",
        "Read",
        "--topic",
        &topic,
    ]);
    add(&[
        "--allow-principal",
        "User:erin",
        "--operation",
        "Read",
        "--topic",
        &topic,
        "--resource-pattern-type",
        "prefixed",
    ]);
    let alias = unique("acl");
    let config = secure_to_itself(
        &alias,
        &topic,
        &format!("mirror.bootstrap.servers = {}\n", c.bootstrap()),
        "sync.topic.acls.interval.seconds = 2\n",
    );
    let mut strait = Strait::start(&config, &[]);
    let remote = format!("{alias}.{topic}");
    let want = vec![
        (
            "User:alice".to_string(),
            "READ".to_string(),
            "ALLOW".to_string(),
        ),
        (
            "User:carol".to_string(),
            "READ".to_string(),
            "ALLOW".to_string(),
        ),
        (
            "User:dave".to_string(),
            "READ".to_string(),
            "DENY".to_string(),
        ),
    ];
    let mut last = Vec::new();
    wait_until(
        Duration::from_secs(60),
        "the rewritten ACLs on the remote topic",
        || {
            strait.assert_running();
            last = acls_of(&secure().cluster, &remote);
            last == want
        },
    );
    // Later passes add nothing and delete nothing.
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(acls_of(&secure().cluster, &remote), want);
    stop_cleanly(&mut strait);
}

/// The target refuses one remote topic's configs (an ACL denies strait's SASL user AlterConfigs on
/// it, on the StandardAuthorizer cluster): strait reports that topic with the broker's reason,
/// the other topic's configs are synced, and both topics' records still arrive.
#[test]
fn a_topic_whose_configs_the_target_refuses_is_reported_and_the_others_sync() {
    let s = secure();
    let c = &s.cluster;
    let alias = unique("cfgdeny");
    let (ok, denied) = (unique("cfgok"), unique("cfgdenied"));
    let remote_denied = format!("{alias}.{denied}");
    for t in [&ok, &denied] {
        c.create_topic(t, 1, 1, &[("retention.ms", "3600000")]);
        c.produce(t, 1, 10, "none", 23);
    }
    // The remote topic exists already; strait's user may do everything on it but alter its
    // configs (an ACL on it ends allow.everyone.if.no.acl.found there, hence the ALLOW ALL).
    c.create_topic(&remote_denied, 1, 1, &[]);
    for (kind, op) in [
        ("--allow-principal", "All"),
        ("--deny-principal", "AlterConfigs"),
    ] {
        add_acl(
            c,
            &[
                kind,
                "User:strait-plain",
                "--operation",
                op,
                "--topic",
                &remote_denied,
            ],
        );
    }
    let mirror = as_plain_user(s.sasl_ssl_port());
    let config = secure_to_itself(
        &alias,
        &format!("{ok}, {denied}"),
        &mirror,
        "sync.topic.acls.enabled = false\nsync.topic.configs.interval.seconds = 2\n",
    );
    let mut strait = Strait::start(&config, &[]);
    let remote_ok = format!("{alias}.{ok}");
    wait_until(
        Duration::from_secs(90),
        "both topics copied and the allowed one's configs synced",
        || {
            strait.assert_running();
            c.end_offsets(&remote_ok).values().sum::<i64>() == 10
                && c.end_offsets(&remote_denied).values().sum::<i64>() == 10
                && c.topic_configs(&remote_ok)
                    .get("retention.ms")
                    .map(String::as_str)
                    == Some("3600000")
        },
    );
    strait.wait_for_log(
        "the target refused this topic's configs",
        Duration::from_secs(30),
    );
    let refusal = strait
        .log()
        .lines()
        .find(|l| l.contains("the target refused this topic's configs"))
        .unwrap()
        .to_string();
    assert!(refusal.contains(&remote_denied), "{refusal}");
    assert!(
        refusal.contains("TopicAuthorizationFailed") || refusal.contains("authoriz"),
        "the broker's reason: {refusal}"
    );
    assert!(!refusal.contains(&remote_ok), "{refusal}");
    assert_eq!(
        c.topic_configs(&remote_denied).get("retention.ms"),
        None,
        "the refused topic kept its own configs"
    );
    for secret in s.all_secrets() {
        assert!(!strait.log().contains(&secret), "a secret in the log");
    }
    stop_cleanly(&mut strait);
}

/// The target refuses to create ACLs (on a secured cluster of its own, strait's SASL user is
/// denied Alter on the cluster, which CreateAcls needs): the refusal is reported, the remote topic
/// gets no ACL, and replication goes on (every record arrives).
#[test]
fn acls_the_target_refuses_are_reported_and_replication_goes_on() {
    let s = secure();
    let certs = s.certs.display().to_string();
    let (c, base) = Cluster::start_with(&unique("aclrefused"), 1, 4, &["--secure", &certs]);
    let topic = unique("aclrefused");
    c.create_topic(&topic, 1, 1, &[]);
    c.produce(&topic, 1, 12, "lz4", 41);
    let acl = |args: &[&str]| add_acl(&c, args);
    acl(&[
        "--allow-principal",
        "User:alice",
        "--operation",
        "Read",
        "--topic",
        &topic,
    ]);
    // Everything on the cluster but Alter (an ACL there ends allow.everyone.if.no.acl.found for it).
    acl(&[
        "--allow-principal",
        "User:strait-plain",
        "--operation",
        "All",
        "--cluster",
    ]);
    acl(&[
        "--deny-principal",
        "User:strait-plain",
        "--operation",
        "Alter",
        "--cluster",
    ]);
    let alias = unique("aclref");
    let config = secured_to_itself(
        &c,
        &alias,
        &topic,
        &as_plain_user(base + 3),
        "sync.topic.configs.enabled = false\nsync.topic.acls.interval.seconds = 2\n",
    );
    let mut strait = Strait::start(&config, &[]);
    let remote = format!("{alias}.{topic}");
    wait_until(
        Duration::from_secs(90),
        "every record on the remote topic",
        || {
            strait.assert_running();
            c.end_offsets(&remote).values().sum::<i64>() == 12
        },
    );
    assert_same_records(
        &c.dump(&remote, 12, false),
        &expected_records(41, 1, 0, 12),
        true,
    );
    wait_until(Duration::from_secs(60), "the refusal in the log", || {
        let log = strait.log();
        log.contains("the target refused a topic ACL")
            || log.contains("cannot create topic ACLs on the target")
    });
    let log = strait.log();
    let line = log
        .lines()
        .find(|l| l.contains("refused a topic ACL") || l.contains("cannot create topic ACLs"))
        .unwrap();
    assert!(
        line.to_lowercase().contains("authoriz"),
        "the broker's reason: {line}"
    );
    assert_eq!(acls_of(&c, &remote), vec![], "no ACL was created");
    strait.assert_running();
    for secret in s.all_secrets() {
        assert!(!log.contains(&secret), "a secret in the log");
    }
    stop_cleanly(&mut strait);
    c.kill_all();
}
