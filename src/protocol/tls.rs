//! The TLS handshake on a broker's TCP stream (rustls, with the configuration the security layer
//! built at start-up), and turning TLS failures into messages an operator can act on (untrusted
//! CA, expired certificate, hostname mismatch, client certificate refused).

use rustls::pki_types::ServerName;
use rustls::CertificateError;
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use super::auth::TlsConfig;

/// Runs the TLS handshake with the broker at `host` (a name or an IP address, checked against the
/// certificate when hostname verification is on). The error is a message naming the cause.
pub(super) async fn handshake(
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
pub(super) fn explain_io(e: &std::io::Error, host: &str, verify_hostname: bool) -> Option<String> {
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
