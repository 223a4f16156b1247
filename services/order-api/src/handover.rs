//! The fallback: order-api gives an order to order-service's event-driven saga and answers
//! the client 202 "pending". It happens in exactly these cases, each a [`Reason`]:
//!
//! - the reservation got no answer that decides anything ([`Reason::InventoryUnavailable`]);
//! - the commit got no such answer ([`Reason::CommitUncertain`]);
//! - a paid order's authorization got no decisive answer ([`Reason::PaymentUncertain`]);
//! - order-service refused to confirm an order it still shows undecided
//!   ([`Reason::ConfirmRefused`]);
//! - the inventory refused, but the order could not be cancelled and is still undecided
//!   ([`Reason::CancelNotTaken`]).
//!
//! Two other 202s are not handovers: a retried checkout that finds its order handed over
//! already (or `RESERVED` by the event path), and a confirmation order-service could not
//! make after the commit (the commit's `ProductInventoryCommitted` confirms the order).
//!
//! A handover cannot lose an order: the event path asks the inventory again, and every
//! step it asks for is idempotent. If even the handover fails, order-service's grace
//! period (`HANDOVER_GRACE_MS`) hands the order over by itself. This module must never
//! answer anything but "pending": the order's outcome is the event path's from here on.

use crate::order::Order;
use crate::ports::Orders;

/// Why an order goes to the event path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum Reason {
    /// Timeout, 5xx, refused connection, an answer that is none of the inventory's
    /// refusals, an unreadable success, or the breaker is open: nothing is known about
    /// the stock.
    InventoryUnavailable,
    /// The commit may or may not have happened: the event path asks for it again (the
    /// commit is idempotent) and confirms on its answer.
    CommitUncertain,
    /// The authorization of a paid order got no decisive answer (order-service, or the
    /// payment provider behind it, was not heard; nobody knows whether the card holds
    /// the total): the event path finishes the order.
    PaymentUncertain,
    /// The confirmation was refused while the order is neither confirmed nor cancelled
    /// (its lines and the commit's differ): the event path finds out what is held.
    ConfirmRefused,
    /// The inventory refused, but the cancellation did not take and the order is still
    /// open: the event path decides it.
    CancelNotTaken,
}

/// Hands `order` over and answers it as the event path now has it (or as it was, if
/// order-service did not take it: the grace period will).
pub async fn hand_over(orders: &impl Orders, order: Order, reason: Reason) -> Order {
    let reason: &'static str = reason.into();
    tracing::Span::current().record("path", "event");
    match orders.hand_over(order.id()).await {
        Ok(handed_over) => {
            tracing::info!(reason, "order handed over to the event path");
            handed_over
        }
        Err(e) => {
            tracing::warn!(reason, error = %e, "handover failed; the grace period will pick the order up");
            order
        }
    }
}
