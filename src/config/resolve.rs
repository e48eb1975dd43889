//! Resolving raw `mm2.properties` entries into typed [`FlowConfig`]s with MM2's precedence.
//!
//! The maps are built the way MM2 builds them, step by step, so that precedence falls out of the same
//! layering instead of being re-derived per key (mm2-compat.md sections 1.3-1.6):
//! - `cluster_props(A)`: `A.<k>`, plus CLIENT_KEYS inherited into `producer.`/`consumer.`/`admin.`
//!   from `A.<k>` and then from top level;
//! - the connector map of `S->T`: top-level connector keys, `config.providers*`, `replication.policy*`,
//!   `cluster_props(S)` as `source.cluster.*`/`source.<client>.*`, the same for T, then every
//!   `S->T.<k>`;
//! - the MM2 clients (source consumer/admin, target admin) from the connector map;
//! - the worker map of `S->T` (`cluster_props(T)` + top-level worker prefixes) and from it the Connect
//!   worker producer that writes the replicated data, with `S->T.producer.override.*` on top.
//!
//! Differences from MM2, on purpose (each documented where it is done): values strait acts on are
//! validated at start-up with file/line/key errors, instead of failing a connector later; unknown
//! aliases and flows naming undefined clusters are errors; `S->T.enabled` must be `true` or `false`.

use indexmap::IndexMap;

use super::keys::{self, ClientKind, KeyClass, KeyScope};
use super::properties;
use super::*;
use crate::plan::replication_policy::{DEFAULT_POLICY_CLASS, IDENTITY_POLICY_CLASS};
use crate::plan::topic_filter::{
    parse_list, PatternList, DEFAULT_CONFIG_PROPERTIES_EXCLUDE, DEFAULT_GROUPS,
    DEFAULT_GROUPS_EXCLUDE, DEFAULT_TOPICS, DEFAULT_TOPICS_EXCLUDE,
};

pub mod heartbeats;
pub(super) use heartbeats::heartbeats_for;

/// Resolved key -> setting map (a Java `Map<String, String>` with origins).
type Props = BTreeMap<String, Setting>;

/// The only group filter class strait implements.
pub const DEFAULT_GROUP_FILTER_CLASS: &str = "org.apache.kafka.connect.mirror.DefaultGroupFilter";

/// The only topic filter class strait implements.
pub const DEFAULT_TOPIC_FILTER_CLASS: &str = "org.apache.kafka.connect.mirror.DefaultTopicFilter";
/// The only config property filter class strait implements.
pub const DEFAULT_CONFIG_PROPERTY_FILTER_CLASS: &str =
    "org.apache.kafka.connect.mirror.DefaultConfigPropertyFilter";
/// strait's default `offset.flush.interval.ms` (MM2/Connect: 60000). See [`OffsetStorage`].
pub const DEFAULT_FLUSH_INTERVAL_MS: i64 = 1000;

pub(super) fn load(path: &Path) -> Result<Mm2Config, ConfigError> {
    let entries = properties::read(path)?;
    load_entries(path, entries)
}

/// Resolves already-parsed entries (`path` is only used in messages).
pub(crate) fn load_entries(
    path: &Path,
    entries: Vec<properties::Entry>,
) -> Result<Mm2Config, ConfigError> {
    let mut raw: IndexMap<String, Setting> = IndexMap::new();
    for e in entries {
        let origin = Origin {
            file: path.to_path_buf(),
            line: e.line,
            key: e.key.clone(),
        };
        // Java Properties: the last value of a repeated key wins.
        raw.shift_remove(&e.key);
        raw.insert(
            e.key,
            Setting {
                value: e.value,
                origin: Some(origin),
            },
        );
    }
    super::providers::substitute(path, &mut raw)?;
    let ctx = Ctx { path, raw };
    let clusters = ctx.clusters()?;
    let ignored = ctx.classify_keys(&clusters)?;

    let mut flows = Vec::new();
    for s in &clusters {
        for t in &clusters {
            if s == t {
                continue;
            }
            let conn = ctx.connector_map(s, t);
            if let Some(enabled_by) = ctx.flow_enabled(s, t, &conn)? {
                flows.push(ctx.resolve_flow(s, t, conn, &enabled_by)?);
            }
        }
    }
    if flows.is_empty() {
        return Err(ctx.in_file(format!(
            "No source->target replication flows. Enable one with `<source>-><target>.enabled = true` (clusters = {}).",
            clusters.join(", ")
        )));
    }
    // After the flows, so that a flow's own error is the one reported.
    let heartbeats = ctx.all_heartbeats(&clusters)?;
    Ok(Mm2Config {
        path: path.to_path_buf(),
        clusters,
        flows,
        heartbeats,
        ignored,
    })
}

pub(super) fn flows_for(c: &Mm2Config, targets: &[String]) -> Result<Vec<FlowConfig>, ConfigError> {
    for t in targets {
        if !c.clusters.contains(t) {
            return Err(ConfigError::InFile {
                path: c.path.clone(),
                message: format!(
                    "--clusters names `{t}`, which is not in `clusters` (clusters = {})",
                    c.clusters.join(", ")
                ),
            });
        }
    }
    let flows: Vec<FlowConfig> = c
        .flows
        .iter()
        .filter(|f| targets.is_empty() || targets.contains(&f.target))
        .cloned()
        .collect();
    if flows.is_empty() {
        let enabled: Vec<String> = c.flows.iter().map(FlowConfig::label).collect();
        return Err(ConfigError::InFile {
            path: c.path.clone(),
            message: format!(
                "No source->target replication flows for target cluster(s) {} (enabled flows: {}).",
                targets.join(", "),
                enabled.join(", ")
            ),
        });
    }
    Ok(flows)
}

/// Java `Boolean.parseBoolean` after trimming: `true` in any case is true, anything else false.
fn parse_boolean_lenient(value: &str) -> bool {
    value.trim().eq_ignore_ascii_case("true")
}

/// Kafka `ConfigDef` BOOLEAN: trimmed `true`/`false` in any case, anything else is invalid.
fn parse_boolean_strict(value: &str) -> Option<bool> {
    let v = value.trim();
    if v.eq_ignore_ascii_case("true") {
        Some(true)
    } else if v.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Characters Kafka allows in topic names.
fn is_topic_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-'
}

/// Everything resolution needs: the file (for messages) and its entries.
struct Ctx<'a> {
    path: &'a Path,
    raw: IndexMap<String, Setting>,
}

impl Ctx<'_> {
    fn in_file(&self, message: String) -> ConfigError {
        ConfigError::InFile {
            path: self.path.to_path_buf(),
            message,
        }
    }

    fn at(&self, origin: &Origin, message: String) -> ConfigError {
        ConfigError::AtLine {
            path: self.path.to_path_buf(),
            line: origin.line,
            key: origin.key.clone(),
            message,
        }
    }

    /// An error about the value of `setting`, hiding it when the key looks secret.
    fn invalid(&self, setting: &Setting, what: &str, expected: &str) -> ConfigError {
        let Some(origin) = &setting.origin else {
            return self.in_file(format!(
                "internal default for `{what}` is invalid: expected {expected}"
            ));
        };
        let shown = if keys::looks_secret(&origin.key) {
            "(hidden: the key looks secret)".to_string()
        } else {
            format!("`{}`", setting.value)
        };
        let hint = if setting.value.contains("${") {
            "; a `${provider:...}` placeholder is only resolved when its provider is declared in `config.providers`"
        } else {
            ""
        };
        let what = if origin.key.ends_with(what) {
            String::new()
        } else {
            format!(" for `{what}`")
        };
        self.at(
            origin,
            format!("invalid value {shown}{what}: expected {expected}{hint}"),
        )
    }

    /// `clusters`: required, a non-empty LIST of non-empty aliases (duplicates collapse, as MM2 uses
    /// a set).
    fn clusters(&self) -> Result<Vec<String>, ConfigError> {
        let Some(setting) = self.raw.get("clusters") else {
            return Err(self.in_file(
                "missing required key `clusters`: expected the list of cluster aliases, e.g. `clusters = primary, secondary`".to_string(),
            ));
        };
        let items = parse_list(&setting.value);
        if items.is_empty() {
            return Err(self.invalid(
                setting,
                "clusters",
                "a comma-separated list of cluster aliases, e.g. `primary, secondary`",
            ));
        }
        let mut out: Vec<String> = Vec::new();
        for item in items {
            if item.is_empty() || item.contains("->") || item.chars().any(char::is_whitespace) {
                return Err(self.invalid(
                    setting,
                    "clusters",
                    "non-empty cluster aliases without `->` or blanks, separated by commas",
                ));
            }
            if !out.contains(&item) {
                out.push(item);
            }
        }
        Ok(out)
    }

    /// Checks every key against the catalogue: unknown aliases and flows naming undefined clusters
    /// are errors; keys without effect are returned (in file order) for the start-up log line.
    fn classify_keys(&self, clusters: &[String]) -> Result<Vec<Origin>, ConfigError> {
        let mut settings: Vec<&Setting> = self.raw.values().collect();
        settings.sort_by_key(|s| s.origin.as_ref().map_or(0, |o| o.line));
        let mut ignored = Vec::new();
        let known = clusters.join(", ");
        for setting in settings {
            let Some(origin) = &setting.origin else {
                continue;
            };
            let scope = keys::locate(&origin.key, clusters);
            match &scope {
                KeyScope::UndefinedFlow { source, target } => {
                    let missing: Vec<String> = [source, target]
                        .iter()
                        .filter(|a| !clusters.iter().any(|c| c == **a))
                        .map(|a| format!("`{a}`"))
                        .collect();
                    if !missing.is_empty() {
                        return Err(self.at(
                            origin,
                            format!(
                                "flow `{source}->{target}` names undefined cluster {}; clusters = {known}",
                                missing.join(" and ")
                            ),
                        ));
                    }
                    ignored.push(origin.clone());
                }
                KeyScope::UnknownAlias { alias } => {
                    return Err(self.at(
                        origin,
                        format!("unknown cluster alias `{alias}`; clusters = {known}"),
                    ));
                }
                _ => {
                    if let KeyClass::Ignored(_) = keys::classify(&scope) {
                        ignored.push(origin.clone());
                    }
                }
            }
        }
        Ok(ignored)
    }

    /// Raw keys starting with `prefix`, prefix stripped.
    fn raw_with_prefix_stripped(&self, prefix: &str) -> Props {
        self.raw
            .iter()
            .filter_map(|(k, v)| k.strip_prefix(prefix).map(|r| (r.to_string(), v.clone())))
            .collect()
    }

    /// `MirrorMakerConfig.clusterProps(alias)` (section 1.5).
    fn cluster_props(&self, alias: &str) -> Props {
        let mut props = self.raw_with_prefix_stripped(&format!("{alias}."));
        for k in keys::CLIENT_KEYS {
            if let Some(v) = props.get(*k).cloned() {
                for kind in ["producer", "consumer", "admin"] {
                    props
                        .entry(format!("{kind}.{k}"))
                        .or_insert_with(|| v.clone());
                }
            }
        }
        for k in keys::CLIENT_KEYS {
            if let Some(v) = self.raw.get(*k) {
                for kind in ["producer", "consumer", "admin"] {
                    props
                        .entry(format!("{kind}.{k}"))
                        .or_insert_with(|| v.clone());
                }
                props.entry((*k).to_string()).or_insert_with(|| v.clone());
            }
        }
        props
    }

    /// `MirrorMakerConfig.connectorBaseConfig(S->T, MirrorSourceConnector)` (section 1.4).
    fn connector_map(&self, s: &str, t: &str) -> Props {
        let mut m = Props::new();
        for (k, v) in &self.raw {
            if keys::is_connector_key(k)
                || keys::is_config_provider_key(k)
                || k.starts_with("replication.policy")
            {
                m.insert(k.clone(), v.clone());
            }
        }
        for (side, alias) in [("source", s), ("target", t)] {
            for (k, v) in self.cluster_props(alias) {
                let is_client = ["consumer", "producer", "admin"]
                    .iter()
                    .any(|p| k.starts_with(p));
                let key = if is_client {
                    format!("{side}.{k}")
                } else {
                    format!("{side}.cluster.{k}")
                };
                m.insert(key, v);
            }
        }
        let default = |v: &str| Setting {
            value: v.to_string(),
            origin: None,
        };
        m.entry("name".into())
            .or_insert_with(|| default(SOURCE_CONNECTOR));
        m.entry("connector.class".into())
            .or_insert_with(|| default("org.apache.kafka.connect.mirror.MirrorSourceConnector"));
        m.entry("source.cluster.alias".into())
            .or_insert_with(|| default(s));
        m.entry("target.cluster.alias".into())
            .or_insert_with(|| default(t));
        m.extend(self.raw_with_prefix_stripped(&format!("{s}->{t}.")));
        m.entry("enabled".into())
            .or_insert_with(|| default("false"));
        m
    }

    /// `MirrorMakerConfig.workerConfig(S->T)` (section 1.3), the parts strait needs.
    fn worker_map(&self, s: &str, t: &str) -> Props {
        let mut w = self.cluster_props(t);
        for (k, v) in &self.raw {
            if keys::WORKER_PREFIXES.iter().any(|p| k.starts_with(p))
                || keys::is_config_provider_key(k)
            {
                w.insert(k.clone(), v.clone());
            }
        }
        let defaults = [
            ("client.id", format!("{s}->{t}")),
            ("group.id", format!("{s}-mm2")),
            ("offset.storage.topic", format!("mm2-offsets.{s}.internal")),
            ("status.storage.topic", format!("mm2-status.{s}.internal")),
            ("config.storage.topic", format!("mm2-configs.{s}.internal")),
        ];
        for (k, v) in defaults {
            w.entry(k.to_string()).or_insert(Setting {
                value: v,
                origin: None,
            });
        }
        w
    }

    /// Whether MM2 would replicate `S->T`: a herder exists (`S->T.enabled` true, or heartbeats on for
    /// the pair, section 1.2) and the connector's merged `enabled` is true (`S->T.enabled`, else a
    /// top-level `enabled`). Returns the origin of the deciding `enabled` key.
    ///
    /// Difference from MM2: a value other than `true`/`false` (any case, trimmed) is an error here;
    /// MM2 would fail the connector's config validation at run time instead.
    fn flow_enabled(&self, s: &str, t: &str, conn: &Props) -> Result<Option<Origin>, ConfigError> {
        if !self.herder_exists(s, t) {
            return Ok(None);
        }
        let Some(setting) = conn.get("enabled") else {
            return Ok(None);
        };
        match parse_boolean_strict(&setting.value) {
            Some(true) => Ok(setting.origin.clone()),
            Some(false) => Ok(None),
            None => Err(self.invalid(setting, "enabled", "`true` or `false`")),
        }
    }

    fn resolve_flow(
        &self,
        s: &str,
        t: &str,
        conn: Props,
        enabled_by: &Origin,
    ) -> Result<FlowConfig, ConfigError> {
        let flow = format!("{s}->{t}");
        let policy = self.policy(s, &conn)?;
        self.check_class(
            &conn,
            "topic.filter.class",
            DEFAULT_TOPIC_FILTER_CLASS,
            "topics / topics.exclude",
        )?;
        self.check_class(
            &conn,
            "config.property.filter.class",
            DEFAULT_CONFIG_PROPERTY_FILTER_CLASS,
            "config.properties.exclude",
        )?;
        let topics = TopicFilter {
            include: self.patterns(&conn, "topics", None, DEFAULT_TOPICS)?,
            exclude: self.patterns(
                &conn,
                "topics.exclude",
                Some("topics.blacklist"),
                DEFAULT_TOPICS_EXCLUDE,
            )?,
        };
        self.check_class(
            &conn,
            "group.filter.class",
            DEFAULT_GROUP_FILTER_CLASS,
            "groups / groups.exclude",
        )?;
        let groups = TopicFilter {
            include: self.patterns(&conn, "groups", None, DEFAULT_GROUPS)?,
            exclude: self.patterns(
                &conn,
                "groups.exclude",
                Some("groups.blacklist"),
                DEFAULT_GROUPS_EXCLUDE,
            )?,
        };
        let config_properties_exclude = TopicFilter::exclude_only(self.patterns(
            &conn,
            "config.properties.exclude",
            Some("config.properties.blacklist"),
            DEFAULT_CONFIG_PROPERTIES_EXCLUDE,
        )?);

        let replication_factor = self.int(
            conn.get("replication.factor"),
            "replication.factor",
            2,
            Range::ReplicationFactor,
        )? as i16;
        let tasks_max = self.int(conn.get("tasks.max"), "tasks.max", 1, Range::Positive)? as usize;
        let refresh_topics = self.schedule(&conn, "refresh.topics", true, 600)?;

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
        let produce = self.produce(&clients.target_producer)?;
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
            offset_storage,
            offset_syncs,
            checkpoints,
            warnings,
            clients,
            connector_config: conn,
        })
    }

    /// A periodic job as MM2 schedules it: `<name>.enabled` and `<name>.interval.seconds`; None when
    /// disabled or the interval is negative (MM2 simply does not schedule it), an error for 0.
    fn schedule(
        &self,
        conn: &Props,
        name: &str,
        enabled_default: bool,
        seconds_default: i64,
    ) -> Result<Option<Duration>, ConfigError> {
        let enabled_key = format!("{name}.enabled");
        let seconds_key = format!("{name}.interval.seconds");
        let enabled = self.boolean(conn.get(&enabled_key), &enabled_key, enabled_default)?;
        let seconds = self.int(
            conn.get(&seconds_key),
            &seconds_key,
            seconds_default,
            Range::Any,
        )?;
        if !enabled || seconds < 0 {
            return Ok(None);
        }
        if seconds == 0 {
            return Err(match conn.get(&seconds_key) {
                Some(setting) => self.invalid(
                    setting,
                    &seconds_key,
                    &format!("a number of seconds > 0 (MM2 cannot schedule a zero interval), or `{enabled_key} = false`"),
                ),
                None => self.in_file(format!("{seconds_key} is 0")),
            });
        }
        Ok(Some(Duration::from_secs(seconds as u64)))
    }

    /// Offset-syncs (section 5): `emit.offset-syncs.enabled`, `offset-syncs.topic.location`,
    /// `offset-syncs.topic.replication.factor`, `offset.lag.max`.
    fn offset_syncs(
        &self,
        conn: &Props,
        flow: &str,
        s: &str,
        t: &str,
        policy: &ReplicationPolicy,
        enabled_by: &Origin,
    ) -> Result<Option<OffsetSyncsConfig>, ConfigError> {
        let enabled = self.boolean(
            conn.get("emit.offset-syncs.enabled"),
            "emit.offset-syncs.enabled",
            true,
        )?;
        let on_target = match conn.get("offset-syncs.topic.location") {
            None => false,
            Some(v) => match v.value.trim().to_ascii_lowercase().as_str() {
                "source" => false,
                "target" => true,
                _ => {
                    return Err(self.invalid(
                        v,
                        "offset-syncs.topic.location",
                        "`source` or `target`",
                    ))
                }
            },
        };
        let replication_factor = self.int(
            conn.get("offset-syncs.topic.replication.factor"),
            "offset-syncs.topic.replication.factor",
            3,
            Range::ReplicationFactor,
        )? as i16;
        let lag_max = self.int(
            conn.get("offset.lag.max"),
            "offset.lag.max",
            100,
            Range::Long,
        )?;
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

    /// Checkpoints and group offset sync (section 6): `emit.checkpoints.*`, `refresh.groups.*`,
    /// `sync.group.offsets.*`, `checkpoints.topic.replication.factor`.
    fn checkpoints(
        &self,
        conn: &Props,
        s: &str,
        policy: &ReplicationPolicy,
        groups: TopicFilter,
    ) -> Result<Option<CheckpointsConfig>, ConfigError> {
        let interval = self.schedule(conn, "emit.checkpoints", true, 60)?;
        let refresh_groups = self.schedule(conn, "refresh.groups", true, 600)?;
        let sync_group_offsets = self.schedule(conn, "sync.group.offsets", false, 60)?;
        let replication_factor = self.int(
            conn.get("checkpoints.topic.replication.factor"),
            "checkpoints.topic.replication.factor",
            3,
            Range::ReplicationFactor,
        )? as i16;
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
    fn policy(&self, s: &str, conn: &Props) -> Result<ReplicationPolicy, ConfigError> {
        let internal_flag = match conn.get("replication.policy.internal.topic.separator.enabled") {
            Some(v) => match parse_boolean_strict(&v.value) {
                Some(b) => b,
                None => {
                    return Err(self.invalid(
                        v,
                        "replication.policy.internal.topic.separator.enabled",
                        "`true` or `false`",
                    ))
                }
            },
            None => true,
        };
        let (separator, internal_enabled) = match conn.get("replication.policy.separator") {
            None => (".".to_string(), true),
            Some(v) => {
                // MM2 passes the raw (untrimmed) value to the policy; it must be usable in topic names.
                if v.value.is_empty() || !v.value.chars().all(is_topic_char) {
                    return Err(self.invalid(
                        v,
                        "replication.policy.separator",
                        "a non-empty separator made of characters legal in topic names (letters, digits, `.`, `_`, `-`), without blanks",
                    ));
                }
                (v.value.clone(), internal_flag)
            }
        };
        let class = conn
            .get("replication.policy.class")
            .map(|v| (v.value.trim(), Some(v)))
            .unwrap_or((DEFAULT_POLICY_CLASS, None));
        match class {
            (DEFAULT_POLICY_CLASS, _) => Ok(ReplicationPolicy::default_with(&separator, internal_enabled)),
            (IDENTITY_POLICY_CLASS, _) => Ok(ReplicationPolicy::identity_with(s, &separator, internal_enabled)),
            (_, Some(v)) => Err(self.invalid(
                v,
                "replication.policy.class",
                &format!("one of MM2's built-in policies, `{DEFAULT_POLICY_CLASS}` or `{IDENTITY_POLICY_CLASS}` (custom policy classes cannot run in strait)"),
            )),
            (_, None) => Ok(ReplicationPolicy::default_with(&separator, internal_enabled)),
        }
    }

    /// Refuses a pluggable class strait does not implement.
    fn check_class(
        &self,
        conn: &Props,
        key: &str,
        only: &str,
        instead: &str,
    ) -> Result<(), ConfigError> {
        match conn.get(key) {
            Some(v) if v.value.trim() != only => Err(self.invalid(
                v,
                key,
                &format!("`{only}`, the only implementation strait has (custom classes cannot run in strait; express the selection with {instead})"),
            )),
            _ => Ok(()),
        }
    }

    /// A regex LIST key, with its deprecated alias resolved on the merged map (the new name wins when
    /// present anywhere, section 1.8), compiled; errors name the key, line and pattern item.
    fn patterns(
        &self,
        conn: &Props,
        key: &str,
        alias: Option<&str>,
        default: &str,
    ) -> Result<PatternList, ConfigError> {
        let setting = conn.get(key).or_else(|| alias.and_then(|a| conn.get(a)));
        let value = setting.map_or(default, |s| s.value.as_str());
        PatternList::parse(value).map_err(|e| match setting.and_then(|s| s.origin.as_ref()) {
            Some(origin) => self.at(origin, e.to_string()),
            None => self.in_file(format!("default of `{key}`: {e}")),
        })
    }

    /// An MM2 client of the connector (section 1.6): `filter(X.cluster.*, CLIENT_KEYS)`, then
    /// `K.*`, then `X.K.*`; consumers get `enable.auto.commit=false` and `auto.offset.reset=earliest`
    /// when absent; `client.id` becomes `[user|]S->T|MirrorSourceConnector|role`.
    fn mm2_client(
        &self,
        conn: &Props,
        flow: &str,
        cluster: &str,
        side: &str,
        kind: ClientKind,
        role: &str,
    ) -> ClientConfig {
        let mut props = Props::new();
        let cluster_prefix = format!("{side}.cluster.");
        for (k, v) in conn {
            if let Some(rest) = k.strip_prefix(&cluster_prefix) {
                if keys::is_client_key(rest) {
                    props.insert(rest.to_string(), v.clone());
                }
            }
        }
        for prefix in [
            format!("{}.", kind.prefix()),
            format!("{side}.{}.", kind.prefix()),
        ] {
            for (k, v) in conn {
                if let Some(rest) = k.strip_prefix(&prefix) {
                    props.insert(rest.to_string(), v.clone());
                }
            }
        }
        if kind == ClientKind::Consumer {
            props.insert(
                "enable.auto.commit".into(),
                Setting {
                    value: "false".into(),
                    origin: None,
                },
            );
            props.entry("auto.offset.reset".into()).or_insert(Setting {
                value: "earliest".into(),
                origin: None,
            });
        }
        let label = format!("{flow}|{SOURCE_CONNECTOR}|{role}");
        let client_id = match props.get("client.id") {
            Some(user) => Setting {
                value: format!("{}|{label}", user.value.trim()),
                origin: user.origin.clone(),
            },
            None => Setting {
                value: label,
                origin: None,
            },
        };
        props.insert("client.id".into(), client_id);
        ClientConfig {
            cluster: cluster.to_string(),
            props,
        }
    }

    /// The Connect worker's task producer on T, which writes the replicated records (sections 1.6 and
    /// 4.2): worker `bootstrap.servers`, Connect defaults (`acks=all`, client id
    /// `connector-producer-MirrorSourceConnector`; Connect appends `-<task>`), then the worker's
    /// `producer.*` (`T.producer.*` and inherited CLIENT_KEYS), then `S->T.producer.override.*`.
    fn worker_producer(&self, conn: &Props, s: &str, t: &str) -> ClientConfig {
        let worker = self.worker_map(s, t);
        let mut props = Props::new();
        if let Some(bs) = worker.get("bootstrap.servers") {
            props.insert("bootstrap.servers".into(), bs.clone());
        }
        for (k, v) in [
            ("acks", "all".to_string()),
            (
                "client.id",
                format!("connector-producer-{SOURCE_CONNECTOR}"),
            ),
        ] {
            props.insert(
                k.into(),
                Setting {
                    value: v,
                    origin: None,
                },
            );
        }
        for (map, prefix) in [(&worker, "producer."), (conn, "producer.override.")] {
            for (k, v) in map {
                if let Some(rest) = k.strip_prefix(prefix) {
                    props.insert(rest.to_string(), v.clone());
                }
            }
        }
        ClientConfig {
            cluster: t.to_string(),
            props,
        }
    }

    /// Connection settings of one client role; a missing `bootstrap.servers` is reported at the key
    /// that enabled the flow.
    fn connection(
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
    fn bootstrap(&self, setting: &Setting) -> Result<Vec<String>, ConfigError> {
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
    fn security_protocol(&self, client: &ClientConfig) -> Result<(), ConfigError> {
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
    fn fetch(&self, consumer: &ClientConfig) -> Result<FetchSettings, ConfigError> {
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
    fn produce(&self, producer: &ClientConfig) -> Result<ProduceSettings, ConfigError> {
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
    fn offset_storage(&self, s: &str, t: &str) -> Result<OffsetStorage, ConfigError> {
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

    /// A Kafka INT/LONG/SHORT value (trimmed, as `ConfigDef` does) within `range`.
    fn int(
        &self,
        setting: Option<&Setting>,
        what: &str,
        default: i64,
        range: Range,
    ) -> Result<i64, ConfigError> {
        let Some(s) = setting else {
            return Ok(default);
        };
        match s.value.trim().parse::<i64>() {
            Ok(v) if range.contains(v) => Ok(v),
            _ => Err(self.invalid(s, what, range.expected())),
        }
    }

    /// A duration given in milliseconds.
    fn millis(
        &self,
        setting: Option<&Setting>,
        what: &str,
        default: i64,
        range: Range,
    ) -> Result<Duration, ConfigError> {
        let v = self.int(setting, what, default, range)?;
        Ok(Duration::from_millis(u64::try_from(v).unwrap_or(0)))
    }

    /// A Kafka BOOLEAN (strict, trimmed, any case).
    fn boolean(
        &self,
        setting: Option<&Setting>,
        what: &str,
        default: bool,
    ) -> Result<bool, ConfigError> {
        match setting {
            None => Ok(default),
            Some(s) => parse_boolean_strict(&s.value)
                .ok_or_else(|| self.invalid(s, what, "`true` or `false`")),
        }
    }
}

/// Accepted ranges of integer settings, with the wording used in errors.
#[derive(Debug, Clone, Copy)]
enum Range {
    /// Kafka INT `atLeast(0)`.
    Int,
    /// Kafka LONG `atLeast(0)`.
    Long,
    /// LONG >= 1.
    PositiveLong,
    /// INT >= 1.
    Positive,
    /// Any LONG (negative has a meaning).
    Any,
    /// -1 (broker default) or 1..=32767.
    ReplicationFactor,
    /// -1 (broker default) or 1..=i32::MAX.
    PartitionCount,
}

impl Range {
    fn contains(self, v: i64) -> bool {
        match self {
            Range::Int => (0..=i64::from(i32::MAX)).contains(&v),
            Range::Long => v >= 0,
            Range::PositiveLong => v >= 1,
            Range::Positive => (1..=i64::from(i32::MAX)).contains(&v),
            Range::Any => true,
            Range::ReplicationFactor => v == -1 || (1..=i64::from(i16::MAX)).contains(&v),
            Range::PartitionCount => v == -1 || (1..=i64::from(i32::MAX)).contains(&v),
        }
    }

    fn expected(self) -> &'static str {
        match self {
            Range::Int => "an integer from 0 to 2147483647",
            Range::Long => "an integer >= 0",
            Range::PositiveLong => "an integer >= 1",
            Range::Positive => "an integer from 1 to 2147483647",
            Range::Any => "an integer",
            Range::ReplicationFactor => "-1 (broker default) or an integer from 1 to 32767",
            Range::PartitionCount => "-1 (broker default) or an integer >= 1",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
clusters = primary, secondary
primary.bootstrap.servers = localhost:9092
secondary.bootstrap.servers = localhost:9093
primary->secondary.enabled = true
secondary->primary.enabled = false
replication.factor = 3
primary->secondary.topics = .*
primary->secondary.topics.blacklist = __.*,.*-internal,connect-.*
tasks.max = 4
refresh.topics.enabled = true
refresh.topics.interval.seconds = 300
primary.consumer.max.poll.records = 10000
primary.consumer.fetch.min.bytes = 1024
primary.consumer.fetch.max.wait.ms = 500
secondary.producer.batch.size = 65536
secondary.producer.linger.ms = 5
";

    /// Writes `text` to `<tmp>/mm2.properties` and loads it.
    fn load_text(text: &str) -> (tempfile::TempDir, Result<Mm2Config, ConfigError>) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("mm2.properties");
        std::fs::write(&path, text).expect("write");
        let result = Mm2Config::load(&path);
        (dir, result)
    }

    fn ok(text: &str) -> Mm2Config {
        let (_dir, r) = load_text(text);
        match r {
            Ok(c) => c,
            Err(e) => panic!("unexpected error: {e}"),
        }
    }

    /// Asserts an error tied to `line` and `key`, and that its message names the file, line and key
    /// and contains `needle`.
    fn err_at(text: &str, line: usize, key: &str, needle: &str) -> String {
        let (_dir, r) = load_text(text);
        let e = r.expect_err("expected an error");
        let msg = e.to_string();
        match &e {
            ConfigError::AtLine {
                line: l, key: k, ..
            } => {
                assert_eq!((*l, k.as_str()), (line, key), "{msg}");
            }
            other => panic!("expected AtLine, got {other:?}"),
        }
        assert!(msg.contains(&format!("mm2.properties:{line}:")), "{msg}");
        assert!(msg.contains(key), "{msg}");
        assert!(msg.contains(needle), "missing `{needle}` in: {msg}");
        msg
    }

    fn err_in_file(text: &str, needle: &str) -> String {
        let (_dir, r) = load_text(text);
        let e = r.expect_err("expected an error");
        let msg = e.to_string();
        assert!(matches!(e, ConfigError::InFile { .. }), "{e:?}");
        assert!(msg.contains("mm2.properties: "), "{msg}");
        assert!(msg.contains(needle), "missing `{needle}` in: {msg}");
        msg
    }

    fn setting<'a>(c: &'a ClientConfig, key: &str) -> &'a str {
        c.props
            .get(key)
            .map(|s| s.value.as_str())
            .unwrap_or("<absent>")
    }

    const BASE: &str = "clusters = a, b\na.bootstrap.servers = a:9092\nb.bootstrap.servers = b:9092\na->b.enabled = true\n";

    /// `buffer.memory` of the worker producer sets the task byte budget, with the producer's
    /// precedence (`T.producer.*`, then `S->T.producer.override.*`); unset, the budget is 8 MiB.
    #[test]
    fn buffer_memory_sets_the_task_budget() {
        assert_eq!(
            ok(BASE).flows.remove(0).produce.task_budget,
            DEFAULT_TASK_BUDGET
        );
        let f = ok(&format!("{BASE}b.producer.buffer.memory = 67108864\n"))
            .flows
            .remove(0);
        assert_eq!(f.produce.task_budget, 64 << 20);
        let c = ok(&format!(
            "{BASE}b.producer.buffer.memory = 67108864\na->b.producer.override.buffer.memory = 1048576\n"
        ));
        assert_eq!(c.flows[0].produce.task_budget, 1 << 20);
        // Understood, not listed as ignored.
        assert!(c.ignored.is_empty(), "{:?}", c.ignored);
        err_at(
            &format!("{BASE}b.producer.buffer.memory = -1\n"),
            5,
            "b.producer.buffer.memory",
            ">= 0",
        );
    }

    #[test]
    fn offset_syncs_and_checkpoints_resolve_as_mm2() {
        let f = ok(BASE).flows.remove(0);
        let o = f.offset_syncs.expect("on by default");
        assert_eq!(
            (
                o.topic.as_str(),
                o.cluster.as_str(),
                o.replication_factor,
                o.lag_max
            ),
            ("mm2-offset-syncs.b.internal", "a", 3, 100)
        );
        assert_eq!(o.client.bootstrap, ["a:9092"]);
        let c = f.checkpoints.expect("on by default");
        assert_eq!(c.topic, "a.checkpoints.internal");
        assert_eq!(c.interval, Duration::from_secs(60));
        assert_eq!(c.refresh_groups, Some(Duration::from_secs(600)));
        assert_eq!(c.sync_group_offsets, None);
        assert!(c.groups.matches("orders-app"));
        assert!(!c.groups.matches("console-consumer-1") && !c.groups.matches("connect-x"));

        let f = ok(&format!(
            "{BASE}a->b.offset-syncs.topic.location = target\noffset.lag.max = 0\n\
             a->b.emit.checkpoints.interval.seconds = 5\na->b.sync.group.offsets.enabled = true\n\
             checkpoints.topic.retention.ms = 1000\ngroups = payment-service,order-service\n\
             groups.blacklist = test-.*\nreplication.policy.separator = _\n"
        ))
        .flows
        .remove(0);
        let o = f.offset_syncs.unwrap();
        assert_eq!(
            (o.topic.as_str(), o.cluster.as_str(), o.lag_max),
            ("mm2-offset-syncs_a_internal", "b", 0)
        );
        assert_eq!(o.client.bootstrap, ["b:9092"]);
        let c = f.checkpoints.unwrap();
        assert_eq!(c.topic, "a_checkpoints_internal");
        assert_eq!(c.interval, Duration::from_secs(5));
        assert_eq!(c.sync_group_offsets, Some(Duration::from_secs(60)));
        assert!(c.groups.matches("order-service") && !c.groups.matches("other"));

        let f = ok(&format!("{BASE}emit.offset-syncs.enabled = false\n"))
            .flows
            .remove(0);
        assert!(f.offset_syncs.is_none() && f.checkpoints.is_none());
        assert_eq!(f.warnings.len(), 1);

        err_at(
            &format!("{BASE}offset-syncs.topic.location = elsewhere\n"),
            5,
            "offset-syncs.topic.location",
            "`source` or `target`",
        );
        err_at(
            &format!("{BASE}emit.checkpoints.interval.seconds = 0\n"),
            5,
            "emit.checkpoints.interval.seconds",
            "> 0",
        );
    }

    #[test]
    fn sample_file_resolves() {
        let c = ok(SAMPLE);
        assert_eq!(c.clusters, ["primary", "secondary"]);
        assert_eq!(c.flows.len(), 1, "secondary->primary is not enabled");
        let f = &c.flows[0];
        assert_eq!(f.label(), "primary->secondary");
        assert_eq!(f.tasks_max, 4);
        assert_eq!(f.replication_factor, 3);
        assert_eq!(f.topics.include.items(), [".*"]);
        assert_eq!(
            f.topics.exclude.items(),
            ["__.*", ".*-internal", "connect-.*"],
            "from the blacklist alias"
        );
        assert!(f.should_replicate_topic("orders"));
        assert!(!f.should_replicate_topic("connect-offsets"));
        assert!(!f.should_replicate_topic("secondary.orders"), "cycle");
        assert_eq!(f.remote_topic("orders"), "primary.orders");
        assert_eq!(f.refresh_topics, Some(Duration::from_secs(300)));
        assert_eq!(f.fetch.min_bytes, 1024);
        assert_eq!(f.fetch.max_wait_ms, 500);
        assert_eq!(f.fetch.max_bytes, 52_428_800);
        assert_eq!(f.fetch.partition_max_bytes, 1_048_576);
        assert!(!f.fetch.read_committed);
        assert_eq!(f.fetch.start_at, StartAt::Earliest);
        assert_eq!(f.fetch.request_timeout, Duration::from_secs(30));
        // linger.ms is used; batch.size and max.poll.records are accepted but ignored.
        assert_eq!(f.produce.linger, Duration::from_millis(5));
        assert_eq!(f.produce.acks, -1);
        assert_eq!(f.produce.max_request_size, 1_048_576);
        assert_eq!(f.produce.task_budget, DEFAULT_TASK_BUDGET);
        let ignored: Vec<(&str, usize)> =
            c.ignored.iter().map(|o| (o.key.as_str(), o.line)).collect();
        assert_eq!(
            ignored,
            [
                ("primary.consumer.max.poll.records", 12),
                ("secondary.producer.batch.size", 15)
            ]
        );
        let summary = c.ignored_summary().expect("summary");
        assert!(
            summary.contains("secondary.producer.batch.size (line 15: strait forwards"),
            "{summary}"
        );
        assert!(
            !summary.contains("65536"),
            "values are not logged: {summary}"
        );
        assert_eq!(f.source_consumer.bootstrap, ["localhost:9092"]);
        assert_eq!(f.target_producer.bootstrap, ["localhost:9093"]);
        assert_eq!(
            f.source_consumer.client_id,
            "primary->secondary|MirrorSourceConnector|replication-consumer"
        );
        assert_eq!(
            f.source_admin.client_id,
            "primary->secondary|MirrorSourceConnector|replication-source-admin"
        );
        assert_eq!(
            f.target_admin.client_id,
            "primary->secondary|MirrorSourceConnector|replication-target-admin"
        );
        assert_eq!(
            f.target_producer.client_id,
            "connector-producer-MirrorSourceConnector"
        );
        assert_eq!(
            f.source_consumer.reconnect_backoff,
            Duration::from_millis(50)
        );
        assert_eq!(
            f.source_consumer.reconnect_backoff_max,
            Duration::from_millis(1000)
        );
        assert_eq!(f.source_consumer.retry_backoff, Duration::from_millis(100));
        assert_eq!(
            f.source_consumer.retry_backoff_max,
            Duration::from_millis(1000)
        );
        assert_eq!(
            f.offset_storage,
            OffsetStorage {
                topic: "mm2-offsets.primary.internal".into(),
                partitions: 25,
                replication_factor: 3,
                flush_interval: Duration::from_millis(1000),
            }
        );
        assert_eq!(f.policy, ReplicationPolicy::default());
        assert!(!f.config_properties_exclude.matches("min.insync.replicas"));
        assert!(f.config_properties_exclude.matches("retention.ms"));
        assert_eq!(
            setting(&f.clients.source_consumer, "enable.auto.commit"),
            "false"
        );
        // The fetch.min.bytes setting remembers its line.
        let origin = f.clients.source_consumer.props["fetch.min.bytes"]
            .origin
            .as_ref()
            .expect("origin");
        assert_eq!(
            (origin.line, origin.key.as_str()),
            (13, "primary.consumer.fetch.min.bytes")
        );
        // The connector config keeps the alias as written (MM2 stores it untranslated).
        assert_eq!(
            f.connector_config["topics.blacklist"].value,
            "__.*,.*-internal,connect-.*"
        );
        assert_eq!(f.connector_config["source.cluster.alias"].value, "primary");
        assert_eq!(c.flows_for(&[]).expect("flows").len(), 1);
        assert_eq!(c.flows_for(&["secondary".into()]).expect("flows").len(), 1);
    }

    #[test]
    fn mm2_defaults() {
        let c = ok(BASE);
        let f = &c.flows[0];
        assert_eq!(f.tasks_max, 1);
        assert_eq!(f.replication_factor, 2);
        assert_eq!(f.refresh_topics, Some(Duration::from_secs(600)));
        assert_eq!(f.topics.include.items(), [".*"]);
        assert_eq!(
            f.topics.exclude.items(),
            [r".*[\-\.]internal", r".*\.replica", "__.*"]
        );
        assert_eq!(f.produce.linger, Duration::ZERO);
        assert_eq!(f.produce.request_timeout, Duration::from_secs(30));
        assert!(c.ignored.is_empty());
        assert!(c.ignored_summary().is_none());
    }

    /// Test vector 10: `a.security.protocol=PLAINTEXT` + top-level `SSL` + `a.producer.security.protocol=SSL`
    /// -> a's admin gets PLAINTEXT, a's producer SSL; b inherits the top-level SSL.
    #[test]
    fn vector_10_precedence_of_client_keys() {
        let text = "\
clusters = a, b
a.bootstrap.servers = a:9092
b.bootstrap.servers = b:9092
security.protocol = SSL
a.security.protocol = PLAINTEXT
a.producer.security.protocol = SSL
a->b.enabled = true
b->a.enabled = true
tasks.max = 100
xxx = yyy
topics.blacklist = topic3
";
        let c = ok(text);
        let ab = c.flows.iter().find(|f| f.label() == "a->b").expect("a->b");
        let ba = c.flows.iter().find(|f| f.label() == "b->a").expect("b->a");
        assert_eq!(
            setting(&ab.clients.source_admin, "security.protocol"),
            "PLAINTEXT"
        );
        assert_eq!(
            setting(&ab.clients.source_consumer, "security.protocol"),
            "PLAINTEXT"
        );
        assert_eq!(
            setting(&ba.clients.target_admin, "security.protocol"),
            "PLAINTEXT"
        );
        assert_eq!(
            setting(&ba.clients.target_producer, "security.protocol"),
            "SSL"
        );
        assert_eq!(
            setting(&ab.clients.target_producer, "security.protocol"),
            "SSL"
        );
        assert_eq!(
            setting(&ab.clients.target_admin, "security.protocol"),
            "SSL"
        );
        // tasks.max passes, xxx dropped (listed as ignored), blacklist -> exclude.
        assert_eq!(ab.tasks_max, 100);
        assert_eq!(ab.connector_config["tasks.max"].value, "100");
        assert!(!ab.connector_config.contains_key("xxx"));
        assert!(c.ignored.iter().any(|o| o.key == "xxx"));
        assert_eq!(ab.topics.exclude.items(), ["topic3"]);
        // The resolved protocol is what the connections use.
        use crate::security::SecurityProtocol;
        assert_eq!(ab.target_producer.security.protocol, SecurityProtocol::Ssl);
        assert_eq!(
            ab.source_admin.security.protocol,
            SecurityProtocol::Plaintext
        );
        assert_eq!(ba.target_producer.security.protocol, SecurityProtocol::Ssl);
        assert!(ab.target_producer.security.tls.is_some());
        assert!(c.flows_for(&[]).is_ok());
    }

    #[test]
    fn precedence_top_level_alias_flow() {
        let text = format!(
            "{BASE}\
b.producer.request.timeout.ms = 40000
a->b.producer.override.request.timeout.ms = 50000
a.consumer.fetch.max.bytes = 1000
a->b.consumer.fetch.max.bytes = 2000
a->b.consumer.fetch.min.bytes = 7
a->b.source.consumer.fetch.max.wait.ms = 99
a.consumer.fetch.max.wait.ms = 11
a->b.admin.request.timeout.ms = 12345
b.admin.request.timeout.ms = 23456
a.consumer.client.id = mine
topics = x.*
a->b.topics = y.*
topics.exclude = top
a->b.topics.blacklist = flow
"
        );
        let c = ok(&text);
        let f = &c.flows[0];
        // Worker producer: T.producer.* then S->T.producer.override.*.
        assert_eq!(f.produce.request_timeout, Duration::from_secs(50));
        // S.consumer.* beats the flow-level consumer.*; flow-level applies when S.consumer.* is absent.
        assert_eq!(f.fetch.max_bytes, 1000);
        assert_eq!(f.fetch.min_bytes, 7);
        // S->T.source.consumer.* beats everything.
        assert_eq!(f.fetch.max_wait_ms, 99);
        // Flow-level admin.* applies to both admins, and loses to b.admin.* on the target admin.
        assert_eq!(f.source_admin.request_timeout, Duration::from_millis(12345));
        assert_eq!(f.target_admin.request_timeout, Duration::from_millis(23456));
        // User client.id is prefixed, as MM2's addClientId does.
        assert_eq!(
            f.source_consumer.client_id,
            "mine|a->b|MirrorSourceConnector|replication-consumer"
        );
        // Flow-level topics beats top-level; a top-level topics.exclude beats a flow-level blacklist.
        assert_eq!(f.topics.include.items(), ["y.*"]);
        assert_eq!(f.topics.exclude.items(), ["top"]);
    }

    #[test]
    fn top_level_bootstrap_and_client_keys_are_inherited() {
        let text = "clusters = a, b\nbootstrap.servers = shared:9092\nb.bootstrap.servers = b1:9092, b2:9093\na->b.enabled = TRUE\n";
        let f = ok(text).flows.remove(0);
        assert_eq!(f.source_consumer.bootstrap, ["shared:9092"]);
        assert_eq!(f.target_producer.bootstrap, ["b1:9092", "b2:9093"]);
        assert_eq!(f.target_admin.bootstrap, ["b1:9092", "b2:9093"]);
    }

    #[test]
    fn consumer_and_producer_typed_settings() {
        let text = format!(
            "{BASE}a.consumer.isolation.level = read_committed\na.consumer.auto.offset.reset = latest\nb.producer.acks = 1\nb.producer.max.request.size = 2000000\n"
        );
        let f = ok(&text).flows.remove(0);
        assert!(f.fetch.read_committed);
        assert_eq!(f.fetch.start_at, StartAt::Latest);
        assert_eq!(f.produce.acks, 1);
        assert_eq!(f.produce.max_request_size, 2_000_000);
    }

    #[test]
    fn offset_storage_resolution() {
        // Top-level offset.storage.* beats T.offset.storage.*; the flush interval is per target only.
        let text = format!(
            "{BASE}b.offset.storage.topic = per-target\noffset.storage.topic = top-level\nb.offset.storage.partitions = 5\noffset.flush.interval.ms = 77\nb.offset.flush.interval.ms = 250\n"
        );
        let c = ok(&text);
        let f = &c.flows[0];
        assert_eq!(f.offset_storage.topic, "top-level");
        assert_eq!(f.offset_storage.partitions, 5);
        assert_eq!(f.offset_storage.flush_interval, Duration::from_millis(250));
        let top = c
            .ignored
            .iter()
            .find(|o| o.key == "offset.flush.interval.ms")
            .expect("ignored");
        assert!(c
            .ignore_reason(top)
            .contains("<target>.offset.flush.interval.ms"));
    }

    #[test]
    fn replication_policy_settings() {
        let text = format!("{BASE}replication.policy.separator = __\nreplication.policy.internal.topic.separator.enabled = false\n");
        let f = ok(&text).flows.remove(0);
        assert_eq!(f.policy, ReplicationPolicy::default_with("__", false));
        assert_eq!(f.remote_topic("t1"), "a__t1");
        let text = format!("{BASE}a->b.replication.policy.class = org.apache.kafka.connect.mirror.IdentityReplicationPolicy\n");
        let f = ok(&text).flows.remove(0);
        assert_eq!(f.policy, ReplicationPolicy::identity_with("a", ".", true));
        assert_eq!(f.remote_topic("t1"), "t1");
    }

    #[test]
    fn enabling_rules() {
        // Top-level `enabled` reaches every connector (heartbeat herders exist by default).
        let text = "clusters = a, b\na.bootstrap.servers = a:1\nb.bootstrap.servers = b:1\nenabled = true\n";
        assert_eq!(ok(text).flows.len(), 2);
        // ... unless the pair has no herder (heartbeats off and S->T.enabled not true).
        let text = "clusters = a, b\na.bootstrap.servers = a:1\nb.bootstrap.servers = b:1\nenabled = true\nemit.heartbeats.enabled = false\na->b.enabled = true\n";
        let c = ok(text);
        assert_eq!(
            c.flows.iter().map(FlowConfig::label).collect::<Vec<_>>(),
            ["a->b"]
        );
        // An explicit false wins over top-level true.
        let text = "clusters = a, b\na.bootstrap.servers = a:1\nb.bootstrap.servers = b:1\nenabled = true\nb->a.enabled = false\n";
        assert_eq!(
            ok(text)
                .flows
                .iter()
                .map(FlowConfig::label)
                .collect::<Vec<_>>(),
            ["a->b"]
        );
    }

    #[test]
    fn clusters_filter() {
        let text = "clusters = a, b, c\na.bootstrap.servers = a:1\nb.bootstrap.servers = b:1\nc.bootstrap.servers = c:1\na->b.enabled = true\na->c.enabled = true\n";
        let c = ok(text);
        let only_c = c.flows_for(&["c".into()]).expect("flows");
        assert_eq!(
            only_c.iter().map(FlowConfig::label).collect::<Vec<_>>(),
            ["a->c"]
        );
        let e = c.flows_for(&["d".into()]).expect_err("unknown").to_string();
        assert!(e.contains("`d`") && e.contains("clusters = a, b, c"), "{e}");
        let e = c.flows_for(&["a".into()]).expect_err("none").to_string();
        assert!(e.contains("No source->target replication flows"), "{e}");
    }

    // ---- one test per error kind ----

    #[test]
    fn error_malformed_line() {
        err_at(
            "clusters = a, b\ngarbage\n",
            2,
            "garbage",
            "expected `key = value`",
        );
    }

    #[test]
    fn error_invalid_unicode_escape() {
        err_at("clusters = a\\u00zz\n", 1, "clusters", "four hex digits");
    }

    #[test]
    fn error_clusters_missing_or_empty() {
        err_in_file(
            "a.bootstrap.servers = x:1\n",
            "missing required key `clusters`",
        );
        err_at(
            "x = 1\nclusters =   \n",
            2,
            "clusters",
            "list of cluster aliases",
        );
    }

    #[test]
    fn error_unknown_alias() {
        let text = "clusters = primary, secondary\nprimary.bootstrap.servers = p:1\ntertiary.bootstrap.servers = t:1\n";
        err_at(
            text,
            3,
            "tertiary.bootstrap.servers",
            "unknown cluster alias `tertiary`; clusters = primary, secondary",
        );
    }

    #[test]
    fn error_flow_names_undefined_cluster() {
        let text = "clusters = primary, secondary\nprimary->tertiary.enabled = true\n";
        err_at(
            text,
            2,
            "primary->tertiary.enabled",
            "undefined cluster `tertiary`",
        );
    }

    #[test]
    fn error_invalid_regex() {
        let msg = err_at(
            &format!("{BASE}a->b.topics = ok, (?<=x)y\n"),
            5,
            "a->b.topics",
            "`(?<=x)y`",
        );
        assert!(msg.contains("look-around"), "{msg}");
        err_at(
            &format!("{BASE}topics.exclude = a(\n"),
            5,
            "topics.exclude",
            "`a(`",
        );
        err_at(
            &format!("{BASE}a->b.topics.blacklist = x*+\n"),
            5,
            "a->b.topics.blacklist",
            "possessive",
        );
        err_at(&format!("{BASE}groups = [z\n"), 5, "groups", "`[z`");
        err_at(
            &format!("{BASE}config.properties.exclude = (\n"),
            5,
            "config.properties.exclude",
            "`(`",
        );
    }

    #[test]
    fn error_missing_bootstrap() {
        let text = "clusters = a, b\na.bootstrap.servers = a:1\na->b.enabled = true\n";
        err_at(text, 3, "a->b.enabled", "cluster `b`");
    }

    #[test]
    fn error_invalid_bootstrap() {
        err_at(
            &format!("{BASE}a.consumer.bootstrap.servers = nohost\n"),
            5,
            "a.consumer.bootstrap.servers",
            "host:port",
        );
    }

    #[test]
    fn error_no_enabled_flow() {
        let text = "clusters = a, b\na.bootstrap.servers = a:1\nb.bootstrap.servers = b:1\na->b.enabled = false\n";
        err_in_file(text, "No source->target replication flows.");
    }

    #[test]
    fn error_unsupported_classes() {
        err_at(
            &format!("{BASE}replication.policy.class = com.acme.MyPolicy\n"),
            5,
            "replication.policy.class",
            "IdentityReplicationPolicy",
        );
        err_at(
            &format!("{BASE}a->b.topic.filter.class = com.acme.MyFilter\n"),
            5,
            "a->b.topic.filter.class",
            "DefaultTopicFilter",
        );
    }

    #[test]
    fn error_invalid_typed_values() {
        err_at(
            &format!("{BASE}tasks.max = four\n"),
            5,
            "tasks.max",
            "expected an integer from 1",
        );
        err_at(&format!("{BASE}tasks.max = 0\n"), 5, "tasks.max", "`0`");
        err_at(
            &format!("{BASE}a.consumer.fetch.min.bytes = -1\n"),
            5,
            "a.consumer.fetch.min.bytes",
            "expected an integer from 0",
        );
        err_at(
            &format!("{BASE}refresh.topics.enabled = yes\n"),
            5,
            "refresh.topics.enabled",
            "`true` or `false`",
        );
        err_at(
            &format!("{BASE}a.consumer.isolation.level = serializable\n"),
            5,
            "a.consumer.isolation.level",
            "read_committed",
        );
        err_at(
            &format!("{BASE}a.consumer.auto.offset.reset = none\n"),
            5,
            "a.consumer.auto.offset.reset",
            "latest",
        );
        err_at(
            &format!("{BASE}replication.factor = 0\n"),
            5,
            "replication.factor",
            "-1 (broker default)",
        );
        err_at(
            &format!("{BASE}b.offset.flush.interval.ms = 0\n"),
            5,
            "b.offset.flush.interval.ms",
            ">= 1",
        );
        err_at(
            &format!("{BASE}b.producer.linger.ms = 1s\n"),
            5,
            "b.producer.linger.ms",
            "`1s`",
        );
        err_at(
            &format!("{BASE}refresh.topics.interval.seconds = 0\n"),
            5,
            "refresh.topics.interval.seconds",
            "> 0",
        );
        err_at(
            &format!("{BASE}a.consumer.security.protocol = TLS\n"),
            5,
            "a.consumer.security.protocol",
            "SASL_SSL",
        );
        err_at(
            &format!("{BASE}replication.policy.separator = _ \n"),
            5,
            "replication.policy.separator",
            "without blanks",
        );
        err_at("clusters = a, b\na.bootstrap.servers = a:1\nb.bootstrap.servers = b:1\na->b.enabled = yes\n", 4, "a->b.enabled", "`true` or `false`");
    }

    #[test]
    fn error_acks_zero() {
        err_at(
            &format!("{BASE}a->b.producer.override.acks = 0\n"),
            5,
            "a->b.producer.override.acks",
            "at-least-once",
        );
    }

    #[test]
    fn error_hides_secret_values() {
        // A secret-looking key with an invalid value: the value never appears.
        let text = format!(
            "{BASE}a.consumer.bootstrap.servers = ${{file:/etc/secret.properties:password}}\n"
        );
        let msg = err_at(&text, 5, "a.consumer.bootstrap.servers", "config.providers");
        assert!(
            msg.contains("`${file:"),
            "non-secret key shows its value: {msg}"
        );
        let text = format!(
            "{BASE}a.consumer.request.timeout.ms = 1\nb.producer.ssl.key.password = hunter2\n"
        );
        ok(&text);
        let e = ConfigError::AtLine {
            path: "x".into(),
            line: 1,
            key: "k".into(),
            message: String::new(),
        };
        assert!(!e.to_string().contains("hunter2"));
        // Invalid value under a secret-looking key name.
        let ctx = Ctx {
            path: Path::new("mm2.properties"),
            raw: IndexMap::new(),
        };
        let s = Setting {
            value: "hunter2".into(),
            origin: Some(Origin {
                file: "mm2.properties".into(),
                line: 9,
                key: "a.sasl.jaas.config".into(),
            }),
        };
        let msg = ctx
            .invalid(&s, "sasl.jaas.config", "a JAAS line")
            .to_string();
        assert!(!msg.contains("hunter2") && msg.contains("hidden"), "{msg}");
        assert!(
            msg.contains("mm2.properties:9: `a.sasl.jaas.config`"),
            "{msg}"
        );
    }

    #[test]
    fn error_sasl_without_mechanism_names_line() {
        // Kafka's default mechanism is GSSAPI, which strait refuses at start-up.
        let text = format!("{BASE}b.security.protocol = SASL_SSL\n");
        err_at(&text, 5, "b.security.protocol", "GSSAPI");
        let text = format!("{BASE}b.security.protocol = SASL_SSL\nb.sasl.mechanism = PLAIN\n");
        err_at(&text, 6, "b.sasl.mechanism", "sasl.jaas.config");
        // PLAINTEXT in any case is fine.
        let c = ok(&format!("{BASE}security.protocol = plaintext\n"));
        assert!(c.flows_for(&[]).is_ok());
    }

    #[test]
    fn debug_output_redacts_secrets() {
        let text =
            format!("{BASE}a.sasl.jaas.config = ScramLoginModule required password=\"hunter2\";\n");
        let c = ok(&text);
        let dump = format!("{:?}", c.flows);
        assert!(
            dump.contains("a.sasl.jaas.config"),
            "the key is still visible"
        );
        assert!(!dump.contains("hunter2"), "{dump}");
    }

    #[test]
    fn duplicate_keys_last_wins() {
        let f = ok(&format!("{BASE}tasks.max = 2\ntasks.max = 3\n"))
            .flows
            .remove(0);
        assert_eq!(f.tasks_max, 3);
        assert_eq!(
            f.connector_config["tasks.max"]
                .origin
                .as_ref()
                .map(|o| o.line),
            Some(6)
        );
    }

    #[test]
    fn ignored_keys_are_listed_with_reasons() {
        let text = format!(
            "{BASE}sync.topic.acls.interval.seconds = 60\nconsumer.fetch.max.bytes = 5\nwhatever.thing = 1\ndedicated.mode.enable.internal.rest = true\na->a.enabled = true\nb.ssl.cipher.suites = X\nb.ssl.truststore.location = /x\n"
        );
        let c = ok(&text);
        let keys: Vec<&str> = c.ignored.iter().map(|o| o.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "sync.topic.acls.interval.seconds",
                "consumer.fetch.max.bytes",
                "whatever.thing",
                "dedicated.mode.enable.internal.rest",
                "a->a.enabled",
                "b.ssl.cipher.suites"
            ]
        );
        let reason = |k: &str| {
            let o = c.ignored.iter().find(|o| o.key == k).expect("listed");
            c.ignore_reason(o)
        };
        assert!(reason("consumer.fetch.max.bytes").contains("top-level client keys"));
        assert!(reason("whatever.thing").contains("unknown"));
        assert!(reason("b.ssl.cipher.suites").contains("cipher suites"));
        // Top-level consumer.* is not applied (MM2 drops it).
        assert_eq!(c.flows[0].fetch.max_bytes, 52_428_800);
    }
}
