//! TLS and SASL for strait's Kafka connections: what `security.protocol`, `ssl.*` and `sasl.*` of one
//! client mean ([`settings`]), the stores they name ([`stores`]), the rustls configuration built from
//! them ([`tls`]), the `sasl.jaas.config` parser ([`jaas`]), OAUTHBEARER tokens ([`oauth`]) and the
//! SASL exchange on a connection ([`sasl`]).
//!
//! Everything is resolved and loaded at start-up, so that a wrong path, password or unsupported
//! mechanism fails `strait run`/`check` with exit code 3 instead of failing every connection later.
//! Secrets are held in [`Secret`], whose `Debug` never shows the value and which has no `Display`.

pub mod jaas;
pub mod oauth;
pub mod sasl;
pub mod settings;
pub mod stores;
pub mod tls;

use std::sync::Arc;

/// A password, key or JAAS option value. `Debug` prints `<redacted>`; there is no `Display`, so the
/// value can reach a log or error only through an explicit [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: String) -> Secret {
        Secret(value)
    }

    /// The value, for the one place that must use it (a store decryption, a SASL exchange).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

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

/// The SASL mechanisms strait speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaslMechanism {
    /// `PLAIN` (RFC 4616).
    Plain,
    /// `SCRAM-SHA-256` (RFC 7677).
    ScramSha256,
    /// `SCRAM-SHA-512`.
    ScramSha512,
    /// `OAUTHBEARER` (RFC 7628) with tokens from an OAuth 2 token endpoint (KIP-768).
    OAuthBearer,
}

impl SaslMechanism {
    /// The mechanism name on the wire and in `sasl.mechanism`.
    pub fn name(self) -> &'static str {
        match self {
            SaslMechanism::Plain => "PLAIN",
            SaslMechanism::ScramSha256 => "SCRAM-SHA-256",
            SaslMechanism::ScramSha512 => "SCRAM-SHA-512",
            SaslMechanism::OAuthBearer => "OAUTHBEARER",
        }
    }
}

/// SASL settings of one client: the mechanism and what it authenticates with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaslSettings {
    /// The mechanism to use.
    pub mechanism: SaslMechanism,
    /// User and password (PLAIN, SCRAM) or the token source (OAUTHBEARER).
    pub credentials: SaslCredentials,
}

impl SaslSettings {
    /// Who authenticates, for logs and errors: the user name, or the OAuth client id.
    pub fn principal(&self) -> &str {
        match &self.credentials {
            SaslCredentials::Password { username, .. } => username,
            SaslCredentials::OAuthBearer(source) => &source.settings().client_id,
        }
    }
}

/// What a client authenticates with.
#[derive(Debug, Clone)]
pub enum SaslCredentials {
    /// PLAIN and SCRAM: a user name (not secret; errors name it) and its password.
    Password {
        /// The user name.
        username: String,
        /// The password.
        password: Secret,
    },
    /// OAUTHBEARER: the client's token source, shared by all its connections so that they share
    /// one token and its refreshes.
    OAuthBearer(Arc<oauth::TokenSource>),
}

impl PartialEq for SaslCredentials {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (
                SaslCredentials::Password {
                    username: a,
                    password: p,
                },
                SaslCredentials::Password {
                    username: b,
                    password: q,
                },
            ) => a == b && p == q,
            (SaslCredentials::OAuthBearer(a), SaslCredentials::OAuthBearer(b)) => {
                a.settings() == b.settings()
            }
            _ => false,
        }
    }
}

impl Eq for SaslCredentials {}

/// A ready rustls client configuration. Compared by identity (configs are built once at start-up).
#[derive(Clone)]
pub struct TlsConfig {
    /// The rustls configuration (roots, client certificate, protocol versions, verifier).
    pub config: Arc<rustls::ClientConfig>,
    /// Whether the broker's host name is checked against its certificate.
    pub verify_hostname: bool,
}

impl PartialEq for TlsConfig {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.config, &other.config) && self.verify_hostname == other.verify_hostname
    }
}

impl Eq for TlsConfig {}

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConfig")
            .field("verify_hostname", &self.verify_hostname)
            .field(
                "client_auth",
                &self.config.client_auth_cert_resolver.has_certs(),
            )
            .finish()
    }
}

/// How one client secures its connections: TLS when `tls` is set, then SASL when `sasl` is set.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Security {
    /// `security.protocol`.
    pub protocol: SecurityProtocol,
    /// TLS configuration for SSL and SASL_SSL.
    pub tls: Option<TlsConfig>,
    /// SASL credentials for SASL_PLAINTEXT and SASL_SSL.
    pub sasl: Option<SaslSettings>,
}
