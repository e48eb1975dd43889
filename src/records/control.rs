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
pub enum ControlType {
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
    pub fn from_key(key: &[u8]) -> Result<ControlType, RecordsError> {
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
    pub fn from_batch(batch: &Batch) -> Result<Option<ControlType>, RecordsError> {
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
pub struct AbortedFilter {
    /// Aborted transactions not yet reached, smallest first offset on top.
    pending: BinaryHeap<Reverse<(i64, i64)>>,
    /// Producers whose aborted transaction is in progress at the current position.
    active: HashSet<i64>,
}

impl AbortedFilter {
    /// Builds the filter from `(producer_id, first_offset)` pairs in any order.
    pub fn new(aborted: impl IntoIterator<Item = (i64, i64)>) -> Self {
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
    pub fn skip(&mut self, batch: &Batch) -> Result<bool, RecordsError> {
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
