//! MM2's windowed gauges (`replication-latency-ms`, `-max`, `-min`, `-avg`), computed the way Kafka's
//! `Metrics` library does: the last value, and max/min/avg over 2 samples of 30 s
//! (`MetricConfig` defaults), NaN when the window holds no sample. A [`WindowedFamily`] exposes one
//! such statistic per label set as four Prometheus gauges, evaluated at scrape time; a NaN gauge
//! (an idle partition's window) is left out of the scrape, which shows the same "no data" in a
//! dashboard and keeps scrapes of thousands of mostly idle partitions small.

use std::collections::HashMap;
use std::fmt::Debug;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;

use crate::locks::lock;

/// Samples per window (Kafka's `MetricConfig.samples` default).
pub(crate) const SAMPLES: usize = 2;
/// Length of one sample (Kafka's `MetricConfig.timeWindowMs` default).
pub(crate) const SAMPLE_WINDOW: Duration = Duration::from_secs(30);

/// One sample of a windowed statistic.
#[derive(Debug, Clone, Copy)]
struct Sample {
    start: Instant,
    count: u64,
    sum: f64,
    min: f64,
    max: f64,
}

impl Sample {
    fn new(start: Instant) -> Sample {
        Sample {
            start,
            count: 0,
            sum: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }
}

#[derive(Debug)]
struct State {
    last: f64,
    current: usize,
    samples: [Sample; SAMPLES],
}

/// What a windowed statistic reports at one instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Snapshot {
    /// The last value recorded (0 before any, as Kafka's `Value`).
    pub(crate) last: f64,
    /// Largest value in the window, NaN when it is empty.
    pub(crate) max: f64,
    /// Smallest value in the window, NaN when it is empty.
    pub(crate) min: f64,
    /// Mean of the window, NaN when it is empty.
    pub(crate) avg: f64,
}

/// The last value plus max/min/avg over a sliding window of [`SAMPLES`] x [`SAMPLE_WINDOW`].
///
/// Recording takes an uncontended mutex (one task owns a partition; the scraper takes it for a few
/// instructions), with no allocation.
#[derive(Debug)]
pub(crate) struct WindowStat {
    state: Mutex<State>,
}

impl Default for WindowStat {
    fn default() -> Self {
        Self::new(Instant::now())
    }
}

impl WindowStat {
    /// An empty statistic whose first sample starts at `now`.
    pub(crate) fn new(now: Instant) -> WindowStat {
        WindowStat {
            state: Mutex::new(State {
                last: 0.0,
                current: 0,
                samples: [Sample::new(now); SAMPLES],
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// Records `value` now.
    pub(crate) fn record(&self, value: f64) {
        self.record_at(value, Instant::now());
    }

    /// Records `value` at `now` (a sample older than [`SAMPLE_WINDOW`] makes room for a new one,
    /// as Kafka's `SampledStat.record`).
    pub(crate) fn record_at(&self, value: f64, now: Instant) {
        let mut s = self.lock();
        s.last = value;
        let mut i = s.current;
        if now.saturating_duration_since(s.samples[i].start) >= SAMPLE_WINDOW {
            i = (i + 1) % SAMPLES;
            s.current = i;
            s.samples[i] = Sample::new(now);
        }
        let sample = &mut s.samples[i];
        sample.count += 1;
        sample.sum += value;
        sample.min = sample.min.min(value);
        sample.max = sample.max.max(value);
    }

    /// The statistic at `now`: samples that started [`SAMPLES`] x [`SAMPLE_WINDOW`] or more ago
    /// no longer count (Kafka's `purgeObsoleteSamples`).
    pub(crate) fn snapshot_at(&self, now: Instant) -> Snapshot {
        let s = self.lock();
        let expire = SAMPLE_WINDOW * SAMPLES as u32;
        let (mut count, mut sum) = (0u64, 0.0f64);
        let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
        for sample in &s.samples {
            if sample.count == 0 || now.saturating_duration_since(sample.start) >= expire {
                continue;
            }
            count += sample.count;
            sum += sample.sum;
            min = min.min(sample.min);
            max = max.max(sample.max);
        }
        if count == 0 {
            return Snapshot {
                last: s.last,
                max: f64::NAN,
                min: f64::NAN,
                avg: f64::NAN,
            };
        }
        Snapshot {
            last: s.last,
            max,
            min,
            avg: sum / count as f64,
        }
    }
}

/// Picks one of a snapshot's four values.
type Pick = fn(&Snapshot) -> f64;

/// A family of [`WindowStat`]s keyed by label set, exposed as four gauges at scrape time:
/// `<name>` (last), `<name>_max`, `<name>_min`, `<name>_avg` (MM2's attribute suffixes).
#[derive(Debug)]
pub(crate) struct WindowedFamily<L> {
    name: &'static str,
    help: &'static str,
    stats: Mutex<HashMap<L, Arc<WindowStat>>>,
}

impl<L> WindowedFamily<L>
where
    L: EncodeLabelSet + Clone + Hash + Eq + Debug + Send + Sync + 'static,
{
    /// An empty family; `name` is the base metric name, `help` its description.
    pub(crate) fn new(name: &'static str, help: &'static str) -> Self {
        WindowedFamily {
            name,
            help,
            stats: Mutex::new(HashMap::new()),
        }
    }

    /// The statistic of `labels`, created on first use. Callers keep the handle, so the label set
    /// is looked up once per partition, not per record.
    pub(crate) fn get_or_create(&self, labels: &L) -> Arc<WindowStat> {
        let mut stats = lock(&self.stats);
        if let Some(s) = stats.get(labels) {
            return s.clone();
        }
        let s = Arc::new(WindowStat::default());
        stats.insert(labels.clone(), s.clone());
        s
    }

    /// Drops the statistic of `labels` (its partition no longer replicates): its series leave the
    /// next scrape.
    pub(crate) fn remove(&self, labels: &L) {
        lock(&self.stats).remove(labels);
    }

    fn encode_at(&self, encoder: DescriptorEncoder, now: Instant) -> Result<(), std::fmt::Error> {
        self.encode_named(self.name, self.help, encoder, now)
    }

    /// The four gauges under the base name `name`.
    fn encode_named(
        &self,
        name: &str,
        help: &str,
        mut encoder: DescriptorEncoder,
        now: Instant,
    ) -> Result<(), std::fmt::Error> {
        let snapshots: Vec<(L, Snapshot)> = {
            let stats = lock(&self.stats);
            stats
                .iter()
                .map(|(l, s)| (l.clone(), s.snapshot_at(now)))
                .collect()
        };
        if snapshots.is_empty() {
            return Ok(());
        }
        let parts: [(String, String, Pick); 4] = [
            (name.to_string(), format!("{help} (last value)"), |s| s.last),
            (
                format!("{name}_max"),
                format!("{help} (max over the last 60 s, absent when none)"),
                |s| s.max,
            ),
            (
                format!("{name}_min"),
                format!("{help} (min over the last 60 s, absent when none)"),
                |s| s.min,
            ),
            (
                format!("{name}_avg"),
                format!("{help} (mean over the last 60 s, absent when none)"),
                |s| s.avg,
            ),
        ];
        for (name, help, pick) in &parts {
            let mut metric = encoder.encode_descriptor(name, help, None, MetricType::Gauge)?;
            for (labels, snap) in &snapshots {
                let value = pick(snap);
                if value.is_nan() {
                    continue;
                }
                ConstGauge::new(value).encode(metric.encode_family(labels)?)?;
            }
        }
        Ok(())
    }
}

/// The same statistics under a second base name: the name the common JMX-exporter rules give
/// MM2's attribute, so that existing dashboards find them.
#[derive(Debug)]
pub(crate) struct Alias<L> {
    /// The family shown again.
    pub(crate) family: Arc<WindowedFamily<L>>,
    /// The other base name.
    pub(crate) name: &'static str,
    /// Its description.
    pub(crate) help: &'static str,
}

impl<L> Collector for Alias<L>
where
    L: EncodeLabelSet + Clone + Hash + Eq + Debug + Send + Sync + 'static,
{
    fn encode(&self, encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        self.family
            .encode_named(self.name, self.help, encoder, Instant::now())
    }
}

impl<L> Collector for WindowedFamily<L>
where
    L: EncodeLabelSet + Clone + Hash + Eq + Debug + Send + Sync + 'static,
{
    fn encode(&self, encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        self.encode_at(encoder, Instant::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_window_reports_nan_and_last_zero() {
        let t0 = Instant::now();
        let s = WindowStat::new(t0);
        let snap = s.snapshot_at(t0);
        assert_eq!(snap.last, 0.0);
        assert!(snap.max.is_nan() && snap.min.is_nan() && snap.avg.is_nan());
    }

    #[test]
    fn window_keeps_two_samples_of_thirty_seconds() {
        let t0 = Instant::now();
        let s = WindowStat::new(t0);
        s.record_at(10.0, t0);
        s.record_at(30.0, t0 + Duration::from_secs(1));
        let snap = s.snapshot_at(t0 + Duration::from_secs(2));
        assert_eq!(
            (snap.last, snap.max, snap.min, snap.avg),
            (30.0, 30.0, 10.0, 20.0)
        );
        // Second sample.
        s.record_at(5.0, t0 + Duration::from_secs(31));
        let snap = s.snapshot_at(t0 + Duration::from_secs(32));
        assert_eq!(
            (snap.last, snap.max, snap.min, snap.avg),
            (5.0, 30.0, 5.0, 15.0)
        );
        // The first sample expires 60 s after it started.
        let snap = s.snapshot_at(t0 + Duration::from_secs(61));
        assert_eq!((snap.max, snap.min, snap.avg), (5.0, 5.0, 5.0));
        // A third sample replaces the first.
        s.record_at(7.0, t0 + Duration::from_secs(62));
        let snap = s.snapshot_at(t0 + Duration::from_secs(62));
        assert_eq!((snap.max, snap.min, snap.avg), (7.0, 5.0, 6.0));
        // Everything expires; the last value stays.
        let snap = s.snapshot_at(t0 + Duration::from_secs(200));
        assert!(snap.max.is_nan());
        assert_eq!(snap.last, 7.0);
    }
}
