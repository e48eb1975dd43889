//! The scrape endpoint: `GET /metrics` answers the registry in the Prometheus text format; anything
//! else gets 404 (other paths) or 405 (other methods). One request per connection
//! (`Connection: close`), request heads up to 8 KiB, 5 s to send one: a scraper needs no more, and
//! a slow or hostile client cannot hold memory or tasks for long. The exposition itself is
//! `prometheus-client`'s; only this small HTTP/1.x exchange is strait's (a full HTTP server crate
//! would add more build time than the one request it serves needs).

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::Metrics;

/// Largest request head read.
const MAX_HEAD: usize = 8 << 10;
/// Time a client has to send its request and read the answer.
const IO_TIMEOUT: Duration = Duration::from_secs(5);
/// The exposition's content type (Prometheus text format 0.0.4).
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// Binds the metrics listener; called before replication starts so that an address in use or not
/// allowed is a start-up error.
pub fn bind(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    let listener = std::net::TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

/// Serves `metrics` on `listener` until `shutdown`. Never fails replication: accept errors are
/// logged and retried.
pub async fn serve(listener: std::net::TcpListener, metrics: Metrics, shutdown: CancellationToken) {
    let listener = match TcpListener::from_std(listener) {
        Ok(l) => l,
        Err(e) => {
            warn!(error = %e, "cannot serve metrics");
            return;
        }
    };
    if let Ok(addr) = listener.local_addr() {
        info!(address = %addr, "serving Prometheus metrics on /metrics");
    }
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.cancelled() => return,
        };
        match accepted {
            Ok((stream, peer)) => {
                let metrics = metrics.clone();
                tokio::spawn(async move {
                    if let Err(e) = tokio::time::timeout(IO_TIMEOUT, answer(stream, &metrics)).await
                    {
                        debug!(peer = %peer, error = %e, "metrics request timed out");
                    }
                });
            }
            Err(e) => {
                warn!(error = %e, "accepting a metrics connection failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Reads one request head and writes the answer.
async fn answer(mut stream: TcpStream, metrics: &Metrics) {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && !head.windows(2).any(|w| w == b"\n\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
        if head.len() > MAX_HEAD {
            let _ = stream
                .write_all(&response(
                    "431 Request Header Fields Too Large",
                    "text/plain",
                    b"",
                ))
                .await;
            return;
        }
    }
    let reply = match route(&head) {
        Route::Metrics { head_only } => match metrics.render() {
            Ok(text) => {
                let mut r = response("200 OK", CONTENT_TYPE, text.as_bytes());
                if head_only {
                    r.truncate(r.len() - text.len());
                }
                r
            }
            Err(_) => response(
                "500 Internal Server Error",
                "text/plain",
                b"metrics encoding failed\n",
            ),
        },
        Route::NotFound => response("404 Not Found", "text/plain", b"try /metrics\n"),
        Route::BadMethod => response("405 Method Not Allowed", "text/plain", b"GET only\n"),
        Route::Bad => response("400 Bad Request", "text/plain", b""),
    };
    let _ = stream.write_all(&reply).await;
    let _ = stream.shutdown().await;
}

/// What a request asks for.
#[derive(Debug, PartialEq, Eq)]
enum Route {
    Metrics { head_only: bool },
    NotFound,
    BadMethod,
    Bad,
}

/// Routes a request by its request line (`GET /metrics HTTP/1.1`; a query string is ignored).
fn route(head: &[u8]) -> Route {
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let Ok(line) = std::str::from_utf8(line) else {
        return Route::Bad;
    };
    let mut parts = line.trim_end_matches('\r').split(' ');
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Route::Bad;
    };
    if !version.starts_with("HTTP/1.") {
        return Route::Bad;
    }
    let path = target.split('?').next().unwrap_or_default();
    let head_only = match method {
        "GET" => false,
        "HEAD" => true,
        _ => return Route::BadMethod,
    };
    if path == "/metrics" {
        Route::Metrics { head_only }
    } else {
        Route::NotFound
    }
}

/// A complete HTTP/1.1 response closing the connection.
fn response(status: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_by_request_line() {
        assert_eq!(
            route(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"),
            Route::Metrics { head_only: false }
        );
        assert_eq!(
            route(b"GET /metrics?x=1 HTTP/1.0\r\n\r\n"),
            Route::Metrics { head_only: false }
        );
        assert_eq!(
            route(b"HEAD /metrics HTTP/1.1\r\n\r\n"),
            Route::Metrics { head_only: true }
        );
        assert_eq!(route(b"GET / HTTP/1.1\r\n\r\n"), Route::NotFound);
        assert_eq!(route(b"POST /metrics HTTP/1.1\r\n\r\n"), Route::BadMethod);
        assert_eq!(route(b"garbage\r\n\r\n"), Route::Bad);
        assert_eq!(route(b"\xff\xfe /metrics HTTP/1.1\r\n\r\n"), Route::Bad);
    }

    #[tokio::test]
    async fn serves_the_registry_over_tcp() {
        let metrics = Metrics::new();
        metrics
            .flow("a", "b")
            .partition("a.t", 0)
            .acked(3, 10, 0, 5);
        let listener = bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = CancellationToken::new();
        let server = tokio::spawn(serve(listener, metrics, stop.clone()));
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n")
            .await
            .unwrap();
        let mut got = String::new();
        s.read_to_string(&mut got).await.unwrap();
        assert!(got.starts_with("HTTP/1.1 200 OK\r\n"), "{got}");
        assert!(got.contains(CONTENT_TYPE), "{got}");
        assert!(
            got.contains(r#"mm2_source_record_count_total{source="a",target="b",topic="a.t",partition="0"} 3"#),
            "{got}"
        );
        stop.cancel();
        server.await.unwrap();
    }

    #[test]
    fn a_taken_address_is_an_error() {
        let first = bind("127.0.0.1:0".parse().unwrap()).unwrap();
        assert!(bind(first.local_addr().unwrap()).is_err());
    }
}
