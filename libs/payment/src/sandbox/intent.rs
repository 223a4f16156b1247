//! [`SandboxIntent`]: the state machine of one intent in the sandbox, the rules Stripe
//! applies to a manual-capture intent:
//!
//! ```text
//! requires_capture ─capture(≤ amount)─▶ succeeded ─refund(≤ captured − refunded)─▶ succeeded
//!        └───────────void─────────────▶ canceled
//! requires_payment_method (declined) ─void─▶ canceled
//! ```
//!
//! Every other move is refused with Stripe's code (`payment_intent_unexpected_state`,
//! `amount_too_large`, `charge_already_refunded`, ...) and changes nothing. No I/O, no
//! clock.

use crate::{Intent, IntentId, IntentStatus, Money, PaymentError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SandboxIntent {
    id: IntentId,
    status: IntentStatus,
    amount: Money,
    captured: Money,
    refunded: Money,
}

impl SandboxIntent {
    /// An intent that holds `amount`, waiting for its capture.
    pub(crate) fn authorized(id: IntentId, amount: Money) -> Self {
        let nothing = Money::zero(amount.currency());
        Self {
            id,
            status: IntentStatus::RequiresCapture,
            amount,
            captured: nothing,
            refunded: nothing,
        }
    }

    /// An intent whose card was declined: it holds nothing, and can only be voided.
    pub(crate) fn declined(id: IntentId, amount: Money) -> Self {
        Self {
            status: IntentStatus::RequiresPaymentMethod,
            ..Self::authorized(id, amount)
        }
    }

    /// An intent as a view of it was kept.
    pub(crate) fn restore(kept: Intent) -> Self {
        Self {
            id: kept.id,
            status: kept.status,
            amount: kept.amount,
            captured: kept.captured,
            refunded: kept.refunded,
        }
    }

    pub(crate) fn view(&self) -> Intent {
        Intent {
            id: self.id.clone(),
            status: self.status,
            amount: self.amount,
            captured: self.captured,
            refunded: self.refunded,
        }
    }

    /// Takes `amount` of what is held; the rest is released.
    pub(crate) fn capture(&mut self, amount: Money) -> Result<(), PaymentError> {
        self.expect_status(IntentStatus::RequiresCapture, "captured")?;
        self.expect_positive_in_currency(amount)?;
        if amount.minor_units() > self.amount.minor_units() {
            return Err(PaymentError::invalid(
                "amount_too_large",
                format!(
                    "cannot capture {amount}: only {} was authorized",
                    self.amount
                ),
            ));
        }
        self.captured = amount;
        self.status = IntentStatus::Succeeded;
        Ok(())
    }

    /// Releases what is held, if anything.
    pub(crate) fn void(&mut self) -> Result<(), PaymentError> {
        if self.status != IntentStatus::RequiresPaymentMethod {
            self.expect_status(IntentStatus::RequiresCapture, "canceled")?;
        }
        self.status = IntentStatus::Canceled;
        Ok(())
    }

    /// Gives back `amount` of what was captured.
    pub(crate) fn refund(&mut self, amount: Money) -> Result<(), PaymentError> {
        self.expect_status(IntentStatus::Succeeded, "refunded")?;
        self.expect_positive_in_currency(amount)?;
        if self.refunded == self.captured {
            return Err(PaymentError::invalid(
                "charge_already_refunded",
                format!("intent {} has been refunded in full already", self.id),
            ));
        }
        let refunded = self
            .refunded
            .checked_add(amount)
            .filter(|total| total.minor_units() <= self.captured.minor_units())
            .ok_or_else(|| {
                PaymentError::invalid(
                    "amount_too_large",
                    format!(
                        "cannot refund {amount}: {} of {} captured is refunded already",
                        self.refunded, self.captured
                    ),
                )
            })?;
        self.refunded = refunded;
        Ok(())
    }

    fn expect_status(&self, expected: IntentStatus, verb: &str) -> Result<(), PaymentError> {
        if self.status == expected {
            return Ok(());
        }
        Err(PaymentError::invalid(
            "payment_intent_unexpected_state",
            format!(
                "intent {} cannot be {verb}: its status is {}, not {expected}",
                self.id, self.status
            ),
        ))
    }

    fn expect_positive_in_currency(&self, amount: Money) -> Result<(), PaymentError> {
        if amount.currency() != self.amount.currency() {
            return Err(PaymentError::invalid(
                "parameter_invalid_currency",
                format!(
                    "intent {} is in {}, not {}",
                    self.id,
                    self.amount.currency(),
                    amount.currency()
                ),
            ));
        }
        if amount.is_zero() {
            return Err(PaymentError::invalid(
                "amount_too_small",
                "an amount must be at least one minor unit",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Currency;

    fn eur(minor: i64) -> Money {
        Money::new(minor, Currency::EUR).unwrap()
    }

    fn held(minor: i64) -> SandboxIntent {
        SandboxIntent::authorized(IntentId::parse("pi_sandbox_1").unwrap(), eur(minor))
    }

    fn refused_code(result: Result<(), PaymentError>) -> String {
        match result {
            Err(PaymentError::Invalid { code, .. }) => code,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    /// A refused move leaves the intent exactly as it was.
    fn assert_refused(
        intent: &mut SandboxIntent,
        code: &str,
        change: impl FnOnce(&mut SandboxIntent) -> Result<(), PaymentError>,
    ) {
        let before = intent.clone();
        assert_eq!(refused_code(change(intent)), code);
        assert_eq!(*intent, before);
    }

    #[test]
    fn an_authorized_intent_holds_the_amount_and_has_taken_nothing() {
        let intent = held(1999).view();
        assert_eq!(intent.status, IntentStatus::RequiresCapture);
        assert_eq!(intent.amount, eur(1999));
        assert!(intent.captured.is_zero() && intent.refunded.is_zero());
    }

    #[test]
    fn a_capture_takes_the_amount_and_succeeds() {
        let mut intent = held(1999);
        intent.capture(eur(1999)).unwrap();
        let view = intent.view();
        assert_eq!(view.status, IntentStatus::Succeeded);
        assert_eq!(view.captured, eur(1999));
    }

    #[test]
    fn a_partial_capture_takes_less_and_releases_the_rest() {
        let mut intent = held(1999);
        intent.capture(eur(1500)).unwrap();
        assert_eq!(intent.view().captured, eur(1500));
        assert_eq!(intent.view().status, IntentStatus::Succeeded);
    }

    #[test]
    fn capturing_more_than_authorized_nothing_or_another_currency_is_refused() {
        let mut intent = held(1999);
        assert_refused(&mut intent, "amount_too_large", |i| i.capture(eur(2000)));
        assert_refused(&mut intent, "amount_too_small", |i| i.capture(eur(0)));
        let usd = Money::new(1999, Currency::USD).unwrap();
        assert_refused(&mut intent, "parameter_invalid_currency", |i| {
            i.capture(usd)
        });
    }

    #[test]
    fn a_voided_intent_cannot_be_captured_voided_again_or_refunded() {
        let mut intent = held(1999);
        intent.void().unwrap();
        assert_eq!(intent.view().status, IntentStatus::Canceled);
        assert_refused(&mut intent, "payment_intent_unexpected_state", |i| {
            i.capture(eur(1999))
        });
        assert_refused(
            &mut intent,
            "payment_intent_unexpected_state",
            SandboxIntent::void,
        );
        assert_refused(&mut intent, "payment_intent_unexpected_state", |i| {
            i.refund(eur(1))
        });
    }

    #[test]
    fn a_captured_intent_cannot_be_voided_or_captured_again() {
        let mut intent = held(1999);
        intent.capture(eur(1999)).unwrap();
        assert_refused(
            &mut intent,
            "payment_intent_unexpected_state",
            SandboxIntent::void,
        );
        assert_refused(&mut intent, "payment_intent_unexpected_state", |i| {
            i.capture(eur(1))
        });
    }

    #[test]
    fn a_declined_intent_holds_nothing_and_can_only_be_voided() {
        let mut intent =
            SandboxIntent::declined(IntentId::parse("pi_sandbox_2").unwrap(), eur(1999));
        assert_eq!(intent.view().status, IntentStatus::RequiresPaymentMethod);
        assert_refused(&mut intent, "payment_intent_unexpected_state", |i| {
            i.capture(eur(1999))
        });
        assert_refused(&mut intent, "payment_intent_unexpected_state", |i| {
            i.refund(eur(1))
        });
        intent.void().unwrap();
        assert_eq!(intent.view().status, IntentStatus::Canceled);
    }

    #[test]
    fn an_uncaptured_intent_cannot_be_refunded() {
        let mut intent = held(1999);
        assert_refused(&mut intent, "payment_intent_unexpected_state", |i| {
            i.refund(eur(1))
        });
    }

    #[test]
    fn refunds_add_up_to_at_most_what_was_captured() {
        let mut intent = held(1999);
        intent.capture(eur(1500)).unwrap();
        intent.refund(eur(500)).unwrap();
        assert_refused(&mut intent, "amount_too_large", |i| i.refund(eur(1001)));
        intent.refund(eur(1000)).unwrap();
        let view = intent.view();
        assert_eq!(view.refunded, eur(1500));
        assert_eq!(view.status, IntentStatus::Succeeded);
        assert_refused(&mut intent, "charge_already_refunded", |i| i.refund(eur(1)));
    }
}
