//! `Order`: lines, the one location they are all reserved at, customer, status, a history
//! of transitions with their causes, times and the path that drove each, and a version.
//! The saga's timers are part of it: when the HTTP path's grace ends (`handover_at`) and
//! when the saga gives up (`deadline_at`).
//!
//! Sealed: its fields are read through accessors and change only through the named
//! changes below, one per thing that can happen to an order, each stating when it
//! changes nothing. A change that moves the order records its cause in the history and
//! bumps the version; every change returns the events to announce (none when nothing
//! changed: a repeat, or a late event about a decided order).
//!
//! A paid order carries its [`Payment`]: it is priced and authorized (`AUTHORIZED`)
//! before its stock is committed, and it is `CONFIRMED` only with its payment captured.

use chrono::{DateTime, Duration, Utc};
use contracts::Price;
use contracts::events::{CommitFailureReason, ReservationFailureReason};

use super::payment::{self, Payment, PaymentStatus, PricedLine, PricingError};
use super::state_machine::{Next, OrderStatus, next};
use super::{
    CancelCause, Cause, ConfirmCause, LocationId, OrderId, Quantity, Release, SagaPath, Sku,
    Transition,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLine {
    pub sku: Sku,
    pub qty: Quantity,
    /// The price of one unit, copied from the reservation when the order is priced.
    pub unit_price: Option<Price>,
}

/// What an order announces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderEvent {
    /// The event-driven saga starts: the inventory is asked to reserve.
    Created,
    /// The order's stock is reserved: the inventory is asked to commit exactly its lines.
    CommitRequested,
    Confirmed,
    Cancelled(CancelCause),
    /// The order's total is held on the card.
    PaymentAuthorized,
    /// The card refused the order's total.
    PaymentFailed,
    /// The order's total was taken.
    PaymentCaptured,
    /// The authorization was cancelled: nothing is held any more.
    PaymentVoided,
    /// What was taken was given back.
    PaymentRefunded,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    #[error("order {order_id} is {status}: it cannot be {attempted}")]
    InvalidTransition {
        order_id: OrderId,
        status: OrderStatus,
        attempted: &'static str,
    },
    /// Stock was reserved or committed for other lines than the order's: no proof that
    /// the order has its stock.
    #[error("order {order_id}: the inventory's lines are not the order's lines")]
    LinesMismatch { order_id: OrderId },
    /// A payment step on an order that is not paid through the checkout.
    #[error("order {order_id} has no payment")]
    NotPaid { order_id: OrderId },
    /// The lines' prices give no total (several currencies, or too large).
    #[error("order {order_id} cannot be priced: {reason}")]
    Unpriceable {
        order_id: OrderId,
        reason: PricingError,
    },
    /// A paid order is confirmed only once its payment is captured.
    #[error("order {order_id}: its payment is not captured")]
    NotCaptured { order_id: OrderId },
}

/// A stored state that is no order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RestoreError {
    #[error("stored order {order_id} has no history")]
    NoHistory { order_id: OrderId },
    #[error("stored order {order_id} is {status} but its history ends in {last}")]
    StatusNotHistory {
        order_id: OrderId,
        status: OrderStatus,
        last: OrderStatus,
    },
}

/// An order as stored: what [`Order::restore`] rebuilds an order from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredOrder {
    pub id: OrderId,
    pub customer_id: Option<String>,
    pub location: LocationId,
    pub lines: Vec<OrderLine>,
    pub status: OrderStatus,
    pub history: Vec<Transition>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub handover_at: DateTime<Utc>,
    pub handed_over_at: Option<DateTime<Utc>>,
    pub deadline_at: DateTime<Utc>,
    pub payment: Option<Payment>,
}

/// An order. Invariant: its history is never empty and ends in its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    id: OrderId,
    customer_id: Option<String>,
    /// Where every line is reserved, all or none; it never changes.
    location: LocationId,
    lines: Vec<OrderLine>,
    status: OrderStatus,
    history: Vec<Transition>,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    /// When the event path takes over if the HTTP path has not finished.
    handover_at: DateTime<Utc>,
    /// When the event path took over.
    handed_over_at: Option<DateTime<Utc>>,
    /// When a still-pending order is cancelled and compensated.
    deadline_at: DateTime<Utc>,
    /// How it is paid, when it is paid through the checkout.
    payment: Option<Box<Payment>>,
}

impl Order {
    /// A new `PENDING` order of `lines` at `location`, left to the HTTP path for `grace`,
    /// given up after `timeout`; paid with `payment` when there is one.
    #[allow(clippy::too_many_arguments)]
    pub fn place(
        id: OrderId,
        customer_id: Option<String>,
        location: LocationId,
        lines: Vec<OrderLine>,
        payment: Option<Payment>,
        now: DateTime<Utc>,
        grace: Duration,
        timeout: Duration,
    ) -> Self {
        Self {
            id,
            customer_id,
            location,
            lines,
            status: OrderStatus::Pending,
            history: vec![Transition {
                from: None,
                cause: Cause::Placed,
                path: SagaPath::Http,
                at: now,
            }],
            version: 1,
            created_at: now,
            updated_at: now,
            handover_at: now + grace,
            handed_over_at: None,
            deadline_at: now + timeout,
            payment: payment.map(Box::new),
        }
    }

    /// Rebuilds a stored order, refusing one whose history does not end in its status.
    pub fn restore(stored: StoredOrder) -> Result<Self, RestoreError> {
        let Some(last) = stored.history.last() else {
            return Err(RestoreError::NoHistory {
                order_id: stored.id,
            });
        };
        if last.to() != stored.status {
            return Err(RestoreError::StatusNotHistory {
                last: last.to(),
                order_id: stored.id,
                status: stored.status,
            });
        }
        let StoredOrder {
            id,
            customer_id,
            location,
            lines,
            status,
            history,
            version,
            created_at,
            updated_at,
            handover_at,
            handed_over_at,
            deadline_at,
            payment,
        } = stored;
        Ok(Self {
            id,
            customer_id,
            location,
            lines,
            status,
            history,
            version,
            created_at,
            updated_at,
            handover_at,
            handed_over_at,
            deadline_at,
            payment: payment.map(Box::new),
        })
    }

    pub fn id(&self) -> &OrderId {
        &self.id
    }
    pub fn customer_id(&self) -> Option<&str> {
        self.customer_id.as_deref()
    }
    /// Where the order's lines are reserved.
    pub fn location(&self) -> &LocationId {
        &self.location
    }
    pub fn lines(&self) -> &[OrderLine] {
        &self.lines
    }
    pub fn status(&self) -> OrderStatus {
        self.status
    }
    pub fn history(&self) -> &[Transition] {
        &self.history
    }
    pub fn version(&self) -> i64 {
        self.version
    }
    pub fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }
    pub fn updated_at(&self) -> DateTime<Utc> {
        self.updated_at
    }
    pub fn handover_at(&self) -> DateTime<Utc> {
        self.handover_at
    }
    pub fn handed_over_at(&self) -> Option<DateTime<Utc>> {
        self.handed_over_at
    }
    pub fn deadline_at(&self) -> DateTime<Utc> {
        self.deadline_at
    }

    pub fn payment(&self) -> Option<&Payment> {
        self.payment.as_deref()
    }

    /// The sum of the lines at their unit prices, once the order is priced.
    pub fn total(&self) -> Option<Price> {
        payment::total(&self.lines).and_then(Result::ok)
    }

    /// A paid order whose payment is not captured: it may not be confirmed as it is.
    fn needs_capture(&self) -> bool {
        self.payment
            .as_ref()
            .is_some_and(|p| p.status() != PaymentStatus::Captured)
    }

    pub fn is_handed_over(&self) -> bool {
        self.handed_over_at.is_some()
    }

    /// How long the order took from placement to its decision, and which path decided.
    pub fn decided(&self) -> Option<(std::time::Duration, SagaPath)> {
        let last = self.history.last().filter(|t| t.to().is_terminal())?;
        Some((
            (last.at - self.created_at).to_std().unwrap_or_default(),
            last.path,
        ))
    }

    /// The HTTP path confirms, once the inventory has committed `committed`, which must
    /// be exactly the order's lines. A decided order answers as it stands, whatever the
    /// lines: a repeat changes nothing, a cancelled order cannot be confirmed.
    pub fn confirm(
        &mut self,
        committed: &[(Sku, Quantity)],
        now: DateTime<Utc>,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        if !self.status.is_terminal() {
            self.check_lines(committed)?;
            if self.needs_capture() {
                return Err(OrderError::NotCaptured {
                    order_id: self.id.clone(),
                });
            }
        }
        self.apply(
            Cause::Confirmed(ConfirmCause::Committed),
            SagaPath::Http,
            now,
        )
    }

    /// A client cancels, in its own words; a confirmed order cannot be cancelled.
    pub fn cancel(
        &mut self,
        reason: String,
        now: DateTime<Utc>,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        self.apply(
            Cause::Cancelled(CancelCause::Requested(reason)),
            SagaPath::Http,
            now,
        )
    }

    /// The inventory could not commit the order's lines, as `path` learnt it (the HTTP
    /// path from its commit call, the event path from `CommitFailed`): cancelled, unless
    /// decided already.
    pub fn commit_failed(
        &mut self,
        reason: CommitFailureReason,
        path: SagaPath,
        now: DateTime<Utc>,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        self.apply(
            Cause::Cancelled(CancelCause::CommitFailed(reason)),
            path,
            now,
        )
    }

    /// The event path takes the order over: `OrderCreated` goes out, once. A decided
    /// order is not handed over; asking again changes nothing.
    pub fn hand_over(&mut self, now: DateTime<Utc>) -> Result<Vec<OrderEvent>, OrderError> {
        if !matches!(self.status, OrderStatus::Pending | OrderStatus::Authorized) {
            return Err(self.invalid("handed over"));
        }
        if self.is_handed_over() {
            return Ok(Vec::new());
        }
        self.handed_over_at = Some(now);
        self.touch(now);
        Ok(vec![OrderEvent::Created])
    }

    /// The handover timer: once the HTTP path's grace is over, an undecided order is
    /// handed over to the event path. Before that, or once decided, nothing changes.
    pub fn hand_over_if_due(&mut self, now: DateTime<Utc>) -> Result<Vec<OrderEvent>, OrderError> {
        if self.handover_at > now || self.status.is_terminal() {
            return Ok(Vec::new());
        }
        self.hand_over(now)
    }

    /// The saga's timeout: an order still undecided at its deadline is cancelled (and so
    /// compensated). Before the deadline, or once decided, nothing changes.
    pub fn time_out_if_due(&mut self, now: DateTime<Utc>) -> Result<Vec<OrderEvent>, OrderError> {
        if self.deadline_at > now {
            return Ok(Vec::new());
        }
        self.apply(
            Cause::Cancelled(CancelCause::TimedOut),
            SagaPath::Timer,
            now,
        )
    }

    /// The inventory reserved `items`: a handed-over order whose lines they are exactly
    /// moves to `RESERVED` and asks for its commit. An order the HTTP path still drives
    /// is left to it; a decided one does not move.
    pub fn stock_reserved(
        &mut self,
        items: &[(Sku, Quantity)],
        now: DateTime<Utc>,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        if !self.is_handed_over() || self.status.is_terminal() {
            return Ok(Vec::new());
        }
        self.check_lines(items)?;
        self.apply(Cause::StockReserved, SagaPath::Event, now)
    }

    /// The inventory committed `items`: an undecided order whose lines they are exactly
    /// is confirmed, whichever path drove it (the HTTP path may have died between its
    /// commit and its confirm).
    pub fn stock_committed(
        &mut self,
        items: &[(Sku, Quantity)],
        now: DateTime<Utc>,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        if self.status.is_terminal() {
            return Ok(Vec::new());
        }
        self.check_lines(items)?;
        if self.needs_capture() {
            return Err(OrderError::NotCaptured {
                order_id: self.id.clone(),
            });
        }
        self.apply(
            Cause::Confirmed(ConfirmCause::StockCommitted),
            SagaPath::Event,
            now,
        )
    }

    /// The total of `priced`, which must be exactly the order's lines, each with its unit
    /// price, all in one currency. Changes nothing.
    pub fn price(&self, priced: &[PricedLine]) -> Result<Price, OrderError> {
        if self.payment.is_none() {
            return Err(OrderError::NotPaid {
                order_id: self.id.clone(),
            });
        }
        self.check_lines(&payment::units(priced))?;
        let pairs: Vec<(Quantity, Price)> = priced.iter().map(|(_, q, p)| (*q, *p)).collect();
        payment::sum(&pairs).map_err(|reason| OrderError::Unpriceable {
            order_id: self.id.clone(),
            reason,
        })
    }

    /// The provider holds the total of `priced` on the card (`intent`): the lines keep
    /// their unit prices, the token is forgotten, and the order is `AUTHORIZED`. A repeat,
    /// or an order decided meanwhile, changes nothing (a cancelled one: the caller voids
    /// what it just authorized).
    pub fn payment_authorized(
        &mut self,
        priced: &[PricedLine],
        intent: String,
        path: SagaPath,
        now: DateTime<Utc>,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        let total = self.price(priced)?;
        if !self.moves(&Cause::PaymentAuthorized)? {
            return Ok(Vec::new());
        }
        self.set_prices(priced);
        if let Some(payment) = self.payment.as_mut() {
            payment.authorized(total, intent);
        }
        let mut events = self.apply(Cause::PaymentAuthorized, path, now)?;
        events.push(OrderEvent::PaymentAuthorized);
        Ok(events)
    }

    /// The card refused the total of `priced`: the order is `CANCELLED`
    /// (`payment_declined`) and the inventory releases its holds.
    pub fn payment_declined(
        &mut self,
        priced: &[PricedLine],
        path: SagaPath,
        now: DateTime<Utc>,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        let total = self.price(priced)?;
        let cause = Cause::Cancelled(CancelCause::PaymentDeclined);
        if !self.moves(&cause)? {
            return Ok(Vec::new());
        }
        self.set_prices(priced);
        if let Some(payment) = self.payment.as_mut() {
            payment.declined(total);
        }
        let mut events = self.apply(cause, path, now)?;
        events.push(OrderEvent::PaymentFailed);
        Ok(events)
    }

    /// The provider took the authorized total, once the inventory committed `committed`
    /// (exactly the order's lines): the order is `CONFIRMED`. A confirmed order answers
    /// as it is; a cancelled one cannot be confirmed (the caller refunds).
    pub fn payment_captured(
        &mut self,
        committed: &[(Sku, Quantity)],
        path: SagaPath,
        now: DateTime<Utc>,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        let cause = Cause::Confirmed(ConfirmCause::PaymentCaptured);
        if !self.status.is_terminal() {
            self.check_lines(committed)?;
            let held = self.payment.as_ref().is_some_and(|p| p.holds_money());
            if !held {
                return Err(OrderError::NotCaptured {
                    order_id: self.id.clone(),
                });
            }
        }
        if !self.moves(&cause)? {
            return Ok(Vec::new());
        }
        if let Some(payment) = self.payment.as_mut() {
            payment.settle(PaymentStatus::Captured);
        }
        let mut events = vec![OrderEvent::PaymentCaptured];
        events.extend(self.apply(cause, path, now)?);
        Ok(events)
    }

    /// A paid order whose reserved lines cannot be charged as one total (a SKU without a
    /// unit price at its location, several currencies), as `path` found: cancelled, in
    /// the words `payment refused: <why>`.
    pub fn unpayable(
        &mut self,
        why: &str,
        path: SagaPath,
        now: DateTime<Utc>,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        self.apply(
            Cause::Cancelled(CancelCause::Requested(format!("payment refused: {why}"))),
            path,
            now,
        )
    }

    /// The payment could not be captured (or there was no authorization to capture):
    /// the order is `CANCELLED` (`capture_failed`), and the inventory gives back what it
    /// committed. Never confirmed unpaid.
    pub fn capture_failed(
        &mut self,
        path: SagaPath,
        now: DateTime<Utc>,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        self.apply(Cause::Cancelled(CancelCause::CaptureFailed), path, now)
    }

    /// What was held on the card of a cancelled order was voided, or what was taken was
    /// refunded (`released` says which): recorded in the history, by the path that
    /// cancelled the order. The order stays cancelled; a repeat changes nothing.
    pub fn payment_released(
        &mut self,
        released: Release,
        now: DateTime<Utc>,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        let cause = Cause::PaymentReleased(released);
        let held = self.payment.as_ref().is_some_and(|p| p.holds_money());
        if !self.moves(&cause)? || !held {
            return Ok(Vec::new());
        }
        let (status, event) = match released {
            Release::Voided => (PaymentStatus::Voided, OrderEvent::PaymentVoided),
            Release::Refunded => (PaymentStatus::Refunded, OrderEvent::PaymentRefunded),
        };
        if let Some(payment) = self.payment.as_mut() {
            payment.settle(status);
        }
        let path = self.history.last().map_or(SagaPath::Http, |t| t.path);
        self.apply(cause, path, now)?;
        Ok(vec![event])
    }

    /// The card was authorized (`intent`) only after the order was cancelled, and the
    /// authorization was voided at once: recorded as a voided payment, so a cancelled
    /// order never shows a payment still waiting. Only for a cancelled order whose
    /// payment was still pending; otherwise nothing changes.
    pub fn payment_voided_late(
        &mut self,
        intent: String,
        now: DateTime<Utc>,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        let cause = Cause::PaymentReleased(Release::Voided);
        let pending = self
            .payment
            .as_ref()
            .is_some_and(|p| p.status() == PaymentStatus::Pending);
        if !pending || !self.moves(&cause)? {
            return Ok(Vec::new());
        }
        if let Some(payment) = self.payment.as_mut() {
            payment.voided_late(intent);
        }
        let path = self.history.last().map_or(SagaPath::Http, |t| t.path);
        self.apply(cause, path, now)?;
        Ok(vec![OrderEvent::PaymentVoided])
    }

    /// Whether `cause` moves the order; an error when the state machine forbids it.
    fn moves(&self, cause: &Cause) -> Result<bool, OrderError> {
        match next(self.status, cause) {
            Next::To(_) => Ok(true),
            Next::Stay => Ok(false),
            Next::Invalid => Err(self.invalid(attempted(cause))),
        }
    }

    fn set_prices(&mut self, priced: &[PricedLine]) {
        for line in &mut self.lines {
            line.unit_price = priced
                .iter()
                .find(|(sku, _, _)| *sku == line.sku)
                .map(|(_, _, price)| *price);
        }
    }

    /// The inventory could not reserve: a handed-over pending order is cancelled. An
    /// order the HTTP path still drives is left to it.
    pub fn reservation_failed(
        &mut self,
        reason: ReservationFailureReason,
        now: DateTime<Utc>,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        if !self.is_handed_over() {
            return Ok(Vec::new());
        }
        self.apply(
            Cause::Cancelled(CancelCause::ReservationFailed(reason)),
            SagaPath::Event,
            now,
        )
    }

    /// A hold of the order expired: a pending order is cancelled, whichever path drives
    /// it. A `RESERVED` order stays: its commit takes the units again.
    pub fn hold_expired(&mut self, now: DateTime<Utc>) -> Result<Vec<OrderEvent>, OrderError> {
        self.apply(
            Cause::Cancelled(CancelCause::HoldExpired),
            SagaPath::Event,
            now,
        )
    }

    /// Whether `items` are exactly the order's lines (the same SKUs, the same
    /// quantities, in any order): what a reservation or a commit must cover before it
    /// moves the order.
    fn check_lines(&self, items: &[(Sku, Quantity)]) -> Result<(), OrderError> {
        let mut mine: Vec<(&Sku, Quantity)> = self.lines.iter().map(|l| (&l.sku, l.qty)).collect();
        let mut theirs: Vec<(&Sku, Quantity)> = items.iter().map(|(s, q)| (s, *q)).collect();
        mine.sort();
        theirs.sort();
        if mine == theirs {
            Ok(())
        } else {
            Err(OrderError::LinesMismatch {
                order_id: self.id.clone(),
            })
        }
    }

    /// Moves the order as the state machine says, recording why.
    fn apply(
        &mut self,
        cause: Cause,
        path: SagaPath,
        now: DateTime<Utc>,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        let to = match next(self.status, &cause) {
            Next::Stay => return Ok(Vec::new()),
            Next::Invalid => return Err(self.invalid(attempted(&cause))),
            Next::To(to) => to,
        };
        let events = match &cause {
            Cause::Placed | Cause::PaymentAuthorized | Cause::PaymentReleased(_) => Vec::new(),
            Cause::StockReserved => vec![OrderEvent::CommitRequested],
            Cause::Confirmed(_) => vec![OrderEvent::Confirmed],
            Cause::Cancelled(why) => vec![OrderEvent::Cancelled(why.clone())],
        };
        self.history.push(Transition {
            from: Some(self.status),
            cause,
            path,
            at: now,
        });
        self.status = to;
        self.touch(now);
        Ok(events)
    }

    fn touch(&mut self, now: DateTime<Utc>) {
        self.version += 1;
        self.updated_at = now;
    }

    fn invalid(&self, attempted: &'static str) -> OrderError {
        OrderError::InvalidTransition {
            order_id: self.id.clone(),
            status: self.status,
            attempted,
        }
    }
}

/// What a refused cause attempted, for the refusal's words.
fn attempted(cause: &Cause) -> &'static str {
    match cause {
        Cause::Placed => "placed",
        Cause::PaymentAuthorized => "authorized",
        Cause::PaymentReleased(_) => "refunded",
        Cause::Confirmed(_) => "confirmed",
        Cause::StockReserved | Cause::Cancelled(_) => "cancelled",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    fn sku() -> Sku {
        Sku::parse("ABC-1234-AB").unwrap()
    }

    fn qty(n: i64) -> Quantity {
        Quantity::parse(n).unwrap()
    }

    /// The order's own lines, as the inventory names them.
    fn its_lines() -> Vec<(Sku, Quantity)> {
        vec![(sku(), qty(2))]
    }

    fn order() -> Order {
        Order::place(
            OrderId::parse("0192f1c3-7a1e-7c3e-9a0b-1f2e3d4c5b6a").unwrap(),
            None,
            LocationId::parse("store-1").unwrap(),
            vec![OrderLine {
                sku: sku(),
                qty: qty(2),
                unit_price: None,
            }],
            None,
            now(),
            Duration::seconds(3),
            Duration::seconds(300),
        )
    }

    fn handed_over() -> Order {
        let mut o = order();
        o.hand_over(now()).unwrap();
        o
    }

    fn stored(o: &Order) -> StoredOrder {
        StoredOrder {
            id: o.id.clone(),
            customer_id: o.customer_id.clone(),
            location: o.location.clone(),
            lines: o.lines.clone(),
            status: o.status,
            history: o.history.clone(),
            version: o.version,
            created_at: o.created_at,
            updated_at: o.updated_at,
            handover_at: o.handover_at,
            handed_over_at: o.handed_over_at,
            deadline_at: o.deadline_at,
            payment: o.payment.as_deref().cloned(),
        }
    }

    #[test]
    fn a_placed_order_is_pending_with_its_timers() {
        let o = order();
        assert_eq!(o.status(), OrderStatus::Pending);
        assert_eq!(o.handover_at(), now() + Duration::seconds(3));
        assert_eq!(o.deadline_at(), now() + Duration::seconds(300));
        assert_eq!(o.history().len(), 1);
        assert_eq!(o.history()[0].cause, Cause::Placed);
    }

    #[test]
    fn confirming_records_the_transition_and_announces_it_once() {
        let mut o = order();
        let events = o.confirm(&its_lines(), now()).unwrap();
        assert_eq!(events, vec![OrderEvent::Confirmed]);
        assert_eq!(o.status(), OrderStatus::Confirmed);
        let last = o.history().last().unwrap();
        assert_eq!(
            (last.path, &last.cause),
            (SagaPath::Http, &Cause::Confirmed(ConfirmCause::Committed))
        );
        assert!(o.confirm(&its_lines(), now()).unwrap().is_empty());
        assert!(o.stock_reserved(&its_lines(), now()).unwrap().is_empty());
        assert_eq!(o.version(), 2);
    }

    #[test]
    fn a_reserved_order_asks_for_its_commit_and_is_confirmed_by_it() {
        let mut o = handed_over();
        let events = o.stock_reserved(&its_lines(), now()).unwrap();
        assert_eq!(events, vec![OrderEvent::CommitRequested]);
        assert_eq!(o.status(), OrderStatus::Reserved);
        assert_eq!(o.decided(), None);
        let events = o.stock_committed(&its_lines(), now()).unwrap();
        assert_eq!(events, vec![OrderEvent::Confirmed]);
        assert_eq!(o.status(), OrderStatus::Confirmed);
    }

    #[test]
    fn a_failed_commit_cancels_with_its_cause() {
        let mut o = handed_over();
        o.stock_reserved(&its_lines(), now()).unwrap();
        let events = o
            .commit_failed(CommitFailureReason::StockLost, SagaPath::Event, now())
            .unwrap();
        assert_eq!(
            events,
            vec![OrderEvent::Cancelled(CancelCause::CommitFailed(
                CommitFailureReason::StockLost
            ))]
        );
        assert_eq!(o.history().last().unwrap().cause.to_string(), "stock_lost");
    }

    #[test]
    fn only_the_orders_own_lines_move_it() {
        let other = Sku::parse("ABC-1234-AC").unwrap();
        for wrong in [
            vec![(sku(), qty(1))],
            vec![],
            vec![(sku(), qty(2)), (other, qty(1))],
        ] {
            let mut o = handed_over();
            let before = o.clone();
            assert!(matches!(
                o.stock_reserved(&wrong, now()),
                Err(OrderError::LinesMismatch { .. })
            ));
            assert!(matches!(
                o.stock_committed(&wrong, now()),
                Err(OrderError::LinesMismatch { .. })
            ));
            assert!(matches!(
                o.confirm(&wrong, now()),
                Err(OrderError::LinesMismatch { .. })
            ));
            assert_eq!(o, before);
        }
    }

    #[test]
    fn an_order_the_http_path_drives_ignores_the_inventorys_reservation_answers() {
        let mut o = order();
        assert!(o.stock_reserved(&its_lines(), now()).unwrap().is_empty());
        assert!(
            o.reservation_failed(ReservationFailureReason::InsufficientStock, now())
                .unwrap()
                .is_empty()
        );
        assert_eq!((o.status(), o.version()), (OrderStatus::Pending, 1));
    }

    #[test]
    fn cancelling_a_confirmed_order_is_an_invalid_transition() {
        let mut o = order();
        o.confirm(&its_lines(), now()).unwrap();
        let err = o.cancel("x".into(), now()).unwrap_err();
        assert!(matches!(
            err,
            OrderError::InvalidTransition {
                status: OrderStatus::Confirmed,
                ..
            }
        ));
    }

    #[test]
    fn confirming_a_cancelled_order_is_invalid_whatever_the_lines() {
        let mut o = order();
        o.cancel(String::new(), now()).unwrap();
        assert_eq!(o.history().last().unwrap().cause.to_string(), "cancelled");
        assert!(matches!(
            o.confirm(&[], now()),
            Err(OrderError::InvalidTransition {
                status: OrderStatus::Cancelled,
                ..
            })
        ));
    }

    #[test]
    fn a_refused_reservation_cancels_with_its_reason() {
        let mut o = handed_over();
        let events = o
            .reservation_failed(ReservationFailureReason::InsufficientStock, now())
            .unwrap();
        let cause = CancelCause::ReservationFailed(ReservationFailureReason::InsufficientStock);
        assert_eq!(cause.to_string(), "reservation failed: insufficient_stock");
        assert_eq!(events, vec![OrderEvent::Cancelled(cause)]);
        // A late "reserved" after the cancellation changes nothing.
        assert!(o.stock_reserved(&its_lines(), now()).unwrap().is_empty());
        assert_eq!(o.status(), OrderStatus::Cancelled);
    }

    #[test]
    fn an_expired_hold_cancels_a_pending_order_but_not_a_reserved_one() {
        let mut pending = order();
        assert_eq!(
            pending.hold_expired(now()).unwrap(),
            vec![OrderEvent::Cancelled(CancelCause::HoldExpired)]
        );
        let mut reserved = handed_over();
        reserved.stock_reserved(&its_lines(), now()).unwrap();
        assert!(reserved.hold_expired(now()).unwrap().is_empty());
        assert_eq!(reserved.status(), OrderStatus::Reserved);
    }

    #[test]
    fn an_order_is_handed_over_once_and_never_once_decided() {
        let mut o = order();
        assert_eq!(o.hand_over(now()).unwrap(), vec![OrderEvent::Created]);
        assert!(o.hand_over(now()).unwrap().is_empty());
        o.stock_committed(&its_lines(), now()).unwrap();
        assert!(o.hand_over(now()).is_err());
    }

    #[test]
    fn the_handover_timer_waits_for_the_grace_and_leaves_decided_orders() {
        let mut o = order();
        let early = now() + Duration::seconds(2);
        assert!(o.hand_over_if_due(early).unwrap().is_empty());
        assert!(!o.is_handed_over());
        let due = now() + Duration::seconds(3);
        assert_eq!(o.hand_over_if_due(due).unwrap(), vec![OrderEvent::Created]);
        assert_eq!(o.handed_over_at(), Some(due));
        assert!(o.hand_over_if_due(due).unwrap().is_empty());

        let mut decided = order();
        decided.cancel("x".into(), now()).unwrap();
        let before = decided.clone();
        assert!(decided.hand_over_if_due(due).unwrap().is_empty());
        assert_eq!(decided, before);
    }

    #[test]
    fn the_timeout_cancels_an_undecided_order_at_its_deadline_only() {
        let mut o = handed_over();
        o.stock_reserved(&its_lines(), now()).unwrap();
        let early = now() + Duration::seconds(299);
        assert!(o.time_out_if_due(early).unwrap().is_empty());
        assert_eq!(o.status(), OrderStatus::Reserved);
        let deadline = now() + Duration::seconds(300);
        assert_eq!(
            o.time_out_if_due(deadline).unwrap(),
            vec![OrderEvent::Cancelled(CancelCause::TimedOut)]
        );
        let last = o.history().last().unwrap();
        assert_eq!(
            (last.path, last.cause.to_string()),
            (SagaPath::Timer, "saga timed out".to_owned())
        );

        let mut confirmed = order();
        confirmed.confirm(&its_lines(), now()).unwrap();
        assert!(confirmed.time_out_if_due(deadline).unwrap().is_empty());
        assert_eq!(confirmed.status(), OrderStatus::Confirmed);
    }

    #[test]
    fn the_decision_reports_its_duration_and_path() {
        let mut o = order();
        assert_eq!(o.decided(), None);
        o.time_out_if_due(now() + Duration::seconds(300)).unwrap();
        assert_eq!(
            o.decided(),
            Some((std::time::Duration::from_secs(300), SagaPath::Timer))
        );
    }

    #[test]
    fn a_stored_order_is_restored_as_it_was() {
        let mut o = handed_over();
        o.stock_reserved(&its_lines(), now()).unwrap();
        let restored = Order::restore(stored(&o)).unwrap();
        assert_eq!(restored.location().as_str(), "store-1");
        assert_eq!(restored, o);
    }

    #[test]
    fn a_stored_order_whose_history_is_not_its_status_is_refused() {
        let o = order();
        let mut wrong = stored(&o);
        wrong.status = OrderStatus::Confirmed;
        assert!(matches!(
            Order::restore(wrong),
            Err(RestoreError::StatusNotHistory { .. })
        ));
        let mut empty = stored(&o);
        empty.history.clear();
        assert!(matches!(
            Order::restore(empty),
            Err(RestoreError::NoHistory { .. })
        ));
    }

    fn paid() -> Order {
        let card = contracts::orders::PaymentRequest {
            method: "card".into(),
            token: "tok_visa".into(),
        }
        .validate()
        .unwrap();
        let mut o = order();
        o.payment = Some(Box::new(Payment::card(&card)));
        o
    }

    fn priced() -> Vec<PricedLine> {
        vec![(sku(), qty(2), Price::parse(1999, "EUR").unwrap())]
    }

    #[test]
    fn a_paid_order_is_priced_authorized_and_confirmed_only_once_captured() {
        let mut o = paid();
        assert_eq!(o.price(&priced()), Ok(Price::parse(3998, "EUR").unwrap()));
        // Not captured: no confirmation.
        assert!(matches!(
            o.confirm(&its_lines(), now()),
            Err(OrderError::NotCaptured { .. })
        ));
        let events = o
            .payment_authorized(&priced(), "pi_1".into(), SagaPath::Http, now())
            .unwrap();
        assert_eq!(events, vec![OrderEvent::PaymentAuthorized]);
        assert_eq!(o.status(), OrderStatus::Authorized);
        assert_eq!(o.total(), Some(Price::parse(3998, "EUR").unwrap()));
        let payment = o.payment().unwrap();
        assert_eq!((payment.token(), payment.intent()), (None, Some("pi_1")));
        // A repeat changes nothing.
        assert!(
            o.payment_authorized(&priced(), "pi_1".into(), SagaPath::Http, now())
                .unwrap()
                .is_empty()
        );
        assert!(matches!(
            o.stock_committed(&its_lines(), now()),
            Err(OrderError::NotCaptured { .. })
        ));
        let events = o
            .payment_captured(&its_lines(), SagaPath::Http, now())
            .unwrap();
        assert_eq!(
            events,
            vec![OrderEvent::PaymentCaptured, OrderEvent::Confirmed]
        );
        assert_eq!(o.payment().unwrap().status(), PaymentStatus::Captured);
        let words: Vec<String> = o.history().iter().map(|t| t.cause.to_string()).collect();
        assert_eq!(words, ["placed", "payment authorized", "payment captured"]);
    }

    #[test]
    fn a_declined_card_cancels_the_order_and_forgets_the_token() {
        let mut o = paid();
        let events = o
            .payment_declined(&priced(), SagaPath::Http, now())
            .unwrap();
        assert_eq!(
            events,
            vec![
                OrderEvent::Cancelled(CancelCause::PaymentDeclined),
                OrderEvent::PaymentFailed
            ]
        );
        let payment = o.payment().unwrap();
        assert_eq!(
            (payment.status(), payment.token()),
            (PaymentStatus::Declined, None)
        );
        assert_eq!(
            o.history().last().unwrap().cause.to_string(),
            "payment_declined"
        );
    }

    #[test]
    fn a_cancelled_paid_order_records_the_void_once() {
        let mut o = paid();
        o.payment_authorized(&priced(), "pi_1".into(), SagaPath::Http, now())
            .unwrap();
        assert!(o.payment_released(Release::Voided, now()).is_err());
        o.commit_failed(CommitFailureReason::StockLost, SagaPath::Http, now())
            .unwrap();
        assert_eq!(
            o.payment_released(Release::Voided, now()).unwrap(),
            vec![OrderEvent::PaymentVoided]
        );
        assert!(
            o.payment_released(Release::Voided, now())
                .unwrap()
                .is_empty()
        );
        assert_eq!(o.payment().unwrap().status(), PaymentStatus::Voided);
        let words: Vec<String> = o.history().iter().map(|t| t.cause.to_string()).collect();
        assert_eq!(
            words,
            [
                "placed",
                "payment authorized",
                "stock_lost",
                "payment voided"
            ]
        );
    }

    #[test]
    fn an_authorization_voided_after_the_cancellation_is_recorded_on_a_pending_payment_only() {
        let mut open = paid();
        assert!(
            open.payment_voided_late("pi_1".into(), now()).is_err(),
            "an open order is not cancelled"
        );
        let mut o = paid();
        o.commit_failed(CommitFailureReason::StockLost, SagaPath::Http, now())
            .unwrap();
        assert_eq!(
            o.payment_voided_late("pi_1".into(), now()).unwrap(),
            vec![OrderEvent::PaymentVoided]
        );
        let payment = o.payment().unwrap();
        assert_eq!(
            (payment.status(), payment.intent(), payment.token()),
            (PaymentStatus::Voided, Some("pi_1"), None)
        );
        assert!(
            o.payment_voided_late("pi_1".into(), now())
                .unwrap()
                .is_empty(),
            "a repeat changes nothing"
        );
        let words: Vec<String> = o.history().iter().map(|t| t.cause.to_string()).collect();
        assert_eq!(words, ["placed", "stock_lost", "payment voided"]);
        let mut unpaid = order();
        unpaid
            .commit_failed(CommitFailureReason::StockLost, SagaPath::Http, now())
            .unwrap();
        assert!(
            unpaid
                .payment_voided_late("pi_1".into(), now())
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn other_lines_or_several_currencies_cannot_be_priced() {
        let o = paid();
        let usd = Price::parse(1, "USD").unwrap();
        assert!(matches!(
            o.price(&[(sku(), qty(1), usd)]),
            Err(OrderError::LinesMismatch { .. })
        ));
        assert!(matches!(
            order().price(&priced()),
            Err(OrderError::NotPaid { .. })
        ));
        let mut unpaid_capture = order();
        assert!(matches!(
            unpaid_capture.payment_captured(&its_lines(), SagaPath::Http, now()),
            Err(OrderError::NotCaptured { .. })
        ));
    }
}
