//! Reading the security settings of one resolved Kafka client (`security.protocol`, `ssl.*`, `sasl.*`
//! after MM2's precedence) into the security layer's plain [`SecuritySpec`], with Kafka's defaults
//! and Kafka's own checks, and errors that point at the line that needs fixing. The spec is built
//! once here ([`crate::security::build`]) so that a store that cannot be read, a wrong password or
//! a key that does not fit fails at start-up, blamed on the key the security layer names.

mod jaas;
mod sasl;
#[cfg(test)]
mod tests;

use std::path::PathBuf;

use tracing::warn;

use crate::config::keys::{self, Key};
use crate::config::{ClientConfig, Origin, Setting};
use crate::secret::Secret;
use crate::security::stores::{KeySource, StoreType, TrustSource};
use crate::security::{SecurityProtocol, SecuritySpec, TlsSpec, TlsVersion};

/// A problem with one client's security settings: the line it is about (when there is one) and a
/// message without secret values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SecuritySettingError {
    /// Where the offending key was written.
    pub(crate) origin: Option<Origin>,
    /// What is wrong and what was expected.
    pub(crate) message: String,
}

/// One client's settings with the role it plays, for messages.
struct Reader<'a> {
    client: &'a ClientConfig,
    role: &'a str,
}

impl Reader<'_> {
    fn get(&self, key: &Key) -> Option<&Setting> {
        self.client.props.get(key.name)
    }

    /// A trimmed non-empty value (Kafka treats an empty string like an unset password/location).
    fn text(&self, key: &Key) -> Option<String> {
        self.get(key)
            .map(|s| s.value.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    fn secret(&self, key: &Key) -> Option<Secret> {
        self.get(key)
            .map(|s| s.value.clone())
            .filter(|v| !v.is_empty())
            .map(Secret::new)
    }

    /// The written value of `key`, else its row's default.
    fn or_default(&self, key: &Key) -> Option<String> {
        key.value_in(&self.client.props).1
    }

    /// [`Reader::text`], else the row's default.
    fn text_or_default(&self, key: &Key) -> String {
        self.text(key)
            .or_else(|| key.default_value().map(String::from))
            .unwrap_or_default()
    }

    /// A value of `key` read with `parse` (the row's type), its default when not written; an
    /// error says what was expected.
    fn read<T>(
        &self,
        key: &Key,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Option<T>, SecuritySettingError> {
        let Some(text) = self.or_default(key) else {
            return Ok(None);
        };
        parse(&text).map(Some).map_err(|expected| {
            let shown = if keys::looks_secret(key.name) {
                String::new()
            } else {
                format!(" `{}`", text.trim())
            };
            self.err(
                key.name,
                format!("invalid value{shown}: expected {expected}"),
            )
        })
    }

    fn err(&self, key: &str, message: String) -> SecuritySettingError {
        SecuritySettingError {
            origin: self.client.props.get(key).and_then(|s| s.origin.clone()),
            message: format!(
                "{message} (cluster `{}`, {})",
                self.client.cluster, self.role
            ),
        }
    }
}

/// The security spec of the client `client` (`role` names it in messages, e.g. "source
/// consumer"). It is built once here (stores read, keys decrypted) so that problems surface at
/// start-up, at the line of the key the security layer blames.
pub(super) fn from_client(
    client: &ClientConfig,
    role: &str,
) -> Result<SecuritySpec, SecuritySettingError> {
    let r = Reader { client, role };
    let spec = read_spec(&r)?;
    crate::security::build(&spec).map_err(|e| r.err(e.key, e.message))?;
    Ok(spec)
}

fn read_spec(r: &Reader<'_>) -> Result<SecuritySpec, SecuritySettingError> {
    let protocol = r
        .read(&keys::SECURITY_PROTOCOL, |v| {
            keys::SECURITY_PROTOCOL.ty.choice(v)
        })?
        .and_then(SecurityProtocol::parse)
        .unwrap_or(SecurityProtocol::Plaintext);
    let tls = if protocol.uses_tls() {
        Some(tls_spec(r)?)
    } else {
        None
    };
    let sasl = if protocol.uses_sasl() {
        Some(sasl::sasl_spec(r)?)
    } else {
        None
    };
    Ok(SecuritySpec {
        protocol,
        tls,
        sasl,
    })
}

fn store_type(r: &Reader<'_>, key: &Key) -> Result<StoreType, SecuritySettingError> {
    let chosen = r.read(key, |v| key.ty.choice(v))?;
    Ok(chosen.and_then(StoreType::parse).unwrap_or(StoreType::Jks))
}

fn tls_spec(r: &Reader<'_>) -> Result<TlsSpec, SecuritySettingError> {
    // Truststore.
    let trust_type = store_type(r, &keys::SSL_TRUSTSTORE_TYPE)?;
    let trust = match (
        r.text(&keys::SSL_TRUSTSTORE_LOCATION),
        r.secret(&keys::SSL_TRUSTSTORE_CERTIFICATES),
    ) {
        (Some(_), Some(_)) => {
            return Err(r.err(
                "ssl.truststore.certificates",
                "set either ssl.truststore.location or ssl.truststore.certificates, not both"
                    .into(),
            ))
        }
        (Some(path), None) => {
            if trust_type == StoreType::Pem && r.secret(&keys::SSL_TRUSTSTORE_PASSWORD).is_some() {
                return Err(r.err(
                    "ssl.truststore.password",
                    "SSL trust store password cannot be specified for PEM format (as in Kafka)"
                        .into(),
                ));
            }
            Some(TrustSource::File {
                path: PathBuf::from(path),
                kind: trust_type,
                password: r.secret(&keys::SSL_TRUSTSTORE_PASSWORD),
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

    // Keystore (mTLS).
    let key_type = store_type(r, &keys::SSL_KEYSTORE_TYPE)?;
    let key_password = r.secret(&keys::SSL_KEY_PASSWORD);
    let identity_source = match (
        r.text(&keys::SSL_KEYSTORE_LOCATION),
        r.secret(&keys::SSL_KEYSTORE_CERTIFICATE_CHAIN),
        r.secret(&keys::SSL_KEYSTORE_KEY),
    ) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            return Err(r.err(
                "ssl.keystore.location",
                "set either ssl.keystore.location or ssl.keystore.certificate.chain + ssl.keystore.key, not both".into(),
            ))
        }
        (Some(path), None, None) => {
            if key_type == StoreType::Pem && r.secret(&keys::SSL_KEYSTORE_PASSWORD).is_some() {
                return Err(r.err(
                    "ssl.keystore.password",
                    "SSL key store password cannot be specified with PEM format, only key password may be specified (as in Kafka)".into(),
                ));
            }
            Some(KeySource::File {
                path: PathBuf::from(path),
                kind: key_type,
                password: r.secret(&keys::SSL_KEYSTORE_PASSWORD),
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

    // Hostname verification: Kafka's default `https`; an empty value turns it off.
    let verify_hostname = match r.get(&keys::SSL_ENDPOINT_IDENTIFICATION_ALGORITHM) {
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
        .or_default(&keys::SSL_ENABLED_PROTOCOLS)
        .unwrap_or_default();
    let mut unsupported = Vec::new();
    for p in enabled.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match p {
            "TLSv1.3" => versions.push(TlsVersion::Tls13),
            "TLSv1.2" => versions.push(TlsVersion::Tls12),
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

    Ok(TlsSpec {
        trust,
        identity: identity_source,
        verify_hostname,
        versions,
    })
}
