//! Replication lag per partition, computed at scrape time from what the data path already knows:
//! the source log end the last fetch response reported (high watermark, or last stable offset
//! under `read_committed`), the position up to which every record is on the target (the progress
//! mark of the last acknowledgement), and the first timestamps of the batches fetched but not yet
//! acknowledged.
//! - `..._replication_lag_records`: log end minus that position (never negative).
//! - `..._replication_lag_ms`: 0 with no records lagging; else now minus the first timestamp of the
//!   oldest batch not yet acknowledged, which holds the oldest record not on the target; when no
//!   such batch is in hand (the fetch itself is behind), now minus the newest timestamp already
//!   replicated, an upper bound of the same wait.

use std::collections::{HashMap, VecDeque};
use std::fmt::Debug;
use std::hash::Hash;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;

use crate::locks::lock;

/// Not known yet.
const UNKNOWN: i64 = -1;

/// One partition's lag state, shared by the producer that updates it and the scrape.
#[derive(Debug)]
pub(crate) struct LagState {
    /// The source log end from the last fetch response.
    end: AtomicI64,
    /// Every record before this offset is on the target.
    replicated: AtomicI64,
    /// The max timestamp of the newest acknowledged batch.
    newest_replicated_ts: AtomicI64,
    /// (last offset, first timestamp) of batches handed to the producer and not acknowledged, in
    /// offset order.
    pending: Mutex<VecDeque<(i64, i64)>>,
}

impl Default for LagState {
    fn default() -> Self {
        LagState {
            end: AtomicI64::new(UNKNOWN),
            replicated: AtomicI64::new(UNKNOWN),
            newest_replicated_ts: AtomicI64::new(UNKNOWN),
            pending: Mutex::new(VecDeque::new()),
        }
    }
}

impl LagState {
    /// A fetched chunk reached the producer: the source log end then, where the chunk starts (the
    /// replicated position until the first acknowledgement) and its batches' (last offset, first
    /// timestamp).
    pub(crate) fn fetched(&self, end: i64, start: i64, batches: impl Iterator<Item = (i64, i64)>) {
        self.end.store(end, Ordering::Relaxed);
        let _ =
            self.replicated
                .compare_exchange(UNKNOWN, start, Ordering::Relaxed, Ordering::Relaxed);
        lock(&self.pending).extend(batches);
    }

    /// Everything before `next_offset` is on the target; the newest of it stamped `max_timestamp`.
    pub(crate) fn replicated(&self, next_offset: i64, max_timestamp: i64) {
        self.replicated.fetch_max(next_offset, Ordering::Relaxed);
        self.newest_replicated_ts
            .fetch_max(max_timestamp, Ordering::Relaxed);
        let mut pending = lock(&self.pending);
        while pending.front().is_some_and(|(last, _)| *last < next_offset) {
            pending.pop_front();
        }
    }

    /// (records, ms) lagging at `now_ms`; None before the first fetch.
    pub(crate) fn lag_at(&self, now_ms: i64) -> Option<(i64, i64)> {
        let end = self.end.load(Ordering::Relaxed);
        let replicated = self.replicated.load(Ordering::Relaxed);
        if end == UNKNOWN || replicated == UNKNOWN {
            return None;
        }
        let records = (end - replicated).max(0);
        if records == 0 {
            return Some((0, 0));
        }
        let oldest = lock(&self.pending).front().map(|(_, ts)| *ts);
        let since = oldest.or_else(|| {
            let ts = self.newest_replicated_ts.load(Ordering::Relaxed);
            (ts != UNKNOWN).then_some(ts)
        });
        Some((records, since.map_or(0, |ts| (now_ms - ts).max(0))))
    }
}

/// Picks records or milliseconds from a (records, ms) lag.
type PickLag = fn(&(i64, i64)) -> i64;

/// Every partition's lag state, exposed as the two lag gauges.
#[derive(Debug)]
pub(crate) struct LagFamily<L> {
    states: Mutex<HashMap<L, Arc<LagState>>>,
}

impl<L> Default for LagFamily<L> {
    fn default() -> Self {
        LagFamily {
            states: Mutex::new(HashMap::new()),
        }
    }
}

impl<L: Clone + Hash + Eq> LagFamily<L> {
    /// The state of `labels`, created on first use.
    pub(crate) fn get_or_create(&self, labels: &L) -> Arc<LagState> {
        lock(&self.states)
            .entry(labels.clone())
            .or_default()
            .clone()
    }

    /// Drops the state of `labels` (its partition no longer replicates).
    pub(crate) fn remove(&self, labels: &L) {
        lock(&self.states).remove(labels);
    }
}

impl<L> Collector for LagFamily<L>
where
    L: EncodeLabelSet + Clone + Hash + Eq + Debug + Send + Sync + 'static,
{
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let now = crate::clock::now_ms();
        let lags: Vec<(L, (i64, i64))> = lock(&self.states)
            .iter()
            .filter_map(|(l, s)| s.lag_at(now).map(|lag| (l.clone(), lag)))
            .collect();
        if lags.is_empty() {
            return Ok(());
        }
        let parts: [(&str, &str, PickLag); 2] = [
            (
                "kafka_connect_mirror_source_connector_replication_lag_records",
                "Records of the partition not yet on the target: the source log end the last fetch saw minus the replicated position (strait's definition, docs/metrics.md)",
                |l| l.0,
            ),
            (
                "kafka_connect_mirror_source_connector_replication_lag_ms",
                "How long the oldest record not yet on the target has waited, ms; 0 when none lags (strait's definition, docs/metrics.md)",
                |l| l.1,
            ),
        ];
        for (name, help, pick) in parts {
            let mut metric = encoder.encode_descriptor(name, help, None, MetricType::Gauge)?;
            for (labels, lag) in &lags {
                ConstGauge::new(pick(lag)).encode(metric.encode_family(labels)?)?;
            }
        }
        Ok(())
    }
}

/// Per label set, the newest time something was known good (a heartbeat on the target, a
/// checkpoint current with its group's commit), exposed as its age at scrape time.
#[derive(Debug)]
pub(crate) struct Age<L> {
    name: &'static str,
    help: &'static str,
    last: Mutex<HashMap<L, i64>>,
}

impl<L: Clone + Hash + Eq> Age<L> {
    /// An empty family shown as `name`.
    pub(crate) fn new(name: &'static str, help: &'static str) -> Age<L> {
        Age {
            name,
            help,
            last: Mutex::new(HashMap::new()),
        }
    }

    /// Every label set's age at `now_ms`.
    pub(crate) fn ages(&self, now_ms: i64) -> Vec<(L, i64)> {
        lock(&self.last)
            .iter()
            .map(|(l, t)| (l.clone(), (now_ms - t).max(0)))
            .collect()
    }

    /// Good as of `timestamp_ms` (an older time never replaces a newer one).
    pub(crate) fn seen(&self, labels: &L, timestamp_ms: i64) {
        let mut last = lock(&self.last);
        let t = last.entry(labels.clone()).or_insert(timestamp_ms);
        *t = (*t).max(timestamp_ms);
    }
}

impl<L> Collector for Age<L>
where
    L: EncodeLabelSet + Clone + Hash + Eq + Debug + Send + Sync + 'static,
{
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let ages = self.ages(crate::clock::now_ms());
        if ages.is_empty() {
            return Ok(());
        }
        let mut metric =
            encoder.encode_descriptor(self.name, self.help, None, MetricType::Gauge)?;
        for (labels, age) in &ages {
            ConstGauge::new(*age).encode(metric.encode_family(labels)?)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_follows_fetches_and_acknowledgements() {
        let s = LagState::default();
        assert_eq!(s.lag_at(10_000), None);
        // Offsets 100..110 fetched in two batches (first timestamps 1000 and 2000), log end 150.
        s.fetched(150, 100, [(104, 1_000), (109, 2_000)].into_iter());
        assert_eq!(s.lag_at(10_000), Some((50, 9_000)));
        // The first batch is on the target: the oldest waiting record is the second batch's.
        s.replicated(105, 1_500);
        assert_eq!(s.lag_at(10_000), Some((45, 8_000)));
        // Both on the target, 40 records not fetched yet: bounded by the newest replicated.
        s.replicated(110, 2_500);
        assert_eq!(s.lag_at(10_000), Some((40, 7_500)));
        // Caught up.
        s.fetched(150, 110, [(149, 3_000)].into_iter());
        s.replicated(150, 3_500);
        assert_eq!(s.lag_at(10_000), Some((0, 0)));
    }
}
