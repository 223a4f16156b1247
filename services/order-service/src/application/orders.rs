//! The use cases: place an order (idempotent per key), read it, confirm, cancel, hand
//! it over to the event path; react to inventory events; fire the saga's timers.

use chrono::{DateTime, Duration, Utc};
use contracts::events::{
    EventType, ProductInventoryCommitFailed, ProductInventoryCommitted,
    ProductInventoryReservationExpired, ProductInventoryReservationFailed,
    ProductInventoryReserved,
};
use contracts::orders::CreateOrder;
use messaging::{InboxEntry, StoreError};
use uuid::Uuid;

use super::ports::{Changed, Inserted, OrderStore};
use crate::domain::{
    CommitFailureReason, Order, OrderError, OrderEvent, OrderId, OrderLine, Quantity,
    ReservationFailureReason, SagaPath, Sku,
};

/// Name of the inventory-events consumer in the inbox.
pub const CONSUMER: &str = "order-service.inventory_events";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Rejected(#[from] OrderError),
    #[error("order {0} not found")]
    NotFound(OrderId),
    #[error("the idempotency key was used for another request")]
    KeyReused,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How an inventory event was taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reaction {
    /// Applied under the order's lock (or found without effect there).
    Taken,
    /// Without effect on the order as it stands (decided, or driven by the HTTP path):
    /// acknowledged with no write.
    Ignored,
    /// Refused: the event's lines are not the order's (e.g. a hold made for the order's id
    /// outside the saga). The order did not move.
    LinesMismatch,
    /// Not an order of this service (an unknown id, or one of a form this service never
    /// gives): nothing to do here.
    NotOurs,
    /// Handled before: nothing done again.
    Duplicate,
}

/// A placed order, and whether this request placed it (false: an earlier request
/// with the same idempotency key did).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    pub order: Order,
    pub created: bool,
}

#[derive(Debug)]
pub struct Orders<S> {
    store: S,
    grace: Duration,
    timeout: Duration,
}

impl<S: OrderStore> Orders<S> {
    pub fn new(store: S, grace: Duration, timeout: Duration) -> Self {
        Self {
            store,
            grace,
            timeout,
        }
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    /// Places a `PENDING` order. With an idempotency key, a retry (even a concurrent
    /// one) returns the same order; the same key with another request is refused.
    pub async fn place(
        &self,
        cmd: CreateOrder,
        key: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Placed, Error> {
        let fingerprint = fingerprint(&cmd);
        let lines = cmd
            .lines
            .into_iter()
            .map(|(sku, qty)| OrderLine { sku, qty })
            .collect();
        let order = Order::place(
            new_order_id(),
            cmd.customer_id,
            cmd.location,
            lines,
            now,
            self.grace,
            self.timeout,
        );
        match self.store.insert(&order, key, &fingerprint).await? {
            Inserted::New => Ok(Placed {
                order,
                created: true,
            }),
            Inserted::Existing {
                order,
                fingerprint: stored,
            } if stored == fingerprint => Ok(Placed {
                order: *order,
                created: false,
            }),
            Inserted::Existing { .. } => Err(Error::KeyReused),
        }
    }

    pub async fn get(&self, id: &OrderId) -> Result<Order, Error> {
        self.store
            .find(id)
            .await?
            .ok_or_else(|| Error::NotFound(id.clone()))
    }

    /// The HTTP path confirms, once the inventory has committed `committed`, which must
    /// be exactly the order's lines. Idempotent.
    pub async fn confirm(
        &self,
        id: &OrderId,
        committed: Vec<(Sku, Quantity)>,
        now: DateTime<Utc>,
    ) -> Result<Order, Error> {
        self.decide(id, move |o| o.confirm(&committed, now)).await
    }

    /// A client cancels; the inventory releases what the order holds. Idempotent.
    pub async fn cancel(
        &self,
        id: &OrderId,
        reason: String,
        now: DateTime<Utc>,
    ) -> Result<Order, Error> {
        self.decide(id, move |o| o.cancel(reason, now)).await
    }

    /// The HTTP path could not commit the order's lines (`stock_lost`): the order is
    /// cancelled and the inventory releases what it still holds. Idempotent.
    pub async fn stock_lost(&self, id: &OrderId, now: DateTime<Utc>) -> Result<Order, Error> {
        self.decide(id, move |o| {
            o.commit_failed(CommitFailureReason::StockLost, SagaPath::Http, now)
        })
        .await
    }

    /// The HTTP path gives up: the event path drives the order from now on.
    pub async fn hand_over(&self, id: &OrderId, now: DateTime<Utc>) -> Result<Order, Error> {
        self.decide(id, move |o| o.hand_over(now)).await
    }

    /// `ProductInventoryReserved`: see [`Order::stock_reserved`].
    pub async fn on_stock_reserved(
        &self,
        event_id: Uuid,
        id: &OrderId,
        items: Vec<(Sku, Quantity)>,
        now: DateTime<Utc>,
    ) -> Result<Reaction, Error> {
        self.on_event(event_id, ProductInventoryReserved::TYPE, id, move |o| {
            o.stock_reserved(&items, now)
        })
        .await
    }

    /// `ProductInventoryCommitted`: see [`Order::stock_committed`].
    pub async fn on_stock_committed(
        &self,
        event_id: Uuid,
        id: &OrderId,
        items: Vec<(Sku, Quantity)>,
        now: DateTime<Utc>,
    ) -> Result<Reaction, Error> {
        self.on_event(event_id, ProductInventoryCommitted::TYPE, id, move |o| {
            o.stock_committed(&items, now)
        })
        .await
    }

    /// `ProductInventoryCommitFailed`: the order is cancelled with the reason (`stock_lost`
    /// when its units were gone); the inventory releases what it still holds.
    pub async fn on_commit_failed(
        &self,
        event_id: Uuid,
        id: &OrderId,
        reason: CommitFailureReason,
        now: DateTime<Utc>,
    ) -> Result<Reaction, Error> {
        self.on_event(event_id, ProductInventoryCommitFailed::TYPE, id, move |o| {
            o.commit_failed(reason, SagaPath::Event, now)
        })
        .await
    }

    /// `ProductInventoryReservationFailed`: see [`Order::reservation_failed`].
    pub async fn on_stock_refused(
        &self,
        event_id: Uuid,
        id: &OrderId,
        reason: ReservationFailureReason,
        now: DateTime<Utc>,
    ) -> Result<Reaction, Error> {
        self.on_event(
            event_id,
            ProductInventoryReservationFailed::TYPE,
            id,
            move |o| o.reservation_failed(reason, now),
        )
        .await
    }

    /// `ProductInventoryReservationExpired`: see [`Order::hold_expired`].
    pub async fn on_hold_expired(
        &self,
        event_id: Uuid,
        id: &OrderId,
        now: DateTime<Utc>,
    ) -> Result<Reaction, Error> {
        self.on_event(
            event_id,
            ProductInventoryReservationExpired::TYPE,
            id,
            move |o| o.hold_expired(now),
        )
        .await
    }

    /// Fires due timers: hands over pending orders whose grace ended, cancels (and so
    /// compensates) those past their deadline. Each order is decided again under its
    /// lock, since another instance (or the HTTP path) may have got there first. Returns
    /// how many orders it took.
    pub async fn fire_timers(&self, now: DateTime<Utc>, batch: i64) -> Result<usize, Error> {
        let mut moved = 0;
        for id in self.store.due_handovers(now, batch).await? {
            moved += self.fire(&id, move |o| o.hand_over_if_due(now)).await?;
        }
        for id in self.store.due_timeouts(now, batch).await? {
            moved += self.fire(&id, move |o| o.time_out_if_due(now)).await?;
        }
        Ok(moved)
    }

    pub async fn ready(&self) -> Result<(), Error> {
        Ok(self.store.ping().await?)
    }

    async fn decide<F>(&self, id: &OrderId, decide: F) -> Result<Order, Error>
    where
        F: FnOnce(&mut Order) -> Result<Vec<OrderEvent>, OrderError> + Send,
    {
        match self.store.change(id, None, decide).await? {
            Changed::Done(outcome) => Ok(outcome?),
            Changed::NotFound | Changed::Duplicate => Err(Error::NotFound(id.clone())),
        }
    }

    /// One timer of one order; 1 when the order was there to take.
    async fn fire<F>(&self, id: &OrderId, decide: F) -> Result<usize, Error>
    where
        F: FnOnce(&mut Order) -> Result<Vec<OrderEvent>, OrderError> + Send,
    {
        let changed = self.store.change(id, None, decide).await?;
        Ok(usize::from(matches!(changed, Changed::Done(Ok(_)))))
    }

    /// Takes an inventory event. The decision is first tried on the order as read (one
    /// plain read, no transaction): an event the state machine leaves without effect (a
    /// decided order, an order the HTTP path still drives, lines that are not the
    /// order's) is acknowledged with no write at all. Only one that moves the order
    /// takes the order's lock, decides again on what it finds there, and records the
    /// event in the inbox with the change.
    ///
    /// Skipping the inbox for those is safe because each stays without effect when
    /// delivered again later: a decided order never moves, an order's lines never
    /// change, and an order handed over to the event path is announced again
    /// (`OrderCreated`), which makes the inventory announce its holds afresh.
    async fn on_event<F>(
        &self,
        event_id: Uuid,
        event_type: &str,
        id: &OrderId,
        decide: F,
    ) -> Result<Reaction, Error>
    where
        F: Fn(&mut Order) -> Result<Vec<OrderEvent>, OrderError> + Send + Sync,
    {
        // An event about an order this service does not know (e.g. a reservation made
        // directly on the inventory, under a client's own key) is not ours to act on.
        let Some(mut order) = self.store.find(id).await? else {
            return Ok(Reaction::NotOurs);
        };
        let version = order.version();
        match decide(&mut order) {
            Ok(events) if events.is_empty() && order.version() == version => {
                return Ok(Reaction::Ignored);
            }
            Err(OrderError::LinesMismatch { .. }) => return Ok(Reaction::LinesMismatch),
            _ => {}
        }
        let inbox = InboxEntry {
            consumer: CONSUMER,
            event_id,
            event_type,
        };
        Ok(match self.store.change(id, Some(inbox), &decide).await? {
            Changed::Done(Err(OrderError::LinesMismatch { .. })) => Reaction::LinesMismatch,
            Changed::Done(_) => Reaction::Taken,
            Changed::NotFound => Reaction::NotOurs,
            Changed::Duplicate => Reaction::Duplicate,
        })
    }
}

/// A new order's id: a UUID (v7, so ids sort by creation). Only ids of this form are
/// the service's own: the store keys its orders by them.
fn new_order_id() -> OrderId {
    OrderId::parse(&Uuid::now_v7().to_string()).expect("a UUID is a valid order id")
}

/// What makes two order requests "the same" for an idempotency key: the customer, the
/// lines and the location. An order at the central warehouse keeps the fingerprint it
/// had before orders named a location, so a retry of an order stored then still matches;
/// any other location is appended (`@` never appears in a SKU or a location id).
fn fingerprint(cmd: &CreateOrder) -> String {
    let lines: Vec<String> = cmd.lines.iter().map(|(s, q)| format!("{s}:{q}")).collect();
    let mut fingerprint = format!(
        "{}|{}",
        cmd.customer_id.as_deref().unwrap_or(""),
        lines.join(",")
    );
    if !cmd.location.is_central() {
        fingerprint.push_str(&format!("|@{}", cmd.location));
    }
    fingerprint
}

#[cfg(test)]
mod tests {
    use contracts::LocationId;

    use super::*;

    fn order(customer: Option<&str>, location: &str) -> CreateOrder {
        CreateOrder {
            customer_id: customer.map(str::to_owned),
            location: LocationId::parse(location).unwrap(),
            lines: vec![(
                Sku::parse("ABC-1234-AB").unwrap(),
                Quantity::parse(2).unwrap(),
            )],
        }
    }

    #[test]
    fn the_same_lines_at_another_location_are_another_request() {
        let central = fingerprint(&order(Some("c-1"), "central"));
        // As it was before orders named a location.
        assert_eq!(central, "c-1|ABC-1234-AB:2");
        let store = fingerprint(&order(Some("c-1"), "store-1"));
        assert_ne!(store, central);
        assert_ne!(store, fingerprint(&order(Some("c-1"), "store-2")));
        assert_eq!(store, fingerprint(&order(Some("c-1"), "store-1")));
    }
}
