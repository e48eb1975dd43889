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
//!
//! The pieces live beside this file: `framing` (frames over any stream), `multiplex` (the
//! in-flight table and the reader task), `in_flight` (a request awaited later) and `sasl_session`
//! (the SASL exchange and its renewal on this connection). This file connects, negotiates API
//! versions and sends.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::{ApiKey, ApiVersionsRequest, ApiVersionsResponse, RequestHeader};
use kafka_protocol::protocol::{Decodable, Encodable, Request, StrBytes, VersionRange};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::{oneshot, watch};
use tokio::time::Instant;
use tracing::{debug, trace};

use super::auth::Security;
use super::error::{ProtocolError, Result};
use super::framing::{encode_frame, encode_presized};
use super::in_flight::InFlightRequest;
use super::multiplex::{read_loop, Pending, PendingGuard, Shared, State, WriteGuard};
use super::tls;
use super::transport::{self, ReadHalf, WriteHalf};
use super::versions;
use crate::locks::lock;

/// The highest ApiVersions version we send first (v3 carries the client software name/version).
const API_VERSIONS_FIRST: i16 = 3;

/// The `ApiKey` of a request type, or a codec error for a key the crate does not know (cannot
/// happen for the crate's own request types).
pub(super) fn api_of<R: Request>(cluster: &str, broker: &str) -> Result<ApiKey> {
    ApiKey::try_from(R::KEY).map_err(|()| ProtocolError::Codec {
        cluster: cluster.to_string(),
        broker: broker.to_string(),
        api: ApiKey::ApiVersions,
        message: format!("unknown API key {}", R::KEY),
    })
}

/// The connection proper; dropped when the last [`BrokerConnection`] clone goes.
pub(super) struct Inner {
    pub(super) shared: Arc<Shared>,
    pub(super) writer: tokio::sync::Mutex<WriteHalf>,
    pub(super) next_correlation_id: AtomicI32,
    /// The broker's ApiVersions answer, set once right after connecting.
    pub(super) versions: OnceLock<HashMap<i16, VersionRange>>,
    /// Sends wait until this instant (broker throttling, KIP-219).
    pub(super) throttle_until: Mutex<Option<Instant>>,
    pub(super) client_id: StrBytes,
    pub(super) request_timeout: Duration,
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
    pub(super) inner: Arc<Inner>,
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
            source: Arc::new(source),
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
    pub(super) fn decode<T: Decodable>(
        &self,
        api: ApiKey,
        version: i16,
        mut body: Bytes,
    ) -> Result<T> {
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
    pub(super) async fn roundtrip_on<F>(
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
