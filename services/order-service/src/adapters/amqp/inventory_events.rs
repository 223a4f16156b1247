//! Handles the inventory's answers: reserved, refused, expired. An event about an order
//! id that is not ours (not a UUID, or unknown) is acknowledged and ignored.

use std::sync::Arc;

use chrono::Utc;
use contracts::events::{
    EventType, ProductInventoryReservationExpired, ProductInventoryReservationFailed,
    ProductInventoryReserved, RawEnvelope,
};
use messaging::{HandleError, Handler};
use serde_json::Value;
use uuid::Uuid;

use crate::adapters::postgres::PgOrderStore;
use crate::application::{Error, Orders};

#[derive(Debug, Clone)]
pub struct InventoryEventsHandler {
    pub orders: Arc<Orders<PgOrderStore>>,
}

impl Handler for InventoryEventsHandler {
    async fn handle(&self, event: RawEnvelope) -> Result<(), HandleError> {
        let now = Utc::now();
        let outcome = match event.event_type.as_str() {
            ProductInventoryReserved::TYPE => {
                let event = event
                    .decode::<ProductInventoryReserved>()
                    .map_err(HandleError::Reject)?;
                let Some(id) = order_id(&event.data.order_id) else {
                    return Ok(());
                };
                self.orders.on_stock_reserved(event.id, id, now).await
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
            Ok(()) => Ok(()),
            Err(Error::Store(cause)) => Err(HandleError::Retry(cause.0)),
            Err(other) => Err(HandleError::Reject(other.to_string())),
        }
    }
}

/// Orders of this service have UUIDs; anything else was reserved by someone else.
fn order_id(raw: &str) -> Option<Uuid> {
    Uuid::parse_str(raw).ok()
}
