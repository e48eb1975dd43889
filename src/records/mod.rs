//! The record-batch layer: Kafka v2 record batches as bytes, touched as little as correctness allows.
//!
//! strait forwards what it fetched from the source cluster to the target cluster as the *same*
//! bytes. This module is the only place that looks inside those bytes:
//!
//! * [`split_batches`] walks the 61-byte batch headers of a Fetch response's `records` field and
//!   hands out zero-copy [`Batch`] slices, stopping quietly at the truncated batch a broker may
//!   leave at the end (the caller re-fetches from that batch's base offset).
//! * [`rewrite_for_target`] turns one source batch into one produce-ready batch: a memcpy plus a
//!   header patch (base offset, leader epoch, producer id/epoch/sequence, transactional and
//!   delete-horizon bits, CRC). Only a batch from a compacted topic, whose offsets have gaps and
//!   which a broker would reject as "Inconsistent batch offset range", is decompressed, renumbered
//!   and recompressed with the same codec, every record otherwise byte-identical.
//! * [`split_in_two`] cuts a produce-ready batch the target refuses as too large into halves.
//! * [`join`] joins small produce-ready batches waiting for the target into one (unless the
//!   operator asks for exact batch forwarding), each record unchanged.
//! * [`AbortedFilter`] implements `read_committed` the way the Java consumer does, so aborted
//!   transactional data and control markers never reach the target.
//! * [`record`] holds the small record walker and codec wrappers the two paths above need, and
//!   [`decode_records`] for the places (tests, exact offset translation) that want owned records.
//!
//! Nothing here panics on any input: every length read from the wire is checked, and every
//! malformed input is a [`RecordsError`].

pub(crate) mod batch;
pub(crate) mod control;
pub(crate) mod join;
pub(crate) mod record;
pub(crate) mod rewrite;
pub(crate) mod split;

pub(crate) use batch::verify_crc;
pub use batch::{split_batches, Batch, BatchHeader, Compression, SplitBatches};
pub(crate) use control::AbortedFilter;
pub(crate) use join::{can_join, join};
pub(crate) use record::decode_records;
pub use rewrite::{rewrite_for_target, ProducerFields, Rewritten, UpstreamOffsets};
pub(crate) use rewrite::{rewrite_verified, trim_before};
pub(crate) use split::split_in_two;

/// Everything that can be wrong with record bytes handed to this module.
///
/// The data path needs to tell "this is not something strait can forward" (an old message format)
/// from "these bytes are broken" (a corrupt batch, a codec failure), because the first is a
/// configuration problem and the second may be worth a re-fetch; each variant carries the batch's
/// base offset so the operator can find it in the source log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordsError {
    /// The batch uses a message format other than v2 (magic 0 and 1 are the pre-0.11 message sets,
    /// which have no producer fields and cannot be forwarded as-is).
    #[error(
        "record batch at offset {offset} has unsupported magic {magic} (only v2 is supported)"
    )]
    UnsupportedMagic {
        /// Base offset of the offending batch.
        offset: i64,
        /// The magic byte found.
        magic: i8,
    },
    /// The batch bytes are malformed: impossible lengths, a CRC mismatch, records that do not
    /// parse or do not add up to the declared count.
    #[error("corrupt record batch at offset {offset}: {reason}")]
    CorruptBatch {
        /// Base offset of the offending batch (-1 when not even that could be read).
        offset: i64,
        /// What was wrong, e.g. `CRC mismatch: expected 0x... (stored), actual 0x... (computed)`.
        reason: String,
    },
    /// Compressing or decompressing a records block failed.
    #[error("{codec} codec failed on record batch at offset {offset}: {message}")]
    Compression {
        /// Base offset of the batch (-1 when the codec was called without a batch).
        offset: i64,
        /// The codec, by its Kafka name (`gzip`, `snappy`, `lz4`, `zstd`).
        codec: Compression,
        /// The codec's own error text.
        message: String,
    },
}

impl RecordsError {
    /// Shorthand for a [`RecordsError::CorruptBatch`].
    pub(crate) fn corrupt(offset: i64, reason: impl Into<String>) -> Self {
        RecordsError::CorruptBatch {
            offset,
            reason: reason.into(),
        }
    }

    /// Re-labels an error raised without batch context (offset -1) with the batch's base offset.
    pub(crate) fn at(self, batch_offset: i64) -> Self {
        match self {
            RecordsError::UnsupportedMagic { offset: -1, magic } => {
                RecordsError::UnsupportedMagic {
                    offset: batch_offset,
                    magic,
                }
            }
            RecordsError::CorruptBatch { offset: -1, reason } => RecordsError::CorruptBatch {
                offset: batch_offset,
                reason,
            },
            RecordsError::Compression {
                offset: -1,
                codec,
                message,
            } => RecordsError::Compression {
                offset: batch_offset,
                codec,
                message,
            },
            other => other,
        }
    }
}

#[cfg(test)]
pub(crate) mod test_support;
