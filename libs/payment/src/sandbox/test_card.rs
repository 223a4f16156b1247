//! [`TestCard`]: what the sandbox does with a payment method, read from its name as
//! Stripe's test mode reads its test tokens and test PaymentMethods, plus two names of
//! the sandbox's own for demos and fault tests.

use crate::PaymentMethod;

/// The outcome a test payment method stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TestCard {
    /// Authorized.
    Approved,
    /// Declined with `card_declined` and this `decline_code`.
    Declined {
        decline_code: &'static str,
        message: &'static str,
    },
    /// Authorized, but the answer comes only after the sandbox's slow delay.
    Slow,
    /// The provider cannot be reached: nothing happens.
    Unavailable,
}

impl TestCard {
    /// The card `method` names, or `None` for a name the sandbox does not know (Stripe
    /// answers `resource_missing` for those).
    pub(crate) fn of(method: &PaymentMethod) -> Option<Self> {
        let generic = Self::Declined {
            decline_code: "generic_decline",
            message: "Your card was declined.",
        };
        let insufficient_funds = Self::Declined {
            decline_code: "insufficient_funds",
            message: "Your card has insufficient funds.",
        };
        Some(match method.as_str() {
            "tok_visa" | "tok_mastercard" | "pm_card_visa" | "pm_card_mastercard" => Self::Approved,
            "tok_chargeDeclined"
            | "tok_visa_chargeDeclined"
            | "pm_card_chargeDeclined"
            | "pm_card_visa_chargeDeclined" => generic,
            "tok_chargeDeclinedInsufficientFunds"
            | "tok_visa_chargeDeclinedInsufficientFunds"
            | "pm_card_chargeDeclinedInsufficientFunds"
            | "pm_card_visa_chargeDeclinedInsufficientFunds" => insufficient_funds,
            "tok_slow" => Self::Slow,
            "tok_unavailable" => Self::Unavailable,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(name: &str) -> Option<TestCard> {
        TestCard::of(&PaymentMethod::parse(name).unwrap())
    }

    #[test]
    fn stripe_test_names_mean_what_they_mean_in_stripes_test_mode() {
        for approved in [
            "tok_visa",
            "tok_mastercard",
            "pm_card_visa",
            "pm_card_mastercard",
        ] {
            assert_eq!(card(approved), Some(TestCard::Approved), "{approved}");
        }
        assert!(matches!(
            card("tok_chargeDeclined"),
            Some(TestCard::Declined {
                decline_code: "generic_decline",
                ..
            })
        ));
        assert!(matches!(
            card("pm_card_visa_chargeDeclinedInsufficientFunds"),
            Some(TestCard::Declined {
                decline_code: "insufficient_funds",
                ..
            })
        ));
        assert_eq!(card("tok_slow"), Some(TestCard::Slow));
        assert_eq!(card("tok_unavailable"), Some(TestCard::Unavailable));
        assert_eq!(card("tok_nonsense"), None);
        assert_eq!(card("4242424242424242"), None);
    }
}
