//! [`Orders`]: order-service, which owns every order and decides its transitions. order-api
//! asks it to place, confirm, cancel and hand over orders, and reads them; it never
//! decides a status itself.

use std::future::Future;

use contracts::orders::{CancelOrderRequest, CreateOrder};
use contracts::{OrderId, Price};

use super::PeerProblem;
use crate::idempotency::IdempotencyKey;
use crate::order::{Order, OrderLine};

/// Why order-service gave no order.
#[derive(Debug, thiserror::Error)]
pub enum OrdersError {
    /// It refused, with one of its problems (no such order, a transition the order cannot
    /// make, an idempotency key reused for another request): the client's to read.
    #[error("order-service refused: {0}")]
    Refused(PeerProblem),
    /// No answer in time, unreachable, a 5xx, an answer that cannot be read, or a refusal
    /// of order-api's own key (this deployment's fault, never the client's).
    #[error("order-service unavailable")]
    Unavailable,
}

/// order-service. Every call answers the order as it is after the call.
pub trait Orders: Send + Sync {
    /// Places a `PENDING` order. With a key, a retry (even a concurrent one) answers the
    /// same order, wherever it stands now.
    fn place(
        &self,
        order: &CreateOrder,
        key: Option<&IdempotencyKey>,
    ) -> impl Future<Output = Result<Order, OrdersError>> + Send;

    fn get(&self, id: &OrderId) -> impl Future<Output = Result<Order, OrdersError>> + Send;

    /// Confirms the order once the inventory has committed `committed`, which must be
    /// exactly its lines; a paid order's payment is captured first. Refused with a 409
    /// when the order is decided already, the lines differ, or the capture failed
    /// (`capture_failed`: the order is cancelled then).
    fn confirm(
        &self,
        id: &OrderId,
        committed: &[OrderLine],
    ) -> impl Future<Output = Result<Order, OrdersError>> + Send;

    /// Has the total of a paid order's `priced` lines (exactly its lines, each at its
    /// unit price) authorized on its card. Refused with a 409 `payment_declined` (the
    /// order is cancelled then); unavailable when the provider's answer is unknown.
    fn authorize(
        &self,
        id: &OrderId,
        priced: &[(OrderLine, Price)],
    ) -> impl Future<Output = Result<Order, OrdersError>> + Send;

    /// Cancels the order; the inventory then gives back whatever it holds for it, and a
    /// paid order's card what it holds.
    fn cancel(
        &self,
        id: &OrderId,
        request: &CancelOrderRequest,
    ) -> impl Future<Output = Result<Order, OrdersError>> + Send;

    /// Gives the order to the event-driven saga (see [`crate::handover`]).
    fn hand_over(&self, id: &OrderId) -> impl Future<Output = Result<Order, OrdersError>> + Send;

    /// order-service answers its own readiness probe.
    fn is_ready(&self) -> impl Future<Output = bool> + Send;
}
