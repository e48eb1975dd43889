//! Typed settings of one Kafka client: how it connects (bootstrap, timeouts, security spec) and
//! what the source consumer, target producer and progress store are tuned with.

use super::*;

impl Ctx<'_> {
    /// Connection settings of one client role; a missing `bootstrap.servers` is reported at the key
    /// that enabled the flow.
    pub(super) fn connection(
        &self,
        client: &ClientConfig,
        flow: &str,
        role: &str,
        enabled_by: &Origin,
    ) -> Result<ConnectionSpec, ConfigError> {
        let cluster = &client.cluster;
        let Some(bs) = client.props.get(keys::BOOTSTRAP_SERVERS.name) else {
            return Err(self.at(
                enabled_by,
                format!(
                    "flow `{flow}` uses cluster `{cluster}` (as {role}), which has no bootstrap.servers: set `{cluster}.bootstrap.servers = host:port[,host:port...]`"
                ),
            ));
        };
        let bootstrap = self.bootstrap(bs)?;
        let security = super::security::from_client(client, role).map_err(|e| match e.origin {
            Some(o) => self.at(&o, e.message),
            None => self.in_file(e.message),
        })?;
        let p = &client.props;
        Ok(ConnectionSpec {
            cluster: cluster.clone(),
            bootstrap,
            client_id: p
                .get(keys::CLIENT_ID.name)
                .map(|s| s.value.trim().to_string())
                .unwrap_or_default(),
            request_timeout: self.millis(p, &keys::REQUEST_TIMEOUT_MS)?,
            reconnect_backoff: self.millis(p, &keys::RECONNECT_BACKOFF_MS)?,
            reconnect_backoff_max: self.millis(p, &keys::RECONNECT_BACKOFF_MAX_MS)?,
            retry_backoff: self.millis(p, &keys::RETRY_BACKOFF_MS)?,
            retry_backoff_max: self.millis(p, &keys::RETRY_BACKOFF_MAX_MS)?,
            security,
        })
    }

    /// `bootstrap.servers`: a LIST of `host:port` (empty items skipped, as Kafka's `ClientUtils`).
    pub(super) fn bootstrap(&self, setting: &Setting) -> Result<Vec<String>, ConfigError> {
        let expected = "a comma-separated list of `host:port` addresses";
        let mut out = Vec::new();
        for item in parse_list(&setting.value) {
            if item.is_empty() {
                continue;
            }
            let valid = item.rsplit_once(':').is_some_and(|(host, port)| {
                let host = host.trim_start_matches('[').trim_end_matches(']');
                !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0)
            });
            if !valid {
                return Err(self.invalid(setting, "bootstrap.servers", expected));
            }
            out.push(item);
        }
        if out.is_empty() {
            return Err(self.invalid(setting, "bootstrap.servers", expected));
        }
        Ok(out)
    }

    /// Fetch settings from the resolved source consumer.
    pub(super) fn fetch(&self, consumer: &ClientConfig) -> Result<FetchSettings, ConfigError> {
        let p = &consumer.props;
        let read_committed = self.choice(p, &keys::ISOLATION_LEVEL)? == Some("read_committed");
        let start_at = match self.choice(p, &keys::AUTO_OFFSET_RESET)? {
            Some("latest") => StartAt::Latest,
            _ => StartAt::Earliest,
        };
        Ok(FetchSettings {
            max_wait_ms: self.int(p, &keys::FETCH_MAX_WAIT_MS)? as i32,
            min_bytes: self.int(p, &keys::FETCH_MIN_BYTES)? as i32,
            max_bytes: self.int(p, &keys::FETCH_MAX_BYTES)? as i32,
            partition_max_bytes: self.int(p, &keys::MAX_PARTITION_FETCH_BYTES)? as i32,
            read_committed,
            start_at,
            request_timeout: self.millis(p, &keys::REQUEST_TIMEOUT_MS)?,
        })
    }

    /// Produce settings from the resolved target (worker) producer.
    pub(super) fn produce(&self, producer: &ClientConfig) -> Result<ProduceSettings, ConfigError> {
        let p = &producer.props;
        let chosen = self.choice(p, &keys::ACKS)?;
        if let (Some("0"), Some(setting)) = (chosen, p.get(keys::ACKS.name)) {
            return Err(self.invalid(
                setting,
                keys::ACKS.name,
                "`all` (default) or `1`: with `acks=0` the broker never confirms a write, so strait could not replicate at-least-once",
            ));
        }
        let acks = if chosen == Some("1") { 1 } else { -1 };
        Ok(ProduceSettings {
            acks,
            request_timeout: self.millis(p, &keys::REQUEST_TIMEOUT_MS)?,
            max_request_size: self.int(p, &keys::MAX_REQUEST_SIZE)? as usize,
            linger: self.millis(p, &keys::LINGER_MS)?,
            task_budget: usize::try_from(self.int(p, &keys::BUFFER_MEMORY)?).unwrap_or(usize::MAX),
            // A connector key (`strait.batch.join.enabled`), set by the flow.
            join_small_batches: true,
        })
    }

    /// Offset storage of flow `S->T`, read from the worker map as Connect does (top-level
    /// `offset.storage.*` beats `T.offset.storage.*`; `offset.flush.interval.ms` only per target).
    pub(super) fn offset_storage(&self, s: &str, t: &str) -> Result<OffsetStorage, ConfigError> {
        let w = self.worker_map(s, t);
        let topic = match w.get(keys::OFFSET_STORAGE_TOPIC.name) {
            Some(v) => {
                let name = v.value.trim();
                if name.is_empty() || !name.chars().all(is_topic_char) {
                    return Err(self.invalid(
                        v,
                        keys::OFFSET_STORAGE_TOPIC.name,
                        "a topic name (letters, digits, `.`, `_`, `-`)",
                    ));
                }
                name.to_string()
            }
            None => format!("mm2-offsets.{s}.internal"),
        };
        Ok(OffsetStorage {
            topic,
            connector: SOURCE_CONNECTOR.to_string(),
            partitions: self.int(&w, &keys::OFFSET_STORAGE_PARTITIONS)? as i32,
            replication_factor: self.int(&w, &keys::OFFSET_STORAGE_REPLICATION_FACTOR)? as i16,
            flush_interval: self.millis(&w, &keys::OFFSET_FLUSH_INTERVAL_MS)?,
        })
    }
}
