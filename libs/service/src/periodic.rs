//! The periodic worker: a round, a pause, the next round, until the service stops.

use std::{fmt::Display, future::Future, time::Duration};

use tokio_util::sync::CancellationToken;

/// What a round came to, which sets the pause before the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// The round found less than it may take: the next waits for the interval.
    Idle,
    /// The round took a full batch, so more may be waiting: the next starts at once,
    /// and a backlog drains as fast as it can be taken rather than a batch an interval.
    Busy,
}

impl Pace {
    /// [`Pace::Busy`] when `found` reached `batch`.
    pub fn of(found: usize, batch: i64) -> Self {
        if i64::try_from(found).unwrap_or(i64::MAX) >= batch {
            Self::Busy
        } else {
            Self::Idle
        }
    }
}

/// Runs a round every `interval` (at once after a [`Pace::Busy`] one) until stopped. A
/// failed round is logged and retried after the interval: a worker outlives the outages
/// of what it works on.
#[derive(Debug, Clone, Copy)]
pub struct Periodic {
    name: &'static str,
    interval: Duration,
    finish_round_on_stop: bool,
}

impl Periodic {
    /// A worker whose round in progress completes when the service stops.
    pub fn new(name: &'static str, interval: Duration) -> Self {
        Self {
            name,
            interval,
            finish_round_on_stop: true,
        }
    }

    /// A round in progress is dropped when the service stops, for work that commits in
    /// steps of its own and resumes at the next start (pruning a backlog, sampling).
    pub fn abandoning_rounds_on_stop(mut self) -> Self {
        self.finish_round_on_stop = false;
        self
    }

    /// Runs rounds until `stop` is cancelled.
    pub async fn run<F, Fut, E>(self, stop: CancellationToken, mut round: F)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Pace, E>>,
        E: Display,
    {
        loop {
            let outcome = if self.finish_round_on_stop {
                round().await
            } else {
                tokio::select! {
                    biased;
                    () = stop.cancelled() => break,
                    outcome = round() => outcome,
                }
            };
            let pause = match outcome {
                Ok(Pace::Busy) => Duration::ZERO,
                Ok(Pace::Idle) => self.interval,
                Err(e) => {
                    tracing::warn!(worker = self.name, error = %e, "round failed; will retry");
                    self.interval
                }
            };
            tokio::select! {
                () = stop.cancelled() => break,
                () = tokio::time::sleep(pause) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    };

    use super::*;

    #[test]
    fn a_full_batch_is_busy_and_anything_less_idle() {
        assert_eq!(Pace::of(100, 100), Pace::Busy);
        assert_eq!(Pace::of(101, 100), Pace::Busy);
        assert_eq!(Pace::of(99, 100), Pace::Idle);
        assert_eq!(Pace::of(0, 100), Pace::Idle);
    }

    #[tokio::test(start_paused = true)]
    async fn busy_rounds_follow_at_once_and_idle_ones_wait_for_the_interval() {
        let rounds = Arc::new(AtomicUsize::new(0));
        let stop = CancellationToken::new();
        let counted = rounds.clone();
        let worker = tokio::spawn(Periodic::new("test", Duration::from_secs(60)).run(
            stop.clone(),
            move || {
                let n = counted.fetch_add(1, Ordering::SeqCst);
                // Three full batches, then idle.
                async move { Ok::<_, String>(if n < 3 { Pace::Busy } else { Pace::Idle }) }
            },
        ));
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(rounds.load(Ordering::SeqCst), 4, "3 busy rounds and 1 idle");
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert_eq!(
            rounds.load(Ordering::SeqCst),
            5,
            "the next after the interval"
        );
        stop.cancel();
        worker.await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_round_is_retried_after_the_interval() {
        let rounds = Arc::new(AtomicUsize::new(0));
        let stop = CancellationToken::new();
        let counted = rounds.clone();
        let worker = tokio::spawn(Periodic::new("test", Duration::from_secs(10)).run(
            stop.clone(),
            move || {
                counted.fetch_add(1, Ordering::SeqCst);
                async { Err::<Pace, _>("database down") }
            },
        ));
        tokio::time::sleep(Duration::from_secs(25)).await;
        assert_eq!(rounds.load(Ordering::SeqCst), 3);
        stop.cancel();
        worker.await.unwrap();
    }
}
