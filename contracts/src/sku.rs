//! `Sku`: the product code.
//!
//! The rule: three uppercase ASCII letters, a dash, four digits, a dash, two uppercase
//! ASCII letters: `ABC-1234-AB`. Exactly 11 characters. Lowercase is refused rather than
//! folded, so that one product never has two spellings in logs, URLs and the database.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ValidationError;

/// A product code that follows the rule above. Once built it is valid.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Sku(String);

impl Sku {
    pub const FORMAT: &'static str = "AAA-9999-AA";

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let bytes = raw.as_bytes();
        let shape_ok = bytes.len() == 11
            && bytes[..3].iter().all(u8::is_ascii_uppercase)
            && bytes[3] == b'-'
            && bytes[4..8].iter().all(u8::is_ascii_digit)
            && bytes[8] == b'-'
            && bytes[9..].iter().all(u8::is_ascii_uppercase);
        if shape_ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ValidationError::new(
                "invalid_sku",
                format!(
                    "SKU {raw:?} does not match {} (three uppercase letters, four digits, two uppercase letters)",
                    Self::FORMAT
                ),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Sku {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Sku> for String {
    fn from(sku: Sku) -> Self {
        sku.0
    }
}

impl fmt::Display for Sku {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_documented_example_parses() {
        assert_eq!(Sku::parse("ABC-1234-AB").unwrap().as_str(), "ABC-1234-AB");
    }

    #[test]
    fn near_misses_are_refused_with_invalid_sku() {
        for raw in [
            "",
            "abc-1234-ab",
            "ABC1234AB",
            "ABC-123-AB",
            "ABC-12345-AB",
            "AB-1234-AB",
            "ABC-1234-A",
            "ABC-1234-ABC",
            "ABC-12A4-AB",
            " ABC-1234-AB",
            "ÄBC-1234-AB",
        ] {
            let err = Sku::parse(raw).unwrap_err();
            assert_eq!(err.code, "invalid_sku", "{raw:?}");
        }
    }

    proptest! {
        #[test]
        fn every_string_of_the_documented_shape_parses(s in "[A-Z]{3}-[0-9]{4}-[A-Z]{2}") {
            let sku = Sku::parse(&s).unwrap();
            prop_assert_eq!(sku.as_str(), s.as_str());
        }

        #[test]
        fn no_string_of_another_length_parses(s in "\\PC{0,10}|\\PC{12,40}") {
            prop_assert!(Sku::parse(&s).is_err());
        }
    }
}
