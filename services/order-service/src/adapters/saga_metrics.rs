//! What order-service measures about the saga:
//!
//! - `saga_duration_seconds{path,outcome}`: from placement to the decision, by the path
//!   that decided (`http`, `event`, `timer`) and the outcome (`confirmed`, `cancelled`);
//! - `saga_compensations_total{reason}`: cancellations that make the inventory give back
//!   what it holds, by reason (`timeout`, `expired`, `refused`, `stock_lost`,
//!   `payment_declined`, `capture_failed`, `cancelled`);
//! - `saga_stock_lost_total{path}`: orders cancelled because their lines could not be
//!   committed (a hold expired and its units were sold meanwhile): each is a checkout
//!   the shop took and could not keep, worth an alert;
//! - `saga_events_refused_total{event_type}`: inventory events whose lines are not their
//!   order's, refused without moving the order;
//! - `saga_events_not_ours_total{event_type}`: inventory events about an order that is not
//!   this service's (a reservation made straight on the inventory under a client's own
//!   key, or an unknown id), acknowledged without effect;
//! - `orders_by_status{status}`: orders in each status, sampled by [`OrderSampler`].

use std::{sync::Once, time::Duration};

use metrics::{
    Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram,
};
use service::{Pace, Periodic};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::domain::{CancelCause, Cause, CommitFailureReason, Order, OrderStatus, SagaPath};

const DURATION: &str = "saga_duration_seconds";
const COMPENSATIONS: &str = "saga_compensations_total";
const BY_STATUS: &str = "orders_by_status";
const STOCK_LOST: &str = "saga_stock_lost_total";
const REFUSED: &str = "saga_events_refused_total";
const NOT_OURS: &str = "saga_events_not_ours_total";

/// Counts an inventory event refused because its lines are not its order's.
pub fn refused(event_type: &'static str) {
    describe();
    counter!(REFUSED, "event_type" => event_type).increment(1);
}

/// Counts an inventory event about an order that is not this service's.
pub fn not_ours(event_type: &'static str) {
    describe();
    counter!(NOT_OURS, "event_type" => event_type).increment(1);
}

/// Records an order that a change has just decided.
pub fn decided(order: &Order) {
    describe();
    let Some((took, path)) = order.decided() else {
        return;
    };
    let outcome = match order.status() {
        OrderStatus::Confirmed => "confirmed",
        OrderStatus::Cancelled => "cancelled",
        OrderStatus::Pending | OrderStatus::Reserved | OrderStatus::Authorized => return,
    };
    histogram!(DURATION, "path" => path.as_str(), "outcome" => outcome).record(took);
    if let Some(Cause::Cancelled(cause)) = order.history().last().map(|t| &t.cause) {
        if *cause == CancelCause::CommitFailed(CommitFailureReason::StockLost) {
            counter!(STOCK_LOST, "path" => path.as_str()).increment(1);
        }
        counter!(COMPENSATIONS, "reason" => compensation(cause)).increment(1);
    }
}

/// The `reason` label of a compensation.
fn compensation(cause: &CancelCause) -> &'static str {
    match cause {
        CancelCause::TimedOut => "timeout",
        CancelCause::HoldExpired => "expired",
        CancelCause::ReservationFailed(_) => "refused",
        CancelCause::CommitFailed(CommitFailureReason::StockLost) => "stock_lost",
        CancelCause::PaymentDeclined => "payment_declined",
        CancelCause::CaptureFailed => "capture_failed",
        CancelCause::CommitFailed(_) | CancelCause::Requested(_) => "cancelled",
    }
}

/// Counts orders by status every few seconds until stopped.
#[derive(Debug)]
pub struct OrderSampler {
    pub pool: PgPool,
    pub interval: Duration,
}

impl OrderSampler {
    /// Often enough for a 15 s scrape; one cheap query.
    pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);

    pub async fn run(self, stop: CancellationToken) {
        describe();
        Periodic::new("order sampler", self.interval)
            .abandoning_rounds_on_stop()
            .run(stop, || self.sample())
            .await;
    }

    async fn sample(&self) -> sqlx::Result<Pace> {
        let counts: Vec<(String, i64)> =
            sqlx::query_as("SELECT status, count(*) FROM orders GROUP BY status")
                .fetch_all(&self.pool)
                .await?;
        for status in OrderStatus::ALL {
            let n = counts
                .iter()
                .find(|(s, _)| s == status.as_str())
                .map_or(0, |(_, n)| *n);
            gauge!(BY_STATUS, "status" => status.as_str()).set(n as f64);
        }
        Ok(Pace::Idle)
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
        describe_counter!(
            NOT_OURS,
            "Inventory events about an order that is not this service's, acknowledged without effect."
        );
        // Zero from the start, so an alert on its rate has a series to read.
        for path in ["http", "event"] {
            counter!(STOCK_LOST, "path" => path).absolute(0);
        }
        // Every series a dashboard reads exists from the first scrape, at zero.
        for reason in [
            "timeout",
            "expired",
            "refused",
            "stock_lost",
            "payment_declined",
            "capture_failed",
            "cancelled",
        ] {
            counter!(COMPENSATIONS, "reason" => reason).increment(0);
        }
        for path in [SagaPath::Http, SagaPath::Event, SagaPath::Timer] {
            counter!(STOCK_LOST, "path" => path.as_str()).increment(0);
            for outcome in ["confirmed", "cancelled"] {
                // A histogram is rendered from its first registration, with no samples.
                let _ = histogram!(DURATION, "path" => path.as_str(), "outcome" => outcome);
            }
        }
    });
}
