//! Loading Kafka's `ssl.truststore.*` / `ssl.keystore.*` material (JKS, PKCS12, PEM; files or inline
//! PEM values) into the DER certificates and key rustls takes. Parsing is done by crates (`jks`,
//! `p12-keystore`, `rustls-pki-types`); this file only maps Kafka's settings onto them and turns their
//! failures into errors that name the key to fix, the store and the likely cause, never a password.

use std::path::{Path, PathBuf};

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use super::SecurityError;
use crate::secret::Secret;

/// `ssl.truststore.type` / `ssl.keystore.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreType {
    /// Java KeyStore (Kafka's default type).
    Jks,
    /// PKCS#12 (`.p12`, `.pfx`).
    Pkcs12,
    /// PEM text (Kafka 2.7+).
    Pem,
}

impl StoreType {
    /// Parses Kafka's type names (any case).
    pub fn parse(s: &str) -> Option<StoreType> {
        match s.trim().to_ascii_uppercase().as_str() {
            "JKS" => Some(StoreType::Jks),
            "PKCS12" => Some(StoreType::Pkcs12),
            "PEM" => Some(StoreType::Pem),
            _ => None,
        }
    }
}

/// Where trusted certificates come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustSource {
    /// `ssl.truststore.location` with its type and password.
    File {
        /// The store file.
        path: PathBuf,
        /// `ssl.truststore.type`.
        kind: StoreType,
        /// `ssl.truststore.password` (JKS and PKCS12 need it to check integrity).
        password: Option<Secret>,
    },
    /// `ssl.truststore.certificates` (PEM text, `ssl.truststore.type=PEM`).
    InlinePem(Secret),
}

/// Where the client certificate and key (mTLS) come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// `ssl.keystore.location` with its type and passwords.
    File {
        /// The store file.
        path: PathBuf,
        /// `ssl.keystore.type`.
        kind: StoreType,
        /// `ssl.keystore.password`.
        password: Option<Secret>,
        /// `ssl.key.password` (defaults to the store password, as in Kafka).
        key_password: Option<Secret>,
    },
    /// `ssl.keystore.certificate.chain` + `ssl.keystore.key` (PEM text).
    InlinePem {
        /// The PEM certificate chain.
        chain: Secret,
        /// The PEM private key.
        key: Secret,
        /// `ssl.key.password` for an encrypted key.
        key_password: Option<Secret>,
    },
}

fn read(path: &Path, what: &str, key: &'static str) -> Result<Vec<u8>, SecurityError> {
    std::fs::read(path)
        .map_err(|e| SecurityError::new(key, format!("cannot read {what} {}: {e}", path.display())))
}

/// The trusted CA certificates of `source`.
pub(crate) fn load_trust(
    source: &TrustSource,
) -> Result<Vec<CertificateDer<'static>>, SecurityError> {
    let certs = match source {
        TrustSource::InlinePem(text) => pem_certs(
            text.expose().as_bytes(),
            "ssl.truststore.certificates",
            "ssl.truststore.certificates",
        )?,
        TrustSource::File {
            path,
            kind,
            password,
        } => {
            let what = format!("truststore {}", path.display());
            let data = read(path, "truststore", TRUST_LOCATION)?;
            match kind {
                StoreType::Pem => pem_certs(&data, &what, TRUST_LOCATION)?,
                StoreType::Jks => {
                    let ks = load_jks(&data, password.as_ref(), &what, TRUST_STORE)?;
                    let mut out = Vec::new();
                    for alias in ks.aliases() {
                        if let Ok(e) = ks.get_trusted_certificate_entry(&alias) {
                            out.push(CertificateDer::from(e.certificate.content));
                        } else if let Ok(chain) = ks.get_private_key_entry_certificate_chain(&alias)
                        {
                            // SunJSSE also trusts the end certificate of a key entry.
                            if let Some(first) = chain.into_iter().next() {
                                out.push(CertificateDer::from(first.content));
                            }
                        }
                    }
                    out
                }
                StoreType::Pkcs12 => {
                    let ks = load_p12(
                        &data,
                        password.as_ref(),
                        &what,
                        TRUST_STORE,
                        p12_keystore::Pkcs12ImportPolicy::Raw,
                    )?;
                    let mut out = Vec::new();
                    for (_, entry) in ks.entries() {
                        match entry {
                            p12_keystore::KeyStoreEntry::Certificate(c) => {
                                out.push(CertificateDer::from(c.as_der().to_vec()))
                            }
                            p12_keystore::KeyStoreEntry::PrivateKeyChain(k) => {
                                if let Some(c) = k.certs().first() {
                                    out.push(CertificateDer::from(c.as_der().to_vec()))
                                }
                            }
                            _ => {}
                        }
                    }
                    out
                }
            }
        }
    };
    if certs.is_empty() {
        return Err(SecurityError::new(
            trust_key(source),
            format!("{} holds no certificate to trust", describe_trust(source)),
        ));
    }
    Ok(certs)
}

/// A name for a trust source in messages.
fn describe_trust(source: &TrustSource) -> String {
    match source {
        TrustSource::File { path, .. } => format!("truststore {}", path.display()),
        TrustSource::InlinePem(_) => "ssl.truststore.certificates".into(),
    }
}

/// The key that names a trust source, to blame for a problem with its contents.
pub(crate) fn trust_key(source: &TrustSource) -> &'static str {
    match source {
        TrustSource::File { .. } => TRUST_LOCATION,
        TrustSource::InlinePem(_) => "ssl.truststore.certificates",
    }
}

/// The key that names a key source, to blame for a problem with its contents.
pub(crate) fn identity_key(source: &KeySource) -> &'static str {
    match source {
        KeySource::File { .. } => KEY_LOCATION,
        KeySource::InlinePem { .. } => "ssl.keystore.key",
    }
}

const TRUST_LOCATION: &str = "ssl.truststore.location";
const KEY_LOCATION: &str = "ssl.keystore.location";

/// The keys of one store, for errors: where it is and what opens it.
struct StoreKeys {
    location: &'static str,
    password: &'static str,
}

const TRUST_STORE: StoreKeys = StoreKeys {
    location: TRUST_LOCATION,
    password: "ssl.truststore.password",
};
const KEY_STORE: StoreKeys = StoreKeys {
    location: KEY_LOCATION,
    password: "ssl.keystore.password",
};

/// The client certificate chain and private key of `source`.
pub(crate) fn load_identity(
    source: &KeySource,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), SecurityError> {
    match source {
        KeySource::InlinePem {
            chain,
            key,
            key_password,
        } => {
            let certs = pem_certs(
                chain.expose().as_bytes(),
                "ssl.keystore.certificate.chain",
                "ssl.keystore.certificate.chain",
            )?;
            let key = pem_key(
                key.expose().as_bytes(),
                "ssl.keystore.key",
                "ssl.keystore.key",
                key_password.is_some(),
            )?;
            Ok((certs, key))
        }
        KeySource::File {
            path,
            kind,
            password,
            key_password,
        } => {
            let what = format!("keystore {}", path.display());
            let data = read(path, "keystore", KEY_LOCATION)?;
            match kind {
                StoreType::Pem => {
                    let certs = pem_certs(&data, &what, KEY_LOCATION)?;
                    let key = pem_key(&data, &what, KEY_LOCATION, key_password.is_some())?;
                    Ok((certs, key))
                }
                StoreType::Jks => {
                    let ks = load_jks(&data, password.as_ref(), &what, KEY_STORE)?;
                    let alias = ks
                        .aliases()
                        .into_iter()
                        .find(|a| ks.is_private_key_entry(a))
                        .ok_or_else(|| {
                            SecurityError::new(
                                KEY_LOCATION,
                                format!("{what} holds no private key entry"),
                            )
                        })?;
                    let key_pw = key_password.as_ref().or(password.as_ref());
                    let key_pw = key_pw.map(|p| p.expose().as_bytes()).unwrap_or_default();
                    let entry = ks.get_private_key_entry(&alias, key_pw).map_err(|e| {
                        SecurityError::new(
                            "ssl.key.password",
                            format!(
                                "cannot decrypt the private key `{alias}` of {what} ({e}): check ssl.key.password"
                            ),
                        )
                    })?;
                    let certs = entry
                        .certificate_chain
                        .into_iter()
                        .map(|c| CertificateDer::from(c.content))
                        .collect();
                    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(entry.private_key));
                    Ok((certs, key))
                }
                StoreType::Pkcs12 => {
                    let ks = load_p12(
                        &data,
                        password.as_ref(),
                        &what,
                        KEY_STORE,
                        p12_keystore::Pkcs12ImportPolicy::Strict,
                    )?;
                    let (_, chain) = ks.private_key_chain().ok_or_else(|| {
                        SecurityError::new(
                            KEY_LOCATION,
                            format!("{what} holds no private key with its certificate"),
                        )
                    })?;
                    let certs = chain
                        .certs()
                        .iter()
                        .map(|c| CertificateDer::from(c.as_der().to_vec()))
                        .collect();
                    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
                        chain.key().as_der().to_vec(),
                    ));
                    Ok((certs, key))
                }
            }
        }
    }
}

fn load_jks(
    data: &[u8],
    password: Option<&Secret>,
    what: &str,
    keys: StoreKeys,
) -> Result<jks::KeyStore, SecurityError> {
    let password_key = keys.password;
    let Some(password) = password else {
        return Err(SecurityError::new(
            password_key,
            format!(
                "{what} is a JKS store: set `{password_key}` (strait checks the store's integrity with it)"
            ),
        ));
    };
    let mut ks = jks::KeyStore::with_options(jks::KeyStoreOptions {
        min_password_len: 0,
        ..jks::KeyStoreOptions::default()
    });
    ks.load(data, password.expose().as_bytes())
        .map_err(|e| match e {
            jks::KeyStoreError::InvalidDigest => SecurityError::new(
                password_key,
                format!(
                    "{what}: keystore was tampered with, or password was incorrect (check `{password_key}`)"
                ),
            ),
            jks::KeyStoreError::InvalidMagic => SecurityError::new(
                keys.location,
                format!(
                    "{what} is not a JKS file (set the store type, e.g. `ssl.truststore.type = PKCS12` or `PEM`)"
                ),
            ),
            other => SecurityError::new(
                keys.location,
                format!("{what}: cannot read the JKS store: {other}"),
            ),
        })?;
    Ok(ks)
}

fn load_p12(
    data: &[u8],
    password: Option<&Secret>,
    what: &str,
    keys: StoreKeys,
    policy: p12_keystore::Pkcs12ImportPolicy,
) -> Result<p12_keystore::KeyStore, SecurityError> {
    let password_key = keys.password;
    let pw = password.map(|p| p.expose()).unwrap_or("");
    p12_keystore::KeyStore::from_pkcs12(data, pw, policy).map_err(|e| match e {
        p12_keystore::error::Error::MacError(_) => SecurityError::new(
            password_key,
            format!("{what}: keystore password was incorrect (check `{password_key}`)"),
        ),
        other => SecurityError::new(
            password_key,
            format!(
                "{what}: cannot read the PKCS12 store ({other}); a wrong `{password_key}` or another store type (JKS, PEM) are the usual causes"
            ),
        ),
    })
}

fn pem_certs(
    data: &[u8],
    what: &str,
    key: &'static str,
) -> Result<Vec<CertificateDer<'static>>, SecurityError> {
    let certs: Result<Vec<_>, _> = CertificateDer::pem_slice_iter(data).collect();
    let certs = certs
        .map_err(|e| SecurityError::new(key, format!("{what}: invalid PEM certificate: {e}")))?;
    if certs.is_empty() {
        return Err(SecurityError::new(
            key,
            format!("{what} holds no `-----BEGIN CERTIFICATE-----` block"),
        ));
    }
    Ok(certs)
}

fn pem_key(
    data: &[u8],
    what: &str,
    key: &'static str,
    has_password: bool,
) -> Result<PrivateKeyDer<'static>, SecurityError> {
    let text = String::from_utf8_lossy(data);
    if text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
        // With `ssl.key.password` set the operator meant the key to be encrypted: that key is
        // the one to change (or drop, with the key stored unencrypted).
        return Err(SecurityError::new(
            if has_password { "ssl.key.password" } else { key },
            format!(
                "{what}: encrypted PEM private keys are not supported yet{}; store the key unencrypted (PKCS#8, `openssl pkcs8 -topk8 -nocrypt`) or use a PKCS12/JKS keystore",
                if has_password { " (ssl.key.password is set)" } else { "" }
            ),
        ));
    }
    PrivateKeyDer::from_pem_slice(data).map_err(|e| {
        SecurityError::new(
            key,
            format!(
                "{what}: no usable private key (expected a `-----BEGIN PRIVATE KEY-----` block): {e}"
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    //! Fixtures are generated with openssl and keytool by `scripts/gen-test-certs.sh` into a temp
    //! dir. Both tools are prerequisites of the test suite (README), so a failed generation fails
    //! the test instead of skipping it.
    use super::*;
    use std::process::Command;

    fn fixtures() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/gen-test-certs.sh");
        let out = Command::new("bash")
            .arg(&script)
            .arg(dir.path())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        assert!(
            out.status.success(),
            "{} failed ({}; it needs openssl and keytool):\n{}",
            script.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        dir
    }

    fn pw(s: &str) -> Option<Secret> {
        Some(Secret::new(s.to_string()))
    }

    #[test]
    fn stores_load_in_every_format_and_wrong_passwords_are_named() {
        let dir = fixtures();
        let d = dir.path();
        let pass = std::fs::read_to_string(d.join("store-password")).unwrap();
        let pass = pass.trim();
        let keypass = std::fs::read_to_string(d.join("key-password")).unwrap();
        for (file, kind) in [
            ("truststore.jks", StoreType::Jks),
            ("truststore.p12", StoreType::Pkcs12),
            ("ca.pem", StoreType::Pem),
        ] {
            let src = TrustSource::File {
                path: d.join(file),
                kind,
                password: pw(pass),
            };
            assert_eq!(load_trust(&src).unwrap().len(), 1, "{file}");
        }
        for (file, kind, key_password) in [
            ("client.keystore.jks", StoreType::Jks, pw(keypass.trim())),
            ("client.keystore.p12", StoreType::Pkcs12, None),
            ("client.keystore.pem", StoreType::Pem, None),
        ] {
            let src = KeySource::File {
                path: d.join(file),
                kind,
                password: pw(pass),
                key_password,
            };
            let (certs, _key) = load_identity(&src).unwrap_or_else(|e| panic!("{file}: {e}"));
            assert!(!certs.is_empty(), "{file}");
        }
        let wrong = TrustSource::File {
            path: d.join("truststore.jks"),
            kind: StoreType::Jks,
            password: pw("not-the-password"),
        };
        let e = load_trust(&wrong).unwrap_err();
        assert_eq!(e.key, "ssl.truststore.password", "{e}");
        let e = e.to_string();
        assert!(
            e.contains("password was incorrect") && !e.contains("not-the-password"),
            "{e}"
        );
        let wrong = KeySource::File {
            path: d.join("client.keystore.p12"),
            kind: StoreType::Pkcs12,
            password: pw("not-the-password"),
            key_password: None,
        };
        let e = load_identity(&wrong).unwrap_err();
        assert_eq!(e.key, "ssl.keystore.password", "{e}");
        let e = e.to_string();
        assert!(
            e.contains("ssl.keystore.password") && !e.contains("not-the-password"),
            "{e}"
        );
        let not_jks = TrustSource::File {
            path: d.join("truststore.p12"),
            kind: StoreType::Jks,
            password: pw(pass),
        };
        let e = load_trust(&not_jks).unwrap_err();
        assert_eq!(e.key, "ssl.truststore.location", "{e}");
        assert!(e.to_string().contains("not a JKS file"), "{e}");
    }
}
