//! HTTP DTOs of the order routes: order-service's internal API, which order-api's
//! public routes forward to and answer with.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{LocationId, Money, Price, Quantity, Sku, ValidationError, central_store_id};

/// Where an order stands in the checkout saga; its text (`PENDING`, ...) is what
/// [`OrderView::status`] carries and order-service stores.
///
/// `PENDING` → `CONFIRMED` | `CANCELLED`, both terminal, with `RESERVED` between on the
/// event-driven path (the order's lines are reserved and their commit is asked for), and
/// `AUTHORIZED` between for a checkout that pays (its total is held on the card).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, strum::Display, strum::EnumString, strum::IntoStaticStr,
)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    /// Placed; its lines are not committed yet.
    Pending,
    /// The event path reserved its lines and asked for their commit.
    Reserved,
    /// Paid checkouts only: its lines are reserved and its total is held on the card,
    /// not captured yet.
    Authorized,
    /// Its lines are committed: out of stock for good.
    Confirmed,
    Cancelled,
}

impl OrderStatus {
    pub const ALL: [Self; 5] = [
        Self::Pending,
        Self::Reserved,
        Self::Authorized,
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
    /// How the order is paid; an order without one is not paid through the checkout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<PaymentRequest>,
}

/// How a checkout pays: a card, named by the token the payment provider's client-side
/// SDK handed the shop (`tok_visa`, `pm_…`), never card details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentRequest {
    /// `card`, the one method there is.
    #[schema(example = "card")]
    pub method: String,
    /// The provider's token or payment method id: 1 to 255 visible ASCII characters.
    #[schema(example = "tok_visa")]
    pub token: String,
}

/// Longest payment token.
pub const MAX_PAYMENT_TOKEN_LEN: usize = 255;

/// A checked card payment: the method is `card` and the token is 1 to
/// [`MAX_PAYMENT_TOKEN_LEN`] visible ASCII characters. `Debug` shows only the token's
/// kind (`tok_…`): a reference to a card stays out of logs.
#[derive(Clone, PartialEq, Eq)]
pub struct CardPayment {
    token: String,
}

impl CardPayment {
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The kind of token (`tok`, `pm`), what may be shown of it.
    pub fn kind(&self) -> &str {
        self.token.split_once('_').map_or("card", |(kind, _)| kind)
    }
}

impl std::fmt::Debug for CardPayment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CardPayment({}_…)", self.kind())
    }
}

impl PaymentRequest {
    pub fn validate(&self) -> Result<CardPayment, ValidationError> {
        if self.method != "card" {
            return Err(ValidationError::new(
                "invalid_payment",
                format!(
                    "payment method {:?} is not supported: use \"card\"",
                    self.method
                ),
            ));
        }
        let token = &self.token;
        if !crate::is_visible_ascii(token, MAX_PAYMENT_TOKEN_LEN) {
            return Err(ValidationError::new(
                "invalid_payment",
                format!("a payment token is 1 to {MAX_PAYMENT_TOKEN_LEN} visible ASCII characters"),
            ));
        }
        Ok(CardPayment {
            token: token.clone(),
        })
    }
}

/// A validated order request: lines in the client's order, no duplicate SKU, all of
/// them to be reserved at one location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateOrder {
    pub customer_id: Option<String>,
    pub location: LocationId,
    pub lines: Vec<(Sku, Quantity)>,
    /// How it is paid, when it is.
    pub payment: Option<CardPayment>,
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
        let payment = self
            .payment
            .as_ref()
            .map(PaymentRequest::validate)
            .transpose()?;
        Ok(CreateOrder {
            customer_id: self.customer_id.clone(),
            location,
            lines,
            payment,
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

/// One line of an order with the price of one unit, as the inventory answered its
/// reservation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PricedLineRequest {
    #[schema(example = "ABC-1234-AB")]
    pub sku: String,
    #[schema(example = 2)]
    pub qty: i64,
    pub unit_price: Money,
}

/// `POST /orders/:id/authorize` (the saga's own call, once every line is reserved): the
/// lines with their unit prices, which must be exactly the order's lines. order-service
/// computes the total and has it authorized on the order's card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizeOrderRequest {
    pub items: Vec<PricedLineRequest>,
}

impl AuthorizeOrderRequest {
    pub fn validate(&self) -> Result<Vec<(Sku, Quantity, Price)>, ValidationError> {
        self.items
            .iter()
            .map(|l| {
                Ok((
                    Sku::parse(&l.sku)?,
                    Quantity::parse(l.qty)?,
                    l.unit_price.validate()?,
                ))
            })
            .collect()
    }
}

/// One line of an order as shown: its units, and the price of one unit once the order is
/// priced (a paid checkout copies it from the reservation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderItemView {
    #[schema(example = "ABC-1234-AB")]
    pub sku: String,
    #[schema(example = 2)]
    pub qty: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<Money>,
}

/// The payment of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentView {
    /// `card`
    pub method: String,
    /// `pending` (not authorized yet), `authorized`, `captured`, `voided`, `refunded`,
    /// `declined`
    #[schema(example = "captured")]
    pub status: String,
    /// What is authorized or taken: the order's total, once priced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Money>,
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
    /// PENDING | RESERVED | AUTHORIZED | CONFIRMED | CANCELLED
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    /// Where the order's lines are reserved (`central` unless the order named a location).
    #[serde(default = "central_store_id")]
    #[schema(example = "central")]
    pub location_id: String,
    pub items: Vec<OrderItemView>,
    /// The sum of its lines at their unit prices, once priced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<Money>,
    /// How it is paid, when it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<PaymentView>,
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
            payment: None,
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
            payment: None,
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
            payment: None,
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
    fn a_payment_is_a_card_token_and_never_shows_in_full() {
        let pay = |method: &str, token: &str| {
            PaymentRequest {
                method: method.into(),
                token: token.into(),
            }
            .validate()
        };
        let card = pay("card", "tok_visa").unwrap();
        assert_eq!((card.token(), card.kind()), ("tok_visa", "tok"));
        assert_eq!(format!("{card:?}"), "CardPayment(tok_…)");
        for (method, token) in [("cash", "tok_visa"), ("card", ""), ("card", "tok visa")] {
            assert_eq!(pay(method, token).unwrap_err().code, "invalid_payment");
        }
        let request: CreateOrderRequest = serde_json::from_value(serde_json::json!({
            "items": [{"sku": "ABC-1234-AB", "qty": 1}],
            "payment": {"method": "card", "token": "tok_visa"},
        }))
        .unwrap();
        assert!(request.validate().unwrap().payment.is_some());
    }

    #[test]
    fn an_authorization_names_each_line_with_a_valid_unit_price() {
        let request: AuthorizeOrderRequest = serde_json::from_value(serde_json::json!({
            "items": [{"sku": "ABC-1234-AB", "qty": 2, "unitPrice": {"amount": 1999, "currency": "EUR"}}],
        }))
        .unwrap();
        let lines = request.validate().unwrap();
        assert_eq!(lines[0].2, Price::parse(1999, "EUR").unwrap());
        let bad: AuthorizeOrderRequest = serde_json::from_value(serde_json::json!({
            "items": [{"sku": "ABC-1234-AB", "qty": 2, "unitPrice": {"amount": -1, "currency": "EUR"}}],
        }))
        .unwrap();
        assert_eq!(bad.validate().unwrap_err().code, "invalid_price");
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
    pub items: Vec<OrderItemView>,
    /// What the order costs (a paid checkout): its lines at their unit prices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<Money>,
}
