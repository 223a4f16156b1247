//! The saga's timers, as a worker: every interval it hands over pending orders whose
//! grace period ended and cancels (compensating) those past their deadline. The timers
//! are rows (`handover_at`, `deadline_at`), so they survive restarts; each order is
//! moved under its row lock, so several instances never move one twice. A round that
//! moved a full batch is followed at once by the next; a round in progress at shutdown
//! finishes first.

use std::{sync::Arc, time::Duration};

use chrono::Utc;
use service::{Pace, Periodic};
use tokio_util::sync::CancellationToken;

use crate::adapters::ServiceOrders;

/// Fires due timers until `stop` is cancelled.
pub async fn run(
    orders: Arc<ServiceOrders>,
    interval: Duration,
    batch: i64,
    stop: CancellationToken,
) {
    Periodic::new("saga timers", interval)
        .run(stop, || async {
            let moved = orders.fire_timers(Utc::now(), batch).await?;
            if moved > 0 {
                tracing::info!(moved, "saga timers fired");
            }
            Ok::<_, crate::application::Error>(Pace::of(moved, batch))
        })
        .await;
}
