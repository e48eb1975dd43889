//! The fetch loop of one task: keeps at most one Fetch in flight per source leader, each covering
//! every ready partition that leader holds for this task, and hands what comes back to the task's
//! producer as one [`FetchedRound`] per response.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use kafka_protocol::messages::FetchResponse;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info, warn};
use uuid::Uuid;

use super::budget::{fetch_max_bytes, min_fetch_bytes, TaskBytes};
use super::response::{interpret, PartitionOutcome};
use super::settings::FetchSettings;
use super::source::FetchSource;
use super::{FetchControl, FetchedRound, SourceReset};
use crate::plan::Route;
use crate::protocol::fetch_request::{self as request, PartitionFetch};
use crate::protocol::TopicPartition;
use crate::protocol::{sleep_until_or_forever, ClusterClient, ProtocolError};

/// Longest wait before a partition that keeps failing is tried again.
const MAX_PARTITION_BACKOFF: Duration = Duration::from_secs(30);

/// Fetches in a row that return a corrupt batch at the same offset before the partition stops: a
/// corruption on the way (a flipped bit past TCP's checksum) goes away when fetched again, one in the
/// source log does not.
const CORRUPT_FETCHES_BEFORE_STOP: u32 = 5;

/// Where one partition stands.
struct Position {
    route: Arc<Route>,
    next_offset: i64,
    max_bytes: i32,
    in_flight: bool,
    paused: bool,
    /// Its source topic is gone: not fetched, no metadata asked for it.
    gone: bool,
    /// Stopped for good (a batch corrupt every time it was fetched): not fetched until restart.
    halted: bool,
    /// To be copied again from the source's earliest offset (its remote topic was deleted): not
    /// fetched from the old position, and an answer still in flight from there is dropped.
    restart: bool,
    /// The offset last answered with a corrupt batch, and how many fetches in a row did.
    corrupt: Option<(i64, u32)>,
    /// The id of the source topic this position is in (learnt from metadata at the first fetch):
    /// metadata naming another id means the topic was deleted and created again.
    topic_id: Option<Uuid>,
    retry_at: Option<Instant>,
    failures: u32,
}

impl Position {
    fn ready(&self, now: Instant) -> bool {
        !self.in_flight
            && !self.paused
            && !self.gone
            && !self.halted
            && !self.restart
            && self.retry_at.is_none_or(|t| t <= now)
    }

    fn back_off(&mut self, base: Duration) -> Duration {
        self.failures = self.failures.saturating_add(1);
        let exp = base.saturating_mul(1u32 << self.failures.min(8));
        let delay = exp.min(MAX_PARTITION_BACKOFF);
        self.retry_at = Some(Instant::now() + delay);
        delay
    }
}

type InFlight = (
    i32,
    Vec<TopicPartition>,
    Result<(i16, FetchResponse), ProtocolError>,
);

/// Rotates `keys` (sorted by topic, then partition) by `turn`, keeping each topic's partitions
/// together: the topics turn, and so do the partitions inside each topic. A Fetch response
/// limited by `max_bytes` is filled in request order, so a fixed order would starve the last
/// partitions whenever the limit binds.
fn rotate_by_topic(keys: &mut Vec<TopicPartition>, turn: usize) {
    let mut groups: Vec<Vec<TopicPartition>> = Vec::new();
    for k in keys.drain(..) {
        match groups.last_mut() {
            Some(g) if g[0].topic == k.topic => g.push(k),
            _ => groups.push(vec![k]),
        }
    }
    let topics = groups.len().max(1);
    groups.rotate_left(turn % topics);
    // The partitions turn once per round of the topics, so every partition leads in turn.
    let step = turn / topics;
    for mut g in groups {
        let n = g.len();
        g.rotate_left(step % n);
        keys.extend(g);
    }
}

/// One task's fetch side, reading from `C` (the source cluster; a stand-in in unit tests). Built by
/// the task, run until shutdown or until its producer goes away.
pub(crate) struct Fetcher<C: FetchSource = ClusterClient> {
    task: usize,
    client: C,
    settings: FetchSettings,
    retry_backoff: Duration,
    control: mpsc::UnboundedReceiver<FetchControl>,
    out: mpsc::Sender<FetchedRound>,
    positions: BTreeMap<TopicPartition, Position>,
    /// Bytes this task holds between fetch and acknowledgement (shared with its producer).
    bytes: Arc<TaskBytes>,
    /// Turns the order of partitions in successive requests, so that a response cut short by its
    /// byte limit does not always favour the same partitions.
    rotation: usize,
    /// Positions moved since the last round, for the producer's metrics.
    resets: Vec<SourceReset>,
    /// Partitions restarted at the source's earliest offset since the last round.
    restarted: Vec<(Arc<Route>, i64)>,
}

impl<C: FetchSource> Fetcher<C> {
    /// Creates the fetch side of task `task`, reading commands from `control` and sending rounds
    /// to `out`; `bytes` is the count shared with the task's producer that sizes each Fetch.
    pub(crate) fn new(
        task: usize,
        client: C,
        settings: FetchSettings,
        retry_backoff: Duration,
        control: mpsc::UnboundedReceiver<FetchControl>,
        out: mpsc::Sender<FetchedRound>,
        bytes: Arc<TaskBytes>,
    ) -> Self {
        Fetcher {
            task,
            client,
            settings,
            retry_backoff,
            control,
            out,
            positions: BTreeMap::new(),
            bytes,
            rotation: 0,
            resets: Vec::new(),
            restarted: Vec::new(),
        }
    }

    /// Runs the loop until `shutdown` fires or the producer side is gone.
    pub(crate) async fn run(mut self, shutdown: CancellationToken) {
        let mut in_flight: JoinSet<InFlight> = JoinSet::new();
        // Leaders with a Fetch in flight, and the max_bytes each asked for.
        let mut busy: HashMap<i32, usize> = HashMap::new();
        loop {
            let next_retry = self.issue(&mut in_flight, &mut busy).await;
            if !self.resets.is_empty() || !self.restarted.is_empty() {
                let round = FetchedRound {
                    resets: std::mem::take(&mut self.resets),
                    restarted: std::mem::take(&mut self.restarted),
                    ..FetchedRound::default()
                };
                if self.out.send(round).await.is_err() {
                    break;
                }
            }
            tokio::select! {
                biased;
                _ = shutdown.cancelled() => break,
                Some(joined) = in_flight.join_next(), if !in_flight.is_empty() => {
                    let Ok((leader, keys, result)) = joined else { continue };
                    busy.remove(&leader);
                    if !self.handle(keys, result).await {
                        break;
                    }
                }
                cmd = self.control.recv() => match cmd {
                    Some(cmd) => {
                        if !self.apply(cmd).await {
                            break;
                        }
                    }
                    None => break,
                },
                _ = sleep_until_or_forever(next_retry), if next_retry.is_some() => {}
            }
        }
        in_flight.abort_all();
        debug!(task = self.task, "fetcher stopped");
    }

    /// Carries out one command; false when the producer is gone (a gone partition is told to it).
    async fn apply(&mut self, cmd: FetchControl) -> bool {
        match cmd {
            FetchControl::Add(parts) => {
                for (route, offset) in parts {
                    info!(task = self.task, partition = %route, offset, "replicating partition");
                    let key = route.source();
                    self.positions.insert(
                        key,
                        Position {
                            route,
                            next_offset: offset,
                            max_bytes: self.settings.partition_max_bytes,
                            in_flight: false,
                            paused: false,
                            gone: false,
                            halted: false,
                            restart: false,
                            corrupt: None,
                            topic_id: None,
                            retry_at: None,
                            failures: 0,
                        },
                    );
                }
            }
            FetchControl::Pause(route) => {
                if let Some(p) = self.positions.get_mut(&route.source()) {
                    p.paused = true;
                }
            }
            FetchControl::Resume(route) => {
                if let Some(p) = self.positions.get_mut(&route.source()) {
                    p.paused = false;
                }
            }
            FetchControl::Back(route) => {
                if let Some(p) = self.positions.get_mut(&route.source()) {
                    info!(task = self.task, partition = %route, offset = p.next_offset, "the source topic is listed again; replicating the partition from where it stood");
                    p.gone = false;
                    p.failures = 0;
                    p.retry_at = None;
                }
            }
            FetchControl::Restart(remote_topic) => {
                for p in self.positions.values_mut() {
                    if p.route.remote_topic == remote_topic {
                        p.restart = true;
                        p.paused = false;
                        p.retry_at = None;
                    }
                }
                let round = FetchedRound {
                    restarting: vec![remote_topic],
                    ..FetchedRound::default()
                };
                return self.out.send(round).await.is_ok();
            }
            FetchControl::Gone(route) => {
                if let Some(p) = self.positions.get_mut(&route.source()) {
                    warn!(task = self.task, partition = %route, offset = p.next_offset, "the source topic is gone (deleted); this partition stops replicating and its metric series are dropped");
                    p.gone = true;
                }
                let round = FetchedRound {
                    gone: vec![route],
                    ..FetchedRound::default()
                };
                return self.out.send(round).await.is_ok();
            }
        }
        true
    }

    /// Sends a Fetch to every idle leader that has ready partitions; returns the earliest moment a
    /// backed-off partition becomes ready again.
    async fn issue(
        &mut self,
        in_flight: &mut JoinSet<InFlight>,
        busy: &mut HashMap<i32, usize>,
    ) -> Option<Instant> {
        let now = Instant::now();
        let mut recreated: Vec<TopicPartition> = Vec::new();
        for (key, pos) in self.positions.iter_mut().filter(|(_, p)| p.ready(now)) {
            match (pos.topic_id, self.client.topic_id(&key.topic)) {
                (None, id) => pos.topic_id = id,
                (Some(old), Some(new)) if old != new => recreated.push(key.clone()),
                _ => {}
            }
        }
        if !recreated.is_empty() {
            self.restart_recreated(recreated).await;
        }
        let restart: Vec<TopicPartition> = (self.positions.iter())
            .filter(|(_, p)| p.restart && !p.in_flight && p.retry_at.is_none_or(|t| t <= now))
            .map(|(k, _)| k.clone())
            .collect();
        if !restart.is_empty() {
            self.restart_at_earliest(restart).await;
        }
        let mut by_leader: BTreeMap<i32, Vec<TopicPartition>> = BTreeMap::new();
        let mut missing: Vec<String> = Vec::new();
        for (key, pos) in self.positions.iter_mut() {
            if !pos.ready(now) {
                continue;
            }
            let leader = self.client.leader(key);
            match leader {
                Some(l) if !busy.contains_key(&l) => {
                    by_leader.entry(l).or_default().push(key.clone())
                }
                Some(_) => {}
                None => {
                    missing.push(key.topic.clone());
                    pos.retry_at = Some(now + self.retry_backoff);
                }
            }
        }
        if !missing.is_empty() {
            missing.sort();
            missing.dedup();
            if let Err(e) = self.client.refresh_metadata(&missing).await {
                warn!(task = self.task, error = %e, "source metadata refresh failed");
            }
        }
        for (leader, mut keys) in by_leader {
            self.rotation = self.rotation.wrapping_add(1);
            rotate_by_topic(&mut keys, self.rotation);
            let mut parts: Vec<PartitionFetch> = Vec::with_capacity(keys.len());
            for k in &keys {
                if let Some(p) = self.positions.get_mut(k) {
                    p.in_flight = true;
                    parts.push(PartitionFetch {
                        topic: p.route.source_topic.clone(),
                        topic_id: p.topic_id.unwrap_or_default(),
                        partition: p.route.partition,
                        offset: p.next_offset,
                        max_bytes: p.max_bytes,
                    });
                }
            }
            let max_bytes = fetch_max_bytes(
                self.settings.max_bytes,
                self.bytes.limit(),
                self.bytes.held(),
                busy.values().sum(),
                min_fetch_bytes(self.settings.partition_max_bytes),
            );
            let req = request::build(&parts, &self.settings.limits()).with_max_bytes(max_bytes);
            busy.insert(leader, usize::try_from(max_bytes).unwrap_or(0));
            let pending = self.client.fetch(leader, req);
            in_flight.spawn(async move { (leader, keys, pending.await) });
        }
        self.positions
            .values()
            .filter(|p| !p.in_flight && !p.paused)
            .filter_map(|p| p.retry_at)
            .filter(|t| *t > now)
            .min()
    }

    /// Applies one response; returns false when the producer is gone and the task should stop.
    async fn handle(
        &mut self,
        keys: Vec<TopicPartition>,
        result: Result<(i16, FetchResponse), ProtocolError>,
    ) -> bool {
        for k in &keys {
            if let Some(p) = self.positions.get_mut(k) {
                p.in_flight = false;
            }
        }
        let response = match result {
            Ok((_, r)) => r,
            Err(e) => {
                self.refresh(keys.iter().map(|k| k.topic.clone()).collect())
                    .await;
                for k in &keys {
                    if let Some(p) = self.positions.get_mut(k) {
                        let delay = p.back_off(self.retry_backoff);
                        warn!(task = self.task, partition = %p.route, error = %e, retry_in = ?delay, "fetch failed");
                    }
                }
                return true;
            }
        };
        if response.throttle_time_ms > 0 {
            if let Some(leader) = keys.first().and_then(|k| self.leader_of(k)) {
                self.client.throttle(leader, response.throttle_time_ms);
            }
        }
        let mut round = FetchedRound::default();
        let mut out_of_range: Vec<TopicPartition> = Vec::new();
        let mut stale_topics: Vec<String> = Vec::new();
        // Fetch v13+ answers by topic id, older versions by name: the ids this request asked for.
        let names_by_id: HashMap<Uuid, &str> = keys
            .iter()
            .filter_map(|k| Some((self.positions.get(k)?.topic_id?, k.topic.as_str())))
            .collect();
        for topic in &response.responses {
            let name = if topic.topic.0.is_empty() {
                match names_by_id.get(&topic.topic_id) {
                    Some(name) => name.to_string(),
                    None => continue,
                }
            } else {
                topic.topic.0.to_string()
            };
            for data in &topic.partitions {
                let key = TopicPartition::new(name.clone(), data.partition_index);
                let Some(pos) = self.positions.get_mut(&key) else {
                    continue;
                };
                if pos.restart {
                    // Fetched from the old position before the restart was asked for.
                    continue;
                }
                match interpret(
                    &pos.route,
                    pos.next_offset,
                    data,
                    self.settings.read_committed,
                ) {
                    PartitionOutcome::Data {
                        chunk,
                        needed_max_bytes,
                        corrupt,
                    } => {
                        pos.failures = 0;
                        pos.retry_at = None;
                        pos.corrupt = None;
                        if let Some(e) = corrupt {
                            round.corrupt_fetches += 1;
                            warn!(partition = %pos.route, error = %e, "corrupt data from the source; forwarding what came before it, fetching it again");
                        }
                        match needed_max_bytes {
                            Some(n) => {
                                debug!(partition = %pos.route, bytes = n, "raising partition fetch size for a large batch");
                                pos.max_bytes = n.max(pos.max_bytes);
                            }
                            None => pos.max_bytes = self.settings.partition_max_bytes,
                        }
                        if let Some(chunk) = chunk {
                            pos.next_offset = chunk.next_offset;
                            round.chunks.push(chunk);
                        }
                    }
                    PartitionOutcome::OutOfRange => out_of_range.push(key),
                    PartitionOutcome::Retriable(e) => {
                        stale_topics.push(key.topic.clone());
                        let delay = pos.back_off(self.retry_backoff);
                        debug!(partition = %pos.route, error = ?e, retry_in = ?delay, "fetch: retriable partition error");
                    }
                    PartitionOutcome::Failed(e) => {
                        let delay = pos.back_off(self.retry_backoff);
                        error!(cluster = %self.client.cluster_name(), partition = %pos.route, error = ?e, retry_in = ?delay, "fetch refused by the source broker; this partition is not replicating");
                    }
                    PartitionOutcome::Corrupt(e) => {
                        round.corrupt_fetches += 1;
                        let times = match pos.corrupt {
                            Some((at, n)) if at == pos.next_offset => n + 1,
                            _ => 1,
                        };
                        pos.corrupt = Some((pos.next_offset, times));
                        if times >= CORRUPT_FETCHES_BEFORE_STOP {
                            pos.halted = true;
                            round.halted.push(pos.route.clone());
                            error!(partition = %pos.route, offset = pos.next_offset, fetches = times, error = %e, "the source holds a corrupt batch (the same one on every fetch); this partition stops here, everything before it is replicated; check the source log (kafka-dump-log --deep-iteration), then restart strait");
                        } else {
                            let delay = pos.back_off(self.retry_backoff);
                            warn!(partition = %pos.route, offset = pos.next_offset, error = %e, retry_in = ?delay, "corrupt data from the source; not forwarding it, fetching it again");
                        }
                    }
                }
            }
        }
        if !stale_topics.is_empty() {
            self.refresh(stale_topics).await;
        }
        if !out_of_range.is_empty() {
            self.reset_out_of_range(out_of_range).await;
        }
        if !round.chunks.is_empty() || round.corrupt_fetches > 0 {
            let bytes = round.chunks.iter().map(|c| c.bytes()).sum();
            self.bytes.handed_over(bytes);
            if self.out.send(round).await.is_err() {
                return false;
            }
        }
        true
    }

    /// Re-reads the leaders of `topics`: routing uses the cached snapshot, so after a leadership
    /// error it must be refreshed, not merely marked stale.
    async fn refresh(&self, mut topics: Vec<String>) {
        topics.sort();
        topics.dedup();
        if let Err(e) = self.client.refresh_metadata(&topics).await {
            warn!(task = self.task, error = %e, "source metadata refresh failed");
        }
    }

    fn leader_of(&self, key: &TopicPartition) -> Option<i32> {
        self.client.leader(key)
    }
}

mod moves;
#[cfg(test)]
mod tests;
