//! The inventory's business metrics, recorded by the adapters that see each answer (the
//! domain and the use cases stay free of any metrics crate):
//!
//! - `inventory_reservations_total{outcome}`: reservation attempts by answer, `outcome`
//!   one of `reserved`, `already_held`, `insufficient`, `unknown_sku`, `conflict`,
//!   `order_cancelled`. Single-SKU reservations are counted by the measured store (only
//!   the store's answer tells a new hold from one already held); whole-order
//!   reservations over HTTP by their handler; reservations answering an `OrderCreated`
//!   event by the measured store, from the answer committed with the event's inbox
//!   record (see [`MeasuredStore`](super::measured_store::MeasuredStore)).
//! - `inventory_replenishments_total` and `inventory_replenished_units_total`: stock
//!   received, counted by the replenish handler.
//! - `inventory_active_reservations`: active holds, and `inventory_expiry_lag_seconds`:
//!   how long the oldest overdue hold has been waiting for the expiry sweeper, both
//!   sampled by [`StoreSampler`](super::postgres::StoreSampler).

use std::sync::Once;

use metrics::{counter, describe_counter, describe_gauge, gauge};
use strum::VariantArray;

use crate::application::ReserveOutcome;
use crate::domain::{InventoryError, InventoryEvent, Quantity, ReservationFailure};

const RESERVATIONS: &str = "inventory_reservations_total";
const REPLENISHMENTS: &str = "inventory_replenishments_total";
const REPLENISHED_UNITS: &str = "inventory_replenished_units_total";
const ACTIVE_RESERVATIONS: &str = "inventory_active_reservations";
const EXPIRY_LAG: &str = "inventory_expiry_lag_seconds";

/// The answer to one reservation attempt, as a metric label (its text form, which
/// dashboards query: it must not change).
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum ReservationAnswer {
    Reserved,
    /// A repeat of a reservation the order already holds: nothing changed.
    AlreadyHeld,
    Insufficient,
    UnknownSku,
    /// The order holds the SKU for another quantity.
    Conflict,
    OrderCancelled,
}

impl ReservationAnswer {
    /// The answer the store gave a single-SKU reservation of `requested` units. A hold
    /// already there for the same quantity is an idempotent repeat; for another, the
    /// use case refuses it as a conflict.
    pub fn of_reserve_one(outcome: &ReserveOutcome, requested: Quantity) -> Self {
        match outcome {
            ReserveOutcome::Reserved => Self::Reserved,
            ReserveOutcome::AlreadyHeld {
                requested: held, ..
            } if *held == requested.get() => Self::AlreadyHeld,
            ReserveOutcome::AlreadyHeld { .. } | ReserveOutcome::HeldElsewhere(_) => Self::Conflict,
            ReserveOutcome::Insufficient { .. } => Self::Insufficient,
            ReserveOutcome::UnknownSku => Self::UnknownSku,
            ReserveOutcome::OrderCancelled => Self::OrderCancelled,
        }
    }

    /// The answer a refusal of a whole-order reservation gives, in the same words as
    /// the `ProductInventoryReservationFailed` event's reason.
    pub fn of_refusal(refusal: &InventoryError) -> Self {
        Self::of_failure(&ReservationFailure::of(refusal))
    }

    /// The answer an event announces, if it is the answer to a reservation.
    pub fn of_event(event: &InventoryEvent) -> Option<Self> {
        match event {
            InventoryEvent::Reserved { .. } => Some(Self::Reserved),
            InventoryEvent::ReservationFailed { reason, .. } => Some(Self::of_failure(reason)),
            _ => None,
        }
    }

    fn of_failure(reason: &ReservationFailure) -> Self {
        match reason {
            ReservationFailure::Insufficient(_) => Self::Insufficient,
            ReservationFailure::UnknownSku(_) => Self::UnknownSku,
            ReservationFailure::OrderCancelled => Self::OrderCancelled,
            ReservationFailure::Conflict => Self::Conflict,
        }
    }
}

/// Counts one reservation attempt.
pub fn reservation(answer: ReservationAnswer) {
    let outcome: &'static str = answer.into();
    counter!(RESERVATIONS, "outcome" => outcome).increment(1);
}

/// Counts one replenishment of `qty` units.
pub fn replenished(qty: Quantity) {
    counter!(REPLENISHMENTS).increment(1);
    // Quantities are positive by construction.
    counter!(REPLENISHED_UNITS).increment(qty.get().unsigned_abs());
}

/// Sets the number of active holds.
pub fn active_reservations(count: i64) {
    // A count of rows is far below 2^53: the cast is exact.
    gauge!(ACTIVE_RESERVATIONS).set(count as f64);
}

/// Sets how late expiry runs: seconds since the oldest active hold fell due, 0 when none
/// is overdue.
pub fn expiry_lag(seconds: f64) {
    gauge!(EXPIRY_LAG).set(seconds.max(0.0));
}

/// Gives the metrics their help text, once per process.
pub fn describe() {
    static DESCRIBED: Once = Once::new();
    DESCRIBED.call_once(|| {
        describe_counter!(
            RESERVATIONS,
            "Reservation attempts by answer: reserved, already_held, insufficient, unknown_sku, conflict, order_cancelled."
        );
        describe_counter!(REPLENISHMENTS, "Replenishments of a SKU's stock.");
        describe_counter!(REPLENISHED_UNITS, "Units received by replenishments.");
        describe_gauge!(ACTIVE_RESERVATIONS, "Holds currently active (placed, not yet released, committed or expired).");
        describe_gauge!(
            EXPIRY_LAG,
            "Seconds since the oldest still active hold fell due (its units shown reserved though nobody holds them); 0 when none is overdue."
        );
        // Every series a dashboard reads exists from the first scrape, at zero.
        for answer in ReservationAnswer::VARIANTS {
            let outcome: &'static str = answer.into();
            counter!(RESERVATIONS, "outcome" => outcome).increment(0);
        }
        counter!(REPLENISHMENTS).increment(0);
        counter!(REPLENISHED_UNITS).increment(0);
        gauge!(ACTIVE_RESERVATIONS).set(0.0);
        gauge!(EXPIRY_LAG).set(0.0);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_keep_their_label_names() {
        let labels: Vec<&str> = ReservationAnswer::VARIANTS
            .iter()
            .map(|a| (*a).into())
            .collect();
        assert_eq!(
            labels,
            [
                "reserved",
                "already_held",
                "insufficient",
                "unknown_sku",
                "conflict",
                "order_cancelled"
            ]
        );
    }

    fn qty(n: i64) -> Quantity {
        Quantity::parse(n).unwrap()
    }

    #[test]
    fn a_hold_already_there_is_a_repeat_for_the_same_quantity_and_a_conflict_for_another() {
        let held = ReserveOutcome::AlreadyHeld {
            requested: 3,
            owner: crate::domain::Actor::anonymous(),
        };
        assert_eq!(
            ReservationAnswer::of_reserve_one(&held, qty(3)),
            ReservationAnswer::AlreadyHeld
        );
        assert_eq!(
            ReservationAnswer::of_reserve_one(&held, qty(4)),
            ReservationAnswer::Conflict
        );
    }
}
