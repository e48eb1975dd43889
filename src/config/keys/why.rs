//! Why a key has no effect in strait: the reasons shown at start-up, by `strait check` and in
//! the key reference.

/// `heartbeats.topic.*` and `checkpoints.topic.*` beyond the replication factor.
pub(crate) const INTERNAL_TOPIC_CONFIG: &str = "MM2 3.9 has no such key: it creates its internal topics with `cleanup.policy=compact` and the replication factor only, and so does strait";
/// `ssl.protocol`: rustls picks the version.
pub(crate) const SSL_PROTOCOL: &str =
    "strait negotiates the highest of the ssl.enabled.protocols versions (TLSv1.2, TLSv1.3)";
/// `ssl.cipher.suites`: rustls has its own suites.
pub(crate) const SSL_CIPHERS: &str =
    "strait uses rustls' own cipher suites (all modern AEAD suites); the list is not applied";
/// `sasl.kerberos.*`.
pub(crate) const KERBEROS: &str = "Kerberos (GSSAPI) is not supported by strait";
/// Broker-side `sasl.oauthbearer.*` validation keys.
pub(crate) const OAUTHBEARER: &str = "broker-side token validation (JWKS, issuer, audience, clock skew, scope): strait, a client, checks only a token's `exp` and subject claims, as Kafka's client does";
/// Java `sasl.login.*` tuning.
pub(crate) const SASL_LOGIN: &str =
    "Java login tuning: strait replaces an OAUTHBEARER token at sasl.login.refresh.window.factor of its lifetime and retries a failed login with the connection's backoff";
/// Java security-provider keys (`ssl.provider`, managers, engine factory).
pub(crate) const JAVA_SECURITY: &str =
    "Java security-provider setting; strait uses rustls with its own verifier and key handling";
/// A client key written bare at flow level, where MM2 does not read it.
pub(crate) const FLOW_CLIENT_KEY: &str = "at flow level MM2 does not pass this client key to its clients; use `<source>-><target>.source.consumer.<key>`, `<alias>.<key>` and the like";
/// Kafka Connect runtime keys.
pub(crate) const CONNECT: &str = "Kafka Connect runtime setting; strait has no Connect runtime";
/// Connect worker keys that act in `strait connect` only.
pub(crate) const CONNECT_WORKER: &str = "a Connect worker key: `strait connect` keeps its connectors' configs, target states and statuses there (docs/connect.md); dedicated mode has no such topics";
/// Java metrics and JMX keys.
pub(crate) const METRICS: &str = "Java metrics-reporter/JMX setting; strait serves Prometheus metrics with `strait run --metrics-listen ADDR` instead (windows fixed at Kafka's defaults, 2 samples of 30 s; see docs/metrics.md)";
/// `add.source.alias.to.metrics`.
pub(crate) const SOURCE_ALIAS_METRICS: &str =
    "strait's metrics always carry the `source` label (MM2 4.0's behaviour); see docs/metrics.md";
/// Client keys the data path does not need.
pub(crate) const NO_EFFECT: &str =
    "accepted for compatibility; strait's data path does not need it";
/// `batch.size`: batches are forwarded as fetched.
pub(crate) const BATCH_SIZE: &str =
    "strait forwards fetched record batches as they are (small waiting ones joined, up to 256 KiB: `strait.batch.join.enabled`), so there is no batching to size";
/// `max.poll.records`: there is no poll loop.
pub(crate) const MAX_POLL_RECORDS: &str =
    "strait forwards whole fetched batches, there is no poll loop to bound";
/// Any other key under a client prefix.
pub(crate) const CLIENT_OTHER: &str = "client setting strait does not use";
/// `consumer.*`, `producer.*`, `admin.*` at top level, which MM2 does not apply.
pub(crate) const TOP_LEVEL_CLIENT: &str = "MM2 does not apply top-level client keys; use `<alias>.consumer.<key>`, `<alias>.producer.<key>`, `<alias>.admin.<key>` or `<source>-><target>.<...>`";
/// `offset.flush.interval.ms` at top level.
pub(crate) const TOP_LEVEL_FLUSH: &str = "MM2 does not apply a top-level offset.flush.interval.ms to its herders; set `<target>.offset.flush.interval.ms`";
/// `producer.override.*` at top level.
pub(crate) const TOP_LEVEL_OVERRIDE: &str =
    "MM2 drops top-level producer.override.*; set `<source>-><target>.producer.override.<key>`";
/// A cluster-level key that only the Connect worker reads.
pub(crate) const CLUSTER_NON_CLIENT: &str =
    "cluster-level key that MM2 passes only to the Connect worker; strait does not use it";
/// A connector key strait does not use.
pub(crate) const FLOW_OTHER: &str = "connector setting strait does not use";
/// Any `A->A.` key.
pub(crate) const SELF_FLOW: &str = "a cluster never replicates to itself; MM2 ignores this flow";
/// A key MM2 does not know.
pub(crate) const UNKNOWN: &str = "unknown key; MM2 ignores it";
