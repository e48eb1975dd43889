//! The scrape endpoint: `GET /metrics` (and `HEAD`) answers the registry in the Prometheus text
//! format, gzipped when the scraper accepts it (Prometheus does; a scrape of 10,000 partitions is
//! megabytes of very repetitive text); another method on it gets 405, another path 404 (axum's
//! routing). The exposition is `prometheus-client`'s, the HTTP axum's, the gzip `tower-http`'s.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tower_http::compression::{CompressionLayer, CompressionLevel};

use super::Metrics;

/// The exposition's content type (Prometheus text format 0.0.4).
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// The routes that serve `metrics`.
pub fn routes(metrics: Metrics) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .route("/status", get(status_page))
        // Fastest: the text shrinks about 20-fold even so, for a fraction of the CPU of level 6.
        .layer(
            CompressionLayer::new()
                .gzip(true)
                .quality(CompressionLevel::Fastest),
        )
        .with_state(metrics)
}

/// `GET /status`: the HTML status page.
async fn status_page(State(metrics): State<Metrics>) -> Response {
    axum::response::Html(super::status_page::render(&metrics.snapshot())).into_response()
}

/// `GET /metrics`.
async fn scrape(State(metrics): State<Metrics>) -> Response {
    match metrics.render() {
        Ok(body) => ([(header::CONTENT_TYPE, CONTENT_TYPE)], body).into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot render the metrics: {e}\n"),
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_util::sync::CancellationToken;

    /// One request over real TCP; the answer as text.
    async fn ask(addr: std::net::SocketAddr, request: &str) -> String {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(request.as_bytes()).await.unwrap();
        let mut got = String::new();
        s.read_to_string(&mut got).await.unwrap();
        got
    }

    #[tokio::test]
    async fn serves_the_registry_and_refuses_other_paths_and_methods() {
        let metrics = Metrics::new();
        metrics
            .flow("a", "b")
            .partition("a.t", 0)
            .acked(3, 10, 0, 5);
        let listener = crate::serve::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = CancellationToken::new();
        let server = tokio::spawn(crate::serve::serve(
            listener,
            routes(metrics),
            "metrics",
            stop.clone(),
        ));
        let got = ask(
            addr,
            "GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        )
        .await;
        assert!(got.starts_with("HTTP/1.1 200 OK\r\n"), "{got}");
        assert!(got.contains(CONTENT_TYPE), "{got}");
        assert!(
            got.contains(r#"mm2_source_record_count_total{source="a",target="b",topic="a.t",partition="0"} 3"#),
            "{got}"
        );
        let other = ask(
            addr,
            "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        )
        .await;
        assert!(other.starts_with("HTTP/1.1 404"), "{other}");
        let post = ask(
            addr,
            "POST /metrics HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        )
        .await;
        assert!(post.starts_with("HTTP/1.1 405"), "{post}");
        // A scraper that accepts gzip gets it.
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /metrics HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).await.unwrap();
        let head = String::from_utf8_lossy(&raw[..raw.len().min(300)]).to_lowercase();
        assert!(head.contains("content-encoding: gzip"), "{head}");
        stop.cancel();
        server.await.unwrap();
    }
}
