//! What order-service measures about the saga:
//!
//! - `saga_duration_seconds{path,outcome}`: from placement to the decision, by the path
//!   that decided (`http`, `event`, `timer`) and the outcome (`confirmed`, `cancelled`);
//! - `saga_compensations_total{reason}`: cancellations that make the inventory give back
//!   what it holds, by reason (`timeout`, `expired`, `refused`, `stock_lost`,
//!   `cancelled`);
//! - `saga_stock_lost_total{path}`: orders cancelled because their lines could not be
//!   committed (a hold expired and its units were sold meanwhile): each is a checkout
//!   the shop took and could not keep, worth an alert;
//! - `saga_events_refused_total{event_type}`: inventory events whose lines are not their
//!   order's, refused without moving the order;
//! - `orders_by_status{status}`: orders in each status, sampled by [`OrderSampler`].

use std::{sync::Once, time::Duration};

use metrics::{
    Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram,
};
use sqlx::PgPool;
use tokio::time::{self, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use crate::domain::{Order, OrderStatus};

const DURATION: &str = "saga_duration_seconds";
const COMPENSATIONS: &str = "saga_compensations_total";
const BY_STATUS: &str = "orders_by_status";
const STOCK_LOST: &str = "saga_stock_lost_total";
const REFUSED: &str = "saga_events_refused_total";

/// Counts an inventory event refused because its lines are not its order's.
pub fn refused(event_type: &'static str) {
    describe();
    counter!(REFUSED, "event_type" => event_type).increment(1);
}

/// Records an order that a change has just decided.
pub fn decided(order: &Order) {
    describe();
    let Some((took, path)) = order.decided() else {
        return;
    };
    let outcome = match order.status {
        OrderStatus::Confirmed => "confirmed",
        OrderStatus::Cancelled => "cancelled",
        OrderStatus::Pending | OrderStatus::Reserved => return,
    };
    histogram!(DURATION, "path" => path.as_str(), "outcome" => outcome).record(took);
    if order.status == OrderStatus::Cancelled {
        let reason = order
            .history
            .last()
            .map(|t| t.reason.as_str())
            .unwrap_or_default();
        let reason = if reason == "saga timed out" {
            "timeout"
        } else if reason == "reservation expired" {
            "expired"
        } else if reason.starts_with("reservation failed") {
            "refused"
        } else if reason == crate::application::STOCK_LOST {
            counter!(STOCK_LOST, "path" => path.as_str()).increment(1);
            "stock_lost"
        } else {
            "cancelled"
        };
        counter!(COMPENSATIONS, "reason" => reason).increment(1);
    }
}

/// Counts orders by status every few seconds until stopped.
#[derive(Debug)]
pub struct OrderSampler {
    pub pool: PgPool,
    pub interval: Duration,
}

impl OrderSampler {
    pub async fn run(self, stop: CancellationToken) {
        describe();
        let mut tick = time::interval(self.interval);
        tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                _ = tick.tick() => {}
            }
            let counts: sqlx::Result<Vec<(String, i64)>> =
                sqlx::query_as("SELECT status, count(*) FROM orders GROUP BY status")
                    .fetch_all(&self.pool)
                    .await;
            match counts {
                Ok(counts) => {
                    for status in OrderStatus::ALL {
                        let n = counts
                            .iter()
                            .find(|(s, _)| s == status.as_str())
                            .map_or(0, |(_, n)| *n);
                        gauge!(BY_STATUS, "status" => status.as_str()).set(n as f64);
                    }
                }
                Err(e) => tracing::debug!(error = %e, "orders by status sample failed"),
            }
        }
    }
}

fn describe() {
    static DESCRIBED: Once = Once::new();
    DESCRIBED.call_once(|| {
        describe_histogram!(
            DURATION,
            Unit::Seconds,
            "From placing an order to its decision, by path and outcome."
        );
        describe_counter!(
            COMPENSATIONS,
            "Cancelled orders whose holds the inventory releases, by reason."
        );
        describe_gauge!(BY_STATUS, "Orders in each status.");
        describe_counter!(
            STOCK_LOST,
            "Orders cancelled because their lines could not be committed: stock sold twice over a hold that expired."
        );
        describe_counter!(
            REFUSED,
            "Inventory events refused because their lines are not their order's lines."
        );
        // Zero from the start, so an alert on its rate has a series to read.
        for path in ["http", "event"] {
            counter!(STOCK_LOST, "path" => path).absolute(0);
        }
    });
}
