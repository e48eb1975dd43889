//! Where one target partition stands in its producer beyond what its queue holds: sending,
//! waiting out a retry, parked because the target refuses its data, being tried again after
//! that, or halted for good. One enum per partition, and its transitions as pure functions of the
//! failure its queue reports and the time, so that they are unit-tested on paused time.

use std::time::Duration;

use tokio::time::Instant;

use super::queue::Failure;

/// How often a parked partition is tried again.
pub(super) const PARKED_RETRY: Duration = Duration::from_secs(30);

/// A partition's standing. A partition the producer has no entry for is [`Standing::Flowing`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum Standing {
    /// Sending as its queue allows (queued, in flight).
    #[default]
    Flowing,
    /// Waiting until `at` before resending after a retriable error. `recovering` keeps that the
    /// partition was parked and has not been accepted since.
    RetryingAt { at: Instant, recovering: bool },
    /// The target refused its data: fetching is paused, and it is tried again at `until`.
    Parked { until: Instant },
    /// Parked before and sending again: the first acknowledgement resumes its fetching.
    Recovering,
    /// A source batch cannot be forwarded: nothing more is sent until strait restarts.
    Halted,
}

/// What the producer does for a partition after [`Standing::settle`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Settle {
    /// Nothing yet: its wait is not over.
    Wait,
    /// Send again from the first unacknowledged batch.
    Resend,
    /// A retriable error: wait, and refresh the topic's leaders first (they may have moved).
    Backoff,
    /// Refused: pause fetching and log it; `newly` when it was not parked or recovering
    /// already (the parked-partitions count goes up by one).
    Park { newly: bool },
    /// The target lost this producer's state: take a new producer id.
    NewProducerId,
}

impl Standing {
    /// The next standing of a partition whose in-flight batches have all answered with `failure`
    /// pending, at `now`. `backoff` gives the wait before a retry.
    pub(super) fn settle(
        self,
        failure: &Failure,
        now: Instant,
        backoff: impl FnOnce() -> Duration,
    ) -> (Standing, Settle) {
        match (failure, self) {
            (Failure::None, s) | (_, s @ Standing::Halted) => (s, Settle::Wait),
            (Failure::Sequence, s) => (s, Settle::NewProducerId),
            (Failure::Retry, Standing::RetryingAt { at, recovering }) => {
                if at <= now {
                    (Standing::after_wait(recovering), Settle::Resend)
                } else {
                    (self, Settle::Wait)
                }
            }
            (Failure::Retry, s) => (
                Standing::RetryingAt {
                    at: now + backoff(),
                    recovering: s.is_recovering(),
                },
                Settle::Backoff,
            ),
            (Failure::Refused(_), Standing::Parked { until }) => {
                if until <= now {
                    (Standing::Recovering, Settle::Resend)
                } else {
                    (self, Settle::Wait)
                }
            }
            (Failure::Refused(_), s) => (
                Standing::Parked {
                    until: now + PARKED_RETRY,
                },
                Settle::Park {
                    newly: !s.is_recovering(),
                },
            ),
        }
    }

    /// The standing once the target acknowledged a batch, and whether that ends a recovery (the
    /// partition's fetching resumes and the parked count goes down by one).
    pub(super) fn acknowledged(self) -> (Standing, bool) {
        match self {
            Standing::Recovering
            | Standing::RetryingAt {
                recovering: true, ..
            } => (Standing::Flowing, true),
            other => (other, false),
        }
    }

    /// The standing after a new producer id: every queue is re-encoded and resent, so pending
    /// retry waits are over.
    pub(super) fn after_new_producer_id(self) -> Standing {
        match self {
            Standing::RetryingAt { recovering, .. } => Standing::after_wait(recovering),
            other => other,
        }
    }

    /// Whether nothing of the partition is sent for now (parked or halted); its fetching is
    /// paused, and what it holds must not stop the task's other partitions.
    pub(super) fn is_stopped(self) -> bool {
        matches!(self, Standing::Parked { .. } | Standing::Halted)
    }

    /// When the partition wants the producer to look at it again, if it waits for a time.
    pub(super) fn wake_at(self) -> Option<Instant> {
        match self {
            Standing::RetryingAt { at, .. } => Some(at),
            Standing::Parked { until } => Some(until),
            _ => None,
        }
    }

    /// Whether the partition counts in `strait_partitions_parked` (parked, or not yet accepted
    /// since).
    pub(super) fn is_parked(self) -> bool {
        matches!(self, Standing::Parked { .. }) || self.is_recovering()
    }

    fn is_recovering(self) -> bool {
        matches!(
            self,
            Standing::Recovering
                | Standing::RetryingAt {
                    recovering: true,
                    ..
                }
        )
    }

    fn after_wait(recovering: bool) -> Standing {
        if recovering {
            Standing::Recovering
        } else {
            Standing::Flowing
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BACKOFF: Duration = Duration::from_millis(100);

    fn refused() -> Failure {
        Failure::Refused("MessageTooLarge".into())
    }

    /// NOT_LEADER and the like: wait out the backoff (refreshing leaders once), then resend.
    #[tokio::test(start_paused = true)]
    async fn a_retriable_error_waits_out_the_backoff_then_resends() {
        let (s, step) = Standing::Flowing.settle(&Failure::Retry, Instant::now(), || BACKOFF);
        assert_eq!(step, Settle::Backoff);
        assert_eq!(s.wake_at(), Some(Instant::now() + BACKOFF));
        assert!(!s.is_stopped());
        tokio::time::advance(BACKOFF / 2).await;
        let (s, step) = s.settle(&Failure::Retry, Instant::now(), || unreachable!());
        assert_eq!(step, Settle::Wait);
        tokio::time::advance(BACKOFF / 2).await;
        let (s, step) = s.settle(&Failure::Retry, Instant::now(), || unreachable!());
        assert_eq!((s, step), (Standing::Flowing, Settle::Resend));
        // An acknowledgement then changes nothing: it was never parked.
        assert_eq!(s.acknowledged(), (Standing::Flowing, false));
    }

    /// A refused partition is parked (counted once), tried again after 30 s, parked again without
    /// being counted twice, and resumes on its first acknowledgement.
    #[tokio::test(start_paused = true)]
    async fn a_refused_partition_is_parked_retried_and_resumed() {
        let (s, step) = Standing::Flowing.settle(&refused(), Instant::now(), || BACKOFF);
        assert_eq!(step, Settle::Park { newly: true });
        assert!(s.is_stopped());
        assert_eq!(s.wake_at(), Some(Instant::now() + PARKED_RETRY));
        tokio::time::advance(PARKED_RETRY - Duration::from_millis(1)).await;
        assert_eq!(
            s.settle(&refused(), Instant::now(), || BACKOFF).1,
            Settle::Wait
        );
        tokio::time::advance(Duration::from_millis(1)).await;
        let (s, step) = s.settle(&refused(), Instant::now(), || BACKOFF);
        assert_eq!((s, step), (Standing::Recovering, Settle::Resend));
        assert!(!s.is_stopped());
        // Refused again while recovering: parked again, not counted again.
        let (parked, step) = s.settle(&refused(), Instant::now(), || BACKOFF);
        assert_eq!(step, Settle::Park { newly: false });
        assert!(parked.is_stopped());
        // A recovering partition whose retry is acknowledged ends its recovery.
        let (retrying, _) = s.settle(&Failure::Retry, Instant::now(), || BACKOFF);
        assert_eq!(retrying.acknowledged(), (Standing::Flowing, true));
        assert_eq!(s.acknowledged(), (Standing::Flowing, true));
    }

    /// A lost producer state asks for a new producer id, which ends retry waits (everything is
    /// re-encoded and resent) but keeps a recovery pending.
    #[tokio::test(start_paused = true)]
    async fn a_lost_producer_state_takes_a_new_producer_id() {
        for s in [Standing::Flowing, Standing::Recovering] {
            let (same, step) = s.settle(&Failure::Sequence, Instant::now(), || BACKOFF);
            assert_eq!((same, step), (s, Settle::NewProducerId));
        }
        let (waiting, _) = Standing::Recovering.settle(&Failure::Retry, Instant::now(), || BACKOFF);
        assert_eq!(waiting.after_new_producer_id(), Standing::Recovering);
        let (waiting, _) = Standing::Flowing.settle(&Failure::Retry, Instant::now(), || BACKOFF);
        assert_eq!(waiting.after_new_producer_id(), Standing::Flowing);
        let parked = Standing::Parked {
            until: Instant::now() + PARKED_RETRY,
        };
        assert_eq!(parked.after_new_producer_id(), parked);
    }

    /// A halted partition stays halted whatever its queue reports.
    #[tokio::test(start_paused = true)]
    async fn a_halted_partition_stays_halted() {
        for f in [Failure::None, Failure::Retry, Failure::Sequence, refused()] {
            let (s, step) = Standing::Halted.settle(&f, Instant::now(), || BACKOFF);
            assert_eq!((s, step), (Standing::Halted, Settle::Wait));
        }
        assert!(Standing::Halted.is_stopped());
        assert_eq!(Standing::Halted.acknowledged(), (Standing::Halted, false));
    }
}
