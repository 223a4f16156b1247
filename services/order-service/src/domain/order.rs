//! `Order`: lines, customer, status, a history of transitions with reasons, times and
//! the path that drove each, and a version. The saga's timers are part of it: when the
//! HTTP path's grace ends (`handover_at`) and when the saga gives up (`deadline_at`).

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::state_machine::{Next, OrderStatus, Trigger, next};
use super::{Quantity, Sku};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLine {
    pub sku: Sku,
    pub qty: Quantity,
}

/// Which path drove a transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SagaPath {
    /// order-api's synchronous calls.
    Http,
    /// The event-driven saga.
    Event,
    /// A timer of the saga (grace over, timeout).
    Timer,
}

impl SagaPath {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Event => "event",
            Self::Timer => "timer",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "http" => Some(Self::Http),
            "event" => Some(Self::Event),
            "timer" => Some(Self::Timer),
            _ => None,
        }
    }
}

impl fmt::Display for SagaPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// `None` for the creation.
    pub from: Option<OrderStatus>,
    pub to: OrderStatus,
    pub reason: String,
    pub path: SagaPath,
    pub at: DateTime<Utc>,
}

/// What an order announces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderEvent {
    /// The event-driven saga starts: the inventory is asked to reserve.
    Created,
    /// The order's stock is reserved: the inventory is asked to commit exactly its lines.
    CommitRequested,
    Confirmed,
    Cancelled {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    #[error("order {order_id} is {status}: it cannot be {attempted}")]
    InvalidTransition {
        order_id: Uuid,
        status: OrderStatus,
        attempted: &'static str,
    },
    /// Stock was reserved or committed for other lines than the order's: no proof that
    /// the order has its stock.
    #[error("order {order_id}: the inventory's lines are not the order's lines")]
    LinesMismatch { order_id: Uuid },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub id: Uuid,
    pub customer_id: Option<String>,
    pub lines: Vec<OrderLine>,
    pub status: OrderStatus,
    pub history: Vec<Transition>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When the event path takes over if the HTTP path has not finished.
    pub handover_at: DateTime<Utc>,
    /// When the event path took over.
    pub handed_over_at: Option<DateTime<Utc>>,
    /// When a still-pending order is cancelled and compensated.
    pub deadline_at: DateTime<Utc>,
}

impl Order {
    /// A new `PENDING` order, left to the HTTP path for `grace`, given up after `timeout`.
    pub fn place(
        id: Uuid,
        customer_id: Option<String>,
        lines: Vec<OrderLine>,
        now: DateTime<Utc>,
        grace: Duration,
        timeout: Duration,
    ) -> Self {
        Self {
            id,
            customer_id,
            lines,
            status: OrderStatus::Pending,
            history: vec![Transition {
                from: None,
                to: OrderStatus::Pending,
                reason: "placed".into(),
                path: SagaPath::Http,
                at: now,
            }],
            version: 1,
            created_at: now,
            updated_at: now,
            handover_at: now + grace,
            handed_over_at: None,
            deadline_at: now + timeout,
        }
    }

    pub fn is_handed_over(&self) -> bool {
        self.handed_over_at.is_some()
    }

    /// Whether `items` are exactly the order's lines (the same SKUs, the same
    /// quantities, in any order): what a reservation or a commit must cover before it
    /// moves the order.
    pub fn has_lines(&self, items: &[(Sku, Quantity)]) -> bool {
        let mut mine: Vec<(&Sku, Quantity)> = self.lines.iter().map(|l| (&l.sku, l.qty)).collect();
        let mut theirs: Vec<(&Sku, Quantity)> = items.iter().map(|(s, q)| (s, *q)).collect();
        mine.sort();
        theirs.sort();
        mine == theirs
    }

    /// `has_lines`, as a refusal.
    pub fn check_lines(&self, items: &[(Sku, Quantity)]) -> Result<(), OrderError> {
        if self.has_lines(items) {
            Ok(())
        } else {
            Err(OrderError::LinesMismatch { order_id: self.id })
        }
    }

    /// The event path takes the order over: `OrderCreated` goes out, once. A decided
    /// order is not handed over; asking again changes nothing.
    pub fn hand_over(&mut self, now: DateTime<Utc>) -> Result<Vec<OrderEvent>, OrderError> {
        if self.status != OrderStatus::Pending {
            return Err(self.invalid("handed over"));
        }
        if self.is_handed_over() {
            return Ok(Vec::new());
        }
        self.handed_over_at = Some(now);
        self.touch(now);
        Ok(vec![OrderEvent::Created])
    }

    /// Applies what happened; returns the events to announce (none when nothing
    /// changed: a repeat, or a late event about a decided order).
    pub fn apply(
        &mut self,
        trigger: Trigger,
        path: SagaPath,
        now: DateTime<Utc>,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        let to = match next(self.status, &trigger) {
            Next::Stay => return Ok(Vec::new()),
            Next::Invalid => {
                return Err(self.invalid(match trigger {
                    Trigger::Confirm | Trigger::StockCommitted => "confirmed",
                    _ => "cancelled",
                }));
            }
            Next::To(to) => to,
        };
        let reason = trigger.reason();
        self.history.push(Transition {
            from: Some(self.status),
            to,
            reason: reason.clone(),
            path,
            at: now,
        });
        self.status = to;
        self.touch(now);
        Ok(match to {
            OrderStatus::Reserved => vec![OrderEvent::CommitRequested],
            OrderStatus::Confirmed => vec![OrderEvent::Confirmed],
            OrderStatus::Cancelled => vec![OrderEvent::Cancelled { reason }],
            OrderStatus::Pending => Vec::new(),
        })
    }

    /// How long the order took from placement to its decision, and which path decided.
    pub fn decided(&self) -> Option<(std::time::Duration, SagaPath)> {
        let last = self.history.last().filter(|t| t.to.is_terminal())?;
        Some((
            (last.at - self.created_at).to_std().unwrap_or_default(),
            last.path,
        ))
    }

    fn touch(&mut self, now: DateTime<Utc>) {
        self.version += 1;
        self.updated_at = now;
    }

    fn invalid(&self, attempted: &'static str) -> OrderError {
        OrderError::InvalidTransition {
            order_id: self.id,
            status: self.status,
            attempted,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    fn order() -> Order {
        Order::place(
            Uuid::now_v7(),
            None,
            vec![OrderLine {
                sku: Sku::parse("ABC-1234-AB").unwrap(),
                qty: Quantity::parse(2).unwrap(),
            }],
            now(),
            Duration::seconds(3),
            Duration::seconds(300),
        )
    }

    #[test]
    fn a_placed_order_is_pending_with_its_timers() {
        let o = order();
        assert_eq!(o.status, OrderStatus::Pending);
        assert_eq!(o.handover_at, now() + Duration::seconds(3));
        assert_eq!(o.deadline_at, now() + Duration::seconds(300));
        assert_eq!(o.history.len(), 1);
    }

    #[test]
    fn confirming_records_the_transition_and_announces_it_once() {
        let mut o = order();
        let events = o.apply(Trigger::Confirm, SagaPath::Http, now()).unwrap();
        assert_eq!(events, vec![OrderEvent::Confirmed]);
        assert_eq!(o.status, OrderStatus::Confirmed);
        assert_eq!(o.history.last().unwrap().path, SagaPath::Http);
        assert!(
            o.apply(Trigger::Confirm, SagaPath::Http, now())
                .unwrap()
                .is_empty()
        );
        assert!(
            o.apply(Trigger::StockReserved, SagaPath::Event, now())
                .unwrap()
                .is_empty()
        );
        assert_eq!(o.version, 2);
    }

    #[test]
    fn a_reserved_order_asks_for_its_commit_and_is_confirmed_by_it() {
        let mut o = order();
        let events = o
            .apply(Trigger::StockReserved, SagaPath::Event, now())
            .unwrap();
        assert_eq!(events, vec![OrderEvent::CommitRequested]);
        assert_eq!(o.status, OrderStatus::Reserved);
        assert_eq!(o.decided(), None);
        let events = o
            .apply(Trigger::StockCommitted, SagaPath::Event, now())
            .unwrap();
        assert_eq!(events, vec![OrderEvent::Confirmed]);
        assert_eq!(o.status, OrderStatus::Confirmed);
    }

    #[test]
    fn a_failed_commit_cancels_with_its_reason() {
        let mut o = order();
        o.apply(Trigger::StockReserved, SagaPath::Event, now())
            .unwrap();
        let events = o
            .apply(
                Trigger::CommitFailed {
                    reason: "stock_lost".into(),
                },
                SagaPath::Event,
                now(),
            )
            .unwrap();
        assert_eq!(
            events,
            vec![OrderEvent::Cancelled {
                reason: "stock_lost".into()
            }]
        );
    }

    #[test]
    fn only_the_orders_own_lines_match() {
        let o = order();
        let sku = Sku::parse("ABC-1234-AB").unwrap();
        assert!(o.has_lines(&[(sku.clone(), Quantity::parse(2).unwrap())]));
        assert!(!o.has_lines(&[(sku.clone(), Quantity::parse(1).unwrap())]));
        assert!(!o.has_lines(&[]));
        let other = Sku::parse("ABC-1234-AC").unwrap();
        assert!(!o.has_lines(&[
            (sku, Quantity::parse(2).unwrap()),
            (other, Quantity::parse(1).unwrap())
        ]));
        assert!(matches!(
            o.check_lines(&[]),
            Err(OrderError::LinesMismatch { .. })
        ));
    }

    #[test]
    fn cancelling_a_confirmed_order_is_an_invalid_transition() {
        let mut o = order();
        o.apply(Trigger::Confirm, SagaPath::Http, now()).unwrap();
        let err = o
            .apply(
                Trigger::Cancel { reason: "x".into() },
                SagaPath::Http,
                now(),
            )
            .unwrap_err();
        assert!(matches!(
            err,
            OrderError::InvalidTransition {
                status: OrderStatus::Confirmed,
                ..
            }
        ));
    }

    #[test]
    fn a_refused_reservation_cancels_with_its_reason() {
        let mut o = order();
        let events = o
            .apply(
                Trigger::StockRefused {
                    reason: "insufficient_stock".into(),
                },
                SagaPath::Event,
                now(),
            )
            .unwrap();
        assert_eq!(
            events,
            vec![OrderEvent::Cancelled {
                reason: "reservation failed: insufficient_stock".into()
            }]
        );
        // A late "reserved" after the cancellation changes nothing.
        assert!(
            o.apply(Trigger::StockReserved, SagaPath::Event, now())
                .unwrap()
                .is_empty()
        );
        assert_eq!(o.status, OrderStatus::Cancelled);
    }

    #[test]
    fn an_order_is_handed_over_once_and_never_once_decided() {
        let mut o = order();
        assert_eq!(o.hand_over(now()).unwrap(), vec![OrderEvent::Created]);
        assert!(o.hand_over(now()).unwrap().is_empty());
        o.apply(Trigger::StockCommitted, SagaPath::Event, now())
            .unwrap();
        assert!(o.hand_over(now()).is_err());
    }

    #[test]
    fn the_decision_reports_its_duration_and_path() {
        let mut o = order();
        assert_eq!(o.decided(), None);
        o.apply(
            Trigger::TimedOut,
            SagaPath::Timer,
            now() + Duration::seconds(300),
        )
        .unwrap();
        assert_eq!(
            o.decided(),
            Some((std::time::Duration::from_secs(300), SagaPath::Timer))
        );
    }
}
