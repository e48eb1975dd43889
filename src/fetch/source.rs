//! What the fetcher needs of the source cluster, as a narrow trait: the real [`ClusterClient`] in
//! production, a scripted model of a source broker in the fetcher's unit tests, so that leader
//! moves, retention overtaking the copy, pausing and the byte budget are tested on paused time
//! without brokers.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use kafka_protocol::messages::{FetchRequest, FetchResponse};
use uuid::Uuid;

use crate::protocol::admin::{list_offsets, OffsetSpec};
use crate::protocol::{ClusterClient, ProtocolError, TopicPartition};

/// A Fetch on its way: awaited concurrently with the fetcher's other work, so it owns what it
/// needs.
pub(crate) type PendingFetch =
    Pin<Box<dyn Future<Output = Result<(i16, FetchResponse), ProtocolError>> + Send>>;

/// The source cluster as the fetcher uses it.
pub(crate) trait FetchSource: Send + Sync + 'static {
    /// The cluster's alias, for logs.
    fn cluster_name(&self) -> &str;

    /// The leader of `tp` in the cached metadata.
    fn leader(&self, tp: &TopicPartition) -> Option<i32>;

    /// The id of `topic` in the cached metadata (a recreated topic has a new one).
    fn topic_id(&self, topic: &str) -> Option<Uuid>;

    /// Refreshes the cached metadata of `topics` (leaders may have moved).
    fn refresh_metadata(
        &self,
        topics: &[String],
    ) -> impl Future<Output = Result<(), ProtocolError>> + Send;

    /// Sends `req` to broker `leader`; the answer is awaited by the caller.
    fn fetch(&self, leader: i32, req: FetchRequest) -> PendingFetch;

    /// The log start (`Earliest`) or end (`Latest`) offset of each partition.
    fn list_offsets(
        &self,
        partitions: &[TopicPartition],
        spec: OffsetSpec,
    ) -> impl Future<Output = HashMap<TopicPartition, Result<i64, ProtocolError>>> + Send;

    /// Honours a broker's quota throttle before the next request to it.
    fn throttle(&self, leader: i32, ms: i32);
}

impl FetchSource for ClusterClient {
    fn cluster_name(&self) -> &str {
        ClusterClient::cluster_name(self)
    }

    fn leader(&self, tp: &TopicPartition) -> Option<i32> {
        self.metadata().leader(&tp.topic, tp.partition)
    }

    fn topic_id(&self, topic: &str) -> Option<Uuid> {
        self.metadata().topic_id(topic)
    }

    async fn refresh_metadata(&self, topics: &[String]) -> Result<(), ProtocolError> {
        ClusterClient::refresh_metadata(self, Some(topics))
            .await
            .map(|_| ())
    }

    fn fetch(&self, leader: i32, req: FetchRequest) -> PendingFetch {
        let client = self.clone();
        Box::pin(async move { client.send_to(leader, &req).await })
    }

    async fn list_offsets(
        &self,
        partitions: &[TopicPartition],
        spec: OffsetSpec,
    ) -> HashMap<TopicPartition, Result<i64, ProtocolError>> {
        list_offsets(self, partitions, spec).await
    }

    fn throttle(&self, leader: i32, ms: i32) {
        ClusterClient::throttle(self, leader, ms);
    }
}
