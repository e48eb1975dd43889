//! The source side of a task: multi-partition Fetch requests to each source leader, the response
//! turned into [`Chunk`]s of whole record batches (zero-copy slices of the response buffer), and
//! per-partition error handling (leader moves, deleted data, authorization).
//!
//! Output goes one way, to the task's producer, over a bounded channel (backpressure). What a task
//! holds between fetch and acknowledgement also sizes its Fetch requests ([`budget`]), so its
//! memory stays bounded whatever `fetch.max.bytes` says.

pub(crate) mod budget;
pub(crate) mod fetcher;
pub(crate) mod response;
pub(crate) mod settings;
pub(crate) mod source;

use std::sync::Arc;

use crate::plan::Route;
use crate::records::Batch;

/// Batches fetched for one partition, in offset order, ready to forward.
#[derive(Debug, Clone)]
pub(crate) struct Chunk {
    /// Which partition and where it goes.
    pub(crate) route: Arc<Route>,
    /// Batches to forward (control batches and, under `read_committed`, aborted data removed).
    pub(crate) batches: Vec<Batch>,
    /// The fetch position after this chunk: once every batch here is on the target, progress for
    /// this partition may be saved as `next_offset`.
    pub(crate) next_offset: i64,
    /// Where the source log ended when this was fetched (the high watermark, or the last stable
    /// offset under `read_committed`): the lag metrics' end.
    pub(crate) source_end: i64,
}

impl Chunk {
    /// Total bytes of the batches in this chunk (for request sizing and memory accounting).
    pub(crate) fn bytes(&self) -> usize {
        self.batches.iter().map(|b| b.bytes.len()).sum()
    }
}

/// Everything one fetch response yielded, handed to the producer as a unit.
#[derive(Debug, Default)]
pub(crate) struct FetchedRound {
    /// Per-partition chunks, at most one per partition.
    pub(crate) chunks: Vec<Chunk>,
    /// Partitions whose source topic is gone: the producer drops their metric series (they come
    /// back if the topic does).
    pub(crate) gone: Vec<Arc<Route>>,
    /// Partitions whose position the fetcher moved because the source log no longer holds it
    /// (for the metrics: never a silent reset).
    pub(crate) resets: Vec<SourceReset>,
    /// Partition answers that held a corrupt batch (fetched again, or stopped: `halted`).
    pub(crate) corrupt_fetches: u32,
    /// Partitions stopped for good because their source batch is corrupt every time.
    pub(crate) halted: Vec<Arc<Route>>,
    /// Remote topics the fetcher was told to copy again ([`FetchControl::Restart`]): a barrier.
    /// Every chunk of theirs before this round is from the old positions, every one after it from
    /// the new ones.
    pub(crate) restarting: Vec<String>,
    /// Partitions the fetcher moved back to the source's earliest offset after a
    /// [`FetchControl::Restart`], with that offset (before any chunk from there).
    pub(crate) restarted: Vec<(Arc<Route>, i64)>,
}

/// Why the fetcher moved a partition's position other than by reading on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ResetReason {
    /// The source topic was deleted and created again (a new topic id): its partitions start
    /// where `auto.offset.reset` says, as a new topic's do.
    Recreated,
    /// Retention (or DeleteRecords) removed records before they were copied: they are lost.
    Retention,
    /// The source log ends before the position (truncated by an unclean election, or a topic
    /// recreated while strait was not running): reset per `auto.offset.reset`.
    Truncated,
}

impl ResetReason {
    /// The metric label.
    pub(crate) fn label(self) -> &'static str {
        match self {
            ResetReason::Recreated => "recreated",
            ResetReason::Retention => "retention",
            ResetReason::Truncated => "truncated",
        }
    }
}

/// One partition position moved by the fetcher (see [`ResetReason`]).
#[derive(Debug, Clone)]
pub(crate) struct SourceReset {
    /// Why.
    pub(crate) reason: ResetReason,
    /// Source records skipped without being copied (only [`ResetReason::Retention`] loses any
    /// that existed; a recreated or truncated log's old records are gone from the source).
    pub(crate) lost: i64,
}

/// Commands to a task's fetcher from the flow (new partitions) and from the task's producer
/// (pause a partition whose data the target refuses, resume it once it is accepted again).
#[derive(Debug)]
pub(crate) enum FetchControl {
    /// Start fetching these partitions at these offsets.
    Add(Vec<(Arc<Route>, i64)>),
    /// Stop fetching this partition until resumed (its produce is failing non-retriably).
    Pause(Arc<Route>),
    /// Fetch this partition again.
    Resume(Arc<Route>),
    /// The source topic of this partition is gone (deleted): stop fetching it, keeping where it
    /// stood, and tell the producer.
    Gone(Arc<Route>),
    /// A gone partition's topic is listed again: fetch it from where it stood.
    Back(Arc<Route>),
    /// This remote topic was deleted on the target: copy every partition of this task that goes
    /// to it again from the source's earliest offset, dropping what is in flight from the old
    /// positions, and say so ([`FetchedRound::restarting`], then [`FetchedRound::restarted`]).
    Restart(String),
}
