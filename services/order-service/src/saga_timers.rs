//! The saga's timers, as a worker: every interval it hands over pending orders whose
//! grace period ended and cancels (compensating) those past their deadline. The timers
//! are rows (`handover_at`, `deadline_at`), so they survive restarts; each order is
//! moved under its row lock, so several instances never move one twice.

use std::{sync::Arc, time::Duration};

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use crate::adapters::postgres::PgOrderStore;
use crate::application::Orders;

#[derive(Debug)]
pub struct SagaTimers {
    pub orders: Arc<Orders<PgOrderStore>>,
    pub interval: Duration,
    pub batch: i64,
}

impl SagaTimers {
    pub async fn run(self, stop: CancellationToken) {
        loop {
            let mut pause = self.interval;
            match self.orders.fire_timers(Utc::now(), self.batch).await {
                Ok(0) => {}
                Ok(n) => {
                    tracing::info!(moved = n, "saga timers fired");
                    if n as i64 >= self.batch {
                        pause = Duration::ZERO;
                    }
                }
                Err(e) => tracing::warn!(error = %e, "saga timers failed; will retry"),
            }
            tokio::select! {
                () = stop.cancelled() => break,
                () = tokio::time::sleep(pause) => {}
            }
        }
    }
}
