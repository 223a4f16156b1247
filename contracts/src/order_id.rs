//! `OrderId`: the correlation key of a reservation.
//!
//! Order ids come from outside the inventory (order-service's UUIDs, or a client's own
//! key such as `order-001`), so the rule is permissive but bounded: 1 to 64 characters
//! of ASCII letters, digits, `-`, `_`, `.` and `:`.

use std::fmt;

use serde::Serialize;

use crate::ValidationError;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct OrderId(String);

impl OrderId {
    pub const MAX_LEN: usize = 64;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let ok = (1..=Self::MAX_LEN).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ValidationError::new(
                "invalid_order_id",
                format!(
                    "orderId must be 1 to {} characters of letters, digits, '-', '_', '.', ':'",
                    Self::MAX_LEN
                ),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_keys_and_uuids_parse() {
        for raw in [
            "order-001",
            "0192f1c3-7a1e-7c3e-9a0b-1f2e3d4c5b6a",
            "a",
            "x:y.z_1",
        ] {
            assert!(OrderId::parse(raw).is_ok(), "{raw}");
        }
    }

    #[test]
    fn empty_long_and_odd_ids_are_refused() {
        let long = "a".repeat(65);
        for raw in ["", long.as_str(), "has space", "semi;colon", "ünï"] {
            assert_eq!(OrderId::parse(raw).unwrap_err().code, "invalid_order_id");
        }
    }
}
