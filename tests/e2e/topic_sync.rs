//! Topic config sync with MM2's rules: a change of a source topic's configs (retention,
//! cleanup.policy, max.message.bytes, an override removed) shows on the remote topic within one
//! `sync.topic.configs.interval.seconds`, with IncrementalAlterConfigs and with the legacy
//! AlterConfigs (`use.incremental.alter.configs = never`); `config.properties.exclude` keys
//! (`min.insync.replicas` by default) are never copied. Witness: Kafka's own `kafka-configs
//! --describe` on the target.

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
    for (_, _, mut strait) in running {
        stop_cleanly(&mut strait);
    }
}
