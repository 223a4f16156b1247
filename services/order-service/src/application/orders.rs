//! The use cases: place an order (idempotent per key), read it, authorize its payment,
//! confirm (capturing a paid order), cancel, hand it over to the event path; react to
//! inventory events; fire the saga's timers.
//!
//! The payment provider is called outside any transaction, and its answer then applied
//! under the order's lock: a provider that is slow never holds a row lock. Whatever
//! cancels a paid order (a client, a refusal, the timeout, a failed capture), what the
//! card holds is given back afterwards (void, or refund of a capture), and recorded.

use chrono::{DateTime, Duration, Utc};
use contracts::events::{
    EventType, ProductInventoryCommitFailed, ProductInventoryCommitted,
    ProductInventoryReservationExpired, ProductInventoryReservationFailed,
    ProductInventoryReserved,
};
use contracts::orders::CreateOrder;
use messaging::{InboxEntry, StoreError};
use payment::{IntentId, PaymentProvider};
use uuid::Uuid;

use super::payments::{Authorized, Captured, Payments};
use super::ports::{Changed, Inserted, OrderStore};
use crate::domain::{
    CommitFailureReason, Order, OrderError, OrderEvent, OrderId, OrderLine, OrderStatus, Payment,
    PaymentStatus, PricedLine, Quantity, ReservationFailureReason, SagaPath, Sku,
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
    /// The card refused the order's total: the order is cancelled.
    #[error("the payment of order {} was declined", .0.id())]
    PaymentDeclined(Box<Order>),
    /// The payment could not be captured: the order is cancelled, what the card held
    /// given back.
    #[error("the payment of order {} could not be captured", .0.id())]
    CaptureFailed(Box<Order>),
    /// The provider could not be heard, and nobody knows what it did: the order is left
    /// as it is.
    #[error("the payment provider is unavailable; the outcome is unknown")]
    PaymentUnavailable,
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
pub struct Orders<S, P> {
    store: S,
    payments: Payments<P>,
    grace: Duration,
    timeout: Duration,
    /// How long after a failed release of a cancelled order's payment it is tried
    /// again, and how often the timers look for such orders.
    release_retry: Duration,
    /// When the timers next look for them.
    next_release_sweep: std::sync::Mutex<DateTime<Utc>>,
}

impl<S: OrderStore, P: PaymentProvider> Orders<S, P> {
    pub fn new(store: S, provider: P, grace: Duration, timeout: Duration) -> Self {
        Self {
            store,
            payments: Payments::new(provider),
            grace,
            timeout,
            release_retry: Duration::seconds(5),
            next_release_sweep: std::sync::Mutex::new(DateTime::<Utc>::MIN_UTC),
        }
    }

    /// How long after a failed release of a cancelled order's payment (the provider
    /// unheard) it is tried again; 5 s unless set.
    pub fn with_release_retry(self, release_retry: Duration) -> Self {
        Self {
            release_retry,
            ..self
        }
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    pub fn provider(&self) -> &P {
        self.payments.provider()
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
            .map(|(sku, qty)| OrderLine {
                sku,
                qty,
                unit_price: None,
            })
            .collect();
        let order = Order::place(
            new_order_id(),
            cmd.customer_id,
            cmd.location,
            lines,
            cmd.payment.as_ref().map(Payment::card),
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
    ///
    /// A paid order is captured first (its authorized total, key from the order id) and
    /// confirmed with its payment captured. When the capture fails, what the card holds
    /// is given back and the order cancelled (`capture_failed`); the inventory then
    /// returns the committed stock.
    pub async fn confirm(
        &self,
        id: &OrderId,
        committed: Vec<(Sku, Quantity)>,
        now: DateTime<Utc>,
    ) -> Result<Order, Error> {
        let order = self.get(id).await?;
        if order.payment().is_some() {
            return self
                .capture_and_confirm(order, committed, SagaPath::Http, now)
                .await;
        }
        self.decide(id, move |o| o.confirm(&committed, now)).await
    }

    /// The HTTP path has every line reserved, at these unit prices: order-service
    /// computes the total and has it held on the order's card (key from the order id).
    /// Authorized: `AUTHORIZED`. Declined: the order is cancelled (`payment_declined`)
    /// and the inventory releases its holds. A repeat answers the order as it stands (a
    /// declined one: declined again), with never a second authorization.
    pub async fn authorize(
        &self,
        id: &OrderId,
        priced: Vec<PricedLine>,
        now: DateTime<Utc>,
    ) -> Result<Order, Error> {
        let order = self.get(id).await?;
        let total = order.price(&priced)?;
        let pending = order.payment().and_then(|p| p.token().map(str::to_owned));
        let Some(token) = pending.filter(|_| order.status() == OrderStatus::Pending) else {
            return declined_again(order);
        };
        match self.payments.authorize(id, &token, total).await {
            Authorized::Held(intent) => {
                let authorized = self
                    .decide(id, |o| {
                        o.payment_authorized(&priced, intent.to_string(), SagaPath::Http, now)
                    })
                    .await?;
                // Cancelled while the card was being asked: what it holds goes back.
                Ok(self.give_back(authorized, Some(&intent), now).await?)
            }
            Authorized::Declined(why) => {
                tracing::info!(order_id = %id, why, "payment declined");
                let cancelled = self
                    .decide(id, |o| o.payment_declined(&priced, SagaPath::Http, now))
                    .await?;
                declined_again(cancelled)
            }
            Authorized::Unknown => Err(Error::PaymentUnavailable),
        }
    }

    /// Captures a paid order's payment once the inventory committed `committed`, then
    /// confirms it; see [`Orders::confirm`].
    async fn capture_and_confirm(
        &self,
        order: Order,
        committed: Vec<(Sku, Quantity)>,
        path: SagaPath,
        now: DateTime<Utc>,
    ) -> Result<Order, Error> {
        let id = order.id().clone();
        // Checked on a copy before any money moves: the lines, and a payment to capture.
        let mut probe = order.clone();
        match probe.payment_captured(&committed, path, now) {
            Ok(_) => {}
            Err(OrderError::NotCaptured { .. }) => {
                // Never authorized (the event path had no card answer): never confirmed
                // unpaid either.
                let cancelled = self.decide(&id, |o| o.capture_failed(path, now)).await?;
                return Err(Error::CaptureFailed(Box::new(cancelled)));
            }
            Err(refused) => return Err(refused.into()),
        }
        let held = order.payment().filter(|p| p.is_held());
        let intent = held.and_then(|p| p.intent().and_then(|i| IntentId::parse(i).ok()));
        let amount = held.and_then(Payment::amount);
        if let (Some(intent), Some(amount)) = (intent, amount) {
            match self.payments.capture(&id, &intent, amount).await {
                Captured::Taken => {}
                Captured::Refused(why) => {
                    tracing::warn!(order_id = %id, why, "capture failed: the order is cancelled");
                    let cancelled = self.decide(&id, |o| o.capture_failed(path, now)).await?;
                    return Err(Error::CaptureFailed(Box::new(cancelled)));
                }
                Captured::Unknown => return Err(Error::PaymentUnavailable),
            }
        }
        match self
            .decide(&id, |o| o.payment_captured(&committed, path, now))
            .await
        {
            // Cancelled while the capture was on its way: the capture is refunded.
            Err(Error::Rejected(refused)) => {
                let current = self.get(&id).await?;
                self.give_back(current, None, now).await?;
                Err(refused.into())
            }
            confirmed => confirmed,
        }
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

    /// `ProductInventoryReserved`: see [`Order::stock_reserved`]. A paid order handed
    /// over to the event path is authorized first, at the unit prices the inventory
    /// reserved its lines at (`priced`, when every line has one): authorized, it moves on
    /// to `RESERVED` and its commit is asked for; declined, or unpriced, it is cancelled;
    /// when the provider's answer is unknown, the event is taken again later.
    pub async fn on_stock_reserved(
        &self,
        event_id: Uuid,
        id: &OrderId,
        items: Vec<(Sku, Quantity)>,
        priced: Option<Vec<PricedLine>>,
        now: DateTime<Utc>,
    ) -> Result<Reaction, Error> {
        if let Some(order) = self.store.find(id).await?
            && order.is_handed_over()
            && order.status() == OrderStatus::Pending
            && let Some(token) = order.payment().and_then(|p| p.token().map(str::to_owned))
        {
            return self
                .authorize_reserved(&order, &token, &items, priced, now)
                .await;
        }
        self.on_event(event_id, ProductInventoryReserved::TYPE, id, move |o| {
            o.stock_reserved(&items, now)
        })
        .await
    }

    /// The event path's authorization of a paid order whose lines are reserved.
    async fn authorize_reserved(
        &self,
        order: &Order,
        token: &str,
        items: &[(Sku, Quantity)],
        priced: Option<Vec<PricedLine>>,
        now: DateTime<Utc>,
    ) -> Result<Reaction, Error> {
        let id = order.id();
        let path = SagaPath::Event;
        let Some(priced) = priced else {
            self.decide(id, |o| o.unpayable("unpriced_sku", path, now))
                .await?;
            return Ok(Reaction::Taken);
        };
        let total = match order.price(&priced) {
            Ok(total) => total,
            Err(OrderError::LinesMismatch { .. }) => return Ok(Reaction::LinesMismatch),
            Err(_) => {
                self.decide(id, |o| o.unpayable("mixed_currencies", path, now))
                    .await?;
                return Ok(Reaction::Taken);
            }
        };
        match self.payments.authorize(id, token, total).await {
            Authorized::Held(intent) => {
                let reserved = self
                    .decide(id, |o| {
                        let mut events =
                            o.payment_authorized(&priced, intent.to_string(), path, now)?;
                        events.extend(o.stock_reserved(items, now)?);
                        Ok(events)
                    })
                    .await?;
                self.give_back(reserved, Some(&intent), now).await?;
                Ok(Reaction::Taken)
            }
            Authorized::Declined(why) => {
                tracing::info!(order_id = %id, why, "payment declined");
                self.decide(id, |o| o.payment_declined(&priced, path, now))
                    .await?;
                Ok(Reaction::Taken)
            }
            Authorized::Unknown => Err(Error::PaymentUnavailable),
        }
    }

    /// `ProductInventoryCommitted`: see [`Order::stock_committed`].
    pub async fn on_stock_committed(
        &self,
        event_id: Uuid,
        id: &OrderId,
        items: Vec<(Sku, Quantity)>,
        now: DateTime<Utc>,
    ) -> Result<Reaction, Error> {
        if let Some(order) = self.store.find(id).await?
            && order.payment().is_some()
        {
            // A paid order is confirmed only with its payment captured.
            if order.status().is_terminal() {
                return Ok(Reaction::Ignored);
            }
            return match self
                .capture_and_confirm(order, items, SagaPath::Event, now)
                .await
            {
                Ok(_) | Err(Error::CaptureFailed(_)) => Ok(Reaction::Taken),
                Err(Error::Rejected(OrderError::LinesMismatch { .. })) => {
                    Ok(Reaction::LinesMismatch)
                }
                Err(Error::Rejected(_)) => Ok(Reaction::Ignored),
                Err(other) => Err(other),
            };
        }
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
        if self.release_sweep_due(now) {
            moved += self.retry_releases(now, batch).await?;
        }
        Ok(moved)
    }

    /// Gives back, again, what the cards of cancelled orders still hold because the
    /// provider could not be heard when they were cancelled; the same keys as the first
    /// try, so nothing is voided or refunded twice. Returns how many were given back.
    pub async fn retry_releases(&self, now: DateTime<Utc>, batch: i64) -> Result<usize, Error> {
        let mut released = 0;
        let before = now - self.release_retry;
        for id in self.store.unreleased_payments(before, batch).await? {
            let Some(order) = self.store.find(&id).await? else {
                continue;
            };
            let after = self.give_back(order, None, now).await?;
            if after.payment().is_some_and(|p| !p.holds_money()) {
                tracing::info!(order_id = %id, "the payment of a cancelled order was given back on a retry");
                released += 1;
            }
        }
        Ok(released)
    }

    /// Whether the timers look for unreleased payments now: at most once per release
    /// retry, since each is a call to a provider that was failing.
    fn release_sweep_due(&self, now: DateTime<Utc>) -> bool {
        let mut next = self
            .next_release_sweep
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if now < *next {
            return false;
        }
        *next = now + self.release_retry;
        true
    }

    pub async fn ready(&self) -> Result<(), Error> {
        Ok(self.store.ping().await?)
    }

    /// One change of one order; a paid order it cancels gives back what its card holds.
    async fn decide<F>(&self, id: &OrderId, decide: F) -> Result<Order, Error>
    where
        F: FnOnce(&mut Order) -> Result<Vec<OrderEvent>, OrderError> + Send,
    {
        match self.store.change(id, None, decide).await? {
            Changed::Done(outcome) => Ok(self.give_back(outcome?, None, Utc::now()).await?),
            Changed::NotFound | Changed::Duplicate => Err(Error::NotFound(id.clone())),
        }
    }

    /// One timer of one order; 1 when the order was there to take.
    async fn fire<F>(&self, id: &OrderId, decide: F) -> Result<usize, Error>
    where
        F: FnOnce(&mut Order) -> Result<Vec<OrderEvent>, OrderError> + Send,
    {
        let changed = self.store.change(id, None, decide).await?;
        if let Changed::Done(Ok(order)) = changed {
            self.give_back(order, None, Utc::now()).await?;
            return Ok(1);
        }
        Ok(0)
    }

    /// A cancelled order whose card holds money (authorized, or captured while it was
    /// cancelled), or `intent` authorized for an order cancelled meanwhile: voided, or
    /// refunded, and recorded. An open or confirmed order is answered as it is. When the
    /// provider cannot be heard, the order stays as it is (logged, counted by the
    /// provider's metrics) and the saga timers try again ([`Self::retry_releases`]).
    async fn give_back(
        &self,
        order: Order,
        intent: Option<&IntentId>,
        now: DateTime<Utc>,
    ) -> Result<Order, StoreError> {
        if order.status() != OrderStatus::Cancelled {
            return Ok(order);
        }
        let holds = order.payment().is_some_and(Payment::holds_money);
        if !holds {
            let Some(intent) = intent else {
                return Ok(order);
            };
            // Authorized after the cancellation was recorded: nothing of it is kept.
            if !self.payments.void_unrecorded(order.id(), intent).await {
                return Ok(order);
            }
            let recorded = self
                .store
                .change(order.id(), None, |o| {
                    o.payment_voided_late(intent.to_string(), now)
                })
                .await?;
            return Ok(match recorded {
                Changed::Done(Ok(voided)) => voided,
                _ => order,
            });
        }
        let Some(released) = self.payments.release(&order).await else {
            tracing::error!(order_id = %order.id(), "the payment of a cancelled order could not be given back; the saga timers try again");
            return Ok(order);
        };
        Ok(
            match self
                .store
                .change(order.id(), None, |o| o.payment_released(released, now))
                .await?
            {
                Changed::Done(Ok(released)) => released,
                _ => order,
            },
        )
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
            Changed::Done(Ok(order)) => {
                self.give_back(order, None, Utc::now()).await?;
                Reaction::Taken
            }
            Changed::Done(Err(_)) => Reaction::Taken,
            Changed::NotFound => Reaction::NotOurs,
            Changed::Duplicate => Reaction::Duplicate,
        })
    }
}

/// A declined order is answered declined, whenever asked; any other order as it stands.
fn declined_again(order: Order) -> Result<Order, Error> {
    let declined = order
        .payment()
        .is_some_and(|p| p.status() == PaymentStatus::Declined);
    if declined {
        Err(Error::PaymentDeclined(Box::new(order)))
    } else {
        Ok(order)
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
    // A paid order is another request than the same order unpaid (`$` never appears in
    // the parts before it). Only the token's kind: the token itself is not kept.
    if let Some(card) = &cmd.payment {
        fingerprint.push_str(&format!("|$card:{}", card.kind()));
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
            payment: None,
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
