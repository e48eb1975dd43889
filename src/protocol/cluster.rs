//! The client for one cluster: a pool of [`BrokerConnection`]s keyed by broker id, a cached
//! [`Metadata`] snapshot, and the routing helpers the rest of strait uses (`send_to` a broker,
//! `send_any` broker, `leader_for` a partition).
//!
//! Failure handling is generation based, so that many tasks hitting the same failure cause one
//! repair, not one each:
//! - each pooled connection has a connection generation; a sender whose connection died discards
//!   only the generation it used, and the next `send_to` connects again (one connector per broker at
//!   a time, spaced by the reconnect backoff);
//! - each topic in the snapshot carries the metadata generation that last refreshed it; a caller that
//!   saw a stale leader calls [`ClusterClient::invalidate_metadata`] with the generation it used, and
//!   the next [`ClusterClient::leader_for`] refreshes that topic once (refreshes are serialized and a
//!   task that waited for another's refresh uses its result).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::{ApiKey, MetadataRequest, TopicName};
use kafka_protocol::protocol::{Request, StrBytes};
use tokio::time::Instant;
use tracing::{debug, info};

use super::backoff::{retry, Backoff};
use super::connection::BrokerConnection;
use super::error::{ProtocolError, Result};
use super::in_flight::InFlightRequest;
use super::metadata::Metadata;
use super::settings::ConnectionSettings;
use crate::locks::lock;

/// One broker's place in the pool.
struct Slot {
    /// Address the current connection goes to (a broker may move).
    addr: String,
    conn: Option<BrokerConnection>,
    /// Bumped each time a new connection is stored.
    generation: u64,
    /// Held while connecting, so that one task connects and the others wait for its result.
    connect_lock: Arc<tokio::sync::Mutex<()>>,
    backoff: Backoff,
    /// No new connection attempt before this instant (after a failed attempt).
    next_attempt: Option<Instant>,
}

impl Slot {
    fn new(addr: String, settings: &ConnectionSettings) -> Self {
        Slot {
            addr,
            conn: None,
            generation: 0,
            connect_lock: Arc::new(tokio::sync::Mutex::new(())),
            backoff: Backoff::for_reconnect(settings),
            next_attempt: None,
        }
    }

    fn live(&self) -> Option<(BrokerConnection, u64)> {
        self.conn
            .as_ref()
            .filter(|c| !c.is_closed())
            .map(|c| (c.clone(), self.generation))
    }
}

struct Inner {
    settings: ConnectionSettings,
    meta: Mutex<Arc<Metadata>>,
    /// Topics whose generation is at most this are stale.
    stale_upto: AtomicU64,
    /// Serializes metadata refreshes (so generations are ordered and concurrent misses share one).
    refresh_lock: tokio::sync::Mutex<()>,
    pool: Mutex<HashMap<i32, Slot>>,
    /// Connection made through a bootstrap address (not keyed by broker id).
    bootstrap: Mutex<Option<BrokerConnection>>,
    /// Rotates `send_any` over brokers so one broker does not take all control traffic.
    rotate: AtomicUsize,
}

/// The client for one Kafka cluster, shared by every task that talks to it. Cheap to clone.
#[derive(Clone)]
pub struct ClusterClient {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for ClusterClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterClient")
            .field("cluster", &self.inner.settings.cluster)
            .field("generation", &self.metadata().generation)
            .finish()
    }
}

/// A place `send_any` may try.
enum Candidate {
    Broker(i32, String),
    Bootstrap(String),
}

impl ClusterClient {
    /// A client for the cluster described by `settings`. Does no I/O: connections are made on
    /// first use.
    pub fn new(settings: ConnectionSettings) -> Self {
        ClusterClient {
            inner: Arc::new(Inner {
                settings,
                meta: Mutex::new(Arc::new(Metadata {
                    controller_id: -1,
                    ..Metadata::default()
                })),
                stale_upto: AtomicU64::new(0),
                refresh_lock: tokio::sync::Mutex::new(()),
                pool: Mutex::new(HashMap::new()),
                bootstrap: Mutex::new(None),
                rotate: AtomicUsize::new(0),
            }),
        }
    }

    /// The cluster alias (for logs and errors).
    pub fn cluster_name(&self) -> &str {
        &self.inner.settings.cluster
    }

    /// The settings this client was built with (timeouts and backoffs for callers' retry loops).
    pub fn settings(&self) -> &ConnectionSettings {
        &self.inner.settings
    }

    /// The last metadata snapshot; generation 0 and empty before the first refresh.
    pub fn metadata(&self) -> Arc<Metadata> {
        lock(&self.inner.meta).clone()
    }

    /// Fetches metadata for `topics` (`None` = every topic; `Some(&[])` = brokers only) from any
    /// reachable broker, trying known brokers then bootstrap addresses, with backoff, until
    /// `request_timeout` has elapsed. The result gets the next generation; for a topic list it is
    /// merged into the cached snapshot (other topics keep their data), for `None` it replaces it.
    pub async fn refresh_metadata(&self, topics: Option<&[String]>) -> Result<Arc<Metadata>> {
        let _refreshing = self.inner.refresh_lock.lock().await;
        self.refresh_locked(topics).await
    }

    async fn refresh_locked(&self, topics: Option<&[String]>) -> Result<Arc<Metadata>> {
        let settings = &self.inner.settings;
        let req = MetadataRequest::default()
            .with_topics(topics.map(|ts| {
                ts.iter()
                    .map(|t| {
                        MetadataRequestTopic::default()
                            .with_name(Some(TopicName(StrBytes::from_string(t.clone()))))
                    })
                    .collect()
            }))
            .with_allow_auto_topic_creation(false);
        let deadline = Instant::now() + settings.request_timeout;
        let mut backoff = Backoff::for_retry(settings);
        let (this, req) = (self, &req);
        let (_, resp) = retry(
            "metadata refresh",
            &mut backoff,
            Some(deadline),
            move || this.send_any(req),
        )
        .await?;

        let cur = self.metadata();
        let fresh = Metadata::from_response(cur.generation + 1, &resp);
        let next = Arc::new(match topics {
            None => fresh,
            Some(_) => cur.merge(fresh),
        });
        *lock(&self.inner.meta) = next.clone();
        debug!(
            cluster = %settings.cluster,
            generation = next.generation,
            brokers = next.brokers.len(),
            topics = next.topics.len(),
            asked = topics.map_or(-1, |t| t.len() as i64),
            "metadata refreshed"
        );
        Ok(next)
    }

    /// Marks every topic last refreshed at or before `seen_generation` as stale, so the next
    /// [`ClusterClient::leader_for`] on it refreshes. A topic refreshed since (a newer generation)
    /// is not affected, so two tasks reporting the same failure cause one refresh.
    pub fn invalidate_metadata(&self, seen_generation: u64) {
        let before = self
            .inner
            .stale_upto
            .fetch_max(seen_generation, Ordering::AcqRel);
        if seen_generation > before {
            debug!(cluster = %self.cluster_name(), seen_generation, "metadata invalidated");
        }
    }

    /// The leader of `topic`/`partition`: from the cache when it is fresh, otherwise after one
    /// refresh of that topic. Errors are retriable broker codes (`UnknownTopicOrPartition`,
    /// `LeaderNotAvailable`) when the cluster does not (yet) know a leader.
    pub async fn leader_for(&self, topic: &str, partition: i32) -> Result<i32> {
        self.leader_with_generation(topic, partition)
            .await
            .map(|(leader, _)| leader)
    }

    /// Like [`ClusterClient::leader_for`], plus the generation of the data the answer came from:
    /// pass it to [`ClusterClient::invalidate_metadata`] when that leader turns out wrong.
    pub async fn leader_with_generation(&self, topic: &str, partition: i32) -> Result<(i32, u64)> {
        let snap = self.metadata();
        if let Some(found) = self.fresh_leader(&snap, topic, partition) {
            return Ok(found);
        }
        let seen = snap.topics.get(topic).map(|t| t.generation);
        let snap = {
            let _refreshing = self.inner.refresh_lock.lock().await;
            let now = self.metadata();
            let refreshed_meanwhile = now
                .topics
                .get(topic)
                .is_some_and(|t| Some(t.generation) > seen && !self.is_stale(t.generation));
            if refreshed_meanwhile {
                now
            } else {
                self.refresh_locked(Some(&[topic.to_string()])).await?
            }
        };
        self.lookup(&snap, topic, partition)
    }

    fn is_stale(&self, generation: u64) -> bool {
        generation <= self.inner.stale_upto.load(Ordering::Acquire)
    }

    fn fresh_leader(&self, snap: &Metadata, topic: &str, partition: i32) -> Option<(i32, u64)> {
        let t = snap.topics.get(topic)?;
        if self.is_stale(t.generation) || t.error.is_some() {
            return None;
        }
        let p = t.partitions.get(&partition)?;
        (p.leader >= 0).then_some((p.leader, t.generation))
    }

    fn lookup(&self, snap: &Metadata, topic: &str, partition: i32) -> Result<(i32, u64)> {
        let err = |code: ResponseError, context: String| ProtocolError::Broker {
            cluster: self.cluster_name().to_string(),
            api: ApiKey::Metadata,
            code,
            context,
        };
        let Some(t) = snap.topics.get(topic) else {
            return Err(err(
                ResponseError::UnknownTopicOrPartition,
                format!("topic {topic} is not in the metadata"),
            ));
        };
        if let Some(code) = t.error {
            return Err(err(code, format!("topic {topic}")));
        }
        let Some(p) = t.partitions.get(&partition) else {
            return Err(err(
                ResponseError::UnknownTopicOrPartition,
                format!(
                    "topic {topic} has {} partitions, no partition {partition}",
                    t.partitions.len()
                ),
            ));
        };
        if p.leader < 0 {
            return Err(err(
                p.error.unwrap_or(ResponseError::LeaderNotAvailable),
                format!("{topic}-{partition} has no leader"),
            ));
        }
        Ok((p.leader, t.generation))
    }

    /// Sends `req` to broker `broker_id` on its pooled connection, connecting on demand (with the
    /// reconnect backoff after a failed attempt). A connection that died is replaced on the next
    /// call; the request itself is not resent (callers decide with `is_retriable`).
    pub async fn send_to<R: Request>(&self, broker_id: i32, req: &R) -> Result<(i16, R::Response)> {
        let (conn, generation) = self.connection_with_generation(broker_id).await?;
        let res = conn.send(req).await;
        if res.is_err() && conn.is_closed() {
            self.discard(broker_id, generation);
        }
        res
    }

    /// Writes `req` to `broker_id` now and returns its pending answer: requests started one after
    /// another by one caller reach the broker in that order (see [`BrokerConnection::start`]).
    pub async fn start_to<R: Request>(
        &self,
        broker_id: i32,
        req: &R,
    ) -> Result<InFlightRequest<R::Response>> {
        let (conn, generation) = self.connection_with_generation(broker_id).await?;
        let res = conn.start(req).await;
        if res.is_err() && conn.is_closed() {
            self.discard(broker_id, generation);
        }
        res
    }

    /// The live pooled connection to `broker_id`, connecting if needed. For callers that want to
    /// check versions or pipeline themselves; most should use [`ClusterClient::send_to`].
    pub async fn connection(&self, broker_id: i32) -> Result<BrokerConnection> {
        self.connection_with_generation(broker_id)
            .await
            .map(|(c, _)| c)
    }

    async fn connection_with_generation(&self, broker_id: i32) -> Result<(BrokerConnection, u64)> {
        let addr = match self.metadata().brokers.get(&broker_id) {
            Some(a) => a.clone(),
            None => {
                // Maybe a broker newer than our snapshot: refresh the broker list once.
                let snap = self.refresh_metadata(Some(&[])).await?;
                snap.brokers.get(&broker_id).cloned().ok_or_else(|| {
                    ProtocolError::UnknownBroker {
                        cluster: self.cluster_name().to_string(),
                        id: broker_id,
                    }
                })?
            }
        };
        self.connection_at(broker_id, &addr).await
    }

    /// The pooled connection to `broker_id` at `addr` (replacing one to an old address).
    async fn connection_at(&self, broker_id: i32, addr: &str) -> Result<(BrokerConnection, u64)> {
        let settings = &self.inner.settings;
        let connect_lock = {
            let mut pool = lock(&self.inner.pool);
            let slot = pool
                .entry(broker_id)
                .or_insert_with(|| Slot::new(addr.to_string(), settings));
            if slot.addr != addr {
                info!(cluster = %settings.cluster, broker_id, from = %slot.addr, to = addr, "broker moved");
                slot.addr = addr.to_string();
                slot.conn = None;
                slot.backoff.reset();
                slot.next_attempt = None;
            }
            if let Some(live) = slot.live() {
                return Ok(live);
            }
            slot.connect_lock.clone()
        };
        let _connecting = connect_lock.lock().await;
        let wait = {
            let pool = lock(&self.inner.pool);
            match pool.get(&broker_id) {
                Some(slot) if slot.addr == addr => {
                    if let Some(live) = slot.live() {
                        return Ok(live); // another task connected while we waited
                    }
                    slot.next_attempt
                }
                _ => None,
            }
        };
        if let Some(at) = wait {
            tokio::time::sleep_until(at).await;
        }
        let res = BrokerConnection::connect_secured(
            &settings.cluster,
            addr,
            &settings.client_id,
            settings.request_timeout,
            &settings.security,
        )
        .await;
        let mut pool = lock(&self.inner.pool);
        let slot = pool
            .entry(broker_id)
            .or_insert_with(|| Slot::new(addr.to_string(), settings));
        match res {
            Ok(conn) => {
                slot.addr = addr.to_string();
                slot.generation += 1;
                slot.conn = Some(conn.clone());
                slot.backoff.reset();
                slot.next_attempt = None;
                Ok((conn, slot.generation))
            }
            Err(e) => {
                let delay = slot.backoff.next();
                slot.next_attempt = Some(Instant::now() + delay);
                debug!(cluster = %settings.cluster, broker_id, addr, error = %e, retry_in_ms = delay.as_millis() as u64, "connect failed");
                Err(e)
            }
        }
    }

    /// Drops broker `broker_id`'s connection if it is still generation `generation`.
    fn discard(&self, broker_id: i32, generation: u64) {
        let mut pool = lock(&self.inner.pool);
        if let Some(slot) = pool.get_mut(&broker_id) {
            if slot.generation == generation && slot.conn.is_some() {
                slot.conn = None;
                debug!(cluster = %self.cluster_name(), broker_id, generation, "connection discarded");
            }
        }
    }

    /// Sends `req` to any broker that answers: live pooled connections first, then the other known
    /// brokers, then the bootstrap addresses, moving on after a transport failure (so the request may
    /// reach more than one broker: only for requests any broker may answer and that are safe to
    /// repeat). Other errors are returned as they are. `NoBrokerReachable` when all failed.
    pub async fn send_any<R: Request>(&self, req: &R) -> Result<(i16, R::Response)> {
        let mut tried = Vec::new();
        let mut last: Option<ProtocolError> = None;
        for cand in self.candidates() {
            let (conn, pooled) = match &cand {
                Candidate::Broker(id, addr) => match self.connection_at(*id, addr).await {
                    Ok((c, g)) => (c, Some((*id, g))),
                    Err(e) => {
                        tried.push(addr.clone());
                        last = Some(e);
                        continue;
                    }
                },
                Candidate::Bootstrap(addr) => match self.bootstrap_connection(addr).await {
                    Ok(c) => (c, None),
                    Err(e) => {
                        tried.push(addr.clone());
                        last = Some(e);
                        continue;
                    }
                },
            };
            match conn.send(req).await {
                Ok(r) => return Ok(r),
                Err(e) if e.is_transport() => {
                    if let Some((id, g)) = pooled {
                        if conn.is_closed() {
                            self.discard(id, g);
                        }
                    }
                    tried.push(conn.broker().to_string());
                    last = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(ProtocolError::NoBrokerReachable {
            cluster: self.cluster_name().to_string(),
            tried,
            last: last.map(Box::new),
        })
    }

    /// Where `send_any` looks, in order, without duplicates.
    fn candidates(&self) -> Vec<Candidate> {
        let snap = self.metadata();
        let mut ids: Vec<i32> = snap.brokers.keys().copied().collect();
        ids.sort_unstable();
        if !ids.is_empty() {
            let k = self.inner.rotate.fetch_add(1, Ordering::Relaxed) % ids.len();
            ids.rotate_left(k);
        }
        let live: Vec<i32> = {
            let pool = lock(&self.inner.pool);
            ids.iter()
                .copied()
                .filter(|id| {
                    pool.get(id).is_some_and(|s| {
                        s.live().is_some() && Some(&s.addr) == snap.brokers.get(id)
                    })
                })
                .collect()
        };
        let mut out: Vec<Candidate> = Vec::new();
        for id in live
            .iter()
            .chain(ids.iter().filter(|id| !live.contains(id)))
        {
            out.push(Candidate::Broker(*id, snap.brokers[id].clone()));
        }
        for addr in &self.inner.settings.bootstrap {
            if !snap.brokers.values().any(|a| a == addr) {
                out.push(Candidate::Bootstrap(addr.clone()));
            }
        }
        out
    }

    async fn bootstrap_connection(&self, addr: &str) -> Result<BrokerConnection> {
        if let Some(c) = lock(&self.inner.bootstrap).as_ref() {
            if !c.is_closed() && c.broker() == addr {
                return Ok(c.clone());
            }
        }
        let s = &self.inner.settings;
        let conn = BrokerConnection::connect_secured(
            &s.cluster,
            addr,
            &s.client_id,
            s.request_timeout,
            &s.security,
        )
        .await?;
        *lock(&self.inner.bootstrap) = Some(conn.clone());
        Ok(conn)
    }

    /// Delays the next requests to `broker_id` by `ms` milliseconds (a response's
    /// `throttle_time_ms`); no-op for `ms <= 0` or a broker without a connection.
    pub fn throttle(&self, broker_id: i32, ms: i32) {
        if ms <= 0 {
            return;
        }
        let pool = lock(&self.inner.pool);
        if let Some(conn) = pool.get(&broker_id).and_then(|s| s.conn.as_ref()) {
            debug!(cluster = %self.cluster_name(), broker_id, ms, "throttled by broker");
            conn.throttle(Duration::from_millis(ms as u64));
        }
    }
}
