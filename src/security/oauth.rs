//! OAUTHBEARER tokens, got the way Kafka's `OAuthBearerLoginCallbackHandler` gets them (KIP-768):
//! the OAuth 2 client-credentials grant against `sasl.oauthbearer.token.endpoint.url`, or a token
//! read from a `file:` URL. A token is kept and shared by every connection of one client, and
//! replaced once `sasl.login.refresh.window.factor` of its lifetime has passed, so that a
//! re-authentication (KIP-368) after the broker's session ends presents a fresh one.
//!
//! The token and the client secret are [`Secret`]s: neither appears in a log line or an error.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use tokio::sync::Mutex;

use crate::protocol::{BoxError, Presented, TokenProvider};
use crate::secret::Secret;

/// Where tokens come from (`sasl.oauthbearer.token.endpoint.url`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenEndpoint {
    /// An `http://` or `https://` token endpoint, asked with the client-credentials grant.
    Http(String),
    /// A `file:` URL: the file holds a token (re-read at each refresh), as in Kafka.
    File(PathBuf),
}

impl std::fmt::Display for TokenEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenEndpoint::Http(url) => f.write_str(url),
            TokenEndpoint::File(path) => write!(f, "file:{}", path.display()),
        }
    }
}

/// One client's OAUTHBEARER settings (`sasl.jaas.config` options and `sasl.oauthbearer.*`,
/// `sasl.login.*` keys).
#[derive(Debug, Clone, PartialEq)]
pub struct OAuthSettings {
    /// The token endpoint or token file.
    pub endpoint: TokenEndpoint,
    /// JAAS `clientId` (not secret: errors name it).
    pub client_id: String,
    /// JAAS `clientSecret`.
    pub client_secret: Secret,
    /// JAAS `scope`, sent with the grant when set.
    pub scope: Option<String>,
    /// JAAS `extension_<name>` options: SASL extensions sent with the token (Confluent Cloud's
    /// `logicalCluster` and `identityPoolId`, for example).
    pub extensions: Vec<(String, String)>,
    /// `sasl.oauthbearer.sub.claim.name` (default `sub`): the claim every token must carry.
    pub sub_claim: String,
    /// `sasl.login.connect.timeout.ms` (strait's default 10 s; the JDK's is none).
    pub connect_timeout: Duration,
    /// `sasl.login.read.timeout.ms` (strait's default 30 s; the JDK's is none).
    pub read_timeout: Duration,
    /// `sasl.login.refresh.window.factor` (default 0.8): the part of a token's lifetime after
    /// which a new one is fetched.
    pub refresh_factor: f64,
}

/// A token in use: its value, the subject it names, and when it is to be replaced.
struct Token {
    value: Secret,
    subject: String,
    refresh_at: SystemTime,
}

impl Token {
    fn presented(&self) -> Presented {
        Presented {
            token: self.value.clone(),
            subject: self.subject.clone(),
        }
    }
}

/// Why no token could be had. Never holds the client secret or a token.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TokenError {
    /// The blocking token request was cancelled or panicked.
    #[error("the token request did not finish")]
    Unfinished(#[source] tokio::task::JoinError),
    /// The `file:` token could not be read.
    #[error("cannot read the token file")]
    File(#[source] std::io::Error),
    /// The endpoint could not be reached (DNS, connect, TLS, timeout).
    #[error("cannot reach the token endpoint")]
    Unreachable(#[source] Box<ureq::Transport>),
    /// The endpoint's answer could not be read.
    #[error("cannot read the token endpoint's answer")]
    Answer(#[source] std::io::Error),
    /// The endpoint refused the client-credentials grant.
    #[error("the token endpoint refused client `{client}` with HTTP {status}{reason}{}", if *status == 400 || *status == 401 { " (wrong clientId or clientSecret?)" } else { "" })]
    Refused {
        /// The client id (not secret).
        client: String,
        /// The HTTP status.
        status: u16,
        /// `: error (error_description)` from an RFC 6749 error answer, or empty.
        reason: String,
    },
    /// The answer is not JSON.
    #[error("the token endpoint's answer is not JSON")]
    AnswerNotJson,
    /// The answer has no `access_token`.
    #[error("the token endpoint's answer has no `access_token`")]
    NoAccessToken,
    /// What came back is not a JWT of three dot-separated parts.
    #[error("the token is not a JWT (expected 3 dot-separated parts, got {0})")]
    NotJwt(usize),
    /// The JWT's payload is not base64url.
    #[error("the token's payload is not base64url")]
    PayloadNotBase64,
    /// The JWT's payload is not JSON.
    #[error("the token's payload is not JSON")]
    PayloadNotJson,
    /// The token has no numeric `exp` claim.
    #[error("the token has no numeric `exp` claim")]
    NoExpiry,
    /// The token lacks the subject claim `sasl.oauthbearer.sub.claim.name` names.
    #[error("the token has no `{0}` claim (sasl.oauthbearer.sub.claim.name)")]
    NoSubject(String),
    /// The token expires before it could be used.
    #[error("the token endpoint returned a token that has already expired")]
    Expired,
}

/// The token of one client, shared by all its connections.
pub(crate) struct TokenSource {
    settings: OAuthSettings,
    current: Mutex<Option<Token>>,
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSource")
            .field("endpoint", &self.settings.endpoint)
            .field("client_id", &self.settings.client_id)
            .finish()
    }
}

impl TokenSource {
    /// A source that fetches its first token when a connection first needs one.
    pub(crate) fn new(settings: OAuthSettings) -> TokenSource {
        TokenSource {
            settings,
            current: Mutex::new(None),
        }
    }

    /// The token to present now: the current one, or a new one once the current one is due for
    /// replacement. Errors say what went wrong without the secret or the token.
    pub(crate) async fn token(&self) -> Result<Presented, TokenError> {
        let mut current = self.current.lock().await;
        let now = SystemTime::now();
        if let Some(t) = current.as_ref().filter(|t| now < t.refresh_at) {
            return Ok(t.presented());
        }
        let settings = self.settings.clone();
        let raw = tokio::task::spawn_blocking(move || fetch(&settings))
            .await
            .map_err(TokenError::Unfinished)??;
        let claims = claims(raw.expose(), &self.settings.sub_claim)?;
        let fetched = SystemTime::now();
        let lifetime = claims
            .expires
            .duration_since(fetched)
            .map_err(|_| TokenError::Expired)?;
        let t = Token {
            value: raw,
            subject: claims.subject,
            refresh_at: fetched + lifetime.mul_f64(self.settings.refresh_factor),
        };
        let presented = t.presented();
        *current = Some(t);
        Ok(presented)
    }
}

impl TokenProvider for TokenSource {
    fn client_id(&self) -> &str {
        &self.settings.client_id
    }

    fn endpoint(&self) -> String {
        self.settings.endpoint.to_string()
    }

    fn extensions(&self) -> &[(String, String)] {
        &self.settings.extensions
    }

    fn token(&self) -> Pin<Box<dyn Future<Output = Result<Presented, BoxError>> + Send + '_>> {
        Box::pin(async move { Ok(TokenSource::token(self).await?) })
    }
}

/// Gets a token from the endpoint (blocking: runs on tokio's blocking pool).
fn fetch(s: &OAuthSettings) -> Result<Secret, TokenError> {
    match &s.endpoint {
        TokenEndpoint::File(path) => std::fs::read_to_string(path)
            .map(|t| Secret::new(t.trim().to_string()))
            .map_err(TokenError::File),
        TokenEndpoint::Http(url) => {
            let agent = ureq::AgentBuilder::new()
                .timeout_connect(s.connect_timeout)
                .timeout_read(s.read_timeout)
                .build();
            let mut form = vec![("grant_type", "client_credentials")];
            if let Some(scope) = &s.scope {
                form.push(("scope", scope.as_str()));
            }
            let answer = agent
                .post(url)
                .set("Authorization", &basic_authorization(s))
                .set("Accept", "application/json")
                .set("Cache-Control", "no-cache")
                .send_form(&form);
            let body = match answer {
                Ok(r) => r.into_string().map_err(TokenError::Answer)?,
                Err(ureq::Error::Status(status, r)) => {
                    let reason = r
                        .into_string()
                        .ok()
                        .and_then(|b| oauth_error(&b))
                        .unwrap_or_default();
                    return Err(TokenError::Refused {
                        client: s.client_id.clone(),
                        status,
                        reason,
                    });
                }
                Err(ureq::Error::Transport(t)) => return Err(TokenError::Unreachable(Box::new(t))),
            };
            let json: serde_json::Value =
                serde_json::from_str(&body).map_err(|_| TokenError::AnswerNotJson)?;
            json.get("access_token")
                .and_then(|v| v.as_str())
                .filter(|t| !t.is_empty())
                .map(|t| Secret::new(t.to_string()))
                .ok_or(TokenError::NoAccessToken)
        }
    }
}

/// `Basic base64(urlencode(clientId):urlencode(clientSecret))`, as Kafka's
/// `HttpAccessTokenRetriever` builds it (RFC 6749 2.3.1).
fn basic_authorization(s: &OAuthSettings) -> String {
    let encode = |v: &str| form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
    let pair = format!(
        "{}:{}",
        encode(&s.client_id),
        encode(s.client_secret.expose())
    );
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

/// `: error (error_description)` of an RFC 6749 error answer, when it is one.
fn oauth_error(body: &str) -> Option<String> {
    let json: serde_json::Value = serde_json::from_str(body).ok()?;
    let error = json.get("error")?.as_str()?;
    let short = |v: &str| v.chars().take(200).collect::<String>();
    Some(
        match json.get("error_description").and_then(|d| d.as_str()) {
            Some(d) => format!(": {} ({})", short(error), short(d)),
            None => format!(": {}", short(error)),
        },
    )
}

/// What strait reads from a token, as Kafka's `LoginAccessTokenValidator` checks it.
#[derive(Debug, PartialEq, Eq)]
struct Claims {
    subject: String,
    expires: SystemTime,
}

/// Checks that `token` is a JWT whose payload has a numeric `exp` and a non-empty `sub_claim`.
/// The signature is the broker's to check.
fn claims(token: &str, sub_claim: &str) -> Result<Claims, TokenError> {
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return Err(TokenError::NotJwt(parts.len()));
    }
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(parts[1].trim_end_matches('='))
        .map_err(|_| TokenError::PayloadNotBase64)?;
    let json: serde_json::Value =
        serde_json::from_slice(&payload).map_err(|_| TokenError::PayloadNotJson)?;
    let exp = json
        .get("exp")
        .and_then(|v| v.as_f64())
        .ok_or(TokenError::NoExpiry)?;
    let subject = json
        .get(sub_claim)
        .and_then(|v| v.as_str())
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| TokenError::NoSubject(sub_claim.to_string()))?
        .to_string();
    let expires = UNIX_EPOCH + Duration::from_secs_f64(exp.max(0.0));
    Ok(Claims { subject, expires })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: &str) -> String {
        let b = |v: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
        format!("{}.{}.", b(r#"{"alg":"none"}"#), b(payload))
    }

    fn settings(endpoint: TokenEndpoint) -> OAuthSettings {
        OAuthSettings {
            endpoint,
            client_id: "strait client".into(),
            client_secret: Secret::new("p:ss/w&rd".into()),
            scope: None,
            extensions: vec![],
            sub_claim: "sub".into(),
            connect_timeout: Duration::from_secs(1),
            read_timeout: Duration::from_secs(1),
            refresh_factor: 0.8,
        }
    }

    #[test]
    fn claims_need_exp_and_the_subject_claim() {
        let c = claims(&jwt(r#"{"sub":"svc","exp":2000000000,"iat":1}"#), "sub").unwrap();
        assert_eq!(c.subject, "svc");
        assert_eq!(c.expires, UNIX_EPOCH + Duration::from_secs(2_000_000_000));
        let e = claims(&jwt(r#"{"sub":"svc"}"#), "sub").unwrap_err();
        assert!(e.to_string().contains("`exp`"), "{e}");
        let e = claims(&jwt(r#"{"client":"svc","exp":1}"#), "sub").unwrap_err();
        assert!(e.to_string().contains("`sub`"), "{e}");
        assert_eq!(
            claims(&jwt(r#"{"client":"svc","exp":1}"#), "client")
                .unwrap()
                .subject,
            "svc"
        );
        assert!(claims("opaque-token", "sub")
            .unwrap_err()
            .to_string()
            .contains("not a JWT"));
    }

    #[test]
    fn basic_authorization_url_encodes_both_halves_as_kafka_does() {
        let s = settings(TokenEndpoint::Http("http://idp/token".into()));
        let header = basic_authorization(&s);
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(header.strip_prefix("Basic ").unwrap())
            .unwrap();
        // java.net.URLEncoder: space as `+`, reserved characters percent-encoded.
        assert_eq!(
            String::from_utf8(decoded).unwrap(),
            "strait+client:p%3Ass%2Fw%26rd"
        );
    }

    #[test]
    fn oauth_errors_are_quoted_briefly() {
        assert_eq!(
            oauth_error(r#"{"error":"invalid_client","error_description":"bad secret"}"#),
            Some(": invalid_client (bad secret)".into())
        );
        assert_eq!(oauth_error("<html>"), None);
    }

    #[tokio::test]
    async fn a_file_token_is_kept_until_its_refresh_time() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        let far = jwt(r#"{"sub":"one","exp":4000000000}"#);
        std::fs::write(&path, format!("{far}\n")).unwrap();
        let source = TokenSource::new(settings(TokenEndpoint::File(path.clone())));
        let t = source.token().await.unwrap();
        assert_eq!(
            (t.token.expose(), t.subject.as_str()),
            (far.as_str(), "one")
        );
        // Not re-read while the first token is fresh.
        std::fs::write(&path, jwt(r#"{"sub":"two","exp":4000000000}"#)).unwrap();
        assert_eq!(source.token().await.unwrap().subject, "one");
        // An expired token is refused with a clear message.
        std::fs::write(&path, jwt(r#"{"sub":"old","exp":1}"#)).unwrap();
        let stale = TokenSource::new(settings(TokenEndpoint::File(path)));
        let e = stale.token().await.err().unwrap();
        assert!(matches!(e, TokenError::Expired), "{e}");
    }
}
