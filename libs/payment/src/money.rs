//! [`Money`]: an amount in the minor units of a [`Currency`] (cents for `EUR`, yen for
//! `JPY`), as payment providers take it. Never a float: `19.99 EUR` is `1999` of `EUR`,
//! so no amount is ever rounded on its way to the provider.
//!
//! The rules: a currency is the contract's [`Currency`], an ISO 4217 alphabetic code of
//! three capital letters (the Stripe adapter lowercases it on the wire itself). An
//! amount is never negative: a refund is an operation of its own, not a negative
//! charge. Whether a provider supports a currency, or a minimum amount, is the
//! provider's to say. A unit price of the inventory ([`contracts::Price`]) follows the
//! same rules, so every price is an amount (`From<Price>`).

use std::fmt;

pub use contracts::Currency;
use contracts::{Price, ValidationError};
use serde::{Deserialize, Serialize};

/// A non-negative amount in the minor units of its currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "WireMoney", into = "WireMoney")]
pub struct Money {
    minor: i64,
    currency: Currency,
}

impl Money {
    /// `minor` units of `currency`: `Money::new(1999, Currency::EUR)` is 19.99 EUR.
    pub fn new(minor: i64, currency: Currency) -> Result<Self, ValidationError> {
        if minor < 0 {
            return Err(ValidationError::new(
                "invalid_amount",
                format!("an amount is never negative, got {minor} {currency}"),
            ));
        }
        Ok(Self { minor, currency })
    }

    /// Nothing, in `currency`.
    pub fn zero(currency: Currency) -> Self {
        Self { minor: 0, currency }
    }

    pub fn minor_units(&self) -> i64 {
        self.minor
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    pub fn is_zero(&self) -> bool {
        self.minor == 0
    }

    /// The sum, or `None` when the currencies differ or it would overflow.
    pub fn checked_add(self, other: Money) -> Option<Money> {
        let minor = self.same_currency(other)?.minor.checked_add(other.minor)?;
        Some(Self { minor, ..self })
    }

    /// The difference, or `None` when the currencies differ or it would be negative.
    pub fn checked_sub(self, other: Money) -> Option<Money> {
        let minor = self.same_currency(other)?.minor.checked_sub(other.minor)?;
        Money::new(minor, self.currency).ok()
    }

    fn same_currency(self, other: Money) -> Option<Money> {
        (self.currency == other.currency).then_some(self)
    }
}

/// The same amount: a price's rules are an amount's.
impl From<Price> for Money {
    fn from(price: Price) -> Self {
        Self {
            minor: price.amount(),
            currency: price.currency_code(),
        }
    }
}

/// In minor units: `1999 EUR` is 19.99 EUR.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.minor, self.currency)
    }
}

/// The JSON shape: `{"amount": 1999, "currency": "EUR"}`.
#[derive(Serialize, Deserialize)]
struct WireMoney {
    amount: i64,
    currency: Currency,
}

impl TryFrom<WireMoney> for Money {
    type Error = ValidationError;
    fn try_from(wire: WireMoney) -> Result<Self, Self::Error> {
        Money::new(wire.amount, wire.currency)
    }
}

impl From<Money> for WireMoney {
    fn from(money: Money) -> Self {
        Self {
            amount: money.minor,
            currency: money.currency,
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    fn eur(minor: i64) -> Money {
        Money::new(minor, Currency::EUR).unwrap()
    }

    #[test]
    fn an_amount_is_zero_or_more_minor_units() {
        assert_eq!(eur(1999).minor_units(), 1999);
        assert!(eur(0).is_zero());
        assert_eq!(
            Money::zero(Currency::USD),
            Money::new(0, Currency::USD).unwrap()
        );
        assert_eq!(
            Money::new(-1, Currency::EUR).unwrap_err().code,
            "invalid_amount"
        );
        assert_eq!(eur(1999).to_string(), "1999 EUR");
    }

    #[test]
    fn a_price_is_the_same_amount() {
        let price = Price::parse(1999, "EUR").unwrap();
        assert_eq!(Money::from(price), eur(1999));
    }

    #[test]
    fn arithmetic_stays_within_one_currency_and_never_below_zero() {
        let usd = Money::new(100, Currency::USD).unwrap();
        assert_eq!(eur(100).checked_add(eur(50)), Some(eur(150)));
        assert_eq!(eur(100).checked_sub(eur(100)), Some(eur(0)));
        assert_eq!(eur(100).checked_sub(eur(101)), None);
        assert_eq!(eur(100).checked_add(usd), None);
        assert_eq!(eur(100).checked_sub(usd), None);
        assert_eq!(eur(i64::MAX).checked_add(eur(1)), None);
    }

    #[test]
    fn money_travels_as_an_amount_and_a_code_and_is_checked_on_the_way_in() {
        assert_eq!(
            serde_json::to_value(eur(1999)).unwrap(),
            json!({"amount": 1999, "currency": "EUR"})
        );
        let read = |value| serde_json::from_value::<Money>(value);
        assert_eq!(
            read(json!({"amount": 5, "currency": "USD"})).unwrap(),
            Money::new(5, Currency::USD).unwrap()
        );
        assert!(read(json!({"amount": -5, "currency": "USD"})).is_err());
        assert!(read(json!({"amount": 5, "currency": "usd"})).is_err());
        assert!(read(json!({"amount": 5.5, "currency": "USD"})).is_err());
    }

    proptest! {
        #[test]
        fn adding_then_subtracting_gives_the_amount_back(a in 0..i64::MAX / 2, b in 0..i64::MAX / 2) {
            prop_assert_eq!(eur(a).checked_add(eur(b)).and_then(|sum| sum.checked_sub(eur(b))), Some(eur(a)));
        }
    }
}
