//! The expiry sweeper: a background worker that releases holds whose time has passed
//! (movement `expired`). Each round expires up to `batch` due holds, the oldest first,
//! in one transaction; while a round finds a full batch due, the next starts at once,
//! so a backlog drains as fast as the database takes it instead of one batch per
//! interval. Several instances may sweep one database: each hold is expired under its
//! product's row lock, once.

use std::{sync::Arc, time::Duration};

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use crate::adapters::postgres::PgInventoryStore;
use crate::application::{Inventory, Sweep};

#[derive(Debug)]
pub struct ExpirySweeper {
    pub inventory: Arc<Inventory<PgInventoryStore>>,
    pub interval: Duration,
    pub batch: i64,
}

impl ExpirySweeper {
    /// Sweeps until `stop` is cancelled; a sweep in progress finishes first.
    pub async fn run(self, stop: CancellationToken) {
        loop {
            let pause = match self.inventory.expire_due(Utc::now(), self.batch).await {
                Ok(sweep) => {
                    if sweep.expired > 0 {
                        tracing::info!(
                            expired = sweep.expired,
                            due = sweep.due,
                            "expired due holds"
                        );
                    }
                    pause_after(sweep, self.batch, self.interval)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "expiry sweep failed; will retry");
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

/// No pause after a full batch: more may be due. A full batch counts even when another
/// instance expired some of it first, so instances sharing a backlog keep pace together.
fn pause_after(sweep: Sweep, batch: i64, interval: Duration) -> Duration {
    if i64::try_from(sweep.due).unwrap_or(i64::MAX) >= batch {
        Duration::ZERO
    } else {
        interval
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INTERVAL: Duration = Duration::from_millis(500);

    fn sweep(due: usize, expired: usize) -> Sweep {
        Sweep { due, expired }
    }

    #[test]
    fn a_full_batch_is_followed_at_once_by_the_next() {
        assert_eq!(pause_after(sweep(100, 100), 100, INTERVAL), Duration::ZERO);
        // Another instance expired them first: more may still be due.
        assert_eq!(pause_after(sweep(100, 0), 100, INTERVAL), Duration::ZERO);
    }

    #[test]
    fn a_round_short_of_a_batch_waits_for_the_interval() {
        assert_eq!(pause_after(sweep(99, 99), 100, INTERVAL), INTERVAL);
        assert_eq!(pause_after(Sweep::default(), 100, INTERVAL), INTERVAL);
    }
}
