//! Reading the security settings of one resolved Kafka client (`security.protocol`, `ssl.*`, `sasl.*`
//! after MM2's precedence) into a ready [`Security`], with Kafka's defaults and Kafka's own checks,
//! and errors that point at the line that needs fixing.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tracing::warn;

use super::jaas;
use super::oauth::{OAuthSettings, TokenEndpoint, TokenSource};
use super::stores::{self, KeySource, StoreType, TrustSource};
use super::tls::{self, TlsMaterial};
use super::{SaslCredentials, SaslMechanism, SaslSettings, Secret, Security, SecurityProtocol};
use crate::config::{ClientConfig, Origin, Setting};

/// A problem with one client's security settings: the line it is about (when there is one) and a
/// message without secret values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecuritySettingError {
    /// Where the offending key was written.
    pub origin: Option<Origin>,
    /// What is wrong and what was expected.
    pub message: String,
}

struct Reader<'a> {
    client: &'a ClientConfig,
    role: &'a str,
}

impl Reader<'_> {
    fn get(&self, key: &str) -> Option<&Setting> {
        self.client.props.get(key)
    }

    /// A trimmed non-empty value (Kafka treats an empty string like an unset password/location).
    fn text(&self, key: &str) -> Option<String> {
        self.get(key)
            .map(|s| s.value.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    fn secret(&self, key: &str) -> Option<Secret> {
        self.get(key)
            .map(|s| s.value.clone())
            .filter(|v| !v.is_empty())
            .map(Secret::new)
    }

    fn err(&self, key: &str, message: String) -> SecuritySettingError {
        SecuritySettingError {
            origin: self.get(key).and_then(|s| s.origin.clone()),
            message: format!(
                "{message} (cluster `{}`, {})",
                self.client.cluster, self.role
            ),
        }
    }
}

/// The security of the client `client` (`role` names it in messages, e.g. "source consumer").
/// Stores are read and keys decrypted here, so that problems surface at start-up.
pub fn from_client(client: &ClientConfig, role: &str) -> Result<Security, SecuritySettingError> {
    let r = Reader { client, role };
    let protocol = match r.get("security.protocol") {
        None => SecurityProtocol::Plaintext,
        Some(s) => SecurityProtocol::parse(&s.value).ok_or_else(|| {
            r.err(
                "security.protocol",
                format!(
                    "invalid value `{}`: expected one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL",
                    s.value.trim()
                ),
            )
        })?,
    };
    let tls = if protocol.uses_tls() {
        Some(tls_settings(&r)?)
    } else {
        None
    };
    let sasl = if protocol.uses_sasl() {
        Some(sasl_settings(&r)?)
    } else {
        None
    };
    Ok(Security {
        protocol,
        tls,
        sasl,
    })
}

fn store_type(r: &Reader<'_>, key: &str) -> Result<StoreType, SecuritySettingError> {
    match r.text(key) {
        None => Ok(StoreType::Jks),
        Some(v) => StoreType::parse(&v).ok_or_else(|| {
            r.err(
                key,
                format!("invalid value `{v}`: expected JKS, PKCS12 or PEM"),
            )
        }),
    }
}

fn tls_settings(r: &Reader<'_>) -> Result<super::TlsConfig, SecuritySettingError> {
    // Truststore.
    let trust_type = store_type(r, "ssl.truststore.type")?;
    let trust = match (
        r.text("ssl.truststore.location"),
        r.secret("ssl.truststore.certificates"),
    ) {
        (Some(_), Some(_)) => {
            return Err(r.err(
                "ssl.truststore.certificates",
                "set either ssl.truststore.location or ssl.truststore.certificates, not both"
                    .into(),
            ))
        }
        (Some(path), None) => {
            if trust_type == StoreType::Pem && r.secret("ssl.truststore.password").is_some() {
                return Err(r.err(
                    "ssl.truststore.password",
                    "SSL trust store password cannot be specified for PEM format (as in Kafka)"
                        .into(),
                ));
            }
            Some(TrustSource::File {
                path: PathBuf::from(path),
                kind: trust_type,
                password: r.secret("ssl.truststore.password"),
            })
        }
        (None, Some(pem)) => {
            if trust_type != StoreType::Pem {
                return Err(r.err(
                    "ssl.truststore.certificates",
                    "inline certificates need `ssl.truststore.type = PEM`".into(),
                ));
            }
            Some(TrustSource::InlinePem(pem))
        }
        (None, None) => None,
    };
    let roots = match &trust {
        Some(t) => Some(stores::load_trust(t).map_err(|m| {
            let key = match t {
                TrustSource::File { .. } => "ssl.truststore.location",
                TrustSource::InlinePem(_) => "ssl.truststore.certificates",
            };
            let key = if m.contains("ssl.truststore.password") {
                "ssl.truststore.password"
            } else {
                key
            };
            r.err(key, m)
        })?),
        None => None,
    };

    // Keystore (mTLS).
    let key_type = store_type(r, "ssl.keystore.type")?;
    let key_password = r.secret("ssl.key.password");
    let identity_source = match (
        r.text("ssl.keystore.location"),
        r.secret("ssl.keystore.certificate.chain"),
        r.secret("ssl.keystore.key"),
    ) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            return Err(r.err(
                "ssl.keystore.location",
                "set either ssl.keystore.location or ssl.keystore.certificate.chain + ssl.keystore.key, not both".into(),
            ))
        }
        (Some(path), None, None) => {
            if key_type == StoreType::Pem && r.secret("ssl.keystore.password").is_some() {
                return Err(r.err(
                    "ssl.keystore.password",
                    "SSL key store password cannot be specified with PEM format, only key password may be specified (as in Kafka)".into(),
                ));
            }
            Some(KeySource::File {
                path: PathBuf::from(path),
                kind: key_type,
                password: r.secret("ssl.keystore.password"),
                key_password,
            })
        }
        (None, Some(chain), Some(key)) => {
            if key_type != StoreType::Pem {
                return Err(r.err(
                    "ssl.keystore.key",
                    "inline key and certificate chain need `ssl.keystore.type = PEM`".into(),
                ));
            }
            Some(KeySource::InlinePem {
                chain,
                key,
                key_password,
            })
        }
        (None, Some(_), None) => {
            return Err(r.err(
                "ssl.keystore.certificate.chain",
                "ssl.keystore.certificate.chain needs ssl.keystore.key".into(),
            ))
        }
        (None, None, Some(_)) => {
            return Err(r.err(
                "ssl.keystore.key",
                "ssl.keystore.key needs ssl.keystore.certificate.chain".into(),
            ))
        }
        (None, None, None) => None,
    };
    let identity = match &identity_source {
        Some(k) => Some(stores::load_identity(k).map_err(|m| {
            let key = if m.contains("ssl.key.password") {
                "ssl.key.password"
            } else if m.contains("ssl.keystore.password") {
                "ssl.keystore.password"
            } else {
                match k {
                    KeySource::File { .. } => "ssl.keystore.location",
                    KeySource::InlinePem { .. } => "ssl.keystore.key",
                }
            };
            r.err(key, m)
        })?),
        None => None,
    };

    // Hostname verification: Kafka's default `https`; an empty value turns it off.
    let verify_hostname = match r.get("ssl.endpoint.identification.algorithm") {
        None => true,
        Some(s) => match s.value.trim().to_ascii_lowercase().as_str() {
            "https" => true,
            "" => {
                warn!(
                    cluster = %r.client.cluster,
                    role = r.role,
                    "ssl.endpoint.identification.algorithm is empty: broker host names are NOT checked against their certificates"
                );
                false
            }
            other => {
                return Err(r.err(
                    "ssl.endpoint.identification.algorithm",
                    format!(
                    "invalid value `{other}`: expected `https` or empty (no hostname verification)"
                ),
                ))
            }
        },
    };

    // Protocol versions.
    let mut versions = Vec::new();
    let enabled = r
        .get("ssl.enabled.protocols")
        .map(|s| s.value.clone())
        .unwrap_or_else(|| "TLSv1.2,TLSv1.3".into());
    let mut unsupported = Vec::new();
    for p in enabled.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match p {
            "TLSv1.3" => versions.push(&rustls::version::TLS13),
            "TLSv1.2" => versions.push(&rustls::version::TLS12),
            other => unsupported.push(other.to_string()),
        }
    }
    if versions.is_empty() {
        return Err(r.err(
            "ssl.enabled.protocols",
            format!("no protocol strait can use in `{enabled}`: strait speaks TLSv1.2 and TLSv1.3"),
        ));
    }
    if !unsupported.is_empty() {
        warn!(cluster = %r.client.cluster, role = r.role, ignored = ?unsupported, "ssl.enabled.protocols lists versions strait does not speak; using TLSv1.2/TLSv1.3 only");
    }

    tls::build(TlsMaterial {
        roots,
        identity,
        verify_hostname,
        versions,
    })
    .map_err(|m| {
        let key = if m.contains("keystore") {
            "ssl.keystore.location"
        } else {
            "ssl.truststore.location"
        };
        r.err(key, m)
    })
}

fn sasl_settings(r: &Reader<'_>) -> Result<SaslSettings, SecuritySettingError> {
    // Kafka's default mechanism is GSSAPI.
    let name = r
        .text("sasl.mechanism")
        .unwrap_or_else(|| "GSSAPI".to_string());
    let mechanism = match name.as_str() {
        "PLAIN" => SaslMechanism::Plain,
        "SCRAM-SHA-256" => SaslMechanism::ScramSha256,
        "SCRAM-SHA-512" => SaslMechanism::ScramSha512,
        "GSSAPI" => {
            let key = if r.get("sasl.mechanism").is_some() {
                "sasl.mechanism"
            } else {
                "security.protocol"
            };
            return Err(r.err(
                key,
                format!(
                    "SASL mechanism GSSAPI (Kerberos{}) is not supported by strait: use PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER",
                    if r.get("sasl.mechanism").is_none() {
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
                "sasl.mechanism",
                format!("unknown SASL mechanism `{other}`: strait supports PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 and OAUTHBEARER"),
            ))
        }
    };
    let Some(jaas_text) = r.secret("sasl.jaas.config") else {
        return Err(SecuritySettingError {
            origin: r
                .get("sasl.mechanism")
                .or_else(|| r.get("security.protocol"))
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
    Ok(SaslSettings {
        mechanism,
        credentials: SaslCredentials::Password { username, password },
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
) -> Result<SaslSettings, SecuritySettingError> {
    match r.text("sasl.login.callback.handler.class") {
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
    let Some(url) = r.text("sasl.oauthbearer.token.endpoint.url") else {
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
    let millis = |key: &str, default: u64| -> Result<Duration, SecuritySettingError> {
        match r.text(key) {
            None => Ok(Duration::from_millis(default)),
            Some(v) => v
                .parse::<u64>()
                .map(Duration::from_millis)
                .map_err(|_| r.err(key, format!("invalid value `{v}`: expected milliseconds"))),
        }
    };
    let refresh_factor = match r.text("sasl.login.refresh.window.factor") {
        None => 0.8,
        Some(v) => match v.parse::<f64>() {
            Ok(f) if (0.5..=1.0).contains(&f) => f,
            _ => {
                return Err(r.err(
                    "sasl.login.refresh.window.factor",
                    format!("invalid value `{v}`: expected a number from 0.5 to 1.0"),
                ))
            }
        },
    };
    let settings = OAuthSettings {
        endpoint,
        client_id,
        client_secret,
        scope: option("scope"),
        extensions,
        sub_claim: r
            .text("sasl.oauthbearer.sub.claim.name")
            .unwrap_or_else(|| "sub".into()),
        connect_timeout: millis("sasl.login.connect.timeout.ms", 10_000)?,
        read_timeout: millis("sasl.login.read.timeout.ms", 30_000)?,
        refresh_factor,
    };
    Ok(SaslSettings {
        mechanism: SaslMechanism::OAuthBearer,
        credentials: SaslCredentials::OAuthBearer(Arc::new(TokenSource::new(settings))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn client(pairs: &[(&str, &str)]) -> ClientConfig {
        let props: BTreeMap<String, Setting> = pairs
            .iter()
            .enumerate()
            .map(|(i, (k, v))| {
                (
                    k.to_string(),
                    Setting {
                        value: v.to_string(),
                        origin: Some(Origin {
                            file: "mm2.properties".into(),
                            line: i + 1,
                            key: format!("primary.{k}"),
                        }),
                    },
                )
            })
            .collect();
        ClientConfig {
            cluster: "primary".into(),
            props,
        }
    }

    #[test]
    fn sasl_plain_credentials_from_jaas() {
        let c = client(&[
            ("security.protocol", "SASL_PLAINTEXT"),
            ("sasl.mechanism", "PLAIN"),
            (
                "sasl.jaas.config",
                r#"org.apache.kafka.common.security.plain.PlainLoginModule required username="mm2-user" password="mm2-password";"#,
            ),
        ]);
        let s = from_client(&c, "source consumer").unwrap();
        let sasl = s.sasl.unwrap();
        assert_eq!(sasl.mechanism, SaslMechanism::Plain);
        assert_eq!(
            sasl.credentials,
            SaslCredentials::Password {
                username: "mm2-user".into(),
                password: Secret::new("mm2-password".into())
            }
        );
        assert!(s.tls.is_none());
        assert!(!format!("{:?}", sasl).contains("mm2-password"));
    }

    #[test]
    fn unsupported_mechanisms_fail_with_the_line() {
        let gssapi = from_client(
            &client(&[("security.protocol", "SASL_SSL")]),
            "source admin",
        );
        let e = gssapi.unwrap_err();
        assert!(
            e.message.contains("GSSAPI") && e.message.contains("default"),
            "{e:?}"
        );
        let oauth = from_client(
            &client(&[
                ("security.protocol", "SASL_PLAINTEXT"),
                ("sasl.mechanism", "OAUTHBEARER"),
            ]),
            "source admin",
        )
        .unwrap_err();
        assert_eq!(oauth.origin.unwrap().line, 2);
        assert!(oauth
            .message
            .contains("SASL (OAUTHBEARER) needs credentials"));
        let unknown = from_client(
            &client(&[
                ("security.protocol", "SASL_PLAINTEXT"),
                ("sasl.mechanism", "DIGEST-MD5"),
            ]),
            "x",
        )
        .unwrap_err();
        assert!(unknown
            .message
            .contains("unknown SASL mechanism `DIGEST-MD5`"));
        let no_jaas = from_client(
            &client(&[
                ("security.protocol", "SASL_PLAINTEXT"),
                ("sasl.mechanism", "SCRAM-SHA-512"),
            ]),
            "x",
        )
        .unwrap_err();
        assert!(no_jaas.message.contains("sasl.jaas.config"), "{no_jaas:?}");
        let bad_jaas = from_client(
            &client(&[
                ("security.protocol", "SASL_PLAINTEXT"),
                ("sasl.mechanism", "PLAIN"),
                (
                    "sasl.jaas.config",
                    r#"x.PlainLoginModule required password="hunter2""#,
                ),
            ]),
            "x",
        )
        .unwrap_err();
        assert!(bad_jaas.message.contains("semi-colon") && !bad_jaas.message.contains("hunter2"));
    }

    #[test]
    fn tls_checks_follow_kafka() {
        let inline_not_pem = from_client(
            &client(&[
                ("security.protocol", "SSL"),
                ("ssl.truststore.certificates", "-----BEGIN CERTIFICATE-----"),
            ]),
            "x",
        )
        .unwrap_err();
        assert!(inline_not_pem.message.contains("ssl.truststore.type = PEM"));
        let algo = from_client(
            &client(&[
                ("security.protocol", "SSL"),
                ("ssl.endpoint.identification.algorithm", "ldaps"),
            ]),
            "x",
        )
        .unwrap_err();
        assert!(algo.message.contains("`ldaps`"));
        let versions = from_client(
            &client(&[
                ("security.protocol", "SSL"),
                ("ssl.enabled.protocols", "TLSv1.1"),
            ]),
            "x",
        )
        .unwrap_err();
        assert!(versions.message.contains("TLSv1.2 and TLSv1.3"));
        // No truststore: the public roots, like Java's cacerts.
        let ok = from_client(&client(&[("security.protocol", "ssl")]), "x").unwrap();
        assert!(ok.tls.unwrap().verify_hostname);
        let missing = from_client(
            &client(&[
                ("security.protocol", "SSL"),
                ("ssl.truststore.location", "/nonexistent/truststore.jks"),
                ("ssl.truststore.password", "hunter2"),
            ]),
            "x",
        )
        .unwrap_err();
        assert!(missing
            .message
            .contains("cannot read truststore /nonexistent/truststore.jks"));
        assert!(!missing.message.contains("hunter2"));
    }

    const OAUTH_JAAS: &str = r#"org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required clientId="strait" clientSecret="hunter2" scope="kafka" extension_logicalCluster="lkc-1";"#;
    const OAUTH_HANDLER: &str =
        "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler";

    #[test]
    fn oauthbearer_takes_the_client_credentials_settings_kafka_has() {
        let s = from_client(
            &client(&[
                ("security.protocol", "SASL_SSL"),
                ("sasl.mechanism", "OAUTHBEARER"),
                ("sasl.jaas.config", OAUTH_JAAS),
                ("sasl.login.callback.handler.class", OAUTH_HANDLER),
                (
                    "sasl.oauthbearer.token.endpoint.url",
                    "https://idp.example/oauth2/token",
                ),
                ("sasl.oauthbearer.sub.claim.name", "client_id"),
                ("sasl.login.read.timeout.ms", "5000"),
            ]),
            "source consumer",
        )
        .unwrap();
        let sasl = s.sasl.unwrap();
        assert_eq!(sasl.mechanism, SaslMechanism::OAuthBearer);
        assert_eq!(sasl.principal(), "strait");
        let SaslCredentials::OAuthBearer(source) = &sasl.credentials else {
            panic!("{sasl:?}")
        };
        let o = source.settings();
        assert_eq!(
            o.endpoint,
            TokenEndpoint::Http("https://idp.example/oauth2/token".into())
        );
        assert_eq!(o.client_secret.expose(), "hunter2");
        assert_eq!(o.scope.as_deref(), Some("kafka"));
        assert_eq!(
            o.extensions,
            [("logicalCluster".to_string(), "lkc-1".to_string())]
        );
        assert_eq!(o.sub_claim, "client_id");
        assert_eq!(o.read_timeout, Duration::from_secs(5));
        assert_eq!(o.connect_timeout, Duration::from_secs(10));
        assert_eq!(o.refresh_factor, 0.8);
        // The secret stays out of Debug output.
        assert!(!format!("{sasl:?}").contains("hunter2"));
    }

    #[test]
    fn oauthbearer_refuses_what_it_cannot_do_by_name() {
        let err = |extra: &[(&str, &str)]| {
            let mut pairs = vec![
                ("security.protocol", "SASL_SSL"),
                ("sasl.mechanism", "OAUTHBEARER"),
            ];
            pairs.extend_from_slice(extra);
            let e = from_client(&client(&pairs), "x").unwrap_err();
            assert!(!e.message.contains("hunter2"), "{}", e.message);
            e.message
        };
        // Kafka's default handler: unsecured development tokens.
        assert!(err(&[("sasl.jaas.config", OAUTH_JAAS)]).contains("unsecured"));
        assert!(err(&[
            ("sasl.jaas.config", OAUTH_JAAS),
            ("sasl.login.callback.handler.class", "com.example.MyHandler"),
        ])
        .contains("Java class"));
        assert!(err(&[
            ("sasl.jaas.config", OAUTH_JAAS),
            ("sasl.login.callback.handler.class", OAUTH_HANDLER),
        ])
        .contains("needs `sasl.oauthbearer.token.endpoint.url`"));
        assert!(err(&[
            ("sasl.jaas.config", r#"org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required clientId="strait";"#),
            ("sasl.login.callback.handler.class", OAUTH_HANDLER),
            ("sasl.oauthbearer.token.endpoint.url", "http://idp/token"),
        ])
        .contains("`clientId` and `clientSecret`"));
        assert!(err(&[
            ("sasl.jaas.config", r#"org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="hunter2";"#),
        ])
        .contains("does not go with sasl.mechanism OAUTHBEARER"));
        assert!(err(&[
            ("sasl.jaas.config", OAUTH_JAAS),
            ("sasl.login.callback.handler.class", OAUTH_HANDLER),
            ("sasl.oauthbearer.token.endpoint.url", "ldap://idp"),
        ])
        .contains("not an http://, https:// or file: URL"));
    }
}
