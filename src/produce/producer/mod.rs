//! The produce loop of one task. Fetched rounds are rewritten batch by batch into per-partition
//! queues ([`PartitionQueue`]); requests ("waves") carrying the next batch of every partition a
//! target leader holds are pipelined, up to [`MAX_IN_FLIGHT`] per leader; progress is recorded only
//! when a partition's acknowledged prefix passes a chunk's end. Failures are settled per partition
//! once its in-flight batches have answered: retried with the same sequences (the broker drops
//! duplicates), retried under a new producer id when the target lost ours, or parked (fetching
//! paused, error logged, retried every 30 s) when the target refuses the data. Never skipped.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use kafka_protocol::messages::ProduceResponse;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info, warn};
use uuid::Uuid;

use self::recopy::Recopy;
pub(crate) use self::recopy::RemoteTopicWatch;
use super::queue::{Failure, PartitionQueue, MAX_IN_FLIGHT};
use super::sequence::ProducerIdentity;
use super::settings::ProduceSettings;
use super::standing::{Settle, Standing, PARKED_RETRY};
use super::target::{ProduceTarget, ProgressLog};
use crate::fetch::budget::TaskBytes;
use crate::fetch::{FetchControl, FetchedRound};
use crate::metrics::FlowMetrics;
use crate::offsets::offset_syncs::OffsetSyncLog;
use crate::protocol::produce_request::{self as request, PartitionRecords};
use crate::protocol::{
    sleep_until_or_forever, Backoff, ClusterClient, ProtocolError, TopicPartition,
};

/// Upper bound of record bytes in one Produce request (brokers accept 100 MiB by default).
const MAX_REQUEST_BYTES: usize = 16 << 20;
/// How long queued data may take to land after a shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// A finished Produce request: its leader, the (partition, entry id) pairs it carried, the answer.
struct Wave {
    leader: i32,
    sent: Vec<(TopicPartition, u64)>,
    result: Result<(i16, ProduceResponse), ProtocolError>,
}

/// Where a task reports what the target acknowledged: progress (to resume from) and, when
/// offset-syncs are on, each landed batch (to translate offsets).
pub(crate) struct AckReports {
    /// The flow's progress store.
    pub(crate) progress: Arc<dyn ProgressLog>,
    /// The flow's offset-sync log.
    pub(crate) syncs: Option<Arc<OffsetSyncLog>>,
    /// The flow's metrics (None when `--metrics-listen` is not given).
    pub(crate) metrics: Option<FlowMetrics>,
    /// What the task holds between fetch and acknowledgement: the fetcher sizes its Fetches by it.
    pub(crate) held: Arc<TaskBytes>,
    /// Shared with topic discovery: how a deleted remote topic is noticed and created again.
    pub(crate) watch: Arc<RemoteTopicWatch>,
}

/// One task's produce side, writing to `C` (the target cluster; a stand-in in unit tests).
pub(crate) struct TaskProducer<C: ProduceTarget = ClusterClient> {
    task: usize,
    client: C,
    settings: ProduceSettings,
    backoff: Backoff,
    rounds: mpsc::Receiver<FetchedRound>,
    control: mpsc::UnboundedSender<FetchControl>,
    progress: Arc<dyn ProgressLog>,
    /// Where acknowledged batches are reported for offset-syncs (None when they are disabled).
    sync_log: Option<Arc<OffsetSyncLog>>,
    /// Where acknowledged batches are counted (None when metrics are off).
    metrics: Option<FlowMetrics>,
    identity: ProducerIdentity,
    queues: BTreeMap<TopicPartition, PartitionQueue>,
    next_id: u64,
    waves: JoinSet<Wave>,
    waves_per_leader: HashMap<i32, usize>,
    /// Partitions not simply flowing: waiting out a retry, parked, recovering or halted.
    standing: HashMap<TopicPartition, Standing>,
    /// A new producer id is needed once nothing is in flight.
    resetting: bool,
    /// Some partition had no known leader: look again at this instant.
    metadata_retry_at: Option<Instant>,
    /// What the task holds between fetch and acknowledgement, shared with its fetcher.
    bytes: Arc<TaskBytes>,
    /// The topic id each remote topic written to had when first seen: another id (or none) later
    /// means it was deleted on the target.
    remote_ids: HashMap<String, Uuid>,
    /// Ids of remote topics known deleted (a lagging broker may still show one).
    retired_ids: HashSet<Uuid>,
    /// Remote topics deleted on the target, being copied again (see `recopy`).
    recopy: HashMap<String, Recopy>,
    /// Shared with topic discovery (see [`RemoteTopicWatch`]).
    watch: Arc<RemoteTopicWatch>,
    /// Discovery's creation count when the producer last read the target metadata for it.
    creations_seen: u64,
}

impl<C: ProduceTarget> TaskProducer<C> {
    /// Creates the produce side of task `task`.
    pub(crate) fn new(
        task: usize,
        client: C,
        settings: ProduceSettings,
        backoff: Backoff,
        rounds: mpsc::Receiver<FetchedRound>,
        control: mpsc::UnboundedSender<FetchControl>,
        reports: AckReports,
    ) -> Self {
        TaskProducer {
            task,
            client,
            settings,
            backoff,
            rounds,
            control,
            progress: reports.progress,
            sync_log: reports.syncs,
            metrics: reports.metrics,
            identity: ProducerIdentity::new(None),
            queues: BTreeMap::new(),
            next_id: 0,
            waves: JoinSet::new(),
            waves_per_leader: HashMap::new(),
            standing: HashMap::new(),
            resetting: false,
            metadata_retry_at: None,
            bytes: reports.held,
            remote_ids: HashMap::new(),
            retired_ids: HashSet::new(),
            recopy: HashMap::new(),
            watch: reports.watch,
            creations_seen: 0,
        }
    }

    /// Runs until the fetch side is gone or `shutdown` fires, and then until what was already
    /// fetched is on the target (or the grace period ran out).
    pub(crate) async fn run(mut self, shutdown: CancellationToken) {
        if !self.init_identity(&shutdown).await {
            return;
        }
        let mut deadline: Option<Instant> = None;
        let mut rounds_open = true;
        loop {
            while self.has_queue_room() {
                match self.rounds.try_recv() {
                    Ok(round) => self.intake(round),
                    Err(mpsc::error::TryRecvError::Empty) => break,
                    Err(mpsc::error::TryRecvError::Disconnected) => {
                        rounds_open = false;
                        break;
                    }
                }
            }
            self.bytes.set_queued(self.queued_bytes());
            if !rounds_open && deadline.is_none() {
                deadline = Some(Instant::now() + SHUTDOWN_GRACE);
            }
            self.settle().await;
            self.advance_recopies().await;
            self.send_waves().await;
            if deadline.is_some()
                && self.waves.is_empty()
                && !rounds_open
                && !self.has_sendable_work()
            {
                break;
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                warn!(
                    task = self.task,
                    "shutdown grace period over; data not yet acknowledged is re-copied on restart"
                );
                break;
            }
            let timer = [
                deadline,
                self.metadata_retry_at,
                self.standing.values().filter_map(|s| s.wake_at()).min(),
                self.recopy_wake_at(),
            ]
            .into_iter()
            .flatten()
            .min();
            let want_rounds = rounds_open && self.has_queue_room();
            tokio::select! {
                Some(joined) = self.waves.join_next(), if !self.waves.is_empty() => {
                    if let Ok(wave) = joined {
                        self.handle(wave);
                    }
                }
                round = self.rounds.recv(), if want_rounds => match round {
                    Some(r) => self.intake(r),
                    None => rounds_open = false,
                },
                _ = shutdown.cancelled(), if deadline.is_none() => {
                    deadline = Some(Instant::now() + SHUTDOWN_GRACE);
                }
                _ = sleep_until_or_forever(timer), if timer.is_some() => {}
            }
        }
        self.waves.abort_all();
        let stuck: Vec<String> = self
            .standing
            .iter()
            .filter(|(_, s)| s.is_stopped())
            .map(|(tp, _)| tp.to_string())
            .collect();
        if !stuck.is_empty() {
            warn!(task = self.task, partitions = ?stuck, "stopping with partitions that were not replicating; they resume from saved progress on restart");
        }
        debug!(task = self.task, "producer stopped");
    }

    fn queued_bytes(&self) -> usize {
        self.queues.values().map(|q| q.bytes).sum()
    }

    /// Whether the producer takes another fetched round: while the queues that can still send hold
    /// less than the task's budget (at least one round when they are empty, whatever the budget).
    /// Parked and halted partitions are left out: their fetching is paused, and data they still
    /// hold must not stop the task's other partitions.
    fn has_queue_room(&self) -> bool {
        let sendable: usize = self
            .queues
            .iter()
            .filter(|(k, _)| !self.is_stopped(k))
            .map(|(_, q)| q.bytes)
            .sum();
        sendable < self.bytes.limit().max(1)
    }

    /// Whether `key`'s partition is parked (the target refuses it) or halted (an unforwardable
    /// batch): its queue sends nothing for now.
    fn is_stopped(&self, key: &TopicPartition) -> bool {
        self.standing_of(key).is_stopped() || self.is_held(&key.topic)
    }

    /// Where `key`'s partition stands (flowing when the producer has no entry for it).
    fn standing_of(&self, key: &TopicPartition) -> Standing {
        self.standing.get(key).copied().unwrap_or_default()
    }

    /// Whether anything queued can still go out (parked and halted partitions excluded).
    fn has_sendable_work(&self) -> bool {
        self.queues
            .iter()
            .any(|(k, q)| !q.entries.is_empty() && !self.is_stopped(k))
    }

    /// Gets a producer id from the target (idempotent mode), retrying until it works or shutdown.
    async fn init_identity(&mut self, shutdown: &CancellationToken) -> bool {
        if self.settings.acks != -1 {
            warn!(task = self.task, acks = self.settings.acks, "acks is not `all`: the target producer is not idempotent and retries may duplicate records");
            return true;
        }
        loop {
            match self
                .client
                .init_producer_id(self.settings.request_timeout)
                .await
            {
                Ok(identity) => {
                    debug!(
                        task = self.task,
                        producer_id = identity.0,
                        epoch = identity.1,
                        "idempotent producer ready"
                    );
                    self.identity = ProducerIdentity::new(Some(identity));
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

    /// Queues a fetched round, batch by batch, under the current producer identity.
    fn intake(&mut self, round: FetchedRound) {
        let bytes: usize = round.chunks.iter().map(|c| c.bytes()).sum();
        self.bytes.taken(bytes);
        for topic in &round.restarting {
            self.restarting(topic);
        }
        for (route, start) in &round.restarted {
            self.restarted(route, *start);
        }
        for route in round.gone {
            // Whatever is still queued is delivered; it just is not counted any more.
            if let Some(queue) = self.queues.get_mut(&route.remote()) {
                queue.metrics = None;
            }
            if let Some(m) = &self.metrics {
                m.forget(&route.remote_topic, route.partition);
            }
        }
        if let Some(m) = &self.metrics {
            for r in &round.resets {
                m.source_reset(r.reason.label(), r.lost);
            }
            m.corrupt(round.corrupt_fetches, round.halted.len());
        }
        for chunk in round.chunks {
            let key = chunk.route.remote();
            // A deleted remote topic's chunks from before the fetcher's restart are dropped.
            if self.standing_of(&key) == Standing::Halted || self.drops_chunks(&key.topic) {
                continue;
            }
            let route = chunk.route.clone();
            let queue = self
                .queues
                .entry(key.clone())
                .or_insert_with(|| PartitionQueue::new(route.clone()));
            // Resolved at the partition's first data, and again after its topic was gone and came
            // back (its series were dropped then).
            if queue.metrics.is_none() {
                queue.metrics = (self.metrics.as_ref())
                    .map(|m| m.partition(&route.remote_topic, route.partition));
            }
            queue.note_fetched(&chunk);
            match queue.push(
                chunk.batches,
                chunk.next_offset,
                &self.identity,
                &mut self.next_id,
            ) {
                Ok(Some(mark)) => self.progress.record(&route, mark),
                Ok(None) => {}
                Err(e) => {
                    error!(task = self.task, partition = %route, error = %e, "a source batch cannot be forwarded; this partition stops here (data before it is still delivered) until strait is restarted");
                    let _ = self.control.send(FetchControl::Pause(route));
                    set_standing(&mut self.standing, &key, Standing::Halted);
                    if let Some(m) = &self.metrics {
                        m.halted(1);
                    }
                }
            }
        }
    }

    /// Decides what to do about partitions whose failures are complete (nothing of theirs in
    /// flight), resumes partitions whose wait is over, and takes a new producer id when needed.
    async fn settle(&mut self) {
        let now = Instant::now();
        let mut stale: Vec<String> = Vec::new();
        let keys: Vec<TopicPartition> = self.queues.keys().cloned().collect();
        for key in keys {
            let Some(queue) = self.queues.get_mut(&key) else {
                continue;
            };
            if queue.failure == Failure::None || queue.in_flight() {
                continue;
            }
            let standing = self.standing.get(&key).copied().unwrap_or_default();
            let backoff = &mut self.backoff;
            let (next, step) = standing.settle(&queue.failure, now, || backoff.next());
            match step {
                Settle::Wait => {}
                Settle::Resend => queue.resume(),
                Settle::Backoff => stale.push(key.topic.clone()),
                Settle::NewProducerId => self.resetting = true,
                Settle::Park { newly } => {
                    let why = match &queue.failure {
                        Failure::Refused(why) => why.as_str(),
                        _ => "refused",
                    };
                    error!(task = self.task, partition = %queue.route, remote = %queue.route.remote_topic, error = %why, retry_in = ?PARKED_RETRY, "the target refuses this partition's data; its replication is paused and retried");
                    let _ = self.control.send(FetchControl::Pause(queue.route.clone()));
                    if let (Some(m), true) = (&self.metrics, newly) {
                        m.parked(1);
                    }
                }
            }
            set_standing(&mut self.standing, &key, next);
        }
        if !stale.is_empty() {
            // Leaders may have moved: routing reads the cached snapshot, so refresh it now.
            stale.sort();
            stale.dedup();
            match self.client.refresh_metadata(&stale).await {
                Ok(()) => self.look_at_remote_topics(&stale),
                Err(e) => warn!(task = self.task, error = %e, "target metadata refresh failed"),
            }
        }
        if self.resetting && self.waves.is_empty() {
            self.reset_identity().await;
        }
    }

    /// Takes a new producer id after the target lost or fenced ours; everything not yet
    /// acknowledged is re-encoded under it.
    async fn reset_identity(&mut self) {
        match self
            .client
            .init_producer_id(self.settings.request_timeout)
            .await
        {
            Ok(identity) => {
                info!(
                    task = self.task,
                    producer_id = identity.0,
                    "the target lost this producer's state; continuing under a new producer id"
                );
                self.identity = ProducerIdentity::new(Some(identity));
                let keys: Vec<TopicPartition> = self.queues.keys().cloned().collect();
                for key in keys {
                    let Some(queue) = self.queues.get_mut(&key) else {
                        continue;
                    };
                    if let Err(e) = queue.reencode(&self.identity) {
                        error!(task = self.task, partition = %queue.route, error = %e, "cannot re-encode queued data");
                        set_standing(&mut self.standing, &key, Standing::Halted);
                    }
                }
                for s in self.standing.values_mut() {
                    *s = s.after_new_producer_id();
                }
                self.standing.retain(|_, s| *s != Standing::Flowing);
                self.resetting = false;
            }
            Err(e) => {
                warn!(task = self.task, error = %e, "cannot get a new producer id from the target; retrying")
            }
        }
    }

    /// Sends one request to every target leader that has room and partitions with a batch ready.
    async fn send_waves(&mut self) {
        if self.resetting {
            return;
        }
        self.learn_remote_ids().await;
        let limit = if self.identity.is_idempotent() {
            MAX_IN_FLIGHT
        } else {
            1
        };
        let mut by_leader: BTreeMap<i32, Vec<TopicPartition>> = BTreeMap::new();
        let mut missing: Vec<String> = Vec::new();
        for (key, queue) in &self.queues {
            if queue.failure != Failure::None
                || self.standing.get(key) == Some(&Standing::Halted)
                || self.recopy.contains_key(&key.topic)
                || !queue
                    .entries
                    .iter()
                    .any(|e| e.state == super::queue::EntryState::Unsent)
            {
                continue;
            }
            match self.client.leader(key) {
                Some(l) => by_leader.entry(l).or_default().push(key.clone()),
                None => missing.push(key.topic.clone()),
            }
        }
        let refresh_due = self.metadata_retry_at.is_none_or(|t| t <= Instant::now());
        if refresh_due {
            self.metadata_retry_at = None;
        }
        if !missing.is_empty() && refresh_due {
            missing.sort();
            missing.dedup();
            match self.client.refresh_metadata(&missing).await {
                Ok(()) => self.look_at_remote_topics(&missing),
                Err(e) => warn!(task = self.task, error = %e, "target metadata refresh failed"),
            }
            // Leaders of a just-created topic appear a moment later; look again soon.
            self.metadata_retry_at = Some(Instant::now() + self.client.retry_backoff());
        }
        let timeout_ms =
            i32::try_from(self.settings.request_timeout.as_millis()).unwrap_or(i32::MAX);
        let join = self.settings.join_small_batches;
        for (leader, keys) in by_leader {
            while self.waves_per_leader.get(&leader).copied().unwrap_or(0) < limit {
                let mut parts = Vec::new();
                let mut sent = Vec::new();
                let mut bytes = 0usize;
                for key in &keys {
                    let Some(queue) = self.queues.get_mut(key) else {
                        continue;
                    };
                    let route = queue.route.clone();
                    if join {
                        if let Err(e) = queue.join_waiting() {
                            debug!(task = self.task, partition = %route, error = %e, "cannot join the waiting batches; sending them one by one");
                        }
                    }
                    let Some(entry) = queue.next_to_send() else {
                        continue;
                    };
                    if !parts.is_empty() && bytes + entry.bytes.len() > MAX_REQUEST_BYTES {
                        break;
                    }
                    entry.state = super::queue::EntryState::InFlight;
                    entry.sent = true;
                    bytes += entry.bytes.len();
                    sent.push((key.clone(), entry.id));
                    parts.push(PartitionRecords {
                        topic: route.remote_topic.clone(),
                        partition: route.partition,
                        records: entry.bytes.clone(),
                    });
                }
                if parts.is_empty() {
                    break;
                }
                *self.waves_per_leader.entry(leader).or_insert(0) += 1;
                let req = request::build(&parts, self.settings.acks, timeout_ms);
                // The write happens here, in wave order, so a partition's batches reach the broker
                // in sequence order; only the wait for the answer runs concurrently.
                match self.client.send(leader, &req).await {
                    Ok(pending) => {
                        self.waves.spawn(async move {
                            let result = pending.await;
                            Wave {
                                leader,
                                sent,
                                result,
                            }
                        });
                    }
                    Err(e) => {
                        self.waves.spawn(async move {
                            Wave {
                                leader,
                                sent,
                                result: Err(e),
                            }
                        });
                        break;
                    }
                }
            }
        }
    }
}

/// Sets `key`'s standing in `map`, which keeps only partitions that are not simply flowing.
pub(super) fn set_standing(
    map: &mut HashMap<TopicPartition, Standing>,
    key: &TopicPartition,
    s: Standing,
) {
    if s == Standing::Flowing {
        map.remove(key);
    } else {
        map.insert(key.clone(), s);
    }
}

mod answers;
mod recopy;
#[cfg(test)]
mod tests;
