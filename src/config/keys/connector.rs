//! Connector keys: those of `MirrorSourceConfig`, `MirrorCheckpointConfig` and
//! `MirrorHeartbeatConfig`, with Connect's `ConnectorConfig` keys. MM2 reads them at top level (every
//! flow) and as `S->T.<key>` (one flow, which wins).

use super::why;
use super::KeyDefault::{Derived, Unset, Value};
use super::Range::{Long, Positive, ReplicationFactor};
use super::Scope::Connector;
use super::ValueType::{Any, Boolean, Choice, Class, Int, Regexes, Seconds, Text};
use super::{rows, Effect::Acts, Effect::Ignored};
use crate::plan::replication_policy::DEFAULT_POLICY_CLASS;
use crate::plan::topic_filter::{
    DEFAULT_CONFIG_PROPERTIES_EXCLUDE, DEFAULT_GROUPS, DEFAULT_GROUPS_EXCLUDE, DEFAULT_TOPICS,
    DEFAULT_TOPICS_EXCLUDE,
};

/// The only topic filter class strait implements.
pub(crate) const DEFAULT_TOPIC_FILTER_CLASS: &str =
    "org.apache.kafka.connect.mirror.DefaultTopicFilter";
/// The only group filter class strait implements.
pub(crate) const DEFAULT_GROUP_FILTER_CLASS: &str =
    "org.apache.kafka.connect.mirror.DefaultGroupFilter";
/// The only config property filter class strait implements.
pub(crate) const DEFAULT_CONFIG_PROPERTY_FILTER_CLASS: &str =
    "org.apache.kafka.connect.mirror.DefaultConfigPropertyFilter";

rows! { ROWS;
    // MirrorConnectorConfig
    ENABLED = "enabled", Connector, Boolean, Value("false"), Acts,
        "`S->T.enabled = true` runs flow S->T (a top-level `enabled` applies to every flow that has a herder); `--clusters` picks the targets a process serves";
    REPLICATION_POLICY_CLASS = "replication.policy.class", Connector, Class, Value(DEFAULT_POLICY_CLASS), Acts,
        "how remote topics are named: `primary.orders` (default policy) or `orders` (identity policy); custom classes are refused";
    REPLICATION_POLICY_SEPARATOR = "replication.policy.separator", Connector, Text, Value("."), Acts,
        "the separator of remote and internal topic names; characters legal in topic names only";
    REPLICATION_POLICY_INTERNAL_TOPIC_SEPARATOR_ENABLED = "replication.policy.internal.topic.separator.enabled", Connector, Boolean, Value("true"), Acts,
        "whether a configured separator is used in internal topic names too (as `DefaultReplicationPolicy`)";
    SOURCE_CLUSTER_ALIAS = "source.cluster.alias", Connector, Any, Unset, Ignored(why::CONNECT), "";
    TARGET_CLUSTER_ALIAS = "target.cluster.alias", Connector, Any, Unset, Ignored(why::CONNECT), "";
    ADMIN_TIMEOUT_MS = "admin.timeout.ms", Connector, Any, Unset, Ignored(why::FLOW_OTHER), "";
    FORWARDING_ADMIN_CLASS = "forwarding.admin.class", Connector, Any, Unset, Ignored(why::FLOW_OTHER), "";
    METRIC_REPORTERS = "metric.reporters", Connector, Any, Unset, Ignored(why::METRICS), "";
    AUTO_INCLUDE_JMX_REPORTER = "auto.include.jmx.reporter", Connector, Any, Unset, Ignored(why::METRICS), "";
    // MirrorSourceConfig
    TOPICS = "topics", Connector, Regexes, Value(DEFAULT_TOPICS), Acts,
        "topics to replicate (full-match regexes); internal topics and cycles are never replicated";
    TOPICS_EXCLUDE = "topics.exclude", Connector, Regexes, Value(DEFAULT_TOPICS_EXCLUDE), Acts,
        "topics never replicated (full-match regexes)";
    TOPICS_BLACKLIST = "topics.blacklist", Connector, Regexes, Derived("`topics.exclude`"), Acts,
        "deprecated name of `topics.exclude`; the new name wins when both are set anywhere";
    TOPIC_FILTER_CLASS = "topic.filter.class", Connector, Class, Value(DEFAULT_TOPIC_FILTER_CLASS), Acts,
        "only the default filter runs in strait; other classes are refused";
    CONFIG_PROPERTIES_EXCLUDE = "config.properties.exclude", Connector, Regexes, Value(DEFAULT_CONFIG_PROPERTIES_EXCLUDE), Acts,
        "source topic configs not copied to remote topics (at creation or by config sync)";
    CONFIG_PROPERTIES_BLACKLIST = "config.properties.blacklist", Connector, Regexes, Derived("`config.properties.exclude`"), Acts,
        "deprecated name of `config.properties.exclude`; the new name wins";
    CONFIG_PROPERTY_FILTER_CLASS = "config.property.filter.class", Connector, Class, Value(DEFAULT_CONFIG_PROPERTY_FILTER_CLASS), Acts,
        "only the default filter runs in strait; other classes are refused";
    CONSUMER_POLL_TIMEOUT_MS = "consumer.poll.timeout.ms", Connector, Any, Unset, Ignored(why::FLOW_OTHER), "";
    REFRESH_TOPICS_ENABLED = "refresh.topics.enabled", Connector, Boolean, Value("true"), Acts,
        "whether new topics and partitions on the source are discovered while running";
    REFRESH_TOPICS_INTERVAL_SECONDS = "refresh.topics.interval.seconds", Connector, Seconds, Value("600"), Acts,
        "how often topics are discovered; 0 is refused";
    SYNC_TOPIC_CONFIGS_ENABLED = "sync.topic.configs.enabled", Connector, Boolean, Value("true"), Acts,
        "copy the source topics' configs to their remote topics, at start and every interval (MM2's rules: read-only, sensitive and static-broker entries and `config.properties.exclude` left out)";
    SYNC_TOPIC_CONFIGS_INTERVAL_SECONDS = "sync.topic.configs.interval.seconds", Connector, Seconds, Value("600"), Acts,
        "how often topic configs are synced; 0 is refused";
    USE_DEFAULTS_FROM = "use.defaults.from", Connector, Choice(&["source", "target"]), Value("target"), Acts,
        "for a config the source topic leaves at its default: `target` deletes the remote topic's override (the target's default applies), `source` sets the source's default value";
    SYNC_TOPIC_ACLS_ENABLED = "sync.topic.acls.enabled", Connector, Boolean, Value("true"), Acts,
        "copy the source's literal topic ACLs to the remote topics, at start and every interval (ALLOW WRITE left out, ALLOW ALL as READ, nothing deleted)";
    SYNC_TOPIC_ACLS_INTERVAL_SECONDS = "sync.topic.acls.interval.seconds", Connector, Seconds, Value("600"), Acts,
        "how often topic ACLs are synced; 0 is refused";
    USE_INCREMENTAL_ALTER_CONFIGS = "use.incremental.alter.configs", Connector, Choice(&["requested", "required", "never"]), Value("requested"), Acts,
        "config sync's API: IncrementalAlterConfigs, falling back to the legacy AlterConfigs when the target lacks it (`requested`), failing then (`required`), or always the legacy API (`never`)";
    REPLICATION_FACTOR = "replication.factor", Connector, Int(ReplicationFactor), Value("2"), Acts,
        "replication factor of remote topics strait creates (`-1`: the broker's default)";
    OFFSET_SYNCS_TOPIC_REPLICATION_FACTOR = "offset-syncs.topic.replication.factor", Connector, Int(ReplicationFactor), Value("3"), Acts,
        "replication factor of the offset-syncs topic when strait creates it (compacted, 1 partition)";
    OFFSET_SYNCS_TOPIC_LOCATION = "offset-syncs.topic.location", Connector, Choice(&["source", "target"]), Value("source"), Acts,
        "`source`: `mm2-offset-syncs.<T>.internal` on S; `target`: `mm2-offset-syncs.<S>.internal` on T (named after the other cluster, as MM2)";
    OFFSET_LAG_MAX = "offset.lag.max", Connector, Int(Long), Value("100"), Acts,
        "an offset sync at least every N records, as MM2";
    EMIT_OFFSET_SYNCS_ENABLED = "emit.offset-syncs.enabled", Connector, Boolean, Value("true"), Acts,
        "whether the flow writes offset-syncs (checkpoints need them)";
    BATCH_JOIN_ENABLED = "strait.batch.join.enabled", Connector, Boolean, Value("true"), Acts,
        "strait's own key: whether small source batches waiting for the target are joined into one (records unchanged; `false`: every source batch is forwarded with its own framing)";
    ADD_SOURCE_ALIAS_TO_METRICS = "add.source.alias.to.metrics", Connector, Any, Unset, Ignored(why::SOURCE_ALIAS_METRICS), "";
    // MirrorCheckpointConfig
    GROUPS = "groups", Connector, Regexes, Value(DEFAULT_GROUPS), Acts,
        "consumer groups to checkpoint (full-match regexes)";
    GROUPS_EXCLUDE = "groups.exclude", Connector, Regexes, Value(DEFAULT_GROUPS_EXCLUDE), Acts,
        "consumer groups never checkpointed";
    GROUPS_BLACKLIST = "groups.blacklist", Connector, Regexes, Derived("`groups.exclude`"), Acts,
        "deprecated name of `groups.exclude`; the new name wins";
    GROUP_FILTER_CLASS = "group.filter.class", Connector, Class, Value(DEFAULT_GROUP_FILTER_CLASS), Acts,
        "only the default filter runs in strait; other classes are refused";
    REFRESH_GROUPS_ENABLED = "refresh.groups.enabled", Connector, Boolean, Value("true"), Acts,
        "whether the source's groups are listed again while running";
    REFRESH_GROUPS_INTERVAL_SECONDS = "refresh.groups.interval.seconds", Connector, Seconds, Value("600"), Acts,
        "how often groups are listed on the source; 0 is refused";
    EMIT_CHECKPOINTS_ENABLED = "emit.checkpoints.enabled", Connector, Boolean, Value("true"), Acts,
        "whether checkpoints are written to `<S>.checkpoints.internal` on the target";
    EMIT_CHECKPOINTS_INTERVAL_SECONDS = "emit.checkpoints.interval.seconds", Connector, Seconds, Value("60"), Acts,
        "how often checkpoints are written; 0 is refused";
    SYNC_GROUP_OFFSETS_ENABLED = "sync.group.offsets.enabled", Connector, Boolean, Value("false"), Acts,
        "whether translated offsets are committed to the same groups on the target (absent or empty groups only)";
    SYNC_GROUP_OFFSETS_INTERVAL_SECONDS = "sync.group.offsets.interval.seconds", Connector, Seconds, Value("60"), Acts,
        "how often group offsets are synced; 0 is refused";
    CHECKPOINTS_TOPIC_REPLICATION_FACTOR = "checkpoints.topic.replication.factor", Connector, Int(ReplicationFactor), Value("3"), Acts,
        "replication factor of the checkpoints topic when strait creates it (compacted, 1 partition)";
    // MirrorHeartbeatConfig
    EMIT_HEARTBEATS_ENABLED = "emit.heartbeats.enabled", Connector, Boolean, Value("true"), Acts,
        "the heartbeat emitter of herder S->T, whether or not the flow is enabled (docs/configuration.md#heartbeats)";
    EMIT_HEARTBEATS_INTERVAL_SECONDS = "emit.heartbeats.interval.seconds", Connector, Seconds, Value("1"), Acts,
        "one heartbeat per interval; 0 is refused";
    HEARTBEATS_TOPIC_REPLICATION_FACTOR = "heartbeats.topic.replication.factor", Connector, Int(ReplicationFactor), Value("3"), Acts,
        "replication factor of `heartbeats` when strait creates it on the target";
    // Connect's ConnectorConfig
    NAME = "name", Connector, Any, Unset, Ignored(why::CONNECT), "";
    CONNECTOR_CLASS = "connector.class", Connector, Any, Unset, Ignored(why::CONNECT), "";
    TASKS_MAX = "tasks.max", Connector, Int(Positive), Value("1"), Acts,
        "tasks per flow; a flow's partitions are pinned to its tasks";
    TASKS_MAX_ENFORCE = "tasks.max.enforce", Connector, Any, Unset, Ignored(why::CONNECT), "";
    KEY_CONVERTER = "key.converter", Connector, Any, Unset, Ignored(why::CONNECT), "";
    VALUE_CONVERTER = "value.converter", Connector, Any, Unset, Ignored(why::CONNECT), "";
    HEADER_CONVERTER = "header.converter", Connector, Any, Unset, Ignored(why::CONNECT), "";
    TRANSFORMS = "transforms", Connector, Any, Unset, Ignored(why::CONNECT), "";
    PREDICATES = "predicates", Connector, Any, Unset, Ignored(why::CONNECT), "";
    CONFIG_ACTION_RELOAD = "config.action.reload", Connector, Any, Unset, Ignored(why::CONNECT), "";
    ERRORS_RETRY_TIMEOUT = "errors.retry.timeout", Connector, Any, Unset, Ignored(why::CONNECT), "";
    ERRORS_RETRY_DELAY_MAX_MS = "errors.retry.delay.max.ms", Connector, Any, Unset, Ignored(why::CONNECT), "";
    ERRORS_TOLERANCE = "errors.tolerance", Connector, Any, Unset, Ignored(why::CONNECT), "";
    ERRORS_LOG_ENABLE = "errors.log.enable", Connector, Any, Unset, Ignored(why::CONNECT), "";
    ERRORS_LOG_INCLUDE_MESSAGES = "errors.log.include.messages", Connector, Any, Unset, Ignored(why::CONNECT), "";
}
