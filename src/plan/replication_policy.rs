//! MM2's `ReplicationPolicy` implementations (`DefaultReplicationPolicy`, `IdentityReplicationPolicy`):
//! remote topic names, internal topic names, and which topics are internal or would form a cycle.
//! As Kafka's `DefaultReplicationPolicy` and `IdentityReplicationPolicy` do. Names must match Java exactly: Java MM2 and `MirrorClient` read the
//! topics strait creates, and strait takes over topics Java MM2 created.

use super::topic_filter::TopicFilter;

/// Which MM2 replication policy class the config names, with its separator settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ReplicationPolicy {
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

/// Fully-qualified class name of MM2's default policy.
pub(crate) const DEFAULT_POLICY_CLASS: &str =
    "org.apache.kafka.connect.mirror.DefaultReplicationPolicy";
/// Fully-qualified class name of MM2's identity policy.
pub(crate) const IDENTITY_POLICY_CLASS: &str =
    "org.apache.kafka.connect.mirror.IdentityReplicationPolicy";
/// `ReplicationPolicy.heartbeatsTopic()`: never affected by the separator.
pub(crate) const HEARTBEATS_TOPIC: &str = "heartbeats";

impl Default for ReplicationPolicy {
    /// `DefaultReplicationPolicy` with separator `.`.
    fn default() -> Self {
        ReplicationPolicy::default_with(".", true)
    }
}

impl ReplicationPolicy {
    /// `DefaultReplicationPolicy` with `separator`; `internal_separator_enabled` is
    /// `replication.policy.internal.topic.separator.enabled` (when false, internal topics use `.`).
    pub(crate) fn default_with(
        separator: &str,
        internal_separator_enabled: bool,
    ) -> ReplicationPolicy {
        ReplicationPolicy::Default {
            separator: separator.to_string(),
            internal_separator: internal_sep(separator, internal_separator_enabled),
        }
    }

    /// `IdentityReplicationPolicy` for a flow whose source alias is `source_alias`.
    pub(crate) fn identity_with(
        source_alias: &str,
        separator: &str,
        internal_separator_enabled: bool,
    ) -> ReplicationPolicy {
        ReplicationPolicy::Identity {
            source_alias: source_alias.to_string(),
            separator: separator.to_string(),
            internal_separator: internal_sep(separator, internal_separator_enabled),
        }
    }

    /// The Java class name this policy stands for (for logs).
    #[cfg(test)]
    pub(crate) fn class_name(&self) -> &'static str {
        match self {
            ReplicationPolicy::Default { .. } => DEFAULT_POLICY_CLASS,
            ReplicationPolicy::Identity { .. } => IDENTITY_POLICY_CLASS,
        }
    }

    /// The remote-topic separator.
    pub(crate) fn separator(&self) -> &str {
        match self {
            ReplicationPolicy::Default { separator, .. }
            | ReplicationPolicy::Identity { separator, .. } => separator,
        }
    }

    /// The separator used inside internal topic names.
    pub(crate) fn internal_separator(&self) -> &str {
        match self {
            ReplicationPolicy::Default {
                internal_separator, ..
            }
            | ReplicationPolicy::Identity {
                internal_separator, ..
            } => internal_separator,
        }
    }

    /// Identity's "looks like a heartbeats topic": such names follow the default rules.
    fn identity_alias(&self, topic: &str) -> Option<&str> {
        match self {
            ReplicationPolicy::Identity { source_alias, .. }
                if !topic.ends_with(HEARTBEATS_TOPIC) =>
            {
                Some(source_alias)
            }
            _ => None,
        }
    }

    /// `formatRemoteTopic`: the name `topic` of cluster `source` gets on the target.
    pub(crate) fn format_remote_topic(&self, source: &str, topic: &str) -> String {
        if self.identity_alias(topic).is_some() {
            return topic.to_string();
        }
        format!("{source}{}{topic}", self.separator())
    }

    /// `topicSource`: the cluster a (remote) topic came from, if its name says so. Default policy:
    /// Java `String.split` on the separator (leading empty field kept, trailing empty fields dropped);
    /// fewer than two fields -> None, else field 0. Identity: the flow's source alias, except for
    /// heartbeat-like names.
    pub(crate) fn topic_source(&self, topic: &str) -> Option<String> {
        if let Some(alias) = self.identity_alias(topic) {
            return Some(alias.to_string());
        }
        let sep = self.separator();
        if sep.is_empty() {
            return None;
        }
        let mut fields: Vec<&str> = topic.split(sep).collect();
        while fields.last().is_some_and(|f| f.is_empty()) {
            fields.pop();
        }
        if fields.len() < 2 {
            None
        } else {
            Some(fields[0].to_string())
        }
    }

    /// `upstreamTopic`: the name one hop upstream (`B.A.t1` -> `A.t1`), None for a local topic.
    /// Identity: the topic itself (except heartbeat-like names).
    pub(crate) fn upstream_topic(&self, topic: &str) -> Option<String> {
        if self.identity_alias(topic).is_some() {
            return Some(topic.to_string());
        }
        let source = self.topic_source(topic)?;
        topic
            .get(source.len() + self.separator().len()..)
            .map(str::to_string)
    }

    /// `originalTopic`: follows `upstream_topic` until it is None or unchanged.
    pub(crate) fn original_topic(&self, topic: &str) -> String {
        let mut current = topic.to_string();
        loop {
            match self.upstream_topic(&current) {
                Some(up) if up != current => current = up,
                _ => return current,
            }
        }
    }

    /// `heartbeatsTopic()`: always `heartbeats`.
    pub(crate) fn heartbeats_topic(&self) -> &'static str {
        HEARTBEATS_TOPIC
    }

    /// `isHeartbeatsTopic`: the original name is `heartbeats` (`heartbeats`, `A.heartbeats`, ...).
    pub(crate) fn is_heartbeats_topic(&self, topic: &str) -> bool {
        self.original_topic(topic) == HEARTBEATS_TOPIC
    }

    /// `offsetSyncsTopic(cluster)`: `mm2-offset-syncs<isep><cluster><isep>internal`.
    pub(crate) fn offset_syncs_topic(&self, cluster: &str) -> String {
        let isep = self.internal_separator();
        format!("mm2-offset-syncs{isep}{cluster}{isep}internal")
    }

    /// `checkpointsTopic(cluster)`: `<cluster><isep>checkpoints<isep>internal`.
    pub(crate) fn checkpoints_topic(&self, cluster: &str) -> String {
        let isep = self.internal_separator();
        format!("{cluster}{isep}checkpoints{isep}internal")
    }

    /// `isCheckpointsTopic`: ends with `<isep>checkpoints<isep>internal`.
    #[cfg(test)]
    pub(crate) fn is_checkpoints_topic(&self, topic: &str) -> bool {
        let isep = self.internal_separator();
        topic.ends_with(&format!("{isep}checkpoints{isep}internal"))
    }

    /// `isMM2InternalTopic`: ends with `<isep>internal`.
    pub(crate) fn is_mm2_internal_topic(&self, topic: &str) -> bool {
        topic.ends_with(&format!("{}internal", self.internal_separator()))
    }

    /// `isInternalTopic`: MM2-internal, or starts with `__` or `.`, or ends with `-internal` or
    /// `.internal`. Such topics are never replicated.
    pub(crate) fn is_internal_topic(&self, topic: &str) -> bool {
        self.is_mm2_internal_topic(topic)
            || topic.starts_with("__")
            || topic.starts_with('.')
            || topic.ends_with("-internal")
            || topic.ends_with(".internal")
    }

    /// `MirrorSourceConnector.isCycle`: replicating `topic` to `target_alias` would send it back to a
    /// cluster it already came from.
    pub(crate) fn is_cycle(&self, topic: &str, target_alias: &str) -> bool {
        let mut current = topic.to_string();
        loop {
            let Some(source) = self.topic_source(&current) else {
                return false;
            };
            if source == target_alias {
                return true;
            }
            match self.upstream_topic(&current) {
                Some(up) if up != current => current = up,
                _ => return false,
            }
        }
    }

    /// `MirrorSourceConnector.shouldReplicateTopic`: `(filter matches OR heartbeats topic) AND NOT
    /// internal AND NOT cycle`. Heartbeat topics bypass the include/exclude filter.
    pub(crate) fn should_replicate_topic(
        &self,
        filter: &TopicFilter,
        topic: &str,
        target_alias: &str,
    ) -> bool {
        (filter.matches(topic) || self.is_heartbeats_topic(topic))
            && !self.is_internal_topic(topic)
            && !self.is_cycle(topic, target_alias)
    }
}

fn internal_sep(separator: &str, enabled: bool) -> String {
    if enabled {
        separator.to_string()
    } else {
        ".".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dflt() -> ReplicationPolicy {
        ReplicationPolicy::default()
    }

    /// `DefaultReplicationPolicy`'s worked cases.
    #[test]
    fn default_policy_worked_cases() {
        let p = dflt();
        assert_eq!(p.format_remote_topic("A", "t1"), "A.t1");
        let cases: &[(&str, Option<&str>, Option<&str>, &str)] = &[
            ("A.t1", Some("A"), Some("t1"), "t1"),
            ("A.topic1", Some("A"), Some("topic1"), "topic1"),
            ("B.A.topic1", Some("B"), Some("A.topic1"), "topic1"),
            ("B.A.t1", Some("B"), Some("A.t1"), "t1"),
            (".hidden", Some(""), Some("hidden"), "hidden"),
            ("a.", None, None, "a."),
            ("A.b.", Some("A"), Some("b."), "b."),
            ("a..b", Some("a"), Some(".b"), "b"),
            ("orders.v1", Some("orders"), Some("v1"), "v1"),
            ("topic1", None, None, "topic1"),
            ("..", None, None, ".."),
            ("", None, None, ""),
        ];
        for &(t, src, up, orig) in cases {
            assert_eq!(p.topic_source(t).as_deref(), src, "topicSource({t})");
            assert_eq!(p.upstream_topic(t).as_deref(), up, "upstreamTopic({t})");
            assert_eq!(p.original_topic(t), orig, "originalTopic({t})");
        }
    }

    #[test]
    fn internal_topics_vector_5() {
        let p = dflt();
        for t in [
            "__consumer_offsets",
            ".x",
            "mm2-offsets.C.internal",
            "mm2-offsets-C-internal",
        ] {
            assert!(p.is_internal_topic(t), "{t} is internal");
        }
        assert!(!p.is_internal_topic("mm2-offsets_C_internal"));
        assert!(p.is_mm2_internal_topic("mm2-offset-syncs.B.internal"));
        assert!(!p.is_mm2_internal_topic("x-internal"));
        assert!(p.is_checkpoints_topic("A.checkpoints.internal"));
    }

    /// `DefaultReplicationPolicy` with other separators.
    #[test]
    fn custom_separator_vector_6() {
        let p = ReplicationPolicy::default_with("__", true);
        assert_eq!(p.offset_syncs_topic("B"), "mm2-offset-syncs__B__internal");
        assert_eq!(p.checkpoints_topic("A"), "A__checkpoints__internal");
        assert_eq!(p.format_remote_topic("A", "t1"), "A__t1");
        assert_eq!(p.topic_source("A__t1").as_deref(), Some("A"));
        assert_eq!(p.upstream_topic("A__t1").as_deref(), Some("t1"));
        assert!(p.is_mm2_internal_topic("mm2-offset-syncs__B__internal"));
        let p = ReplicationPolicy::default_with("__", false);
        assert_eq!(p.offset_syncs_topic("B"), "mm2-offset-syncs.B.internal");
        assert_eq!(p.checkpoints_topic("A"), "A.checkpoints.internal");
        assert_eq!(p.format_remote_topic("A", "t1"), "A__t1");
        let p = dflt();
        assert_eq!(p.offset_syncs_topic("B"), "mm2-offset-syncs.B.internal");
        assert_eq!(p.checkpoints_topic("A"), "A.checkpoints.internal");
        assert_eq!(p.heartbeats_topic(), "heartbeats");
    }

    #[test]
    fn java_split_with_multichar_separator() {
        let p = ReplicationPolicy::default_with("__", true);
        // Non-overlapping left-to-right matches, like Java's regex split.
        assert_eq!(p.topic_source("a___b").as_deref(), Some("a"));
        assert_eq!(p.upstream_topic("a___b").as_deref(), Some("_b"));
        assert_eq!(p.topic_source("a__").as_deref(), None);
    }

    #[test]
    fn heartbeats_topics() {
        let p = dflt();
        assert!(p.is_heartbeats_topic("heartbeats"));
        assert!(p.is_heartbeats_topic("A.heartbeats"));
        assert!(p.is_heartbeats_topic("B.A.heartbeats"));
        assert!(!p.is_heartbeats_topic("my-heartbeats"));
    }

    /// Which topics the default policy replicates.
    #[test]
    fn cycles_default_policy() {
        let p = dflt();
        let all = TopicFilter::parse(".*", "").unwrap();
        for t in [
            "target.topic1",
            "target.source.topic1",
            "source.target.topic1",
        ] {
            assert!(p.is_cycle(t, "target"), "{t} is a cycle");
            assert!(!p.should_replicate_topic(&all, t, "target"), "{t} refused");
        }
        for t in ["topic1", "source.topic1"] {
            assert!(!p.is_cycle(t, "target"), "{t} no cycle");
            assert!(
                p.should_replicate_topic(&all, t, "target"),
                "{t} replicated"
            );
        }
    }

    /// Which topics the identity policy replicates.
    #[test]
    fn identity_policy_vector_7() {
        let p = ReplicationPolicy::identity_with("source", ".", true);
        let all = TopicFilter::parse(".*", "").unwrap();
        assert_eq!(p.format_remote_topic("source", "topic1"), "topic1");
        assert_eq!(
            p.format_remote_topic("source", "heartbeats"),
            "source.heartbeats"
        );
        assert_eq!(p.topic_source("target.topic1").as_deref(), Some("source"));
        assert_eq!(
            p.upstream_topic("target.topic1").as_deref(),
            Some("target.topic1")
        );
        assert_eq!(p.original_topic("target.topic1"), "target.topic1");
        assert!(p.should_replicate_topic(&all, "target.topic1", "target"));
        assert!(!p.should_replicate_topic(&all, "target.heartbeats", "target"));
        assert!(!p.should_replicate_topic(&all, "source.target.heartbeats", "target"));
        assert!(p.should_replicate_topic(&all, "heartbeats", "target"));
        assert!(p.should_replicate_topic(&all, "othersource.heartbeats", "target"));
        assert_eq!(p.class_name(), IDENTITY_POLICY_CLASS);
    }

    /// Heartbeats bypass the filter, internal topics never pass.
    #[test]
    fn heartbeats_bypass_filter_internal_never() {
        let p = dflt();
        let foo = TopicFilter::parse("foo", "").unwrap();
        assert!(p.should_replicate_topic(&foo, "heartbeats", "target"));
        assert!(p.should_replicate_topic(&foo, "source.heartbeats", "target"));
        assert!(p.should_replicate_topic(&foo, "foo", "target"));
        assert!(!p.should_replicate_topic(&foo, "bar", "target"));
        let all = TopicFilter::parse(".*", "").unwrap();
        for t in [
            "__consumer_offsets",
            "mm2-offsets.A.internal",
            "x-internal",
            ".hidden",
        ] {
            assert!(!p.should_replicate_topic(&all, t, "target"), "{t}");
        }
        let mm2 = TopicFilter::mm2_default_topics();
        assert!(p.should_replicate_topic(&mm2, "heartbeats", "target"));
        let none = TopicFilter::parse("", "").unwrap();
        assert!(p.should_replicate_topic(&none, "heartbeats", "target"));
        assert!(!p.should_replicate_topic(&none, "orders", "target"));
    }
}
