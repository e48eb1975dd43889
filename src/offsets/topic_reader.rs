//! Reading records back from a partition: internal topics at start-up (progress, offset-syncs,
//! checkpoints) and, for `strait status` and the failover commands, the tail of a topic or the
//! record at one offset. Read-only: nothing here creates a topic.

use bytes::Bytes;

use super::internal_topic::TopicIoError;
use crate::protocol::admin::{list_offsets, OffsetSpec};
use crate::protocol::fetch_request::{self, FetchLimits, PartitionFetch};
use crate::protocol::{ClusterClient, ProtocolError, TopicPartition};
use crate::records::{decode_records, split_batches};

/// A record read back from a partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    /// Its offset in the partition.
    pub offset: i64,
    /// Its timestamp (CreateTime, or the broker's LogAppendTime), epoch milliseconds.
    pub timestamp: i64,
    /// Key (None for a null key).
    pub key: Option<Bytes>,
    /// Value (None for a tombstone).
    pub value: Option<Bytes>,
    /// Headers in order.
    pub headers: Vec<(Bytes, Option<Bytes>)>,
}

/// Where a read starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReadFrom {
    /// The log start.
    Start,
    /// This offset (or the log start when it is earlier).
    Offset(i64),
    /// The last `n` offsets before the end.
    Last(i64),
}

/// The log start and end offsets of one partition.
pub(crate) async fn bounds(
    client: &ClusterClient,
    topic: &str,
    partition: i32,
) -> Result<(i64, i64), TopicIoError> {
    let key = vec![TopicPartition::new(topic, partition)];
    let bound = |r: Option<Result<i64, ProtocolError>>| match r {
        Some(Ok(o)) => Ok(o),
        Some(Err(e)) => Err(TopicIoError::topic(
            client,
            topic,
            format!("cannot read the bounds of partition {partition}: {e}"),
        )),
        None => Err(TopicIoError::topic(
            client,
            topic,
            format!("no offsets returned for partition {partition}"),
        )),
    };
    let start = bound(
        list_offsets(client, &key, OffsetSpec::Earliest)
            .await
            .remove(&key[0]),
    )?;
    let end = bound(
        list_offsets(client, &key, OffsetSpec::Latest)
            .await
            .remove(&key[0]),
    )?;
    Ok((start, end))
}

/// Reads partition `partition` of `topic` from its log start to its current end. Each request is
/// bounded by the client's own request timeout.
pub(crate) async fn read_partition(
    client: &ClusterClient,
    topic: &str,
    partition: i32,
) -> Result<Vec<StoredRecord>, TopicIoError> {
    read_records(client, topic, partition, ReadFrom::Start, None).await
}

/// Reads partition `partition` of `topic` from `from` to its current end, or until `limit`
/// records were read. Control records are skipped.
pub(crate) async fn read_records(
    client: &ClusterClient,
    topic: &str,
    partition: i32,
    from: ReadFrom,
    limit: Option<usize>,
) -> Result<Vec<StoredRecord>, TopicIoError> {
    let wrap = |source| TopicIoError::Protocol {
        topic: topic.to_string(),
        source,
    };
    let (start, end) = bounds(client, topic, partition).await?;
    let settings = FetchLimits {
        max_wait_ms: 0,
        min_bytes: 1,
        max_bytes: 8 << 20,
        read_committed: false,
    };
    let corrupt = |e: crate::records::RecordsError| {
        TopicIoError::topic(client, topic, format!("unreadable record batch: {e}"))
    };
    let mut out = Vec::new();
    let first = match from {
        ReadFrom::Start => start,
        ReadFrom::Offset(o) => o.max(start),
        ReadFrom::Last(n) => end.saturating_sub(n).max(start),
    };
    let mut offset = first;
    let mut max_bytes = 1 << 20;
    let full = |out: &Vec<StoredRecord>| limit.is_some_and(|l| out.len() >= l);
    while offset < end && !full(&out) {
        let leader = client.leader_for(topic, partition).await.map_err(wrap)?;
        let req = fetch_request::build(
            &[PartitionFetch {
                topic: topic.to_string(),
                topic_id: client.metadata().topic_id(topic).unwrap_or_default(),
                partition,
                offset,
                max_bytes,
            }],
            &settings,
        );
        let (_, resp) = client.send_to(leader, &req).await.map_err(wrap)?;
        let data = resp
            .responses
            .iter()
            .flat_map(|t| t.partitions.iter())
            .find(|p| p.partition_index == partition)
            .ok_or_else(|| {
                TopicIoError::topic(
                    client,
                    topic,
                    format!("partition {partition} missing from a fetch response"),
                )
            })?;
        if data.error_code != 0 {
            return Err(TopicIoError::topic(
                client,
                topic,
                format!(
                    "reading partition {partition} failed with error code {}",
                    data.error_code
                ),
            ));
        }
        let records = data.records.clone().unwrap_or_default();
        let split = split_batches(&records).map_err(corrupt)?;
        if split.batches.is_empty() {
            // A single batch larger than the limit: ask for more.
            max_bytes = max_bytes.saturating_mul(4);
            continue;
        }
        for batch in &split.batches {
            offset = offset.max(batch.header.last_offset() + 1);
            if batch.header.is_control() {
                continue;
            }
            for r in decode_records(batch).map_err(corrupt)? {
                if r.offset < first || full(&out) {
                    continue;
                }
                out.push(StoredRecord {
                    offset: r.offset,
                    timestamp: r.timestamp,
                    key: r.key,
                    value: r.value,
                    headers: r.headers,
                });
            }
        }
    }
    Ok(out)
}
