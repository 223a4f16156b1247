//! [`PaymentError`]: why a payment call gave no answer to act on, in the three kinds the
//! saga decides on: a refusal (compensate), an unknown outcome (ask again, never pay
//! again), or a request that could never succeed (a bug to fix, not to retry).

/// Why a payment call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentError {
    /// The card (or its issuer) refused: nothing is held or taken. The saga compensates
    /// (releases the stock); retrying with the same key gives the same refusal.
    #[error("the payment was declined: {code}{}", decline_code.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Declined {
        /// The provider's error code, e.g. `card_declined`, `expired_card`.
        code: String,
        /// The issuer's reason when given, e.g. `generic_decline`, `insufficient_funds`.
        decline_code: Option<String>,
        /// A message fit for the customer.
        message: String,
    },
    /// No usable answer: unreachable, a 5xx, a 429, a concurrent call with the same key,
    /// or a success whose body cannot be read. **The outcome is unknown**: the call may
    /// have taken effect. Resolve it with [`find`](crate::PaymentProvider::find), or by
    /// repeating the call with the same key (but a provider may replay a saved 5xx for
    /// that key: Stripe does), never with a new key.
    #[error("the payment provider is unavailable: {0}")]
    Unavailable(String),
    /// No answer within the timeout. **The outcome is unknown**, as for
    /// [`Unavailable`](Self::Unavailable).
    #[error("no answer from the payment provider within the timeout")]
    Timeout,
    /// The provider refused the request itself: a bad amount, an unknown intent, a step
    /// the intent's status does not allow (`payment_intent_unexpected_state`), a key
    /// reused for another request (`idempotency_error`), a missing or wrong secret key.
    /// Nothing happened; the same request will never succeed.
    #[error("the payment provider refused the request: {code}: {message}")]
    Invalid { code: String, message: String },
}

impl PaymentError {
    /// Says nothing of what happened: ask the provider before deciding.
    pub fn is_outcome_unknown(&self) -> bool {
        matches!(self, Self::Unavailable(_) | Self::Timeout)
    }

    pub(crate) fn invalid(code: &str, message: impl Into<String>) -> Self {
        Self::Invalid {
            code: code.to_owned(),
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unavailable_and_timeout_leave_the_outcome_unknown() {
        let declined = PaymentError::Declined {
            code: "card_declined".into(),
            decline_code: Some("insufficient_funds".into()),
            message: "Your card has insufficient funds.".into(),
        };
        assert!(!declined.is_outcome_unknown());
        assert!(!PaymentError::invalid("resource_missing", "no such intent").is_outcome_unknown());
        assert!(PaymentError::Timeout.is_outcome_unknown());
        assert!(PaymentError::Unavailable("503".into()).is_outcome_unknown());
        assert_eq!(
            declined.to_string(),
            "the payment was declined: card_declined (insufficient_funds)"
        );
    }
}
