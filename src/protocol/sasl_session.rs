//! A SASL session on a [`BrokerConnection`]: the exchange run while holding the connection's
//! writer (so that no other request goes out in between, as KIP-368 requires when
//! re-authenticating), and its renewal before the broker's session lifetime ends.

use std::sync::Arc;
use std::time::Duration;

use kafka_protocol::protocol::Request;
use tokio::time::Instant;
use tracing::{debug, warn};

use super::auth::SaslSettings;
use super::connection::{api_of, BrokerConnection};
use super::error::Result;
use super::sasl;
use super::transport::WriteHalf;

impl BrokerConnection {
    /// Runs the SASL exchange holding the writer, so that no other request goes out in between
    /// (KIP-368 forbids it during re-authentication; requests already in flight are answered first,
    /// as the broker handles a connection's requests in order). Returns the session lifetime.
    pub(super) async fn authenticate(&self, sasl: &SaslSettings) -> Result<Option<Duration>> {
        let login = sasl::prepare(sasl, self.cluster(), self.broker()).await?;
        let mut w = self.inner.writer.lock().await;
        let mut locked = LockedSender {
            conn: self,
            writer: &mut w,
        };
        sasl::authenticate(&mut locked, login).await
    }

    /// Re-authenticates at 85-95% of each session lifetime (KIP-368's window) until the connection
    /// closes or is dropped. A failed re-authentication closes the connection (the broker would at
    /// expiry anyway); its users then reconnect, which authenticates afresh.
    pub(super) fn schedule_reauthentication(&self, sasl: SaslSettings, first: Duration) {
        let weak = Arc::downgrade(&self.inner);
        let mut closed_rx = self.inner.shared.closed_tx.subscribe();
        tokio::spawn(async move {
            let mut lifetime = first;
            loop {
                let share = 0.85 + rand::random::<f64>() * 0.10;
                let at = Instant::now() + lifetime.mul_f64(share);
                tokio::select! {
                    _ = tokio::time::sleep_until(at) => {}
                    _ = closed_rx.wait_for(|closed| *closed) => return,
                }
                let Some(inner) = weak.upgrade() else { return };
                let conn = BrokerConnection { inner };
                match conn.authenticate(&sasl).await {
                    Ok(Some(next)) => {
                        debug!(cluster = %conn.cluster(), broker = %conn.broker(), session_lifetime = ?next, "re-authenticated");
                        lifetime = next;
                    }
                    Ok(None) => return,
                    Err(e) => {
                        warn!(cluster = %conn.cluster(), broker = %conn.broker(), error = %e, "re-authentication failed; closing the connection");
                        conn.inner.shared.poison(e);
                        return;
                    }
                }
            }
        });
    }
}

/// Sends requests through a writer already locked by [`BrokerConnection::authenticate`].
struct LockedSender<'a> {
    conn: &'a BrokerConnection,
    writer: &'a mut WriteHalf,
}

impl sasl::SaslSender for LockedSender<'_> {
    fn cluster(&self) -> &str {
        self.conn.cluster()
    }

    fn broker(&self) -> &str {
        self.conn.broker()
    }

    async fn send<R: Request>(&mut self, req: &R) -> Result<R::Response> {
        let conn = self.conn;
        let version = conn.version_for::<R>()?;
        let api = api_of::<R>(conn.cluster(), conn.broker())?;
        let body = conn
            .roundtrip_on(
                api,
                version,
                |buf| req.encode(buf, version).map_err(|e| format!("{e:#}")),
                Some(&mut *self.writer),
            )
            .await?;
        conn.decode::<R::Response>(api, version, body)
    }
}
