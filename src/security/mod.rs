//! TLS and SASL for strait's Kafka connections, from a plain [`SecuritySpec`] (what the operator's
//! `security.protocol`, `ssl.*` and `sasl.*` keys say, read by the config layer) to the ready
//! [`Security`] the wire layer uses: the stores it names are read ([`stores`]), the rustls
//! configuration is built ([`tls`]) and OAUTHBEARER token sources are made ([`oauth`]).
//!
//! The config layer calls [`build`] once while loading, so that a wrong path, password or key fails
//! `strait run`/`check` with exit code 3 and the line to fix; replication builds again at start-up
//! and keeps the result. Nothing here reads a key or knows a file line: a [`SecurityError`] names
//! the key to blame and the config layer finds where it was written.
//!
//! Layering: `config -> security -> protocol`; this module never imports `config`.

pub(crate) mod oauth;
pub(crate) mod stores;
pub(crate) mod tls;

use std::sync::Arc;

use crate::protocol::{ConnectionSettings, SaslCredentials, SaslMechanism, SaslSettings, Security};
use crate::secret::Secret;

use oauth::{OAuthSettings, TokenSource};
use stores::{KeySource, TrustSource};

/// Kafka's `security.protocol`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SecurityProtocol {
    /// No TLS, no SASL (Kafka's default).
    #[default]
    Plaintext,
    /// TLS, optionally with a client certificate (mTLS).
    Ssl,
    /// SASL over plain TCP.
    SaslPlaintext,
    /// SASL over TLS.
    SaslSsl,
}

impl SecurityProtocol {
    /// Parses Kafka's names (any case).
    pub fn parse(s: &str) -> Option<SecurityProtocol> {
        match s.trim().to_ascii_uppercase().as_str() {
            "PLAINTEXT" => Some(SecurityProtocol::Plaintext),
            "SSL" => Some(SecurityProtocol::Ssl),
            "SASL_PLAINTEXT" => Some(SecurityProtocol::SaslPlaintext),
            "SASL_SSL" => Some(SecurityProtocol::SaslSsl),
            _ => None,
        }
    }

    /// True for SSL and SASL_SSL.
    pub fn uses_tls(self) -> bool {
        matches!(self, SecurityProtocol::Ssl | SecurityProtocol::SaslSsl)
    }

    /// True for SASL_PLAINTEXT and SASL_SSL.
    pub fn uses_sasl(self) -> bool {
        matches!(
            self,
            SecurityProtocol::SaslPlaintext | SecurityProtocol::SaslSsl
        )
    }
}

/// The TLS versions strait speaks (`ssl.enabled.protocols`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsVersion {
    /// `TLSv1.2`.
    Tls12,
    /// `TLSv1.3`.
    Tls13,
}

/// How one client secures its connections, as the operator wrote it: no live state, so it can be
/// compared, printed (secrets redacted) and built more than once.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SecuritySpec {
    /// `security.protocol`.
    pub protocol: SecurityProtocol,
    /// TLS settings for SSL and SASL_SSL.
    pub tls: Option<TlsSpec>,
    /// SASL settings for SASL_PLAINTEXT and SASL_SSL.
    pub sasl: Option<SaslSpec>,
}

/// One client's TLS settings (`ssl.*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSpec {
    /// Trusted CAs; `None` means the bundled public roots (Java's `cacerts`).
    pub trust: Option<TrustSource>,
    /// The client certificate and key for mTLS.
    pub identity: Option<KeySource>,
    /// `ssl.endpoint.identification.algorithm` is `https` (Kafka's default).
    pub verify_hostname: bool,
    /// `ssl.enabled.protocols`, those strait speaks.
    pub versions: Vec<TlsVersion>,
}

/// One client's SASL settings (`sasl.*`).
#[derive(Debug, Clone, PartialEq)]
pub struct SaslSpec {
    /// `sasl.mechanism`.
    pub mechanism: SaslMechanism,
    /// What it authenticates with.
    pub credentials: CredentialsSpec,
}

/// What a SASL client authenticates with, as configured.
#[derive(Debug, Clone, PartialEq)]
pub enum CredentialsSpec {
    /// PLAIN and SCRAM: `username` and `password` from `sasl.jaas.config`.
    Password {
        /// The user name (not secret; errors name it).
        username: String,
        /// The password.
        password: Secret,
    },
    /// OAUTHBEARER with the client-credentials grant.
    OAuthBearer(OAuthSettings),
}

/// A security setting that cannot be used: the key to fix and what is wrong (never a secret).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SecurityError {
    /// The client key to blame (`ssl.truststore.password`, ...), for the config layer to find
    /// where it was written.
    pub key: &'static str,
    /// What is wrong and what was expected.
    pub message: String,
}

impl SecurityError {
    /// An error blaming `key`.
    pub fn new(key: &'static str, message: String) -> SecurityError {
        SecurityError { key, message }
    }
}

/// The ready [`Security`] of a spec: stores read, keys decrypted, the rustls configuration built
/// and, for OAUTHBEARER, a token source made (its first token is fetched on first use).
pub(crate) fn build(spec: &SecuritySpec) -> Result<Security, SecurityError> {
    let tls = match &spec.tls {
        Some(t) => Some(build_tls(t)?),
        None => None,
    };
    let sasl = spec.sasl.as_ref().map(|s| SaslSettings {
        mechanism: s.mechanism,
        credentials: match &s.credentials {
            CredentialsSpec::Password { username, password } => SaslCredentials::Password {
                username: username.clone(),
                password: password.clone(),
            },
            CredentialsSpec::OAuthBearer(o) => {
                SaslCredentials::OAuthBearer(Arc::new(TokenSource::new(o.clone())))
            }
        },
    });
    Ok(Security { tls, sasl })
}

/// [`build`] for one client's connection settings.
pub(crate) fn connection(
    spec: &ConnectionSettings<SecuritySpec>,
) -> Result<ConnectionSettings, SecurityError> {
    spec.try_map_security(build)
}

fn build_tls(spec: &TlsSpec) -> Result<crate::protocol::TlsConfig, SecurityError> {
    let roots = match &spec.trust {
        Some(t) => Some((stores::load_trust(t)?, stores::trust_key(t))),
        None => None,
    };
    let identity = match &spec.identity {
        Some(k) => {
            let (chain, key) = stores::load_identity(k)?;
            Some((chain, key, stores::identity_key(k)))
        }
        None => None,
    };
    let versions = spec
        .versions
        .iter()
        .map(|v| match v {
            TlsVersion::Tls12 => &rustls::version::TLS12,
            TlsVersion::Tls13 => &rustls::version::TLS13,
        })
        .collect();
    tls::build(tls::TlsMaterial {
        roots,
        identity,
        verify_hostname: spec.verify_hostname,
        versions,
    })
}
