//! What a connection needs to secure itself, in ready-to-use form: the rustls client
//! configuration for TLS and the SASL login for the exchange after ApiVersions. The `security`
//! layer builds these at start-up from the operator's settings (stores read, keys decrypted,
//! token sources made); this layer only uses them, so it depends on nothing above it.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::secret::Secret;

/// How one client secures its connections: TLS when `tls` is set, then SASL when `sasl` is set.
/// The default is PLAINTEXT.
#[derive(Debug, Clone, Default)]
pub struct Security {
    /// TLS for SSL and SASL_SSL.
    pub tls: Option<TlsConfig>,
    /// The SASL login for SASL_PLAINTEXT and SASL_SSL.
    pub sasl: Option<SaslSettings>,
}

/// A ready rustls client configuration, built once per client at start-up.
#[derive(Clone)]
pub struct TlsConfig {
    /// The rustls configuration (roots, client certificate, protocol versions, verifier).
    pub config: Arc<rustls::ClientConfig>,
    /// Whether the broker's host name is checked against its certificate (named in errors).
    pub verify_hostname: bool,
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfig")
            .field("verify_hostname", &self.verify_hostname)
            .field(
                "client_auth",
                &self.config.client_auth_cert_resolver.has_certs(),
            )
            .finish()
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

/// The SASL login of one client: the mechanism and what it authenticates with.
#[derive(Debug, Clone)]
pub struct SaslSettings {
    /// The mechanism to use.
    pub mechanism: SaslMechanism,
    /// User and password (PLAIN, SCRAM) or the token provider (OAUTHBEARER).
    pub credentials: SaslCredentials,
}

impl SaslSettings {
    /// Who authenticates, for logs and errors: the user name, or the OAuth client id.
    pub fn principal(&self) -> &str {
        match &self.credentials {
            SaslCredentials::Password { username, .. } => username,
            SaslCredentials::OAuthBearer(tokens) => tokens.client_id(),
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
    /// OAUTHBEARER: the client's token provider, shared by all its connections so that they
    /// share one token and its refreshes.
    OAuthBearer(Arc<dyn TokenProvider>),
}

/// A token to present, with what the SASL exchange and the logs need.
pub struct Presented {
    /// The token (a JWT).
    pub token: Secret,
    /// The value of its subject claim, for logs.
    pub subject: String,
}

/// Where a connection gets its OAUTHBEARER token: implemented by the security layer's token
/// source (the OAuth client-credentials grant), so that the wire layer need not know how tokens
/// are fetched.
pub trait TokenProvider: fmt::Debug + Send + Sync {
    /// The OAuth client id (not secret: errors name it).
    fn client_id(&self) -> &str;
    /// Where tokens come from, for errors (an URL or a `file:` path, never a secret).
    fn endpoint(&self) -> String;
    /// The SASL extensions sent with each token (RFC 7628 key-value pairs).
    fn extensions(&self) -> &[(String, String)];
    /// The token to present now. The error (with its causes) says what went wrong without any
    /// secret.
    fn token(&self) -> Pin<Box<dyn Future<Output = Result<Presented, BoxError>> + Send + '_>>;
}

/// An error from a layer above, kept with its cause chain (a token provider's).
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;
