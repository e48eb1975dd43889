//! The SASL part of a client's security settings: `sasl.mechanism`, the credentials in
//! `sasl.jaas.config`, and for OAUTHBEARER the client-credentials grant's `sasl.oauthbearer.*` and
//! `sasl.login.*` keys (KIP-768).

use std::time::Duration;

use super::jaas;
use super::{Reader, SecuritySettingError};
use crate::config::keys::{self, Key};
use crate::protocol::SaslMechanism;
use crate::secret::Secret;
use crate::security::oauth::{OAuthSettings, TokenEndpoint};
use crate::security::{CredentialsSpec, SaslSpec};

/// The SASL spec of one client whose `security.protocol` uses SASL.
pub(super) fn sasl_spec(r: &Reader<'_>) -> Result<SaslSpec, SecuritySettingError> {
    // Kafka's default mechanism is GSSAPI.
    let name = r.text_or_default(&keys::SASL_MECHANISM);
    let mechanism = match name.as_str() {
        "PLAIN" => SaslMechanism::Plain,
        "SCRAM-SHA-256" => SaslMechanism::ScramSha256,
        "SCRAM-SHA-512" => SaslMechanism::ScramSha512,
        "GSSAPI" => {
            let key = if r.get(&keys::SASL_MECHANISM).is_some() {
                keys::SASL_MECHANISM.name
            } else {
                keys::SECURITY_PROTOCOL.name
            };
            return Err(r.err(
                key,
                format!(
                    "SASL mechanism GSSAPI (Kerberos{}) is not supported by strait: use PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER",
                    if r.get(&keys::SASL_MECHANISM).is_none() {
                        ", Kafka's default when sasl.mechanism is not set"
                    } else {
                        ""
                    }
                ),
            ))
        }
        "OAUTHBEARER" => SaslMechanism::OAuthBearer,
        other => {
            return Err(r.err(
                keys::SASL_MECHANISM.name,
                format!("unknown SASL mechanism `{other}`: strait supports PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 and OAUTHBEARER"),
            ))
        }
    };
    let Some(jaas_text) = r.secret(&keys::SASL_JAAS_CONFIG) else {
        return Err(SecuritySettingError {
            origin: r
                .get(&keys::SASL_MECHANISM)
                .or_else(|| r.get(&keys::SECURITY_PROTOCOL))
                .and_then(|s| s.origin.clone()),
            message: format!(
                "SASL ({}) needs credentials: set `sasl.jaas.config` (e.g. `{}.sasl.jaas.config = org.apache.kafka.common.security.plain.PlainLoginModule required username=\"...\" password=\"...\";`) (cluster `{}`, {})",
                mechanism.name(),
                r.client.cluster,
                r.client.cluster,
                r.role
            ),
        });
    };
    let entry = jaas::parse(jaas_text.expose()).map_err(|m| {
        r.err(
            "sasl.jaas.config",
            format!("invalid JAAS configuration: {m}"),
        )
    })?;
    match entry.module_name() {
        "PlainLoginModule" | "ScramLoginModule" if mechanism != SaslMechanism::OAuthBearer => {}
        "OAuthBearerLoginModule" if mechanism == SaslMechanism::OAuthBearer => {
            return oauth_settings(r, &entry);
        }
        m @ ("PlainLoginModule" | "ScramLoginModule" | "OAuthBearerLoginModule") => {
            return Err(r.err(
                "sasl.jaas.config",
                format!(
                    "{m} does not go with sasl.mechanism {}: use {}",
                    mechanism.name(),
                    match mechanism {
                        SaslMechanism::Plain => "PlainLoginModule",
                        SaslMechanism::ScramSha256 | SaslMechanism::ScramSha512 => "ScramLoginModule",
                        SaslMechanism::OAuthBearer => "OAuthBearerLoginModule",
                    }
                ),
            ))
        }
        "Krb5LoginModule" => {
            return Err(r.err(
                "sasl.jaas.config",
                "Krb5LoginModule (Kerberos) is not supported by strait".into(),
            ))
        }
        other => {
            return Err(r.err(
                "sasl.jaas.config",
                format!("login module `{other}` is not supported: strait reads PlainLoginModule, ScramLoginModule and OAuthBearerLoginModule credentials"),
            ))
        }
    }
    if entry
        .options
        .get("tokenauth")
        .is_some_and(|v| v.expose().eq_ignore_ascii_case("true"))
    {
        return Err(r.err(
            "sasl.jaas.config",
            "delegation token authentication (tokenauth=true) is not supported by strait".into(),
        ));
    }
    let username = entry
        .options
        .get("username")
        .map(|v| v.expose().to_string());
    let password = entry.options.get("password").cloned();
    let (Some(username), Some(password)) = (username, password) else {
        return Err(r.err(
            "sasl.jaas.config",
            format!(
                "{} needs both `username` and `password` options",
                entry.module_name()
            ),
        ));
    };
    Ok(SaslSpec {
        mechanism,
        credentials: CredentialsSpec::Password { username, password },
    })
}

/// The login callback handlers that fetch tokens with the client-credentials grant (Kafka 3.9's
/// name, and the `secured` package's name from Kafka 3.1 to 3.8, still accepted by Kafka).
const OAUTH_LOGIN_HANDLERS: &[&str] = &[
    "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler",
    "org.apache.kafka.common.security.oauthbearer.secured.OAuthBearerLoginCallbackHandler",
];

/// OAUTHBEARER with the client-credentials grant (KIP-768): `OAuthBearerLoginModule` with
/// `clientId`, `clientSecret`, optional `scope` and `extension_*`, and the token endpoint.
fn oauth_settings(
    r: &Reader<'_>,
    entry: &jaas::JaasEntry,
) -> Result<SaslSpec, SecuritySettingError> {
    match r.text(&keys::SASL_LOGIN_CALLBACK_HANDLER_CLASS) {
        Some(class) if OAUTH_LOGIN_HANDLERS.contains(&class.as_str()) => {}
        Some(class) => {
            return Err(r.err(
                "sasl.login.callback.handler.class",
                format!("login callback handler `{class}` is a Java class strait cannot run: strait gets OAUTHBEARER tokens as `{}` does", OAUTH_LOGIN_HANDLERS[0]),
            ))
        }
        None => {
            return Err(r.err(
                "sasl.jaas.config",
                format!("OAUTHBEARER without `sasl.login.callback.handler.class` means Kafka's unsecured development tokens (`unsecuredLogin*` options), which strait does not support: set `sasl.login.callback.handler.class = {}` and `sasl.oauthbearer.token.endpoint.url`", OAUTH_LOGIN_HANDLERS[0]),
            ))
        }
    }
    let Some(url) = r.text(&keys::SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL) else {
        return Err(r.err(
            "sasl.login.callback.handler.class",
            "OAUTHBEARER needs `sasl.oauthbearer.token.endpoint.url` (the OAuth 2 token endpoint, or a file: URL of a token)".into(),
        ));
    };
    let endpoint = if let Some(path) = url.strip_prefix("file:") {
        TokenEndpoint::File(path.trim_start_matches("//").into())
    } else if url.starts_with("http://") || url.starts_with("https://") {
        TokenEndpoint::Http(url)
    } else {
        return Err(r.err(
            "sasl.oauthbearer.token.endpoint.url",
            format!("`{url}` is not an http://, https:// or file: URL"),
        ));
    };
    let option = |name: &str| {
        entry
            .options
            .get(name)
            .map(|v| v.expose().to_string())
            .filter(|v| !v.is_empty())
    };
    let (client_id, client_secret) = match (&endpoint, option("clientId"), entry.options.get("clientSecret")) {
        (_, Some(id), Some(secret)) => (id, secret.clone()),
        (TokenEndpoint::File(_), id, _) => (id.unwrap_or_else(|| "(token file)".into()), Secret::new(String::new())),
        (TokenEndpoint::Http(_), _, _) => {
            return Err(r.err(
                "sasl.jaas.config",
                "OAuthBearerLoginModule needs `clientId` and `clientSecret` options for the client-credentials grant".into(),
            ))
        }
    };
    let extensions = entry
        .options
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("extension_")
                .map(|name| (name.to_string(), v.expose().to_string()))
        })
        .collect();
    let millis = |key: &Key| -> Result<Duration, SecuritySettingError> {
        let ms = r.read(key, |v| key.ty.int(v))?.unwrap_or(0);
        Ok(Duration::from_millis(u64::try_from(ms).unwrap_or(0)))
    };
    let factor = &keys::SASL_LOGIN_REFRESH_WINDOW_FACTOR;
    let refresh_factor = r.read(factor, |v| factor.ty.fraction(v))?.unwrap_or(0.8);
    let settings = OAuthSettings {
        endpoint,
        client_id,
        client_secret,
        scope: option("scope"),
        extensions,
        sub_claim: r.text_or_default(&keys::SASL_OAUTHBEARER_SUB_CLAIM_NAME),
        connect_timeout: millis(&keys::SASL_LOGIN_CONNECT_TIMEOUT_MS)?,
        read_timeout: millis(&keys::SASL_LOGIN_READ_TIMEOUT_MS)?,
        refresh_factor,
    };
    Ok(SaslSpec {
        mechanism: SaslMechanism::OAuthBearer,
        credentials: CredentialsSpec::OAuthBearer(settings),
    })
}
