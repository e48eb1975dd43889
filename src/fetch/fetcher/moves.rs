//! The fetcher moving a partition's position other than by reading on: back inside the source log
//! after retention or truncation, to a recreated source topic's start, and to the source's start
//! when the remote topic was deleted on the target. Each move is said and reported.

use tracing::{error, info, warn};

use super::Fetcher;
use crate::fetch::settings::StartAt;
use crate::fetch::source::FetchSource;
use crate::fetch::{ResetReason, SourceReset};
use crate::protocol::admin::OffsetSpec;
use crate::protocol::TopicPartition;

impl<C: FetchSource> Fetcher<C> {
    /// Moves partitions whose fetch offset left the source log back inside it, reporting loudly any
    /// records that were deleted before they could be copied.
    pub(super) async fn reset_out_of_range(&mut self, keys: Vec<TopicPartition>) {
        let earliest = self.client.list_offsets(&keys, OffsetSpec::Earliest).await;
        let latest = self.client.list_offsets(&keys, OffsetSpec::Latest).await;
        for key in keys {
            let Some(pos) = self.positions.get_mut(&key) else {
                continue;
            };
            let (Some(Ok(start)), Some(Ok(end))) = (earliest.get(&key), latest.get(&key)) else {
                let delay = pos.back_off(self.retry_backoff);
                warn!(partition = %pos.route, retry_in = ?delay, "offset out of range and the log bounds could not be read; retrying");
                continue;
            };
            let (start, end) = (*start, *end);
            if pos.next_offset < start {
                error!(
                    partition = %pos.route,
                    from = pos.next_offset,
                    to = start,
                    lost = start - pos.next_offset,
                    "DATA GAP: the source deleted records before they were replicated; resuming at the earliest available offset"
                );
                self.resets.push(SourceReset {
                    reason: ResetReason::Retention,
                    lost: start - pos.next_offset,
                });
                pos.next_offset = start;
            } else {
                let to = match self.settings.start_at {
                    StartAt::Earliest => start,
                    StartAt::Latest => end,
                };
                error!(
                    partition = %pos.route,
                    position = pos.next_offset,
                    log_start = start,
                    log_end = end,
                    resume_at = to,
                    "the source log is shorter than what was already replicated (truncated or recreated); resetting per auto.offset.reset"
                );
                self.resets.push(SourceReset {
                    reason: ResetReason::Truncated,
                    lost: 0,
                });
                pos.next_offset = to;
            }
            pos.retry_at = None;
        }
    }
    /// Moves partitions whose source topic was deleted and created again (metadata names a new
    /// topic id) to where `auto.offset.reset` starts a new topic, saying so loudly: the old topic's
    /// records are gone from the source, and the new topic's must be copied, never skipped because
    /// the old position happens to exist in it. A partition whose new log bounds cannot be read
    /// keeps its old id and is tried again.
    pub(super) async fn restart_recreated(&mut self, keys: Vec<TopicPartition>) {
        let starts = (self.client)
            .list_offsets(&keys, self.settings.start_at.offset_spec())
            .await;
        for key in keys {
            let new_id = self.client.topic_id(&key.topic);
            let Some(pos) = self.positions.get_mut(&key) else {
                continue;
            };
            let Some(Ok(start)) = starts.get(&key) else {
                let delay = pos.back_off(self.retry_backoff);
                warn!(partition = %pos.route, retry_in = ?delay, "the source topic was recreated and its new log bounds could not be read; retrying");
                continue;
            };
            error!(
                partition = %pos.route,
                old_topic_id = %pos.topic_id.unwrap_or_default(),
                new_topic_id = %new_id.unwrap_or_default(),
                old_position = pos.next_offset,
                resume_at = *start,
                "the source topic was deleted and created again (new topic id); replicating the new topic from where auto.offset.reset starts a new topic"
            );
            self.resets.push(SourceReset {
                reason: ResetReason::Recreated,
                lost: 0,
            });
            pos.topic_id = new_id;
            pos.next_offset = *start;
            pos.max_bytes = self.settings.partition_max_bytes;
            pos.failures = 0;
            pos.retry_at = None;
        }
    }

    /// Moves partitions whose remote topic was deleted on the target to the source's earliest
    /// offset, so that the new remote topic gets everything the source still holds; reported to
    /// the producer in the next round. A partition whose log start cannot be read is tried again.
    pub(super) async fn restart_at_earliest(&mut self, keys: Vec<TopicPartition>) {
        let starts = self.client.list_offsets(&keys, OffsetSpec::Earliest).await;
        for key in keys {
            let Some(pos) = self.positions.get_mut(&key) else {
                continue;
            };
            let Some(Ok(start)) = starts.get(&key) else {
                let delay = pos.back_off(self.retry_backoff);
                warn!(partition = %pos.route, retry_in = ?delay, "cannot read the source's log start to copy the partition again; retrying");
                continue;
            };
            info!(partition = %pos.route, old_position = pos.next_offset, from = *start, "copying the partition again from the source's earliest offset");
            pos.restart = false;
            pos.next_offset = *start;
            pos.max_bytes = self.settings.partition_max_bytes;
            pos.failures = 0;
            pos.retry_at = None;
            pos.corrupt = None;
            self.restarted.push((pos.route.clone(), *start));
        }
    }
}
