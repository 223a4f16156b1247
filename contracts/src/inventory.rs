//! HTTP DTOs of the inventory routes (docs/contract.md §3), shared by inventory-api (which
//! validates and forwards) and inventory-service (which validates again and serves).
//!
//! Request DTOs keep raw wire types (`String`, `i64`, any JSON in a price) so that a
//! wrong value gets a precise code (`invalid_sku`, `invalid_quantity`, `invalid_price`,
//! ...) from `validate()` rather than a generic deserialization error. Unknown fields are
//! ignored (tolerant reader).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::money::invalid;
use crate::{
    LocationId, Money, OrderId, Price, Quantity, Sku, StockLevel, ValidationError, central_store_id,
};

/// Longest hold a client may ask for: one week.
pub const MAX_TTL_SECONDS: i64 = 7 * 24 * 3600;
/// Most lines in one all-or-nothing reservation.
pub const MAX_RESERVATION_LINES: usize = 100;
/// Largest page of movements.
pub const MAX_MOVEMENTS_PAGE: i64 = 500;
/// Largest page of a location's stock.
pub const MAX_STOCK_PAGE: i64 = 1000;
/// Longest name of a location.
pub const MAX_LOCATION_NAME: usize = 200;

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
    /// The price of one unit; the SKU is unpriced when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Money>)]
    pub unit_price: Option<PriceRequest>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateInventory {
    pub sku: Sku,
    pub initial: StockLevel,
    pub safety_stock: StockLevel,
    pub unit_price: Option<Price>,
}

impl CreateInventoryRequest {
    pub fn validate(&self) -> Result<CreateInventory, ValidationError> {
        Ok(CreateInventory {
            sku: Sku::parse(&self.sku)?,
            initial: StockLevel::parse("qty", self.qty)?,
            safety_stock: StockLevel::parse("safetyStock", self.safety_stock.unwrap_or(0))?,
            unit_price: self
                .unit_price
                .as_ref()
                .map(PriceRequest::validate)
                .transpose()?,
        })
    }
}

/// `PUT /inventory/:sku/price`, and the `unitPrice` of `POST /inventory`: a price as
/// sent, documented as [`Money`]. Its fields take any JSON, so that every wrong price (a
/// fraction, a negative, a text, a missing field, a currency that is not three capital
/// letters) is `invalid_price` rather than a generic `invalid_body`: a client that sends
/// `19.99` learns that prices are minor units.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PriceRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<Value>,
}

impl PriceRequest {
    pub fn validate(&self) -> Result<Price, ValidationError> {
        let amount = match &self.amount {
            Some(Value::Number(n)) => n.as_i64().ok_or_else(|| {
                invalid(format!(
                    "a price's amount is a whole number of minor units (1999 for 19.99), got {n}"
                ))
            })?,
            Some(other) => {
                return Err(invalid(format!(
                    "a price's amount is a whole number of minor units (1999 for 19.99), got {other}"
                )));
            }
            None => return Err(invalid("a price needs an amount".to_owned())),
        };
        match &self.currency {
            Some(Value::String(currency)) => Price::parse(amount, currency),
            Some(other) => Err(invalid(format!(
                "a price's currency is an ISO 4217 code (three capital letters), got {other}"
            ))),
            None => Err(invalid("a price needs a currency".to_owned())),
        }
    }
}

impl From<Price> for PriceRequest {
    fn from(price: Price) -> Self {
        Self {
            amount: Some(Value::from(price.amount())),
            currency: Some(Value::from(price.currency())),
        }
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
    /// Where every line is reserved; the central warehouse when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReserveAll {
    pub order_id: OrderId,
    /// All lines are held at this one location.
    pub location: LocationId,
    /// Sorted by SKU, no duplicates.
    pub lines: Vec<(Sku, Quantity)>,
    pub ttl_seconds: Option<u32>,
}

impl CreateReservationRequest {
    pub fn validate(&self) -> Result<ReserveAll, ValidationError> {
        Ok(ReserveAll {
            order_id: OrderId::parse(&self.order_id)?,
            location: LocationId::parse_or_central(self.store_id.as_deref())?,
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

/// `POST /locations`: a new location (a store, a warehouse).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateLocationRequest {
    #[schema(example = "store-1")]
    pub store_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "Main Street")]
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateLocation {
    pub id: LocationId,
    pub name: String,
}

impl CreateLocationRequest {
    pub fn validate(&self) -> Result<CreateLocation, ValidationError> {
        let id = LocationId::parse(&self.store_id)?;
        let name = self.name.clone().unwrap_or_else(|| id.to_string());
        if name.trim().is_empty() || name.chars().count() > MAX_LOCATION_NAME {
            return Err(ValidationError::new(
                "invalid_name",
                format!("name must be 1 to {MAX_LOCATION_NAME} characters"),
            ));
        }
        // A name is shown, not parsed: control characters (NUL among them, which no text
        // column can store) have no place in it.
        if name.chars().any(char::is_control) {
            return Err(ValidationError::new(
                "invalid_name",
                "name must not contain control characters",
            ));
        }
        Ok(CreateLocation { id, name })
    }
}

/// `POST /transfers`: units of one SKU moved from one location to another.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TransferRequest {
    #[schema(example = "ABC-1234-AB")]
    pub sku: String,
    #[schema(example = "central")]
    pub from: String,
    #[schema(example = "store-1")]
    pub to: String,
    #[schema(example = 4)]
    pub qty: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    pub sku: Sku,
    pub from: LocationId,
    pub to: LocationId,
    pub qty: Quantity,
}

impl TransferRequest {
    pub fn validate(&self) -> Result<Transfer, ValidationError> {
        let transfer = Transfer {
            sku: Sku::parse(&self.sku)?,
            from: LocationId::parse(&self.from)?,
            to: LocationId::parse(&self.to)?,
            qty: Quantity::parse(self.qty)?,
        };
        if transfer.from == transfer.to {
            return Err(ValidationError::new(
                "invalid_transfer",
                "from and to must be two different locations",
            ));
        }
        Ok(transfer)
    }
}

/// Query of `GET /locations/:storeId/inventory/:sku` (and `GET /inventory/:sku`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct StockQuery {
    /// The answer is never older than this version: the view serves it when it has
    /// caught up, inventory-service otherwise.
    pub min_version: Option<i64>,
}

impl StockQuery {
    pub fn validate(&self) -> Result<Option<i64>, ValidationError> {
        match self.min_version {
            Some(v) if v < 1 => Err(ValidationError::new(
                "invalid_query",
                "minVersion must be positive",
            )),
            v => Ok(v),
        }
    }
}

/// Query of `GET /locations/:storeId/inventory`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct StockListQuery {
    /// Page size (1..=1000, default 100).
    pub limit: Option<i64>,
    /// Cursor: only SKUs after this one (the `nextCursor` of the previous page).
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockListPage {
    pub limit: i64,
    pub after: Option<Sku>,
}

impl StockListQuery {
    pub fn validate(&self) -> Result<StockListPage, ValidationError> {
        let limit = self.limit.unwrap_or(100);
        if !(1..=MAX_STOCK_PAGE).contains(&limit) {
            return Err(ValidationError::new(
                "invalid_query",
                format!("limit must be from 1 to {MAX_STOCK_PAGE}"),
            ));
        }
        let after = self
            .cursor
            .as_deref()
            .map(|c| {
                Sku::parse(c).map_err(|_| ValidationError::new("invalid_query", "unknown cursor"))
            })
            .transpose()?;
        Ok(StockListPage { limit, after })
    }
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

/// The stock of one SKU at one location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StockView {
    /// The location; `central` when an older peer leaves it out.
    #[serde(default = "central_store_id")]
    pub store_id: String,
    pub sku: String,
    pub on_hand: i64,
    pub reserved: i64,
    pub available: i64,
    pub safety_stock: i64,
    /// True while available is under the safety stock (a purchase order is due).
    pub below_safety_stock: bool,
    /// The price of one unit; absent while the SKU has none here (and from an older
    /// peer, which predates prices).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<Money>,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

/// A page of one location's stock, in SKU order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StockPageView {
    pub items: Vec<StockView>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// A location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LocationView {
    pub store_id: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// Every location (`GET /locations`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LocationListView {
    pub items: Vec<LocationView>,
}

/// Answer of `POST /transfers`: both sides after the move.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TransferView {
    pub transfer_id: String,
    pub from: StockView,
    pub to: StockView,
}

/// One immutable record of the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MovementView {
    pub id: i64,
    #[serde(default = "central_store_id")]
    pub store_id: String,
    pub sku: String,
    /// created | reserved | released | committed | replenished | expired | returned |
    /// transferred_out | transferred_in
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
    /// The SKU's unit price at the hold's location as the answer was given, for a
    /// checkout to copy; absent while it has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<Money>,
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
    fn a_location_name_is_one_to_200_characters_of_text_without_control_characters() {
        let named = |name: Option<&str>| {
            CreateLocationRequest {
                store_id: "store-1".into(),
                name: name.map(str::to_owned),
            }
            .validate()
        };
        assert_eq!(named(None).unwrap().name, "store-1");
        assert_eq!(named(Some("High Street")).unwrap().name, "High Street");
        for bad in [
            "",
            " ",
            "a\u{0}b",
            "tab\there",
            "\u{1b}[31m",
            &"x".repeat(201),
        ] {
            assert_eq!(
                named(Some(bad)).unwrap_err().code,
                "invalid_name",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_reservation_is_validated_line_by_line_and_sorted_by_sku() {
        let req = CreateReservationRequest {
            order_id: "o-1".into(),
            items: vec![line("ZZZ-0001-AA", 1), line("AAA-0001-AA", 2)],
            ttl_seconds: Some(60),
            store_id: None,
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
            store_id: None,
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
    fn a_reservation_is_at_central_unless_it_names_a_store() {
        let mut req = CreateReservationRequest {
            order_id: "o-1".into(),
            items: vec![line("AAA-0001-AA", 1)],
            ttl_seconds: None,
            store_id: None,
        };
        assert!(req.validate().unwrap().location.is_central());
        req.store_id = Some("store-1".into());
        assert_eq!(req.validate().unwrap().location.as_str(), "store-1");
        req.store_id = Some("no such/store".into());
        assert_eq!(req.validate().unwrap_err().code, "invalid_store_id");
    }

    #[test]
    fn a_transfer_moves_units_between_two_different_locations() {
        let req = |from: &str, to: &str, qty| TransferRequest {
            sku: "AAA-0001-AA".into(),
            from: from.into(),
            to: to.into(),
            qty,
        };
        assert!(req("central", "store-1", 3).validate().is_ok());
        assert_eq!(
            req("central", "central", 3).validate().unwrap_err().code,
            "invalid_transfer"
        );
        assert_eq!(
            req("central", "store-1", 0).validate().unwrap_err().code,
            "invalid_quantity"
        );
        assert_eq!(
            req("central", "", 1).validate().unwrap_err().code,
            "invalid_store_id"
        );
    }

    #[test]
    fn a_stock_view_without_a_store_is_central() {
        let view: StockView = serde_json::from_str(
            r#"{"sku":"AAA-0001-AA","onHand":1,"reserved":0,"available":1,"safetyStock":0,
                "belowSafetyStock":false,"version":1,"updatedAt":"2026-01-01T00:00:00Z"}"#,
        )
        .unwrap();
        assert_eq!(view.store_id, "central");
    }

    #[test]
    fn a_stock_view_without_a_price_is_unpriced_and_says_nothing_of_one() {
        let mut view: StockView = serde_json::from_value(serde_json::json!({
            "sku": "AAA-0001-AA", "onHand": 1, "reserved": 0, "available": 1,
            "safetyStock": 0, "belowSafetyStock": false, "version": 1,
            "updatedAt": "2026-01-01T00:00:00Z", "unitPrice": null
        }))
        .unwrap();
        assert_eq!(view.unit_price, None);
        assert!(
            serde_json::to_value(&view)
                .unwrap()
                .get("unitPrice")
                .is_none()
        );
        view.unit_price = Some(Price::parse(250, "EUR").unwrap().into());
        assert_eq!(
            serde_json::to_value(&view).unwrap()["unitPrice"],
            serde_json::json!({"amount": 250, "currency": "EUR"})
        );
    }

    fn price(body: serde_json::Value) -> Result<Price, ValidationError> {
        serde_json::from_value::<PriceRequest>(body)
            .expect("any object reads as a price request")
            .validate()
    }

    #[test]
    fn a_price_is_whole_minor_units_of_an_iso_currency() {
        let ok = price(serde_json::json!({"amount": 1999, "currency": "EUR"})).unwrap();
        assert_eq!((ok.amount(), ok.currency()), (1999, "EUR"));
        assert_eq!(
            price(serde_json::json!({"amount": 0, "currency": "JPY", "extra": 1}))
                .unwrap()
                .amount(),
            0
        );
        assert_eq!(PriceRequest::from(ok).validate(), Ok(ok));
    }

    #[test]
    fn every_wrong_price_is_invalid_price() {
        for body in [
            serde_json::json!({"amount": -1, "currency": "EUR"}),
            serde_json::json!({"amount": 19.99, "currency": "EUR"}),
            serde_json::json!({"amount": 20.0, "currency": "EUR"}),
            serde_json::json!({"amount": 1e30, "currency": "EUR"}),
            serde_json::json!({"amount": u64::MAX, "currency": "EUR"}),
            serde_json::json!({"amount": "1999", "currency": "EUR"}),
            serde_json::json!({"amount": null, "currency": "EUR"}),
            serde_json::json!({"currency": "EUR"}),
            serde_json::json!({"amount": 1999}),
            serde_json::json!({"amount": 1999, "currency": null}),
            serde_json::json!({"amount": 1999, "currency": "eur"}),
            serde_json::json!({"amount": 1999, "currency": "EURO"}),
            serde_json::json!({"amount": 1999, "currency": "EU"}),
            serde_json::json!({"amount": 1999, "currency": 978}),
            serde_json::json!({}),
        ] {
            assert_eq!(
                price(body.clone()).unwrap_err().code,
                "invalid_price",
                "{body}"
            );
        }
    }

    #[test]
    fn a_new_sku_is_unpriced_unless_its_request_names_a_price() {
        let mut req: CreateInventoryRequest =
            serde_json::from_str(r#"{"sku":"AAA-0001-AA","qty":1,"unitPrice":null}"#).unwrap();
        assert_eq!(req.validate().unwrap().unit_price, None);
        req.unit_price = Some(PriceRequest::from(Price::parse(5, "USD").unwrap()));
        assert_eq!(
            req.validate().unwrap().unit_price,
            Some(Price::parse(5, "USD").unwrap())
        );
        let bad: CreateInventoryRequest = serde_json::from_str(
            r#"{"sku":"AAA-0001-AA","qty":1,"unitPrice":{"amount":1.5,"currency":"USD"}}"#,
        )
        .unwrap();
        assert_eq!(bad.validate().unwrap_err().code, "invalid_price");
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
