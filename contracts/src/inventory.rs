//! HTTP DTOs of the inventory routes (docs/contract.md §3), shared by inventory-api (which
//! validates and forwards) and inventory-service (which validates again and serves).
//!
//! Request DTOs keep raw wire types (`String`, `i64`) so that a wrong value gets a
//! precise code (`invalid_sku`, `invalid_quantity`, ...) from `validate()` rather than a
//! generic deserialization error. Unknown fields are ignored (tolerant reader).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::{OrderId, Quantity, Sku, StockLevel, ValidationError};

/// Longest hold a client may ask for: one week.
pub const MAX_TTL_SECONDS: i64 = 7 * 24 * 3600;
/// Most lines in one all-or-nothing reservation.
pub const MAX_RESERVATION_LINES: usize = 100;
/// Largest page of movements.
pub const MAX_MOVEMENTS_PAGE: i64 = 500;

// ---------------------------------------------------------------- requests

/// `POST /inventory`
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateInventoryRequest {
    #[schema(example = "ABC-1234-AB")]
    pub sku: String,
    /// Initial units on hand (0 allowed).
    #[schema(example = 10)]
    pub qty: i64,
    /// Level under which a purchase order must be triggered (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub safety_stock: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateInventory {
    pub sku: Sku,
    pub initial: StockLevel,
    pub safety_stock: StockLevel,
}

impl CreateInventoryRequest {
    pub fn validate(&self) -> Result<CreateInventory, ValidationError> {
        Ok(CreateInventory {
            sku: Sku::parse(&self.sku)?,
            initial: StockLevel::parse("qty", self.qty)?,
            safety_stock: StockLevel::parse("safetyStock", self.safety_stock.unwrap_or(0))?,
        })
    }
}

/// `POST /inventory/:sku/reserve`
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReserveRequest {
    #[schema(example = 5)]
    pub qty: i64,
    #[schema(example = "order-001")]
    pub order_id: String,
    /// Lifetime of the hold; the service default (15 min) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_seconds: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reserve {
    pub qty: Quantity,
    pub order_id: OrderId,
    pub ttl_seconds: Option<u32>,
}

impl ReserveRequest {
    pub fn validate(&self) -> Result<Reserve, ValidationError> {
        Ok(Reserve {
            qty: Quantity::parse(self.qty)?,
            order_id: OrderId::parse(&self.order_id)?,
            ttl_seconds: validate_ttl(self.ttl_seconds)?,
        })
    }
}

/// `POST /inventory/:sku/release`
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseRequest {
    #[schema(example = "order-001")]
    pub order_id: String,
    /// Most units to release; the whole hold when absent.
    #[schema(example = 3)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qty: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    pub order_id: OrderId,
    pub up_to: Option<Quantity>,
}

impl ReleaseRequest {
    pub fn validate(&self) -> Result<Release, ValidationError> {
        Ok(Release {
            order_id: OrderId::parse(&self.order_id)?,
            up_to: self.qty.map(Quantity::parse).transpose()?,
        })
    }
}

/// `POST /inventory/:sku/confirm`
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConfirmRequest {
    #[schema(example = "order-001")]
    pub order_id: String,
}

impl ConfirmRequest {
    pub fn validate(&self) -> Result<OrderId, ValidationError> {
        OrderId::parse(&self.order_id)
    }
}

/// `POST /inventory/:sku/replenish`
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReplenishRequest {
    #[schema(example = 20)]
    pub qty: i64,
}

impl ReplenishRequest {
    pub fn validate(&self) -> Result<Quantity, ValidationError> {
        Quantity::parse(self.qty)
    }
}

/// One line of `POST /reservations`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReservationLineRequest {
    #[schema(example = "ABC-1234-AB")]
    pub sku: String,
    #[schema(example = 2)]
    pub qty: i64,
}

/// `POST /reservations`: all lines or none.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateReservationRequest {
    pub order_id: String,
    pub items: Vec<ReservationLineRequest>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_seconds: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReserveAll {
    pub order_id: OrderId,
    /// Sorted by SKU, no duplicates.
    pub lines: Vec<(Sku, Quantity)>,
    pub ttl_seconds: Option<u32>,
}

impl CreateReservationRequest {
    pub fn validate(&self) -> Result<ReserveAll, ValidationError> {
        Ok(ReserveAll {
            order_id: OrderId::parse(&self.order_id)?,
            lines: validate_lines(&self.items)?,
            ttl_seconds: validate_ttl(self.ttl_seconds)?,
        })
    }
}

/// `POST /reservations/:orderId/commit`: the saga's commit of exactly these lines of the
/// order, from its holds or, where a hold has expired, from available stock.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CommitReservationRequest {
    pub items: Vec<ReservationLineRequest>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitLines {
    pub order_id: OrderId,
    /// Sorted by SKU, no duplicates.
    pub lines: Vec<(Sku, Quantity)>,
}

impl CommitReservationRequest {
    pub fn validate(&self, order_id: &str) -> Result<CommitLines, ValidationError> {
        Ok(CommitLines {
            order_id: OrderId::parse(order_id)?,
            lines: validate_lines(&self.items)?,
        })
    }
}

/// Answer of `POST /reservations/:orderId/commit`: the lines now committed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CommitView {
    pub order_id: String,
    pub items: Vec<ReservationLineRequest>,
}

/// An order's lines: 1 to [`MAX_RESERVATION_LINES`], each SKU once, sorted by SKU.
fn validate_lines(
    items: &[ReservationLineRequest],
) -> Result<Vec<(Sku, Quantity)>, ValidationError> {
    if items.is_empty() {
        return Err(ValidationError::new(
            "invalid_items",
            "items must not be empty",
        ));
    }
    if items.len() > MAX_RESERVATION_LINES {
        return Err(ValidationError::new(
            "invalid_items",
            format!("at most {MAX_RESERVATION_LINES} lines per reservation"),
        ));
    }
    let mut seen = BTreeSet::new();
    let mut lines = Vec::with_capacity(items.len());
    for item in items {
        let sku = Sku::parse(&item.sku)?;
        if !seen.insert(sku.clone()) {
            return Err(ValidationError::new(
                "duplicate_sku",
                format!("SKU {sku} appears more than once"),
            ));
        }
        lines.push((sku, Quantity::parse(item.qty)?));
    }
    lines.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(lines)
}

/// Query of `GET /inventory/:sku/movements`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct MovementsQuery {
    /// Page size (1..=500, default 50).
    pub limit: Option<i64>,
    /// Cursor: only movements older than this id (the `nextCursor` of the previous page).
    pub before: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MovementsPage {
    pub limit: i64,
    pub before: Option<i64>,
}

impl MovementsQuery {
    pub fn validate(&self) -> Result<MovementsPage, ValidationError> {
        let limit = self.limit.unwrap_or(50);
        if !(1..=MAX_MOVEMENTS_PAGE).contains(&limit) {
            return Err(ValidationError::new(
                "invalid_query",
                format!("limit must be from 1 to {MAX_MOVEMENTS_PAGE}"),
            ));
        }
        if self.before.is_some_and(|b| b < 1) {
            return Err(ValidationError::new(
                "invalid_query",
                "before must be positive",
            ));
        }
        Ok(MovementsPage {
            limit,
            before: self.before,
        })
    }
}

fn validate_ttl(raw: Option<i64>) -> Result<Option<u32>, ValidationError> {
    match raw {
        None => Ok(None),
        Some(t) if (1..=MAX_TTL_SECONDS).contains(&t) => Ok(Some(t as u32)),
        Some(t) => Err(ValidationError::new(
            "invalid_ttl",
            format!("ttlSeconds must be from 1 to {MAX_TTL_SECONDS}, got {t}"),
        )),
    }
}

// ---------------------------------------------------------------- responses

/// The stock of one SKU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StockView {
    pub sku: String,
    pub on_hand: i64,
    pub reserved: i64,
    pub available: i64,
    pub safety_stock: i64,
    /// True while available is under the safety stock (a purchase order is due).
    pub below_safety_stock: bool,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

/// One immutable record of the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MovementView {
    pub id: i64,
    pub sku: String,
    /// created | reserved | released | committed | replenished | expired | returned
    pub kind: String,
    pub qty: i64,
    pub order_id: Option<String>,
    pub on_hand_after: i64,
    pub reserved_after: i64,
    /// This movement took available stock under the safety stock.
    pub crossed_below_safety_stock: bool,
    /// Who changed the stock: the caller's name, `saga` for the saga's events, `expiry`
    /// for a hold that ran out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    pub occurred_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MovementPageView {
    pub items: Vec<MovementView>,
    /// Pass as `before` to get the next (older) page; absent on the last page.
    pub next_cursor: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HoldView {
    pub sku: String,
    pub qty: i64,
    /// active | released | committed | expired
    pub status: String,
    pub expires_at: DateTime<Utc>,
}

/// Answer of `POST /reservations`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReservationView {
    pub order_id: String,
    pub items: Vec<HoldView>,
}

/// One SKU short in a refused reservation (extension `shortages` of the 409 problem).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Shortage {
    pub sku: String,
    pub requested: i64,
    pub available: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(sku: &str, qty: i64) -> ReservationLineRequest {
        ReservationLineRequest {
            sku: sku.into(),
            qty,
        }
    }

    #[test]
    fn a_reservation_is_validated_line_by_line_and_sorted_by_sku() {
        let req = CreateReservationRequest {
            order_id: "o-1".into(),
            items: vec![line("ZZZ-0001-AA", 1), line("AAA-0001-AA", 2)],
            ttl_seconds: Some(60),
        };
        let ok = req.validate().unwrap();
        assert_eq!(ok.lines[0].0.as_str(), "AAA-0001-AA");
        assert_eq!(ok.ttl_seconds, Some(60));
    }

    #[test]
    fn empty_duplicate_and_oversized_reservations_are_refused() {
        let mut req = CreateReservationRequest {
            order_id: "o-1".into(),
            items: vec![],
            ttl_seconds: None,
        };
        assert_eq!(req.validate().unwrap_err().code, "invalid_items");
        req.items = vec![line("AAA-0001-AA", 1), line("AAA-0001-AA", 1)];
        assert_eq!(req.validate().unwrap_err().code, "duplicate_sku");
        req.items = (0..=MAX_RESERVATION_LINES)
            .map(|i| line(&format!("AAA-{i:04}-AA"), 1))
            .collect();
        assert_eq!(req.validate().unwrap_err().code, "invalid_items");
    }

    #[test]
    fn unknown_fields_are_ignored_by_readers() {
        let req: ReserveRequest =
            serde_json::from_str(r#"{"qty":5,"orderId":"order-001","future":"field"}"#).unwrap();
        assert_eq!(req.validate().unwrap().qty.get(), 5);
    }

    #[test]
    fn ttl_out_of_range_is_refused() {
        let req = ReserveRequest {
            qty: 1,
            order_id: "o".into(),
            ttl_seconds: Some(0),
        };
        assert_eq!(req.validate().unwrap_err().code, "invalid_ttl");
    }
}
