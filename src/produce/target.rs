//! What the producer needs of the target cluster and of the progress store, as two narrow traits:
//! the real [`ClusterClient`] and [`ProgressStore`] in production, scripted stand-ins in the
//! producer's unit tests, so that its retries, parking and producer-id resets are tested on paused
//! time without brokers.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use kafka_protocol::messages::{ProduceRequest, ProduceResponse};
use kafka_protocol::ResponseError;
use uuid::Uuid;

use crate::offsets::progress::ProgressStore;
use crate::plan::Route;
use crate::protocol::admin::init_producer_id;
use crate::protocol::{ClusterClient, ProtocolError, TopicPartition};

/// The answer to a Produce request already written to its leader: awaited concurrently with
/// other requests, so it owns what it needs.
pub(crate) type PendingProduce =
    Pin<Box<dyn Future<Output = Result<(i16, ProduceResponse), ProtocolError>> + Send>>;

/// What the cached target metadata says of a remote topic: how a deleted one is noticed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RemoteTopic {
    /// It exists with this topic id (a topic deleted and created again gets a new one).
    Id(Uuid),
    /// The broker says it does not exist.
    Absent,
    /// Not in the metadata, or from a broker without topic ids: nothing can be told.
    Unknown,
}

/// The target cluster as the producer uses it.
pub(crate) trait ProduceTarget: Send + Sync + 'static {
    /// The cluster's alias, for logs.
    fn cluster_name(&self) -> &str;

    /// How soon to look again for a leader that metadata did not have.
    fn retry_backoff(&self) -> Duration;

    /// The leader of `tp` in the cached metadata.
    fn leader(&self, tp: &TopicPartition) -> Option<i32>;

    /// What the cached metadata says of `topic` (see [`RemoteTopic`]).
    fn remote_topic(&self, topic: &str) -> RemoteTopic;

    /// Refreshes the cached metadata of `topics` (leaders may have moved).
    fn refresh_metadata(
        &self,
        topics: &[String],
    ) -> impl Future<Output = Result<(), ProtocolError>> + Send;

    /// A new idempotent producer id and epoch.
    fn init_producer_id(
        &self,
        timeout: Duration,
    ) -> impl Future<Output = Result<(i64, i16), ProtocolError>> + Send;

    /// Writes `req` to broker `leader` now, in call order, and returns its answer to await.
    fn send(
        &self,
        leader: i32,
        req: &ProduceRequest,
    ) -> impl Future<Output = Result<PendingProduce, ProtocolError>> + Send;

    /// Honours a broker's quota throttle before the next request to it.
    fn throttle(&self, leader: i32, ms: i32);
}

impl ProduceTarget for ClusterClient {
    fn cluster_name(&self) -> &str {
        ClusterClient::cluster_name(self)
    }

    fn retry_backoff(&self) -> Duration {
        self.settings().retry_backoff
    }

    fn leader(&self, tp: &TopicPartition) -> Option<i32> {
        self.metadata().leader(&tp.topic, tp.partition)
    }

    fn remote_topic(&self, topic: &str) -> RemoteTopic {
        match self.metadata().topics.get(topic) {
            Some(t) if t.error == Some(ResponseError::UnknownTopicOrPartition) => {
                RemoteTopic::Absent
            }
            Some(t) if t.error.is_none() => t.id.map_or(RemoteTopic::Unknown, RemoteTopic::Id),
            _ => RemoteTopic::Unknown,
        }
    }

    async fn refresh_metadata(&self, topics: &[String]) -> Result<(), ProtocolError> {
        ClusterClient::refresh_metadata(self, Some(topics))
            .await
            .map(|_| ())
    }

    async fn init_producer_id(&self, timeout: Duration) -> Result<(i64, i16), ProtocolError> {
        init_producer_id(self, timeout).await
    }

    async fn send(
        &self,
        leader: i32,
        req: &ProduceRequest,
    ) -> Result<PendingProduce, ProtocolError> {
        let pending = self.start_to(leader, req).await?;
        Ok(Box::pin(pending.response()))
    }

    fn throttle(&self, leader: i32, ms: i32) {
        ClusterClient::throttle(self, leader, ms);
    }
}

/// Where the producer notes what the target acknowledged, so that replication resumes after it.
pub(crate) trait ProgressLog: Send + Sync {
    /// Every record of `route` before `next_offset` is on the target.
    fn record(&self, route: &Route, next_offset: i64);
}

impl ProgressLog for ProgressStore {
    fn record(&self, route: &Route, next_offset: i64) {
        ProgressStore::record(self, route, next_offset);
    }
}
