//! Handles the inventory's answers: reserved, refused, committed, commit failed, expired.
//! An event about an order id that is not ours (not a UUID, or unknown) is acknowledged
//! and ignored; one whose lines are not its order's is refused: logged, counted, and the
//! order does not move.

use std::sync::Arc;

use chrono::Utc;
use contracts::events::{
    EventLine, EventType, ProductInventoryCommitFailed, ProductInventoryCommitted,
    ProductInventoryReservationExpired, ProductInventoryReservationFailed,
    ProductInventoryReserved, RawEnvelope,
};
use messaging::{HandleError, Handler};
use serde_json::Value;
use uuid::Uuid;

use crate::adapters::{postgres::PgOrderStore, saga_metrics};
use crate::application::{Error, Orders, Reaction};
use crate::domain::{Quantity, Sku};

#[derive(Debug, Clone)]
pub struct InventoryEventsHandler {
    pub orders: Arc<Orders<PgOrderStore>>,
}

impl Handler for InventoryEventsHandler {
    async fn handle(&self, event: RawEnvelope) -> Result<(), HandleError> {
        let now = Utc::now();
        let event_type = event.event_type.clone();
        let outcome = match event.event_type.as_str() {
            ProductInventoryReserved::TYPE => {
                let event = event
                    .decode::<ProductInventoryReserved>()
                    .map_err(HandleError::Reject)?;
                let Some(id) = order_id(&event.data.order_id) else {
                    return Ok(());
                };
                let items = lines(&event.data.items)?;
                self.orders
                    .on_stock_reserved(event.id, id, items, now)
                    .await
            }
            ProductInventoryCommitted::TYPE => {
                let event = event
                    .decode::<ProductInventoryCommitted>()
                    .map_err(HandleError::Reject)?;
                let Some(id) = order_id(&event.data.order_id) else {
                    return Ok(());
                };
                let items = lines(&event.data.items)?;
                self.orders
                    .on_stock_committed(event.id, id, items, now)
                    .await
            }
            ProductInventoryCommitFailed::TYPE => {
                let event = event
                    .decode::<ProductInventoryCommitFailed>()
                    .map_err(HandleError::Reject)?;
                let Some(id) = order_id(&event.data.order_id) else {
                    return Ok(());
                };
                let reason = match serde_json::to_value(event.data.reason) {
                    Ok(Value::String(s)) => s,
                    _ => "commit_failed".to_owned(),
                };
                self.orders
                    .on_commit_failed(event.id, id, reason, now)
                    .await
            }
            ProductInventoryReservationFailed::TYPE => {
                let event = event
                    .decode::<ProductInventoryReservationFailed>()
                    .map_err(HandleError::Reject)?;
                let Some(id) = order_id(&event.data.order_id) else {
                    return Ok(());
                };
                let reason = match serde_json::to_value(event.data.reason) {
                    Ok(Value::String(s)) => s,
                    _ => "refused".to_owned(),
                };
                self.orders
                    .on_stock_refused(event.id, id, reason, now)
                    .await
            }
            ProductInventoryReservationExpired::TYPE => {
                let event = event
                    .decode::<ProductInventoryReservationExpired>()
                    .map_err(HandleError::Reject)?;
                let Some(id) = order_id(&event.data.order_id) else {
                    return Ok(());
                };
                self.orders.on_hold_expired(event.id, id, now).await
            }
            other => return Err(HandleError::Reject(format!("unknown event type {other:?}"))),
        };
        match outcome {
            Ok(Reaction::Taken | Reaction::Ignored | Reaction::NotOurs) => Ok(()),
            Ok(Reaction::LinesMismatch) => {
                tracing::warn!(
                    event_type = %event_type,
                    "refused: the event's lines are not its order's lines; the order does not move"
                );
                saga_metrics::refused(if event_type == ProductInventoryReserved::TYPE {
                    ProductInventoryReserved::TYPE
                } else {
                    ProductInventoryCommitted::TYPE
                });
                Ok(())
            }
            Err(Error::Store(cause)) => Err(HandleError::Retry(cause.0)),
            Err(other) => Err(HandleError::Reject(other.to_string())),
        }
    }
}

/// An event's lines as the order's values; a line that does not parse breaks the
/// contract (dead-lettered with the reason).
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

/// Orders of this service have UUIDs; anything else was reserved by someone else.
fn order_id(raw: &str) -> Option<Uuid> {
    Uuid::parse_str(raw).ok()
}
