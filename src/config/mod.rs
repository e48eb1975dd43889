//! Reading an MM2 dedicated-mode `mm2.properties` and resolving it, with MM2's precedence rules, into
//! one [`FlowConfig`] per enabled `source->target` flow. Everything downstream reads typed settings from
//! here; nothing else looks at raw keys.

pub mod connect;
pub mod error;
pub(crate) mod key_scope;
pub(crate) mod keys;
pub(crate) mod properties;
pub(crate) mod providers;
pub(crate) mod resolve;
mod security;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use error::ConfigError;

/// The key reference (Markdown) that docs/configuration.md carries, rendered from the key table;
/// `strait keys` prints it.
pub fn key_reference() -> String {
    keys::reference::markdown()
}
pub(crate) use keys::looks_secret;
pub use resolve::heartbeats::HeartbeatConfig;

use crate::fetch::settings::{FetchSettings, StartAt};
use crate::offsets::checkpoints::CheckpointsConfig;
use crate::offsets::connect_format::{HEARTBEAT_CONNECTOR, SOURCE_CONNECTOR};
use crate::offsets::progress::OffsetStorage;
use crate::plan::replication_policy::ReplicationPolicy;
use crate::plan::topic_filter::TopicFilter;
use crate::produce::settings::ProduceSettings;
use crate::protocol::ConnectionSettings;
use crate::security::SecuritySpec;

/// Where a raw setting came from, so that an error can name the file, line and key as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The properties file.
    pub file: PathBuf,
    /// 1-based line number of the key (the first line of a continued line).
    pub line: usize,
    /// The key exactly as written in the file (e.g. `primary.consumer.fetch.min.bytes`).
    pub key: String,
}

/// One resolved client setting with the raw line it came from (None for a default strait filled in).
/// Its `Debug` output hides the value when the key it was written under looks secret, so that
/// `{:?}` of a [`FlowConfig`] never leaks a password or JAAS line into a log.
#[derive(Clone, PartialEq, Eq)]
pub struct Setting {
    /// The value after unescaping and config-provider substitution (`${file:...}`, `${env:...}`).
    pub value: String,
    /// Where it was written; `None` when it is a default.
    pub origin: Option<Origin>,
}

impl std::fmt::Debug for Setting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secret = self
            .origin
            .as_ref()
            .is_some_and(|o| keys::looks_secret(&o.key));
        let mut d = f.debug_struct("Setting");
        if secret {
            d.field("value", &"<redacted>");
        } else {
            d.field("value", &self.value);
        }
        d.field("origin", &self.origin).finish()
    }
}

/// The properties MM2 would hand one of its Kafka clients (consumer, producer or admin) on one cluster,
/// after applying MM2's precedence (top-level < per-alias < `A->B.` overrides). Keys are the plain Kafka
/// client keys (`bootstrap.servers`, `fetch.min.bytes`, ...).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientConfig {
    /// Cluster alias this client talks to.
    pub cluster: String,
    /// Resolved client properties.
    pub props: BTreeMap<String, Setting>,
}

/// How strait connects to one cluster, as configured: the wire layer's settings with the security
/// layer's plain spec (no live state: stores are read and token sources made when replication
/// starts, with [`crate::security::connection`]).
pub type ConnectionSpec = ConnectionSettings<SecuritySpec>;

/// MM2's topic config sync for one flow (`MirrorSourceConnector.syncTopicConfigs`).
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigSyncConfig {
    /// `sync.topic.configs.interval.seconds`.
    pub(crate) interval: Duration,
    /// `use.defaults.from = source`: a source default is set on the target (else deleted there).
    pub(crate) defaults_from_source: bool,
    /// `use.incremental.alter.configs`.
    pub(crate) api: AlterConfigsApi,
}

/// `use.incremental.alter.configs`: which API config sync uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlterConfigsApi {
    /// IncrementalAlterConfigs, the legacy AlterConfigs when the target lacks it.
    Requested,
    /// IncrementalAlterConfigs only: a target without it is an error.
    Required,
    /// The legacy AlterConfigs only.
    Never,
}

/// MM2's offset-syncs for one flow (`emit.offset-syncs.enabled`, default true).
#[derive(Debug, Clone, PartialEq)]
pub struct OffsetSyncsConfig {
    /// `mm2-offset-syncs.<T>.internal` on the source, `mm2-offset-syncs.<S>.internal` on the
    /// target (separator per the replication policy).
    pub topic: String,
    /// Alias of the cluster that holds it: the source, or the target with
    /// `offset-syncs.topic.location = target`.
    pub cluster: String,
    /// `offset-syncs.topic.replication.factor` (default 3; -1 = broker default).
    pub replication_factor: i16,
    /// `offset.lag.max` (default 100).
    pub lag_max: i64,
    /// The client that writes and reads the topic (MM2's `offset-syncs-source-producer` or
    /// `offset-syncs-target-producer`).
    pub client: ConnectionSpec,
}

/// Everything one `source->target` replication flow needs, fully resolved.
#[derive(Debug, Clone)]
pub struct FlowConfig {
    /// Source cluster alias (S).
    pub source: String,
    /// Target cluster alias (T).
    pub target: String,
    /// How to reach the source cluster for fetching (source consumer role).
    pub source_consumer: ConnectionSpec,
    /// How to reach the source cluster for metadata and admin calls (source admin role).
    pub(crate) source_admin: ConnectionSpec,
    /// How to reach the target cluster for producing data (worker producer role).
    pub target_producer: ConnectionSpec,
    /// How to reach the target cluster for topic creation (target admin role).
    pub(crate) target_admin: ConnectionSpec,
    /// Fetch tuning from the source consumer config.
    pub(crate) fetch: FetchSettings,
    /// Produce tuning from the target producer config.
    pub(crate) produce: ProduceSettings,
    /// `topics` / `topics.exclude` (`topics.blacklist`) for this flow.
    pub(crate) topics: TopicFilter,
    /// `replication.policy.class` and separator.
    pub(crate) policy: ReplicationPolicy,
    /// `replication.factor` for new remote topics (MM2 default 2; -1 = broker default).
    pub(crate) replication_factor: i16,
    /// `tasks.max` (default 1).
    pub tasks_max: usize,
    /// `refresh.topics.interval.seconds` when `refresh.topics.enabled` (default 600 s), else None.
    pub(crate) refresh_topics: Option<Duration>,
    /// `config.properties.exclude` (`config.properties.blacklist`): topic configs not copied to remote topics.
    /// Built as an include-everything filter, so `matches(name)` is true for a config that IS copied.
    pub(crate) config_properties_exclude: TopicFilter,
    /// Topic ACL sync interval (`sync.topic.acls.*`), when enabled.
    pub(crate) acl_sync: Option<Duration>,
    /// Topic config sync (`sync.topic.configs.*`), when enabled.
    pub(crate) config_sync: Option<ConfigSyncConfig>,
    /// Where progress is stored.
    pub(crate) offset_storage: OffsetStorage,
    /// Offset-syncs, when emitted.
    pub(crate) offset_syncs: Option<OffsetSyncsConfig>,
    /// Checkpoints and group offset sync, when emitted.
    pub(crate) checkpoints: Option<CheckpointsConfig>,
    /// Settings that are valid but have a consequence worth a warning at start (e.g. checkpoints
    /// asked for while offset-syncs are off).
    pub(crate) warnings: Vec<String>,
    /// The resolved client property maps behind the four [`ConnectionSpec`]s (precedence already
    /// applied), kept for conformance tests and messages.
    #[cfg(test)]
    pub(crate) clients: FlowClients,
    /// The `MirrorSourceConnector` config MM2 would store for this flow, before
    /// deprecated-alias translation (`topics.blacklist` stays as written), for conformance tests.
    #[cfg(test)]
    pub(crate) connector_config: BTreeMap<String, Setting>,
}

/// The four Kafka clients of one flow, as MM2 would configure them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlowClients {
    /// Source data consumer (`S->T|MirrorSourceConnector|replication-consumer`).
    pub source_consumer: ClientConfig,
    /// Source admin (`...|replication-source-admin`).
    pub source_admin: ClientConfig,
    /// Target data producer: the Connect worker producer in MM2 (`T.producer.*`,
    /// `S->T.producer.override.*`).
    pub target_producer: ClientConfig,
    /// Target admin (`...|replication-target-admin`).
    pub target_admin: ClientConfig,
}

impl FlowClients {
    /// The four clients with a role name for messages.
    pub fn roles(&self) -> [(&'static str, &ClientConfig); 4] {
        [
            ("source consumer", &self.source_consumer),
            ("source admin", &self.source_admin),
            ("target producer", &self.target_producer),
            ("target admin", &self.target_admin),
        ]
    }
}

impl FlowConfig {
    /// `S->T`, as MM2 names flows in logs and keys.
    pub fn label(&self) -> String {
        format!("{}->{}", self.source, self.target)
    }

    /// MM2's `shouldReplicateTopic` for this flow: topic filter (heartbeats bypass it), never internal
    /// topics, never cycles back to the target.
    pub fn should_replicate_topic(&self, topic: &str) -> bool {
        self.policy
            .should_replicate_topic(&self.topics, topic, &self.target)
    }

    /// Whether the flow uses `IdentityReplicationPolicy`: remote topics keep their names, so
    /// nothing tells a copied topic from a local one (failback must rebuild instead of append).
    pub(crate) fn is_identity_policy(&self) -> bool {
        matches!(
            self.policy,
            crate::plan::replication_policy::ReplicationPolicy::Identity { .. }
        )
    }

    /// The name `topic` gets on the target (`formatRemoteTopic(source, topic)`).
    pub fn remote_topic(&self, topic: &str) -> String {
        self.policy.format_remote_topic(&self.source, topic)
    }
}

/// A loaded and validated `mm2.properties`.
#[derive(Debug, Clone)]
pub struct Mm2Config {
    /// The file it was read from.
    pub(crate) path: PathBuf,
    /// `clusters`, in file order.
    pub(crate) clusters: Vec<String>,
    /// Every enabled flow (`S->T.enabled = true`), in `clusters` order of S then T.
    pub(crate) flows: Vec<FlowConfig>,
    /// Every other `source->target` pair of `clusters`, resolved as if enabled (pairs whose
    /// settings do not resolve are left out). Never run: failback reads what a flow wrote before
    /// the operator turned it off (its offset-syncs, its remote topics).
    pub(crate) dormant: Vec<FlowConfig>,
    /// Every heartbeat emitter (one per MM2 herder that emits, enabled flow or not), in the same order.
    pub(crate) heartbeats: Vec<HeartbeatConfig>,
    /// Every key written, in file order (for `strait check`), with the key it resolves as (the
    /// same in dedicated mode; `S->T.topics` for a Connect connector's `topics`).
    pub(crate) written: Vec<(String, Origin)>,
    /// Keys accepted but without effect in strait (Connect-runtime keys, features not built yet), with
    /// where they were written; listed once at start-up.
    pub(crate) ignored: Vec<Origin>,
}

impl Mm2Config {
    /// Nothing to run (a Connect worker whose connectors are all paused, stopped or deleted).
    pub(crate) fn empty(path: &Path) -> Mm2Config {
        Mm2Config {
            path: path.to_path_buf(),
            clusters: Vec::new(),
            flows: Vec::new(),
            dormant: Vec::new(),
            heartbeats: Vec::new(),
            written: Vec::new(),
            ignored: Vec::new(),
        }
    }

    /// Reads, parses and validates `path`. Any malformed line, unknown alias, flow naming an undefined
    /// cluster, invalid regex or invalid value fails here with file, line, key and what was expected;
    /// so does a TLS store that cannot be read or a SASL mechanism strait does not speak.
    pub fn load(path: &Path) -> Result<Mm2Config, ConfigError> {
        resolve::load(path)
    }

    /// The flow from `source` to `target`, enabled or not (None when either alias is not in
    /// `clusters`, or the pair's settings do not resolve).
    pub(crate) fn flow_between(&self, source: &str, target: &str) -> Option<&FlowConfig> {
        self.flows
            .iter()
            .chain(&self.dormant)
            .find(|f| f.source == source && f.target == target)
    }

    /// Whether the flow from `source` to `target` is enabled.
    pub(crate) fn is_enabled(&self, source: &str, target: &str) -> bool {
        self.flows
            .iter()
            .any(|f| f.source == source && f.target == target)
    }

    /// The flows this node runs: those whose target is in `targets` (MM2's `--clusters`), or all flows
    /// when `targets` is empty. An alias in `targets` that is not in `clusters` is an error.
    pub fn flows_for(&self, targets: &[String]) -> Result<Vec<FlowConfig>, ConfigError> {
        resolve::flows_for(self, targets)
    }

    /// The heartbeat emitters this node runs: those targeting `targets` (MM2's `--clusters`), or all
    /// when `targets` is empty. Call after [`Mm2Config::flows_for`], which reports unknown aliases.
    pub fn heartbeats_for(&self, targets: &[String]) -> Vec<HeartbeatConfig> {
        resolve::heartbeats_for(self, targets)
    }

    /// Why an entry of [`Mm2Config::ignored`] has no effect (for the start-up log line).
    pub fn ignore_reason(&self, origin: &Origin) -> &'static str {
        match key_scope::classify(&key_scope::locate(
            self.resolved_key(origin),
            &self.clusters,
        )) {
            keys::classify::KeyClass::Ignored(why) => why,
            keys::classify::KeyClass::Understood(_) => "not ignored",
        }
    }

    /// The key `origin` resolves as (its written key when not found).
    fn resolved_key<'a>(&'a self, origin: &'a Origin) -> &'a str {
        self.written
            .iter()
            .find(|(_, o)| o == origin)
            .map_or(origin.key.as_str(), |(k, _)| k.as_str())
    }

    /// What strait does with each written key, in order: its origin and `acts: <meaning>` or
    /// `no effect: <reason>`.
    pub(crate) fn key_effects(&self) -> Vec<(Origin, String)> {
        self.written
            .iter()
            .map(|(key, o)| {
                let what = match key_scope::classify(&key_scope::locate(key, &self.clusters)) {
                    keys::classify::KeyClass::Understood(row) => format!("acts: {}", row.meaning),
                    keys::classify::KeyClass::Ignored(why) => format!("no effect: {why}"),
                };
                (o.clone(), what)
            })
            .collect()
    }

    /// One line per written key, for `strait check`: its line (and file, where keys come from
    /// several files), the key, and what strait does with it (the key table's meaning) or why it
    /// has no effect. Values are never included.
    pub fn key_report(&self) -> Vec<String> {
        render_key_report(&self.key_effects(), &self.path)
    }

    /// One log line listing every ignored key with its line and reason, or None when nothing is
    /// ignored. Values are never included.
    pub fn ignored_summary(&self) -> Option<String> {
        if self.ignored.is_empty() {
            return None;
        }
        let items: Vec<String> = self
            .ignored
            .iter()
            .map(|o| format!("{} (line {}: {})", o.key, o.line, self.ignore_reason(o)))
            .collect();
        Some(format!(
            "{}: {} key(s) accepted but without effect in strait: {}",
            self.path.display(),
            items.len(),
            items.join("; ")
        ))
    }
}

/// Renders [`Mm2Config::key_effects`]-shaped entries, one line each; the file name leads each
/// line when they come from more files than `main`.
pub(crate) fn render_key_report(entries: &[(Origin, String)], main: &Path) -> Vec<String> {
    let width = entries.iter().map(|(o, _)| o.key.len()).max().unwrap_or(0);
    let several = entries.iter().any(|(o, _)| o.file != main);
    entries
        .iter()
        .map(|(o, what)| {
            let file = match (several, o.file.file_name()) {
                (true, Some(name)) => format!("{}:", name.to_string_lossy()),
                _ => String::new(),
            };
            format!("{file}line {:>4}  {:<width$}  {what}", o.line, o.key)
        })
        .collect()
}

/// Flow configs for other modules' unit tests, resolved from `mm2.properties` text.
#[cfg(test)]
pub(crate) mod tests_support {
    use super::FlowConfig;

    /// The flow `source->target` with `topics`, both clusters at unreachable addresses.
    pub(crate) fn flow(source: &str, target: &str, topics: &str) -> FlowConfig {
        let text = format!(
            "clusters = {source}, {target}\n{source}.bootstrap.servers = 127.0.0.1:9\n{target}.bootstrap.servers = 127.0.0.1:9\n{source}->{target}.enabled = true\n{source}->{target}.topics = {topics}\n"
        );
        let entries = super::properties::parse(&text).expect("test properties");
        let path = std::path::Path::new("test.properties");
        let c = super::resolve::load_entries(path, entries).expect("test flow resolves");
        c.flows.into_iter().next().expect("one flow")
    }
}
