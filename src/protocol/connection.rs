//! One TCP connection to one broker, multiplexing many requests in flight.
//!
//! Kafka answers requests on a connection in the order it received them, each answer carrying the
//! request's correlation id. A [`BrokerConnection`] therefore needs only:
//! - a write half behind an async lock: a sender encodes its whole frame (4-byte size, request
//!   header, body) first, registers a oneshot under a fresh correlation id, then writes the frame in
//!   one `write_all`;
//! - one reader task that reads size-prefixed frames into a `BytesMut`, freezes it, decodes the
//!   response header and hands the remaining `Bytes` to the waiter registered under that id. The
//!   waiter decodes the body from those `Bytes`, so `records` fields in Fetch responses are slices of
//!   the frame read from the socket, never copies.
//!
//! Any read or write error, a decode failure, a request timeout or a write abandoned half-way
//! *poisons* the connection: every waiter gets the error, later sends fail at once, and
//! [`BrokerConnection::is_closed`] turns true so that a pool replaces it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, ApiVersionsResponse, RequestHeader, ResponseHeader,
};
use kafka_protocol::protocol::{Decodable, Encodable, Request, StrBytes, VersionRange};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::{oneshot, watch};
use tokio::time::Instant;
use tracing::{debug, trace, warn};

use super::auth::{SaslSettings, Security};
use super::error::{ProtocolError, Result};
use super::transport::{self, ReadHalf, WriteHalf};
use super::versions;
use super::{sasl, tls};

/// Largest response frame accepted. Far above any sane `fetch.max.bytes`; a bigger size prefix means
/// we are not talking to a Kafka listener (for example a TLS listener answering a plaintext client).
pub const MAX_FRAME_BYTES: usize = 512 * 1024 * 1024;

/// Size of the reader's buffer; frames at least this large are read straight into their own buffer.
const READ_BUFFER: usize = 64 * 1024;

/// The highest ApiVersions version we send first (v3 carries the client software name/version).
const API_VERSIONS_FIRST: i16 = 3;

/// Locks a std mutex, ignoring poisoning: the data behind these locks stays consistent even if a
/// holder panicked (each critical section is a single map operation).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The `ApiKey` of a request type, or a codec error for a key the crate does not know (cannot
/// happen for the crate's own request types).
fn api_of<R: Request>(cluster: &str, broker: &str) -> Result<ApiKey> {
    ApiKey::try_from(R::KEY).map_err(|()| ProtocolError::Codec {
        cluster: cluster.to_string(),
        broker: broker.to_string(),
        api: ApiKey::ApiVersions,
        message: format!("unknown API key {}", R::KEY),
    })
}

/// A request waiting for its response.
struct Pending {
    api: ApiKey,
    version: i16,
    tx: oneshot::Sender<Result<Bytes>>,
}

/// In-flight table plus closed state, shared by senders and the reader task.
struct State {
    pending: HashMap<i32, Pending>,
    closed: Option<ProtocolError>,
}

/// What the reader task and the senders share.
struct Shared {
    cluster: String,
    broker: String,
    state: Mutex<State>,
    /// Flipped to true when the connection is poisoned, to stop the reader task.
    closed_tx: watch::Sender<bool>,
}

impl Shared {
    /// Marks the connection dead with `err` (the first error wins) and fails every waiter.
    fn poison(&self, err: ProtocolError) {
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

    fn closed(&self) -> Option<ProtocolError> {
        lock(&self.state).closed.clone()
    }

    fn register(&self, correlation_id: i32, pending: Pending) -> Result<()> {
        let mut st = lock(&self.state);
        if let Some(e) = &st.closed {
            return Err(e.clone());
        }
        st.pending.insert(correlation_id, pending);
        Ok(())
    }

    fn take(&self, correlation_id: i32) -> Option<Pending> {
        lock(&self.state).pending.remove(&correlation_id)
    }

    /// A socket error; a TLS failure surfacing on a read or write (an alert from the broker, e.g.
    /// a refused client certificate, which TLS 1.3 can only send after the handshake) is reported
    /// as an authentication error with its cause explained.
    fn io(&self, source: std::io::Error) -> ProtocolError {
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
            source,
        }
    }

    /// A framing error (no API known yet): reported as I/O with kind `InvalidData`.
    fn invalid_data(&self, message: String) -> ProtocolError {
        self.io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            message,
        ))
    }

    fn codec(&self, api: ApiKey, message: String) -> ProtocolError {
        ProtocolError::Codec {
            cluster: self.cluster.clone(),
            broker: self.broker.clone(),
            api,
            message,
        }
    }

    fn connection_closed(&self) -> ProtocolError {
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
struct PendingGuard<'a> {
    shared: &'a Shared,
    correlation_id: i32,
}

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        self.shared.take(self.correlation_id);
    }
}

/// Poisons the connection if a frame write is abandoned half-way (the sender's future was dropped
/// mid-`write_all`): the broker would otherwise read the next frame as the rest of this one.
struct WriteGuard<'a> {
    shared: &'a Shared,
    armed: bool,
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

/// The connection proper; dropped when the last [`BrokerConnection`] clone goes.
struct Inner {
    shared: Arc<Shared>,
    writer: tokio::sync::Mutex<WriteHalf>,
    next_correlation_id: AtomicI32,
    /// The broker's ApiVersions answer, set once right after connecting.
    versions: OnceLock<HashMap<i16, VersionRange>>,
    /// Sends wait until this instant (broker throttling, KIP-219).
    throttle_until: Mutex<Option<Instant>>,
    client_id: StrBytes,
    request_timeout: Duration,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Stops the reader task; nobody is waiting any more.
        self.shared.closed_tx.send_replace(true);
    }
}

/// A multiplexed connection to one broker, with the broker's API versions negotiated. Cheap to
/// clone: clones share the socket, and the socket closes when the last clone is dropped.
#[derive(Clone)]
pub struct BrokerConnection {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for BrokerConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrokerConnection")
            .field("cluster", &self.inner.shared.cluster)
            .field("broker", &self.inner.shared.broker)
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl BrokerConnection {
    /// Connects to `addr` (`host:port`) within `request_timeout`, sets TCP_NODELAY, starts the reader
    /// task and negotiates versions with ApiVersions (v3, falling back to v0 like the Java client
    /// when the broker answers UNSUPPORTED_VERSION). `client_id` goes into every request header.
    pub async fn connect(
        cluster: &str,
        addr: &str,
        client_id: &str,
        request_timeout: Duration,
    ) -> Result<Self> {
        Self::connect_secured(
            cluster,
            addr,
            client_id,
            request_timeout,
            &Security::default(),
        )
        .await
    }

    /// [`BrokerConnection::connect`] with `security`: the TLS handshake (within the request
    /// timeout) before ApiVersions, and the SASL exchange after it, as the Java client does. A SASL
    /// session with a lifetime (`connections.max.reauth.ms`, KIP-368) is renewed on the same
    /// connection before it expires, so requests keep their order and nothing is resent.
    pub async fn connect_secured(
        cluster: &str,
        addr: &str,
        client_id: &str,
        request_timeout: Duration,
        security: &Security,
    ) -> Result<Self> {
        let io_err = |source| ProtocolError::Io {
            cluster: cluster.to_string(),
            broker: addr.to_string(),
            source,
        };
        // Connecting and the TLS handshake are bounded like the ApiVersions exchange they precede.
        let timed_out = || ProtocolError::Timeout {
            cluster: cluster.to_string(),
            broker: addr.to_string(),
            api: ApiKey::ApiVersions,
            after: request_timeout,
        };
        let stream = match tokio::time::timeout(request_timeout, TcpStream::connect(addr)).await {
            Ok(Ok(s)) => s,
            Ok(Err(source)) => return Err(io_err(source)),
            Err(_) => return Err(timed_out()),
        };
        stream.set_nodelay(true).map_err(io_err)?;
        let (rd, wr) = match &security.tls {
            None => transport::plain(stream),
            Some(tls) => {
                let host = addr.rsplit_once(':').map_or(addr, |(h, _)| h);
                match tokio::time::timeout(request_timeout, tls::handshake(tls, host, stream)).await
                {
                    Ok(Ok(s)) => transport::tls(s),
                    Ok(Err(message)) => {
                        return Err(ProtocolError::Authentication {
                            cluster: cluster.to_string(),
                            broker: addr.to_string(),
                            message,
                        })
                    }
                    Err(_) => return Err(timed_out()),
                }
            }
        };
        let conn = Self::from_halves(cluster, addr, client_id, request_timeout, rd, wr);
        conn.negotiate().await?;
        if let Some(sasl) = &security.sasl {
            let lifetime = conn.authenticate(sasl).await?;
            debug!(cluster, broker = addr, mechanism = sasl.mechanism.name(), user = %sasl.principal(), session_lifetime = ?lifetime, "authenticated");
            if let Some(lifetime) = lifetime {
                conn.schedule_reauthentication(sasl.clone(), lifetime);
            }
        }
        debug!(cluster, broker = addr, "connected");
        Ok(conn)
    }

    /// Wraps an already connected stream (no ApiVersions yet).
    fn from_halves(
        cluster: &str,
        addr: &str,
        client_id: &str,
        request_timeout: Duration,
        rd: ReadHalf,
        wr: WriteHalf,
    ) -> Self {
        let (closed_tx, closed_rx) = watch::channel(false);
        let shared = Arc::new(Shared {
            cluster: cluster.to_string(),
            broker: addr.to_string(),
            state: Mutex::new(State {
                pending: HashMap::new(),
                closed: None,
            }),
            closed_tx,
        });
        tokio::spawn(read_loop(shared.clone(), rd, closed_rx));
        BrokerConnection {
            inner: Arc::new(Inner {
                shared,
                writer: tokio::sync::Mutex::new(wr),
                next_correlation_id: AtomicI32::new(0),
                versions: OnceLock::new(),
                throttle_until: Mutex::new(None),
                client_id: StrBytes::from_string(client_id.to_string()),
                request_timeout,
            }),
        }
    }

    /// Sends ApiVersions and stores the broker's ranges.
    async fn negotiate(&self) -> Result<()> {
        let req = ApiVersionsRequest::default()
            .with_client_software_name(StrBytes::from_static_str("strait"))
            .with_client_software_version(StrBytes::from_static_str(env!("CARGO_PKG_VERSION")));
        let mut version = API_VERSIONS_FIRST;
        loop {
            let body = self
                .roundtrip(ApiKey::ApiVersions, version, |buf| {
                    req.encode(buf, version).map_err(|e| format!("{e:#}"))
                })
                .await?;
            let resp = self.decode_api_versions(body, version)?;
            match ResponseError::try_from_code(resp.error_code) {
                None => {
                    let map: HashMap<i16, VersionRange> = resp
                        .api_keys
                        .iter()
                        .map(|k| {
                            (
                                k.api_key,
                                VersionRange {
                                    min: k.min_version,
                                    max: k.max_version,
                                },
                            )
                        })
                        .collect();
                    debug!(
                        cluster = %self.inner.shared.cluster,
                        broker = %self.inner.shared.broker,
                        api_versions_version = version,
                        apis = map.len(),
                        "api versions negotiated"
                    );
                    let _ = self.inner.versions.set(map);
                    return Ok(());
                }
                Some(ResponseError::UnsupportedVersion) if version > 0 => {
                    // The broker answers in v0 and lists the ApiVersions range it does speak.
                    let theirs = resp
                        .api_keys
                        .iter()
                        .find(|k| k.api_key == ApiKey::ApiVersions as i16)
                        .map(|k| k.max_version)
                        .unwrap_or(0);
                    let next = theirs.clamp(0, version - 1);
                    debug!(
                        broker = %self.inner.shared.broker,
                        from = version,
                        to = next,
                        "ApiVersions version unsupported, falling back"
                    );
                    version = next;
                }
                Some(code) => {
                    return Err(ProtocolError::Broker {
                        cluster: self.inner.shared.cluster.clone(),
                        api: ApiKey::ApiVersions,
                        code,
                        context: format!(
                            "ApiVersions v{version} to broker {}",
                            self.inner.shared.broker
                        ),
                    })
                }
            }
        }
    }

    /// Decodes an ApiVersions response at `version`, then at v0: a broker that does not speak our
    /// version answers in v0 (as Java's `ApiVersionsResponse.parse` expects).
    fn decode_api_versions(&self, body: Bytes, version: i16) -> Result<ApiVersionsResponse> {
        if version != 0 {
            if let Ok(resp) = ApiVersionsResponse::decode(&mut body.clone(), version) {
                if resp.error_code != ResponseError::UnsupportedVersion.code() {
                    return Ok(resp);
                }
            }
        }
        self.decode::<ApiVersionsResponse>(ApiKey::ApiVersions, 0, body)
    }

    /// Sends `req` at the highest version both sides speak (crate range ∩ strait cap ∩ broker range)
    /// and waits for its response within the request timeout. Returns the version used, so that
    /// callers can interpret version-dependent fields. Many sends may be in flight at once.
    ///
    /// Not for requests the broker does not answer (Produce with `acks=0`): they would time out.
    pub async fn send<R: Request>(&self, req: &R) -> Result<(i16, R::Response)> {
        let version = self.version_for::<R>()?;
        let resp = self.send_version(req, version).await?;
        Ok((version, resp))
    }

    /// The version [`BrokerConnection::send`] would use for `R`, or `UnsupportedVersion`.
    pub fn version_for<R: Request>(&self) -> Result<i16> {
        let shared = &self.inner.shared;
        let api = api_of::<R>(&shared.cluster, &shared.broker)?;
        let theirs = self.versions(api).unwrap_or(versions::NONE);
        versions::pick(api, R::VERSIONS, theirs).ok_or_else(|| ProtocolError::UnsupportedVersion {
            cluster: shared.cluster.clone(),
            broker: shared.broker.clone(),
            api,
            ours: versions::ours(api, R::VERSIONS),
            theirs,
        })
    }

    /// Sends `req` at exactly `version`, skipping negotiation (the caller has checked it).
    pub async fn send_version<R: Request>(&self, req: &R, version: i16) -> Result<R::Response> {
        let shared = &self.inner.shared;
        let api = api_of::<R>(&shared.cluster, &shared.broker)?;
        let body = self
            .roundtrip(api, version, |buf| encode_presized(req, version, buf))
            .await?;
        self.decode::<R::Response>(api, version, body)
    }

    /// A fresh correlation id and the size-prefixed frame (header + body) of one request.
    fn request_frame<F>(&self, api: ApiKey, version: i16, encode_body: F) -> Result<(i32, Bytes)>
    where
        F: FnOnce(&mut BytesMut) -> std::result::Result<(), String>,
    {
        let inner = &*self.inner;
        let correlation_id = inner.next_correlation_id.fetch_add(1, Ordering::Relaxed) & i32::MAX;
        let header = RequestHeader::default()
            .with_request_api_key(api as i16)
            .with_request_api_version(version)
            .with_correlation_id(correlation_id)
            .with_client_id(Some(inner.client_id.clone()));
        let frame = encode_frame(&header, api.request_header_version(version), encode_body)
            .map_err(|e| {
                inner
                    .shared
                    .codec(api, format!("encoding request v{version}: {e}"))
            })?;
        Ok((correlation_id, frame))
    }

    /// First half of a pipelined send: encodes `req`, registers its waiter and writes the frame, so
    /// that requests started one after another by one caller reach the broker in that order (the
    /// broker handles a connection's requests in order; an idempotent producer's batches must
    /// arrive in sequence order). The answer is awaited later with [`InFlightRequest::response`].
    pub async fn start<R: Request>(&self, req: &R) -> Result<InFlightRequest<R::Response>> {
        let version = self.version_for::<R>()?;
        let inner = &*self.inner;
        let shared = &inner.shared;
        let api = api_of::<R>(&shared.cluster, &shared.broker)?;
        if let Some(e) = shared.closed() {
            return Err(e);
        }
        self.wait_throttle().await;
        let (correlation_id, frame) =
            self.request_frame(api, version, |buf| encode_presized(req, version, buf))?;
        let (tx, rx) = oneshot::channel();
        shared.register(correlation_id, Pending { api, version, tx })?;
        let waiter = InFlightRequest {
            conn: self.clone(),
            rx: Some(rx),
            correlation_id,
            api,
            version,
            deadline: Instant::now() + inner.request_timeout,
            _response: std::marker::PhantomData,
        };
        trace!(broker = %shared.broker, api = ?api, version, correlation_id, bytes = frame.len(), "pipelined request");
        self.write_frame(&frame).await?;
        Ok(waiter)
    }

    /// Decodes a response body; a failure poisons the connection (we no longer trust the stream).
    fn decode<T: Decodable>(&self, api: ApiKey, version: i16, mut body: Bytes) -> Result<T> {
        match T::decode(&mut body, version) {
            Ok(v) => {
                if body.has_remaining() {
                    debug!(
                        broker = %self.inner.shared.broker,
                        api = ?api,
                        version,
                        left = body.remaining(),
                        "response has trailing bytes"
                    );
                }
                Ok(v)
            }
            Err(e) => {
                let err = self
                    .inner
                    .shared
                    .codec(api, format!("decoding response v{version}: {e:#}"));
                self.inner.shared.poison(err.clone());
                Err(err)
            }
        }
    }

    /// Encodes header + body, registers the waiter, writes the frame and waits for the response
    /// body (the bytes after the response header).
    async fn roundtrip<F>(&self, api: ApiKey, version: i16, encode_body: F) -> Result<Bytes>
    where
        F: FnOnce(&mut BytesMut) -> std::result::Result<(), String>,
    {
        self.roundtrip_on(api, version, encode_body, None).await
    }

    /// [`BrokerConnection::roundtrip`], writing through `locked` when the caller already holds the
    /// writer (a SASL exchange keeps every other request off the wire until it is done).
    async fn roundtrip_on<F>(
        &self,
        api: ApiKey,
        version: i16,
        encode_body: F,
        locked: Option<&mut WriteHalf>,
    ) -> Result<Bytes>
    where
        F: FnOnce(&mut BytesMut) -> std::result::Result<(), String>,
    {
        let inner = &*self.inner;
        let shared = &*inner.shared;
        if let Some(e) = shared.closed() {
            return Err(e);
        }
        self.wait_throttle().await;
        let (correlation_id, frame) = self.request_frame(api, version, encode_body)?;

        let (tx, rx) = oneshot::channel();
        shared.register(correlation_id, Pending { api, version, tx })?;
        let _pending = PendingGuard {
            shared,
            correlation_id,
        };
        trace!(broker = %shared.broker, api = ?api, version, correlation_id, bytes = frame.len(), "request");

        let exchange = async {
            match locked {
                Some(w) => self.write_frame_locked(w, &frame).await?,
                None => self.write_frame(&frame).await?,
            }
            match rx.await {
                Ok(r) => r,
                Err(_) => Err(shared
                    .closed()
                    .unwrap_or_else(|| shared.connection_closed())),
            }
        };
        match tokio::time::timeout(inner.request_timeout, exchange).await {
            Ok(r) => r,
            Err(_) => {
                let err = ProtocolError::Timeout {
                    cluster: shared.cluster.clone(),
                    broker: shared.broker.clone(),
                    api,
                    after: inner.request_timeout,
                };
                // Like the Java client: a timed-out request closes its connection.
                shared.poison(err.clone());
                Err(err)
            }
        }
    }

    /// Writes one whole frame under the writer lock.
    async fn write_frame(&self, frame: &[u8]) -> Result<()> {
        let mut w = self.inner.writer.lock().await;
        self.write_frame_locked(&mut w, frame).await
    }

    /// Writes one whole frame through a writer the caller has locked.
    async fn write_frame_locked(&self, w: &mut WriteHalf, frame: &[u8]) -> Result<()> {
        let shared = &*self.inner.shared;
        if let Some(e) = shared.closed() {
            return Err(e);
        }
        let mut guard = WriteGuard {
            shared,
            armed: true,
        };
        // TLS buffers inside the session: flush so the frame leaves now (a no-op for plain TCP).
        let res = match w.write_all(frame).await {
            Ok(()) => w.flush().await,
            Err(e) => Err(e),
        };
        guard.armed = false;
        res.map_err(|e| {
            let err = shared.io(e);
            shared.poison(err.clone());
            err
        })
    }

    async fn wait_throttle(&self) {
        let until = *lock(&self.inner.throttle_until);
        if let Some(until) = until {
            if until > Instant::now() {
                trace!(broker = %self.inner.shared.broker, "waiting for broker throttle");
                tokio::time::sleep_until(until).await;
            }
        }
    }

    /// Delays the next sends on this connection by `d` (pass a response's `throttle_time_ms`): the
    /// broker has muted us for that long and would only queue our requests.
    pub fn throttle(&self, d: Duration) {
        if d.is_zero() {
            return;
        }
        let until = Instant::now() + d;
        let mut t = lock(&self.inner.throttle_until);
        if t.is_none_or(|cur| cur < until) {
            *t = Some(until);
        }
    }

    /// The broker's advertised range for `api`, `None` if it does not support it at all.
    pub fn versions(&self, api: ApiKey) -> Option<VersionRange> {
        self.inner.versions.get()?.get(&(api as i16)).copied()
    }

    /// Whether the connection is dead (poisoned or closed by the peer); a pool should replace it.
    pub fn is_closed(&self) -> bool {
        lock(&self.inner.shared.state).closed.is_some()
    }

    /// Runs the SASL exchange holding the writer, so that no other request goes out in between
    /// (KIP-368 forbids it during re-authentication; requests already in flight are answered first,
    /// as the broker handles a connection's requests in order). Returns the session lifetime.
    async fn authenticate(&self, sasl: &SaslSettings) -> Result<Option<Duration>> {
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
    fn schedule_reauthentication(&self, sasl: SaslSettings, first: Duration) {
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

    /// Why the connection is dead, if it is.
    pub fn close_reason(&self) -> Option<ProtocolError> {
        self.inner.shared.closed()
    }

    /// Closes the connection: in-flight requests fail with `ConnectionClosed`.
    pub fn close(&self) {
        self.inner
            .shared
            .poison(self.inner.shared.connection_closed());
    }

    /// The `host:port` this connection goes to.
    pub fn broker(&self) -> &str {
        &self.inner.shared.broker
    }

    /// The cluster alias, for errors.
    pub fn cluster(&self) -> &str {
        &self.inner.shared.cluster
    }

    /// Requests currently waiting for a response.
    pub fn in_flight(&self) -> usize {
        lock(&self.inner.shared.state).pending.len()
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

/// Encodes `req` into `buf`, first growing `buf` to the body's exact size: a Produce request of
/// many MiB would otherwise be copied again at every doubling of the buffer, and the last
/// doubling would leave up to twice its size allocated.
fn encode_presized<R: Encodable>(
    req: &R,
    version: i16,
    buf: &mut BytesMut,
) -> std::result::Result<(), String> {
    if let Ok(size) = req.compute_size(version) {
        buf.reserve(size);
    }
    req.encode(buf, version).map_err(|e| format!("{e:#}"))
}

/// Builds `size | header | body` in one buffer.
fn encode_frame<F>(
    header: &RequestHeader,
    header_version: i16,
    encode_body: F,
) -> std::result::Result<Bytes, String>
where
    F: FnOnce(&mut BytesMut) -> std::result::Result<(), String>,
{
    let mut buf = BytesMut::with_capacity(256);
    buf.put_i32(0);
    header
        .encode(&mut buf, header_version)
        .map_err(|e| format!("request header: {e:#}"))?;
    encode_body(&mut buf)?;
    let size = i32::try_from(buf.len() - 4)
        .map_err(|_| format!("request of {} bytes is too large", buf.len() - 4))?;
    buf[0..4].copy_from_slice(&size.to_be_bytes());
    Ok(buf.freeze())
}

/// Reads frames until the stream fails or the connection is closed, then poisons it.
async fn read_loop(shared: Arc<Shared>, rd: ReadHalf, mut closed_rx: watch::Receiver<bool>) {
    let mut rd = BufReader::with_capacity(READ_BUFFER, rd);
    let err = loop {
        tokio::select! {
            frame = read_frame(&shared, &mut rd) => match frame {
                Ok(frame) => {
                    if let Err(e) = shared.dispatch(frame) {
                        break e;
                    }
                }
                Err(e) => break e,
            },
            _ = closed_rx.wait_for(|closed| *closed) => return,
        }
    };
    shared.poison(err);
}

/// Reads one size-prefixed frame into its own buffer and freezes it (so that decoded `Bytes` fields
/// are slices of it).
async fn read_frame(shared: &Shared, rd: &mut BufReader<ReadHalf>) -> Result<Bytes> {
    let size = match rd.read_i32().await {
        Ok(n) => n,
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            return Err(shared.connection_closed())
        }
        Err(e) => return Err(shared.io(e)),
    };
    let len = usize::try_from(size)
        .ok()
        .filter(|&n| n <= MAX_FRAME_BYTES)
        .ok_or_else(|| {
            shared.invalid_data(format!("response size prefix {size} is not a Kafka frame"))
        })?;
    let mut buf = BytesMut::with_capacity(len);
    let mut limited = (&mut *rd).take(len as u64);
    while buf.len() < len {
        match limited.read_buf(&mut buf).await {
            Ok(0) => {
                return Err(shared.io(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    format!("connection closed after {} of {len} frame bytes", buf.len()),
                )))
            }
            Ok(_) => {}
            Err(e) => return Err(shared.io(e)),
        }
    }
    Ok(buf.freeze())
}

/// A request written by [`BrokerConnection::start`] whose answer has not been read yet. Dropping
/// it forgets the waiter (the answer, when it comes, is discarded).
pub struct InFlightRequest<T> {
    conn: BrokerConnection,
    rx: Option<oneshot::Receiver<Result<Bytes>>>,
    correlation_id: i32,
    api: ApiKey,
    version: i16,
    deadline: Instant,
    _response: std::marker::PhantomData<fn() -> T>,
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
