//! The flow's view of topics: which source topics are replicated (MM2's filters, internal and
//! cycle rules), and making their remote topics exist on the target with the source's partition
//! count, `replication.factor` and the source's topic configs (minus `config.properties.exclude`),
//! as MM2's `MirrorSourceConnector` does at start and every `refresh.topics.interval.seconds`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use tracing::{error, info, warn};

use crate::config::FlowConfig;
use crate::plan::Route;
use crate::produce::producer::RemoteTopicWatch;
use crate::protocol::admin::{
    create_partitions, create_topics, describe_topic_configs, ConfigEntry, NewTopic,
};
use crate::protocol::{ClusterClient, ProtocolError};

/// Result of one discovery pass.
#[derive(Debug, Default)]
pub(crate) struct Discovered {
    /// Partitions ready to replicate (their remote partition exists).
    pub(crate) routes: Vec<Route>,
    /// Whether some topic could not be prepared (so the next pass should come soon).
    pub(crate) incomplete: bool,
    /// Every topic the source listed, selected or not, ready or not: a partition whose topic is
    /// missing here was deleted.
    pub(crate) listed: HashSet<String>,
    /// The source and the target are one cluster (two aliases for the same brokers) and the flow
    /// would select its own remote topics: it would replicate them again, `a.t`, `a.a.t`, ...,
    /// without end. Nothing was prepared, and the flow must not run.
    pub(crate) same_cluster: Option<SameCluster>,
    /// The source and the target are one cluster, but the topic filter never selects the flow's
    /// own remote topics (replication inside one cluster, e.g. to rename): allowed, with a warning.
    pub(crate) one_cluster: bool,
    /// Remote topics this pass created: a partition with saved progress whose remote topic had
    /// to be created was deleted on the target while strait was not running.
    pub(crate) created: HashSet<String>,
}

/// Why a flow inside one cluster is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SameCluster {
    /// The one cluster's id.
    pub(crate) cluster_id: String,
    /// A source topic whose remote topic the flow would select again.
    pub(crate) topic: String,
    /// That remote topic.
    pub(crate) remote: String,
}

/// Discovers source topics and prepares their remote topics.
pub(crate) struct TopicSync {
    source: ClusterClient,
    target: ClusterClient,
    timeout: Duration,
    /// Told before remote topics are created, so that producers look at their topic ids again.
    watch: Arc<RemoteTopicWatch>,
}

impl TopicSync {
    /// Uses `source` and `target` admin clients.
    pub(crate) fn new(
        source: ClusterClient,
        target: ClusterClient,
        timeout: Duration,
        watch: Arc<RemoteTopicWatch>,
    ) -> Self {
        TopicSync {
            source,
            target,
            timeout,
            watch,
        }
    }

    /// One pass: list source topics, select, create or grow remote topics, return the routes.
    pub(crate) async fn discover(&self, cfg: &FlowConfig) -> Result<Discovered, ProtocolError> {
        let source = self.source.refresh_metadata(None).await?;
        let mut selected: BTreeMap<String, (String, i32)> = BTreeMap::new();
        for (name, topic) in &source.topics {
            if topic.is_internal || topic.error.is_some() || topic.partitions.is_empty() {
                continue;
            }
            if !cfg.should_replicate_topic(name) {
                continue;
            }
            let remote = cfg.remote_topic(name);
            selected.insert(name.clone(), (remote, topic.partitions.len() as i32));
        }
        let remotes: Vec<String> = selected.values().map(|(r, _)| r.clone()).collect();
        // Asked even without remote topics: its cluster id tells whether it is the source.
        let target = self.target.refresh_metadata(Some(&remotes)).await?;
        let mut one_cluster = false;
        if let (Some(s), Some(t)) = (&source.cluster_id, &target.cluster_id) {
            if s == t {
                // Heartbeat topics are left out: MM2 replicates them whatever the filter says, and
                // their growing chain (`a.heartbeats`, `a.a.heartbeats`) is how it traces hops.
                let looping = selected.iter().find(|(name, (remote, _))| {
                    !cfg.policy.is_heartbeats_topic(name) && cfg.should_replicate_topic(remote)
                });
                if let Some((topic, (remote, _))) = looping {
                    return Ok(Discovered {
                        same_cluster: Some(SameCluster {
                            cluster_id: s.clone(),
                            topic: topic.clone(),
                            remote: remote.clone(),
                        }),
                        ..Discovered::default()
                    });
                }
                one_cluster = true;
            }
        }
        let remote_count = |name: &str| -> i32 {
            (target.topics.get(name))
                .filter(|t| t.error.is_none())
                .map_or(0, |t| t.partitions.len() as i32)
        };

        let mut out = Discovered {
            listed: source.topics.keys().cloned().collect(),
            one_cluster,
            ..Discovered::default()
        };
        let missing: Vec<String> = selected
            .iter()
            .filter(|(_, (r, _))| remote_count(r) == 0)
            .map(|(s, _)| s.clone())
            .collect();
        let created = self.create_missing(cfg, &missing, &selected).await;
        for (name, (remote, partitions)) in &selected {
            let mut ready = remote_count(remote);
            if ready == 0 {
                match created.get(name) {
                    Some(Ok(())) => {
                        ready = *partitions;
                        out.created.insert(remote.clone());
                    }
                    Some(Err(e)) => {
                        error!(topic = %name, remote = %remote, error = %e, "cannot create the remote topic; retrying at the next refresh");
                        out.incomplete = true;
                    }
                    None => out.incomplete = true,
                }
            } else if ready < *partitions {
                match create_partitions(&self.target, remote, *partitions, self.timeout).await {
                    Ok(()) => {
                        info!(remote = %remote, from = ready, to = partitions, "added partitions to the remote topic");
                        ready = *partitions;
                    }
                    Err(e) => {
                        error!(remote = %remote, error = %e, "cannot add partitions to the remote topic; retrying at the next refresh");
                        out.incomplete = true;
                    }
                }
            }
            for partition in 0..ready.min(*partitions) {
                out.routes.push(Route {
                    source_topic: name.clone(),
                    remote_topic: remote.clone(),
                    partition,
                });
            }
        }
        Ok(out)
    }

    /// Creates the remote topics of `missing` source topics with the source's configs.
    async fn create_missing(
        &self,
        cfg: &FlowConfig,
        missing: &[String],
        selected: &BTreeMap<String, (String, i32)>,
    ) -> HashMap<String, Result<(), ProtocolError>> {
        let mut results = HashMap::new();
        if missing.is_empty() {
            return results;
        }
        let configs = describe_topic_configs(&self.source, missing).await;
        let mut new_topics = Vec::new();
        let mut source_of: HashMap<String, String> = HashMap::new();
        for name in missing {
            let Some((remote, partitions)) = selected.get(name) else {
                continue;
            };
            let entries = match configs.get(name) {
                Some(Ok(entries)) => copied_configs(cfg, entries),
                Some(Err(e)) => {
                    warn!(topic = %name, error = %e, "cannot read the source topic's configs; creating the remote topic with broker defaults");
                    Vec::new()
                }
                None => Vec::new(),
            };
            source_of.insert(remote.clone(), name.clone());
            new_topics.push(NewTopic {
                name: remote.clone(),
                partitions: *partitions,
                replication_factor: cfg.replication_factor,
                configs: entries,
            });
        }
        self.watch.creating();
        for (remote, result) in create_topics(&self.target, &new_topics, self.timeout).await {
            if result.is_ok() {
                info!(remote = %remote, "remote topic ready");
            }
            if let Some(source) = source_of.get(&remote) {
                results.insert(source.clone(), result);
            }
        }
        results
    }
}

/// The source topic configs MM2 copies to a new remote topic: explicitly set ones (not defaults,
/// not static broker config), not read-only or sensitive, and not excluded by
/// `config.properties.exclude` (config sync's legacy-API rule, without source defaults).
pub(crate) fn copied_configs(cfg: &FlowConfig, entries: &[ConfigEntry]) -> Vec<(String, String)> {
    super::config_sync::target_changes(entries, &cfg.config_properties_exclude, false, false)
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect()
}
