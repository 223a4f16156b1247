//! Handles the inventory's answers: reserved, refused, committed, commit failed, expired.
//!
//! - An event that breaks the contract (an order id or a line that does not parse) is
//!   dead-lettered with its reason, as every consumer does.
//! - An event about an order that is not this service's (its id is a client's own key,
//!   such as a reservation made straight on the inventory, or an id no order has) is
//!   acknowledged without effect, logged and counted in
//!   `saga_events_not_ours_total{event_type}`: such events are routine, not failures.
//! - One whose lines are not its order's is refused: logged, counted, and the order does
//!   not move.

use std::sync::Arc;

use chrono::Utc;
use contracts::events::{
    Envelope, EventLine, EventType, ProductInventoryCommitFailed, ProductInventoryCommitted,
    ProductInventoryReservationExpired, ProductInventoryReservationFailed,
    ProductInventoryReserved, RawEnvelope, ReservedLine,
};
use messaging::{HandleError, Handler};

use crate::adapters::{ServiceOrders, saga_metrics};
use crate::application::{Error, Reaction};
use crate::domain::{OrderId, PricedLine, Quantity, Sku};

#[derive(Debug, Clone)]
pub struct InventoryEventsHandler {
    pub orders: Arc<ServiceOrders>,
}

impl Handler for InventoryEventsHandler {
    async fn handle(&self, event: RawEnvelope) -> Result<(), HandleError> {
        let now = Utc::now();
        let orders = &self.orders;
        let (event_type, order_id, outcome) = match event.event_type.as_str() {
            ProductInventoryReserved::TYPE => {
                let event = decode::<ProductInventoryReserved>(event)?;
                let id = order_id(&event.data.order_id)?;
                // The saga matches units; a paid order is authorized at the unit prices.
                let priced = priced(&event.data.items)?;
                let units: Vec<EventLine> =
                    event.data.items.into_iter().map(EventLine::from).collect();
                let items = lines(&units)?;
                let outcome = orders
                    .on_stock_reserved(event.id, &id, items, priced, now)
                    .await;
                (ProductInventoryReserved::TYPE, id, outcome)
            }
            ProductInventoryCommitted::TYPE => {
                let event = decode::<ProductInventoryCommitted>(event)?;
                let id = order_id(&event.data.order_id)?;
                let items = lines(&event.data.items)?;
                let outcome = orders.on_stock_committed(event.id, &id, items, now).await;
                (ProductInventoryCommitted::TYPE, id, outcome)
            }
            ProductInventoryCommitFailed::TYPE => {
                let event = decode::<ProductInventoryCommitFailed>(event)?;
                let id = order_id(&event.data.order_id)?;
                let reason = event.data.reason;
                let outcome = orders.on_commit_failed(event.id, &id, reason, now).await;
                (ProductInventoryCommitFailed::TYPE, id, outcome)
            }
            ProductInventoryReservationFailed::TYPE => {
                let event = decode::<ProductInventoryReservationFailed>(event)?;
                let id = order_id(&event.data.order_id)?;
                let reason = event.data.reason;
                let outcome = orders.on_stock_refused(event.id, &id, reason, now).await;
                (ProductInventoryReservationFailed::TYPE, id, outcome)
            }
            ProductInventoryReservationExpired::TYPE => {
                let event = decode::<ProductInventoryReservationExpired>(event)?;
                let id = order_id(&event.data.order_id)?;
                let outcome = orders.on_hold_expired(event.id, &id, now).await;
                (ProductInventoryReservationExpired::TYPE, id, outcome)
            }
            other => return Err(HandleError::Reject(format!("unknown event type {other:?}"))),
        };
        match outcome {
            Ok(Reaction::Taken | Reaction::Ignored | Reaction::Duplicate) => Ok(()),
            Ok(Reaction::NotOurs) => {
                tracing::debug!(
                    event_type,
                    %order_id,
                    "not an order of this service: acknowledged without effect"
                );
                saga_metrics::not_ours(event_type);
                Ok(())
            }
            Ok(Reaction::LinesMismatch) => {
                tracing::warn!(
                    event_type,
                    %order_id,
                    "refused: the event's lines are not its order's lines; the order does not move"
                );
                saga_metrics::refused(event_type);
                Ok(())
            }
            Err(Error::Store(cause)) => Err(HandleError::Retry(cause.0)),
            // The payment provider may answer on a later delivery; the saga's timeout
            // ends the order if it never does.
            Err(Error::PaymentUnavailable) => Err(HandleError::Retry(anyhow::anyhow!(
                "the payment provider is unavailable"
            ))),
            Err(other) => Err(HandleError::Reject(other.to_string())),
        }
    }
}

fn decode<T: EventType>(event: RawEnvelope) -> Result<Envelope<T>, HandleError> {
    event.decode().map_err(HandleError::Reject)
}

/// The event's order id; one that does not parse breaks the contract.
fn order_id(raw: &str) -> Result<OrderId, HandleError> {
    OrderId::parse(raw).map_err(|e| HandleError::Reject(e.to_string()))
}

/// An event's lines as the order's values; a line that does not parse breaks the
/// contract.
fn lines(items: &[EventLine]) -> Result<Vec<(Sku, Quantity)>, HandleError> {
    items
        .iter()
        .map(|l| {
            Ok((
                Sku::parse(&l.sku).map_err(|e| HandleError::Reject(e.to_string()))?,
                Quantity::parse(l.qty).map_err(|e| HandleError::Reject(e.to_string()))?,
            ))
        })
        .collect()
}

/// The reserved lines with their unit prices, when every line has a valid one; `None`
/// when any is unpriced (a price that breaks the rules counts as none). A line that does
/// not parse breaks the contract.
fn priced(items: &[ReservedLine]) -> Result<Option<Vec<PricedLine>>, HandleError> {
    let mut priced = Vec::with_capacity(items.len());
    for line in items {
        let sku = Sku::parse(&line.sku).map_err(|e| HandleError::Reject(e.to_string()))?;
        let qty = Quantity::parse(line.qty).map_err(|e| HandleError::Reject(e.to_string()))?;
        match line.unit_price.as_ref().map(|p| p.validate()) {
            Some(Ok(price)) => priced.push((sku, qty, price)),
            _ => return Ok(None),
        }
    }
    Ok(Some(priced))
}
