//! The one error type of the wire layer. Every variant names the cluster alias and, where there is
//! one, the broker and API, because a replicator talks to two clusters at once and an error that
//! does not say which one is useless in a log. Retry loops decide with [`ProtocolError::is_retriable`],
//! never by looking at message text.

use std::error::Error as StdError;
use std::sync::Arc;
use std::time::Duration;

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::ApiKey;
use kafka_protocol::protocol::VersionRange;

/// Shorthand used across the protocol layer.
pub type Result<T, E = ProtocolError> = std::result::Result<T, E>;

/// Everything that can go wrong between strait and a Kafka cluster, with enough context (cluster
/// alias, broker, API) to act on it from a log line alone.
/// Cloned to fail every request waiting on a poisoned connection with the same error; the socket
/// error is shared behind an `Arc`, since `std::io::Error` itself is not `Clone`.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ProtocolError {
    /// The socket failed (connect refused, reset, broken pipe, EOF in the middle of a frame).
    #[error("cluster {cluster}: I/O error with broker {broker}: {source}")]
    Io {
        /// Cluster alias.
        cluster: String,
        /// `host:port` (or broker id) of the peer.
        broker: String,
        /// The underlying socket error (shared by the clones handed to every waiter).
        #[source]
        source: Arc<std::io::Error>,
    },

    /// No answer within the request timeout (or the TCP connect timeout). The connection it happened
    /// on is closed, as the Java client does, because a late answer would be unmatched anyway.
    #[error("cluster {cluster}: {api:?} to broker {broker} timed out after {after:?}")]
    Timeout {
        /// Cluster alias.
        cluster: String,
        /// `host:port` of the broker.
        broker: String,
        /// The request that timed out.
        api: ApiKey,
        /// How long we waited.
        after: Duration,
    },

    /// The broker answered with an error code. `context` says what the request was about (topic,
    /// partition, the broker's own error message) so that the code alone is never all we have.
    #[error("cluster {cluster}: {api:?} failed with {code} (code {}): {context}", code.code())]
    Broker {
        /// Cluster alias.
        cluster: String,
        /// The request that failed.
        api: ApiKey,
        /// The broker's error code.
        code: ResponseError,
        /// What the request was about, plus the broker's error message if it sent one.
        context: String,
    },

    /// We and the broker share no version of an API.
    #[error(
        "cluster {cluster}: broker {broker} supports {api:?} versions {theirs}, strait supports {ours}"
    )]
    UnsupportedVersion {
        /// Cluster alias.
        cluster: String,
        /// `host:port` of the broker.
        broker: String,
        /// The API in question.
        api: ApiKey,
        /// What strait can speak (crate range intersected with our caps).
        ours: VersionRange,
        /// What the broker advertised in ApiVersions (empty when it does not know the API).
        theirs: VersionRange,
    },

    /// A request could not be encoded or a response could not be decoded. A decode failure means we
    /// lost track of the byte stream, so the connection is closed.
    #[error("cluster {cluster}: {api:?} codec error with broker {broker}: {message}")]
    Codec {
        /// Cluster alias.
        cluster: String,
        /// `host:port` of the broker.
        broker: String,
        /// The API being encoded or decoded.
        api: ApiKey,
        /// What the codec reported.
        message: String,
    },

    /// The connection was closed (by the peer, or poisoned by an earlier failure) before an answer
    /// arrived.
    #[error("cluster {cluster}: connection to broker {broker} is closed")]
    ConnectionClosed {
        /// Cluster alias.
        cluster: String,
        /// `host:port` of the broker.
        broker: String,
    },

    /// Every known broker and bootstrap address was tried and none answered.
    #[error(
        "cluster {cluster}: no broker reachable (tried {tried:?}); last error: {}",
        last.as_deref().map_or_else(|| "no broker address known".to_string(), |e| e.to_string())
    )]
    NoBrokerReachable {
        /// Cluster alias.
        cluster: String,
        /// The addresses tried, in order.
        tried: Vec<String>,
        /// The last failure (it was retriable, or we would have stopped earlier); `None` when no
        /// address was known at all. Kept whole, not as text, so that callers can inspect it; it
        /// is part of this error's message rather than its `source`, since logs print messages.
        last: Option<Box<ProtocolError>>,
    },

    /// TLS or SASL authentication with a broker failed (untrusted or expired certificate, hostname
    /// mismatch, client certificate refused, unknown mechanism, wrong user name or password). The
    /// message names the cause and never contains a secret. Retriable: the broker, its certificate
    /// or the user may be fixed while strait waits, so callers back off and try again instead of
    /// exiting in a crash loop.
    #[error("cluster {cluster}: authentication with broker {broker} failed: {message}")]
    Authentication {
        /// Cluster alias.
        cluster: String,
        /// `host:port` of the broker.
        broker: String,
        /// The cause, explained.
        message: String,
    },

    /// A broker id that the current metadata does not list.
    #[error("cluster {cluster}: broker id {id} is not in the cluster metadata")]
    UnknownBroker {
        /// Cluster alias.
        cluster: String,
        /// The broker id asked for.
        id: i32,
    },
}

impl ProtocolError {
    /// Whether trying again (after a backoff, maybe after refreshing metadata or reconnecting) can
    /// succeed. Transport failures are retriable; broker codes follow Kafka's own retriable flag.
    /// Decided on the variant and the typed code only: no message text is inspected.
    pub fn is_retriable(&self) -> bool {
        match self {
            ProtocolError::Io { .. }
            | ProtocolError::Timeout { .. }
            | ProtocolError::ConnectionClosed { .. }
            | ProtocolError::NoBrokerReachable { .. } => true,
            // A broker id may be missing only because our metadata is older than the caller's.
            ProtocolError::UnknownBroker { .. } => true,
            ProtocolError::Authentication { .. } => true,
            ProtocolError::Broker { code, .. } => code.is_retriable(),
            ProtocolError::UnsupportedVersion { .. } | ProtocolError::Codec { .. } => false,
        }
    }

    /// The broker error code, if this is a broker-reported error.
    pub fn code(&self) -> Option<ResponseError> {
        match self {
            ProtocolError::Broker { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// The cluster alias this error is about.
    pub fn cluster(&self) -> &str {
        match self {
            ProtocolError::Io { cluster, .. }
            | ProtocolError::Timeout { cluster, .. }
            | ProtocolError::Broker { cluster, .. }
            | ProtocolError::UnsupportedVersion { cluster, .. }
            | ProtocolError::Codec { cluster, .. }
            | ProtocolError::ConnectionClosed { cluster, .. }
            | ProtocolError::NoBrokerReachable { cluster, .. }
            | ProtocolError::UnknownBroker { cluster, .. }
            | ProtocolError::Authentication { cluster, .. } => cluster,
        }
    }

    /// Whether this error means the connection it happened on can no longer be used (so a pool
    /// should replace it rather than the caller retrying on it).
    pub fn is_transport(&self) -> bool {
        matches!(
            self,
            ProtocolError::Io { .. }
                | ProtocolError::Timeout { .. }
                | ProtocolError::ConnectionClosed { .. }
        )
    }

    /// Builds a broker error from a raw response code, `None` for code 0. The usual way to turn a
    /// per-item `error_code` into a `Result`.
    pub fn from_code(
        cluster: &str,
        api: ApiKey,
        code: i16,
        context: impl FnOnce() -> String,
    ) -> Option<ProtocolError> {
        ResponseError::try_from_code(code).map(|code| ProtocolError::Broker {
            cluster: cluster.to_string(),
            api,
            code,
            context: context(),
        })
    }

    /// Finds a `ProtocolError` in an error's cause chain (the error itself first), for callers that
    /// wrap this type in their own errors.
    pub fn find_in<'a>(err: &'a (dyn StdError + 'static)) -> Option<&'a ProtocolError> {
        let mut cur: Option<&(dyn StdError + 'static)> = Some(err);
        while let Some(e) = cur {
            if let Some(p) = e.downcast_ref::<ProtocolError>() {
                return Some(p);
            }
            cur = e.source();
        }
        None
    }
}

/// An error and each of its causes, joined by `: `, for a log line or a message that is all an
/// operator will see.
pub fn with_causes(e: &(dyn StdError + 'static)) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cur = c.source();
    }
    out
}

/// Whether any error is retriable by the protocol layer's rules: walks the cause chain for a
/// [`ProtocolError`] (decided by [`ProtocolError::is_retriable`]), a bare Kafka [`ResponseError`]
/// (its own retriable flag) or an I/O error (retriable). Anything else is not.
pub fn is_retriable(err: &(dyn StdError + 'static)) -> bool {
    let mut cur: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(p) = e.downcast_ref::<ProtocolError>() {
            return p.is_retriable();
        }
        if let Some(code) = e.downcast_ref::<ResponseError>() {
            return code.is_retriable();
        }
        if e.downcast_ref::<std::io::Error>().is_some() {
            return true;
        }
        cur = e.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn broker(code: ResponseError) -> ProtocolError {
        ProtocolError::Broker {
            cluster: "a".into(),
            api: ApiKey::Produce,
            code,
            context: "t-0".into(),
        }
    }

    #[test]
    fn retriable_follows_variant_and_code() {
        assert!(broker(ResponseError::NotLeaderOrFollower).is_retriable());
        assert!(!broker(ResponseError::TopicAuthorizationFailed).is_retriable());
        assert!(ProtocolError::ConnectionClosed {
            cluster: "a".into(),
            broker: "b".into()
        }
        .is_retriable());
        assert!(!ProtocolError::Codec {
            cluster: "a".into(),
            broker: "b".into(),
            api: ApiKey::Fetch,
            message: "x".into()
        }
        .is_retriable());
    }

    #[derive(Debug, thiserror::Error)]
    #[error("wrapped")]
    struct Wrapper(#[source] ProtocolError);

    #[test]
    fn cause_chain_is_walked() {
        let w = Wrapper(broker(ResponseError::LeaderNotAvailable));
        assert!(is_retriable(&w));
        assert_eq!(
            ProtocolError::find_in(&w).and_then(|e| e.code()),
            Some(ResponseError::LeaderNotAvailable)
        );
        let w = Wrapper(broker(ResponseError::InvalidTopicException));
        assert!(!is_retriable(&w));
    }

    /// The last failure is kept whole and shown in the message, as the text was before.
    #[test]
    fn no_broker_reachable_names_its_last_failure() {
        let last = ProtocolError::ConnectionClosed {
            cluster: "c".into(),
            broker: "a:1".into(),
        };
        let e = ProtocolError::NoBrokerReachable {
            cluster: "c".into(),
            tried: vec!["a:1".into()],
            last: Some(Box::new(last.clone())),
        };
        assert_eq!(
            e.to_string(),
            format!("cluster c: no broker reachable (tried [\"a:1\"]); last error: {last}")
        );
        assert!(e.is_retriable());
        let none = ProtocolError::NoBrokerReachable {
            cluster: "c".into(),
            tried: vec![],
            last: None,
        };
        assert!(none
            .to_string()
            .ends_with("last error: no broker address known"));
    }

    #[test]
    fn clone_keeps_io_kind() {
        let e = ProtocolError::Io {
            cluster: "a".into(),
            broker: "h:1".into(),
            source: Arc::new(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "reset",
            )),
        };
        match e.clone() {
            ProtocolError::Io { source, .. } => {
                assert_eq!(source.kind(), std::io::ErrorKind::ConnectionReset)
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
