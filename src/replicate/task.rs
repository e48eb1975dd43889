//! A task: a fetcher and a producer joined by a bounded channel, owning the partitions pinned to
//! it. Each task has its own connections, as each Java MM2 task has its own consumer and producer,
//! so one task's long-polling fetch never queues behind another's.

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::connections::FlowConnections;
use crate::config::FlowConfig;
use crate::fetch::budget::TaskBytes;
use crate::fetch::fetcher::Fetcher;
use crate::fetch::FetchControl;
use crate::metrics::FlowMetrics;
use crate::offsets::offset_syncs::OffsetSyncLog;
use crate::offsets::progress::ProgressStore;
use crate::produce::producer::{AckReports, RemoteTopicWatch, TaskProducer};
use crate::protocol::{Backoff, ClusterClient};

/// Fetched rounds a task may hold before fetching waits for the target: backpressure. The task's
/// memory is bounded by the byte budget that sizes its Fetches (`fetch::budget`).
const ROUND_QUEUE: usize = 2;

/// Handle to a running task.
pub(crate) struct Task {
    /// Commands to the task's fetcher (new partitions).
    pub(crate) control: mpsc::UnboundedSender<FetchControl>,
    join: JoinHandle<()>,
}

/// What a flow's tasks share: where they report what landed, and how they hear of remote topics.
#[derive(Clone)]
pub(crate) struct TaskShared {
    /// The flow's progress store.
    pub(crate) progress: Arc<ProgressStore>,
    /// The flow's offset-sync log (None when offset-syncs are off).
    pub(crate) sync_log: Option<Arc<OffsetSyncLog>>,
    /// The flow's metrics (None when `--metrics-listen` is not given).
    pub(crate) metrics: Option<FlowMetrics>,
    /// Shared with topic discovery (see [`RemoteTopicWatch`]).
    pub(crate) watch: Arc<RemoteTopicWatch>,
}

impl Task {
    /// Starts task `index` of `cfg`'s flow, connecting as `conns` say.
    pub(crate) fn spawn(
        index: usize,
        cfg: &FlowConfig,
        conns: &FlowConnections,
        shared: TaskShared,
        shutdown: CancellationToken,
    ) -> Task {
        let (control_tx, control_rx) = mpsc::unbounded_channel();
        let (round_tx, round_rx) = mpsc::channel(ROUND_QUEUE);
        let bytes = Arc::new(TaskBytes::new(cfg.produce.task_budget));
        let mut consumer = conns.source_consumer.clone();
        consumer.client_id = format!("{}-{index}", consumer.client_id);
        let mut producer = conns.target_producer.clone();
        producer.client_id = format!("{}-{index}", producer.client_id);
        let fetcher = Fetcher::new(
            index,
            ClusterClient::new(consumer.clone()),
            cfg.fetch.clone(),
            consumer.retry_backoff,
            control_rx,
            round_tx,
            bytes.clone(),
        );
        let producer = TaskProducer::new(
            index,
            ClusterClient::new(producer.clone()),
            cfg.produce.clone(),
            Backoff::new(producer.retry_backoff, producer.retry_backoff_max),
            round_rx,
            control_tx.clone(),
            AckReports {
                progress: shared.progress,
                syncs: shared.sync_log,
                metrics: shared.metrics,
                held: bytes,
                watch: shared.watch,
            },
        );
        let join = tokio::spawn(async move {
            tokio::join!(fetcher.run(shutdown.clone()), producer.run(shutdown));
        });
        Task {
            control: control_tx,
            join,
        }
    }

    /// Waits for the task to finish after shutdown.
    pub(crate) async fn join(self) {
        let _ = self.join.await;
    }
}
