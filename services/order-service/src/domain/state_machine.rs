//! The order's state machine, as one table: for each (status, trigger), the next status,
//! "nothing to do" (a repeat or a late event about a decided order), or "invalid".
//!
//! `PENDING` → `CONFIRMED` | `CANCELLED`, both terminal, with `RESERVED` between on the
//! event path: the inventory reserved exactly the order's lines and the saga has asked it
//! to commit them. An order is `CONFIRMED` only once its lines are committed (the HTTP
//! path commits before it confirms; the event path waits for `StockCommitted`). A later
//! step (a payment) is a new status and new rows in `next`, not a rewrite.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    Pending,
    /// Stock reserved; its commit is asked for.
    Reserved,
    Confirmed,
    Cancelled,
}

impl OrderStatus {
    pub const ALL: [Self; 4] = [
        Self::Pending,
        Self::Reserved,
        Self::Confirmed,
        Self::Cancelled,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Reserved => "RESERVED",
            Self::Confirmed => "CONFIRMED",
            Self::Cancelled => "CANCELLED",
        }
    }

    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Confirmed | Self::Cancelled)
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OrderStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| format!("unknown order status {s:?}"))
    }
}

/// What can happen to an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// The HTTP path committed the order's lines in the inventory and confirms it.
    Confirm,
    /// A client cancels.
    Cancel { reason: String },
    /// The inventory reserved exactly the order's lines (event path).
    StockReserved,
    /// The inventory committed exactly the order's lines.
    StockCommitted,
    /// The inventory could not reserve (event path).
    StockRefused { reason: String },
    /// The inventory could not commit the order's lines (`stock_lost`: a hold expired
    /// and its units were gone).
    CommitFailed { reason: String },
    /// A hold of the order expired before its stock was reserved for good.
    HoldExpired,
    /// The saga heard nothing within its timeout.
    TimedOut,
}

impl Trigger {
    /// Why the order moved, in the words of its history.
    pub fn reason(&self) -> String {
        match self {
            Self::Confirm => "confirmed".into(),
            Self::Cancel { reason } if reason.is_empty() => "cancelled".into(),
            Self::Cancel { reason } => reason.clone(),
            Self::StockReserved => "stock reserved".into(),
            Self::StockCommitted => "stock committed".into(),
            Self::StockRefused { reason } => format!("reservation failed: {reason}"),
            Self::CommitFailed { reason } => reason.clone(),
            Self::HoldExpired => "reservation expired".into(),
            Self::TimedOut => "saga timed out".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    To(OrderStatus),
    /// Already there, or a late event about a decided order: change nothing.
    Stay,
    Invalid,
}

pub fn next(status: OrderStatus, trigger: &Trigger) -> Next {
    use OrderStatus::*;
    use Trigger::*;
    match (status, trigger) {
        (Pending, StockReserved) => Next::To(Reserved),
        (Pending | Reserved, Confirm | StockCommitted) => Next::To(Confirmed),
        (
            Pending,
            Cancel { .. } | StockRefused { .. } | CommitFailed { .. } | HoldExpired | TimedOut,
        ) => Next::To(Cancelled),
        // The commit is asked for: a late reservation answer or an expired hold changes
        // nothing (the commit takes expired units again); a refused commit, a client or
        // the timeout ends it (the inventory gives back whatever it committed).
        (Reserved, Cancel { .. } | CommitFailed { .. } | TimedOut) => Next::To(Cancelled),
        (Reserved, StockReserved | StockRefused { .. } | HoldExpired) => Next::Stay,
        (Confirmed, Cancel { .. }) | (Cancelled, Confirm) => Next::Invalid,
        (Confirmed | Cancelled, _) => Next::Stay,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_trigger() -> [Trigger; 8] {
        [
            Trigger::Confirm,
            Trigger::Cancel { reason: "x".into() },
            Trigger::StockReserved,
            Trigger::StockCommitted,
            Trigger::StockRefused { reason: "x".into() },
            Trigger::CommitFailed {
                reason: "stock_lost".into(),
            },
            Trigger::HoldExpired,
            Trigger::TimedOut,
        ]
    }

    #[test]
    fn only_confirmed_and_cancelled_are_terminal() {
        assert!(!OrderStatus::Pending.is_terminal());
        assert!(!OrderStatus::Reserved.is_terminal());
        assert!(OrderStatus::Confirmed.is_terminal());
        assert!(OrderStatus::Cancelled.is_terminal());
    }

    #[test]
    fn a_confirmed_order_cannot_be_cancelled_nor_a_cancelled_one_confirmed() {
        assert_eq!(
            next(
                OrderStatus::Confirmed,
                &Trigger::Cancel { reason: "x".into() }
            ),
            Next::Invalid
        );
        assert_eq!(
            next(OrderStatus::Cancelled, &Trigger::Confirm),
            Next::Invalid
        );
    }

    #[test]
    fn late_events_about_a_decided_order_change_nothing() {
        for trigger in every_trigger() {
            if !matches!(trigger, Trigger::Confirm | Trigger::Cancel { .. }) {
                assert_eq!(next(OrderStatus::Cancelled, &trigger), Next::Stay);
                assert_eq!(next(OrderStatus::Confirmed, &trigger), Next::Stay);
            }
        }
    }

    #[test]
    fn only_a_commit_confirms() {
        for status in [OrderStatus::Pending, OrderStatus::Reserved] {
            for trigger in every_trigger() {
                let confirms = next(status, &trigger) == Next::To(OrderStatus::Confirmed);
                assert_eq!(
                    confirms,
                    matches!(trigger, Trigger::Confirm | Trigger::StockCommitted),
                    "{status} on {trigger:?}"
                );
            }
        }
    }

    #[test]
    fn a_reserved_order_waits_for_its_commit_through_late_answers_and_expiry() {
        assert_eq!(
            next(OrderStatus::Pending, &Trigger::StockReserved),
            Next::To(OrderStatus::Reserved)
        );
        for trigger in [
            Trigger::StockReserved,
            Trigger::StockRefused { reason: "x".into() },
            Trigger::HoldExpired,
        ] {
            assert_eq!(next(OrderStatus::Reserved, &trigger), Next::Stay);
        }
        for trigger in [
            Trigger::CommitFailed {
                reason: "stock_lost".into(),
            },
            Trigger::TimedOut,
            Trigger::Cancel { reason: "x".into() },
        ] {
            assert_eq!(
                next(OrderStatus::Reserved, &trigger),
                Next::To(OrderStatus::Cancelled)
            );
        }
    }

    #[test]
    fn statuses_read_back_from_their_text() {
        for status in OrderStatus::ALL {
            assert_eq!(status.as_str().parse::<OrderStatus>(), Ok(status));
        }
    }
}
