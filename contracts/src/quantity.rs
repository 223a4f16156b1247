//! `Quantity` (units in one request: positive, bounded) and `StockLevel` (a level such
//! as an initial stock or a safety stock: zero allowed, bounded).
//!
//! The bound keeps arithmetic on `on hand` and `reserved` far from overflow and turns a
//! typo such as `1e12` into a clear 422 instead of a surprising reservation.

use std::fmt;

use serde::Serialize;

use crate::ValidationError;

/// Units moved by one request: `1..=Quantity::MAX`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Quantity(u32);

impl Quantity {
    pub const MAX: i64 = 1_000_000;

    pub fn parse(raw: i64) -> Result<Self, ValidationError> {
        if (1..=Self::MAX).contains(&raw) {
            Ok(Self(raw as u32))
        } else {
            Err(ValidationError::new(
                "invalid_quantity",
                format!("qty must be an integer from 1 to {}, got {raw}", Self::MAX),
            ))
        }
    }

    pub fn get(self) -> i64 {
        i64::from(self.0)
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A stock level: `0..=StockLevel::MAX`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
#[serde(transparent)]
pub struct StockLevel(u32);

impl StockLevel {
    pub const MAX: i64 = 1_000_000_000;

    pub fn parse(field: &str, raw: i64) -> Result<Self, ValidationError> {
        if (0..=Self::MAX).contains(&raw) {
            Ok(Self(raw as u32))
        } else {
            Err(ValidationError::new(
                "invalid_quantity",
                format!(
                    "{field} must be an integer from 0 to {}, got {raw}",
                    Self::MAX
                ),
            ))
        }
    }

    pub fn get(self) -> i64 {
        i64::from(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn zero_negative_and_huge_quantities_are_refused() {
        for raw in [0, -1, i64::MIN, Quantity::MAX + 1, i64::MAX] {
            assert_eq!(Quantity::parse(raw).unwrap_err().code, "invalid_quantity");
        }
    }

    #[test]
    fn a_stock_level_may_be_zero_but_not_negative() {
        assert_eq!(StockLevel::parse("qty", 0).unwrap().get(), 0);
        assert!(StockLevel::parse("qty", -1).is_err());
        assert!(StockLevel::parse("qty", StockLevel::MAX + 1).is_err());
    }

    proptest! {
        #[test]
        fn every_quantity_in_range_round_trips(raw in 1i64..=Quantity::MAX) {
            prop_assert_eq!(Quantity::parse(raw).unwrap().get(), raw);
        }
    }
}
