//! The order's state machine, as one table: for each (status, trigger), the next status,
//! "nothing to do" (a repeat or a late event about a decided order), or "invalid".
//!
//! `PENDING` → `CONFIRMED` | `CANCELLED`, both terminal. A later step (a payment, a
//! shipment) is a new status and new rows in `next`, not a rewrite: e.g. `PENDING` →
//! `RESERVED` on `StockReserved`, `RESERVED` → `CONFIRMED` on `PaymentCaptured`.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    Pending,
    Confirmed,
    Cancelled,
}

impl OrderStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Confirmed => "CONFIRMED",
            Self::Cancelled => "CANCELLED",
        }
    }

    pub fn is_terminal(self) -> bool {
        next(self, &Trigger::Confirm) != Next::To(OrderStatus::Confirmed)
            && next(
                self,
                &Trigger::Cancel {
                    reason: String::new(),
                },
            ) != Next::To(OrderStatus::Cancelled)
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
        match s {
            "PENDING" => Ok(Self::Pending),
            "CONFIRMED" => Ok(Self::Confirmed),
            "CANCELLED" => Ok(Self::Cancelled),
            other => Err(format!("unknown order status {other:?}")),
        }
    }
}

/// What can happen to an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// A client (the HTTP path) confirms the order once its stock is reserved.
    Confirm,
    /// A client cancels.
    Cancel { reason: String },
    /// The inventory reserved every line (event path).
    StockReserved,
    /// The inventory could not reserve (event path).
    StockRefused { reason: String },
    /// A hold of the order expired before the order was decided.
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
            Self::StockRefused { reason } => format!("reservation failed: {reason}"),
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
        (Pending, Confirm | StockReserved) => Next::To(Confirmed),
        (Pending, Cancel { .. } | StockRefused { .. } | HoldExpired | TimedOut) => {
            Next::To(Cancelled)
        }
        (Confirmed, Confirm | StockReserved | StockRefused { .. } | HoldExpired | TimedOut) => {
            Next::Stay
        }
        (Confirmed, Cancel { .. }) => Next::Invalid,
        (
            Cancelled,
            Cancel { .. } | StockReserved | StockRefused { .. } | HoldExpired | TimedOut,
        ) => Next::Stay,
        (Cancelled, Confirm) => Next::Invalid,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_pending_moves_and_terminal_states_stay() {
        assert!(!OrderStatus::Pending.is_terminal());
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
        for trigger in [
            Trigger::StockReserved,
            Trigger::StockRefused { reason: "x".into() },
            Trigger::HoldExpired,
            Trigger::TimedOut,
        ] {
            assert_eq!(next(OrderStatus::Cancelled, &trigger), Next::Stay);
            assert_eq!(next(OrderStatus::Confirmed, &trigger), Next::Stay);
        }
    }
}
