//! One flow's settings from its connector map: enabling, topics and groups, the replication
//! policy, tasks and refresh schedules, offset-syncs and checkpoints.

use super::*;

impl Ctx<'_> {
    /// Whether MM2 would replicate `S->T`: a herder exists (`S->T.enabled` true, or heartbeats on for
    /// the pair) and the connector's merged `enabled` is true (`S->T.enabled`, else a
    /// top-level `enabled`). Returns the origin of the deciding `enabled` key.
    ///
    /// Difference from MM2: a value other than `true`/`false` (any case, trimmed) is an error here;
    /// MM2 would fail the connector's config validation at run time instead.
    pub(super) fn flow_enabled(
        &self,
        s: &str,
        t: &str,
        conn: &Props,
    ) -> Result<Option<Origin>, ConfigError> {
        if !self.herder_exists(s, t) {
            return Ok(None);
        }
        let Some(setting) = conn.get(keys::ENABLED.name) else {
            return Ok(None);
        };
        match ValueType::boolean(&setting.value) {
            Ok(true) => Ok(setting.origin.clone()),
            Ok(false) => Ok(None),
            Err(expected) => Err(self.invalid(setting, keys::ENABLED.name, &expected)),
        }
    }

    pub(super) fn resolve_flow(
        &self,
        s: &str,
        t: &str,
        conn: Props,
        enabled_by: &Origin,
    ) -> Result<FlowConfig, ConfigError> {
        let flow = format!("{s}->{t}");
        let policy = self.policy(s, &conn)?;
        self.check_class(&conn, &keys::TOPIC_FILTER_CLASS, "topics / topics.exclude")?;
        self.check_class(
            &conn,
            &keys::CONFIG_PROPERTY_FILTER_CLASS,
            "config.properties.exclude",
        )?;
        let topics = TopicFilter {
            include: self.patterns(&conn, &keys::TOPICS, None)?,
            exclude: self.patterns(&conn, &keys::TOPICS_EXCLUDE, Some(&keys::TOPICS_BLACKLIST))?,
        };
        self.check_class(&conn, &keys::GROUP_FILTER_CLASS, "groups / groups.exclude")?;
        let groups = TopicFilter {
            include: self.patterns(&conn, &keys::GROUPS, None)?,
            exclude: self.patterns(&conn, &keys::GROUPS_EXCLUDE, Some(&keys::GROUPS_BLACKLIST))?,
        };
        let config_properties_exclude = TopicFilter::exclude_only(self.patterns(
            &conn,
            &keys::CONFIG_PROPERTIES_EXCLUDE,
            Some(&keys::CONFIG_PROPERTIES_BLACKLIST),
        )?);

        let replication_factor = self.int(&conn, &keys::REPLICATION_FACTOR)? as i16;
        let tasks_max = self.int(&conn, &keys::TASKS_MAX)? as usize;
        let refresh_topics = self.schedule(
            &conn,
            &keys::REFRESH_TOPICS_ENABLED,
            &keys::REFRESH_TOPICS_INTERVAL_SECONDS,
        )?;

        let clients = FlowClients {
            source_consumer: self.mm2_client(
                &conn,
                &flow,
                s,
                "source",
                ClientKind::Consumer,
                "replication-consumer",
            ),
            source_admin: self.mm2_client(
                &conn,
                &flow,
                s,
                "source",
                ClientKind::Admin,
                "replication-source-admin",
            ),
            target_producer: self.worker_producer(&conn, s, t),
            target_admin: self.mm2_client(
                &conn,
                &flow,
                t,
                "target",
                ClientKind::Admin,
                "replication-target-admin",
            ),
        };
        let source_consumer = self.connection(
            &clients.source_consumer,
            &flow,
            "source consumer",
            enabled_by,
        )?;
        let source_admin =
            self.connection(&clients.source_admin, &flow, "source admin", enabled_by)?;
        let target_producer = self.connection(
            &clients.target_producer,
            &flow,
            "target producer",
            enabled_by,
        )?;
        let target_admin =
            self.connection(&clients.target_admin, &flow, "target admin", enabled_by)?;
        let fetch = self.fetch(&clients.source_consumer)?;
        let mut produce = self.produce(&clients.target_producer)?;
        produce.join_small_batches = self.boolean(&conn, &keys::BATCH_JOIN_ENABLED)?;
        let offset_storage = self.offset_storage(s, t)?;
        let mut warnings = Vec::new();
        let offset_syncs = self.offset_syncs(&conn, &flow, s, t, &policy, enabled_by)?;
        let checkpoints = self.checkpoints(&conn, s, &policy, groups)?;
        let checkpoints = match (checkpoints, &offset_syncs) {
            (Some(_), None) => {
                warnings.push(
                    "checkpoints and group offset sync are off: they need offset-syncs, and `emit.offset-syncs.enabled` is false (MM2 3.9 refuses this combination too)".to_string(),
                );
                None
            }
            (c, _) => c,
        };

        let acl_sync = self.schedule(
            &conn,
            &keys::SYNC_TOPIC_ACLS_ENABLED,
            &keys::SYNC_TOPIC_ACLS_INTERVAL_SECONDS,
        )?;
        let config_sync = self
            .schedule(
                &conn,
                &keys::SYNC_TOPIC_CONFIGS_ENABLED,
                &keys::SYNC_TOPIC_CONFIGS_INTERVAL_SECONDS,
            )?
            .map(|interval| -> Result<ConfigSyncConfig, ConfigError> {
                Ok(ConfigSyncConfig {
                    interval,
                    defaults_from_source: self.choice(&conn, &keys::USE_DEFAULTS_FROM)?
                        == Some("source"),
                    api: match self.choice(&conn, &keys::USE_INCREMENTAL_ALTER_CONFIGS)? {
                        Some("required") => AlterConfigsApi::Required,
                        Some("never") => AlterConfigsApi::Never,
                        _ => AlterConfigsApi::Requested,
                    },
                })
            })
            .transpose()?;
        Ok(FlowConfig {
            source: s.to_string(),
            target: t.to_string(),
            source_consumer,
            source_admin,
            target_producer,
            target_admin,
            fetch,
            produce,
            topics,
            policy,
            replication_factor,
            tasks_max,
            refresh_topics,
            config_properties_exclude,
            acl_sync,
            config_sync,
            offset_storage,
            offset_syncs,
            checkpoints,
            warnings,
            #[cfg(test)]
            clients,
            #[cfg(test)]
            connector_config: conn,
        })
    }

    /// A periodic job as MM2 schedules it: `<name>.enabled` and `<name>.interval.seconds`; None when
    /// disabled or the interval is negative (MM2 simply does not schedule it), an error for 0.
    pub(super) fn schedule(
        &self,
        conn: &Props,
        enabled_key: &Key,
        seconds_key: &Key,
    ) -> Result<Option<Duration>, ConfigError> {
        let enabled = self.boolean(conn, enabled_key)?;
        let seconds = self.int(conn, seconds_key)?;
        if !enabled || seconds < 0 {
            return Ok(None);
        }
        if seconds == 0 {
            let (seconds_name, enabled_name) = (seconds_key.name, enabled_key.name);
            return Err(match conn.get(seconds_name) {
                Some(setting) => self.invalid(
                    setting,
                    seconds_name,
                    &format!("a number of seconds > 0 (MM2 cannot schedule a zero interval), or `{enabled_name} = false`"),
                ),
                None => self.in_file(format!("{seconds_name} is 0")),
            });
        }
        Ok(Some(Duration::from_secs(seconds as u64)))
    }

    /// Offset-syncs: `emit.offset-syncs.enabled`, `offset-syncs.topic.location`,
    /// `offset-syncs.topic.replication.factor`, `offset.lag.max`.
    pub(super) fn offset_syncs(
        &self,
        conn: &Props,
        flow: &str,
        s: &str,
        t: &str,
        policy: &ReplicationPolicy,
        enabled_by: &Origin,
    ) -> Result<Option<OffsetSyncsConfig>, ConfigError> {
        let enabled = self.boolean(conn, &keys::EMIT_OFFSET_SYNCS_ENABLED)?;
        let on_target = self.choice(conn, &keys::OFFSET_SYNCS_TOPIC_LOCATION)? == Some("target");
        let replication_factor =
            self.int(conn, &keys::OFFSET_SYNCS_TOPIC_REPLICATION_FACTOR)? as i16;
        let lag_max = self.int(conn, &keys::OFFSET_LAG_MAX)?;
        if !enabled {
            return Ok(None);
        }
        let (cluster, side, role) = if on_target {
            (t, "target", "offset-syncs-target-producer")
        } else {
            (s, "source", "offset-syncs-source-producer")
        };
        let client = self.mm2_client(conn, flow, cluster, side, ClientKind::Producer, role);
        let client = self.connection(&client, flow, role, enabled_by)?;
        // Named after the OTHER cluster: `mm2-offset-syncs.<T>.internal` on the source,
        // `mm2-offset-syncs.<S>.internal` on the target (MirrorSourceConfig.offsetSyncsTopic).
        let other = if on_target { s } else { t };
        Ok(Some(OffsetSyncsConfig {
            topic: policy.offset_syncs_topic(other),
            cluster: cluster.to_string(),
            replication_factor,
            lag_max,
            client,
        }))
    }

    /// Checkpoints and group offset sync: `emit.checkpoints.*`, `refresh.groups.*`,
    /// `sync.group.offsets.*`, `checkpoints.topic.replication.factor`.
    pub(super) fn checkpoints(
        &self,
        conn: &Props,
        s: &str,
        policy: &ReplicationPolicy,
        groups: TopicFilter,
    ) -> Result<Option<CheckpointsConfig>, ConfigError> {
        let interval = self.schedule(
            conn,
            &keys::EMIT_CHECKPOINTS_ENABLED,
            &keys::EMIT_CHECKPOINTS_INTERVAL_SECONDS,
        )?;
        let refresh_groups = self.schedule(
            conn,
            &keys::REFRESH_GROUPS_ENABLED,
            &keys::REFRESH_GROUPS_INTERVAL_SECONDS,
        )?;
        let sync_group_offsets = self.schedule(
            conn,
            &keys::SYNC_GROUP_OFFSETS_ENABLED,
            &keys::SYNC_GROUP_OFFSETS_INTERVAL_SECONDS,
        )?;
        let replication_factor =
            self.int(conn, &keys::CHECKPOINTS_TOPIC_REPLICATION_FACTOR)? as i16;
        let Some(interval) = interval else {
            return Ok(None);
        };
        Ok(Some(CheckpointsConfig {
            topic: policy.checkpoints_topic(s),
            replication_factor,
            interval,
            groups,
            refresh_groups,
            sync_group_offsets,
        }))
    }

    /// `replication.policy.class` / `.separator` / `.internal.topic.separator.enabled`, read as
    /// `DefaultReplicationPolicy.configure` does (the internal-separator flag only counts when a
    /// separator is configured).
    pub(super) fn policy(&self, s: &str, conn: &Props) -> Result<ReplicationPolicy, ConfigError> {
        let internal_flag = self.boolean(
            conn,
            &keys::REPLICATION_POLICY_INTERNAL_TOPIC_SEPARATOR_ENABLED,
        )?;
        let (separator, internal_enabled) = match conn.get(keys::REPLICATION_POLICY_SEPARATOR.name)
        {
            None => (".".to_string(), true),
            Some(v) => {
                // MM2 passes the raw (untrimmed) value to the policy; it must be usable in topic names.
                if v.value.is_empty() || !v.value.chars().all(is_topic_char) {
                    return Err(self.invalid(
                        v,
                        keys::REPLICATION_POLICY_SEPARATOR.name,
                        "a non-empty separator made of characters legal in topic names (letters, digits, `.`, `_`, `-`), without blanks",
                    ));
                }
                (v.value.clone(), internal_flag)
            }
        };
        let class = conn
            .get(keys::REPLICATION_POLICY_CLASS.name)
            .map(|v| (v.value.trim(), Some(v)))
            .unwrap_or((DEFAULT_POLICY_CLASS, None));
        match class {
            (DEFAULT_POLICY_CLASS, _) => Ok(ReplicationPolicy::default_with(&separator, internal_enabled)),
            (IDENTITY_POLICY_CLASS, _) => Ok(ReplicationPolicy::identity_with(s, &separator, internal_enabled)),
            (_, Some(v)) => Err(self.invalid(
                v,
                keys::REPLICATION_POLICY_CLASS.name,
                &format!("one of MM2's built-in policies, `{DEFAULT_POLICY_CLASS}` or `{IDENTITY_POLICY_CLASS}` (custom policy classes cannot run in strait)"),
            )),
            (_, None) => Ok(ReplicationPolicy::default_with(&separator, internal_enabled)),
        }
    }

    /// Refuses a pluggable class strait does not implement (any but the row's default).
    pub(super) fn check_class(
        &self,
        conn: &Props,
        key: &Key,
        instead: &str,
    ) -> Result<(), ConfigError> {
        let KeyDefault::Value(only) = key.default else {
            return Ok(());
        };
        match conn.get(key.name) {
            Some(v) if v.value.trim() != only => Err(self.invalid(
                v,
                key.name,
                &format!("`{only}`, the only implementation strait has (custom classes cannot run in strait; express the selection with {instead})"),
            )),
            _ => Ok(()),
        }
    }

    /// A regex LIST key, with its deprecated alias resolved on the merged map (the new name wins when
    /// present anywhere), compiled; errors name the key, line and pattern item.
    pub(super) fn patterns(
        &self,
        conn: &Props,
        key: &Key,
        alias: Option<&Key>,
    ) -> Result<PatternList, ConfigError> {
        let setting = conn
            .get(key.name)
            .or_else(|| alias.and_then(|a| conn.get(a.name)));
        let default = match key.default {
            KeyDefault::Value(v) => v,
            _ => "",
        };
        let value = setting.map_or(default, |s| s.value.as_str());
        PatternList::parse(value).map_err(|e| match setting.and_then(|s| s.origin.as_ref()) {
            Some(origin) => self.at(origin, e.to_string()),
            None => self.in_file(format!("default of `{}`: {e}", key.name)),
        })
    }
}
