//! [`PaymentMethod`]: how the customer pays, as the provider's client-side SDK handed it
//! to the shop: a reference, never card details. At Stripe, a PaymentMethod id
//! (`pm_card_visa`, `pm_…`) or a legacy token (`tok_visa`, `tok_…`).

use std::fmt;

use contracts::ValidationError;

/// 1 to [`PaymentMethod::MAX_LEN`] visible ASCII characters; what it means is the
/// provider's to say.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PaymentMethod(String);

impl PaymentMethod {
    pub const MAX_LEN: usize = 4096;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        if contracts::is_visible_ascii(raw, Self::MAX_LEN) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ValidationError::new(
                "invalid_payment_method",
                format!(
                    "a payment method is 1 to {} visible ASCII characters",
                    Self::MAX_LEN
                ),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Shows only its kind (`pm_…`, `tok_…`): a reference to a card stays out of logs.
impl fmt::Debug for PaymentMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = self.0.split_once('_').map_or("", |(kind, _)| kind);
        write!(f, "PaymentMethod({kind}_…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_method_is_visible_ascii_and_debug_shows_only_its_kind() {
        let method = PaymentMethod::parse("pm_card_visa").unwrap();
        assert_eq!(method.as_str(), "pm_card_visa");
        assert_eq!(format!("{method:?}"), "PaymentMethod(pm_…)");
        for bad in ["", "tok visa", "tok_visa\n"] {
            assert_eq!(
                PaymentMethod::parse(bad).unwrap_err().code,
                "invalid_payment_method"
            );
        }
    }
}
