//! What the status page shows, read from the same state the scrape reads (so its numbers are the
//! metrics' numbers): per partition the records replicated and the lag, per flow the heartbeat
//! freshness, per group partition the checkpoint lag, the connectors' states, and a short history
//! of each flow's lag for the page's plot, sampled every [`SAMPLE_EVERY`] for [`HISTORY`].

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::{CheckpointLabels, FlowLabels, Metrics, PartitionLabels};
use crate::locks::lock;

/// How often the lag history is sampled.
pub const SAMPLE_EVERY: Duration = Duration::from_secs(5);
/// How far back the lag history reaches.
pub const HISTORY: Duration = Duration::from_secs(600);

/// One replicated partition as the scrape shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct PartitionRow {
    /// Its labels (flow, remote topic, partition).
    pub labels: PartitionLabels,
    /// `mm2_source_record_count_total`.
    pub records: u64,
    /// `..._replication_lag_records` and `..._replication_lag_ms`; None before the first fetch.
    pub lag: Option<(i64, i64)>,
}

/// One flow's partitions added up.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FlowTotals {
    /// Partitions replicating.
    pub partitions: usize,
    /// Records replicated.
    pub records: u64,
    /// Records lagging, all partitions together.
    pub lag_records: i64,
    /// The largest partition lag, ms.
    pub max_lag_ms: i64,
}

/// `rows` added up per flow (`source->target`).
pub fn flow_totals(rows: &[PartitionRow]) -> BTreeMap<String, FlowTotals> {
    let mut flows: BTreeMap<String, FlowTotals> = BTreeMap::new();
    for row in rows {
        let f = flows
            .entry(flow_name(&row.labels.source, &row.labels.target))
            .or_default();
        f.partitions += 1;
        f.records += row.records;
        if let Some((records, ms)) = row.lag {
            f.lag_records += records;
            f.max_lag_ms = f.max_lag_ms.max(ms);
        }
    }
    flows
}

/// One sample of the lag history: per flow (`source->target`), the largest partition lag in ms
/// and the records lagging in all.
#[derive(Debug, Clone, PartialEq)]
pub struct LagSample {
    /// When, ms since the epoch.
    pub at_ms: i64,
    /// Flow name -> (max lag ms, total lag records).
    pub flows: BTreeMap<String, (i64, i64)>,
}

/// Everything the status page shows, at one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// When it was taken, ms since the epoch.
    pub at_ms: i64,
    /// Partitions, sorted by flow, topic and partition.
    pub partitions: Vec<PartitionRow>,
    /// Heartbeat freshness per herder, ms (`..._heartbeat_connector_freshness_ms`).
    pub heartbeats: Vec<(FlowLabels, i64)>,
    /// Checkpoint lag per group partition, ms (`..._checkpoint_connector_lag_ms`).
    pub checkpoints: Vec<(CheckpointLabels, i64)>,
    /// Connector name and state, as `kafka_connect_connector_status` labels them.
    pub connectors: Vec<(String, String)>,
    /// The lag history, oldest first.
    pub history: Vec<LagSample>,
}

/// The flow name of a pair of aliases, as strait names flows everywhere.
pub fn flow_name(source: &str, target: &str) -> String {
    format!("{source}->{target}")
}

impl Metrics {
    /// Every partition's row at `now_ms`, in no order.
    fn partition_rows(&self, now_ms: i64) -> Vec<PartitionRow> {
        lock(&self.inner.rows)
            .iter()
            .map(|(labels, (records, lag))| PartitionRow {
                labels: labels.clone(),
                records: records.get(),
                lag: lag.lag_at(now_ms),
            })
            .collect()
    }

    /// Reads everything the status page shows.
    pub fn snapshot(&self) -> Snapshot {
        let now = crate::clock::now_ms();
        let i = &self.inner;
        // Sorted for the page only: the history sampler needs no order.
        let mut partitions = self.partition_rows(now);
        partitions.sort_by(|a, b| a.labels.cmp(&b.labels));
        let mut heartbeats = i.freshness.ages(now);
        heartbeats.sort();
        let mut checkpoints = i.checkpoint_lag.ages(now);
        checkpoints.sort();
        let mut connectors: Vec<(String, String)> = lock(&i.status_series)
            .connectors
            .iter()
            .map(|c| (c.connector.clone(), c.status.clone()))
            .collect();
        connectors.sort();
        Snapshot {
            at_ms: now,
            partitions,
            heartbeats,
            checkpoints,
            connectors,
            history: lock(&i.history).iter().cloned().collect(),
        }
    }

    /// Adds one sample of every flow's lag to the history, dropping samples older than
    /// [`HISTORY`].
    pub(crate) fn sample_lag(&self, now_ms: i64) {
        let flows = flow_totals(&self.partition_rows(now_ms))
            .into_iter()
            .map(|(flow, t)| (flow, (t.max_lag_ms, t.lag_records)))
            .collect();
        let mut history = lock(&self.inner.history);
        history.push_back(LagSample {
            at_ms: now_ms,
            flows,
        });
        let oldest = now_ms - HISTORY.as_millis() as i64;
        while history.front().is_some_and(|s| s.at_ms < oldest) {
            history.pop_front();
        }
    }

    /// Samples the lag history every [`SAMPLE_EVERY`] until `shutdown` (run beside the metrics
    /// listener).
    pub async fn sample_history(self, shutdown: CancellationToken) {
        let mut tick = tokio::time::interval(SAMPLE_EVERY);
        loop {
            tokio::select! {
                _ = tick.tick() => self.sample_lag(crate::clock::now_ms()),
                _ = shutdown.cancelled() => return,
            }
        }
    }
}

/// The history kept: a bounded queue of samples.
pub(crate) type History = std::sync::Mutex<VecDeque<LagSample>>;
