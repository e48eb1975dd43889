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
        let Some(bs) = client.props.get("bootstrap.servers") else {
            return Err(self.at(
                enabled_by,
                format!(
                    "flow `{flow}` uses cluster `{cluster}` (as {role}), which has no bootstrap.servers: set `{cluster}.bootstrap.servers = host:port[,host:port...]`"
                ),
            ));
        };
        let bootstrap = self.bootstrap(bs)?;
        self.security_protocol(client)?;
        let security = super::security::from_client(client, role).map_err(|e| match e.origin {
            Some(o) => self.at(&o, e.message),
            None => self.in_file(e.message),
        })?;
        let p = &client.props;
        Ok(ConnectionSpec {
            cluster: cluster.clone(),
            bootstrap,
            client_id: p
                .get("client.id")
                .map(|s| s.value.trim().to_string())
                .unwrap_or_default(),
            request_timeout: self.millis(
                p.get("request.timeout.ms"),
                "request.timeout.ms",
                30_000,
                Range::Int,
            )?,
            reconnect_backoff: self.millis(
                p.get("reconnect.backoff.ms"),
                "reconnect.backoff.ms",
                50,
                Range::Long,
            )?,
            reconnect_backoff_max: self.millis(
                p.get("reconnect.backoff.max.ms"),
                "reconnect.backoff.max.ms",
                1000,
                Range::Long,
            )?,
            retry_backoff: self.millis(
                p.get("retry.backoff.ms"),
                "retry.backoff.ms",
                100,
                Range::Long,
            )?,
            retry_backoff_max: self.millis(
                p.get("retry.backoff.max.ms"),
                "retry.backoff.max.ms",
                1000,
                Range::Long,
            )?,
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

    /// `security.protocol` must be one of Kafka's four protocols (any case).
    pub(super) fn security_protocol(&self, client: &ClientConfig) -> Result<(), ConfigError> {
        if let Some(s) = client.props.get("security.protocol") {
            let v = s.value.trim().to_ascii_uppercase();
            if !["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"].contains(&v.as_str()) {
                return Err(self.invalid(
                    s,
                    "security.protocol",
                    "one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL",
                ));
            }
        }
        Ok(())
    }

    /// Fetch settings from the resolved source consumer.
    pub(super) fn fetch(&self, consumer: &ClientConfig) -> Result<FetchSettings, ConfigError> {
        let p = &consumer.props;
        let read_committed = match p.get("isolation.level") {
            None => false,
            Some(s) => match s.value.trim().to_ascii_lowercase().as_str() {
                "read_uncommitted" => false,
                "read_committed" => true,
                _ => {
                    return Err(self.invalid(
                        s,
                        "isolation.level",
                        "`read_uncommitted` or `read_committed`",
                    ))
                }
            },
        };
        let start_at = match p.get("auto.offset.reset") {
            None => StartAt::Earliest,
            Some(s) => match s.value.trim().to_ascii_lowercase().as_str() {
                "earliest" => StartAt::Earliest,
                "latest" => StartAt::Latest,
                _ => {
                    return Err(self.invalid(
                        s,
                        "auto.offset.reset",
                        "`earliest` (MM2's default) or `latest` (`none` would stop a partition that has no saved progress)",
                    ))
                }
            },
        };
        Ok(FetchSettings {
            max_wait_ms: self.int(
                p.get("fetch.max.wait.ms"),
                "fetch.max.wait.ms",
                500,
                Range::Int,
            )? as i32,
            min_bytes: self.int(p.get("fetch.min.bytes"), "fetch.min.bytes", 1, Range::Int)? as i32,
            max_bytes: self.int(
                p.get("fetch.max.bytes"),
                "fetch.max.bytes",
                52_428_800,
                Range::Int,
            )? as i32,
            partition_max_bytes: self.int(
                p.get("max.partition.fetch.bytes"),
                "max.partition.fetch.bytes",
                1_048_576,
                Range::Int,
            )? as i32,
            read_committed,
            start_at,
            request_timeout: self.millis(
                p.get("request.timeout.ms"),
                "request.timeout.ms",
                30_000,
                Range::Int,
            )?,
        })
    }

    /// Produce settings from the resolved target (worker) producer.
    pub(super) fn produce(&self, producer: &ClientConfig) -> Result<ProduceSettings, ConfigError> {
        let p = &producer.props;
        let acks = match p.get("acks") {
            None => -1,
            Some(s) => match s.value.trim().to_ascii_lowercase().as_str() {
                "all" | "-1" => -1,
                "1" => 1,
                "0" => {
                    return Err(self.invalid(
                        s,
                        "acks",
                        "`all` (default) or `1`: with `acks=0` the broker never confirms a write, so strait could not replicate at-least-once",
                    ))
                }
                _ => return Err(self.invalid(s, "acks", "`all`, `-1` or `1`")),
            },
        };
        Ok(ProduceSettings {
            acks,
            request_timeout: self.millis(
                p.get("request.timeout.ms"),
                "request.timeout.ms",
                30_000,
                Range::Int,
            )?,
            max_request_size: self.int(
                p.get("max.request.size"),
                "max.request.size",
                1_048_576,
                Range::Int,
            )? as usize,
            linger: self.millis(p.get("linger.ms"), "linger.ms", 0, Range::Long)?,
            task_budget: usize::try_from(self.int(
                p.get("buffer.memory"),
                "buffer.memory",
                DEFAULT_TASK_BUDGET as i64,
                Range::Long,
            )?)
            .unwrap_or(usize::MAX),
        })
    }

    /// Offset storage of flow `S->T`, read from the worker map as Connect does (top-level
    /// `offset.storage.*` beats `T.offset.storage.*`; `offset.flush.interval.ms` only per target).
    pub(super) fn offset_storage(&self, s: &str, t: &str) -> Result<OffsetStorage, ConfigError> {
        let w = self.worker_map(s, t);
        let topic = match w.get("offset.storage.topic") {
            Some(v) => {
                let name = v.value.trim();
                if name.is_empty() || !name.chars().all(is_topic_char) {
                    return Err(self.invalid(
                        v,
                        "offset.storage.topic",
                        "a topic name (letters, digits, `.`, `_`, `-`)",
                    ));
                }
                name.to_string()
            }
            None => format!("mm2-offsets.{s}.internal"),
        };
        Ok(OffsetStorage {
            topic,
            partitions: self.int(
                w.get("offset.storage.partitions"),
                "offset.storage.partitions",
                25,
                Range::PartitionCount,
            )? as i32,
            replication_factor: self.int(
                w.get("offset.storage.replication.factor"),
                "offset.storage.replication.factor",
                3,
                Range::ReplicationFactor,
            )? as i16,
            flush_interval: self.millis(
                w.get("offset.flush.interval.ms"),
                "offset.flush.interval.ms",
                DEFAULT_FLUSH_INTERVAL_MS,
                Range::PositiveLong,
            )?,
        })
    }
}
