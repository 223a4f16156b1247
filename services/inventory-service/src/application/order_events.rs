//! Use cases driven by order events (the saga's event path): reserve an order's lines
//! when it is created, commit its holds when it is confirmed, release them (and
//! remember the cancellation) when it is cancelled.
//!
//! Each runs in one transaction with the inbox record of its event, so a redelivered
//! event changes nothing, and each publishes its answer through the outbox.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{
    Error, Inventory,
    ports::{Handled, InboxEntry, InventoryStore, Scope},
};
use crate::domain::{OrderId, Quantity, Sku};

/// Name of this consumer in the inbox.
pub const CONSUMER: &str = "inventory-service.order_events";

/// What handling an event came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventOutcome {
    Handled,
    /// Handled before; nothing done.
    Duplicate,
}

impl<S: InventoryStore> Inventory<S> {
    /// `OrderCreated`: reserve every line or none, and answer `Reserved` or
    /// `ReservationFailed` either way. A reservation the order already made (over HTTP)
    /// counts; a cancelled order reserves nothing.
    pub async fn on_order_created(
        &self,
        event_id: Uuid,
        order_id: &OrderId,
        mut lines: Vec<(Sku, Quantity)>,
        ttl_seconds: Option<u32>,
        now: DateTime<Utc>,
    ) -> Result<EventOutcome, Error> {
        lines.sort_by(|a, b| a.0.cmp(&b.0));
        let expires_at = self.expiry(now, ttl_seconds);
        let skus: Vec<Sku> = lines.iter().map(|(s, _)| s.clone()).collect();
        let inbox = InboxEntry {
            consumer: CONSUMER,
            event_id,
            event_type: "OrderCreated",
        };
        let handled = self
            .store()
            .change_for_event(inbox, Scope::Skus(&skus, Some(order_id)), move |stock| {
                stock.reserve_for_order(&lines, expires_at);
                Ok(())
            })
            .await?;
        outcome(handled)
    }

    /// `OrderConfirmed`: commit every active hold of the order.
    pub async fn on_order_confirmed(
        &self,
        event_id: Uuid,
        order_id: &OrderId,
    ) -> Result<EventOutcome, Error> {
        let inbox = InboxEntry {
            consumer: CONSUMER,
            event_id,
            event_type: "OrderConfirmed",
        };
        let handled = self
            .store()
            .change_for_event(inbox, Scope::Order(order_id), |stock| {
                stock.confirm_order().map(drop)
            })
            .await?;
        outcome(handled)
    }

    /// `OrderCancelled`: remember it, release every hold of the order.
    pub async fn on_order_cancelled(
        &self,
        event_id: Uuid,
        order_id: &OrderId,
    ) -> Result<EventOutcome, Error> {
        let inbox = InboxEntry {
            consumer: CONSUMER,
            event_id,
            event_type: "OrderCancelled",
        };
        let handled = self
            .store()
            .change_for_event(inbox, Scope::Order(order_id), |stock| {
                stock.cancel_order().map(drop)
            })
            .await?;
        outcome(handled)
    }
}

fn outcome(handled: Handled<()>) -> Result<EventOutcome, Error> {
    match handled {
        Handled::Done(Ok(())) => Ok(EventOutcome::Handled),
        Handled::Done(Err(refusal)) => Err(refusal.into()),
        Handled::Duplicate => Ok(EventOutcome::Duplicate),
    }
}
