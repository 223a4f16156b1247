//! Handles order events: reads the envelope's payload into domain values (a payload
//! that breaks the contract is rejected to the dead-letter queue) and runs the use case.
//! A store failure is retried; a redelivery is absorbed by the inbox.

use std::sync::Arc;

use chrono::Utc;
use contracts::events::{
    EventLine, EventType, OrderCancelled, OrderCommitRequested, OrderConfirmed, OrderCreated,
    RawEnvelope,
};
use contracts::inventory::MAX_TTL_SECONDS;
use messaging::{HandleError, Handler};

use crate::adapters::postgres::PgInventoryStore;
use crate::application::{Error, Inventory};
use crate::domain::{LocationId, OrderId, Quantity, Sku};

#[derive(Debug, Clone)]
pub struct OrderEventsHandler {
    pub inventory: Arc<Inventory<PgInventoryStore>>,
}

impl Handler for OrderEventsHandler {
    async fn handle(&self, event: RawEnvelope) -> Result<(), HandleError> {
        let outcome = match event.event_type.as_str() {
            OrderCreated::TYPE => {
                let event = event
                    .decode::<OrderCreated>()
                    .map_err(HandleError::Reject)?;
                let order_id = order_id(&event.data.order_id)?;
                let lines = lines(&event.data.items)?;
                let ttl = match event.data.ttl_seconds {
                    None => None,
                    Some(t) if (1..=MAX_TTL_SECONDS).contains(&t) => Some(t as u32),
                    Some(t) => {
                        return Err(HandleError::Reject(format!("ttlSeconds {t} out of range")));
                    }
                };
                let location = LocationId::parse_or_central(event.data.location_id.as_deref())
                    .map_err(|e| HandleError::Reject(e.to_string()))?;
                self.inventory
                    .on_order_created(event.id, &order_id, &location, lines, ttl, Utc::now())
                    .await
            }
            OrderCommitRequested::TYPE => {
                let event = event
                    .decode::<OrderCommitRequested>()
                    .map_err(HandleError::Reject)?;
                let order_id = order_id(&event.data.order_id)?;
                let lines = lines(&event.data.items)?;
                self.inventory
                    .on_commit_requested(event.id, &order_id, lines, Utc::now())
                    .await
            }
            // A confirmed order's lines were committed before it was confirmed: nothing
            // is left to do here (a binding from an earlier version may still route it).
            OrderConfirmed::TYPE => return Ok(()),
            OrderCancelled::TYPE => {
                let event = event
                    .decode::<OrderCancelled>()
                    .map_err(HandleError::Reject)?;
                let order_id = order_id(&event.data.order_id)?;
                self.inventory.on_order_cancelled(event.id, &order_id).await
            }
            other => return Err(HandleError::Reject(format!("unknown event type {other:?}"))),
        };
        match outcome {
            Ok(_) => Ok(()),
            Err(Error::Store(cause)) => Err(HandleError::Retry(cause.0)),
            Err(Error::Rejected(refusal)) => Err(HandleError::Reject(refusal.to_string())),
        }
    }
}

fn order_id(raw: &str) -> Result<OrderId, HandleError> {
    OrderId::parse(raw).map_err(|e| HandleError::Reject(e.to_string()))
}

fn lines(items: &[EventLine]) -> Result<Vec<(Sku, Quantity)>, HandleError> {
    if items.is_empty() {
        return Err(HandleError::Reject("an order event without items".into()));
    }
    let mut lines = Vec::with_capacity(items.len());
    for item in items {
        let sku = Sku::parse(&item.sku).map_err(|e| HandleError::Reject(e.to_string()))?;
        let qty = Quantity::parse(item.qty).map_err(|e| HandleError::Reject(e.to_string()))?;
        if lines.iter().any(|(s, _): &(Sku, Quantity)| *s == sku) {
            return Err(HandleError::Reject(format!("SKU {sku} appears twice")));
        }
        lines.push((sku, qty));
    }
    Ok(lines)
}
