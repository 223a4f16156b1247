//! The circuit breaker on the inventory path (failsafe's state machine): after
//! `BREAKER_FAILURES` consecutive failures (timeouts, 5xx, refused connections) it opens
//! for `BREAKER_OPEN_MS`, and checkouts go straight to the event path instead of waiting
//! for timeouts; then it half-opens and closes again on the first success.

use std::time::Duration;

use failsafe::{Config, StateMachine, backoff, failure_policy};

/// Logs the breaker's transitions: an operator wants to know when the inventory path
/// was cut and when it came back.
#[derive(Debug, Clone, Copy)]
pub struct LogTransitions;

impl failsafe::Instrument for LogTransitions {
    fn on_call_rejected(&self) {}
    fn on_open(&self) {
        tracing::warn!("inventory breaker open: checkouts go to the event path");
    }
    fn on_half_open(&self) {
        tracing::info!("inventory breaker half-open: trying the inventory again");
    }
    fn on_closed(&self) {
        tracing::info!("inventory breaker closed");
    }
}

pub type InventoryBreaker =
    StateMachine<failure_policy::ConsecutiveFailures<backoff::Constant>, LogTransitions>;

pub fn inventory_breaker(failures: u32, open_for: Duration) -> InventoryBreaker {
    Config::new()
        .failure_policy(failure_policy::consecutive_failures(
            failures,
            backoff::constant(open_for),
        ))
        .instrument(LogTransitions)
        .build()
}
