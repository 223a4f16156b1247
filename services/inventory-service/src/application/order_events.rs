//! Use cases driven by order events (the saga's event path): reserve an order's lines
//! when it is created, commit exactly its lines when the saga asks, release them (and
//! remember the cancellation) when it is cancelled. Each acts as the saga.
//!
//! Each runs in one transaction with the inbox record of its event, so a redelivered
//! event changes nothing, and each publishes its answer through the outbox.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{
    Error, Inventory,
    ports::{Handled, InboxEntry, InventoryStore, Place, Scope},
};
use crate::domain::{Actor, LocationId, OrderId, Quantity, Sku};

/// Name of this consumer in the inbox.
pub const CONSUMER: &str = "inventory-service.order_events";

/// The saga, as the order events act: the owner of the holds they make and the name on
/// the movements they write.
pub fn saga() -> Actor {
    Actor::system("saga", true)
}

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
        location: &LocationId,
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
            .change_for_event(
                inbox,
                Scope::Skus(Place::At(location), &skus, Some(order_id)),
                move |stock| {
                    stock.reserve_for_order(&lines, expires_at, &saga());
                    Ok(())
                },
            )
            .await?;
        outcome(handled)
    }

    /// `OrderCommitRequested`: commit exactly the order's lines, and answer `Committed`
    /// or `CommitFailed` either way.
    pub async fn on_commit_requested(
        &self,
        event_id: Uuid,
        order_id: &OrderId,
        mut lines: Vec<(Sku, Quantity)>,
        now: DateTime<Utc>,
    ) -> Result<EventOutcome, Error> {
        lines.sort_by(|a, b| a.0.cmp(&b.0));
        let skus: Vec<Sku> = lines.iter().map(|(s, _)| s.clone()).collect();
        let inbox = InboxEntry {
            consumer: CONSUMER,
            event_id,
            event_type: "OrderCommitRequested",
        };
        let handled = self
            .store()
            .change_for_event(
                inbox,
                Scope::Skus(Place::OfOrder, &skus, Some(order_id)),
                move |stock| {
                    stock.commit_for_order(&lines, now, &saga());
                    Ok(())
                },
            )
            .await?;
        outcome(handled)
    }

    /// `OrderCancelled`: remember it, release the order's holds and put back what was
    /// committed for it.
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
                stock.cancel_order(&saga()).map(drop)
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
