//! HTTP DTOs of the order routes: order-service's internal API, which order-api's
//! public routes forward to and answer with.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{LocationId, Quantity, Sku, ValidationError, central_store_id};

/// Where an order stands in the checkout saga; its text (`PENDING`, ...) is what
/// [`OrderView::status`] carries and order-service stores.
///
/// `PENDING` → `CONFIRMED` | `CANCELLED`, both terminal, with `RESERVED` between on the
/// event-driven path (the order's lines are reserved and their commit is asked for).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, strum::Display, strum::EnumString, strum::IntoStaticStr,
)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    /// Placed; its lines are not committed yet.
    Pending,
    /// The event path reserved its lines and asked for their commit.
    Reserved,
    /// Its lines are committed: out of stock for good.
    Confirmed,
    Cancelled,
}

impl OrderStatus {
    pub const ALL: [Self; 4] = [
        Self::Pending,
        Self::Reserved,
        Self::Confirmed,
        Self::Cancelled,
    ];

    /// The status's text, for labels that must outlive the value.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Confirmed | Self::Cancelled)
    }
}

/// Most lines in one order.
pub const MAX_ORDER_LINES: usize = 100;
/// Longest customer id.
pub const MAX_CUSTOMER_ID_LEN: usize = 128;
/// Longest cancellation reason.
pub const MAX_REASON_LEN: usize = 500;

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderLineRequest {
    #[schema(example = "ABC-1234-AB")]
    pub sku: String,
    #[schema(example = 2)]
    pub qty: i64,
}

/// `POST /orders` (and order-api's `POST /checkout`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateOrderRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    /// Where every line is reserved, all or none: a location id (1 to 32 of letters,
    /// digits, `-` and `_`). The central warehouse when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "store-1")]
    pub location_id: Option<String>,
    pub items: Vec<OrderLineRequest>,
}

/// A validated order request: lines in the client's order, no duplicate SKU, all of
/// them to be reserved at one location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateOrder {
    pub customer_id: Option<String>,
    pub location: LocationId,
    pub lines: Vec<(Sku, Quantity)>,
}

impl CreateOrderRequest {
    pub fn validate(&self) -> Result<CreateOrder, ValidationError> {
        if self.items.is_empty() {
            return Err(ValidationError::new(
                "invalid_items",
                "items must not be empty",
            ));
        }
        if self.items.len() > MAX_ORDER_LINES {
            return Err(ValidationError::new(
                "invalid_items",
                format!("at most {MAX_ORDER_LINES} lines per order"),
            ));
        }
        if let Some(customer) = &self.customer_id
            && !is_text(customer, MAX_CUSTOMER_ID_LEN)
        {
            return Err(ValidationError::new(
                "invalid_customer_id",
                format!(
                    "customerId must be 1 to {MAX_CUSTOMER_ID_LEN} characters, none of them a control character"
                ),
            ));
        }
        let location = LocationId::parse_or_central(self.location_id.as_deref())?;
        let mut seen = BTreeSet::new();
        let mut lines = Vec::with_capacity(self.items.len());
        for item in &self.items {
            let sku = Sku::parse(&item.sku)?;
            if !seen.insert(sku.clone()) {
                return Err(ValidationError::new(
                    "duplicate_sku",
                    format!("SKU {sku} appears more than once"),
                ));
            }
            lines.push((sku, Quantity::parse(item.qty)?));
        }
        Ok(CreateOrder {
            customer_id: self.customer_id.clone(),
            location,
            lines,
        })
    }
}

/// Free text a client sends: 1 to `max` characters, none of them a control character
/// (a NUL would not even reach the database).
fn is_text(text: &str, max: usize) -> bool {
    (1..=max).contains(&text.chars().count()) && !text.chars().any(char::is_control)
}

/// `POST /orders/:id/cancel`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CancelOrderRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Set by the saga only: why it cancels (`stock_lost`: the order's lines could not be
    /// committed). Absent for a client's cancellation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<CancelCause>,
}

/// Why the saga cancels an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CancelCause {
    /// The inventory could not commit the order's lines: their units were gone.
    StockLost,
}

impl CancelOrderRequest {
    /// The reason, checked: 1 to [`MAX_REASON_LEN`] characters, no control character.
    pub fn validate(&self) -> Result<Option<&str>, ValidationError> {
        match self.reason.as_deref() {
            Some(reason) if !is_text(reason, MAX_REASON_LEN) => Err(ValidationError::new(
                "invalid_reason",
                format!(
                    "reason must be 1 to {MAX_REASON_LEN} characters, none of them a control character"
                ),
            )),
            reason => Ok(reason),
        }
    }
}

/// `POST /orders/:id/confirm` (the saga's own call, once the inventory has committed the
/// order): the lines committed, which must be exactly the order's lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConfirmOrderRequest {
    pub items: Vec<OrderLineRequest>,
}

impl ConfirmOrderRequest {
    pub fn validate(&self) -> Result<Vec<(Sku, Quantity)>, ValidationError> {
        self.items
            .iter()
            .map(|l| Ok((Sku::parse(&l.sku)?, Quantity::parse(l.qty)?)))
            .collect()
    }
}

/// One step of an order's life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TransitionView {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    pub to: String,
    pub reason: String,
    /// Which path drove it: `http`, `event` or `timer`.
    pub path: String,
    pub at: DateTime<Utc>,
}

/// An order as order-service (and order-api) show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderView {
    pub order_id: String,
    /// PENDING | CONFIRMED | CANCELLED
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    /// Where the order's lines are reserved (`central` unless the order named a location).
    #[serde(default = "central_store_id")]
    #[schema(example = "central")]
    pub location_id: String,
    pub items: Vec<OrderLineRequest>,
    /// The event-driven saga drives this order (handed over, or its grace period ran out).
    pub handed_over: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub history: Vec<TransitionView>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(sku: &str, qty: i64) -> OrderLineRequest {
        OrderLineRequest {
            sku: sku.into(),
            qty,
        }
    }

    #[test]
    fn an_order_keeps_its_lines_in_the_clients_order() {
        let ok = CreateOrderRequest {
            customer_id: Some("c-1".into()),
            location_id: None,
            items: vec![line("ZZZ-0001-AA", 1), line("AAA-0001-AA", 2)],
        }
        .validate()
        .unwrap();
        assert_eq!(ok.lines[0].0.as_str(), "ZZZ-0001-AA");
    }

    #[test]
    fn empty_duplicate_and_bad_lines_are_refused_with_their_code() {
        let order = |items| CreateOrderRequest {
            customer_id: None,
            location_id: None,
            items,
        };
        assert_eq!(order(vec![]).validate().unwrap_err().code, "invalid_items");
        assert_eq!(
            order(vec![line("AAA-0001-AA", 1), line("AAA-0001-AA", 2)])
                .validate()
                .unwrap_err()
                .code,
            "duplicate_sku"
        );
        assert_eq!(
            order(vec![line("bad", 1)]).validate().unwrap_err().code,
            "invalid_sku"
        );
        assert_eq!(
            order(vec![line("AAA-0001-AA", 0)])
                .validate()
                .unwrap_err()
                .code,
            "invalid_quantity"
        );
        let many = (0..=MAX_ORDER_LINES)
            .map(|i| line(&format!("AAA-{i:04}-AA"), 1))
            .collect();
        assert_eq!(order(many).validate().unwrap_err().code, "invalid_items");
    }

    #[test]
    fn an_order_is_reserved_at_the_location_it_names_or_at_the_central_warehouse() {
        let order = |location_id: Option<&str>| CreateOrderRequest {
            customer_id: None,
            location_id: location_id.map(str::to_owned),
            items: vec![line("ABC-1234-AB", 1)],
        };
        assert!(order(None).validate().unwrap().location.is_central());
        assert_eq!(
            order(Some("store-1")).validate().unwrap().location.as_str(),
            "store-1"
        );
        for bad in ["", "store 1", "no/such", &"x".repeat(33)] {
            assert_eq!(
                order(Some(bad)).validate().unwrap_err().code,
                "invalid_store_id"
            );
        }
    }

    #[test]
    fn a_request_or_a_view_without_a_location_reads_as_the_central_warehouse() {
        let request: CreateOrderRequest =
            serde_json::from_value(serde_json::json!({"items": []})).unwrap();
        assert_eq!(request.location_id, None);
        assert!(
            !serde_json::to_string(&request)
                .unwrap()
                .contains("locationId")
        );
        let view: OrderView = serde_json::from_value(serde_json::json!({
            "orderId": "o-1",
            "status": "PENDING",
            "items": [],
            "handedOver": false,
            "version": 1,
            "createdAt": "2030-01-01T00:00:00Z",
            "updatedAt": "2030-01-01T00:00:00Z",
            "history": [],
        }))
        .unwrap();
        assert_eq!(view.location_id, "central");
        assert_eq!(
            serde_json::to_value(&view).unwrap()["locationId"],
            "central"
        );
    }
}

/// Answer of order-api's `POST /checkout` (201 confirmed, 202 pending).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CheckoutView {
    pub order_id: String,
    /// CONFIRMED (201) or PENDING (202: the event-driven saga finishes it).
    pub status: String,
    /// Where the order's lines are reserved (`central` unless the checkout named one).
    #[serde(default = "central_store_id")]
    #[schema(example = "central")]
    pub location_id: String,
    pub items: Vec<OrderLineRequest>,
}
