//! Applying a Produce answer to the queues: each partition's result acknowledged (progress,
//! offset-syncs and metrics follow), retried, cut (too large) or refused, per [`verdict`].

use std::collections::HashMap;

use tracing::{debug, info, warn};

use super::{set_standing, TaskProducer, Wave};
use crate::fetch::FetchControl;
use crate::produce::queue::Failure;
use crate::produce::target::ProduceTarget;
use crate::produce::verdict::{verdict, Verdict};
use crate::protocol::produce_request::{self as request, PartitionResult};

impl<C: ProduceTarget> TaskProducer<C> {
    /// Applies one answered request.
    pub(super) fn handle(&mut self, wave: Wave) {
        if let Some(n) = self.waves_per_leader.get_mut(&wave.leader) {
            *n = n.saturating_sub(1);
        }
        let results = match wave.result {
            Ok((_, resp)) => {
                if resp.throttle_time_ms > 0 {
                    self.client.throttle(wave.leader, resp.throttle_time_ms);
                }
                request::results(&resp)
            }
            Err(e) => {
                if e.is_retriable() {
                    debug!(task = self.task, leader = wave.leader, error = %e, "produce request failed; retrying");
                } else {
                    warn!(task = self.task, leader = wave.leader, error = %e, "produce request failed; retrying");
                }
                for (key, id) in wave.sent {
                    if let Some(q) = self.queues.get_mut(&key) {
                        q.fail(id, Failure::Retry);
                    }
                }
                return;
            }
        };
        let by_partition: HashMap<(&str, i32), &PartitionResult> = results
            .iter()
            .map(|r| ((r.topic.as_str(), r.partition), r))
            .collect();
        // One clock read per answered request, for the latency of every batch it acknowledged.
        let now_ms = self.metrics.as_ref().map(|_| crate::clock::now_ms());
        for (key, id) in wave.sent {
            let Some(queue) = self.queues.get_mut(&key) else {
                continue;
            };
            let result = by_partition
                .get(&(key.topic.as_str(), key.partition))
                .copied();
            match result.map(verdict) {
                Some(Verdict::Done) => {
                    let base_offset = result.map_or(-1, |r| r.base_offset);
                    let mut landed = Vec::new();
                    let mark = queue.ack(id, base_offset, &mut landed);
                    if let (Some(m), Some(now)) = (&queue.metrics, now_ms) {
                        for l in &landed {
                            m.acked(l.records, l.bytes, l.max_timestamp, now);
                        }
                        if let Some(next) = mark {
                            let newest = landed.iter().map(|l| l.max_timestamp).max();
                            m.replicated(next, newest.unwrap_or(i64::MIN));
                        }
                    }
                    if let Some(log) = &self.sync_log {
                        let route = &queue.route;
                        for l in landed {
                            match l.base_offset {
                                Some(base) => log.on_batch(
                                    &route.source_topic,
                                    route.partition,
                                    &l.upstream,
                                    l.records,
                                    base,
                                ),
                                None => log.forget(&route.source_topic, route.partition),
                            }
                        }
                    }
                    if let Some(mark) = mark {
                        self.progress.record(&queue.route, mark);
                    }
                    self.backoff.reset();
                    let current = self.standing.get(&key).copied().unwrap_or_default();
                    let (next, recovered) = current.acknowledged();
                    set_standing(&mut self.standing, &key, next);
                    if recovered {
                        if let Some(m) = &self.metrics {
                            m.parked(-1);
                        }
                        info!(task = self.task, partition = %queue.route, "the target accepts this partition's data again; resuming");
                        let _ = self.control.send(FetchControl::Resume(queue.route.clone()));
                    }
                }
                Some(Verdict::TooLarge(why)) => {
                    let before = queue.too_large_at;
                    match queue.too_large(id, &why, &mut self.next_id) {
                        // Said once per smaller size refused, not once per batch cut.
                        Ok(true) if queue.too_large_at != before => {
                            warn!(task = self.task, partition = %queue.route, error = %why, refused_bytes = queue.too_large_at, "the target refuses batches this large (max.message.bytes); cutting them in two and retrying")
                        }
                        Ok(_) => {}
                        Err(e) => queue.fail(
                            id,
                            Failure::Refused(format!("{why}; cannot cut the batch: {e}")),
                        ),
                    }
                }
                Some(Verdict::Fail(f)) => queue.fail(id, f),
                None => queue.fail(id, Failure::Retry),
            }
        }
    }
}
