//! The SASL exchange on a fresh connection (KIP-152): `SaslHandshake` v1 names the mechanism, then
//! `SaslAuthenticate` requests carry the mechanism's messages, produced by `rsasl` (PLAIN, SCRAM,
//! OAUTHBEARER with a token from the client's [`TokenProvider`]).
//! The broker's `session_lifetime_ms` (KIP-368, `connections.max.reauth.ms`) is returned so that the
//! connection can be replaced before the broker closes it.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::{SaslAuthenticateRequest, SaslHandshakeRequest};
use kafka_protocol::protocol::StrBytes;
use rsasl::callback::{Context, Request, SessionCallback, SessionData};
use rsasl::prelude::{Mechname, MessageSent, SASLClient, SASLConfig, SessionError, State};
use rsasl::property::{OAuthBearerKV, OAuthBearerToken};

use super::auth::{Presented, SaslCredentials, SaslMechanism, SaslSettings, TokenProvider};
use super::error::with_causes;
use super::ProtocolError;
use crate::secret::Secret;

/// How the exchange reaches the broker: a connection whose writer is held for the whole exchange,
/// so that no other request is sent in between (required during re-authentication).
pub(crate) trait SaslSender {
    /// Cluster alias, for errors.
    fn cluster(&self) -> &str;
    /// `host:port` of the broker, for errors.
    fn broker(&self) -> &str;
    /// Sends `req` at the negotiated version and waits for its answer.
    async fn send<R: kafka_protocol::protocol::Request>(
        &mut self,
        req: &R,
    ) -> Result<R::Response, ProtocolError>;
}

/// What one exchange authenticates with: a user's password, or an OAUTHBEARER token already got
/// from its source. [`prepare`] makes it before the connection's writer is held, so that a token
/// request to a slow endpoint never holds up the connection's other requests.
pub(crate) enum Login<'a> {
    /// PLAIN or SCRAM.
    Password {
        /// The mechanism.
        mechanism: SaslMechanism,
        /// The user name.
        username: &'a str,
        /// The password.
        password: &'a Secret,
    },
    /// OAUTHBEARER.
    Bearer {
        /// Where the token came from (client id, extensions).
        source: &'a dyn TokenProvider,
        /// The token to present.
        token: Presented,
    },
}

impl Login<'_> {
    fn mechanism(&self) -> SaslMechanism {
        match self {
            Login::Password { mechanism, .. } => *mechanism,
            Login::Bearer { .. } => SaslMechanism::OAuthBearer,
        }
    }
}

/// The [`Login`] for an exchange with `broker` of `cluster`: for OAUTHBEARER this gets the client's
/// current token (fetching a new one when it is due), which may take an HTTP round trip.
pub(crate) async fn prepare<'a>(
    sasl: &'a SaslSettings,
    cluster: &str,
    broker: &str,
) -> Result<Login<'a>, ProtocolError> {
    match &sasl.credentials {
        SaslCredentials::Password { username, password } => Ok(Login::Password {
            mechanism: sasl.mechanism,
            username,
            password,
        }),
        SaslCredentials::OAuthBearer(source) => {
            let token = source
                .token()
                .await
                .map_err(|e| ProtocolError::Authentication {
                    cluster: cluster.to_string(),
                    broker: broker.to_string(),
                    message: format!(
                        "cannot get an OAUTHBEARER token for client `{}` from {}: {}",
                        source.client_id(),
                        source.endpoint(),
                        with_causes(e.as_ref())
                    ),
                })?;
            Ok(Login::Bearer {
                source: source.as_ref(),
                token,
            })
        }
    }
}

/// Authenticates (or re-authenticates) the connection behind `conn` with `login`. Returns the
/// session lifetime the broker granted (`None`: no expiry). Failures are
/// [`ProtocolError::Authentication`] naming the cluster, broker, mechanism and user, and the
/// broker's own reason; never the password or token.
pub(crate) async fn authenticate(
    conn: &mut impl SaslSender,
    login: Login<'_>,
) -> Result<Option<Duration>, ProtocolError> {
    let mech = login.mechanism().name();
    let (cluster, broker) = (conn.cluster().to_string(), conn.broker().to_string());
    let fail = |message: String| ProtocolError::Authentication {
        cluster: cluster.clone(),
        broker: broker.clone(),
        message,
    };
    let hs = conn
        .send(&SaslHandshakeRequest::default().with_mechanism(StrBytes::from_static_str(mech)))
        .await?;
    if let Some(code) = ResponseError::try_from_code(hs.error_code) {
        let enabled: Vec<&str> = hs.mechanisms.iter().map(|m| m.as_str()).collect();
        return Err(fail(match code {
            ResponseError::UnsupportedSaslMechanism => format!(
                "the broker does not enable SASL mechanism {mech} (it enables {}): check sasl.mechanism",
                enabled.join(", ")
            ),
            ResponseError::IllegalSaslState => format!(
                "the broker did not expect a SASL handshake ({code:?}): is this listener really SASL_PLAINTEXT/SASL_SSL?"
            ),
            other => format!("SaslHandshake failed with {other:?}"),
        }));
    }

    let (username, password) = match login {
        Login::Password {
            username, password, ..
        } => (username, password),
        Login::Bearer { source, token } => return oauth_bearer(conn, source, token, &fail).await,
    };
    let config =
        SASLConfig::with_credentials(None, username.to_string(), password.expose().to_string())
            .map_err(|e| fail(format!("cannot set up SASL {mech}: {e}")))?;
    let mechname = Mechname::parse(mech.as_bytes())
        .map_err(|e| fail(format!("SASL mechanism {mech}: {e}")))?;
    let mut session = SASLClient::new(Arc::clone(&config))
        .start_suggested(&[mechname])
        .map_err(|e| fail(format!("SASL {mech} is not available: {e}")))?;

    let mut lifetime = None;
    let mut input: Option<Bytes> = None;
    loop {
        let mut out = Vec::new();
        let state = session.step(input.as_deref(), &mut out).map_err(|e| {
            fail(format!(
                "SASL {mech} exchange failed for user `{username}`: {e}"
            ))
        })?;
        let send = !matches!(state, State::Finished(MessageSent::No));
        if send {
            let req = SaslAuthenticateRequest::default().with_auth_bytes(Bytes::from(out));
            let resp = conn.send(&req).await?;
            if ResponseError::try_from_code(resp.error_code).is_some() {
                let why = broker_reason(resp.error_code, resp.error_message.as_ref());
                return Err(fail(format!(
                    "SASL {mech} authentication of user `{username}` failed: {why} (wrong user name or password?)"
                )));
            }
            if resp.session_lifetime_ms > 0 {
                lifetime = Some(Duration::from_millis(resp.session_lifetime_ms as u64));
            }
            input = Some(resp.auth_bytes);
        }
        if state.is_finished() {
            break;
        }
    }
    Ok(lifetime)
}

/// The broker's message for a failed SaslAuthenticate, or the error code's name when it sent none.
fn broker_reason(code: i16, message: Option<&StrBytes>) -> String {
    match (message, ResponseError::try_from_code(code)) {
        (Some(m), _) => m.to_string(),
        (None, Some(e)) => format!("{e:?}"),
        (None, None) => format!("error code {code}"),
    }
}

/// Answers rsasl's OAUTHBEARER client with the token and the SASL extensions.
struct BearerCallback {
    token: String,
    extensions: Vec<(String, String)>,
}

impl SessionCallback for BearerCallback {
    fn callback(
        &self,
        _session: &SessionData,
        _context: &Context,
        request: &mut Request<'_>,
    ) -> Result<(), SessionError> {
        let kv: Vec<(&str, &str)> = self
            .extensions
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        request
            .satisfy::<OAuthBearerToken>(self.token.as_str())?
            .satisfy::<OAuthBearerKV>(&kv)?;
        Ok(())
    }
}

/// OAUTHBEARER (RFC 7628, KIP-255): the client's current token in one message. A broker that
/// refuses the token answers with an RFC 7628 error document and waits for the client's `%x01`
/// before it fails the exchange with its own message; both are reported.
async fn oauth_bearer(
    conn: &mut impl SaslSender,
    source: &dyn TokenProvider,
    presented: Presented,
    fail: &impl Fn(String) -> ProtocolError,
) -> Result<Option<Duration>, ProtocolError> {
    let client = source.client_id();
    let config = SASLConfig::builder()
        .with_defaults()
        .with_callback(BearerCallback {
            token: presented.token.expose().to_string(),
            extensions: source.extensions().to_vec(),
        })
        .map_err(|e| fail(format!("cannot set up SASL OAUTHBEARER: {e}")))?;
    let mechname = Mechname::parse(b"OAUTHBEARER")
        .map_err(|e| fail(format!("SASL mechanism OAUTHBEARER: {e}")))?;
    let mut session = SASLClient::new(config)
        .start_suggested(&[mechname])
        .map_err(|e| fail(format!("SASL OAUTHBEARER is not available: {e}")))?;
    let mut first = Vec::new();
    session.step(None, &mut first).map_err(|e| {
        fail(format!(
            "SASL OAUTHBEARER exchange failed for client `{client}`: {e}"
        ))
    })?;
    let resp = conn
        .send(&SaslAuthenticateRequest::default().with_auth_bytes(Bytes::from(first)))
        .await?;
    let refused = |broker_says: String| {
        fail(format!(
            "SASL OAUTHBEARER authentication of client `{client}` (token subject `{}`) failed: {broker_says} (is the token's issuer, audience or scope what the broker expects?)",
            presented.subject
        ))
    };
    if ResponseError::try_from_code(resp.error_code).is_some() {
        return Err(refused(broker_reason(
            resp.error_code,
            resp.error_message.as_ref(),
        )));
    }
    if !resp.auth_bytes.is_empty() {
        // The broker's error document ({"status":"invalid_token",...}); answer %x01 to get its
        // final verdict.
        let status = String::from_utf8_lossy(&resp.auth_bytes)
            .chars()
            .take(300)
            .collect::<String>();
        let last = conn
            .send(&SaslAuthenticateRequest::default().with_auth_bytes(Bytes::from_static(b"\x01")))
            .await?;
        let verdict = broker_reason(last.error_code, last.error_message.as_ref());
        return Err(refused(if verdict == status {
            format!("the broker answered {status}")
        } else {
            format!("the broker answered {status}; {verdict}")
        }));
    }
    Ok((resp.session_lifetime_ms > 0)
        .then(|| Duration::from_millis(resp.session_lifetime_ms as u64)))
}
