//! The use cases: place an order (idempotent per key), read it, confirm, cancel, hand
//! it over to the event path; react to inventory events; fire the saga's timers.

use chrono::{DateTime, Duration, Utc};
use contracts::orders::CreateOrder;
use uuid::Uuid;

use super::ports::{Changed, InboxEntry, Inserted, OrderStore, StoreError};
use crate::domain::{Order, OrderError, OrderLine, SagaPath, Trigger};

/// Name of the inventory-events consumer in the inbox.
pub const CONSUMER: &str = "order-service.inventory_events";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Rejected(#[from] OrderError),
    #[error("order {0} not found")]
    NotFound(Uuid),
    #[error("the idempotency key was used for another request")]
    KeyReused,
    #[error(transparent)]
    Store(#[from] StoreError),
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
            Uuid::now_v7(),
            cmd.customer_id,
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
                order,
                created: false,
            }),
            Inserted::Existing { .. } => Err(Error::KeyReused),
        }
    }

    pub async fn get(&self, id: Uuid) -> Result<Order, Error> {
        self.store.find(id).await?.ok_or(Error::NotFound(id))
    }

    /// The HTTP path confirms (its reservation succeeded). Idempotent.
    pub async fn confirm(&self, id: Uuid, now: DateTime<Utc>) -> Result<Order, Error> {
        self.decide(id, None, move |o| {
            o.apply(Trigger::Confirm, SagaPath::Http, now)
        })
        .await
    }

    /// A client cancels; the inventory releases what the order holds. Idempotent.
    pub async fn cancel(
        &self,
        id: Uuid,
        reason: String,
        now: DateTime<Utc>,
    ) -> Result<Order, Error> {
        self.decide(id, None, move |o| {
            o.apply(Trigger::Cancel { reason }, SagaPath::Http, now)
        })
        .await
    }

    /// The HTTP path gives up: the event path drives the order from now on.
    pub async fn hand_over(&self, id: Uuid, now: DateTime<Utc>) -> Result<Order, Error> {
        self.decide(id, None, move |o| o.hand_over(now)).await
    }

    /// `ProductInventoryReserved`: confirms a handed-over order. An order the HTTP path
    /// still drives is left to it (it confirms on its own answer).
    pub async fn on_stock_reserved(
        &self,
        event_id: Uuid,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        self.on_event(event_id, "ProductInventoryReserved", id, move |o| {
            if !o.is_handed_over() {
                return Ok(Vec::new());
            }
            o.apply(Trigger::StockReserved, SagaPath::Event, now)
        })
        .await
    }

    /// `ProductInventoryReservationFailed`: cancels a handed-over order.
    pub async fn on_stock_refused(
        &self,
        event_id: Uuid,
        id: Uuid,
        reason: String,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        self.on_event(
            event_id,
            "ProductInventoryReservationFailed",
            id,
            move |o| {
                if !o.is_handed_over() {
                    return Ok(Vec::new());
                }
                o.apply(Trigger::StockRefused { reason }, SagaPath::Event, now)
            },
        )
        .await
    }

    /// `ProductInventoryReservationExpired`: a pending order whose hold expired is
    /// cancelled (and its other holds released), whichever path drives it.
    pub async fn on_hold_expired(
        &self,
        event_id: Uuid,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        self.on_event(
            event_id,
            "ProductInventoryReservationExpired",
            id,
            move |o| o.apply(Trigger::HoldExpired, SagaPath::Event, now),
        )
        .await
    }

    /// Fires due timers: hands over pending orders whose grace ended, cancels (and so
    /// compensates) those past their deadline. Returns how many orders it moved.
    pub async fn fire_timers(&self, now: DateTime<Utc>, batch: i64) -> Result<usize, Error> {
        let mut moved = 0;
        for id in self.store.due_handovers(now, batch).await? {
            let changed = self
                .store
                .change(id, None, move |o| {
                    // Another instance (or the HTTP path) may have got there first.
                    if o.handover_at > now || o.status.is_terminal() {
                        return Ok(Vec::new());
                    }
                    o.hand_over(now)
                })
                .await?;
            moved += usize::from(matches!(changed, Changed::Done(Ok(_))));
        }
        for id in self.store.due_timeouts(now, batch).await? {
            let changed = self
                .store
                .change(id, None, move |o| {
                    if o.deadline_at > now {
                        return Ok(Vec::new());
                    }
                    o.apply(Trigger::TimedOut, SagaPath::Timer, now)
                })
                .await?;
            moved += usize::from(matches!(changed, Changed::Done(Ok(_))));
        }
        Ok(moved)
    }

    pub async fn ready(&self) -> Result<(), Error> {
        Ok(self.store.ping().await?)
    }

    async fn decide<F>(
        &self,
        id: Uuid,
        inbox: Option<InboxEntry<'_>>,
        decide: F,
    ) -> Result<Order, Error>
    where
        F: FnOnce(&mut Order) -> Result<Vec<crate::domain::OrderEvent>, OrderError> + Send,
    {
        match self.store.change(id, inbox, decide).await? {
            Changed::Done(outcome) => Ok(outcome?),
            Changed::NotFound | Changed::Duplicate => Err(Error::NotFound(id)),
        }
    }

    async fn on_event<F>(
        &self,
        event_id: Uuid,
        event_type: &str,
        id: Uuid,
        decide: F,
    ) -> Result<(), Error>
    where
        F: FnOnce(&mut Order) -> Result<Vec<crate::domain::OrderEvent>, OrderError> + Send,
    {
        let inbox = InboxEntry {
            consumer: CONSUMER,
            event_id,
            event_type,
        };
        match self.store.change(id, Some(inbox), decide).await? {
            // An event about an order this service does not know (e.g. a reservation
            // made directly on the inventory) is not ours to act on.
            Changed::Done(_) | Changed::NotFound | Changed::Duplicate => Ok(()),
        }
    }
}

/// What makes two order requests "the same" for an idempotency key.
fn fingerprint(cmd: &CreateOrder) -> String {
    let lines: Vec<String> = cmd.lines.iter().map(|(s, q)| format!("{s}:{q}")).collect();
    format!(
        "{}|{}",
        cmd.customer_id.as_deref().unwrap_or(""),
        lines.join(",")
    )
}
