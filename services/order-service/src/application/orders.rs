//! The use cases: place an order (idempotent per key), read it, confirm, cancel, hand
//! it over to the event path; react to inventory events; fire the saga's timers.

use chrono::{DateTime, Duration, Utc};
use contracts::orders::CreateOrder;
use uuid::Uuid;

use super::ports::{Changed, InboxEntry, Inserted, OrderStore, StoreError};
use crate::domain::{Order, OrderError, OrderEvent, OrderLine, Quantity, SagaPath, Sku, Trigger};

/// Name of the inventory-events consumer in the inbox.
pub const CONSUMER: &str = "order-service.inventory_events";

/// The reason of an order whose lines could not be committed.
pub const STOCK_LOST: &str = "stock_lost";

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
    /// Not an order of this service, or an event handled before.
    NotOurs,
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

    /// The HTTP path confirms, once the inventory has committed `committed`, which must
    /// be exactly the order's lines. Idempotent.
    pub async fn confirm(
        &self,
        id: Uuid,
        committed: Vec<(Sku, Quantity)>,
        now: DateTime<Utc>,
    ) -> Result<Order, Error> {
        self.decide(id, None, move |o| {
            if o.status.is_terminal() {
                return o.apply(Trigger::Confirm, SagaPath::Http, now);
            }
            o.check_lines(&committed)?;
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

    /// The HTTP path could not commit the order's lines (`stock_lost`): the order is
    /// cancelled and the inventory releases what it still holds. Idempotent.
    pub async fn stock_lost(&self, id: Uuid, now: DateTime<Utc>) -> Result<Order, Error> {
        self.decide(id, None, move |o| {
            o.apply(
                Trigger::CommitFailed {
                    reason: STOCK_LOST.to_owned(),
                },
                SagaPath::Http,
                now,
            )
        })
        .await
    }

    /// The HTTP path gives up: the event path drives the order from now on.
    pub async fn hand_over(&self, id: Uuid, now: DateTime<Utc>) -> Result<Order, Error> {
        self.decide(id, None, move |o| o.hand_over(now)).await
    }

    /// `ProductInventoryReserved`: a handed-over order whose lines are exactly the
    /// reserved items moves to `RESERVED` and asks for its commit. An order the HTTP path
    /// still drives is left to it.
    pub async fn on_stock_reserved(
        &self,
        event_id: Uuid,
        id: Uuid,
        items: Vec<(Sku, Quantity)>,
        now: DateTime<Utc>,
    ) -> Result<Reaction, Error> {
        self.on_event(event_id, "ProductInventoryReserved", id, move |o| {
            if !o.is_handed_over() || o.status.is_terminal() {
                return Ok(Vec::new());
            }
            o.check_lines(&items)?;
            o.apply(Trigger::StockReserved, SagaPath::Event, now)
        })
        .await
    }

    /// `ProductInventoryCommitted`: the order's lines left the stock for good; an order
    /// whose lines they are exactly is confirmed, whichever path drove it (the HTTP path
    /// may have died between its commit and its confirm).
    pub async fn on_stock_committed(
        &self,
        event_id: Uuid,
        id: Uuid,
        items: Vec<(Sku, Quantity)>,
        now: DateTime<Utc>,
    ) -> Result<Reaction, Error> {
        self.on_event(event_id, "ProductInventoryCommitted", id, move |o| {
            if o.status.is_terminal() {
                return Ok(Vec::new());
            }
            o.check_lines(&items)?;
            o.apply(Trigger::StockCommitted, SagaPath::Event, now)
        })
        .await
    }

    /// `ProductInventoryCommitFailed`: the order is cancelled with the reason (`stock_lost`
    /// when its units were gone); the inventory releases what it still holds.
    pub async fn on_commit_failed(
        &self,
        event_id: Uuid,
        id: Uuid,
        reason: String,
        now: DateTime<Utc>,
    ) -> Result<Reaction, Error> {
        self.on_event(event_id, "ProductInventoryCommitFailed", id, move |o| {
            let reason = reason.clone();
            o.apply(Trigger::CommitFailed { reason }, SagaPath::Event, now)
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
    ) -> Result<Reaction, Error> {
        self.on_event(
            event_id,
            "ProductInventoryReservationFailed",
            id,
            move |o| {
                if !o.is_handed_over() {
                    return Ok(Vec::new());
                }
                let reason = reason.clone();
                o.apply(Trigger::StockRefused { reason }, SagaPath::Event, now)
            },
        )
        .await
    }

    /// `ProductInventoryReservationExpired`: a pending order whose hold expired is
    /// cancelled (and its other holds released), whichever path drives it. A `RESERVED`
    /// order stays: its commit takes the units again.
    pub async fn on_hold_expired(
        &self,
        event_id: Uuid,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Reaction, Error> {
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
        F: FnOnce(&mut Order) -> Result<Vec<OrderEvent>, OrderError> + Send,
    {
        match self.store.change(id, inbox, decide).await? {
            Changed::Done(outcome) => Ok(outcome?),
            Changed::NotFound | Changed::Duplicate => Err(Error::NotFound(id)),
        }
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
        id: Uuid,
        decide: F,
    ) -> Result<Reaction, Error>
    where
        F: Fn(&mut Order) -> Result<Vec<OrderEvent>, OrderError> + Send + Sync,
    {
        // An event about an order this service does not know (e.g. a reservation made
        // directly on the inventory) is not ours to act on.
        let Some(mut order) = self.store.find(id).await? else {
            return Ok(Reaction::NotOurs);
        };
        let version = order.version;
        match decide(&mut order) {
            Ok(events) if events.is_empty() && order.version == version => {
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
            Changed::NotFound | Changed::Duplicate => Reaction::NotOurs,
        })
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
