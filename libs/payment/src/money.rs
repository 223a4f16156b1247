//! [`Money`]: an amount in the minor units of a [`Currency`] (cents for `EUR`, yen for
//! `JPY`), as payment providers take it. Never a float: `19.99 EUR` is `1999` of `EUR`,
//! so no amount is ever rounded on its way to the provider.
//!
//! The rules: a currency is an ISO 4217 alphabetic code, three uppercase ASCII letters
//! (`EUR`, `USD`); lowercase is refused rather than folded, so that one currency never
//! has two spellings (the Stripe adapter lowercases it on the wire itself). An amount is
//! never negative: a refund is an operation of its own, not a negative charge. Whether
//! a provider supports a currency, or a minimum amount, is the provider's to say.

use std::fmt;

use contracts::ValidationError;
use serde::{Deserialize, Serialize};

/// An ISO 4217 alphabetic currency code. Once built it is three uppercase ASCII letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

impl Currency {
    pub const EUR: Self = Self(*b"EUR");
    pub const USD: Self = Self(*b"USD");

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        match raw.as_bytes() {
            &[a, b, c] if [a, b, c].iter().all(u8::is_ascii_uppercase) => Ok(Self([a, b, c])),
            _ => Err(ValidationError::new(
                "invalid_currency",
                format!("currency {raw:?} is not an ISO 4217 code (three uppercase letters)"),
            )),
        }
    }

    pub fn as_str(&self) -> &str {
        // Three ASCII letters, checked by `parse`.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }
}

impl TryFrom<String> for Currency {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Currency> for String {
    fn from(currency: Currency) -> Self {
        currency.as_str().to_owned()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

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
    fn iso_codes_parse_and_near_misses_are_refused_with_invalid_currency() {
        assert_eq!(Currency::parse("EUR").unwrap(), Currency::EUR);
        assert_eq!(Currency::parse("JPY").unwrap().as_str(), "JPY");
        for raw in ["", "eur", "Eur", "EU", "EURO", " EUR", "E1R", "ÉUR", "€"] {
            assert_eq!(
                Currency::parse(raw).unwrap_err().code,
                "invalid_currency",
                "{raw:?}"
            );
        }
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
        fn every_three_uppercase_letters_parse(s in "[A-Z]{3}") {
            let currency = Currency::parse(&s).unwrap();
            prop_assert_eq!(currency.as_str(), s.as_str());
        }

        #[test]
        fn no_string_of_another_length_parses(s in "\\PC{0,2}|\\PC{4,12}") {
            prop_assert!(Currency::parse(&s).is_err());
        }

        #[test]
        fn adding_then_subtracting_gives_the_amount_back(a in 0..i64::MAX / 2, b in 0..i64::MAX / 2) {
            prop_assert_eq!(eur(a).checked_add(eur(b)).and_then(|sum| sum.checked_sub(eur(b))), Some(eur(a)));
        }
    }
}
