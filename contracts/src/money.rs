//! Money on the wire (`Money`), the currency of an amount (`Currency`) and the unit price a
//! stock row may carry (`Price`).
//!
//! The rules: an amount is an integer count of the currency's minor units (cents for
//! `EUR`, yen for `JPY`), never a float, so `19.99 EUR` is `1999` of `EUR` and no price is
//! ever rounded; it is never negative. A currency is an ISO 4217 alphabetic code, three
//! capital letters (`EUR`, `USD`); lowercase is refused rather than folded, so that one
//! currency never has two spellings. Every price that breaks a rule is `invalid_price`.

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ValidationError;

/// An amount of money as it travels: `amount` minor units of `currency`.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, schemars::JsonSchema,
)]
#[serde(rename_all = "camelCase")]
pub struct Money {
    /// Minor units of the currency (cents for EUR): a whole number, 0 or more.
    #[schema(example = 1999, minimum = 0)]
    #[schemars(range(min = 0))]
    pub amount: i64,
    /// ISO 4217 code: three capital letters.
    #[schema(example = "EUR", pattern = "^[A-Z]{3}$")]
    #[schemars(pattern("^[A-Z]{3}$"))]
    pub currency: String,
}

impl Money {
    pub fn validate(&self) -> Result<Price, ValidationError> {
        Price::parse(self.amount, &self.currency)
    }
}

/// An ISO 4217 alphabetic currency code. Once built it is three capital ASCII letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

impl Currency {
    pub const EUR: Self = Self(*b"EUR");
    pub const USD: Self = Self(*b"USD");

    /// Refused as `invalid_currency` unless three capital letters: lowercase is not
    /// folded, so one currency never has two spellings.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        match raw.as_bytes() {
            &[a, b, c] if [a, b, c].iter().all(u8::is_ascii_uppercase) => Ok(Self([a, b, c])),
            _ => Err(ValidationError::new(
                "invalid_currency",
                format!("currency {raw:?} is not an ISO 4217 code (three capital letters)"),
            )),
        }
    }

    pub fn as_str(&self) -> &str {
        // Three ASCII capitals, checked by `parse`.
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

/// A unit price that follows the rules above. Once built it is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Price {
    amount: i64,
    currency: Currency,
}

impl Price {
    /// `amount` minor units of `currency`: `Price::parse(1999, "EUR")` is 19.99 EUR.
    pub fn parse(amount: i64, currency: &str) -> Result<Self, ValidationError> {
        if amount < 0 {
            return Err(invalid(format!(
                "a price's amount is never negative, got {amount}"
            )));
        }
        let currency = Currency::parse(currency).map_err(|e| invalid(e.detail))?;
        Ok(Self { amount, currency })
    }

    /// Minor units of the currency.
    pub fn amount(&self) -> i64 {
        self.amount
    }

    pub fn currency(&self) -> &str {
        self.currency.as_str()
    }

    pub fn currency_code(&self) -> Currency {
        self.currency
    }

    /// The price as it travels.
    pub fn to_money(&self) -> Money {
        Money {
            amount: self.amount,
            currency: self.currency().to_owned(),
        }
    }
}

/// In minor units: `1999 EUR` is 19.99 EUR.
impl fmt::Display for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency())
    }
}

impl From<Price> for Money {
    fn from(price: Price) -> Self {
        price.to_money()
    }
}

/// The refusal of a price.
pub(crate) fn invalid(detail: String) -> ValidationError {
    ValidationError::new("invalid_price", detail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_price_is_zero_or_more_minor_units_of_an_iso_code() {
        let price = Price::parse(1999, "EUR").unwrap();
        assert_eq!((price.amount(), price.currency()), (1999, "EUR"));
        assert_eq!(price.to_string(), "1999 EUR");
        assert_eq!(Price::parse(0, "JPY").unwrap().amount(), 0);
        assert_eq!(Price::parse(i64::MAX, "USD").unwrap().amount(), i64::MAX);
    }

    #[test]
    fn negative_amounts_and_near_miss_currencies_are_invalid_prices() {
        assert_eq!(Price::parse(-1, "EUR").unwrap_err().code, "invalid_price");
        for raw in ["", "eur", "Eur", "EU", "EURO", " EUR", "E1R", "ÉUR", "€"] {
            assert_eq!(
                Price::parse(1, raw).unwrap_err().code,
                "invalid_price",
                "{raw:?}"
            );
        }
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
        assert_eq!(
            serde_json::from_str::<Currency>("\"USD\"").unwrap(),
            Currency::USD
        );
        assert!(serde_json::from_str::<Currency>("\"usd\"").is_err());
    }

    #[test]
    fn money_travels_as_an_amount_and_a_code() {
        let money = Price::parse(1999, "EUR").unwrap().to_money();
        assert_eq!(
            serde_json::to_value(&money).unwrap(),
            serde_json::json!({"amount": 1999, "currency": "EUR"})
        );
        assert_eq!(money.validate(), Price::parse(1999, "EUR"));
        let lowercase = Money {
            amount: 1,
            currency: "eur".into(),
        };
        assert_eq!(lowercase.validate().unwrap_err().code, "invalid_price");
    }

    proptest! {
        #[test]
        fn every_valid_price_round_trips_through_the_wire(amount in 0..=i64::MAX, currency in "[A-Z]{3}") {
            let price = Price::parse(amount, &currency).unwrap();
            prop_assert_eq!(price.to_money().validate(), Ok(price));
        }

        #[test]
        fn no_string_of_another_length_is_a_currency(s in "\\PC{0,2}|\\PC{4,12}") {
            prop_assert!(Currency::parse(&s).is_err());
        }
    }
}
