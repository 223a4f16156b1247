//! The order's state machine, as one table: for each (status, cause), the next status,
//! "nothing to do" (a repeat or a late event about a decided order), or "invalid".
//!
//! `PENDING` → `CONFIRMED` | `CANCELLED`, both terminal, with `RESERVED` between on the
//! event path: the inventory reserved exactly the order's lines and the saga has asked it
//! to commit them. An order is `CONFIRMED` only once its lines are committed (the HTTP
//! path commits before it confirms; the event path waits for `StockCommitted`).
//!
//! A paid checkout has one more step, `AUTHORIZED`: its lines are reserved and its total
//! is held on the card. From there the HTTP path commits the stock and captures
//! (`CONFIRMED`); a handed-over order is asked for its commit (`RESERVED`) and captured
//! on it. A declined card, a failed capture, a client or the timeout cancel it (what is
//! held on the card is voided).

use super::cause::{CancelCause, Cause, ConfirmCause};

pub use contracts::orders::OrderStatus;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    To(OrderStatus),
    /// Already there, or a late event about a decided order: change nothing.
    Stay,
    Invalid,
}

pub fn next(status: OrderStatus, cause: &Cause) -> Next {
    use CancelCause::{
        CaptureFailed, CommitFailed, HoldExpired, PaymentDeclined, Requested, ReservationFailed,
        TimedOut,
    };
    use OrderStatus::{Authorized, Cancelled, Confirmed, Pending, Reserved};
    match (status, cause) {
        // An order is placed once, by its creation.
        (_, Cause::Placed) => Next::Invalid,
        // A cancelled order's payment is given back: a step of its history, not of its
        // status. Nothing else has a payment to give back.
        (Cancelled, Cause::PaymentReleased(_)) => Next::To(Cancelled),
        (_, Cause::PaymentReleased(_)) => Next::Invalid,
        (Pending, Cause::PaymentAuthorized) => Next::To(Authorized),
        (Authorized | Reserved, Cause::PaymentAuthorized) => Next::Stay,
        // A handed-over authorized order: its holds are announced again, its commit asked.
        (Pending | Authorized, Cause::StockReserved) => Next::To(Reserved),
        (Pending | Reserved | Authorized, Cause::Confirmed(_)) => Next::To(Confirmed),
        (Pending, Cause::Cancelled(_)) => Next::To(Cancelled),
        // Authorized: the stock is held and the money too. An expired hold changes
        // nothing (the commit takes its units again); everything else that ends an open
        // order ends it.
        (Authorized, Cause::Cancelled(HoldExpired)) => Next::Stay,
        (Authorized, Cause::Cancelled(_)) => Next::To(Cancelled),
        // The commit is asked for: a late reservation answer or an expired hold changes
        // nothing (the commit takes expired units again); a refused commit, a client or
        // the timeout ends it (the inventory gives back whatever it committed).
        (
            Reserved,
            Cause::Cancelled(
                Requested(_) | CommitFailed(_) | TimedOut | PaymentDeclined | CaptureFailed,
            ),
        ) => Next::To(Cancelled),
        (Reserved, Cause::StockReserved | Cause::Cancelled(ReservationFailed(_) | HoldExpired)) => {
            Next::Stay
        }
        // Only a client's cancel and the HTTP path's confirm can contradict a decision;
        // the inventory's late answers about a decided order are simply stale.
        (Confirmed, Cause::Cancelled(Requested(_)))
        | (Cancelled, Cause::Confirmed(ConfirmCause::Committed | ConfirmCause::PaymentCaptured)) => {
            Next::Invalid
        }
        (Confirmed | Cancelled, _) => Next::Stay,
    }
}

#[cfg(test)]
mod tests {
    use contracts::events::{CommitFailureReason, ReservationFailureReason};

    use super::*;

    fn every_cause() -> [Cause; 8] {
        [
            Cause::Confirmed(ConfirmCause::Committed),
            Cause::Cancelled(CancelCause::Requested("x".into())),
            Cause::StockReserved,
            Cause::Confirmed(ConfirmCause::StockCommitted),
            Cause::Cancelled(CancelCause::ReservationFailed(
                ReservationFailureReason::InsufficientStock,
            )),
            Cause::Cancelled(CancelCause::CommitFailed(CommitFailureReason::StockLost)),
            Cause::Cancelled(CancelCause::HoldExpired),
            Cause::Cancelled(CancelCause::TimedOut),
        ]
    }

    fn is_client(cause: &Cause) -> bool {
        matches!(
            cause,
            Cause::Confirmed(ConfirmCause::Committed) | Cause::Cancelled(CancelCause::Requested(_))
        )
    }

    #[test]
    fn only_confirmed_and_cancelled_are_terminal() {
        assert!(!OrderStatus::Pending.is_terminal());
        assert!(!OrderStatus::Reserved.is_terminal());
        assert!(!OrderStatus::Authorized.is_terminal());
        assert!(OrderStatus::Confirmed.is_terminal());
        assert!(OrderStatus::Cancelled.is_terminal());
    }

    #[test]
    fn a_confirmed_order_cannot_be_cancelled_nor_a_cancelled_one_confirmed() {
        assert_eq!(
            next(
                OrderStatus::Confirmed,
                &Cause::Cancelled(CancelCause::Requested("x".into()))
            ),
            Next::Invalid
        );
        assert_eq!(
            next(
                OrderStatus::Cancelled,
                &Cause::Confirmed(ConfirmCause::Committed)
            ),
            Next::Invalid
        );
    }

    #[test]
    fn late_events_about_a_decided_order_change_nothing() {
        for cause in every_cause() {
            if !is_client(&cause) {
                assert_eq!(next(OrderStatus::Cancelled, &cause), Next::Stay);
                assert_eq!(next(OrderStatus::Confirmed, &cause), Next::Stay);
            }
        }
    }

    #[test]
    fn only_a_commit_confirms() {
        for status in [OrderStatus::Pending, OrderStatus::Reserved] {
            for cause in every_cause() {
                let confirms = next(status, &cause) == Next::To(OrderStatus::Confirmed);
                assert_eq!(
                    confirms,
                    matches!(cause, Cause::Confirmed(_)),
                    "{status} on {cause:?}"
                );
            }
        }
    }

    #[test]
    fn an_order_is_never_placed_twice() {
        for status in OrderStatus::ALL {
            assert_eq!(next(status, &Cause::Placed), Next::Invalid);
        }
    }

    #[test]
    fn a_reserved_order_waits_for_its_commit_through_late_answers_and_expiry() {
        assert_eq!(
            next(OrderStatus::Pending, &Cause::StockReserved),
            Next::To(OrderStatus::Reserved)
        );
        for cause in [
            Cause::StockReserved,
            Cause::Cancelled(CancelCause::ReservationFailed(
                ReservationFailureReason::UnknownSku,
            )),
            Cause::Cancelled(CancelCause::HoldExpired),
        ] {
            assert_eq!(next(OrderStatus::Reserved, &cause), Next::Stay);
        }
        for cause in [
            Cause::Cancelled(CancelCause::CommitFailed(CommitFailureReason::StockLost)),
            Cause::Cancelled(CancelCause::TimedOut),
            Cause::Cancelled(CancelCause::Requested("x".into())),
        ] {
            assert_eq!(
                next(OrderStatus::Reserved, &cause),
                Next::To(OrderStatus::Cancelled)
            );
        }
    }

    #[test]
    fn a_paid_order_is_authorized_then_confirmed_or_cancelled_with_its_payment() {
        use OrderStatus::{Authorized, Cancelled, Confirmed, Pending, Reserved};
        assert_eq!(
            next(Pending, &Cause::PaymentAuthorized),
            Next::To(Authorized)
        );
        assert_eq!(next(Authorized, &Cause::PaymentAuthorized), Next::Stay);
        assert_eq!(
            next(Authorized, &Cause::Confirmed(ConfirmCause::PaymentCaptured)),
            Next::To(Confirmed)
        );
        assert_eq!(next(Authorized, &Cause::StockReserved), Next::To(Reserved));
        for cause in [
            CancelCause::Requested("x".into()),
            CancelCause::CaptureFailed,
            CancelCause::TimedOut,
            CancelCause::CommitFailed(CommitFailureReason::StockLost),
        ] {
            assert_eq!(
                next(Authorized, &Cause::Cancelled(cause.clone())),
                Next::To(Cancelled),
                "{cause:?}"
            );
        }
        assert_eq!(
            next(Authorized, &Cause::Cancelled(CancelCause::HoldExpired)),
            Next::Stay
        );
        assert_eq!(
            next(Pending, &Cause::Cancelled(CancelCause::PaymentDeclined)),
            Next::To(Cancelled)
        );
        assert_eq!(
            next(Cancelled, &Cause::Confirmed(ConfirmCause::PaymentCaptured)),
            Next::Invalid
        );
        assert_eq!(next(Confirmed, &Cause::PaymentAuthorized), Next::Stay);
        let voided = Cause::PaymentReleased(crate::domain::Release::Voided);
        assert_eq!(next(Cancelled, &voided), Next::To(Cancelled));
        assert_eq!(next(Authorized, &voided), Next::Invalid);
        assert_eq!(next(Cancelled, &Cause::PaymentAuthorized), Next::Stay);
    }

    #[test]
    fn statuses_read_back_from_their_stored_text() {
        let texts: Vec<String> = OrderStatus::ALL.iter().map(ToString::to_string).collect();
        assert_eq!(
            texts,
            [
                "PENDING",
                "RESERVED",
                "AUTHORIZED",
                "CONFIRMED",
                "CANCELLED"
            ]
        );
        for status in OrderStatus::ALL {
            assert_eq!(status.as_str().parse::<OrderStatus>(), Ok(status));
        }
        assert!("pending".parse::<OrderStatus>().is_err());
    }
}
