//! MM2's `ReplicationPolicy` implementations (`DefaultReplicationPolicy`, `IdentityReplicationPolicy`):
//! remote topic names, internal topic names, and which topics are internal or would form a cycle.
//! See mm2-compat.md section 2.

/// Which MM2 replication policy class the config names, with its separator settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplicationPolicy {
    /// `org.apache.kafka.connect.mirror.DefaultReplicationPolicy`: remote topic = `source + sep + topic`.
    Default {
        /// `replication.policy.separator` (default `.`).
        separator: String,
        /// Separator used in internal topic names (`sep` when
        /// `replication.policy.internal.topic.separator.enabled`, else `.`).
        internal_separator: String,
    },
    /// `org.apache.kafka.connect.mirror.IdentityReplicationPolicy`: remote topic = topic.
    Identity {
        /// The flow's source alias (what `topicSource` returns for non-heartbeat topics).
        source_alias: String,
        /// Separator for heartbeat-like topics, which follow the default rules.
        separator: String,
        /// Internal-topic separator, as for Default.
        internal_separator: String,
    },
}
