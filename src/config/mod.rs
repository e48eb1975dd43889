//! Reading an MM2 dedicated-mode `mm2.properties` and resolving it, with MM2's precedence rules, into
//! one [`FlowConfig`] per enabled `source->target` flow. Everything downstream reads typed settings from
//! here; nothing else looks at raw keys.

pub mod error;
pub mod keys;
pub mod properties;
pub mod resolve;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use error::ConfigError;

use crate::plan::replication_policy::ReplicationPolicy;
use crate::plan::topic_filter::TopicFilter;

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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// The value after unescaping (config-provider placeholders are left as written).
    pub value: String,
    /// Where it was written; `None` when it is a default.
    pub origin: Option<Origin>,
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

/// Fetch settings taken from the source consumer config (`A.consumer.*` and friends).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchSettings {
    /// `fetch.max.wait.ms` (default 500).
    pub max_wait_ms: i32,
    /// `fetch.min.bytes` (default 1).
    pub min_bytes: i32,
    /// `fetch.max.bytes` (default 52428800).
    pub max_bytes: i32,
    /// `max.partition.fetch.bytes` (default 1048576).
    pub partition_max_bytes: i32,
    /// `isolation.level`: true for `read_committed` (default `read_uncommitted`).
    pub read_committed: bool,
    /// `auto.offset.reset`: where a partition with no saved progress starts (MM2 default `earliest`).
    pub start_at: StartAt,
    /// `request.timeout.ms` (default 30000).
    pub request_timeout: Duration,
}

/// Where a partition without saved progress starts reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartAt {
    /// The log start offset (`earliest`, MM2's default).
    Earliest,
    /// The log end offset (`latest`).
    Latest,
}

/// Produce settings for the data producer on the target cluster (Connect worker producer in MM2:
/// `T.producer.*`, `A->B.producer.override.*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProduceSettings {
    /// `acks`: -1 (`all`, default), 0 is refused (it cannot be at-least-once), 1.
    pub acks: i16,
    /// `request.timeout.ms` (default 30000): the broker-side timeout and our wait for the answer.
    pub request_timeout: Duration,
    /// `max.request.size` (default 1048576): upper bound of one Produce request's record bytes per
    /// partition group; larger single batches are still sent alone.
    pub max_request_size: usize,
    /// `linger.ms` (default 0 in strait; MM2's `5` in the sample only delays): extra time the
    /// producer side waits to coalesce fetched chunks into one request.
    pub linger: Duration,
}

/// How strait connects to one cluster (bootstrap list and, later, security settings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionSettings {
    /// Cluster alias, for logs and errors.
    pub cluster: String,
    /// `bootstrap.servers` as `host:port` strings.
    pub bootstrap: Vec<String>,
    /// `client.id` sent in request headers.
    pub client_id: String,
    /// `request.timeout.ms` of this client (default 30000).
    pub request_timeout: Duration,
    /// `reconnect.backoff.ms` (default 50).
    pub reconnect_backoff: Duration,
    /// `reconnect.backoff.max.ms` (default 1000).
    pub reconnect_backoff_max: Duration,
    /// `retry.backoff.ms` (default 100).
    pub retry_backoff: Duration,
    /// `retry.backoff.max.ms` (default 1000).
    pub retry_backoff_max: Duration,
}

/// The internal topic on the target that stores replication progress in Kafka Connect's offsets
/// format, so that a replacement instance (strait or Java MM2) resumes where this one stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetStorage {
    /// `offset.storage.topic` (default `mm2-offsets.<source>.internal`).
    pub topic: String,
    /// `offset.storage.partitions` (default 25).
    pub partitions: i32,
    /// `offset.storage.replication.factor` (default 3; -1 = broker default).
    pub replication_factor: i16,
    /// `offset.flush.interval.ms` given per target alias (MM2 default 60000; strait default 1000 so
    /// that a restart re-copies at most about a second of data).
    pub flush_interval: Duration,
}

/// Everything one `source->target` replication flow needs, fully resolved.
#[derive(Debug, Clone)]
pub struct FlowConfig {
    /// Source cluster alias (S).
    pub source: String,
    /// Target cluster alias (T).
    pub target: String,
    /// How to reach the source cluster for fetching (source consumer role).
    pub source_consumer: ConnectionSettings,
    /// How to reach the source cluster for metadata and admin calls (source admin role).
    pub source_admin: ConnectionSettings,
    /// How to reach the target cluster for producing data (worker producer role).
    pub target_producer: ConnectionSettings,
    /// How to reach the target cluster for topic creation (target admin role).
    pub target_admin: ConnectionSettings,
    /// Fetch tuning from the source consumer config.
    pub fetch: FetchSettings,
    /// Produce tuning from the target producer config.
    pub produce: ProduceSettings,
    /// `topics` / `topics.exclude` (`topics.blacklist`) for this flow.
    pub topics: TopicFilter,
    /// `replication.policy.class` and separator.
    pub policy: ReplicationPolicy,
    /// `replication.factor` for new remote topics (MM2 default 2; -1 = broker default).
    pub replication_factor: i16,
    /// `tasks.max` (default 1).
    pub tasks_max: usize,
    /// `refresh.topics.interval.seconds` when `refresh.topics.enabled` (default 600 s), else None.
    pub refresh_topics: Option<Duration>,
    /// `config.properties.exclude` (`config.properties.blacklist`): topic configs not copied to remote topics.
    pub config_properties_exclude: TopicFilter,
    /// Where progress is stored.
    pub offset_storage: OffsetStorage,
}

/// A loaded and validated `mm2.properties`.
#[derive(Debug, Clone)]
pub struct Mm2Config {
    /// The file it was read from.
    pub path: PathBuf,
    /// `clusters`, in file order.
    pub clusters: Vec<String>,
    /// Every enabled flow (`S->T.enabled = true`), in `clusters` order of S then T.
    pub flows: Vec<FlowConfig>,
    /// Keys accepted but without effect in strait (Connect-runtime keys, features not built yet), with
    /// where they were written; listed once at start-up.
    pub ignored: Vec<Origin>,
}

impl Mm2Config {
    /// Reads, parses and validates `path`. Any malformed line, unknown alias, flow naming an undefined
    /// cluster, invalid regex or invalid value fails here with file, line, key and what was expected.
    pub fn load(path: &Path) -> Result<Mm2Config, ConfigError> {
        resolve::load(path)
    }

    /// The flows this node runs: those whose target is in `targets` (MM2's `--clusters`), or all flows
    /// when `targets` is empty. An alias in `targets` that is not in `clusters` is an error.
    pub fn flows_for(&self, targets: &[String]) -> Result<Vec<FlowConfig>, ConfigError> {
        resolve::flows_for(self, targets)
    }
}
