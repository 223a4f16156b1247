//! [`Inventory`]: inventory-api, where the saga holds every line of an order at once and
//! then commits exactly those lines.

use std::future::Future;

use contracts::inventory::Shortage;
use contracts::{LocationId, OrderId, Price, Sku};
use serde::Deserialize;

use crate::order::OrderLine;

/// A line the inventory holds for the order, with the price of one unit as it answered
/// (absent while the SKU is unpriced at the order's location).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldLine {
    pub line: OrderLine,
    pub unit_price: Option<Price>,
}

/// The inventory's own refusals of a reservation or a commit, read from its problem (the
/// `code` names the variant). Only these mean "no": any other answer says nothing about
/// the stock (see [`InventoryError::Unavailable`]).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, strum::IntoStaticStr)]
#[serde(tag = "code", rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum InventoryRefusal {
    /// Some lines have too few units available.
    InsufficientStock {
        #[serde(default)]
        shortages: Vec<Shortage>,
    },
    /// Some SKUs have no stock record (at the order's location, or the location itself
    /// does not exist: the inventory then names every line).
    UnknownSku {
        #[serde(default)]
        skus: Vec<Sku>,
    },
    /// The lines were reserved but their units were gone by the time of the commit (a
    /// hold expired meanwhile).
    StockLost {
        #[serde(default)]
        shortages: Vec<Shortage>,
    },
    OrderCancelled,
    ReservationConflict,
    HoldOwnedByOrder,
    HoldOwnedByAnotherCaller,
    DuplicateSku,
    /// Input the inventory found invalid (a 422 with an `invalid_*` code).
    #[serde(skip)]
    InvalidInput {
        code: String,
    },
}

impl InventoryRefusal {
    /// The inventory's code for it.
    pub fn code(&self) -> &str {
        match self {
            Self::InvalidInput { code } => code.as_str(),
            other => other.into(),
        }
    }
}

/// Why the inventory step did not happen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InventoryError {
    /// The inventory answered no: it is up, and nothing is held or committed.
    #[error("the inventory refused: {}", .0.code())]
    Refused(InventoryRefusal),
    /// Timeout, 5xx, refused connection, an answer that is none of its refusals (a 404
    /// of a wrong URL, a 408, 413 or 429 of a proxy, a 401 of a missing key), a success
    /// that cannot be read, or the breaker is open. Says nothing about the stock: the
    /// step may or may not have happened.
    #[error("the inventory is unavailable")]
    Unavailable,
}

/// inventory-api, on behalf of the saga.
pub trait Inventory: Send + Sync {
    /// Holds every line of the order at `location`, or none. Answers the lines held, each
    /// with its unit price.
    fn reserve(
        &self,
        order: &OrderId,
        location: &LocationId,
        lines: &[OrderLine],
    ) -> impl Future<Output = Result<Vec<HeldLine>, InventoryError>> + Send;

    /// Commits exactly `lines` of the order (from its holds or, where a hold expired, from
    /// available stock): the pivot of the saga. Answers the lines committed. Idempotent.
    fn commit(
        &self,
        order: &OrderId,
        lines: &[OrderLine],
    ) -> impl Future<Output = Result<Vec<OrderLine>, InventoryError>> + Send;
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_refusal_is_read_by_its_code_with_its_details() {
        let read = |body: serde_json::Value| {
            serde_json::from_value::<InventoryRefusal>(body).map_err(|e| e.to_string())
        };
        assert_eq!(
            read(
                json!({"code": "insufficient_stock", "title": "Conflict", "shortages": [
                    {"sku": "ABC-1234-AB", "requested": 3, "available": 1}
                ]})
            ),
            Ok(InventoryRefusal::InsufficientStock {
                shortages: vec![Shortage {
                    sku: "ABC-1234-AB".into(),
                    requested: 3,
                    available: 1
                }]
            })
        );
        assert_eq!(
            read(json!({"code": "stock_lost"})),
            Ok(InventoryRefusal::StockLost { shortages: vec![] })
        );
        assert_eq!(
            read(
                json!({"code": "hold_owned_by_another_caller", "title": "Conflict", "status": 409})
            ),
            Ok(InventoryRefusal::HoldOwnedByAnotherCaller)
        );
        for other in [
            "not_found",
            "rate_limited",
            "invalid_input",
            "something_else",
        ] {
            assert!(read(json!({ "code": other })).is_err(), "{other}");
        }
    }

    #[test]
    fn a_refusal_names_itself_with_the_inventorys_code() {
        assert_eq!(
            InventoryRefusal::UnknownSku { skus: vec![] }.code(),
            "unknown_sku"
        );
        assert_eq!(
            InventoryRefusal::InvalidInput {
                code: "invalid_ttl".into()
            }
            .code(),
            "invalid_ttl"
        );
    }
}
