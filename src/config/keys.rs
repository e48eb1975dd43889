//! The key catalogue: every key name MM2 (3.9) gives a meaning to, and for each whether strait acts on
//! it ("understood") or accepts it without effect ("ignored", listed once at start-up). MM2 drops
//! unknown keys silently; strait lists them too, so a typo does not go unnoticed.
//!
//! A key is located first (as `MirrorMakerConfig` reads them; docs/configuration.md): `S->T.<k>` (flow level),
//! `<alias>.<k>` (cluster level) or top level; then `<k>` is classified for that scope.

/// `MirrorClientConfig.CLIENT_CONFIG_DEF`: the keys MM2 copies from cluster level (`A.<k>`) and top
/// level into every consumer/producer/admin of a cluster (`clusterProps`).
pub(crate) const CLIENT_KEYS: &[&str] = &[
    "bootstrap.servers",
    "security.protocol",
    // SslConfigs.addClientSslSupport
    "ssl.protocol",
    "ssl.provider",
    "ssl.cipher.suites",
    "ssl.enabled.protocols",
    "ssl.keystore.type",
    "ssl.keystore.location",
    "ssl.keystore.password",
    "ssl.key.password",
    "ssl.keystore.key",
    "ssl.keystore.certificate.chain",
    "ssl.truststore.certificates",
    "ssl.truststore.type",
    "ssl.truststore.location",
    "ssl.truststore.password",
    "ssl.keymanager.algorithm",
    "ssl.trustmanager.algorithm",
    "ssl.endpoint.identification.algorithm",
    "ssl.secure.random.implementation",
    "ssl.engine.factory.class",
    // SaslConfigs.addClientSaslSupport
    "sasl.kerberos.service.name",
    "sasl.kerberos.kinit.cmd",
    "sasl.kerberos.ticket.renew.window.factor",
    "sasl.kerberos.ticket.renew.jitter",
    "sasl.kerberos.min.time.before.relogin",
    "sasl.login.refresh.window.factor",
    "sasl.login.refresh.window.jitter",
    "sasl.login.refresh.min.period.seconds",
    "sasl.login.refresh.buffer.seconds",
    "sasl.mechanism",
    "sasl.jaas.config",
    "sasl.client.callback.handler.class",
    "sasl.login.callback.handler.class",
    "sasl.login.class",
    "sasl.login.connect.timeout.ms",
    "sasl.login.read.timeout.ms",
    "sasl.login.retry.backoff.max.ms",
    "sasl.login.retry.backoff.ms",
    "sasl.oauthbearer.scope.claim.name",
    "sasl.oauthbearer.sub.claim.name",
    "sasl.oauthbearer.token.endpoint.url",
    "sasl.oauthbearer.jwks.endpoint.url",
    "sasl.oauthbearer.jwks.endpoint.refresh.ms",
    "sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms",
    "sasl.oauthbearer.jwks.endpoint.retry.backoff.ms",
    "sasl.oauthbearer.clock.skew.seconds",
    "sasl.oauthbearer.expected.audience",
    "sasl.oauthbearer.expected.issuer",
];

/// Union of the key names of `MirrorSourceConfig`, `MirrorCheckpointConfig` and
/// `MirrorHeartbeatConfig`, each including Connect's `ConnectorConfig` keys and the CLIENT_KEYS.
/// Only these top-level keys reach the connector configs.
pub(crate) const CONNECTOR_KEYS: &[&str] = &[
    // Connect ConnectorConfig
    "name",
    "connector.class",
    "tasks.max",
    "tasks.max.enforce",
    "key.converter",
    "value.converter",
    "header.converter",
    "transforms",
    "predicates",
    "config.action.reload",
    "errors.retry.timeout",
    "errors.retry.delay.max.ms",
    "errors.tolerance",
    "errors.log.enable",
    "errors.log.include.messages",
    // MirrorConnectorConfig
    "enabled",
    "source.cluster.alias",
    "target.cluster.alias",
    "replication.policy.class",
    "replication.policy.separator",
    "replication.policy.internal.topic.separator.enabled",
    "admin.timeout.ms",
    "forwarding.admin.class",
    "metric.reporters",
    "auto.include.jmx.reporter",
    // MirrorSourceConfig
    "topics",
    "topics.exclude",
    "topics.blacklist",
    "topic.filter.class",
    "config.properties.exclude",
    "config.properties.blacklist",
    "config.property.filter.class",
    "consumer.poll.timeout.ms",
    "refresh.topics.enabled",
    "refresh.topics.interval.seconds",
    "sync.topic.configs.enabled",
    "sync.topic.configs.interval.seconds",
    "sync.topic.acls.enabled",
    "sync.topic.acls.interval.seconds",
    "replication.factor",
    "offset-syncs.topic.replication.factor",
    "offset-syncs.topic.location",
    "offset.lag.max",
    "emit.offset-syncs.enabled",
    "use.incremental.alter.configs",
    "add.source.alias.to.metrics",
    // MirrorCheckpointConfig
    "groups",
    "groups.exclude",
    "groups.blacklist",
    "group.filter.class",
    "refresh.groups.enabled",
    "refresh.groups.interval.seconds",
    "emit.checkpoints.enabled",
    "emit.checkpoints.interval.seconds",
    "sync.group.offsets.enabled",
    "sync.group.offsets.interval.seconds",
    "checkpoints.topic.replication.factor",
    // MirrorHeartbeatConfig
    "emit.heartbeats.enabled",
    "emit.heartbeats.interval.seconds",
    "heartbeats.topic.replication.factor",
];

/// Top-level key prefixes MM2 copies into each herder's worker config.
pub(crate) const WORKER_PREFIXES: &[&str] = &[
    "offset.storage",
    "config.storage",
    "status.storage",
    "key.converter",
    "value.converter",
    "header.converter",
    "task",
    "worker",
    "replication.policy",
];

/// `config.providers` and its `config.providers.<name>.*` keys.
pub(crate) const CONFIG_PROVIDERS: &str = "config.providers";

/// Connector keys strait acts on (at top level or `S->T.` level).
const UNDERSTOOD_CONNECTOR_KEYS: &[&str] = &[
    "enabled",
    "topics",
    "topics.exclude",
    "topics.blacklist",
    "topic.filter.class",
    "config.properties.exclude",
    "config.properties.blacklist",
    "config.property.filter.class",
    "replication.factor",
    "tasks.max",
    "refresh.topics.enabled",
    "refresh.topics.interval.seconds",
    "replication.policy.class",
    "replication.policy.separator",
    "replication.policy.internal.topic.separator.enabled",
    "offset-syncs.topic.replication.factor",
    "offset-syncs.topic.location",
    "offset.lag.max",
    "emit.offset-syncs.enabled",
    "groups",
    "groups.exclude",
    "groups.blacklist",
    "group.filter.class",
    "refresh.groups.enabled",
    "refresh.groups.interval.seconds",
    "emit.checkpoints.enabled",
    "emit.checkpoints.interval.seconds",
    "sync.group.offsets.enabled",
    "sync.group.offsets.interval.seconds",
    "checkpoints.topic.replication.factor",
    // heartbeats (`MirrorHeartbeatConfig`)
    "emit.heartbeats.enabled",
    "emit.heartbeats.interval.seconds",
    "heartbeats.topic.replication.factor",
];

/// Whether a connector key is one strait acts on.
fn is_understood_connector_key(key: &str) -> bool {
    UNDERSTOOD_CONNECTOR_KEYS.contains(&key)
}

/// Worker keys strait acts on (given as `T.<k>`; the `offset.storage.*` ones also at top level).
const UNDERSTOOD_WORKER_KEYS: &[&str] = &[
    "offset.storage.topic",
    "offset.storage.partitions",
    "offset.storage.replication.factor",
    "offset.flush.interval.ms",
];

/// Kafka client kinds, as in MM2's `consumer.`/`producer.`/`admin.` prefixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClientKind {
    /// A consumer (strait: the source fetcher).
    Consumer,
    /// A producer (strait: the target data producer).
    Producer,
    /// An admin client (strait: metadata and topic creation).
    Admin,
}

impl ClientKind {
    /// The MM2 key prefix without the dot.
    pub(crate) fn prefix(self) -> &'static str {
        match self {
            ClientKind::Consumer => "consumer",
            ClientKind::Producer => "producer",
            ClientKind::Admin => "admin",
        }
    }
}

/// Client keys shared by every kind that strait acts on.
const UNDERSTOOD_COMMON_CLIENT_KEYS: &[&str] = &[
    "bootstrap.servers",
    "security.protocol",
    "client.id",
    "request.timeout.ms",
    "reconnect.backoff.ms",
    "reconnect.backoff.max.ms",
    "retry.backoff.ms",
    "retry.backoff.max.ms",
];

/// TLS/SASL client keys strait acts on (read in `config/security`).
const HONOURED_SECURITY_KEYS: &[&str] = &[
    "security.protocol",
    "ssl.truststore.type",
    "ssl.truststore.location",
    "ssl.truststore.password",
    "ssl.truststore.certificates",
    "ssl.keystore.type",
    "ssl.keystore.location",
    "ssl.keystore.password",
    "ssl.key.password",
    "ssl.keystore.key",
    "ssl.keystore.certificate.chain",
    "ssl.endpoint.identification.algorithm",
    "ssl.enabled.protocols",
    "sasl.mechanism",
    "sasl.jaas.config",
    "sasl.login.callback.handler.class",
    "sasl.login.connect.timeout.ms",
    "sasl.login.read.timeout.ms",
    "sasl.login.refresh.window.factor",
    "sasl.oauthbearer.token.endpoint.url",
    "sasl.oauthbearer.sub.claim.name",
];

/// Whether strait acts on a CLIENT_KEY (`ssl.*`, `sasl.*`, ...) given where clients read it, and why
/// not when it does not.
pub(crate) fn classify_security_key(key: &str) -> KeyClass {
    if key == "bootstrap.servers" || HONOURED_SECURITY_KEYS.contains(&key) {
        KeyClass::Understood
    } else if key == "ssl.protocol" {
        KeyClass::Ignored(why::SSL_PROTOCOL)
    } else if key == "ssl.cipher.suites" {
        KeyClass::Ignored(why::SSL_CIPHERS)
    } else if key.starts_with("sasl.kerberos.") {
        KeyClass::Ignored(why::KERBEROS)
    } else if key.starts_with("sasl.oauthbearer.") {
        KeyClass::Ignored(why::OAUTHBEARER)
    } else if key.starts_with("sasl.login.") {
        KeyClass::Ignored(why::SASL_LOGIN)
    } else {
        KeyClass::Ignored(why::JAVA_SECURITY)
    }
}

/// True when strait acts on client key `key` for clients of `kind`.
pub(crate) fn client_key_understood(kind: ClientKind, key: &str) -> bool {
    if UNDERSTOOD_COMMON_CLIENT_KEYS.contains(&key) || HONOURED_SECURITY_KEYS.contains(&key) {
        return true;
    }
    let specific: &[&str] = match kind {
        ClientKind::Consumer => &[
            "fetch.max.wait.ms",
            "fetch.min.bytes",
            "fetch.max.bytes",
            "max.partition.fetch.bytes",
            "isolation.level",
            "auto.offset.reset",
        ],
        ClientKind::Producer => &["acks", "max.request.size", "linger.ms", "buffer.memory"],
        ClientKind::Admin => &[],
    };
    specific.contains(&key)
}

/// True for a `MirrorClientConfig` CLIENT_KEY.
pub(crate) fn is_client_key(key: &str) -> bool {
    CLIENT_KEYS.contains(&key)
}

/// True for a key defined by one of the three MM2 connector ConfigDefs.
pub(crate) fn is_connector_key(key: &str) -> bool {
    CONNECTOR_KEYS.contains(&key) || CLIENT_KEYS.contains(&key)
}

/// True for `config.providers` and `config.providers.*`.
pub(crate) fn is_config_provider_key(key: &str) -> bool {
    key.starts_with(CONFIG_PROVIDERS)
}

/// Whether strait acts on a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyClass {
    /// strait reads and applies it.
    Understood,
    /// Accepted without effect; the reason is shown in the start-up log line.
    Ignored(&'static str),
}

/// Why-strings for ignored keys (shown at start-up).
mod why {
    pub(super) const INTERNAL_TOPIC_CONFIG: &str = "MM2 3.9 has no such key: it creates its internal topics with `cleanup.policy=compact` and the replication factor only, and so does strait";
    pub(super) const SSL_PROTOCOL: &str =
        "strait negotiates the highest of the ssl.enabled.protocols versions (TLSv1.2, TLSv1.3)";
    pub(super) const SSL_CIPHERS: &str =
        "strait uses rustls' own cipher suites (all modern AEAD suites); the list is not applied";
    pub(super) const KERBEROS: &str = "Kerberos (GSSAPI) is not supported by strait";
    pub(super) const OAUTHBEARER: &str = "broker-side token validation (JWKS, issuer, audience, clock skew, scope): strait, a client, checks only a token's `exp` and subject claims, as Kafka's client does";
    pub(super) const SASL_LOGIN: &str =
        "Java login tuning: strait replaces an OAUTHBEARER token at sasl.login.refresh.window.factor of its lifetime and retries a failed login with the connection's backoff";
    pub(super) const JAVA_SECURITY: &str =
        "Java security-provider setting; strait uses rustls with its own verifier and key handling";
    pub(super) const FLOW_CLIENT_KEY: &str = "at flow level MM2 does not pass this client key to its clients; use `<source>-><target>.source.consumer.<key>`, `<alias>.<key>` and the like";
    pub(super) const TOPIC_SYNC: &str = "topic config and ACL sync are not built yet";
    pub(super) const CONNECT: &str = "Kafka Connect runtime setting; strait has no Connect runtime";
    pub(super) const METRICS: &str = "Java metrics-reporter/JMX setting; strait serves Prometheus metrics with `strait run --metrics-listen ADDR` instead (windows fixed at Kafka's defaults, 2 samples of 30 s; see docs/metrics.md)";
    pub(super) const SOURCE_ALIAS_METRICS: &str = "strait's metrics always carry the `source` label (MM2 4.0's behaviour); see docs/metrics.md";
    pub(super) const NO_EFFECT: &str =
        "accepted for compatibility; strait's data path does not need it";
    pub(super) const BATCH_SIZE: &str =
        "strait forwards fetched record batches as they are, so there is no batching to size";
    pub(super) const MAX_POLL_RECORDS: &str =
        "strait forwards whole fetched batches, there is no poll loop to bound";
    pub(super) const CLIENT_OTHER: &str = "client setting strait does not use";
    pub(super) const TOP_LEVEL_CLIENT: &str = "MM2 does not apply top-level client keys; use `<alias>.consumer.<key>`, `<alias>.producer.<key>`, `<alias>.admin.<key>` or `<source>-><target>.<...>`";
    pub(super) const TOP_LEVEL_FLUSH: &str = "MM2 does not apply a top-level offset.flush.interval.ms to its herders; set `<target>.offset.flush.interval.ms`";
    pub(super) const TOP_LEVEL_OVERRIDE: &str =
        "MM2 drops top-level producer.override.*; set `<source>-><target>.producer.override.<key>`";
    pub(super) const CLUSTER_NON_CLIENT: &str =
        "cluster-level key that MM2 passes only to the Connect worker; strait does not use it";
    pub(super) const FLOW_OTHER: &str = "connector setting strait does not use";
    pub(super) const SELF_FLOW: &str =
        "a cluster never replicates to itself; MM2 ignores this flow";
    pub(super) const UNKNOWN: &str = "unknown key; MM2 ignores it";
}

/// Classifies a top-level key (no alias prefix). `None` means "not a key MM2 knows at top level".
pub(crate) fn classify_top_level(key: &str) -> Option<KeyClass> {
    use KeyClass::{Ignored, Understood};
    if key == "clusters" || key == "bootstrap.servers" || key == "security.protocol" {
        return Some(Understood);
    }
    if is_understood_connector_key(key) {
        return Some(Understood);
    }
    if UNDERSTOOD_WORKER_KEYS.contains(&key) && key != "offset.flush.interval.ms" {
        return Some(Understood);
    }
    if key == "offset.flush.interval.ms" {
        return Some(Ignored(why::TOP_LEVEL_FLUSH));
    }
    if is_client_key(key) {
        return Some(classify_security_key(key));
    }
    if is_config_provider_key(key) {
        return Some(Understood);
    }
    if key.starts_with("producer.override.") {
        return Some(Ignored(why::TOP_LEVEL_OVERRIDE));
    }
    if is_connector_key(key) {
        return Some(Ignored(connector_key_reason(key)));
    }
    if key.starts_with("consumer.") || key.starts_with("producer.") || key.starts_with("admin.") {
        return Some(Ignored(why::TOP_LEVEL_CLIENT));
    }
    if WORKER_PREFIXES.iter().any(|p| key.starts_with(p)) {
        return Some(Ignored(why::CONNECT));
    }
    const CONNECT_KEYS: &[&str] = &[
        "dedicated.mode.enable.internal.rest",
        "listeners",
        "admin.listeners",
        "group.id",
        "client.id",
        "exactly.once.source.support",
        "exactly.once.support",
        "transaction.boundary",
        "use.defaults.from",
        "plugin.path",
        "plugin.discovery",
        "connector.client.config.override.policy",
        "scheduled.rebalance.max.delay.ms",
        "session.timeout.ms",
        "heartbeat.interval.ms",
        "rebalance.timeout.ms",
        "access.control.allow.origin",
        "access.control.allow.methods",
        "response.http.headers.config",
        "topic.creation.enable",
        "inter.worker.key.generation.algorithm",
    ];
    if CONNECT_KEYS.contains(&key)
        || key.starts_with("rest.")
        || key.starts_with("listeners.")
        || key.starts_with("inter.worker.")
        || key.starts_with("transforms.")
        || key.starts_with("predicates.")
        || key.starts_with("errors.")
    {
        return Some(Ignored(why::CONNECT));
    }
    if key.starts_with("metric") || key.starts_with("metrics.") {
        return Some(Ignored(why::METRICS));
    }
    if key.starts_with("heartbeats.topic.") || key.starts_with("checkpoints.topic.") {
        return Some(Ignored(why::INTERNAL_TOPIC_CONFIG));
    }
    None
}

/// Why a known connector key is ignored.
fn connector_key_reason(key: &str) -> &'static str {
    if key.starts_with("sync.topic.") || key == "use.incremental.alter.configs" {
        why::TOPIC_SYNC
    } else if key == "add.source.alias.to.metrics" {
        why::SOURCE_ALIAS_METRICS
    } else if key.starts_with("metric") || key.contains("jmx") {
        why::METRICS
    } else if is_client_key(key) {
        why::FLOW_CLIENT_KEY
    } else {
        match key {
            "name"
            | "connector.class"
            | "tasks.max.enforce"
            | "key.converter"
            | "value.converter"
            | "header.converter"
            | "transforms"
            | "predicates"
            | "config.action.reload"
            | "source.cluster.alias"
            | "target.cluster.alias" => why::CONNECT,
            k if k.starts_with("errors.") => why::CONNECT,
            _ => why::FLOW_OTHER,
        }
    }
}

/// Classifies `<k>` of a cluster-level key `<alias>.<k>`.
pub(crate) fn classify_cluster(rest: &str) -> KeyClass {
    use KeyClass::{Ignored, Understood};
    if rest == "bootstrap.servers" || rest == "security.protocol" {
        return Understood;
    }
    if is_client_key(rest) {
        return classify_security_key(rest);
    }
    if UNDERSTOOD_WORKER_KEYS.contains(&rest) {
        return Understood;
    }
    for kind in [
        ClientKind::Consumer,
        ClientKind::Producer,
        ClientKind::Admin,
    ] {
        if let Some(k) = rest
            .strip_prefix(kind.prefix())
            .and_then(|r| r.strip_prefix('.'))
        {
            return classify_client_key(kind, k);
        }
    }
    Ignored(why::CLUSTER_NON_CLIENT)
}

/// Classifies a client key `k` given for clients of `kind`.
fn classify_client_key(kind: ClientKind, k: &str) -> KeyClass {
    if client_key_understood(kind, k) {
        KeyClass::Understood
    } else if is_client_key(k) {
        classify_security_key(k)
    } else if k == "batch.size" {
        KeyClass::Ignored(why::BATCH_SIZE)
    } else if k == "max.poll.records" {
        KeyClass::Ignored(why::MAX_POLL_RECORDS)
    } else if matches!(
        k,
        "enable.auto.commit"
            | "key.deserializer"
            | "value.deserializer"
            | "key.serializer"
            | "value.serializer"
            | "compression.type"
            | "max.in.flight.requests.per.connection"
            | "delivery.timeout.ms"
            | "max.block.ms"
            | "enable.idempotence"
            | "retries"
            | "receive.buffer.bytes"
            | "send.buffer.bytes"
            | "connections.max.idle.ms"
            | "metadata.max.age.ms"
            | "session.timeout.ms"
            | "heartbeat.interval.ms"
            | "max.poll.interval.ms"
            | "group.id"
            | "client.rack"
            | "default.api.timeout.ms"
            | "check.crcs"
    ) {
        KeyClass::Ignored(why::NO_EFFECT)
    } else {
        KeyClass::Ignored(why::CLIENT_OTHER)
    }
}

/// Classifies `<k>` of a flow-level key `S->T.<k>` (connector level: anything is allowed there).
pub(crate) fn classify_flow(rest: &str) -> KeyClass {
    use KeyClass::{Ignored, Understood};
    if is_understood_connector_key(rest) {
        return Understood;
    }
    // Keys MM2 reads from the connector map for its clients.
    let client_prefixes: &[(&str, ClientKind)] = &[
        ("producer.override.", ClientKind::Producer),
        ("source.producer.", ClientKind::Producer),
        ("target.producer.", ClientKind::Producer),
        ("producer.", ClientKind::Producer),
        ("target.consumer.", ClientKind::Consumer),
        ("source.consumer.", ClientKind::Consumer),
        ("source.admin.", ClientKind::Admin),
        ("target.admin.", ClientKind::Admin),
        ("consumer.", ClientKind::Consumer),
        ("admin.", ClientKind::Admin),
    ];
    for (prefix, kind) in client_prefixes {
        if let Some(k) = rest.strip_prefix(prefix) {
            if *prefix == "consumer." && k == "poll.timeout.ms" {
                // `consumer.poll.timeout.ms` is a connector key, not a consumer setting.
                break;
            }
            if *prefix == "admin." && k == "timeout.ms" {
                break;
            }
            return classify_client_key(*kind, k);
        }
    }
    for cluster in ["source.cluster.", "target.cluster."] {
        if let Some(k) = rest.strip_prefix(cluster) {
            return if k == "bootstrap.servers" || k == "security.protocol" {
                Understood
            } else if is_client_key(k) {
                classify_security_key(k)
            } else {
                Ignored(why::FLOW_OTHER)
            };
        }
    }
    if rest.starts_with("consumer.override.") || rest.starts_with("admin.override.") {
        return Ignored(why::CONNECT);
    }
    if is_connector_key(rest) {
        return Ignored(connector_key_reason(rest));
    }
    match classify_top_level(rest) {
        Some(Understood) | None => Ignored(why::FLOW_OTHER),
        Some(ignored) => ignored,
    }
}

/// Why a `S->S.` key is ignored.
pub(crate) fn self_flow_reason() -> KeyClass {
    KeyClass::Ignored(why::SELF_FLOW)
}

/// Why an unknown key is ignored.
pub(crate) fn unknown_reason() -> KeyClass {
    KeyClass::Ignored(why::UNKNOWN)
}

/// True when `rest` would be a meaningful per-cluster key (`A.<rest>`): used to tell a misspelt or
/// undeclared alias (`tertiary.bootstrap.servers`) from an unknown top-level key.
pub(crate) fn is_per_cluster_key(rest: &str) -> bool {
    is_client_key(rest)
        || UNDERSTOOD_WORKER_KEYS.contains(&rest)
        || rest.starts_with("consumer.")
        || rest.starts_with("producer.")
        || rest.starts_with("admin.")
}

/// True when a key's value must never be shown in messages (passwords, secrets, JAAS configs, key
/// material).
pub(crate) fn looks_secret(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.contains("password")
        || k.contains("secret")
        || k.contains("jaas")
        || k.contains("credential")
        || k.contains("token")
        || k.ends_with("ssl.keystore.key")
        || k.ends_with("keystore.certificate.chain")
        || k.ends_with("truststore.certificates")
        || k.ends_with(".key")
        || k.contains("apikey")
        || k.contains("api.key")
        || k.contains("private")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_sizes() {
        let ssl = CLIENT_KEYS.iter().filter(|k| k.starts_with("ssl.")).count();
        assert_eq!(ssl, 19, "the 19 client ssl.* keys");
        assert!(is_connector_key("tasks.max") && is_connector_key("topics.blacklist"));
        assert!(!is_connector_key("producer.override.linger.ms"));
        assert!(!is_connector_key("exactly.once.support"));
    }

    #[test]
    fn secret_keys() {
        for k in [
            "ssl.keystore.password",
            "primary.sasl.jaas.config",
            "x.client.secret",
            "ssl.keystore.key",
            "ssl.key.password",
        ] {
            assert!(looks_secret(k), "{k}");
        }
        for k in ["fetch.min.bytes", "key.converter", "tasks.max"] {
            assert!(!looks_secret(k), "{k}");
        }
    }
}
