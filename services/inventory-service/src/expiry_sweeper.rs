//! The expiry sweeper: a background worker that releases holds whose time has passed
//! (movement `expired`). Several instances may sweep one database: each hold is
//! expired under its row lock, once.

use std::{sync::Arc, time::Duration};

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use crate::adapters::postgres::PgInventoryStore;
use crate::application::Inventory;

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
            let mut pause = self.interval;
            match self.inventory.expire_due(Utc::now(), self.batch).await {
                Ok(0) => {}
                Ok(n) => {
                    tracing::info!(expired = n, "expired due holds");
                    if n as i64 >= self.batch {
                        // More may be due: go on at once.
                        pause = Duration::ZERO;
                    }
                }
                Err(e) => tracing::warn!(error = %e, "expiry sweep failed; will retry"),
            }
            tokio::select! {
                () = stop.cancelled() => break,
                () = tokio::time::sleep(pause) => {}
            }
        }
    }
}
