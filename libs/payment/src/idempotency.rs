//! [`IdempotencyKey`]: what makes a repeated payment call harmless. The provider keeps
//! the first answer it gave for a key and gives it again to every call that repeats the
//! key, so a retry after a timeout never authorizes, captures or refunds twice.
//!
//! The saga derives each key from the order and the step ([`IdempotencyKey::for_order`]):
//! a retry of the same step of the same order, from any process and at any time, sends
//! the same key, and two steps never share one (a provider refuses a key reused for
//! another request).

use std::fmt;

use contracts::{OrderId, ValidationError};

/// A step of an order's payment; each has its own key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::IntoStaticStr, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum PaymentStep {
    Authorize,
    Capture,
    Void,
    Refund,
}

impl PaymentStep {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// 1 to [`IdempotencyKey::MAX_LEN`] visible ASCII characters (Stripe's limit; it travels
/// in a header).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub const MAX_LEN: usize = 255;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        if contracts::is_visible_ascii(raw, Self::MAX_LEN) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ValidationError::new(
                "invalid_idempotency_key",
                format!(
                    "an idempotency key is 1 to {} visible ASCII characters",
                    Self::MAX_LEN
                ),
            ))
        }
    }

    /// The key of `step` for `order`: `order/{order id}/{step}`, e.g.
    /// `order/ord-42/authorize`.
    pub fn for_order(order: &OrderId, step: PaymentStep) -> Self {
        // An order id is at most 64 visible ASCII characters: the key always fits.
        Self(format!("order/{order}/{}", step.as_str()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use strum::IntoEnumIterator;

    use super::*;

    #[test]
    fn each_step_of_an_order_has_its_own_stable_key() {
        let order = OrderId::parse("ord-42").unwrap();
        let keys: HashSet<_> = PaymentStep::iter()
            .map(|step| IdempotencyKey::for_order(&order, step))
            .collect();
        assert_eq!(keys.len(), 4);
        assert_eq!(
            IdempotencyKey::for_order(&order, PaymentStep::Authorize).as_str(),
            "order/ord-42/authorize"
        );
        assert_eq!(
            IdempotencyKey::for_order(&order, PaymentStep::Void),
            IdempotencyKey::for_order(&order, PaymentStep::Void)
        );
    }

    #[test]
    fn the_longest_order_id_still_makes_a_valid_key() {
        let order = OrderId::parse(&"o".repeat(OrderId::MAX_LEN)).unwrap();
        let key = IdempotencyKey::for_order(&order, PaymentStep::Authorize);
        assert_eq!(IdempotencyKey::parse(key.as_str()), Ok(key));
    }

    #[test]
    fn a_key_is_one_to_255_visible_ascii_characters() {
        assert!(IdempotencyKey::parse("k").is_ok());
        assert!(IdempotencyKey::parse(&"k".repeat(255)).is_ok());
        let long = "k".repeat(256);
        for bad in ["", "with space", "tab\there", "naïve", long.as_str()] {
            assert_eq!(
                IdempotencyKey::parse(bad).unwrap_err().code,
                "invalid_idempotency_key",
                "{bad:?}"
            );
        }
    }
}
