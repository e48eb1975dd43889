//! The fetch loop against a scripted source on paused tokio time: a small model of a source
//! broker (leaders, a log per partition with a start that retention moves, `max_bytes` honoured
//! with at least one batch) plus injected errors. The tests assert what users care about: every
//! batch is handed on once, in order per partition, and a gap is only skipped where the source
//! deleted the data.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::fetch_response::{FetchableTopicResponse, PartitionData};
use kafka_protocol::messages::{FetchRequest, FetchResponse, TopicName};
use kafka_protocol::protocol::StrBytes;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::*;
use crate::fetch::settings::StartAt;
use crate::fetch::source::PendingFetch;
use crate::fetch::ResetReason;
use crate::protocol::admin::OffsetSpec;
use crate::records::batch::Compression;
use crate::records::test_support::{build_batch, encode_block, hand_records, HandHeader};

const NOT_LEADER: i16 = 6;
const OFFSET_OUT_OF_RANGE: i16 = 1;
const TOPIC_AUTHORIZATION_FAILED: i16 = 29;
const UNKNOWN_TOPIC_ID: i16 = 100;

/// One partition's log: batches of three records from `start`.
#[derive(Default)]
struct Log {
    batches: Vec<(i64, Bytes)>,
    start: i64,
}

impl Log {
    fn end(&self) -> i64 {
        self.batches.last().map_or(self.start, |(o, _)| o + 3)
    }
}

/// One Fetch as the model saw it.
#[derive(Debug, Clone)]
struct Seen {
    leader: i32,
    max_bytes: i32,
    offsets: Vec<(TopicPartition, i64)>,
}

#[derive(Default)]
struct Model {
    logs: HashMap<TopicPartition, Log>,
    cached_leaders: HashMap<TopicPartition, i32>,
    leaders: HashMap<TopicPartition, i32>,
    inject: HashMap<TopicPartition, VecDeque<i16>>,
    /// Fail this many Fetch requests with a transport error.
    transport_failures: usize,
    fetches: Vec<Seen>,
    refreshes: usize,
    /// Topic ids, when the model plays a broker that has them (Fetch v13: answers by id).
    ids: HashMap<String, Uuid>,
    cached_ids: HashMap<String, Uuid>,
    /// Batches (partition, base offset) served with a flipped byte, this many more times (u32::MAX:
    /// corrupt in the log itself).
    corrupt: HashMap<(TopicPartition, i64), u32>,
}

#[derive(Clone, Default)]
struct FakeSource(Arc<Mutex<Model>>);

impl FakeSource {
    fn model(&self) -> std::sync::MutexGuard<'_, Model> {
        self.0.lock().unwrap()
    }

    /// Partitions led by broker 1, each with `batches` batches from offset 0.
    fn with_logs(tps: &[TopicPartition], batches: i64) -> Self {
        let s = FakeSource::default();
        for tp in tps {
            let mut m = s.model();
            m.leaders.insert(tp.clone(), 1);
            m.cached_leaders.insert(tp.clone(), 1);
            m.logs.insert(tp.clone(), Log::default());
            drop(m);
            s.append(tp, batches);
        }
        s
    }

    fn append(&self, tp: &TopicPartition, batches: i64) {
        let mut m = self.model();
        let log = m.logs.get_mut(tp).unwrap();
        for _ in 0..batches {
            let offset = log.end();
            let records = hand_records([0, 1, 2]);
            let bytes = build_batch(
                HandHeader::for_records(offset, &records),
                Compression::None,
                &encode_block(&records),
            );
            log.batches.push((offset, bytes));
        }
    }

    /// The topic of `tp` gets an id (the broker speaks Fetch v13, and metadata knows it).
    fn with_id(self, topic: &str, id: u128) -> Self {
        let mut m = self.model();
        m.ids.insert(topic.into(), Uuid::from_u128(id));
        m.cached_ids = m.ids.clone();
        drop(m);
        self
    }

    /// The topic of `tp` is deleted and created again: a new id, an empty log from offset 0.
    fn recreate(&self, tp: &TopicPartition, id: u128) {
        let mut m = self.model();
        m.ids.insert(tp.topic.clone(), Uuid::from_u128(id));
        m.logs.insert(tp.clone(), Log::default());
    }

    /// Retention deletes everything before `offset`.
    fn delete_before(&self, tp: &TopicPartition, offset: i64) {
        let mut m = self.model();
        let log = m.logs.get_mut(tp).unwrap();
        log.batches.retain(|(o, _)| *o >= offset);
        log.start = offset;
    }

    fn answer(&self, leader: i32, req: &FetchRequest) -> (FetchResponse, bool) {
        let mut m = self.model();
        let mut seen = Seen {
            leader,
            max_bytes: req.max_bytes,
            offsets: Vec::new(),
        };
        let mut any_data = false;
        let mut budget = usize::try_from(req.max_bytes).unwrap_or(0);
        let mut topics = Vec::new();
        for t in &req.topics {
            let mut partitions = Vec::new();
            // By id (v13) when the request has one: a stale id is refused.
            let by_id = !t.topic_id.is_nil();
            let stale = by_id && m.ids.get(t.topic.0.as_str()) != Some(&t.topic_id);
            for p in &t.partitions {
                let tp = TopicPartition::new(t.topic.0.to_string(), p.partition);
                seen.offsets.push((tp.clone(), p.fetch_offset));
                let mut data = PartitionData::default().with_partition_index(p.partition);
                let injected = m.inject.get_mut(&tp).and_then(VecDeque::pop_front);
                let log = &m.logs[&tp];
                let code = if let Some(code) = injected {
                    code
                } else if stale {
                    UNKNOWN_TOPIC_ID
                } else if m.leaders.get(&tp) != Some(&leader) {
                    NOT_LEADER
                } else if p.fetch_offset < log.start || p.fetch_offset > log.end() {
                    OFFSET_OUT_OF_RANGE
                } else {
                    0
                };
                data = data
                    .with_error_code(code)
                    .with_high_watermark(log.end())
                    .with_log_start_offset(log.start);
                if code == 0 {
                    let mut out = BytesMut::new();
                    let limit = usize::try_from(p.partition_max_bytes).unwrap_or(0);
                    let mut served: Vec<(i64, usize)> = Vec::new();
                    for (o, b) in &log.batches {
                        let fits = out.len() + b.len() <= limit.min(budget);
                        if *o + 3 > p.fetch_offset && (out.is_empty() || fits) {
                            out.extend_from_slice(b);
                            served.push((*o, out.len() - 1));
                        }
                    }
                    for (o, last) in served {
                        if let Some(n) = m.corrupt.get_mut(&(tp.clone(), o)) {
                            if *n > 0 {
                                *n = n.saturating_sub(u32::from(*n != u32::MAX));
                                out[last] ^= 0x40;
                            }
                        }
                    }
                    budget = budget.saturating_sub(out.len());
                    any_data |= !out.is_empty();
                    data = data.with_records(Some(out.freeze()));
                }
                partitions.push(data);
            }
            let name = if by_id {
                String::new()
            } else {
                t.topic.0.to_string()
            };
            topics.push(
                FetchableTopicResponse::default()
                    .with_topic(TopicName(StrBytes::from_string(name)))
                    .with_topic_id(t.topic_id)
                    .with_partitions(partitions),
            );
        }
        m.fetches.push(seen);
        (FetchResponse::default().with_responses(topics), any_data)
    }
}

impl FetchSource for FakeSource {
    fn cluster_name(&self) -> &str {
        "source"
    }

    fn leader(&self, tp: &TopicPartition) -> Option<i32> {
        self.model().cached_leaders.get(tp).copied()
    }

    fn topic_id(&self, topic: &str) -> Option<Uuid> {
        self.model().cached_ids.get(topic).copied()
    }

    async fn refresh_metadata(&self, _topics: &[String]) -> Result<(), ProtocolError> {
        let mut m = self.model();
        m.refreshes += 1;
        m.cached_leaders = m.leaders.clone();
        m.cached_ids = m.ids.clone();
        Ok(())
    }

    fn fetch(&self, leader: i32, req: FetchRequest) -> PendingFetch {
        let source = self.clone();
        Box::pin(async move {
            let fail = {
                let mut m = source.model();
                let fail = m.transport_failures > 0;
                m.transport_failures = m.transport_failures.saturating_sub(1);
                fail
            };
            if fail {
                return Err(ProtocolError::Io {
                    cluster: "source".into(),
                    broker: leader.to_string(),
                    source: Arc::new(std::io::Error::from(std::io::ErrorKind::ConnectionReset)),
                });
            }
            let (response, any_data) = source.answer(leader, &req);
            if !any_data {
                // A broker holds an empty answer for max_wait_ms.
                tokio::time::sleep(Duration::from_millis(
                    u64::try_from(req.max_wait_ms).unwrap_or(0),
                ))
                .await;
            }
            Ok((12, response))
        })
    }

    async fn list_offsets(
        &self,
        partitions: &[TopicPartition],
        spec: OffsetSpec,
    ) -> HashMap<TopicPartition, Result<i64, ProtocolError>> {
        let m = self.model();
        partitions
            .iter()
            .map(|tp| {
                let log = &m.logs[tp];
                let offset = match spec {
                    OffsetSpec::Earliest => log.start,
                    OffsetSpec::Latest => log.end(),
                };
                (tp.clone(), Ok(offset))
            })
            .collect()
    }

    fn throttle(&self, _leader: i32, _ms: i32) {}
}

fn route(partition: i32) -> Arc<Route> {
    Arc::new(Route {
        source_topic: "orders".into(),
        remote_topic: "primary.orders".into(),
        partition,
    })
}

fn settings() -> FetchSettings {
    FetchSettings {
        max_wait_ms: 500,
        min_bytes: 1,
        max_bytes: 52_428_800,
        partition_max_bytes: 1_048_576,
        read_committed: false,
        start_at: StartAt::Earliest,
        request_timeout: Duration::from_secs(30),
    }
}

/// A fetcher over `source` and what the test watches it through.
struct Harness {
    control: mpsc::UnboundedSender<FetchControl>,
    rounds: mpsc::Receiver<FetchedRound>,
    held: Arc<TaskBytes>,
    shutdown: CancellationToken,
    run: tokio::task::JoinHandle<()>,
    /// Every position reset the fetcher reported, in order.
    resets: Vec<ResetReason>,
    /// Corrupt answers and stopped partitions the fetcher reported.
    corrupt_fetches: u32,
    halted: Vec<TopicPartition>,
    /// Restart barriers (remote topics) and restarted partitions with their new start, in order.
    restarts: Vec<String>,
}

fn start(source: &FakeSource, settings: FetchSettings, budget: usize) -> Harness {
    let (control_tx, control_rx) = mpsc::unbounded_channel();
    let (rounds_tx, rounds_rx) = mpsc::channel(1024);
    let held = Arc::new(TaskBytes::new(budget));
    let fetcher = Fetcher::new(
        0,
        source.clone(),
        settings,
        Duration::from_millis(100),
        control_rx,
        rounds_tx,
        held.clone(),
    );
    let shutdown = CancellationToken::new();
    let run = tokio::spawn(fetcher.run(shutdown.clone()));
    Harness {
        control: control_tx,
        rounds: rounds_rx,
        held,
        shutdown,
        run,
        resets: Vec::new(),
        corrupt_fetches: 0,
        halted: Vec::new(),
        restarts: Vec::new(),
    }
}

impl Harness {
    fn add(&self, routes: &[&Arc<Route>], offset: i64) {
        let parts = routes.iter().map(|r| ((*r).clone(), offset)).collect();
        self.control.send(FetchControl::Add(parts)).unwrap();
    }

    /// Lets the fetcher run for `time` (paused clock), taking every round it hands over as a
    /// producer would (the bytes leave the budget at once); returns the base offsets handed over
    /// per partition, and the last `next_offset` per partition.
    async fn collect(&mut self, time: Duration) -> HashMap<TopicPartition, (Vec<i64>, i64)> {
        let mut out: HashMap<TopicPartition, (Vec<i64>, i64)> = HashMap::new();
        let until = Instant::now() + time;
        loop {
            tokio::select! {
                round = self.rounds.recv() => {
                    let Some(round) = round else { break };
                    self.resets.extend(round.resets.iter().map(|r| r.reason));
                    self.corrupt_fetches += round.corrupt_fetches;
                    self.halted.extend(round.halted.iter().map(|r| r.source()));
                    self.restarts.extend(round.restarting.iter().map(|t| format!("barrier {t}")));
                    self.restarts.extend(round.restarted.iter().map(|(r, o)| format!("{r} from {o}")));
                    for c in round.chunks {
                        self.held.taken(c.bytes());
                        let e = out.entry(c.route.source()).or_default();
                        e.0.extend(c.batches.iter().map(|b| b.header.base_offset));
                        e.1 = c.next_offset;
                    }
                }
                _ = tokio::time::sleep_until(until) => break,
            }
        }
        out
    }

    async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(60), self.run)
            .await
            .expect("the fetcher did not stop")
            .unwrap();
    }
}

fn offsets(from: i64, to: i64) -> Vec<i64> {
    (from..to).step_by(3).collect()
}

/// A leader that moved answers NOT_LEADER: the fetcher refreshes metadata and fetches from the new
/// leader, from the same offset; every batch is handed on once, in order.
#[tokio::test(start_paused = true)]
async fn not_leader_refreshes_metadata_and_fetches_from_the_new_leader() {
    let r = route(0);
    let source = FakeSource::with_logs(&[r.source()], 10);
    source.model().leaders.insert(r.source(), 2);
    let mut h = start(&source, settings(), 8 << 20);
    h.add(&[&r], 0);
    let got = h.collect(Duration::from_secs(10)).await;
    assert_eq!(got[&r.source()], (offsets(0, 30), 30));
    {
        let m = source.model();
        assert!(m.refreshes >= 1);
        assert!(
            m.fetches.iter().any(|f| f.leader == 1),
            "the old leader was asked first"
        );
        assert!(m.fetches.last().is_some_and(|f| f.leader == 2));
    }
    h.stop().await;
}

/// Retention deleted records before they were copied: the fetch offset is out of range, below the
/// log start. The fetcher resumes at the log start (reporting the gap) and hands on everything
/// from there, nothing twice.
#[tokio::test(start_paused = true)]
async fn retention_overtaking_the_copy_resumes_at_the_log_start() {
    let r = route(0);
    let source = FakeSource::with_logs(&[r.source()], 10);
    source.delete_before(&r.source(), 12);
    let mut h = start(&source, settings(), 8 << 20);
    h.add(&[&r], 3);
    let got = h.collect(Duration::from_secs(10)).await;
    assert_eq!(got[&r.source()], (offsets(12, 30), 30));
    h.stop().await;
}

/// The source log is shorter than what was already copied (the topic was recreated): the fetcher
/// restarts per `auto.offset.reset` (`earliest` here) instead of waiting forever.
#[tokio::test(start_paused = true)]
async fn a_log_shorter_than_the_position_restarts_per_auto_offset_reset() {
    let r = route(0);
    let source = FakeSource::with_logs(&[r.source()], 2);
    let mut h = start(&source, settings(), 8 << 20);
    h.add(&[&r], 90);
    let got = h.collect(Duration::from_secs(10)).await;
    assert_eq!(got[&r.source()], (offsets(0, 6), 6));
    h.stop().await;
}

/// A paused partition (its target refuses data) is not fetched; the others are. Once resumed it
/// continues where it stopped.
#[tokio::test(start_paused = true)]
async fn a_paused_partition_is_not_fetched_until_resumed() {
    let (a, b) = (route(0), route(1));
    let source = FakeSource::with_logs(&[a.source(), b.source()], 4);
    let mut h = start(&source, settings(), 8 << 20);
    h.add(&[&a, &b], 0);
    let first = h.collect(Duration::from_secs(2)).await;
    assert_eq!(first[&a.source()], (offsets(0, 12), 12));
    h.control.send(FetchControl::Pause(a.clone())).unwrap();
    tokio::time::sleep(Duration::from_millis(10)).await;
    source.append(&a.source(), 2);
    source.append(&b.source(), 2);
    let paused = h.collect(Duration::from_secs(5)).await;
    assert!(
        !paused.contains_key(&a.source()),
        "a paused partition was fetched"
    );
    assert_eq!(paused[&b.source()], (offsets(12, 18), 18));
    h.control.send(FetchControl::Resume(a.clone())).unwrap();
    let resumed = h.collect(Duration::from_secs(5)).await;
    assert_eq!(resumed[&a.source()], (offsets(12, 18), 18));
    h.stop().await;
}

/// A partition whose source topic is gone is not fetched (no metadata asked for it either) and
/// the producer is told, so that its metric series go; listed again, it continues where it stood.
#[tokio::test(start_paused = true)]
async fn a_gone_partition_is_reported_and_not_fetched_until_back() {
    let (a, b) = (route(0), route(1));
    let source = FakeSource::with_logs(&[a.source(), b.source()], 2);
    let mut h = start(&source, settings(), 8 << 20);
    h.add(&[&a, &b], 0);
    let first = h.collect(Duration::from_secs(2)).await;
    assert_eq!(first[&a.source()], (offsets(0, 6), 6));
    h.control.send(FetchControl::Gone(a.clone())).unwrap();
    let told = tokio::time::timeout(Duration::from_secs(5), h.rounds.recv())
        .await
        .expect("the producer is told")
        .unwrap();
    assert_eq!(told.gone, vec![a.clone()]);
    assert!(told.chunks.is_empty());
    source.append(&a.source(), 2);
    source.append(&b.source(), 2);
    let refreshes = source.model().refreshes;
    let while_gone = h.collect(Duration::from_secs(5)).await;
    assert!(
        !while_gone.contains_key(&a.source()),
        "a gone partition was fetched"
    );
    assert_eq!(while_gone[&b.source()], (offsets(6, 12), 12));
    assert_eq!(
        source.model().refreshes,
        refreshes,
        "metadata asked for a gone topic"
    );
    h.control.send(FetchControl::Back(a.clone())).unwrap();
    let back = h.collect(Duration::from_secs(5)).await;
    assert_eq!(back[&a.source()], (offsets(6, 12), 12));
    h.stop().await;
}

/// A source topic deleted and created again while strait fetches it, and grown past the old
/// position: by id (Fetch v13) the broker refuses the old topic, metadata names a new id, and the
/// partition starts the new topic from its start (`auto.offset.reset = earliest`), reported as a
/// reset, instead of reading on from the old position and skipping the new topic's first records.
#[tokio::test(start_paused = true)]
async fn a_recreated_source_topic_is_replicated_from_its_start_and_reported() {
    let r = route(0);
    let source = FakeSource::with_logs(&[r.source()], 2).with_id("orders", 1);
    let mut h = start(&source, settings(), 8 << 20);
    h.add(&[&r], 0);
    let first = h.collect(Duration::from_secs(2)).await;
    assert_eq!(first[&r.source()], (offsets(0, 6), 6));
    source.recreate(&r.source(), 2);
    source.append(&r.source(), 4);
    let after = h.collect(Duration::from_secs(5)).await;
    assert_eq!(
        after[&r.source()],
        (offsets(0, 12), 12),
        "the new topic, whole"
    );
    assert_eq!(h.resets, vec![ResetReason::Recreated]);
    // Read on by the new id: more records of the new topic follow, nothing reset again.
    source.append(&r.source(), 1);
    let more = h.collect(Duration::from_secs(2)).await;
    assert_eq!(more[&r.source()], (offsets(12, 15), 15));
    assert_eq!(h.resets.len(), 1);
    h.stop().await;
}

/// A batch corrupted on the way (twice) is fetched again and delivered once, in order; one corrupt
/// in the source log stops its partition after five fetches, with what came before it delivered,
/// while the other partition keeps flowing.
#[tokio::test(start_paused = true)]
async fn a_corrupt_batch_is_fetched_again_and_a_persistent_one_stops_its_partition() {
    let (a, b) = (route(0), route(1));
    let source = FakeSource::with_logs(&[a.source(), b.source()], 4);
    source.model().corrupt.insert((a.source(), 3), 2);
    source.model().corrupt.insert((b.source(), 6), u32::MAX);
    let mut h = start(&source, settings(), 8 << 20);
    h.add(&[&a, &b], 0);
    let got = h.collect(Duration::from_secs(60)).await;
    assert_eq!(
        got[&a.source()],
        (offsets(0, 12), 12),
        "a: every batch, once"
    );
    assert_eq!(
        got[&b.source()],
        (offsets(0, 6), 6),
        "b: up to the corrupt batch"
    );
    assert_eq!(h.halted, vec![b.source()]);
    // a: the answer at 0 (cut before the bad batch), one at 3; b: the one at 0, five at 6.
    assert_eq!(h.corrupt_fetches, 2 + 6);
    source.append(&a.source(), 1);
    let more = h.collect(Duration::from_secs(5)).await;
    assert_eq!(more[&a.source()], (offsets(12, 15), 15));
    assert!(
        !more.contains_key(&b.source()),
        "a stopped partition is not fetched"
    );
    h.stop().await;
}

/// Retention overtaking the copy is reported as a reset that lost records (the metric counts them).
#[tokio::test(start_paused = true)]
async fn retention_overtaking_the_copy_is_reported_with_what_was_lost() {
    let r = route(0);
    let source = FakeSource::with_logs(&[r.source()], 4);
    source.delete_before(&r.source(), 6);
    let mut h = start(&source, settings(), 8 << 20);
    h.add(&[&r], 0);
    let got = h.collect(Duration::from_secs(3)).await;
    assert_eq!(got[&r.source()], (offsets(6, 12), 12));
    assert_eq!(h.resets, vec![ResetReason::Retention]);
    h.stop().await;
}

/// Transport failures and a refused partition are retried with backoff, never skipped: once the
/// source answers, every batch is handed on, in order.
#[tokio::test(start_paused = true)]
async fn failures_are_retried_with_backoff_and_nothing_is_skipped() {
    let r = route(0);
    let source = FakeSource::with_logs(&[r.source()], 5);
    source.model().transport_failures = 3;
    source
        .model()
        .inject
        .insert(r.source(), VecDeque::from([TOPIC_AUTHORIZATION_FAILED; 2]));
    let mut h = start(&source, settings(), 8 << 20);
    h.add(&[&r], 0);
    let got = h.collect(Duration::from_secs(60)).await;
    assert_eq!(got[&r.source()], (offsets(0, 15), 15));
    h.stop().await;
}

/// A Fetch asks for what is left of the task's budget: while rounds sit unacknowledged, the next
/// Fetch shrinks to the floor (`max.partition.fetch.bytes`); it never asks for more than
/// `fetch.max.bytes`.
#[tokio::test(start_paused = true)]
async fn fetches_are_sized_to_the_free_budget() {
    let r = route(0);
    let source = FakeSource::with_logs(&[r.source()], 40);
    let batch = source.model().logs[&r.source()].batches[0].1.len();
    let mut s = settings();
    s.partition_max_bytes = i32::try_from(4 * batch).unwrap();
    s.max_bytes = i32::try_from(8 * batch).unwrap();
    let budget = 6 * batch;
    let mut h = start(&source, s.clone(), budget);
    h.add(&[&r], 0);
    // Nobody takes the rounds: what was handed over stays held.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let asked: Vec<i32> = source.model().fetches.iter().map(|f| f.max_bytes).collect();
    assert_eq!(
        asked[0],
        i32::try_from(budget).unwrap(),
        "the first asks for the budget"
    );
    assert!(asked.iter().all(|&b| b <= s.max_bytes), "{asked:?}");
    assert!(
        asked[1..].iter().all(|&b| b == s.partition_max_bytes),
        "once the budget is held, fetches shrink to the floor: {asked:?}"
    );
    let got = h.collect(Duration::from_secs(1)).await;
    let (handed, _) = &got[&r.source()];
    assert_eq!(
        handed,
        &offsets(0, 3 * handed.len() as i64),
        "in order, none twice"
    );
    h.stop().await;
}

fn keys(spec: &[(&str, i32)]) -> Vec<TopicPartition> {
    spec.iter()
        .map(|(t, p)| TopicPartition::new(*t, *p))
        .collect()
}

#[test]
fn rotation_turns_topics_and_partitions_and_keeps_topics_together() {
    let all = keys(&[("a", 0), ("a", 1), ("a", 2), ("b", 0), ("b", 1)]);
    let mut k = all.clone();
    rotate_by_topic(&mut k, 0);
    assert_eq!(k, all);
    let mut k = all.clone();
    rotate_by_topic(&mut k, 1);
    assert_eq!(k, keys(&[("b", 0), ("b", 1), ("a", 0), ("a", 1), ("a", 2)]));
    let mut k = all.clone();
    rotate_by_topic(&mut k, 2);
    assert_eq!(k, keys(&[("a", 1), ("a", 2), ("a", 0), ("b", 1), ("b", 0)]));
    // Every partition leads the request in turn.
    let firsts: std::collections::BTreeSet<TopicPartition> = (0..6)
        .map(|t| {
            let mut k = all.clone();
            rotate_by_topic(&mut k, t);
            k[0].clone()
        })
        .collect();
    assert_eq!(firsts.len(), all.len());
    let mut empty = Vec::new();
    rotate_by_topic(&mut empty, 3);
    assert!(empty.is_empty());
}

/// The remote topic was deleted on the target: told to restart it, the fetcher sends a barrier at
/// once, moves every partition of this task going to that remote topic to the source's log start
/// (not 0: retention moved it), reports each, and hands on the partitions again from there.
#[tokio::test(start_paused = true)]
async fn a_restarted_remote_topic_is_fetched_again_from_the_source_log_start() {
    let (a, b) = (route(0), route(1));
    let source = FakeSource::with_logs(&[a.source(), b.source()], 4);
    source.delete_before(&a.source(), 3);
    source.delete_before(&b.source(), 3);
    let mut h = start(&source, settings(), 8 << 20);
    h.add(&[&a, &b], 3);
    let first = h.collect(Duration::from_secs(2)).await;
    assert_eq!(first[&a.source()], (offsets(3, 12), 12));
    h.control
        .send(FetchControl::Restart("primary.orders".into()))
        .unwrap();
    let again = h.collect(Duration::from_secs(5)).await;
    assert_eq!(
        h.restarts,
        vec![
            "barrier primary.orders".to_string(),
            format!("{a} from 3"),
            format!("{b} from 3")
        ]
    );
    assert_eq!(again[&a.source()], (offsets(3, 12), 12));
    assert_eq!(again[&b.source()], (offsets(3, 12), 12));
    h.stop().await;
}
