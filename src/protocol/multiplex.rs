//! The requests a connection has in flight and the reader task that completes them: each waiter
//! is registered under its correlation id before its frame is written, the reader task hands every
//! response frame to the waiter of its id, and any stream failure *poisons* the table (every waiter
//! gets the error, later registrations fail at once).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use kafka_protocol::messages::{ApiKey, ResponseHeader};
use kafka_protocol::protocol::Decodable;
use tokio::io::BufReader;
use tokio::sync::{oneshot, watch};
use tracing::{debug, trace, warn};

use super::error::{ProtocolError, Result};
use super::framing::{read_frame, FrameError, READ_BUFFER};
use super::tls;
use super::transport::ReadHalf;
use crate::locks::lock;

/// A request waiting for its response.
pub(super) struct Pending {
    pub(super) api: ApiKey,
    pub(super) version: i16,
    pub(super) tx: oneshot::Sender<Result<Bytes>>,
}

/// In-flight table plus closed state, shared by senders and the reader task.
pub(super) struct State {
    pub(super) pending: HashMap<i32, Pending>,
    pub(super) closed: Option<ProtocolError>,
}

/// What the reader task and the senders share.
pub(super) struct Shared {
    pub(super) cluster: String,
    pub(super) broker: String,
    pub(super) state: Mutex<State>,
    /// Flipped to true when the connection is poisoned, to stop the reader task.
    pub(super) closed_tx: watch::Sender<bool>,
}

impl Shared {
    /// Marks the connection dead with `err` (the first error wins) and fails every waiter.
    pub(super) fn poison(&self, err: ProtocolError) {
        let drained: Vec<Pending> = {
            let mut st = lock(&self.state);
            if st.closed.is_none() {
                if st.pending.is_empty() {
                    debug!(cluster = %self.cluster, broker = %self.broker, error = %err, "connection closed");
                } else {
                    warn!(
                        cluster = %self.cluster,
                        broker = %self.broker,
                        in_flight = st.pending.len(),
                        error = %err,
                        "connection failed"
                    );
                }
                st.closed = Some(err.clone());
            }
            st.pending.drain().map(|(_, p)| p).collect()
        };
        for p in drained {
            let _ = p.tx.send(Err(err.clone()));
        }
        self.closed_tx.send_replace(true);
    }

    pub(super) fn closed(&self) -> Option<ProtocolError> {
        lock(&self.state).closed.clone()
    }

    pub(super) fn register(&self, correlation_id: i32, pending: Pending) -> Result<()> {
        let mut st = lock(&self.state);
        if let Some(e) = &st.closed {
            return Err(e.clone());
        }
        st.pending.insert(correlation_id, pending);
        Ok(())
    }

    pub(super) fn take(&self, correlation_id: i32) -> Option<Pending> {
        lock(&self.state).pending.remove(&correlation_id)
    }

    /// A socket error; a TLS failure surfacing on a read or write (an alert from the broker, e.g.
    /// a refused client certificate, which TLS 1.3 can only send after the handshake) is reported
    /// as an authentication error with its cause explained.
    pub(super) fn io(&self, source: std::io::Error) -> ProtocolError {
        let host = self
            .broker
            .rsplit_once(':')
            .map_or(&*self.broker, |(h, _)| h);
        if let Some(message) = tls::explain_io(&source, host, true) {
            return ProtocolError::Authentication {
                cluster: self.cluster.clone(),
                broker: self.broker.clone(),
                message,
            };
        }
        ProtocolError::Io {
            cluster: self.cluster.clone(),
            broker: self.broker.clone(),
            source: Arc::new(source),
        }
    }

    /// A framing error (no API known yet): reported as I/O with kind `InvalidData`.
    pub(super) fn invalid_data(&self, message: String) -> ProtocolError {
        self.io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            message,
        ))
    }

    pub(super) fn codec(&self, api: ApiKey, message: String) -> ProtocolError {
        ProtocolError::Codec {
            cluster: self.cluster.clone(),
            broker: self.broker.clone(),
            api,
            message,
        }
    }

    pub(super) fn connection_closed(&self) -> ProtocolError {
        ProtocolError::ConnectionClosed {
            cluster: self.cluster.clone(),
            broker: self.broker.clone(),
        }
    }

    /// Routes one response frame to its waiter. An error here means the stream is not what we
    /// expect and the connection must be poisoned.
    fn dispatch(&self, mut frame: Bytes) -> Result<()> {
        if frame.len() < 4 {
            return Err(self.invalid_data(format!(
                "response frame of {} bytes has no header",
                frame.len()
            )));
        }
        let correlation_id = i32::from_be_bytes([frame[0], frame[1], frame[2], frame[3]]);
        let Some(p) = self.take(correlation_id) else {
            return Err(self.invalid_data(format!(
                "response with unknown correlation id {correlation_id}"
            )));
        };
        let header_version = p.api.response_header_version(p.version);
        match ResponseHeader::decode(&mut frame, header_version) {
            Ok(_) => {
                trace!(broker = %self.broker, api = ?p.api, correlation_id, bytes = frame.len(), "response");
                // The waiter may have given up (cancelled); that is not a stream error.
                let _ = p.tx.send(Ok(frame));
                Ok(())
            }
            Err(e) => {
                let err = self.codec(p.api, format!("response header v{header_version}: {e:#}"));
                let _ = p.tx.send(Err(err.clone()));
                Err(err)
            }
        }
    }
}

/// Removes a request's entry from the in-flight table when its sender stops waiting (answered,
/// timed out or cancelled), so that cancelled requests do not leak entries.
pub(super) struct PendingGuard<'a> {
    pub(super) shared: &'a Shared,
    pub(super) correlation_id: i32,
}

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        self.shared.take(self.correlation_id);
    }
}

/// Poisons the connection if a frame write is abandoned half-way (the sender's future was dropped
/// mid-`write_all`): the broker would otherwise read the next frame as the rest of this one.
pub(super) struct WriteGuard<'a> {
    pub(super) shared: &'a Shared,
    pub(super) armed: bool,
}

impl Drop for WriteGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.shared.poison(self.shared.io(std::io::Error::new(
                std::io::ErrorKind::Interrupted,
                "request cancelled while its frame was being written",
            )));
        }
    }
}

/// Reads frames until the stream fails or the connection is closed, then poisons it.
pub(super) async fn read_loop(
    shared: Arc<Shared>,
    rd: ReadHalf,
    mut closed_rx: watch::Receiver<bool>,
) {
    let mut rd = BufReader::with_capacity(READ_BUFFER, rd);
    let err = loop {
        tokio::select! {
            frame = read_frame(&mut rd) => match frame {
                Ok(frame) => {
                    if let Err(e) = shared.dispatch(frame) {
                        break e;
                    }
                }
                Err(FrameError::Closed) => break shared.connection_closed(),
                Err(FrameError::Io(e)) => break shared.io(e),
                Err(FrameError::NotKafka(size)) => {
                    break shared.invalid_data(format!("response size prefix {size} is not a Kafka frame"))
                }
            },
            _ = closed_rx.wait_for(|closed| *closed) => return,
        }
    };
    shared.poison(err);
}
