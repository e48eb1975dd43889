//! Reading the security settings of one resolved Kafka client (`security.protocol`, `ssl.*`, `sasl.*`
//! after MM2's precedence) into a ready [`Security`], with Kafka's defaults and Kafka's own checks,
//! and errors that point at the line that needs fixing.

use std::path::PathBuf;

use tracing::warn;

use super::jaas;
use super::stores::{self, KeySource, StoreType, TrustSource};
use super::tls::{self, TlsMaterial};
use super::{SaslMechanism, SaslSettings, Secret, Security, SecurityProtocol};
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
                    "SASL mechanism GSSAPI (Kerberos{}) is not supported by strait: use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512",
                    if r.get("sasl.mechanism").is_none() {
                        ", Kafka's default when sasl.mechanism is not set"
                    } else {
                        ""
                    }
                ),
            ))
        }
        "OAUTHBEARER" => {
            return Err(r.err(
                "sasl.mechanism",
                "SASL mechanism OAUTHBEARER is not supported by strait yet: use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512".into(),
            ))
        }
        other => {
            return Err(r.err(
                "sasl.mechanism",
                format!("unknown SASL mechanism `{other}`: strait supports PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512"),
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
        "PlainLoginModule" | "ScramLoginModule" => {}
        "OAuthBearerLoginModule" => {
            return Err(r.err(
                "sasl.jaas.config",
                "OAuthBearerLoginModule is not supported by strait yet".into(),
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
                format!("login module `{other}` is not supported: strait reads PlainLoginModule and ScramLoginModule credentials"),
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
        username,
        password,
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
        assert_eq!(sasl.username, "mm2-user");
        assert_eq!(sasl.password.expose(), "mm2-password");
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
        assert!(oauth.message.contains("OAUTHBEARER"));
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
}
