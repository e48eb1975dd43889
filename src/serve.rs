//! strait's HTTP side: an axum server per listener, serving the routes of the modules that own
//! what is served (`/metrics` today; Connect's REST API next). The listener is bound before
//! replication starts, so an address in use or not allowed is a start-up error; the server stops
//! with replication. Serving never fails replication: a connection that errs is dropped alone.

use std::net::SocketAddr;

use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// Binds a listener; called at start so that a bad address fails the start, not later.
pub fn bind(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    let listener = std::net::TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

/// Serves `routes` on `listener` until `shutdown` (connections in progress finish first).
/// `what` names the service in the log line.
pub async fn serve(
    listener: std::net::TcpListener,
    routes: axum::Router,
    what: &'static str,
    shutdown: CancellationToken,
) {
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(l) => l,
        Err(e) => {
            warn!(error = %e, what, "cannot serve");
            return;
        }
    };
    if let Ok(addr) = listener.local_addr() {
        info!(address = %addr, what, "serving HTTP");
    }
    let stop = async move { shutdown.cancelled().await };
    if let Err(e) = axum::serve(listener, routes)
        .with_graceful_shutdown(stop)
        .await
    {
        warn!(error = %e, what, "HTTP server stopped");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_taken_address_is_an_error() {
        let first = bind("127.0.0.1:0".parse().unwrap()).unwrap();
        assert!(bind(first.local_addr().unwrap()).is_err());
    }
}
