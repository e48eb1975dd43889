//! Topic config sync, as MM2 3.9's `MirrorSourceConnector.syncTopicConfigs` does it: after the
//! first discovery and every `sync.topic.configs.interval.seconds`, each replicated source topic's
//! configs are read and applied to its remote topic.
//! - Left out: read-only, sensitive and static-broker entries, and keys `config.properties.exclude`
//!   matches.
//! - With IncrementalAlterConfigs, a key the source leaves at its default is deleted on the target
//!   (the target's default applies) unless `use.defaults.from = source`, which sets the source's
//!   default value; every other key is set.
//! - With the legacy AlterConfigs (`use.incremental.alter.configs = never`, or `requested` on a
//!   target without IncrementalAlterConfigs, after which the flow stays on the legacy API), a
//!   remote topic's overrides become exactly the source's non-default keys (and its defaults with
//!   `use.defaults.from = source`).
//!
//! A topic whose change the target refuses is reported with the broker's reason and the other
//! topics go on; the next interval tries again.

use std::collections::BTreeMap;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info, warn};

use crate::config::{AlterConfigsApi, ConfigSyncConfig};
use crate::plan::topic_filter::TopicFilter;
use crate::protocol::admin::{describe_topic_configs, ConfigEntry};
use crate::protocol::alter_configs::{
    incremental_alter, is_unsupported, legacy_alter, TopicChanges,
};
use crate::protocol::ClusterClient;

/// Kafka's `ConfigSource.STATIC_BROKER_CONFIG`: never copied.
const STATIC_BROKER_CONFIG: i8 = 4;

/// The changes that make a remote topic's configs follow its source topic's `entries`: each key
/// set to a value, or deleted (`None`). `incremental`: for IncrementalAlterConfigs (defaults
/// included, as deletes or, with `defaults_from_source`, as sets); else for the legacy API
/// (non-default keys only, plus defaults with `defaults_from_source`).
pub(crate) fn target_changes(
    entries: &[ConfigEntry],
    exclude: &TopicFilter,
    defaults_from_source: bool,
    incremental: bool,
) -> Vec<(String, Option<String>)> {
    entries
        .iter()
        .filter(|e| incremental || !e.is_default || defaults_from_source)
        .filter(|e| !e.read_only && !e.sensitive && e.source != STATIC_BROKER_CONFIG)
        .filter(|e| exclude.matches(&e.name))
        .filter_map(|e| {
            if e.is_default && !defaults_from_source {
                Some((e.name.clone(), None))
            } else {
                e.value.clone().map(|v| (e.name.clone(), Some(v)))
            }
        })
        .collect()
}

/// One flow's config sync.
pub(crate) struct ConfigSync {
    flow: String,
    source: ClusterClient,
    target: ClusterClient,
    settings: ConfigSyncConfig,
    exclude: TopicFilter,
    /// False once `requested` fell back to the legacy API, or with `never`.
    incremental: bool,
}

impl ConfigSync {
    /// Syncs `flow` from `source` to `target` (admin clients) with `settings`.
    pub(crate) fn new(
        flow: String,
        source: ClusterClient,
        target: ClusterClient,
        settings: ConfigSyncConfig,
        exclude: TopicFilter,
    ) -> ConfigSync {
        let incremental = settings.api != AlterConfigsApi::Never;
        ConfigSync {
            flow,
            source,
            target,
            settings,
            exclude,
            incremental,
        }
    }

    /// Runs after each change of `topics` (source -> remote, sent by discovery) is first seen and
    /// every interval, until `shutdown`.
    pub(crate) async fn run(
        mut self,
        mut topics: watch::Receiver<BTreeMap<String, String>>,
        shutdown: CancellationToken,
    ) {
        loop {
            if topics.borrow().is_empty() {
                tokio::select! {
                    changed = topics.changed() => if changed.is_err() { return },
                    _ = shutdown.cancelled() => return,
                }
                continue;
            }
            let now = topics.borrow().clone();
            tokio::select! {
                r = self.sync(&now) => if let Err(e) = r {
                    error!(flow = %self.flow, error = %e, "topic config sync stopped");
                    return;
                },
                _ = shutdown.cancelled() => return,
            }
            tokio::select! {
                _ = tokio::time::sleep(self.settings.interval) => {}
                _ = shutdown.cancelled() => return,
            }
        }
    }

    /// One pass over `topics` (source -> remote). Per-topic failures are logged and left for the
    /// next pass; the error is a target that cannot do what `use.incremental.alter.configs`
    /// requires.
    pub(crate) async fn sync(&mut self, topics: &BTreeMap<String, String>) -> Result<(), String> {
        let names: Vec<String> = topics.keys().cloned().collect();
        let described = describe_topic_configs(&self.source, &names).await;
        let mut changes: Vec<TopicChanges> = Vec::new();
        for (source, remote) in topics {
            match described.get(source) {
                Some(Ok(entries)) => changes.push((
                    remote.clone(),
                    target_changes(
                        entries,
                        &self.exclude,
                        self.settings.defaults_from_source,
                        self.incremental,
                    ),
                )),
                Some(Err(e)) => {
                    warn!(flow = %self.flow, topic = %source, error = %e, "cannot read the source topic's configs; retrying at the next config sync")
                }
                None => {}
            }
        }
        if changes.is_empty() {
            return Ok(());
        }
        let results = if self.incremental {
            match incremental_alter(&self.target, &changes).await {
                Err(e) if is_unsupported(&e) => match self.settings.api {
                    AlterConfigsApi::Required => {
                        return Err(format!("use.incremental.alter.configs is `required`, but the target does not support IncrementalAlterConfigs: {e}"));
                    }
                    _ => {
                        warn!(flow = %self.flow, error = %e, "the target does not support IncrementalAlterConfigs; syncing topic configs with the legacy AlterConfigs from now on");
                        self.incremental = false;
                        return Box::pin(self.sync(topics)).await;
                    }
                },
                other => other,
            }
        } else {
            legacy_alter(&self.target, &changes).await
        };
        match results {
            Err(e) => {
                warn!(flow = %self.flow, error = %e, "topic config sync failed; retrying at the next interval")
            }
            Ok(per_topic) => {
                let mut synced = 0;
                for (remote, r) in per_topic {
                    match r {
                        Ok(()) => synced += 1,
                        Err(e) => {
                            warn!(flow = %self.flow, topic = %remote, error = %e, "the target refused this topic's configs; the other topics go on")
                        }
                    }
                }
                debug!(flow = %self.flow, synced, "topic configs synced");
                if synced > 0 && !self.incremental {
                    info!(flow = %self.flow, synced, "topic configs synced with the legacy AlterConfigs");
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, value: &str, source: i8) -> ConfigEntry {
        ConfigEntry {
            name: name.into(),
            value: Some(value.into()),
            is_default: source == 5,
            read_only: false,
            sensitive: false,
            source,
        }
    }

    fn exclude_min_isr() -> TopicFilter {
        TopicFilter::exclude_only(
            crate::plan::topic_filter::PatternList::parse("min\\.insync\\.replicas").unwrap(),
        )
    }

    /// MM2's rules, entry by entry.
    #[test]
    fn changes_follow_mm2s_rules_for_both_apis_and_both_default_sources() {
        let mut read_only = entry("message.format.version", "3.0", 1);
        read_only.read_only = true;
        let mut secret = entry("sasl.thing", "x", 1);
        secret.sensitive = true;
        let entries = vec![
            entry("retention.ms", "1000", 1),     // set on the topic
            entry("cleanup.policy", "delete", 5), // default
            entry("compression.type", "lz4", 2),  // dynamic broker config: copied as MM2 does
            entry("log.dirs", "/data", STATIC_BROKER_CONFIG),
            entry("min.insync.replicas", "2", 1), // excluded
            read_only,
            secret,
        ];
        let set = |k: &str, v: &str| (k.to_string(), Some(v.to_string()));
        let exclude = exclude_min_isr();
        assert_eq!(
            target_changes(&entries, &exclude, false, true),
            vec![
                set("retention.ms", "1000"),
                ("cleanup.policy".to_string(), None),
                set("compression.type", "lz4"),
            ]
        );
        assert_eq!(
            target_changes(&entries, &exclude, true, true),
            vec![
                set("retention.ms", "1000"),
                set("cleanup.policy", "delete"),
                set("compression.type", "lz4"),
            ]
        );
        assert_eq!(
            target_changes(&entries, &exclude, false, false),
            vec![set("retention.ms", "1000"), set("compression.type", "lz4")]
        );
        assert_eq!(
            target_changes(&entries, &exclude, true, false),
            vec![
                set("retention.ms", "1000"),
                set("cleanup.policy", "delete"),
                set("compression.type", "lz4"),
            ]
        );
    }
}
