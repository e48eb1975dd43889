//! MM2's own top-level keys, the worker keys strait reads (where progress is stored), and the
//! Kafka Connect runtime keys MM2 passes to its herders, which strait accepts without effect.

use super::rows;
use super::why;
use super::Effect::{Acts, Ignored};
use super::KeyDefault::{Derived, Required, Unset, Value};
use super::Range::{PartitionCount, PositiveLong, ReplicationFactor};
use super::Scope::{TargetWorker, TopLevel, Worker};
use super::ValueType::{Any, Int, List, Millis, Text, TopicName};

/// strait's default `offset.flush.interval.ms` (MM2/Connect: 60000), as written in the table.
pub(crate) const DEFAULT_FLUSH_INTERVAL_MS: &str = "1000";

rows! { MM2_ROWS;
    CLUSTERS = "clusters", TopLevel, List, Required, Acts,
        "the cluster aliases; every other key is read relative to them";
    CONFIG_PROVIDERS = "config.providers", TopLevel, List, Unset, Acts,
        "names of the config providers whose `${name:...}` placeholders are resolved in any value (`file`, `env`, `dir`)";
    CONFIG_PROVIDERS_ANY = "config.providers.*", TopLevel, Text, Unset, Acts,
        "`config.providers.<name>.class` (Kafka's File, Env or Directory provider) and its `.param.*`";
}

rows! { WORKER_ROWS;
    OFFSET_STORAGE_TOPIC = "offset.storage.topic", Worker, TopicName, Derived("`mm2-offsets.<S>.internal`"), Acts,
        "the topic on T where a flow's progress lives, in Connect's format";
    OFFSET_STORAGE_PARTITIONS = "offset.storage.partitions", Worker, Int(PartitionCount), Value("25"), Acts,
        "partitions of the progress topic when strait creates it (`-1`: the broker's default)";
    OFFSET_STORAGE_REPLICATION_FACTOR = "offset.storage.replication.factor", Worker, Int(ReplicationFactor), Value("3"), Acts,
        "replication factor of the progress topic when strait creates it (`-1`: the broker's default)";
    OFFSET_FLUSH_INTERVAL_MS = "offset.flush.interval.ms", TargetWorker, Millis(PositiveLong), Value(DEFAULT_FLUSH_INTERVAL_MS), Acts,
        "how often progress is written (MM2: 60000); it bounds what is copied again after a kill -9";
}

rows! { RUNTIME_ROWS;
    DEDICATED_MODE_ENABLE_INTERNAL_REST = "dedicated.mode.enable.internal.rest", TopLevel, Any, Unset, Ignored(why::CONNECT), "";
    LISTENERS = "listeners", TopLevel, Any, Unset, Ignored(why::CONNECT), "";
    ADMIN_LISTENERS = "admin.listeners", TopLevel, Any, Unset, Ignored(why::CONNECT), "";
    WORKER_GROUP_ID = "group.id", TopLevel, Any, Unset, Ignored(why::CONNECT), "";
    WORKER_CLIENT_ID = "client.id", TopLevel, Any, Unset, Ignored(why::CONNECT), "";
    EXACTLY_ONCE_SOURCE_SUPPORT = "exactly.once.source.support", TopLevel, Any, Unset, Ignored(why::CONNECT), "";
    EXACTLY_ONCE_SUPPORT = "exactly.once.support", TopLevel, Any, Unset, Ignored(why::CONNECT), "";
    TRANSACTION_BOUNDARY = "transaction.boundary", TopLevel, Any, Unset, Ignored(why::CONNECT), "";
    PLUGIN_PATH = "plugin.path", TopLevel, Any, Unset, Ignored(why::CONNECT), "";
    PLUGIN_DISCOVERY = "plugin.discovery", TopLevel, Any, Unset, Ignored(why::CONNECT), "";
    CONNECTOR_CLIENT_CONFIG_OVERRIDE_POLICY = "connector.client.config.override.policy", TopLevel, Any, Unset, Ignored(why::CONNECT), "";
    SCHEDULED_REBALANCE_MAX_DELAY_MS = "scheduled.rebalance.max.delay.ms", TopLevel, Any, Unset, Ignored(why::CONNECT), "";
    WORKER_SESSION_TIMEOUT_MS = "session.timeout.ms", TopLevel, Any, Unset, Ignored(why::CONNECT), "";
    WORKER_HEARTBEAT_INTERVAL_MS = "heartbeat.interval.ms", TopLevel, Any, Unset, Ignored(why::CONNECT), "";
    REBALANCE_TIMEOUT_MS = "rebalance.timeout.ms", TopLevel, Any, Unset, Ignored(why::CONNECT), "";
    ACCESS_CONTROL_ALLOW_ORIGIN = "access.control.allow.origin", TopLevel, Any, Unset, Ignored(why::CONNECT), "";
    ACCESS_CONTROL_ALLOW_METHODS = "access.control.allow.methods", TopLevel, Any, Unset, Ignored(why::CONNECT), "";
    RESPONSE_HTTP_HEADERS_CONFIG = "response.http.headers.config", TopLevel, Any, Unset, Ignored(why::CONNECT), "";
    TOPIC_CREATION_ENABLE = "topic.creation.enable", TopLevel, Any, Unset, Ignored(why::CONNECT), "";
    INTER_WORKER_KEY_GENERATION_ALGORITHM = "inter.worker.key.generation.algorithm", TopLevel, Any, Unset, Ignored(why::CONNECT), "";
    REST_ANY = "rest.*", TopLevel, Any, Unset, Ignored(why::CONNECT), "";
    LISTENERS_ANY = "listeners.*", TopLevel, Any, Unset, Ignored(why::CONNECT), "";
    INTER_WORKER_ANY = "inter.worker.*", TopLevel, Any, Unset, Ignored(why::CONNECT), "";
    TRANSFORMS_ANY = "transforms.*", TopLevel, Any, Unset, Ignored(why::CONNECT), "";
    PREDICATES_ANY = "predicates.*", TopLevel, Any, Unset, Ignored(why::CONNECT), "";
    ERRORS_ANY = "errors.*", TopLevel, Any, Unset, Ignored(why::CONNECT), "";
    CONFIG_STORAGE_TOPIC = "config.storage.topic", TopLevel, TopicName, Unset, Ignored(why::CONNECT_WORKER), "";
    CONFIG_STORAGE_REPLICATION_FACTOR = "config.storage.replication.factor", TopLevel, Int(ReplicationFactor), Unset, Ignored(why::CONNECT_WORKER), "";
    STATUS_STORAGE_TOPIC = "status.storage.topic", TopLevel, TopicName, Unset, Ignored(why::CONNECT_WORKER), "";
    STATUS_STORAGE_PARTITIONS = "status.storage.partitions", TopLevel, Int(PartitionCount), Unset, Ignored(why::CONNECT_WORKER), "";
    STATUS_STORAGE_REPLICATION_FACTOR = "status.storage.replication.factor", TopLevel, Int(ReplicationFactor), Unset, Ignored(why::CONNECT_WORKER), "";
    OFFSET_STORAGE_ANY = "offset.storage*", TopLevel, Any, Unset, Ignored(why::CONNECT), "";
    CONFIG_STORAGE_ANY = "config.storage*", TopLevel, Any, Unset, Ignored(why::CONNECT), "";
    STATUS_STORAGE_ANY = "status.storage*", TopLevel, Any, Unset, Ignored(why::CONNECT), "";
    KEY_CONVERTER_ANY = "key.converter*", TopLevel, Any, Unset, Ignored(why::CONNECT), "";
    VALUE_CONVERTER_ANY = "value.converter*", TopLevel, Any, Unset, Ignored(why::CONNECT), "";
    HEADER_CONVERTER_ANY = "header.converter*", TopLevel, Any, Unset, Ignored(why::CONNECT), "";
    TASK_ANY = "task*", TopLevel, Any, Unset, Ignored(why::CONNECT), "";
    WORKER_ANY = "worker*", TopLevel, Any, Unset, Ignored(why::CONNECT), "";
    REPLICATION_POLICY_ANY = "replication.policy*", TopLevel, Any, Unset, Ignored(why::CONNECT), "";
    METRIC_ANY = "metric*", TopLevel, Any, Unset, Ignored(why::METRICS), "";
    HEARTBEATS_TOPIC_ANY = "heartbeats.topic.*", TopLevel, Any, Unset, Ignored(why::INTERNAL_TOPIC_CONFIG), "";
    CHECKPOINTS_TOPIC_ANY = "checkpoints.topic.*", TopLevel, Any, Unset, Ignored(why::INTERNAL_TOPIC_CONFIG), "";
}
