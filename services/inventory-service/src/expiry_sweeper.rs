//! The expiry sweeper: the worker that releases holds whose time has passed (movement
//! `expired`). Each round expires up to `batch` due holds, the oldest first, in one
//! transaction; while a round finds a full batch due, the next starts at once, so a
//! backlog drains as fast as the database takes it instead of one batch per interval. A
//! full batch counts even when another instance expired some of it first, so instances
//! sharing a backlog keep pace together: each hold is expired under its product's row
//! lock, once. A sweep in progress at shutdown finishes first.

use std::{sync::Arc, time::Duration};

use chrono::Utc;
use service::{Pace, Periodic};
use tokio_util::sync::CancellationToken;

use crate::adapters::postgres::PgInventoryStore;
use crate::application::Inventory;

/// Sweeps until `stop` is cancelled.
pub async fn run(
    inventory: Arc<Inventory<PgInventoryStore>>,
    interval: Duration,
    batch: i64,
    stop: CancellationToken,
) {
    Periodic::new("expiry sweeper", interval)
        .run(stop, || async {
            let sweep = inventory.expire_due(Utc::now(), batch).await?;
            if sweep.expired > 0 {
                tracing::info!(
                    expired = sweep.expired,
                    due = sweep.due,
                    "expired due holds"
                );
            }
            Ok::<_, crate::application::Error>(Pace::of(sweep.due, batch))
        })
        .await;
}
