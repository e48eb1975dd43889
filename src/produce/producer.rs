//! The produce loop of one task. It takes fetched rounds in order, rewrites each batch's producer
//! fields (and CRC) for strait's idempotent producer on the target, sends one Produce request per
//! target leader covering every partition with data, and records progress only for partitions the
//! target acknowledged. A partition whose data the target refuses for a non-retriable reason is
//! parked (its fetching paused, the error logged) and retried slowly, never skipped.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::ProduceResponse;
use kafka_protocol::ResponseError;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info, warn};

use super::request::{self, PartitionRecords, PartitionResult};
use super::sequence::Sequences;
use crate::config::ProduceSettings;
use crate::fetch::{Chunk, FetchControl, FetchedRound, Route};
use crate::offsets::progress::ProgressStore;
use crate::protocol::admin::init_producer_id;
use crate::protocol::{Backoff, ClusterClient, ProtocolError};
use crate::records::{rewrite_for_target, RecordsError};

/// Upper bound of record bytes in one Produce request (brokers accept 100 MiB by default).
const MAX_REQUEST_BYTES: usize = 16 << 20;
/// Upper bound of fetched bytes coalesced into one delivery.
const MAX_DELIVERY_BYTES: usize = 64 << 20;
/// How long in-flight data may take to land after a shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);
/// How often a parked partition is retried.
const PARKED_RETRY: Duration = Duration::from_secs(30);

type Key = (String, i32);
/// A Produce request's answer with the leader and the `pending` indices it covered.
type InFlight = (i32, Vec<usize>, Result<(i16, ProduceResponse), ProtocolError>);

/// Data for one partition on its way to the target.
struct Pending {
    route: Arc<Route>,
    chunks: Vec<Chunk>,
    /// The rewritten bytes under the current producer identity; None until encoded (again).
    encoded: Option<Bytes>,
    next_offset: i64,
}

impl Pending {
    fn key(&self) -> Key {
        (self.route.remote_topic.clone(), self.route.partition)
    }
}

/// A partition the target refused non-retriably, held with its data until the target accepts it.
struct Parked {
    pending: Pending,
    retry_at: Instant,
}

/// How a partition's produce result is handled.
enum Verdict {
    Done,
    Retry,
    ResetProducer,
    Park(String),
}

/// One task's produce side.
pub struct TaskProducer {
    task: usize,
    client: ClusterClient,
    settings: ProduceSettings,
    backoff: Backoff,
    rounds: mpsc::Receiver<FetchedRound>,
    control: mpsc::UnboundedSender<FetchControl>,
    progress: Arc<ProgressStore>,
    seq: Sequences,
    parked: BTreeMap<Key, Parked>,
}

impl TaskProducer {
    /// Creates the produce side of task `task`.
    pub fn new(
        task: usize,
        client: ClusterClient,
        settings: ProduceSettings,
        backoff: Backoff,
        rounds: mpsc::Receiver<FetchedRound>,
        control: mpsc::UnboundedSender<FetchControl>,
        progress: Arc<ProgressStore>,
    ) -> Self {
        TaskProducer {
            task,
            client,
            settings,
            backoff,
            rounds,
            control,
            progress,
            seq: Sequences::new(None),
            parked: BTreeMap::new(),
        }
    }

    /// Runs until the fetch side is gone, or after `shutdown` once the rounds already fetched are
    /// delivered (or the grace period ran out).
    pub async fn run(mut self, shutdown: CancellationToken) {
        if !self.init_identity(&shutdown).await {
            return;
        }
        let mut deadline: Option<Instant> = None;
        loop {
            let next_parked = self.parked.values().map(|p| p.retry_at).min();
            let first = if deadline.is_some() {
                match self.rounds.try_recv() {
                    Ok(r) => r,
                    Err(_) => break,
                }
            } else {
                tokio::select! {
                    biased;
                    r = self.rounds.recv() => match r { Some(r) => r, None => break },
                    _ = shutdown.cancelled() => {
                        deadline = Some(Instant::now() + SHUTDOWN_GRACE);
                        continue;
                    }
                    _ = sleep_until(next_parked), if next_parked.is_some() => {
                        self.retry_parked(deadline).await;
                        continue;
                    }
                }
            };
            let mut rounds = vec![first];
            let mut bytes = round_bytes(&rounds[0]);
            if !self.settings.linger.is_zero() && deadline.is_none() {
                tokio::time::sleep(self.settings.linger).await;
            }
            while bytes < MAX_DELIVERY_BYTES {
                match self.rounds.try_recv() {
                    Ok(r) => {
                        bytes += round_bytes(&r);
                        rounds.push(r);
                    }
                    Err(_) => break,
                }
            }
            let pending = self.merge(rounds);
            self.deliver(pending, deadline).await;
            if deadline.is_some_and(|d| Instant::now() >= d) {
                break;
            }
        }
        if !self.parked.is_empty() {
            let parts: Vec<String> = self
                .parked
                .values()
                .map(|p| p.pending.route.to_string())
                .collect();
            warn!(task = self.task, partitions = ?parts, "stopping with parked partitions; they resume from saved progress on restart");
        }
        debug!(task = self.task, "producer stopped");
    }

    /// Gets a producer id from the target (idempotent mode), retrying until it works or shutdown.
    async fn init_identity(&mut self, shutdown: &CancellationToken) -> bool {
        if self.settings.acks != -1 {
            warn!(task = self.task, acks = self.settings.acks, "acks is not `all`: the target producer is not idempotent and retries may duplicate records");
            return true;
        }
        loop {
            match init_producer_id(&self.client, self.settings.request_timeout).await {
                Ok(identity) => {
                    debug!(
                        task = self.task,
                        producer_id = identity.0,
                        epoch = identity.1,
                        "idempotent producer ready"
                    );
                    self.seq.reset(identity);
                    self.backoff.reset();
                    return true;
                }
                Err(e) => {
                    let delay = self.backoff.next();
                    warn!(task = self.task, cluster = self.client.cluster_name(), error = %e, retry_in = ?delay, "cannot get a producer id from the target");
                    tokio::select! {
                        _ = tokio::time::sleep(delay) => {}
                        _ = shutdown.cancelled() => return false,
                    }
                }
            }
        }
    }

    /// Merges rounds into one pending entry per partition, keeping each partition's order; data
    /// for a parked partition joins its parked queue instead.
    fn merge(&mut self, rounds: Vec<FetchedRound>) -> Vec<Pending> {
        let mut order: Vec<Key> = Vec::new();
        let mut by_key: HashMap<Key, Pending> = HashMap::new();
        for chunk in rounds.into_iter().flat_map(|r| r.chunks) {
            let key = (chunk.route.remote_topic.clone(), chunk.route.partition);
            if let Some(parked) = self.parked.get_mut(&key) {
                parked.pending.next_offset = chunk.next_offset;
                parked.pending.encoded = None;
                parked.pending.chunks.push(chunk);
                continue;
            }
            let entry = by_key.entry(key.clone()).or_insert_with(|| {
                order.push(key);
                Pending {
                    route: chunk.route.clone(),
                    chunks: Vec::new(),
                    encoded: None,
                    next_offset: chunk.next_offset,
                }
            });
            entry.next_offset = chunk.next_offset;
            entry.chunks.push(chunk);
        }
        order
            .into_iter()
            .filter_map(|k| by_key.remove(&k))
            .collect()
    }

    /// Rewrites a partition's batches under the current producer identity. Sequences are consumed
    /// here, once per encoding.
    fn encode(&mut self, p: &mut Pending) -> Result<(), RecordsError> {
        if p.encoded.is_some() {
            return Ok(());
        }
        let mut out = BytesMut::new();
        let (topic, partition) = p.key();
        for batch in p.chunks.iter().flat_map(|c| c.batches.iter()) {
            let fields = self.seq.fields_for(&topic, partition);
            if let Some(written) = rewrite_for_target(batch, fields, &mut out)? {
                if written.renumbered {
                    debug!(partition = %p.route, offset = batch.header.base_offset, "renumbered a compacted batch");
                }
                self.seq.advance(&topic, partition, written.records);
            }
        }
        p.encoded = Some(out.freeze());
        Ok(())
    }

    /// Delivers `pending` until every partition is acknowledged or parked.
    async fn deliver(&mut self, mut pending: Vec<Pending>, mut deadline: Option<Instant>) {
        let mut attempt: u32 = 0;
        loop {
            let mut ready = Vec::with_capacity(pending.len());
            for mut p in pending.drain(..) {
                match self.encode(&mut p) {
                    Ok(()) if p.encoded.as_ref().is_some_and(|b| b.is_empty()) => {
                        // Only markers or empty batches: nothing to send, the position still moves.
                        self.progress.record(&p.route, p.next_offset);
                    }
                    Ok(()) => ready.push(p),
                    Err(e) => self.park(p, format!("cannot forward a source batch: {e}")),
                }
            }
            pending = ready;
            if pending.is_empty() {
                self.backoff.reset();
                return;
            }
            let (retry, reset) = self.send_all(&mut pending).await;
            if pending.is_empty() {
                self.backoff.reset();
                return;
            }
            if reset {
                self.reset_identity(&mut pending).await;
            }
            if retry {
                let generation = self.client.metadata().generation;
                self.client.invalidate_metadata(generation);
            }
            attempt += 1;
            let delay = self.backoff.next();
            if attempt % 10 == 0 {
                warn!(task = self.task, partitions = pending.len(), attempt, retry_in = ?delay, "target still not accepting data; retrying");
            }
            if deadline.is_none() && self.rounds.is_closed() {
                deadline = Some(Instant::now() + SHUTDOWN_GRACE);
            }
            if deadline.is_some_and(|d| Instant::now() + delay >= d) {
                warn!(
                    task = self.task,
                    partitions = pending.len(),
                    "giving up on in-flight data at shutdown; it is re-copied on restart"
                );
                return;
            }
            tokio::time::sleep(delay).await;
        }
    }

    /// Sends every pending partition once, grouped by target leader; removes what was
    /// acknowledged (recording progress) or parked. Returns (metadata stale, producer reset needed).
    async fn send_all(&mut self, pending: &mut Vec<Pending>) -> (bool, bool) {
        let metadata = self.client.metadata();
        let mut groups: BTreeMap<i32, Vec<usize>> = BTreeMap::new();
        let mut missing: Vec<String> = Vec::new();
        for (i, p) in pending.iter().enumerate() {
            let leader = metadata
                .topics
                .get(&p.route.remote_topic)
                .and_then(|t| t.partitions.get(&p.route.partition))
                .map(|m| m.leader)
                .filter(|l| *l >= 0);
            match leader {
                Some(l) => groups.entry(l).or_default().push(i),
                None => missing.push(p.route.remote_topic.clone()),
            }
        }
        if !missing.is_empty() {
            missing.sort();
            missing.dedup();
            if let Err(e) = self.client.refresh_metadata(Some(&missing)).await {
                warn!(task = self.task, error = %e, "target metadata refresh failed");
            }
        }
        let timeout_ms =
            i32::try_from(self.settings.request_timeout.as_millis()).unwrap_or(i32::MAX);
        let mut requests: JoinSet<InFlight> = JoinSet::new();
        for (leader, indices) in groups {
            for slice in split_by_bytes(&indices, |i| {
                pending[i].encoded.as_ref().map_or(0, |b| b.len())
            }) {
                let parts: Vec<PartitionRecords> = slice
                    .iter()
                    .map(|&i| PartitionRecords {
                        topic: pending[i].route.remote_topic.clone(),
                        partition: pending[i].route.partition,
                        records: pending[i].encoded.clone().unwrap_or_default(),
                    })
                    .collect();
                let req = request::build(&parts, self.settings.acks, timeout_ms);
                let client = self.client.clone();
                requests.spawn(async move {
                    let r = client.send_to(leader, &req).await;
                    (leader, slice, r)
                });
            }
        }
        let mut verdicts: HashMap<usize, Verdict> = HashMap::new();
        let mut retry = !missing.is_empty();
        while let Some(joined) = requests.join_next().await {
            let Ok((leader, indices, result)) = joined else {
                continue;
            };
            match result {
                Ok((_, resp)) => {
                    if resp.throttle_time_ms > 0 {
                        self.client.throttle(leader, resp.throttle_time_ms);
                    }
                    let results = request::results(&resp);
                    for i in indices {
                        let p = &pending[i];
                        let r = results.iter().find(|r| {
                            r.topic == p.route.remote_topic && r.partition == p.route.partition
                        });
                        let verdict = match r {
                            Some(r) => verdict(r),
                            None => Verdict::Retry,
                        };
                        if matches!(verdict, Verdict::Retry) {
                            retry = true;
                        }
                        verdicts.insert(i, verdict);
                    }
                }
                Err(e) => {
                    retry = true;
                    debug!(task = self.task, leader, error = %e, "produce request failed");
                    if !e.is_retriable() {
                        warn!(task = self.task, leader, error = %e, "produce request failed");
                    }
                }
            }
        }
        let mut reset = false;
        let mut keep = Vec::with_capacity(pending.len());
        for (i, p) in pending.drain(..).enumerate() {
            match verdicts.remove(&i) {
                Some(Verdict::Done) => self.progress.record(&p.route, p.next_offset),
                Some(Verdict::Park(why)) => self.park(p, why),
                Some(Verdict::ResetProducer) => {
                    reset = true;
                    keep.push(p);
                }
                Some(Verdict::Retry) | None => keep.push(p),
            }
        }
        *pending = keep;
        (retry, reset)
    }

    /// Takes a new producer id after the target lost or fenced ours; everything not yet
    /// acknowledged is re-encoded under it.
    async fn reset_identity(&mut self, pending: &mut [Pending]) {
        match init_producer_id(&self.client, self.settings.request_timeout).await {
            Ok(identity) => {
                info!(
                    task = self.task,
                    producer_id = identity.0,
                    "target producer state was reset; continuing under a new producer id"
                );
                self.seq.reset(identity);
                for p in pending.iter_mut() {
                    p.encoded = None;
                }
                for p in self.parked.values_mut() {
                    p.pending.encoded = None;
                }
            }
            Err(e) => {
                warn!(task = self.task, error = %e, "cannot get a new producer id from the target")
            }
        }
    }

    fn park(&mut self, p: Pending, why: String) {
        error!(task = self.task, partition = %p.route, remote = %p.route.remote_topic, error = %why, retry_in = ?PARKED_RETRY, "the target refuses this partition's data; replication of it is paused and will be retried");
        let _ = self.control.send(FetchControl::Pause(p.route.clone()));
        self.parked.insert(
            p.key(),
            Parked {
                pending: p,
                retry_at: Instant::now() + PARKED_RETRY,
            },
        );
    }

    /// Tries every parked partition whose retry time came; resumes fetching those that landed.
    async fn retry_parked(&mut self, deadline: Option<Instant>) {
        let now = Instant::now();
        let due: Vec<Key> = self
            .parked
            .iter()
            .filter(|(_, p)| p.retry_at <= now)
            .map(|(k, _)| k.clone())
            .collect();
        let mut batch = Vec::new();
        for key in due {
            if let Some(p) = self.parked.remove(&key) {
                batch.push(p.pending);
            }
        }
        let routes: Vec<Arc<Route>> = batch.iter().map(|p| p.route.clone()).collect();
        self.deliver(batch, deadline).await;
        for route in routes {
            let key = (route.remote_topic.clone(), route.partition);
            if !self.parked.contains_key(&key) {
                info!(task = self.task, partition = %route, "the target accepts this partition's data again; resuming");
                let _ = self.control.send(FetchControl::Resume(route));
            }
        }
    }
}

/// Classifies one partition's produce result.
fn verdict(r: &PartitionResult) -> Verdict {
    if r.error_code == 0 {
        return Verdict::Done;
    }
    match ResponseError::try_from_code(r.error_code) {
        // The broker already has this batch (a retry of an append whose answer was lost).
        Some(ResponseError::DuplicateSequenceNumber) => Verdict::Done,
        Some(
            ResponseError::OutOfOrderSequenceNumber
            | ResponseError::UnknownProducerId
            | ResponseError::InvalidProducerEpoch
            | ResponseError::ProducerFenced,
        ) => Verdict::ResetProducer,
        Some(e) if e.is_retriable() => Verdict::Retry,
        Some(e) => Verdict::Park(match &r.message {
            Some(m) => format!("{e:?}: {m}"),
            None => format!("{e:?}"),
        }),
        None => Verdict::Park(format!("unknown error code {}", r.error_code)),
    }
}

/// Splits `indices` into groups whose summed size stays under [`MAX_REQUEST_BYTES`] (a single
/// oversized entry gets a group of its own).
fn split_by_bytes(indices: &[usize], size: impl Fn(usize) -> usize) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    let mut bytes = 0usize;
    for &i in indices {
        let s = size(i);
        if !current.is_empty() && bytes + s > MAX_REQUEST_BYTES {
            out.push(std::mem::take(&mut current));
            bytes = 0;
        }
        current.push(i);
        bytes += s;
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn round_bytes(r: &FetchedRound) -> usize {
    r.chunks.iter().map(Chunk::bytes).sum()
}

async fn sleep_until(t: Option<Instant>) {
    match t {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(code: i16) -> PartitionResult {
        PartitionResult {
            topic: "t".into(),
            partition: 0,
            error_code: code,
            message: None,
        }
    }

    #[test]
    fn verdicts_follow_kafka_error_semantics() {
        assert!(matches!(verdict(&result(0)), Verdict::Done));
        assert!(matches!(verdict(&result(46)), Verdict::Done)); // DUPLICATE_SEQUENCE_NUMBER
        assert!(matches!(verdict(&result(45)), Verdict::ResetProducer)); // OUT_OF_ORDER_SEQUENCE_NUMBER
        assert!(matches!(verdict(&result(59)), Verdict::ResetProducer)); // UNKNOWN_PRODUCER_ID
        assert!(matches!(verdict(&result(6)), Verdict::Retry)); // NOT_LEADER_OR_FOLLOWER
        assert!(matches!(verdict(&result(19)), Verdict::Retry)); // NOT_ENOUGH_REPLICAS
        assert!(matches!(verdict(&result(10)), Verdict::Park(_))); // MESSAGE_TOO_LARGE
        assert!(matches!(verdict(&result(29)), Verdict::Park(_))); // TOPIC_AUTHORIZATION_FAILED
    }

    #[test]
    fn requests_are_split_by_size() {
        let sizes = [10usize << 20, 10 << 20, 1 << 20, 20 << 20];
        let groups = split_by_bytes(&[0, 1, 2, 3], |i| sizes[i]);
        assert_eq!(groups, vec![vec![0], vec![1, 2], vec![3]]);
    }
}
