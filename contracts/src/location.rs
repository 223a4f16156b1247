//! `LocationId`: where stock lives (a `storeId` on the wire): the central warehouse or a
//! store.
//!
//! The rule: 1 to 32 characters of `[A-Za-z0-9_-]`, so an id is safe in a URL path, a
//! routing key and a log line as it is. Case is kept: `Store-1` and `store-1` are two
//! locations. The routes without a location act on [`LocationId::CENTRAL`].

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ValidationError;

/// A location id that follows the rule above. Once built it is valid.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LocationId(String);

impl LocationId {
    /// The default location: the central warehouse, which always exists.
    pub const CENTRAL: &'static str = "central";
    pub const MAX_LEN: usize = 32;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let ok = (1..=Self::MAX_LEN).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ValidationError::new(
                "invalid_store_id",
                format!(
                    "store id {raw:?} must be 1 to {} characters of letters, digits, '-' and '_'",
                    Self::MAX_LEN
                ),
            ))
        }
    }

    /// The central warehouse.
    pub fn central() -> Self {
        Self(Self::CENTRAL.to_owned())
    }

    pub fn is_central(&self) -> bool {
        self.0 == Self::CENTRAL
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `raw` parsed, or the central warehouse when absent.
    pub fn parse_or_central(raw: Option<&str>) -> Result<Self, ValidationError> {
        raw.map_or_else(|| Ok(Self::central()), Self::parse)
    }
}

impl Default for LocationId {
    fn default() -> Self {
        Self::central()
    }
}

impl TryFrom<String> for LocationId {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<LocationId> for String {
    fn from(id: LocationId) -> Self {
        id.0
    }
}

impl fmt::Display for LocationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The wire default of a `storeId` field an older message or client leaves out.
pub fn central_store_id() -> String {
    LocationId::CENTRAL.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_of_letters_digits_dash_and_underscore_are_accepted() {
        for ok in ["central", "store-1", "Store_42", "a", &"x".repeat(32)] {
            assert_eq!(LocationId::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn empty_long_and_unsafe_ids_are_refused_with_one_code() {
        for bad in [
            "",
            &"x".repeat(33),
            "store 1",
            "store/1",
            "étoile",
            "a.b",
            "a#b",
        ] {
            assert_eq!(LocationId::parse(bad).unwrap_err().code, "invalid_store_id");
        }
    }

    #[test]
    fn absent_means_the_central_warehouse() {
        assert!(LocationId::parse_or_central(None).unwrap().is_central());
        assert_eq!(
            LocationId::parse_or_central(Some("store-1"))
                .unwrap()
                .as_str(),
            "store-1"
        );
    }
}
