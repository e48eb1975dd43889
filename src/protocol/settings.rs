//! [`ConnectionSettings`]: how the wire layer reaches one cluster. The config layer fills it from
//! the operator's keys with a plain security spec; the security layer turns that spec into a
//! ready [`Security`] at start-up, so the type is generic over the security part.

use std::time::Duration;

use super::auth::Security;

/// How strait connects to one cluster (bootstrap list, timeouts, TLS/SASL). `S` is the security
/// part: [`Security`] (ready to use) where connections are made, the security layer's plain spec
/// where the config is resolved and compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionSettings<S = Security> {
    /// Cluster alias, for logs and errors.
    pub cluster: String,
    /// `bootstrap.servers` as `host:port` strings.
    pub bootstrap: Vec<String>,
    /// `client.id` sent in request headers.
    pub client_id: String,
    /// `request.timeout.ms` of this client (default 30000).
    pub request_timeout: Duration,
    /// `reconnect.backoff.ms` (default 50).
    pub reconnect_backoff: Duration,
    /// `reconnect.backoff.max.ms` (default 1000).
    pub reconnect_backoff_max: Duration,
    /// `retry.backoff.ms` (default 100).
    pub retry_backoff: Duration,
    /// `retry.backoff.max.ms` (default 1000).
    pub retry_backoff_max: Duration,
    /// TLS and SASL.
    pub security: S,
}

impl<S> ConnectionSettings<S> {
    /// The same settings with the security part replaced by `f`'s result (the security layer
    /// uses it to turn a spec into a ready [`Security`]).
    pub fn try_map_security<T, E>(
        &self,
        f: impl FnOnce(&S) -> Result<T, E>,
    ) -> Result<ConnectionSettings<T>, E> {
        Ok(ConnectionSettings {
            cluster: self.cluster.clone(),
            bootstrap: self.bootstrap.clone(),
            client_id: self.client_id.clone(),
            request_timeout: self.request_timeout,
            reconnect_backoff: self.reconnect_backoff,
            reconnect_backoff_max: self.reconnect_backoff_max,
            retry_backoff: self.retry_backoff,
            retry_backoff_max: self.retry_backoff_max,
            security: f(&self.security)?,
        })
    }
}
