//! [`InFlightRequest`]: a request already written whose answer is awaited later, so that one
//! caller can pipeline requests in order (a producer's batches) and wait for them concurrently.

use bytes::Bytes;
use kafka_protocol::messages::ApiKey;
use kafka_protocol::protocol::Decodable;
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::connection::BrokerConnection;
use super::error::{ProtocolError, Result};

/// A request written by [`BrokerConnection::start`] whose answer has not been read yet. Dropping
/// it forgets the waiter (the answer, when it comes, is discarded).
pub struct InFlightRequest<T> {
    pub(super) conn: BrokerConnection,
    pub(super) rx: Option<oneshot::Receiver<Result<Bytes>>>,
    pub(super) correlation_id: i32,
    pub(super) api: ApiKey,
    pub(super) version: i16,
    pub(super) deadline: Instant,
    pub(super) _response: std::marker::PhantomData<fn() -> T>,
}

impl<T: Decodable> InFlightRequest<T> {
    /// Waits for the answer until the request timeout (counted from the write), then decodes it.
    /// A timeout closes the connection, as for [`BrokerConnection::send`].
    pub async fn response(mut self) -> Result<(i16, T)> {
        let shared = self.conn.inner.shared.clone();
        let Some(rx) = self.rx.take() else {
            return Err(shared.connection_closed());
        };
        let body = match tokio::time::timeout_at(self.deadline, rx).await {
            Ok(Ok(r)) => r?,
            Ok(Err(_)) => {
                return Err(shared
                    .closed()
                    .unwrap_or_else(|| shared.connection_closed()))
            }
            Err(_) => {
                let err = ProtocolError::Timeout {
                    cluster: shared.cluster.clone(),
                    broker: shared.broker.clone(),
                    api: self.api,
                    after: self.conn.inner.request_timeout,
                };
                shared.poison(err.clone());
                return Err(err);
            }
        };
        let decoded = self.conn.decode::<T>(self.api, self.version, body)?;
        Ok((self.version, decoded))
    }
}

impl<T> Drop for InFlightRequest<T> {
    fn drop(&mut self) {
        self.conn.inner.shared.take(self.correlation_id);
    }
}
