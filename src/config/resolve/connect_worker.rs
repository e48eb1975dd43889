//! A Connect worker file's own cluster and state topics (`strait connect`): the connection to
//! the worker's `bootstrap.servers` with the worker's top-level client keys, and the config and
//! status topics Connect keeps there.

use super::*;

/// Where a distributed Connect worker keeps its connectors' configs, target states and statuses:
/// topics on the worker's cluster, so that strait and a Java Connect cluster can take over from
/// each other.
#[derive(Debug, Clone)]
pub struct ConnectStateSpec {
    /// The worker's cluster (`bootstrap.servers` and its top-level security keys).
    pub connection: ConnectionSpec,
    /// `config.storage.topic` (one partition, compacted).
    pub config_topic: String,
    /// `config.storage.replication.factor`.
    pub config_replication_factor: i16,
    /// `status.storage.topic` (compacted).
    pub status_topic: String,
    /// `status.storage.partitions`.
    pub status_partitions: i32,
    /// `status.storage.replication.factor`.
    pub status_replication_factor: i16,
}

/// Connect's defaults: `config.storage.replication.factor`, `status.storage.partitions` and
/// `status.storage.replication.factor` (the key table holds their types; in dedicated mode they
/// have no effect, so no default there).
const DEFAULT_CONFIG_RF: i64 = 3;
const DEFAULT_STATUS_PARTITIONS: i64 = 5;
const DEFAULT_STATUS_RF: i64 = 3;

impl Ctx<'_> {
    /// An integer key's value, or `default` when not written.
    fn int_or(&self, key: &Key, default: i64) -> Result<i64, ConfigError> {
        match self.raw.get(key.name) {
            None => Ok(default),
            Some(v) => key
                .ty
                .int(&v.value)
                .map_err(|expected| self.invalid(v, key.name, &expected)),
        }
    }

    /// A topic-name key's value, or the error at its line.
    fn topic_name(&self, key: &Key) -> Result<Option<String>, ConfigError> {
        let Some(v) = self.raw.get(key.name) else {
            return Ok(None);
        };
        let name = v.value.trim();
        if name.is_empty() || !name.chars().all(is_topic_char) {
            return Err(self.invalid(v, key.name, "a topic name (letters, digits, `.`, `_`, `-`)"));
        }
        Ok(Some(name.to_string()))
    }

    /// The state topics of a worker file whose `config.storage.topic` is set (a distributed
    /// worker); None for a standalone one. `status.storage.topic` and `bootstrap.servers` are then
    /// required, as Connect requires them.
    fn connect_state(&self) -> Result<Option<ConnectStateSpec>, ConfigError> {
        let Some(config_topic) = self.topic_name(&keys::CONFIG_STORAGE_TOPIC)? else {
            return Ok(None);
        };
        let config_origin = self
            .raw
            .get(keys::CONFIG_STORAGE_TOPIC.name)
            .and_then(|s| s.origin.clone())
            .unwrap_or_else(|| Origin {
                file: self.path.to_path_buf(),
                line: 0,
                key: keys::CONFIG_STORAGE_TOPIC.name.into(),
            });
        let Some(status_topic) = self.topic_name(&keys::STATUS_STORAGE_TOPIC)? else {
            return Err(self.at(
                &config_origin,
                "a distributed worker (`config.storage.topic` set) needs `status.storage.topic` too, as Connect does".into(),
            ));
        };
        let props: Props = self
            .raw
            .iter()
            .filter(|(k, _)| keys::is_client_key(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let worker = ClientConfig {
            cluster: "connect-worker".into(),
            props,
        };
        let connection =
            self.connection(&worker, "Connect state", "Connect worker", &config_origin)?;
        Ok(Some(ConnectStateSpec {
            connection,
            config_topic,
            config_replication_factor: self
                .int_or(&keys::CONFIG_STORAGE_REPLICATION_FACTOR, DEFAULT_CONFIG_RF)?
                as i16,
            status_topic,
            status_partitions: self
                .int_or(&keys::STATUS_STORAGE_PARTITIONS, DEFAULT_STATUS_PARTITIONS)?
                as i32,
            status_replication_factor: self
                .int_or(&keys::STATUS_STORAGE_REPLICATION_FACTOR, DEFAULT_STATUS_RF)?
                as i16,
        }))
    }
}

/// The state topics of the Connect worker file `path` with `raw` entries (config providers
/// resolved), or None for a standalone worker (no `config.storage.topic`).
pub(crate) fn connect_state(
    path: &Path,
    mut raw: IndexMap<String, Setting>,
) -> Result<Option<ConnectStateSpec>, ConfigError> {
    super::super::providers::substitute(path, &mut raw)?;
    Ctx { path, raw }.connect_state()
}
