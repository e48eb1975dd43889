//! One MM2 herder's heartbeat emitter (`MirrorHeartbeatConnector` + `MirrorHeartbeatTask`): creates
//! `heartbeats` on the target (1 partition, compacted, `heartbeats.topic.replication.factor`), then
//! every `emit.heartbeats.interval.seconds` appends `Heartbeat(source, target, now)` to its
//! partition 0 with record timestamp `now`. Downstream, MM2's source connectors replicate these topics
//! as `<source>.heartbeats`, which is how `RemoteClusterUtils` finds upstream clusters and hops.
//!
//! Failures never stop replication: they are logged per cluster and retried with backoff until
//! shutdown.

use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info, trace, warn};

use crate::config::HeartbeatConfig;
use crate::metrics::{FlowLabels, Metrics};
use crate::offsets::internal_topic::{self, InternalRecord};
use crate::offsets::mm2_records::Heartbeat;
use crate::plan::replication_policy::HEARTBEATS_TOPIC;
use crate::protocol::{Backoff, ClusterClient, ProtocolError};

/// Longest wait between attempts while the topic cannot be created or written (a misconfigured
/// replication factor should not flood the log).
const MAX_RETRY_DELAY: Duration = Duration::from_secs(30);

/// Emits heartbeats for `cfg` until `shutdown` fires, counting them in `metrics` when given. Never
/// returns an error.
pub(crate) async fn run_heartbeats(
    cfg: HeartbeatConfig,
    shutdown: CancellationToken,
    metrics: Option<Metrics>,
) {
    let labels = FlowLabels {
        source: cfg.source.clone(),
        target: cfg.target.clone(),
    };
    let herder = cfg.label();
    let clients = crate::security::connection(&cfg.target_admin)
        .and_then(|admin| Ok((admin, crate::security::connection(&cfg.target_producer)?)));
    let (admin, producer) = match clients {
        Ok((admin, producer)) => (ClusterClient::new(admin), ClusterClient::new(producer)),
        Err(e) => {
            // Loading the config built the same settings, so only a store changed since then
            // gets here; the flows fail on it too and stop the process.
            error!(herder = %herder, target = %cfg.target, key = e.key, error = %e, "heartbeats cannot connect");
            return;
        }
    };
    let mut backoff = Backoff::new(cfg.target_producer.retry_backoff, MAX_RETRY_DELAY);
    let mut topic_ready = false;
    let mut next = Instant::now();
    let mut sent: u64 = 0;
    info!(herder = %herder, target = %cfg.target, interval_s = cfg.interval.as_secs(), "heartbeats starting");
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep_until(next) => {}
        }
        let attempt = async {
            if !topic_ready {
                internal_topic::create_compacted_topic(
                    &admin,
                    HEARTBEATS_TOPIC,
                    1,
                    cfg.replication_factor,
                    cfg.target_admin.request_timeout,
                )
                .await
                .map_err(|e| (true, e))?;
            }
            emit(&producer, &cfg).await.map_err(|e| (false, e))
        };
        let result = tokio::select! {
            _ = shutdown.cancelled() => break,
            r = attempt => r,
        };
        match result {
            Ok((offset, timestamp)) => {
                if let Some(m) = &metrics {
                    m.heartbeat(&labels, timestamp);
                }
                if !topic_ready {
                    info!(herder = %herder, cluster = %cfg.target, topic = HEARTBEATS_TOPIC, "heartbeats topic ready; emitting");
                    topic_ready = true;
                }
                sent += 1;
                trace!(herder = %herder, offset, "heartbeat emitted");
                backoff.reset();
                // A fixed rate, as MM2's task: a slow produce delays only the next beat.
                next += cfg.interval;
                let now = Instant::now();
                if next < now {
                    next = now;
                }
            }
            Err((creating, e)) => {
                let delay = backoff.next();
                if creating {
                    warn!(herder = %herder, cluster = %cfg.target, topic = HEARTBEATS_TOPIC, replication_factor = cfg.replication_factor, error = %e, retry_in_ms = delay.as_millis() as u64, "cannot create the heartbeats topic (check `heartbeats.topic.replication.factor` against the cluster); retrying");
                } else if !topic_ready && e.is_retriable() {
                    // A topic just created reaches the brokers' metadata a moment later.
                    debug!(herder = %herder, cluster = %cfg.target, error = %e, retry_in_ms = delay.as_millis() as u64, "heartbeats topic not usable yet; retrying");
                } else {
                    warn!(herder = %herder, cluster = %cfg.target, topic = HEARTBEATS_TOPIC, error = %e, retry_in_ms = delay.as_millis() as u64, "cannot emit a heartbeat; retrying");
                    if topic_missing(&e) {
                        // Deleted under us: create it again, as a restarted MM2 connector would.
                        topic_ready = false;
                    }
                }
                next = Instant::now() + delay;
            }
        }
    }
    info!(herder = %herder, heartbeats = sent, "heartbeats stopped");
}

/// Appends one `Heartbeat(source, target, now)` to `heartbeats` partition 0; returns its offset and
/// timestamp.
async fn emit(
    producer: &ClusterClient,
    cfg: &HeartbeatConfig,
) -> Result<(i64, i64), ProtocolError> {
    let now = crate::clock::now_ms();
    let beat = Heartbeat {
        source_alias: cfg.source.clone(),
        target_alias: cfg.target.clone(),
        timestamp: now,
    };
    let encoding = |e: crate::offsets::mm2_records::Mm2RecordError| ProtocolError::Codec {
        cluster: cfg.target.clone(),
        broker: "-".into(),
        api: kafka_protocol::messages::ApiKey::Produce,
        message: e.to_string(),
    };
    let record = InternalRecord::new(
        beat.encode_key().map_err(encoding)?,
        beat.encode_value().map_err(encoding)?,
        now,
    );
    internal_topic::produce(
        producer,
        HEARTBEATS_TOPIC,
        0,
        &[record],
        cfg.produce.request_timeout,
    )
    .await
    .map(|offset| (offset, now))
}

/// Whether a produce failed because the topic or partition does not exist.
fn topic_missing(e: &ProtocolError) -> bool {
    matches!(
        e.code(),
        Some(kafka_protocol::error::ResponseError::UnknownTopicOrPartition)
    )
}
