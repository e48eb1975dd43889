//! Prometheus metrics in the shape of MM2's JMX metrics: per replicated partition
//! (`source`, `target`, `topic` = remote name, `partition`) the records and bytes the target
//! acknowledged, the replication latency and the record age; per checkpointed group partition the
//! checkpoint latency; plus heartbeats emitted and partitions parked by target errors (not in MM2).
//!
//! Metrics are a side sink: the data path resolves its handles once per partition
//! ([`Metrics::partition`]) and then only adds to atomics or records into an uncontended window
//! ([`window::WindowStat`]); nothing here can block or fail replication. The registry and the text
//! exposition are `prometheus-client`'s; [`routes`] serves them on `GET /metrics` when `strait run`
//! is given `--metrics-listen`. See `docs/metrics.md`.

mod lag;
pub mod routes;
pub mod snapshot;
mod status_page;
pub(crate) mod window;

use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use lag::{Age, LagFamily, LagState};
use window::{Alias, WindowStat, WindowedFamily};

/// Labels of a replicated partition, as MM2's source metrics with `add.source.alias.to.metrics`
/// (always carrying `source`, the 4.0 behaviour).
#[derive(Clone, Debug, Hash, PartialEq, Eq, PartialOrd, Ord, EncodeLabelSet)]
pub struct PartitionLabels {
    /// Source cluster alias.
    pub source: String,
    /// Target cluster alias.
    pub target: String,
    /// The REMOTE topic name (as on the target), as MM2 labels it.
    pub topic: String,
    /// Partition number.
    pub partition: i32,
}

/// Labels of a checkpointed group partition, as MM2's `MirrorCheckpointConnector` metrics.
#[derive(Clone, Debug, Hash, PartialEq, Eq, PartialOrd, Ord, EncodeLabelSet)]
pub struct CheckpointLabels {
    /// Source cluster alias.
    pub source: String,
    /// Target cluster alias.
    pub target: String,
    /// Consumer group.
    pub group: String,
    /// The DOWNSTREAM topic name (as in the checkpoint record).
    pub topic: String,
    /// Partition number.
    pub partition: i32,
}

/// Labels of a flow's source-position resets: the flow and why.
#[derive(Clone, Debug, Hash, PartialEq, Eq, PartialOrd, Ord, EncodeLabelSet)]
pub struct ResetLabels {
    /// Source cluster alias.
    pub source: String,
    /// Target cluster alias.
    pub target: String,
    /// `recreated`, `retention` or `truncated` (docs/metrics.md).
    pub reason: String,
}

/// Labels of a flow or heartbeat herder (`source->target`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, PartialOrd, Ord, EncodeLabelSet)]
pub struct FlowLabels {
    /// Source cluster alias.
    pub source: String,
    /// Target cluster alias.
    pub target: String,
}

impl FlowLabels {
    /// The flow of a partition or group partition (its `source` and `target`).
    fn of(source: &str, target: &str) -> FlowLabels {
        FlowLabels {
            source: source.to_string(),
            target: target.to_string(),
        }
    }
}

/// Labels of a connector's status, as the common JMX-exporter rules (Strimzi's) name Connect's
/// `connector-metrics` status attribute.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ConnectorStatusLabels {
    /// The connector's name.
    pub connector: String,
    /// Its state in lower case: `running`, `paused`, `stopped`, `failed`, `unassigned`.
    pub status: String,
}

/// Labels of a task's status (Connect's `connector-task-metrics` status attribute).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TaskStatusLabels {
    /// The connector's name.
    pub connector: String,
    /// The task's index.
    pub task: String,
    /// Its state in lower case.
    pub status: String,
}

/// A connector's state and its tasks', as the REST API shows them, for the status metrics.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectorState {
    /// The connector's name.
    pub connector: String,
    /// Its state (`RUNNING`, `FAILED`, ...).
    pub state: String,
    /// Each task's state, by index.
    pub tasks: Vec<String>,
}

/// The status series shown now, so that a state change removes the old series.
#[derive(Default)]
struct StatusSeries {
    connectors: std::collections::HashSet<ConnectorStatusLabels>,
    tasks: std::collections::HashSet<TaskStatusLabels>,
}

struct Inner {
    registry: Registry,
    exporter_record_count: Family<PartitionLabels, Gauge>,
    lag: Arc<LagFamily<PartitionLabels>>,
    freshness: Arc<Age<FlowLabels>>,
    checkpoint_lag: Arc<Age<CheckpointLabels>>,
    connector_status: Family<ConnectorStatusLabels, Gauge>,
    task_status: Family<TaskStatusLabels, Gauge>,
    status_series: std::sync::Mutex<StatusSeries>,
    /// Every partition's record count and lag, for the status page (the same handles the
    /// scrape reads).
    rows: std::sync::Mutex<std::collections::HashMap<PartitionLabels, (Counter, Arc<LagState>)>>,
    history: snapshot::History,
    record_count: Family<PartitionLabels, Counter>,
    byte_count: Family<PartitionLabels, Counter>,
    latency: Arc<WindowedFamily<PartitionLabels>>,
    age: Arc<WindowedFamily<PartitionLabels>>,
    checkpoint_latency: Arc<WindowedFamily<CheckpointLabels>>,
    latency_histogram: Family<FlowLabels, Histogram, fn() -> Histogram>,
    checkpoint_latency_histogram: Family<FlowLabels, Histogram, fn() -> Histogram>,
    heartbeats: Family<FlowLabels, Counter>,
    heartbeat_last: Family<FlowLabels, Gauge>,
    parked: Family<FlowLabels, Gauge>,
    source_resets: Family<ResetLabels, Counter>,
    source_records_lost: Family<FlowLabels, Counter>,
    corrupt_fetches: Family<FlowLabels, Counter>,
    halted: Family<FlowLabels, Gauge>,
}

/// The process's metrics: one registry shared by every flow, task and emitter. Cloning is cheap.
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Bucket bounds of the latency histograms, ms: from a same-rack round trip to five minutes, so
/// that `histogram_quantile` answers p50/p99 from a LAN copy to a WAN catch-up.
const LATENCY_BUCKETS_MS: [f64; 16] = [
    1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1_000.0, 2_500.0, 5_000.0, 10_000.0,
    30_000.0, 60_000.0, 300_000.0,
];

fn new_latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS_MS)
}

impl Metrics {
    /// A registry with every strait metric registered (series appear as partitions start).
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let record_count = Family::<PartitionLabels, Counter>::default();
        registry.register(
            "mm2_source_record_count",
            "Records of the partition acknowledged by the target (MM2 record-count)",
            record_count.clone(),
        );
        let byte_count = Family::<PartitionLabels, Counter>::default();
        registry.register(
            "mm2_source_batch_byte_count",
            "Bytes of the record batches acknowledged by the target, as forwarded (compressed, headers included; MM2's byte-count counts uncompressed value bytes)",
            byte_count.clone(),
        );
        let latency = Arc::new(WindowedFamily::new(
            "mm2_source_replication_latency_ms",
            "Target acknowledgement time minus the batch's max timestamp, ms (MM2 replication-latency-ms)",
        ));
        registry.register_collector(Box::new(latency.clone()));
        let age = Arc::new(WindowedFamily::new(
            "mm2_source_record_age_ms",
            "Time the producer took a fetched batch minus its max timestamp, ms (MM2 record-age-ms)",
        ));
        registry.register_collector(Box::new(age.clone()));
        let checkpoint_latency = Arc::new(WindowedFamily::new(
            "mm2_checkpoint_latency_ms",
            "Acknowledgement time of the checkpoint minus the time the group's offsets were read, ms (MM2 checkpoint-latency-ms)",
        ));
        registry.register_collector(Box::new(checkpoint_latency.clone()));
        // MM2's windowed min/max/avg cannot give percentiles; these histograms, one per flow (not
        // per partition: 19 series per flow whatever its size), can.
        let latency_histogram: Family<FlowLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(new_latency_histogram);
        registry.register(
            "strait_replication_latency_ms",
            "Target acknowledgement time minus the batch's max timestamp, ms, per flow: a histogram for percentiles (not in MM2)",
            latency_histogram.clone(),
        );
        let checkpoint_latency_histogram: Family<FlowLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(new_latency_histogram);
        registry.register(
            "strait_checkpoint_latency_ms",
            "Acknowledgement time of a checkpoint minus the time the group's offsets were read, ms, per flow: a histogram for percentiles (not in MM2)",
            checkpoint_latency_histogram.clone(),
        );
        let heartbeats = Family::<FlowLabels, Counter>::default();
        registry.register(
            "strait_heartbeats_emitted",
            "Heartbeats appended to the target's heartbeats topic (not in MM2)",
            heartbeats.clone(),
        );
        let heartbeat_last = Family::<FlowLabels, Gauge>::default();
        registry.register(
            "strait_heartbeat_last_emitted_timestamp_ms",
            "Timestamp (ms since the epoch) of the last heartbeat the target acknowledged (not in MM2)",
            heartbeat_last.clone(),
        );
        let parked = Family::<FlowLabels, Gauge>::default();
        registry.register(
            "strait_partitions_parked",
            "Partitions of the flow whose replication is paused because the target refuses their data (not in MM2)",
            parked.clone(),
        );
        let source_resets = Family::<ResetLabels, Counter>::default();
        registry.register(
            "strait_source_partition_resets",
            "Times a partition's fetch position was moved because the source log no longer held it: topic recreated, records deleted by retention before they were copied, or log truncated (not in MM2)",
            source_resets.clone(),
        );
        let source_records_lost = Family::<FlowLabels, Counter>::default();
        registry.register(
            "strait_source_records_lost",
            "Source records deleted (retention, DeleteRecords) before strait copied them (not in MM2)",
            source_records_lost.clone(),
        );
        let corrupt_fetches = Family::<FlowLabels, Counter>::default();
        registry.register(
            "strait_source_corrupt_fetches",
            "Partition answers from the source that held a batch failing its CRC check (not forwarded; fetched again) (not in MM2)",
            corrupt_fetches.clone(),
        );
        let halted = Family::<FlowLabels, Gauge>::default();
        registry.register(
            "strait_partitions_halted",
            "Partitions of the flow stopped until restart: a source batch corrupt on every fetch, or one that cannot be forwarded (not in MM2)",
            halted.clone(),
        );
        // MM2's attributes again under the names the common JMX-exporter rules (Strimzi's
        // `kafka.connect.mirror<type=MirrorSourceConnector, ...><>([a-z-_]+)` ->
        // `kafka_connect_mirror_mirrorsourceconnector_$4`) give them.
        let exporter_record_count = Family::<PartitionLabels, Gauge>::default();
        registry.register(
            "kafka_connect_mirror_mirrorsourceconnector_record_count",
            "Records of the partition acknowledged by the target (MM2 record-count as the JMX exporter names it, a gauge)",
            exporter_record_count.clone(),
        );
        for (family, name, help) in [
            (&latency, "kafka_connect_mirror_mirrorsourceconnector_replication_latency_ms", "Target acknowledgement time minus the batch's max timestamp, ms (MM2 replication-latency-ms as the JMX exporter names it)"),
            (&age, "kafka_connect_mirror_mirrorsourceconnector_record_age_ms", "Time the producer took a fetched batch minus its max timestamp, ms (MM2 record-age-ms as the JMX exporter names it)"),
        ] {
            registry.register_collector(Box::new(Alias {
                family: family.clone(),
                name,
                help,
            }));
        }
        registry.register_collector(Box::new(Alias {
            family: checkpoint_latency.clone(),
            name: "kafka_connect_mirror_mirrorcheckpointconnector_checkpoint_latency_ms",
            help: "Acknowledgement time of the checkpoint minus the time the group's offsets were read, ms (MM2 checkpoint-latency-ms as the JMX exporter names it)",
        }));
        let lag = Arc::new(LagFamily::<PartitionLabels>::default());
        registry.register_collector(Box::new(lag.clone()));
        let freshness = Arc::new(Age::<FlowLabels>::new(
            "kafka_connect_mirror_heartbeat_connector_freshness_ms",
            "Now minus the newest heartbeat on the target (acknowledged with acks=all), ms (strait's definition, docs/metrics.md)",
        ));
        registry.register_collector(Box::new(freshness.clone()));
        let checkpoint_lag = Arc::new(Age::<CheckpointLabels>::new(
            "kafka_connect_mirror_checkpoint_connector_lag_ms",
            "Now minus the last time the group's checkpoint was found current with its committed source offset, ms (strait's definition, docs/metrics.md)",
        ));
        registry.register_collector(Box::new(checkpoint_lag.clone()));
        let connector_status = Family::<ConnectorStatusLabels, Gauge>::default();
        registry.register(
            "kafka_connect_connector_status",
            "1 while the connector runs, 0 in any other state (the state is the `status` label); Strimzi's rule name, but a value that can go bad",
            connector_status.clone(),
        );
        let task_status = Family::<TaskStatusLabels, Gauge>::default();
        registry.register(
            "kafka_connect_connector_task_status",
            "1 while the task runs, 0 in any other state (the state is the `status` label)",
            task_status.clone(),
        );
        Metrics {
            inner: Arc::new(Inner {
                registry,
                exporter_record_count,
                lag,
                freshness,
                checkpoint_lag,
                connector_status,
                task_status,
                status_series: std::sync::Mutex::new(StatusSeries::default()),
                rows: Default::default(),
                history: Default::default(),
                record_count,
                byte_count,
                latency,
                age,
                checkpoint_latency,
                latency_histogram,
                checkpoint_latency_histogram,
                heartbeats,
                heartbeat_last,
                parked,
                source_resets,
                source_records_lost,
                corrupt_fetches,
                halted,
            }),
        }
    }

    /// The handles of one replicated partition; resolve once and keep (the label strings are
    /// allocated here, never on the data path).
    pub fn partition(&self, labels: PartitionLabels) -> PartitionMetrics {
        let i = &self.inner;
        let records = i.record_count.get_or_create(&labels).clone();
        let lag = i.lag.get_or_create(&labels);
        crate::locks::lock(&i.rows).insert(labels.clone(), (records.clone(), lag.clone()));
        PartitionMetrics {
            records,
            exporter_records: i.exporter_record_count.get_or_create(&labels).clone(),
            lag,
            bytes: i.byte_count.get_or_create(&labels).clone(),
            latency: i.latency.get_or_create(&labels),
            latency_histogram: i
                .latency_histogram
                .get_or_create(&FlowLabels::of(&labels.source, &labels.target))
                .clone(),
            age: i.age.get_or_create(&labels),
        }
    }

    /// Drops every series of one partition.
    fn forget(&self, labels: &PartitionLabels) {
        let i = &self.inner;
        i.record_count.remove(labels);
        i.exporter_record_count.remove(labels);
        i.byte_count.remove(labels);
        i.latency.remove(labels);
        i.age.remove(labels);
        i.lag.remove(labels);
        crate::locks::lock(&i.rows).remove(labels);
    }

    /// The handles of one flow (`source->target`): the parked-partitions gauge, and the way to
    /// resolve its partitions' handles.
    pub fn flow(&self, source: &str, target: &str) -> FlowMetrics {
        let labels = FlowLabels::of(source, target);
        FlowMetrics {
            parked: self.inner.parked.get_or_create(&labels).clone(),
            labels,
            metrics: self.clone(),
        }
    }

    /// Records one acknowledged checkpoint (not on the data path: once per checkpoint written).
    pub fn checkpoint_latency(&self, labels: &CheckpointLabels, latency_ms: i64) {
        self.inner
            .checkpoint_latency
            .get_or_create(labels)
            .record(latency_ms as f64);
        self.inner
            .checkpoint_latency_histogram
            .get_or_create(&FlowLabels::of(&labels.source, &labels.target))
            .observe(latency_ms as f64);
    }

    /// The checkpoint of `labels` is current with the group's committed offset read at `read_ms`
    /// (written now, or already written).
    pub fn checkpoint_current(&self, labels: &CheckpointLabels, read_ms: i64) {
        self.inner.checkpoint_lag.seen(labels, read_ms);
    }

    /// Records a heartbeat the target acknowledged, stamped `timestamp_ms`.
    pub fn heartbeat(&self, labels: &FlowLabels, timestamp_ms: i64) {
        self.inner.heartbeats.get_or_create(labels).inc();
        self.inner
            .heartbeat_last
            .get_or_create(labels)
            .set(timestamp_ms);
        self.inner.freshness.seen(labels, timestamp_ms);
    }

    /// Shows `states` as the connector and task status series: one series per connector and
    /// task, labelled with its state, valued 1 when running and 0 otherwise (so that
    /// `kafka_connect_connector_status != 1` fires); series of former states and of connectors
    /// gone are removed.
    pub fn connector_states(&self, states: &[ConnectorState]) {
        let i = &self.inner;
        let mut shown = crate::locks::lock(&i.status_series);
        let mut connectors = std::collections::HashSet::new();
        let mut tasks = std::collections::HashSet::new();
        let value = |state: &str| i64::from(state.eq_ignore_ascii_case("running"));
        for c in states {
            let labels = ConnectorStatusLabels {
                connector: c.connector.clone(),
                status: c.state.to_lowercase(),
            };
            i.connector_status
                .get_or_create(&labels)
                .set(value(&c.state));
            connectors.insert(labels);
            for (task, state) in c.tasks.iter().enumerate() {
                let labels = TaskStatusLabels {
                    connector: c.connector.clone(),
                    task: task.to_string(),
                    status: state.to_lowercase(),
                };
                i.task_status.get_or_create(&labels).set(value(state));
                tasks.insert(labels);
            }
        }
        for gone in shown.connectors.difference(&connectors) {
            i.connector_status.remove(gone);
        }
        for gone in shown.tasks.difference(&tasks) {
            i.task_status.remove(gone);
        }
        *shown = StatusSeries { connectors, tasks };
    }

    /// Everything in the Prometheus text format (version 0.0.4).
    pub fn render(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut out, &self.inner.registry)?;
        Ok(out)
    }
}

/// Per-flow handles, given to each task of the flow.
#[derive(Clone, Debug)]
pub struct FlowMetrics {
    labels: FlowLabels,
    parked: Gauge,
    metrics: Metrics,
}

impl FlowMetrics {
    /// Resolves the handles of a partition of this flow (once, when the task first sees it).
    pub fn partition(&self, remote_topic: &str, partition: i32) -> PartitionMetrics {
        self.metrics.partition(PartitionLabels {
            source: self.labels.source.clone(),
            target: self.labels.target.clone(),
            topic: remote_topic.to_string(),
            partition,
        })
    }

    /// Drops every series of a partition of this flow (its source topic is gone), so that a scrape
    /// shows only partitions that replicate. Handles still held record into nothing.
    pub fn forget(&self, remote_topic: &str, partition: i32) {
        self.metrics.forget(&PartitionLabels {
            source: self.labels.source.clone(),
            target: self.labels.target.clone(),
            topic: remote_topic.to_string(),
            partition,
        });
    }

    /// A partition was parked (`+1`) or resumed (`-1`).
    pub fn parked(&self, delta: i64) {
        self.parked.inc_by(delta);
    }

    /// `answers` partition answers held a corrupt batch, and `halted` partitions stopped for good.
    pub fn corrupt(&self, answers: u32, halted: usize) {
        let inner = &self.metrics.inner;
        if answers > 0 {
            inner
                .corrupt_fetches
                .get_or_create(&self.labels)
                .inc_by(u64::from(answers));
        }
        self.halted(halted);
    }

    /// `n` more partitions of the flow stopped until restart.
    pub fn halted(&self, n: usize) {
        if n > 0 {
            (self.metrics.inner.halted.get_or_create(&self.labels)).inc_by(n as i64);
        }
    }

    /// The fetcher moved a partition's position for `reason` (a label of `ResetReason`), skipping
    /// `lost` records that were never copied.
    pub fn source_reset(&self, reason: &str, lost: i64) {
        let inner = &self.metrics.inner;
        inner
            .source_resets
            .get_or_create(&ResetLabels {
                source: self.labels.source.clone(),
                target: self.labels.target.clone(),
                reason: reason.to_string(),
            })
            .inc();
        if lost > 0 {
            inner
                .source_records_lost
                .get_or_create(&self.labels)
                .inc_by(lost as u64);
        }
    }
}

/// One partition's resolved metric handles: recording is a few atomic adds and one uncontended
/// lock per batch, no allocation.
#[derive(Clone, Debug)]
pub struct PartitionMetrics {
    records: Counter,
    exporter_records: Gauge,
    lag: Arc<LagState>,
    bytes: Counter,
    latency: Arc<WindowStat>,
    latency_histogram: Histogram,
    age: Arc<WindowStat>,
}

impl PartitionMetrics {
    /// A batch of `records` records and `bytes` bytes, newest record stamped `max_timestamp`,
    /// was acknowledged by the target at `now_ms`.
    pub fn acked(&self, records: i32, bytes: usize, max_timestamp: i64, now_ms: i64) {
        self.records.inc_by(records.max(0) as u64);
        self.exporter_records.inc_by(i64::from(records.max(0)));
        self.bytes.inc_by(bytes as u64);
        let latency = now_ms.saturating_sub(max_timestamp) as f64;
        self.latency.record(latency);
        self.latency_histogram.observe(latency);
    }

    /// A fetched batch stamped `max_timestamp` reached the producer at `now_ms`.
    pub fn fetched(&self, max_timestamp: i64, now_ms: i64) {
        self.age.record(now_ms.saturating_sub(max_timestamp) as f64);
    }

    /// A fetched chunk reached the producer, for the lag: the source log end then, where the
    /// chunk starts, and its batches' (last offset, first record timestamp).
    pub fn lag_fetched(
        &self,
        source_end: i64,
        start: i64,
        batches: impl Iterator<Item = (i64, i64)>,
    ) {
        self.lag.fetched(source_end, start, batches);
    }

    /// Every record before `next_offset` is on the target, the newest stamped `max_timestamp`.
    pub fn replicated(&self, next_offset: i64, max_timestamp: i64) {
        self.lag.replicated(next_offset, max_timestamp);
    }
}

#[cfg(test)]
mod tests;
