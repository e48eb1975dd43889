//! The rustls side of `SSL` and `SASL_SSL`: building a `rustls::ClientConfig` from the loaded stores
//! with Kafka's defaults (hostname verification on, TLS 1.2 and 1.3), the TLS handshake on a TCP
//! stream, and turning handshake failures into messages an operator can act on (untrusted CA,
//! expired certificate, hostname mismatch, client certificate refused).

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use super::TlsConfig;

/// What a client's TLS settings resolved to, before the rustls config is built.
pub struct TlsMaterial {
    /// Trusted CA certificates; `None` means the bundled public roots (Java uses its `cacerts`).
    pub roots: Option<Vec<CertificateDer<'static>>>,
    /// Client certificate chain and key for mTLS.
    pub identity: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
    /// `ssl.endpoint.identification.algorithm` is `https` (Kafka's default).
    pub verify_hostname: bool,
    /// `ssl.enabled.protocols` that rustls supports (TLSv1.2, TLSv1.3).
    pub versions: Vec<&'static rustls::SupportedProtocolVersion>,
}

/// Builds the rustls configuration.
pub fn build(material: TlsMaterial) -> Result<TlsConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    match material.roots {
        Some(certs) => {
            for c in certs {
                roots
                    .add(c)
                    .map_err(|e| format!("a truststore certificate cannot be used as a CA: {e}"))?;
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| format!("cannot build the certificate verifier: {e}"))?;
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&material.versions)
        .map_err(|e| format!("ssl.enabled.protocols: {e}"))?;
    let builder = if material.verify_hostname {
        builder.with_webpki_verifier(verifier)
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(ChainOnlyVerifier { inner: verifier }))
    };
    let config = match material.identity {
        Some((chain, key)) => builder.with_client_auth_cert(chain, key).map_err(|e| {
            format!("the keystore's key does not fit its certificate or is not supported: {e}")
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

/// Runs the TLS handshake with the broker at `host` (a name or an IP address, checked against the
/// certificate when hostname verification is on). The error is a message naming the cause.
pub async fn handshake(
    tls: &TlsConfig,
    host: &str,
    tcp: TcpStream,
) -> Result<TlsStream<TcpStream>, String> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let name = ServerName::try_from(host.to_string())
        .map_err(|e| format!("`{host}` is not a valid TLS server name: {e}"))?;
    let connector = tokio_rustls::TlsConnector::from(tls.config.clone());
    connector.connect(name, tcp).await.map_err(|e| {
        explain_io(&e, host, tls.verify_hostname)
            .unwrap_or_else(|| format!("TLS handshake failed: {e}"))
    })
}

/// The explanation of a TLS failure carried by an `io::Error` (handshake or a later alert), or
/// `None` when the error is not a TLS one.
pub fn explain_io(e: &std::io::Error, host: &str, verify_hostname: bool) -> Option<String> {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .map(|err| describe(err, host, verify_hostname))
}

fn describe(err: &rustls::Error, host: &str, verify_hostname: bool) -> String {
    use rustls::Error as E;
    match err {
        E::InvalidCertificate(c) => match c {
            CertificateError::UnknownIssuer => "TLS handshake failed: untrusted certificate: the broker's certificate is not signed by a CA in the truststore (ssl.truststore.*)".into(),
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                "TLS handshake failed: the broker's certificate has expired".into()
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                "TLS handshake failed: the broker's certificate is not valid yet (check the clocks)".into()
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => format!(
                "TLS handshake failed: hostname verification failed: the broker's certificate does not name `{host}`{}",
                if verify_hostname {
                    " (connect with a name in its subjectAltName, or set `ssl.endpoint.identification.algorithm=` to turn hostname verification off)"
                } else {
                    ""
                }
            ),
            other => format!("TLS handshake failed: invalid broker certificate: {other:?}"),
        },
        E::AlertReceived(alert) => format!(
            "TLS failed: the broker sent alert {alert:?} (with mTLS this usually means it requires a client certificate or does not trust strait's, see ssl.keystore.*)"
        ),
        other => format!("TLS failed: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn io(e: rustls::Error) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::InvalidData, e)
    }

    /// Each certificate problem an operator can fix gets its own message; a non-TLS error is not
    /// explained as one.
    #[test]
    fn certificate_failures_are_named() {
        let cases = [
            (CertificateError::Expired, "has expired"),
            (CertificateError::UnknownIssuer, "untrusted certificate"),
            (CertificateError::NotValidYet, "not valid yet"),
            (
                CertificateError::NotValidForName,
                "does not name `b1.example`",
            ),
        ];
        for (c, want) in cases {
            let got = explain_io(
                &io(rustls::Error::InvalidCertificate(c)),
                "b1.example",
                true,
            )
            .expect("a TLS error");
            assert!(got.contains(want), "{got}");
        }
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(explain_io(&refused, "b1.example", true), None);
    }
}
