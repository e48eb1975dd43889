//! Transaction markers and `read_committed` filtering.
//!
//! MirrorMaker 2 consumes with `isolation.level=read_committed`, so aborted transactional data and
//! the transaction markers themselves never reach the target. strait fetches with
//! `read_committed` too (the broker then stops at the last stable offset and lists the aborted
//! transactions in the fetched range) and must drop the same batches the Java consumer drops:
//! [`AbortedFilter`] is a transcription of `CompletedFetch`'s logic.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};

use super::batch::{verify_crc, Batch};
use super::record::{uncompressed_block, RecordIter};
use super::RecordsError;

/// The kind of a control record, from its key (`version: i16, type: i16`).
///
/// Only the transaction markers matter to the data path: an ABORT marker ends a producer's aborted
/// transaction in [`AbortedFilter`]; every control batch is dropped either way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ControlType {
    /// Type 0: the producer's open transaction was aborted.
    Abort,
    /// Type 1: the producer's open transaction was committed.
    Commit,
    /// Any other type (e.g. KRaft's leader-change and snapshot records), kept as its id.
    Other(i16),
}

impl ControlType {
    /// Parses a control record key like Java's `ControlRecordType.parse`: at least 4 bytes, a
    /// non-negative version (newer versions are read the same way), then the type id.
    ///
    /// Errors are [`RecordsError::CorruptBatch`] with offset -1.
    pub(crate) fn from_key(key: &[u8]) -> Result<ControlType, RecordsError> {
        if key.len() < 4 {
            return Err(RecordsError::corrupt(
                -1,
                format!(
                    "control record key has {} bytes, at least 4 needed",
                    key.len()
                ),
            ));
        }
        let version = i16::from_be_bytes([key[0], key[1]]);
        if version < 0 {
            return Err(RecordsError::corrupt(
                -1,
                format!("control record key has negative version {version}"),
            ));
        }
        Ok(match i16::from_be_bytes([key[2], key[3]]) {
            0 => ControlType::Abort,
            1 => ControlType::Commit,
            other => ControlType::Other(other),
        })
    }

    /// The type of a control batch's first record (a control batch holds exactly one), or `None`
    /// when compaction left the batch without records. Verifies the CRC first; errors if `batch`
    /// is not a control batch or its record has no key.
    pub(crate) fn from_batch(batch: &Batch) -> Result<Option<ControlType>, RecordsError> {
        let h = &batch.header;
        if !h.is_control() {
            return Err(RecordsError::corrupt(
                h.base_offset,
                "not a control batch (attribute bit 5 clear)",
            ));
        }
        verify_crc(batch)?;
        let block = uncompressed_block(batch)?;
        let Some(first) = RecordIter::new(&block).next() else {
            return Ok(None);
        };
        let first = first.map_err(|e| e.at(h.base_offset))?;
        let key = first
            .key
            .ok_or_else(|| RecordsError::corrupt(h.base_offset, "control record has a null key"))?;
        ControlType::from_key(key)
            .map(Some)
            .map_err(|e| e.at(h.base_offset))
    }
}

/// Decides, batch by batch, what a `read_committed` Java consumer would skip.
///
/// Built from one partition's `aborted_transactions` of one Fetch response (`(producer_id,
/// first_offset)` pairs) and fed that response's batches in order, exactly like the Java
/// consumer's `CompletedFetch`: before each batch with a producer id, aborted transactions whose
/// first offset is at or before the batch's last offset become active for their producer; a
/// transactional batch of an active producer is skipped; a control batch is always skipped, and an
/// ABORT marker deactivates its producer.
#[derive(Clone, Debug, Default)]
pub(crate) struct AbortedFilter {
    /// Aborted transactions not yet reached, smallest first offset on top.
    pending: BinaryHeap<Reverse<(i64, i64)>>,
    /// Producers whose aborted transaction is in progress at the current position.
    active: HashSet<i64>,
}

impl AbortedFilter {
    /// Builds the filter from `(producer_id, first_offset)` pairs in any order.
    pub(crate) fn new(aborted: impl IntoIterator<Item = (i64, i64)>) -> Self {
        AbortedFilter {
            pending: aborted
                .into_iter()
                .map(|(producer_id, first_offset)| Reverse((first_offset, producer_id)))
                .collect(),
            active: HashSet::new(),
        }
    }

    /// Whether the Java consumer would skip `batch` (aborted data or a control batch); must be
    /// called for every batch of the response, in order. Errors only when a control batch's
    /// marker cannot be read.
    pub(crate) fn skip(&mut self, batch: &Batch) -> Result<bool, RecordsError> {
        let h = &batch.header;
        if h.has_producer_id() {
            let last_offset = h.last_offset();
            while let Some(Reverse((first_offset, producer_id))) = self.pending.peek().copied() {
                if first_offset > last_offset {
                    break;
                }
                self.pending.pop();
                self.active.insert(producer_id);
            }
            if h.is_control() {
                if ControlType::from_batch(batch)? == Some(ControlType::Abort) {
                    self.active.remove(&h.producer_id);
                }
            } else if h.is_transactional() && self.active.contains(&h.producer_id) {
                return Ok(true);
            }
        }
        Ok(h.is_control())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::batch::Compression;
    use crate::records::test_support::*;

    #[test]
    fn control_keys() {
        assert_eq!(ControlType::from_key(&[0, 0, 0, 0]), Ok(ControlType::Abort));
        assert_eq!(
            ControlType::from_key(&[0, 0, 0, 1]),
            Ok(ControlType::Commit)
        );
        assert_eq!(
            ControlType::from_key(&[0, 0, 0, 5]),
            Ok(ControlType::Other(5))
        );
        // Newer key versions are read the same way; extra bytes are ignored.
        assert_eq!(
            ControlType::from_key(&[0, 3, 0, 1, 9]),
            Ok(ControlType::Commit)
        );
        assert!(ControlType::from_key(&[0, 0, 0]).is_err());
        assert!(ControlType::from_key(&[0xff, 0xff, 0, 0]).is_err());
    }

    #[test]
    fn java_markers() {
        let b = batches(&java_txn_fixture());
        assert_eq!(ControlType::from_batch(&b[2]), Ok(Some(ControlType::Abort)));
        assert_eq!(
            ControlType::from_batch(&b[3]),
            Ok(Some(ControlType::Commit))
        );
        assert!(ControlType::from_batch(&b[0]).is_err(), "data batch");
    }

    #[test]
    fn control_batch_without_records_or_key() {
        let mut h = HandHeader::for_records(3, &[]);
        h.flags = 0x30;
        let empty = Batch::from_bytes(build_batch(h, Compression::None, &[])).unwrap();
        assert_eq!(ControlType::from_batch(&empty), Ok(None));
        let mut r = hand_records([0, 1, 2]);
        r.truncate(2);
        let keyless = r[1..].to_vec();
        let mut h = HandHeader::for_records(3, &keyless);
        h.flags = 0x30;
        let b =
            Batch::from_bytes(build_batch(h, Compression::None, &encode_block(&keyless))).unwrap();
        let err = ControlType::from_batch(&b).unwrap_err();
        assert!(
            matches!(err, RecordsError::CorruptBatch { offset: 3, .. }),
            "{err}"
        );
    }

    #[test]
    fn java_transactions_read_committed() {
        let b = batches(&java_txn_fixture());
        let mut f = AbortedFilter::new([(1, 0)]);
        let skipped: Vec<bool> = b.iter().map(|b| f.skip(b).unwrap()).collect();
        // p1 aborted data, p2 committed data, p1 ABORT, p2 COMMIT, p3 idempotent data.
        assert_eq!(skipped, [true, false, true, true, false]);
        // read_uncommitted equivalent: no aborted list, only markers go.
        let mut f = AbortedFilter::new([]);
        let skipped: Vec<bool> = b.iter().map(|b| f.skip(b).unwrap()).collect();
        assert_eq!(skipped, [false, false, true, true, false]);
    }

    fn txn_batch(offsets: &[i64], producer_id: i64) -> Batch {
        let opts = KpOpts {
            producer_id,
            producer_epoch: 0,
            transactional: true,
            ..KpOpts::default()
        };
        Batch::from_bytes(kp_batch(offsets, Compression::None, opts)).unwrap()
    }

    #[test]
    fn interleaved_producers_with_a_second_transaction() {
        let log = [
            txn_batch(&[10, 11], 7),                             // p7 txn A (aborted)
            txn_batch(&[12], 8),                                 // p8 txn (committed)
            txn_batch(&[13], 7),                                 // p7 txn A (aborted)
            Batch::from_bytes(control_batch(14, 7, 0)).unwrap(), // p7 ABORT
            txn_batch(&[15], 7),                                 // p7 txn B (committed)
            Batch::from_bytes(control_batch(16, 8, 1)).unwrap(), // p8 COMMIT
            txn_batch(&[17], 8),                                 // p8 txn 2 (aborted)
            Batch::from_bytes(kp_batch(&[18], Compression::Gzip, KpOpts::default())).unwrap(),
            Batch::from_bytes(control_batch(19, 8, 0)).unwrap(), // p8 ABORT
            Batch::from_bytes(control_batch(20, 7, 1)).unwrap(), // p7 COMMIT
        ];
        // Listed out of order on purpose; the filter orders by first offset.
        let mut f = AbortedFilter::new([(8, 17), (7, 10)]);
        let skipped: Vec<bool> = log.iter().map(|b| f.skip(b).unwrap()).collect();
        assert_eq!(
            skipped,
            [true, false, true, true, false, true, true, false, true, true]
        );
    }

    #[test]
    fn aborted_entry_activates_when_a_batch_spans_its_first_offset() {
        // The aborted txn starts at 21, inside the producer's batch 20..22: the whole batch goes.
        let mut f = AbortedFilter::new([(5, 21)]);
        assert!(!f.skip(&txn_batch(&[18, 19], 5)).unwrap());
        assert!(f.skip(&txn_batch(&[20, 21, 22], 5)).unwrap());
        // A non-transactional batch of the same producer id is never skipped.
        let idempotent = KpOpts {
            producer_id: 5,
            producer_epoch: 0,
            ..KpOpts::default()
        };
        let b = Batch::from_bytes(kp_batch(&[23], Compression::None, idempotent)).unwrap();
        assert!(!f.skip(&b).unwrap());
    }

    #[test]
    fn unreadable_marker_is_an_error() {
        // A control record whose key is 2 bytes: Java's ControlRecordType.parse throws too.
        let rec = HandRecord {
            timestamp_delta: 0,
            offset_delta: 0,
            key: Some(vec![0, 0]),
            value: None,
            headers: vec![],
        };
        let mut h = HandHeader::for_records(30, std::slice::from_ref(&rec));
        h.flags = 0x30;
        h.producer_id = 1;
        let b =
            Batch::from_bytes(build_batch(h, Compression::None, &encode_block(&[rec]))).unwrap();
        let mut f = AbortedFilter::new([(1, 0)]);
        let err = f.skip(&b).unwrap_err();
        assert!(
            matches!(err, RecordsError::CorruptBatch { offset: 30, .. }),
            "{err}"
        );
    }
}
