//! The HTTP-first checkout saga, over the [`Orders`] and [`Inventory`] ports: place the
//! order (idempotent per key), reserve every line at once at the order's one location,
//! commit exactly those lines in the inventory, and only then confirm the order: a client
//! told "confirmed" has its units out of stock for good.
//!
//! - reserve: done, on to the commit (a paid order: to its authorization); refused by
//!   the inventory, the order is cancelled and the answer says why; no decisive answer,
//!   [`handover`].
//! - authorize (paid orders only): every line must carry its unit price, all in one
//!   currency (else the order is cancelled: `unpriced_sku`, `mixed_currencies`);
//!   order-service computes the total and has it authorized. Declined: order-service
//!   cancels the order (its `OrderCancelled` makes the inventory release the holds) and
//!   the answer is `payment_declined`; no decisive answer (order-service or the provider
//!   unheard), [`handover`].
//! - commit, the pivot: done, on to the confirmation; refused, cancelled as above; no
//!   decisive answer (the commit may have happened), [`handover`].
//! - confirm (order-service captures a paid order first): done, "confirmed"; the capture
//!   failed, `capture_failed` (order-service cancelled the order and gave back what the
//!   card held; the inventory returns the stock); refused otherwise (409), the answer is
//!   what order-service decided meanwhile, or [`handover`] of an order still open;
//!   anything else, "pending": the commit's event confirms the order (capturing it).
//!
//! No branch loses an order or leaves it half done: the inventory gives back whatever it
//! holds for a cancelled order, the event path finishes a handed-over one, and a commit
//! made just before a crash confirms the order through its `ProductInventoryCommitted`.
//! The saga decides nothing order-service has not decided: every answer is the order as
//! order-service shows it.

use access::CallerName;
use axum::http::StatusCode;
use contracts::inventory::Shortage;
use contracts::orders::{CancelCause, CancelOrderRequest, CreateOrder};
use contracts::{Price, Sku};

use crate::handover::{self, Reason};
use crate::idempotency::IdempotencyKey;
use crate::order::{Order, OrderLine, OrderStatus};
use crate::ports::{HeldLine, Inventory, InventoryError, InventoryRefusal, Orders, OrdersError};

/// The saga, with the two peers it runs over.
#[derive(Debug)]
pub struct Checkout<O, I> {
    orders: O,
    inventory: I,
}

/// How a checkout ended, once the order exists.
#[derive(Debug)]
pub enum Outcome {
    Confirmed(Order),
    /// Left to the event path.
    Pending(Order),
    /// Some lines could not be reserved; the order is cancelled, nothing is held.
    InsufficientStock {
        order: Order,
        shortages: Vec<Shortage>,
    },
    /// Some SKUs have no stock; the order is cancelled, nothing is held.
    UnknownSku {
        order: Order,
        skus: Vec<Sku>,
    },
    /// The lines were reserved but their units were gone by the time of the commit (a
    /// hold expired meanwhile); the order is cancelled, nothing is held.
    StockLost {
        order: Order,
        shortages: Vec<Shortage>,
    },
    /// The order was cancelled before the checkout could finish it.
    Cancelled(Order),
    /// The card refused the order's total; the order is cancelled, nothing held.
    PaymentDeclined(Order),
    /// A paid order's SKUs have no unit price at its location; the order is cancelled,
    /// nothing held.
    UnpricedSku {
        order: Order,
        skus: Vec<Sku>,
    },
    /// A paid order's lines are priced in several currencies; the order is cancelled,
    /// nothing held.
    MixedCurrencies(Order),
    /// The payment could not be captured; the order is cancelled, nothing taken or held.
    CaptureFailed(Order),
}

impl<O: Orders, I: Inventory> Checkout<O, I> {
    pub fn new(orders: O, inventory: I) -> Self {
        Self { orders, inventory }
    }

    /// Runs the saga for `caller` (named on the span: who checked out is in every log
    /// line of the checkout). Fails only when order-service placed no order: nothing
    /// else happened then, and a retry with the same key finds the order if there is one.
    #[tracing::instrument(skip_all, fields(caller = %caller, order_id = tracing::field::Empty, path = tracing::field::Empty))]
    pub async fn run(
        &self,
        request: &CreateOrder,
        key: Option<&IdempotencyKey>,
        caller: &CallerName,
    ) -> Result<Outcome, OrdersError> {
        let order = self.orders.place(request, key).await?;
        tracing::Span::current().record("order_id", order.id().as_str());
        // A retried checkout finds its order where the first attempt left it.
        Ok(match order.status() {
            OrderStatus::Confirmed => Outcome::Confirmed(order),
            OrderStatus::Cancelled if order.is_declined() => Outcome::PaymentDeclined(order),
            OrderStatus::Cancelled => Outcome::Cancelled(order),
            OrderStatus::Reserved => Outcome::Pending(order),
            OrderStatus::Pending | OrderStatus::Authorized if order.is_handed_over() => {
                Outcome::Pending(order)
            }
            OrderStatus::Pending => self.reserve(order).await,
            // A retry finds it authorized: the commit and the capture are idempotent.
            OrderStatus::Authorized => self.commit(order).await,
        })
    }

    async fn reserve(&self, order: Order) -> Outcome {
        match self
            .inventory
            .reserve(order.id(), order.location(), order.lines())
            .await
        {
            Ok(held) if order.is_paid() => self.authorize(order, held).await,
            Ok(_) => self.commit(order).await,
            Err(InventoryError::Refused(refusal)) => self.refused(order, refusal).await,
            Err(InventoryError::Unavailable) => {
                self.hand_over(order, Reason::InventoryUnavailable).await
            }
        }
    }

    /// Has a paid order's total authorized, at the unit prices the inventory answered.
    async fn authorize(&self, order: Order, held: Vec<HeldLine>) -> Outcome {
        let unpriced: Vec<Sku> = held
            .iter()
            .filter(|h| h.unit_price.is_none())
            .map(|h| h.line.sku.clone())
            .collect();
        if !unpriced.is_empty() {
            return self
                .cancel_unpayable(order, "unpriced_sku", |order| Outcome::UnpricedSku {
                    order,
                    skus: unpriced,
                })
                .await;
        }
        let priced: Vec<(OrderLine, Price)> = held
            .into_iter()
            .filter_map(|h| Some((h.line, h.unit_price?)))
            .collect();
        let one_currency = priced
            .windows(2)
            .all(|pair| pair[0].1.currency() == pair[1].1.currency());
        if !one_currency {
            return self
                .cancel_unpayable(order, "mixed_currencies", Outcome::MixedCurrencies)
                .await;
        }
        match self.orders.authorize(order.id(), &priced).await {
            Ok(authorized) => match authorized.status() {
                OrderStatus::Authorized => self.commit(authorized).await,
                OrderStatus::Cancelled if authorized.is_declined() => {
                    Outcome::PaymentDeclined(authorized)
                }
                _ => {
                    self.as_decided(authorized, Reason::PaymentUncertain, Outcome::Cancelled)
                        .await
                }
            },
            // order-service cancelled the order: its `OrderCancelled` releases the holds.
            Err(OrdersError::Refused(problem)) if problem.code() == "payment_declined" => {
                let cancelled = self.orders.get(order.id()).await.unwrap_or(order);
                Outcome::PaymentDeclined(cancelled)
            }
            Err(OrdersError::Refused(problem)) if problem.status() == StatusCode::CONFLICT => {
                self.as_decided(order, Reason::PaymentUncertain, Outcome::Cancelled)
                    .await
            }
            // The provider's answer is unknown, or order-service was not heard: the event
            // path finishes the order (authorizing it, or cancelling it at its deadline).
            Err(_) => self.hand_over(order, Reason::PaymentUncertain).await,
        }
    }

    /// Cancels a paid order that cannot be charged as reserved (`code` says why).
    async fn cancel_unpayable(
        &self,
        order: Order,
        code: &str,
        answer: impl FnOnce(Order) -> Outcome,
    ) -> Outcome {
        let cancel = CancelOrderRequest {
            reason: Some(format!("payment refused: {code}")),
            cause: None,
        };
        match self.orders.cancel(order.id(), &cancel).await {
            Ok(cancelled) if cancelled.status() == OrderStatus::Cancelled => answer(cancelled),
            _ => self.as_decided(order, Reason::CancelNotTaken, answer).await,
        }
    }

    async fn commit(&self, order: Order) -> Outcome {
        match self.inventory.commit(order.id(), order.lines()).await {
            Ok(committed) => self.confirm(order, committed).await,
            Err(InventoryError::Refused(refusal)) => self.refused(order, refusal).await,
            Err(InventoryError::Unavailable) => {
                self.hand_over(order, Reason::CommitUncertain).await
            }
        }
    }

    /// Confirms the order with the lines the inventory committed.
    async fn confirm(&self, order: Order, committed: Vec<OrderLine>) -> Outcome {
        match self.orders.confirm(order.id(), &committed).await {
            Ok(confirmed) => Outcome::Confirmed(confirmed),
            // The capture failed: order-service cancelled the order and gave back what
            // the card held; the inventory returns the committed stock.
            Err(OrdersError::Refused(problem)) if problem.code() == "capture_failed" => {
                let cancelled = self.orders.get(order.id()).await.unwrap_or(order);
                Outcome::CaptureFailed(cancelled)
            }
            // Decided meanwhile: confirmed by the commit's event, or cancelled (by the
            // client or the timeout: the inventory then gives the units back). A refused
            // confirmation of an undecided order (its lines and the commit's differ)
            // proves nothing: the event path finds out.
            Err(OrdersError::Refused(problem)) if problem.status() == StatusCode::CONFLICT => {
                self.as_decided(order, Reason::ConfirmRefused, Outcome::Cancelled)
                    .await
            }
            // The lines are committed; if order-service cannot confirm now, the commit's
            // event confirms the order.
            Err(_) => Outcome::Pending(order),
        }
    }

    /// Cancels the order the inventory refused. The refusal is the answer only if the
    /// order is indeed cancelled now: a client told "refused" must find it `CANCELLED`.
    async fn refused(&self, order: Order, refusal: InventoryRefusal) -> Outcome {
        let cancel = CancelOrderRequest {
            reason: Some(format!("reservation refused: {}", refusal.code())),
            cause: matches!(refusal, InventoryRefusal::StockLost { .. })
                .then_some(CancelCause::StockLost),
        };
        let answer = move |order| match refusal {
            InventoryRefusal::InsufficientStock { shortages } => {
                Outcome::InsufficientStock { order, shortages }
            }
            InventoryRefusal::UnknownSku { skus } => Outcome::UnknownSku { order, skus },
            InventoryRefusal::StockLost { shortages } => Outcome::StockLost { order, shortages },
            _ => Outcome::Cancelled(order),
        };
        match self.orders.cancel(order.id(), &cancel).await {
            Ok(cancelled) if cancelled.status() == OrderStatus::Cancelled => answer(cancelled),
            // The cancel failed, or the event path decided the order meanwhile.
            _ => self.as_decided(order, Reason::CancelNotTaken, answer).await,
        }
    }

    /// What order-service has decided about `order` by now: confirmed, cancelled (then
    /// `cancelled` says what to answer), or still open: then handed over for `reason`.
    async fn as_decided(
        &self,
        order: Order,
        reason: Reason,
        cancelled: impl FnOnce(Order) -> Outcome,
    ) -> Outcome {
        // If order-service cannot say, the order is taken to be as it was: open.
        let current = self.orders.get(order.id()).await.unwrap_or(order);
        match current.status() {
            OrderStatus::Confirmed => Outcome::Confirmed(current),
            OrderStatus::Cancelled => cancelled(current),
            OrderStatus::Pending | OrderStatus::Reserved | OrderStatus::Authorized => {
                self.hand_over(current, reason).await
            }
        }
    }

    async fn hand_over(&self, order: Order, reason: Reason) -> Outcome {
        Outcome::Pending(handover::hand_over(&self.orders, order, reason).await)
    }
}

#[cfg(test)]
mod tests;
