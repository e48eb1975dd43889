//! The rustls side of `SSL` and `SASL_SSL`: building a `rustls::ClientConfig` from the loaded stores
//! with Kafka's defaults (hostname verification on, TLS 1.2 and 1.3). The handshake itself is the
//! wire layer's (`protocol::tls`).

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::SecurityError;
use crate::protocol::TlsConfig;

/// What a client's TLS settings resolved to, before the rustls config is built.
pub(crate) struct TlsMaterial {
    /// Trusted CA certificates, with the key that named them; `None` means the bundled public
    /// roots (Java uses its `cacerts`).
    pub(crate) roots: Option<(Vec<CertificateDer<'static>>, &'static str)>,
    /// Client certificate chain and key for mTLS, with the key that named them.
    pub(crate) identity: Option<(
        Vec<CertificateDer<'static>>,
        PrivateKeyDer<'static>,
        &'static str,
    )>,
    /// `ssl.endpoint.identification.algorithm` is `https` (Kafka's default).
    pub(crate) verify_hostname: bool,
    /// `ssl.enabled.protocols` that rustls supports (TLSv1.2, TLSv1.3).
    pub(crate) versions: Vec<&'static rustls::SupportedProtocolVersion>,
}

/// Builds the rustls configuration.
pub(crate) fn build(material: TlsMaterial) -> Result<TlsConfig, SecurityError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    let mut roots_key = "ssl.truststore.location";
    match material.roots {
        Some((certs, key)) => {
            roots_key = key;
            for c in certs {
                roots.add(c).map_err(|e| {
                    SecurityError::new(
                        key,
                        format!("a truststore certificate cannot be used as a CA: {e}"),
                    )
                })?;
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| {
            SecurityError::new(
                roots_key,
                format!("cannot build the certificate verifier: {e}"),
            )
        })?;
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&material.versions)
        .map_err(|e| SecurityError::new("ssl.enabled.protocols", e.to_string()))?;
    let builder = if material.verify_hostname {
        builder.with_webpki_verifier(verifier)
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(ChainOnlyVerifier { inner: verifier }))
    };
    let config = match material.identity {
        Some((chain, key, named_by)) => builder.with_client_auth_cert(chain, key).map_err(|e| {
            SecurityError::new(
                named_by,
                format!("the keystore's key does not fit its certificate or is not supported: {e}"),
            )
        })?,
        None => builder.with_no_client_auth(),
    };
    Ok(TlsConfig {
        config: Arc::new(config),
        verify_hostname: material.verify_hostname,
    })
}

/// Checks the chain like the default verifier but accepts a certificate that does not name the
/// host: Kafka's `ssl.endpoint.identification.algorithm=` (empty). The chain, validity dates and
/// signatures are still verified.
#[derive(Debug)]
struct ChainOnlyVerifier {
    inner: Arc<WebPkiServerVerifier>,
}

impl ServerCertVerifier for ChainOnlyVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}
