//! The SASL exchange on a fresh connection (KIP-152): `SaslHandshake` v1 names the mechanism, then
//! `SaslAuthenticate` requests carry the mechanism's messages, produced by `rsasl` (PLAIN, SCRAM).
//! The broker's `session_lifetime_ms` (KIP-368, `connections.max.reauth.ms`) is returned so that the
//! connection can be replaced before the broker closes it.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::{SaslAuthenticateRequest, SaslHandshakeRequest};
use kafka_protocol::protocol::StrBytes;
use rsasl::prelude::{Mechname, MessageSent, SASLClient, SASLConfig, State};

use super::SaslSettings;
use crate::protocol::ProtocolError;

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

/// Authenticates (or re-authenticates) the connection behind `conn` with `sasl`. Returns the
/// session lifetime the broker granted (`None`: no expiry). Failures are
/// [`ProtocolError::Authentication`] naming the cluster, broker, mechanism and user, and the
/// broker's own reason; never the password.
pub(crate) async fn authenticate(
    conn: &mut impl SaslSender,
    sasl: &SaslSettings,
) -> Result<Option<Duration>, ProtocolError> {
    let mech = sasl.mechanism.name();
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

    let config = SASLConfig::with_credentials(
        None,
        sasl.username.clone(),
        sasl.password.expose().to_string(),
    )
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
                "SASL {mech} exchange failed for user `{}`: {e}",
                sasl.username
            ))
        })?;
        let send = !matches!(state, State::Finished(MessageSent::No));
        if send {
            let req = SaslAuthenticateRequest::default().with_auth_bytes(Bytes::from(out));
            let resp = conn.send(&req).await?;
            if let Some(code) = ResponseError::try_from_code(resp.error_code) {
                let why = resp
                    .error_message
                    .as_ref()
                    .map(|m| m.to_string())
                    .unwrap_or_else(|| format!("{code:?}"));
                return Err(fail(format!(
                    "SASL {mech} authentication of user `{}` failed: {why} (wrong user name or password?)",
                    sasl.username
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
