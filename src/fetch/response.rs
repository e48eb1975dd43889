//! Interpreting one partition of a Fetch response: which batches to forward, where the next fetch
//! starts, and what to do about an error. Pure logic, so every rule here is unit-tested on bytes.

use std::sync::Arc;

use kafka_protocol::messages::fetch_response::PartitionData;
use kafka_protocol::ResponseError;

use super::Chunk;
use crate::plan::Route;
use crate::records::{split_batches, trim_before, verify_crc, AbortedFilter, RecordsError};

/// What the fetcher should do with one partition after a response.
#[derive(Debug)]
pub(crate) enum PartitionOutcome {
    /// The partition answered; `chunk` is Some when there is something to forward or the position
    /// moved past skipped batches (control markers, aborted data).
    Data {
        /// Batches to hand to the producer, if any.
        chunk: Option<Chunk>,
        /// A batch larger than the partition byte limit was cut off: fetch again with this limit.
        needed_max_bytes: Option<i32>,
        /// A corrupt batch ended the chunk early (the next fetch starts at it).
        corrupt: Option<RecordsError>,
    },
    /// The fetch offset is outside the source log (deleted by retention, or the log was truncated).
    OutOfRange,
    /// Leadership moved or metadata is stale: refresh metadata and retry with backoff.
    Retriable(ResponseError),
    /// The broker refuses this partition (e.g. not authorized): report it and retry slowly.
    Failed(ResponseError),
    /// A batch in the response is corrupt or of an unsupported format.
    Corrupt(RecordsError),
}

/// Decides what one partition of a response means, given the offset it was fetched from.
pub(crate) fn interpret(
    route: &Arc<Route>,
    fetch_offset: i64,
    data: &PartitionData,
    read_committed: bool,
) -> PartitionOutcome {
    if data.error_code != 0 {
        return classify_error(data.error_code);
    }
    let Some(records) = data.records.as_ref() else {
        return PartitionOutcome::Data {
            chunk: None,
            needed_max_bytes: None,
            corrupt: None,
        };
    };
    let split = match split_batches(records) {
        Ok(s) => s,
        Err(e) => return PartitionOutcome::Corrupt(e),
    };
    let mut aborted = read_committed.then(|| {
        AbortedFilter::new(
            data.aborted_transactions
                .iter()
                .flatten()
                .map(|t| (t.producer_id.0, t.first_offset)),
        )
    });
    let mut next_offset = fetch_offset;
    let mut forward = Vec::with_capacity(split.batches.len());
    let mut corrupt = None;
    for batch in split.batches.iter() {
        let last = batch.header.last_offset();
        if last < fetch_offset {
            // The broker answers from the start of the batch holding the fetch offset; a batch
            // wholly before it was already handled.
            continue;
        }
        next_offset = last + 1;
        if let Some(filter) = aborted.as_mut() {
            match filter.skip(batch) {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => return PartitionOutcome::Corrupt(e),
            }
        }
        if batch.header.is_control() {
            continue;
        }
        if batch.header.base_offset < fetch_offset {
            // The fetch starts inside this batch: forward only what a consumer from here sees.
            match trim_before(batch, fetch_offset) {
                Ok(Some(trimmed)) => forward.push(trimmed),
                Ok(None) => {}
                Err(e) => return PartitionOutcome::Corrupt(e),
            }
            continue;
        }
        // The one CRC check of the data path (the producer's rewrite trusts it): a corrupt batch
        // is never forwarded. What came before it is; the next fetch starts at it.
        if let Err(e) = verify_crc(batch) {
            if forward.is_empty() {
                return PartitionOutcome::Corrupt(e);
            }
            next_offset = batch.header.base_offset;
            corrupt = Some(e);
            break;
        }
        forward.push(batch.clone());
    }
    let needed_max_bytes = if split.batches.is_empty() && split.truncated_tail {
        Some(truncated_batch_size(records))
    } else {
        None
    };
    let source_end = if read_committed && data.last_stable_offset >= 0 {
        data.last_stable_offset
    } else {
        data.high_watermark
    };
    let chunk = (next_offset > fetch_offset).then(|| Chunk {
        route: route.clone(),
        batches: forward,
        next_offset,
        source_end,
    });
    PartitionOutcome::Data {
        chunk,
        needed_max_bytes,
        corrupt,
    }
}

/// The byte size of the (only, truncated) batch at the start of `records`, read from its length
/// field when present; otherwise twice what came back, so the next fetch asks for more.
fn truncated_batch_size(records: &[u8]) -> i32 {
    const LENGTH_END: usize = 12;
    if records.len() >= LENGTH_END {
        let len = i32::from_be_bytes([records[8], records[9], records[10], records[11]]);
        len.saturating_add(LENGTH_END as i32)
    } else {
        (records.len() as i32).saturating_mul(2).max(1024)
    }
}

fn classify_error(code: i16) -> PartitionOutcome {
    match ResponseError::try_from_code(code) {
        Some(ResponseError::OffsetOutOfRange) => PartitionOutcome::OutOfRange,
        Some(
            e @ (ResponseError::NotLeaderOrFollower
            | ResponseError::LeaderNotAvailable
            | ResponseError::UnknownTopicOrPartition
            | ResponseError::FencedLeaderEpoch
            | ResponseError::UnknownLeaderEpoch
            | ResponseError::KafkaStorageError
            | ResponseError::ReplicaNotAvailable
            | ResponseError::OffsetNotAvailable
            | ResponseError::UnknownTopicId
            | ResponseError::InconsistentTopicId),
        ) => PartitionOutcome::Retriable(e),
        Some(e) if e.is_retriable() => PartitionOutcome::Retriable(e),
        Some(e) => PartitionOutcome::Failed(e),
        None => PartitionOutcome::Failed(ResponseError::UnknownServerError),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::test_support::{control_batch, kp_batch, KpOpts};
    use crate::records::Compression;
    use bytes::Bytes;
    use kafka_protocol::messages::fetch_response::AbortedTransaction;
    use kafka_protocol::messages::ProducerId;

    fn route() -> Arc<Route> {
        Arc::new(Route {
            source_topic: "t".into(),
            remote_topic: "p.t".into(),
            partition: 0,
        })
    }

    /// `n` records from `base` (a producer's transactional batch when `pid >= 0`), or a control
    /// marker of type `control` at `base`.
    fn batch(base: i64, n: i64, pid: i64, transactional: bool, control: Option<i16>) -> Vec<u8> {
        if let Some(kind) = control {
            return control_batch(base, pid, kind).to_vec();
        }
        let opts = KpOpts {
            producer_id: pid,
            producer_epoch: if pid >= 0 { 0 } else { -1 },
            transactional,
            ..KpOpts::default()
        };
        let offsets: Vec<i64> = (base..base + n).collect();
        kp_batch(&offsets, Compression::None, opts).to_vec()
    }

    fn data(parts: &[Vec<u8>], aborted: Vec<(i64, i64)>) -> PartitionData {
        let all: Vec<u8> = parts.concat();
        PartitionData::default()
            .with_records(Some(Bytes::from(all)))
            .with_aborted_transactions(Some(
                aborted
                    .into_iter()
                    .map(|(p, o)| {
                        AbortedTransaction::default()
                            .with_producer_id(ProducerId(p))
                            .with_first_offset(o)
                    })
                    .collect(),
            ))
    }

    fn chunk_of(o: PartitionOutcome) -> (Vec<i64>, i64) {
        match o {
            PartitionOutcome::Data { chunk: Some(c), .. } => (
                c.batches.iter().map(|b| b.header.base_offset).collect(),
                c.next_offset,
            ),
            other => panic!("expected data, got {other:?}"),
        }
    }

    #[test]
    fn forwards_batches_and_skips_control_markers() {
        let d = data(
            &[
                batch(0, 3, 7, true, None),
                batch(3, 1, 7, true, Some(1)),
                batch(4, 2, -1, false, None),
            ],
            vec![],
        );
        let (bases, next) = chunk_of(interpret(&route(), 0, &d, false));
        assert_eq!(bases, vec![0, 4]);
        assert_eq!(next, 6);
    }

    #[test]
    fn read_committed_drops_aborted_transactions_but_advances() {
        // producer 7 aborts [0,3) (marker at 3); producer 8 commits [4,6) (marker at 6).
        let d = data(
            &[
                batch(0, 3, 7, true, None),
                batch(3, 1, 7, true, Some(0)),
                batch(4, 2, 8, true, None),
                batch(6, 1, 8, true, Some(1)),
            ],
            vec![(7, 0)],
        );
        let (bases, next) = chunk_of(interpret(&route(), 0, &d, true));
        assert_eq!(bases, vec![4]);
        assert_eq!(next, 7);
        // read_uncommitted forwards the aborted data as MM2 does.
        let (bases, _) = chunk_of(interpret(&route(), 0, &d, false));
        assert_eq!(bases, vec![0, 4]);
    }

    /// A batch failing its CRC is never forwarded: the batches before it are, and the next fetch
    /// starts at it; a corrupt first batch is a `Corrupt` answer.
    #[test]
    fn a_corrupt_batch_stops_the_chunk_before_it() {
        let mut bad = batch(3, 3, -1, false, None);
        let last = bad.len() - 1;
        bad[last] ^= 0x40;
        let d = data(&[batch(0, 3, -1, false, None), bad.clone()], vec![]);
        let (bases, next) = chunk_of(interpret(&route(), 0, &d, false));
        assert_eq!((bases, next), (vec![0], 3));
        let d = data(&[bad], vec![]);
        assert!(matches!(
            interpret(&route(), 3, &d, false),
            PartitionOutcome::Corrupt(RecordsError::CorruptBatch { offset: 3, .. })
        ));
    }

    #[test]
    fn only_markers_still_moves_the_position() {
        let d = data(&[batch(10, 1, 7, true, Some(1))], vec![]);
        let (bases, next) = chunk_of(interpret(&route(), 10, &d, false));
        assert!(bases.is_empty());
        assert_eq!(next, 11);
    }

    #[test]
    fn truncated_tail_is_left_for_the_next_fetch() {
        let a = batch(0, 2, -1, false, None);
        let b = batch(2, 5, -1, false, None);
        let mut cut = b.clone();
        cut.truncate(b.len() - 3);
        let (bases, next) = chunk_of(interpret(&route(), 0, &data(&[a, cut], vec![]), false));
        assert_eq!(bases, vec![0]);
        assert_eq!(next, 2);
    }

    #[test]
    fn a_lone_oversized_batch_asks_for_its_size() {
        let b = batch(0, 50, -1, false, None);
        let full = b.len() as i32;
        let mut cut = b;
        cut.truncate(100);
        match interpret(&route(), 0, &data(&[cut], vec![]), false) {
            PartitionOutcome::Data {
                corrupt: None,
                chunk: None,
                needed_max_bytes: Some(n),
            } => assert_eq!(n, full),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn batches_before_the_fetch_offset_are_not_forwarded_again() {
        let d = data(
            &[batch(0, 2, -1, false, None), batch(2, 2, -1, false, None)],
            vec![],
        );
        let (bases, next) = chunk_of(interpret(&route(), 2, &d, false));
        assert_eq!(bases, vec![2]);
        assert_eq!(next, 4);
    }

    #[test]
    fn a_fetch_inside_a_batch_forwards_only_the_records_from_there() {
        let d = data(
            &[
                batch(100, 100, -1, false, None),
                batch(200, 5, -1, false, None),
            ],
            vec![],
        );
        match interpret(&route(), 150, &d, false) {
            PartitionOutcome::Data { chunk: Some(c), .. } => {
                assert_eq!(c.next_offset, 205);
                assert_eq!(c.batches[0].header.base_offset, 150);
                assert_eq!(c.batches[0].header.records_count, 50);
                assert_eq!(c.batches[1].header.base_offset, 200);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn errors_are_classified() {
        let e = |code| PartitionData::default().with_error_code(code);
        assert!(matches!(
            interpret(&route(), 0, &e(1), false),
            PartitionOutcome::OutOfRange
        ));
        assert!(matches!(
            interpret(&route(), 0, &e(6), false),
            PartitionOutcome::Retriable(_)
        ));
        assert!(matches!(
            interpret(&route(), 0, &e(29), false),
            PartitionOutcome::Failed(ResponseError::TopicAuthorizationFailed)
        ));
    }
}
