//! Why an order moves: the input of the state machine, and the words its history records
//! for each transition. Those words are stored (the history), published
//! (`OrderCancelled.reason`) and shown (the HTTP history) as they are, so reading them
//! back gives the same words.
//!
//! A client cancels in its own words; words that happen to be the saga's own
//! (`saga timed out`) read back as the saga's cause. The words stay the same either way,
//! and a past transition's cause feeds nothing but its words.

use std::fmt;

use contracts::events::{CommitFailureReason, ReservationFailureReason};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;

use super::OrderStatus;

const PLACED: &str = "placed";
const STOCK_RESERVED: &str = "stock reserved";
const CANCELLED: &str = "cancelled";
const RESERVATION_FAILED: &str = "reservation failed: ";
const HOLD_EXPIRED: &str = "reservation expired";
const TIMED_OUT: &str = "saga timed out";
const PAYMENT_AUTHORIZED: &str = "payment authorized";
const PAYMENT_DECLINED: &str = "payment_declined";
const CAPTURE_FAILED: &str = "capture_failed";
const PAYMENT_VOIDED: &str = "payment voided";
const PAYMENT_REFUNDED: &str = "payment refunded";

/// What happened to an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    /// The order was created.
    Placed,
    /// The inventory reserved exactly the order's lines (event path).
    StockReserved,
    /// The order's total is held on the card (paid checkouts).
    PaymentAuthorized,
    Confirmed(ConfirmCause),
    Cancelled(CancelCause),
    /// What a cancelled order's card held was given back (the order stays cancelled).
    PaymentReleased(Release),
}

/// How a cancelled order's payment was given back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Release {
    /// The authorization was cancelled: nothing was taken.
    Voided,
    /// What was taken was refunded.
    Refunded,
}

/// Why an order was confirmed: its lines were committed, as one of the paths learnt it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::Display, strum::EnumString)]
pub enum ConfirmCause {
    /// The HTTP path committed the order's lines in the inventory and confirms it.
    #[strum(to_string = "confirmed")]
    Committed,
    /// The inventory announced the commit of exactly the order's lines.
    #[strum(to_string = "stock committed")]
    StockCommitted,
    /// The order's lines were committed and its payment captured (paid checkouts).
    #[strum(to_string = "payment captured")]
    PaymentCaptured,
}

/// Why an order was cancelled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CancelCause {
    /// A client cancelled, in its own words (`cancelled` when it gave none).
    Requested(String),
    /// The inventory could not reserve the order's lines (event path).
    ReservationFailed(ReservationFailureReason),
    /// The inventory could not commit the order's lines (`stock_lost`: a hold expired
    /// and its units were gone).
    CommitFailed(CommitFailureReason),
    /// A hold of the order expired before its stock was reserved for good.
    HoldExpired,
    /// The saga heard nothing within its timeout.
    TimedOut,
    /// The card refused the order's total.
    PaymentDeclined,
    /// The order's payment could not be captured: what was held is voided (or what
    /// was taken refunded), the committed stock returned.
    CaptureFailed,
}

/// Recorded words that no cause of their transition's status has.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{words:?} is no reason for an order to become {status}")]
pub struct UnknownReason {
    pub status: OrderStatus,
    pub words: String,
}

impl Cause {
    /// The status the cause moves an order to.
    pub fn status(&self) -> OrderStatus {
        match self {
            Self::Placed => OrderStatus::Pending,
            Self::StockReserved => OrderStatus::Reserved,
            Self::PaymentAuthorized => OrderStatus::Authorized,
            Self::Confirmed(_) => OrderStatus::Confirmed,
            Self::Cancelled(_) | Self::PaymentReleased(_) => OrderStatus::Cancelled,
        }
    }

    /// Reads back the words recorded for a transition to `status`.
    pub fn read(status: OrderStatus, words: &str) -> Result<Self, UnknownReason> {
        let unknown = || UnknownReason {
            status,
            words: words.to_owned(),
        };
        match status {
            OrderStatus::Pending if words == PLACED => Ok(Self::Placed),
            OrderStatus::Reserved if words == STOCK_RESERVED => Ok(Self::StockReserved),
            OrderStatus::Authorized if words == PAYMENT_AUTHORIZED => Ok(Self::PaymentAuthorized),
            OrderStatus::Pending | OrderStatus::Reserved | OrderStatus::Authorized => {
                Err(unknown())
            }
            OrderStatus::Confirmed => words.parse().map(Self::Confirmed).map_err(|_| unknown()),
            OrderStatus::Cancelled if words == PAYMENT_VOIDED => {
                Ok(Self::PaymentReleased(Release::Voided))
            }
            OrderStatus::Cancelled if words == PAYMENT_REFUNDED => {
                Ok(Self::PaymentReleased(Release::Refunded))
            }
            OrderStatus::Cancelled => Ok(Self::Cancelled(CancelCause::read(words))),
        }
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Placed => f.write_str(PLACED),
            Self::StockReserved => f.write_str(STOCK_RESERVED),
            Self::PaymentAuthorized => f.write_str(PAYMENT_AUTHORIZED),
            Self::Confirmed(cause) => cause.fmt(f),
            Self::Cancelled(cause) => cause.fmt(f),
            Self::PaymentReleased(Release::Voided) => f.write_str(PAYMENT_VOIDED),
            Self::PaymentReleased(Release::Refunded) => f.write_str(PAYMENT_REFUNDED),
        }
    }
}

impl CancelCause {
    fn read(words: &str) -> Self {
        if words == HOLD_EXPIRED {
            return Self::HoldExpired;
        }
        if words == TIMED_OUT {
            return Self::TimedOut;
        }
        if words == PAYMENT_DECLINED {
            return Self::PaymentDeclined;
        }
        if words == CAPTURE_FAILED {
            return Self::CaptureFailed;
        }
        if let Some(reason) = words
            .strip_prefix(RESERVATION_FAILED)
            .and_then(contract_reason)
        {
            return Self::ReservationFailed(reason);
        }
        if let Some(reason) = contract_reason(words) {
            return Self::CommitFailed(reason);
        }
        Self::Requested(words.to_owned())
    }
}

impl fmt::Display for CancelCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Requested(words) if words.is_empty() => f.write_str(CANCELLED),
            Self::Requested(words) => f.write_str(words),
            Self::ReservationFailed(reason) => {
                write!(
                    f,
                    "{RESERVATION_FAILED}{}",
                    contract_word(reason, "refused")
                )
            }
            Self::CommitFailed(reason) => f.write_str(&contract_word(reason, "commit_failed")),
            Self::HoldExpired => f.write_str(HOLD_EXPIRED),
            Self::TimedOut => f.write_str(TIMED_OUT),
            Self::PaymentDeclined => f.write_str(PAYMENT_DECLINED),
            Self::CaptureFailed => f.write_str(CAPTURE_FAILED),
        }
    }
}

/// The inventory's word for one of its reasons, as the contract serializes it
/// (`insufficient_stock`, `stock_lost`); `fallback` if it ever stops being a plain word.
fn contract_word(reason: &impl Serialize, fallback: &str) -> String {
    match serde_json::to_value(reason) {
        Ok(Value::String(word)) => word,
        _ => fallback.to_owned(),
    }
}

fn contract_reason<T: DeserializeOwned>(word: &str) -> Option<T> {
    serde_json::from_value(Value::String(word.to_owned())).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_cause() -> Vec<Cause> {
        let mut causes = vec![
            Cause::Placed,
            Cause::StockReserved,
            Cause::Confirmed(ConfirmCause::Committed),
            Cause::Confirmed(ConfirmCause::StockCommitted),
            Cause::Cancelled(CancelCause::Requested("changed my mind".into())),
            Cause::Cancelled(CancelCause::HoldExpired),
            Cause::Cancelled(CancelCause::TimedOut),
            Cause::PaymentAuthorized,
            Cause::Confirmed(ConfirmCause::PaymentCaptured),
            Cause::Cancelled(CancelCause::PaymentDeclined),
            Cause::Cancelled(CancelCause::CaptureFailed),
            Cause::PaymentReleased(Release::Voided),
            Cause::PaymentReleased(Release::Refunded),
        ];
        causes.extend(
            [
                ReservationFailureReason::InsufficientStock,
                ReservationFailureReason::UnknownSku,
                ReservationFailureReason::OrderCancelled,
                ReservationFailureReason::ReservationConflict,
            ]
            .map(|r| Cause::Cancelled(CancelCause::ReservationFailed(r))),
        );
        causes.extend(
            [
                CommitFailureReason::StockLost,
                CommitFailureReason::OrderCancelled,
                CommitFailureReason::ReservationConflict,
                CommitFailureReason::UnknownSku,
            ]
            .map(|r| Cause::Cancelled(CancelCause::CommitFailed(r))),
        );
        causes
    }

    #[test]
    fn each_cause_has_the_words_the_history_has_always_had() {
        let words: Vec<String> = every_cause().iter().map(ToString::to_string).collect();
        assert_eq!(
            words,
            [
                "placed",
                "stock reserved",
                "confirmed",
                "stock committed",
                "changed my mind",
                "reservation expired",
                "saga timed out",
                "payment authorized",
                "payment captured",
                "payment_declined",
                "capture_failed",
                "payment voided",
                "payment refunded",
                "reservation failed: insufficient_stock",
                "reservation failed: unknown_sku",
                "reservation failed: order_cancelled",
                "reservation failed: reservation_conflict",
                "stock_lost",
                "order_cancelled",
                "reservation_conflict",
                "unknown_sku",
            ]
        );
        assert_eq!(
            CancelCause::Requested(String::new()).to_string(),
            "cancelled"
        );
    }

    #[test]
    fn every_cause_reads_back_from_its_words() {
        for cause in every_cause() {
            assert_eq!(
                Cause::read(cause.status(), &cause.to_string()),
                Ok(cause.clone())
            );
        }
    }

    #[test]
    fn a_clients_words_read_back_as_words_and_keep_their_text() {
        for words in ["cancelled by request", "reservation failed: no idea", ""] {
            let read = Cause::read(OrderStatus::Cancelled, words).unwrap();
            assert_eq!(read, Cause::Cancelled(CancelCause::Requested(words.into())));
        }
        let read = Cause::read(OrderStatus::Cancelled, "saga timed out").unwrap();
        assert_eq!(read.to_string(), "saga timed out");
    }

    #[test]
    fn words_that_are_no_cause_of_their_status_are_refused() {
        for (status, words) in [
            (OrderStatus::Pending, "confirmed"),
            (OrderStatus::Reserved, "placed"),
            (OrderStatus::Confirmed, "saga timed out"),
        ] {
            assert_eq!(
                Cause::read(status, words),
                Err(UnknownReason {
                    status,
                    words: words.into()
                })
            );
        }
    }
}
