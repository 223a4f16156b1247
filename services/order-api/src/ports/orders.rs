//! [`Orders`]: order-service, which owns every order and decides its transitions. order-api
//! asks it to place, confirm, cancel and hand over orders, and reads them; it never
//! decides a status itself.

use std::future::Future;

use contracts::OrderId;
use contracts::orders::{CancelOrderRequest, CreateOrder};

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
    /// exactly its lines. Refused with a 409 when the order is decided already or the
    /// lines differ.
    fn confirm(
        &self,
        id: &OrderId,
        committed: &[OrderLine],
    ) -> impl Future<Output = Result<Order, OrdersError>> + Send;

    /// Cancels the order; the inventory then gives back whatever it holds for it.
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
