//! The producer loop against a scripted target on paused tokio time: a small model of a broker
//! (leaders, idempotent sequence checks, appends with offsets) plus injected error codes. Each test
//! asserts what users care about: every batch lands exactly once, in order per partition, and
//! progress is recorded only for what landed.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kafka_protocol::messages::produce_response::{PartitionProduceResponse, TopicProduceResponse};
use kafka_protocol::messages::{ProduceRequest, ProduceResponse, TopicName};
use kafka_protocol::protocol::StrBytes;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{AckReports, RemoteTopicWatch, TaskProducer};
use crate::fetch::budget::TaskBytes;
use crate::fetch::{Chunk, FetchControl, FetchedRound};
use crate::plan::Route;
use crate::produce::settings::ProduceSettings;
use crate::produce::target::{PendingProduce, ProduceTarget, ProgressLog, RemoteTopic};
use crate::protocol::{Backoff, ProtocolError, TopicPartition};
use crate::records::batch::{split_batches, Compression};
use crate::records::test_support::{build_batch, encode_block, hand_records, HandHeader};
use crate::records::Batch;

/// Base timestamp of the batch at source offset 0 (each batch's is `T0 + its offset`).
const T0: i64 = 1_700_000_000_000;

const UNKNOWN_TOPIC_OR_PARTITION: i16 = 3;
const NOT_LEADER: i16 = 6;
const TOPIC_AUTHORIZATION_FAILED: i16 = 29;
const OUT_OF_ORDER_SEQUENCE: i16 = 45;
const DUPLICATE_SEQUENCE: i16 = 46;
const UNKNOWN_PRODUCER_ID: i16 = 59;
/// Injected: the batch is appended but the answer to its request is lost (a transport error).
const LOST_ANSWER: i16 = -1;

/// A batch the model appended: which source batch (its base offset), under which producer id.
#[derive(Debug, Clone, PartialEq)]
struct Appended {
    source_offset: i64,
    records: i32,
    producer_id: i64,
    sequence: i32,
    leader: i32,
    at: Instant,
}

/// One partition of a batch sent, and what the model answered.
#[derive(Debug, Clone)]
struct Sent {
    tp: TopicPartition,
    source_offset: i64,
    code: i16,
}

/// The scripted target: a model broker per partition.
#[derive(Default)]
struct Model {
    /// Leaders the producer's cached metadata shows.
    cached_leaders: HashMap<TopicPartition, i32>,
    /// Where the partitions really are (a refresh copies these into the cache).
    leaders: HashMap<TopicPartition, i32>,
    /// Error codes to answer next, per partition, before the model's own checks.
    inject: HashMap<TopicPartition, VecDeque<i16>>,
    /// Error codes to answer next for one source batch (by its source offset).
    inject_at: HashMap<(TopicPartition, i64), VecDeque<i16>>,
    /// Next sequence expected per (partition, producer id).
    expected: HashMap<(TopicPartition, i64), i32>,
    log: HashMap<TopicPartition, Vec<Appended>>,
    sent: Vec<Sent>,
    refreshes: usize,
    producer_ids: Vec<i64>,
    /// Never answer Produce requests (the byte budget and grace tests).
    silent: bool,
    /// How long an answer takes.
    latency: Duration,
    /// What each topic really is (its id, or absent), and what the producer's cache shows (a
    /// refresh copies it).
    ids: HashMap<String, RemoteTopic>,
    cached_ids: HashMap<String, RemoteTopic>,
}

#[derive(Clone, Default)]
struct FakeTarget(Arc<Mutex<Model>>);

impl FakeTarget {
    fn model(&self) -> std::sync::MutexGuard<'_, Model> {
        self.0.lock().unwrap()
    }

    /// Every partition led by broker 1, in the cache and in truth.
    fn with_partitions(tps: &[TopicPartition]) -> Self {
        let t = FakeTarget::default();
        for tp in tps {
            t.model().leaders.insert(tp.clone(), 1);
            t.model().cached_leaders.insert(tp.clone(), 1);
        }
        t
    }

    /// The source offsets appended to `tp`, in log order.
    fn appended(&self, tp: &TopicPartition) -> Vec<i64> {
        self.model()
            .log
            .get(tp)
            .map(|l| l.iter().map(|a| a.source_offset).collect())
            .unwrap_or_default()
    }

    /// Answers one partition's batch as a broker would: an injected code first, then leadership,
    /// then the idempotent sequence check, then the append.
    fn answer(&self, leader: i32, tp: &TopicPartition, batch: &Batch) -> (i16, i64) {
        let mut m = self.model();
        let now = Instant::now();
        let h = &batch.header;
        let source_offset = h.base_timestamp - T0;
        let injected = m
            .inject_at
            .get_mut(&(tp.clone(), source_offset))
            .and_then(VecDeque::pop_front)
            .or_else(|| m.inject.get_mut(tp).and_then(VecDeque::pop_front));
        let lost = injected == Some(LOST_ANSWER);
        let code = if let Some(code) = injected.filter(|_| !lost) {
            code
        } else if m.ids.get(&tp.topic) == Some(&RemoteTopic::Absent) {
            UNKNOWN_TOPIC_OR_PARTITION
        } else if m.leaders.get(tp) != Some(&leader) {
            NOT_LEADER
        } else {
            let key = (tp.clone(), h.producer_id);
            let expected = m.expected.get(&key).copied().unwrap_or(0);
            if h.base_sequence < expected {
                DUPLICATE_SEQUENCE
            } else if h.base_sequence > expected {
                OUT_OF_ORDER_SEQUENCE
            } else {
                m.expected.insert(key, expected + h.records_count);
                0
            }
        };
        m.sent.push(Sent {
            tp: tp.clone(),
            source_offset: h.base_timestamp - T0,
            code,
        });
        if code != 0 {
            return (code, -1);
        }
        let code = if lost { LOST_ANSWER } else { 0 };
        let log = m.log.entry(tp.clone()).or_default();
        let base = log.len() as i64 * 100;
        log.push(Appended {
            source_offset,
            records: h.records_count,
            producer_id: h.producer_id,
            sequence: h.base_sequence,
            leader,
            at: now,
        });
        (code, base)
    }
}

impl ProduceTarget for FakeTarget {
    fn cluster_name(&self) -> &str {
        "target"
    }

    fn retry_backoff(&self) -> Duration {
        Duration::from_millis(100)
    }

    fn leader(&self, tp: &TopicPartition) -> Option<i32> {
        self.model().cached_leaders.get(tp).copied()
    }

    fn remote_topic(&self, topic: &str) -> RemoteTopic {
        (self.model().cached_ids.get(topic).copied()).unwrap_or(RemoteTopic::Unknown)
    }

    async fn refresh_metadata(&self, _topics: &[String]) -> Result<(), ProtocolError> {
        let mut m = self.model();
        m.refreshes += 1;
        m.cached_leaders = m.leaders.clone();
        m.cached_ids = m.ids.clone();
        Ok(())
    }

    async fn init_producer_id(&self, _timeout: Duration) -> Result<(i64, i16), ProtocolError> {
        let mut m = self.model();
        let id = 1000 + m.producer_ids.len() as i64;
        m.producer_ids.push(id);
        Ok((id, 0))
    }

    async fn send(
        &self,
        leader: i32,
        req: &ProduceRequest,
    ) -> Result<PendingProduce, ProtocolError> {
        let (silent, latency) = {
            let m = self.model();
            (m.silent, m.latency)
        };
        let mut topics = Vec::new();
        let mut lost = false;
        for t in &req.topic_data {
            let mut partitions = Vec::new();
            for p in &t.partition_data {
                let tp = TopicPartition::new(t.name.0.to_string(), p.index);
                let records = p.records.clone().unwrap_or_default();
                let batches = split_batches(&records).unwrap().batches;
                assert_eq!(batches.len(), 1, "one batch per partition per request");
                let (code, base) = if silent {
                    (0, 0)
                } else {
                    self.answer(leader, &tp, &batches[0])
                };
                lost |= code == LOST_ANSWER;
                partitions.push(
                    PartitionProduceResponse::default()
                        .with_index(p.index)
                        .with_error_code(code)
                        .with_base_offset(base),
                );
            }
            topics.push(
                TopicProduceResponse::default()
                    .with_name(TopicName(StrBytes::from_string(t.name.0.to_string())))
                    .with_partition_responses(partitions),
            );
        }
        let response = ProduceResponse::default().with_responses(topics);
        Ok(Box::pin(async move {
            if silent {
                std::future::pending::<()>().await;
            }
            tokio::time::sleep(latency).await;
            if lost {
                return Err(ProtocolError::Io {
                    cluster: "target".into(),
                    broker: leader.to_string(),
                    source: Arc::new(std::io::Error::from(std::io::ErrorKind::ConnectionReset)),
                });
            }
            Ok((9, response))
        }))
    }

    fn throttle(&self, _leader: i32, _ms: i32) {}
}

/// Progress as recorded: the last `next_offset` per source partition, and the offsets a test
/// lets it go back to (a partition copied again).
#[derive(Default)]
struct Progress(Mutex<HashMap<TopicPartition, i64>>, Mutex<Vec<i64>>);

impl ProgressLog for Progress {
    fn record(&self, route: &Route, next_offset: i64) {
        let mut marks = self.0.lock().unwrap();
        let tp = route.source();
        assert!(
            marks.get(&tp).is_none_or(|&m| m <= next_offset)
                || self.1.lock().unwrap().contains(&next_offset),
            "progress of {tp} went backwards"
        );
        marks.insert(tp, next_offset);
    }
}

impl Progress {
    fn of(&self, route: &Route) -> Option<i64> {
        self.0.lock().unwrap().get(&route.source()).copied()
    }
}

fn route(partition: i32) -> Arc<Route> {
    Arc::new(Route {
        source_topic: "orders".into(),
        remote_topic: "primary.orders".into(),
        partition,
    })
}

/// A round with one batch of three records at `offset` for `route`.
fn round(route: &Arc<Route>, offset: i64) -> FetchedRound {
    let records = hand_records([0, 1, 2]);
    let mut header = HandHeader::for_records(offset, &records);
    header.producer_id = 4242;
    header.base_sequence = offset as i32;
    // The rewrite zeroes the base offset (as Java's producer sends it) but keeps timestamps: the
    // model tells source batches apart by them.
    let span = header.max_timestamp - header.base_timestamp;
    header.base_timestamp = T0 + offset;
    header.max_timestamp = T0 + offset + span;
    let bytes = build_batch(header, Compression::None, &encode_block(&records));
    FetchedRound {
        chunks: vec![Chunk {
            route: route.clone(),
            batches: vec![Batch::from_bytes(bytes).unwrap()],
            next_offset: offset + 3,
            source_end: offset + 3,
        }],
        ..FetchedRound::default()
    }
}

/// A producer over `target` and what the test watches it through.
struct Harness {
    rounds: mpsc::Sender<FetchedRound>,
    control: mpsc::UnboundedReceiver<FetchControl>,
    progress: Arc<Progress>,
    held: Arc<TaskBytes>,
    shutdown: CancellationToken,
    run: tokio::task::JoinHandle<()>,
}

/// A producer forwarding every batch framed as it came (`strait.batch.join.enabled = false`): the
/// model tells batches apart by their source offset.
fn start(target: &FakeTarget, budget: usize) -> Harness {
    start_with(target, budget, false)
}

fn start_with(target: &FakeTarget, budget: usize, join_small_batches: bool) -> Harness {
    let (rounds_tx, rounds_rx) = mpsc::channel(16);
    let (control_tx, control_rx) = mpsc::unbounded_channel();
    let progress = Arc::new(Progress::default());
    let held = Arc::new(TaskBytes::new(budget));
    let settings = ProduceSettings {
        acks: -1,
        request_timeout: Duration::from_secs(30),
        max_request_size: 1 << 20,
        linger: Duration::ZERO,
        task_budget: budget,
        join_small_batches,
    };
    let producer = TaskProducer::new(
        0,
        target.clone(),
        settings,
        Backoff::new(Duration::from_millis(100), Duration::from_secs(1)),
        rounds_rx,
        control_tx,
        AckReports {
            progress: progress.clone(),
            syncs: None,
            metrics: None,
            held: held.clone(),
            watch: Arc::new(RemoteTopicWatch::default()),
        },
    );
    let shutdown = CancellationToken::new();
    let run = tokio::spawn(producer.run(shutdown.clone()));
    Harness {
        rounds: rounds_tx,
        control: control_rx,
        progress,
        held,
        shutdown,
        run,
    }
}

impl Harness {
    /// Sends `rounds`, closes the fetch side and waits for the producer to finish.
    async fn deliver(self, rounds: Vec<FetchedRound>) -> mpsc::UnboundedReceiver<FetchControl> {
        for r in rounds {
            self.rounds.send(r).await.unwrap();
        }
        drop(self.rounds);
        finish(self.run).await;
        self.control
    }
}

/// Waits for the producer to stop; a producer still running after ten minutes of (paused) time is
/// stuck, and the test fails instead of hanging.
async fn finish(run: tokio::task::JoinHandle<()>) {
    tokio::time::timeout(Duration::from_secs(600), run)
        .await
        .expect("the producer did not stop")
        .unwrap();
}

fn offsets(from: i64, n: i64) -> Vec<i64> {
    (0..n).map(|i| from + 3 * i).collect()
}

/// A leader that moved answers NOT_LEADER; the producer refreshes metadata and resends the same
/// batches (same sequences) to the new leader: each lands once, in order.
#[tokio::test(start_paused = true)]
async fn not_leader_refreshes_metadata_and_resends_to_the_new_leader() {
    let r = route(0);
    let target = FakeTarget::with_partitions(&[r.remote()]);
    target.model().leaders.insert(r.remote(), 2);
    let h = start(&target, 8 << 20);
    let progress = h.progress.clone();
    let want = offsets(0, 6);
    h.deliver(want.iter().map(|&o| round(&r, o)).collect())
        .await;

    assert_eq!(target.appended(&r.remote()), want);
    let m = target.model();
    assert!(m.refreshes >= 1, "metadata was refreshed");
    assert!(m.sent.iter().any(|s| s.code == NOT_LEADER));
    assert!(m.log[&r.remote()].iter().all(|a| a.leader == 2));
    assert_eq!(
        m.producer_ids.len(),
        1,
        "no new producer id for a leader move"
    );
    assert_eq!(progress.of(&r), Some(18));
}

/// With joining on, the small batches that wait while the target answers leave as one batch:
/// every record lands once, in order, with contiguous sequences, and progress reaches the end.
#[tokio::test(start_paused = true)]
async fn small_batches_waiting_for_the_target_are_joined_and_land_once() {
    let r = route(0);
    let target = FakeTarget::with_partitions(&[r.remote()]);
    target.model().latency = Duration::from_millis(50);
    let h = start_with(&target, 8 << 20, true);
    let progress = h.progress.clone();
    h.deliver(offsets(0, 40).iter().map(|&o| round(&r, o)).collect())
        .await;

    let m = target.model();
    let log = &m.log[&r.remote()];
    assert!(
        log.len() < 40,
        "{} appends for 40 source batches",
        log.len()
    );
    assert_eq!(log[0].source_offset, 0);
    let mut sequence = 0;
    for a in log {
        assert_eq!(a.sequence, sequence, "{log:?}");
        sequence += a.records;
    }
    assert_eq!(sequence, 120, "every record once");
    assert_eq!(progress.of(&r), Some(120));
}

/// OUT_OF_ORDER_SEQUENCE means the target lost track of this producer: the producer takes a new
/// producer id and re-sends only what was not acknowledged, restarting its sequences.
#[tokio::test(start_paused = true)]
async fn out_of_order_sequence_takes_a_new_producer_id_and_resends_only_unacknowledged() {
    let r = route(0);
    let target = FakeTarget::with_partitions(&[r.remote()]);
    let h = start(&target, 8 << 20);
    let progress = h.progress.clone();
    let want = offsets(0, 8);
    // The first three land one at a time; then the target answers OUT_OF_ORDER_SEQUENCE once.
    for &o in &want[..3] {
        h.rounds.send(round(&r, o)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    target
        .model()
        .inject
        .insert(r.remote(), VecDeque::from([OUT_OF_ORDER_SEQUENCE]));
    let control = h
        .deliver(want[3..].iter().map(|&o| round(&r, o)).collect())
        .await;

    assert_eq!(
        target.appended(&r.remote()),
        want,
        "each batch once, in order"
    );
    let m = target.model();
    assert_eq!(m.producer_ids, vec![1000, 1001]);
    let log = &m.log[&r.remote()];
    assert!(log[..3].iter().all(|a| a.producer_id == 1000));
    assert!(log[3..].iter().all(|a| a.producer_id == 1001));
    assert_eq!(log[3].sequence, 0, "a new producer id starts at sequence 0");
    assert_eq!(progress.of(&r), Some(24));
    drop(control);
}

/// The target lost this producer's state (UNKNOWN_PRODUCER_ID) while later batches were in
/// flight behind the failed one: those are answered OUT_OF_ORDER_SEQUENCE by the broker. After the
/// reset nothing acknowledged is sent again and everything else lands once.
#[tokio::test(start_paused = true)]
async fn producer_id_reset_never_resends_acknowledged_batches() {
    let (r0, r1) = (route(0), route(1));
    let target = FakeTarget::with_partitions(&[r0.remote(), r1.remote()]);
    target.model().latency = Duration::from_millis(50);
    let h = start(&target, 8 << 20);
    let progress = h.progress.clone();
    let want = offsets(0, 10);
    for &o in &want[..2] {
        h.rounds.send(round(&r0, o)).await.unwrap();
        h.rounds.send(round(&r1, o)).await.unwrap();
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(target.appended(&r0.remote()), want[..2]);
    target
        .model()
        .inject
        .insert(r0.remote(), VecDeque::from([UNKNOWN_PRODUCER_ID]));
    let mut rounds = Vec::new();
    for &o in &want[2..] {
        rounds.push(round(&r0, o));
        rounds.push(round(&r1, o));
    }
    h.deliver(rounds).await;

    for r in [&r0, &r1] {
        assert_eq!(
            target.appended(&r.remote()),
            want,
            "{r}: each batch once, in order"
        );
        assert_eq!(progress.of(r), Some(30));
    }
    let m = target.model();
    assert_eq!(m.producer_ids.len(), 2, "one reset");
    let again = m.sent.iter().find(|s| s.code == DUPLICATE_SEQUENCE);
    assert!(
        again.is_none(),
        "an acknowledged batch was sent again: {again:?}"
    );
    let acked_then_sent = m
        .sent
        .iter()
        .filter(|s| s.tp == r0.remote() && s.source_offset < 6 && s.code != 0)
        .count();
    assert_eq!(
        acked_then_sent, 0,
        "the two acknowledged batches were never re-sent"
    );
}

/// A batch whose answer was lost (appended, but the request failed) is unacknowledged while the
/// batch behind it is acknowledged. When the producer id is then reset, the acknowledged batch
/// stays acknowledged and is never sent again; the unacknowledged one is re-sent under the new id
/// (the broker cannot know it has it: the one duplicate an at-least-once producer allows).
#[tokio::test(start_paused = true)]
async fn producer_id_reset_keeps_acknowledged_batches_behind_an_unacknowledged_one() {
    let r = route(0);
    let target = FakeTarget::with_partitions(&[r.remote()]);
    target.model().latency = Duration::from_millis(50);
    target.model().inject_at.insert(
        (r.remote(), 3),
        VecDeque::from([LOST_ANSWER, UNKNOWN_PRODUCER_ID]),
    );
    let h = start(&target, 8 << 20);
    let want = offsets(0, 6);
    let control = h
        .deliver(want.iter().map(|&o| round(&r, o)).collect())
        .await;

    // 6..15 were acknowledged while 3 waited for its retry; 3 lands a second time at the end.
    assert_eq!(
        target.appended(&r.remote()),
        vec![0, 3, 6, 9, 12, 15, 3],
        "every batch once, and the one whose answer was lost again"
    );
    let m = target.model();
    assert_eq!(m.producer_ids.len(), 2, "one reset");
    for o in [6, 9, 12, 15] {
        let sends = m.sent.iter().filter(|s| s.source_offset == o).count();
        assert_eq!(sends, 1, "acknowledged batch {o} was sent once");
    }
    drop(control);
}

/// A refused partition (TOPIC_AUTHORIZATION_FAILED) is parked: its fetching is paused, it is
/// tried again after 30 s, and the first acknowledgement resumes it. The other partition keeps
/// flowing meanwhile. Nothing is skipped.
#[tokio::test(start_paused = true)]
async fn a_refused_partition_is_parked_retried_after_30_s_and_resumed() {
    let (refused, open) = (route(0), route(1));
    let target = FakeTarget::with_partitions(&[refused.remote(), open.remote()]);
    target.model().inject.insert(
        refused.remote(),
        VecDeque::from([TOPIC_AUTHORIZATION_FAILED]),
    );
    let h = start(&target, 8 << 20);
    let progress = h.progress.clone();
    let started = Instant::now();
    let want = offsets(0, 4);
    for &o in &want {
        h.rounds.send(round(&refused, o)).await.unwrap();
        h.rounds.send(round(&open, o)).await.unwrap();
    }
    // The fetch side stays open while the partition is parked (closing it means shutdown).
    tokio::time::sleep(Duration::from_secs(40)).await;
    let mut control = h.deliver(Vec::new()).await;

    assert_eq!(target.appended(&refused.remote()), want);
    assert_eq!(target.appended(&open.remote()), want);
    let m = target.model();
    let first_land = m.log[&refused.remote()][0].at;
    assert!(
        first_land - started >= Duration::from_secs(30),
        "retried after {:?}",
        first_land - started
    );
    let open_done = m.log[&open.remote()].last().unwrap().at;
    assert!(
        open_done - started < Duration::from_secs(1),
        "the other partition was not held up ({:?})",
        open_done - started
    );
    let mut seen = Vec::new();
    while let Ok(c) = control.try_recv() {
        seen.push(match c {
            FetchControl::Pause(r) => format!("pause {r}"),
            FetchControl::Resume(r) => format!("resume {r}"),
            FetchControl::Add(_) => "add".into(),
            FetchControl::Gone(r) => format!("gone {r}"),
            FetchControl::Back(r) => format!("back {r}"),
            FetchControl::Restart(t) => format!("restart {t}"),
        });
    }
    assert_eq!(
        seen,
        vec![format!("pause {refused}"), format!("resume {refused}")]
    );
    assert_eq!(progress.of(&refused), Some(12));
}

/// The producer takes no more fetched rounds while what it could send holds the task's budget:
/// with a target that never answers, one round is taken and the rest wait in the channel.
#[tokio::test(start_paused = true)]
async fn the_byte_budget_stops_taking_rounds() {
    let r = route(0);
    let target = FakeTarget::with_partitions(&[r.remote()]);
    target.model().silent = true;
    let one_batch = round(&r, 0).chunks[0].bytes();
    let h = start(&target, one_batch);
    for o in offsets(0, 4) {
        h.rounds.send(round(&r, o)).await.unwrap();
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(h.rounds.capacity(), 16 - 3, "three rounds left unread");
    assert_eq!(h.held.held(), one_batch, "the task holds one round");
    assert_eq!(
        target.model().sent.len(),
        0,
        "a silent target records nothing"
    );
    assert_eq!(h.progress.of(&r), None, "nothing acknowledged, no progress");
    h.shutdown.cancel();
    finish(h.run).await;
}

/// After a shutdown signal, what was fetched still lands when the target answers within the
/// grace period; progress covers all of it.
#[tokio::test(start_paused = true)]
async fn shutdown_lets_queued_data_land_within_the_grace_period() {
    let r = route(0);
    let target = FakeTarget::with_partitions(&[r.remote()]);
    target.model().latency = Duration::from_secs(2);
    let h = start(&target, 8 << 20);
    let want = offsets(0, 6);
    for &o in &want {
        h.rounds.send(round(&r, o)).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(10)).await;
    // Shutdown as the flow does it: the signal, and the fetch side closing.
    h.shutdown.cancel();
    drop(h.rounds);
    let stopped = Instant::now();
    finish(h.run).await;
    assert_eq!(target.appended(&r.remote()), want);
    assert_eq!(h.progress.of(&r), Some(18));
    assert!(Instant::now() - stopped < Duration::from_secs(30));
}

/// A target that never answers does not hold shutdown longer than the grace period (30 s), and
/// nothing unacknowledged is recorded as progress.
#[tokio::test(start_paused = true)]
async fn shutdown_gives_up_after_the_grace_period() {
    let r = route(0);
    let target = FakeTarget::with_partitions(&[r.remote()]);
    target.model().silent = true;
    let h = start(&target, 8 << 20);
    h.rounds.send(round(&r, 0)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(10)).await;
    let stopped = Instant::now();
    h.shutdown.cancel();
    drop(h.rounds);
    finish(h.run).await;
    let waited = Instant::now() - stopped;
    assert!(
        waited >= Duration::from_secs(30) && waited < Duration::from_secs(31),
        "waited {waited:?}"
    );
    assert_eq!(h.progress.of(&r), None);
}

/// The remote topic deleted on the target mid-copy: the producer stops writing to it, asks for a
/// topic discovery (which creates it again), drops what it held for it, has the fetcher start the
/// partition again from the source's start, drops chunks still fetched from the old position, and
/// the new remote topic gets every record once, in order; progress goes back to the start first.
#[tokio::test(start_paused = true)]
async fn a_deleted_remote_topic_is_copied_again_from_the_source_start() {
    let r = route(0);
    let topic = r.remote_topic.clone();
    let target = FakeTarget::with_partitions(&[r.remote()]);
    let (old, new) = (uuid::Uuid::from_u128(1), uuid::Uuid::from_u128(2));
    target
        .model()
        .ids
        .insert(topic.clone(), RemoteTopic::Id(old));
    target
        .model()
        .cached_ids
        .insert(topic.clone(), RemoteTopic::Id(old));
    let progress = Arc::new(Progress::default());
    progress.1.lock().unwrap().push(0);
    let (rounds_tx, mut control, watch, run) = start_watched(&target, &progress);
    for o in [0, 3] {
        rounds_tx.send(round(&r, o)).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(target.appended(&r.remote()), vec![0, 3]);

    // An operator deletes the remote topic: its records are gone.
    {
        let mut m = target.model();
        m.ids.insert(topic.clone(), RemoteTopic::Absent);
        m.log.clear();
        m.expected.clear();
    }
    rounds_tx.send(round(&r, 6)).await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), watch.rediscover_asked())
        .await
        .expect("a topic discovery was asked for");
    // Fetched from the old position before the restart: never written.
    rounds_tx.send(round(&r, 9)).await.unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        control.try_recv().is_err(),
        "no restart before the topic exists again"
    );
    assert!(target.appended(&r.remote()).is_empty());

    // Discovery creates it again (a new id); the producer restarts the partition.
    target
        .model()
        .ids
        .insert(topic.clone(), RemoteTopic::Id(new));
    let restart = tokio::time::timeout(Duration::from_secs(5), control.recv())
        .await
        .expect("the fetcher was told to restart");
    assert!(matches!(restart, Some(FetchControl::Restart(t)) if t == topic));
    // The fetcher: a chunk fetched before the barrier (dropped), the barrier, the new start, and
    // the partition from there.
    rounds_tx.send(round(&r, 12)).await.unwrap();
    rounds_tx
        .send(FetchedRound {
            restarting: vec![topic.clone()],
            ..FetchedRound::default()
        })
        .await
        .unwrap();
    rounds_tx
        .send(FetchedRound {
            restarted: vec![(r.clone(), 0)],
            ..FetchedRound::default()
        })
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(progress.of(&r), Some(0), "progress went back to the start");
    for o in offsets(0, 5) {
        rounds_tx.send(round(&r, o)).await.unwrap();
    }
    drop(rounds_tx);
    finish(run).await;
    assert_eq!(target.appended(&r.remote()), offsets(0, 5));
    assert_eq!(progress.of(&r), Some(15));
}

/// A producer over `target` that the test feeds as its fetcher would, watching what it asks for.
fn start_watched(
    target: &FakeTarget,
    progress: &Arc<Progress>,
) -> (
    mpsc::Sender<FetchedRound>,
    mpsc::UnboundedReceiver<FetchControl>,
    Arc<RemoteTopicWatch>,
    tokio::task::JoinHandle<()>,
) {
    let (rounds_tx, rounds_rx) = mpsc::channel(16);
    let (control_tx, control) = mpsc::unbounded_channel();
    let watch = Arc::new(RemoteTopicWatch::default());
    let producer = TaskProducer::new(
        0,
        target.clone(),
        ProduceSettings {
            acks: -1,
            request_timeout: Duration::from_secs(30),
            max_request_size: 1 << 20,
            linger: Duration::ZERO,
            task_budget: 8 << 20,
            join_small_batches: false,
        },
        Backoff::new(Duration::from_millis(100), Duration::from_secs(1)),
        rounds_rx,
        control_tx,
        AckReports {
            progress: progress.clone(),
            syncs: None,
            metrics: None,
            held: Arc::new(TaskBytes::new(8 << 20)),
            watch: watch.clone(),
        },
    );
    let run = tokio::spawn(producer.run(CancellationToken::new()));
    (rounds_tx, control, watch, run)
}

/// A broker whose metadata lags says a remote topic just created does not exist: the producer
/// holds that topic's writes while it checks again, finds the same topic id, and writes on:
/// nothing dropped, nothing restarted, every batch once and in order.
#[tokio::test(start_paused = true)]
async fn a_remote_topic_missing_from_one_metadata_answer_is_not_taken_for_deleted() {
    let r = route(0);
    let topic = r.remote_topic.clone();
    let target = FakeTarget::with_partitions(&[r.remote()]);
    let id = uuid::Uuid::from_u128(7);
    target
        .model()
        .ids
        .insert(topic.clone(), RemoteTopic::Id(id));
    target
        .model()
        .cached_ids
        .insert(topic.clone(), RemoteTopic::Id(id));
    let progress = Arc::new(Progress::default());
    let (rounds_tx, mut control, _watch, run) = start_watched(&target, &progress);
    rounds_tx.send(round(&r, 0)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    // One answer from a lagging broker: the partition is unknown, and so is the topic.
    {
        let mut m = target.model();
        m.inject
            .entry(r.remote())
            .or_default()
            .push_back(UNKNOWN_TOPIC_OR_PARTITION);
        m.ids.insert(topic.clone(), RemoteTopic::Absent);
    }
    rounds_tx.send(round(&r, 3)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    target
        .model()
        .ids
        .insert(topic.clone(), RemoteTopic::Id(id));
    for o in offsets(6, 4) {
        rounds_tx.send(round(&r, o)).await.unwrap();
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    drop(rounds_tx);
    finish(run).await;
    assert_eq!(target.appended(&r.remote()), offsets(0, 6));
    assert!(control.try_recv().is_err(), "nothing restarted");
    assert_eq!(progress.of(&r), Some(18));
}
