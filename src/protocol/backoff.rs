//! Exponential backoff with jitter, and the one retry loop every caller in strait uses, so that
//! reconnects and retries behave like the Java client's (`reconnect.backoff.ms` /
//! `retry.backoff.ms` doubling up to their `.max.ms`, +-20% jitter so that many tasks hitting the same
//! failure do not retry in lockstep).

use std::future::Future;
use std::time::Duration;

use rand::Rng;
use tokio::time::Instant;
use tracing::warn;

use super::error::ProtocolError;
use super::settings::ConnectionSettings;

/// Relative jitter applied to every delay (Kafka's `CommonClientConfigs.RETRY_BACKOFF_JITTER`).
const JITTER: f64 = 0.2;

/// Exponential backoff state for one retry loop or one reconnecting broker slot: starts at
/// `initial`, doubles per [`Backoff::next`] up to `max`, each value jittered by +-20%.
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    initial: Duration,
    max: Duration,
    attempts: u32,
}

impl Backoff {
    /// A backoff from `initial` doubling up to `max` (`max` below `initial` is raised to `initial`).
    pub(crate) fn new(initial: Duration, max: Duration) -> Self {
        Backoff {
            initial,
            max: max.max(initial),
            attempts: 0,
        }
    }

    /// The backoff for retrying requests (`retry.backoff.ms` .. `retry.backoff.max.ms`).
    pub(crate) fn for_retry(settings: &ConnectionSettings) -> Self {
        Backoff::new(settings.retry_backoff, settings.retry_backoff_max)
    }

    /// The backoff between connection attempts to one broker (`reconnect.backoff.ms` ..
    /// `reconnect.backoff.max.ms`).
    pub(crate) fn for_reconnect(settings: &ConnectionSettings) -> Self {
        Backoff::new(settings.reconnect_backoff, settings.reconnect_backoff_max)
    }

    /// The delay before the next attempt; each call doubles the base for the following one.
    #[allow(clippy::should_implement_trait)] // not an iterator: it never ends
    pub(crate) fn next(&mut self) -> Duration {
        let base = self.base();
        self.attempts = self.attempts.saturating_add(1);
        if base.is_zero() {
            return base;
        }
        let factor = rand::rng().random_range((1.0 - JITTER)..=(1.0 + JITTER));
        base.mul_f64(factor)
    }

    /// Back to `initial`, after a success.
    pub(crate) fn reset(&mut self) {
        self.attempts = 0;
    }

    /// How many delays were handed out since the last reset.
    pub(crate) fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The un-jittered delay for the current attempt: `initial * 2^attempts`, capped at `max`.
    fn base(&self) -> Duration {
        let shift = self.attempts.min(31);
        self.initial
            .checked_mul(1u32 << shift)
            .map_or(self.max, |d| d.min(self.max))
    }
}

/// Runs `f` until it succeeds, fails with an error that is not retriable
/// ([`ProtocolError::is_retriable`]), or the next wait would pass `deadline`; in the last case the
/// last error is returned. Each retry is logged with `tracing::warn!` naming `what`.
pub(crate) async fn retry<T, F, Fut>(
    what: &str,
    backoff: &mut Backoff,
    deadline: Option<Instant>,
    mut f: F,
) -> Result<T, ProtocolError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ProtocolError>>,
{
    loop {
        match f().await {
            Ok(v) => {
                backoff.reset();
                return Ok(v);
            }
            Err(e) if !e.is_retriable() => return Err(e),
            Err(e) => {
                let delay = backoff.next();
                if let Some(deadline) = deadline {
                    if Instant::now() + delay >= deadline {
                        return Err(e);
                    }
                }
                warn!(
                    what,
                    attempt = backoff.attempts(),
                    delay_ms = delay.as_millis() as u64,
                    error = %e,
                    "retrying"
                );
                tokio::time::sleep(delay).await;
            }
        }
    }
}

/// Sleeps until `t`, or forever when there is no deadline: the timer arm of a `select!` loop whose
/// next wake-up may not exist.
pub(crate) async fn sleep_until_or_forever(t: Option<tokio::time::Instant>) {
    match t {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::error::ResponseError;
    use kafka_protocol::messages::ApiKey;

    #[test]
    fn doubles_with_jitter_up_to_max_and_resets() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_millis(1000));
        let bases = [100u64, 200, 400, 800, 1000, 1000];
        for base in bases {
            let d = b.next().as_secs_f64() * 1000.0;
            let base = base as f64;
            assert!(
                d >= base * 0.8 - 0.001 && d <= base * 1.2 + 0.001,
                "{d} vs {base}"
            );
        }
        b.reset();
        let d = b.next();
        assert!(d <= Duration::from_millis(120));
    }

    #[test]
    fn huge_attempt_counts_do_not_overflow() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(5));
        for _ in 0..100 {
            assert!(b.next() <= Duration::from_secs(6));
        }
    }

    fn err(code: ResponseError) -> ProtocolError {
        ProtocolError::Broker {
            cluster: "c".into(),
            api: ApiKey::Metadata,
            code,
            context: String::new(),
        }
    }

    #[tokio::test]
    async fn retries_retriable_until_success() {
        let mut b = Backoff::new(Duration::from_millis(1), Duration::from_millis(2));
        let mut calls = 0;
        let r = retry("test", &mut b, None, || {
            calls += 1;
            let n = calls;
            async move {
                if n < 3 {
                    Err(err(ResponseError::LeaderNotAvailable))
                } else {
                    Ok(n)
                }
            }
        })
        .await;
        assert_eq!(r.ok(), Some(3));
        assert_eq!(b.attempts(), 0, "reset after success");
    }

    #[tokio::test(start_paused = true)]
    async fn stops_on_fatal_error_and_at_deadline() {
        let mut b = Backoff::new(Duration::from_millis(1), Duration::from_millis(2));
        let mut calls = 0;
        let r: Result<(), _> = retry("test", &mut b, None, || {
            calls += 1;
            async { Err(err(ResponseError::TopicAuthorizationFailed)) }
        })
        .await;
        assert!(r.is_err());
        assert_eq!(calls, 1);

        // Paused time: sleeps advance the clock exactly, so the deadline check is exact. With
        // 5 ms (+-20%) between attempts, a retry that would end past the deadline is not
        // started: the last error comes back before the deadline, never after it.
        let mut b = Backoff::new(Duration::from_millis(5), Duration::from_millis(5));
        let start = Instant::now();
        let deadline = start + Duration::from_millis(30);
        let mut calls = 0;
        let r: Result<(), _> = retry("test", &mut b, Some(deadline), || {
            calls += 1;
            async { Err(err(ResponseError::LeaderNotAvailable)) }
        })
        .await;
        assert_eq!(
            r.unwrap_err().code(),
            Some(ResponseError::LeaderNotAvailable)
        );
        assert!(Instant::now() <= deadline, "returned after the deadline");
        assert!(
            (5..=8).contains(&calls),
            "{calls} attempts in 30 ms at 4-6 ms apart"
        );
    }
}
