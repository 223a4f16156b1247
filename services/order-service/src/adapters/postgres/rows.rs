//! The stored shape of an order: a row keyed by a UUID, whose lines and history are
//! JSON. The history keeps each transition's cause in its words, as it always has. A
//! paid order's payment is in columns of its own (`payment_*`).

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use contracts::Money;

use crate::domain::{
    Cause, LocationId, Order, OrderId, OrderLine, OrderStatus, Payment, Price, Quantity, SagaPath,
    Sku, StoredOrder, StoredPayment, Transition,
};

#[derive(Debug, sqlx::FromRow)]
pub(super) struct OrderRow {
    pub id: Uuid,
    pub customer_id: Option<String>,
    /// `central` for the orders stored before orders named a location.
    pub location_id: String,
    pub status: String,
    pub lines: sqlx::types::Json<Vec<StoredLine>>,
    pub history: sqlx::types::Json<Vec<StoredTransition>>,
    pub version: i64,
    pub fingerprint: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub handover_at: DateTime<Utc>,
    pub handed_over_at: Option<DateTime<Utc>>,
    pub deadline_at: DateTime<Utc>,
    pub payment_token_kind: Option<String>,
    pub payment_token: Option<String>,
    pub payment_status: Option<String>,
    pub payment_amount: Option<i64>,
    pub payment_currency: Option<String>,
    pub payment_intent: Option<String>,
}

pub(super) const COLUMNS: &str = "id, customer_id, location_id, status, lines, history, version, \
     fingerprint, created_at, updated_at, handover_at, handed_over_at, deadline_at, \
     payment_token_kind, payment_token, payment_status, payment_amount, payment_currency, \
     payment_intent";

#[derive(Debug, Serialize, Deserialize)]
pub(super) struct StoredLine {
    sku: String,
    qty: i64,
    /// Once the order is priced; absent from lines stored before orders had prices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    unit_price: Option<Money>,
}

/// The payment columns of an order, as bound and read.
#[derive(Debug, Default)]
pub(super) struct PaymentColumns {
    pub token_kind: Option<String>,
    pub token: Option<String>,
    pub status: Option<&'static str>,
    pub amount: Option<i64>,
    pub currency: Option<String>,
    pub intent: Option<String>,
}

pub(super) fn payment(order: &Order) -> PaymentColumns {
    let Some(payment) = order.payment() else {
        return PaymentColumns::default();
    };
    PaymentColumns {
        token_kind: Some(payment.token_kind().to_owned()),
        token: payment.token().map(str::to_owned),
        status: Some(payment.status().as_str()),
        amount: payment.amount().map(|a| a.amount()),
        currency: payment.amount().map(|a| a.currency().to_owned()),
        intent: payment.intent().map(str::to_owned),
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub(super) struct StoredTransition {
    from: Option<String>,
    to: String,
    reason: String,
    path: String,
    at: DateTime<Utc>,
}

/// The row key of an order. The service's own ids are UUIDs; an id of any other form
/// names no order here.
pub(super) fn key(id: &OrderId) -> Option<Uuid> {
    Uuid::parse_str(id.as_str()).ok()
}

/// The order id of a row key.
pub(super) fn order_id(key: Uuid) -> anyhow::Result<OrderId> {
    Ok(OrderId::parse(&key.to_string())?)
}

pub(super) fn lines(order: &Order) -> Vec<StoredLine> {
    order
        .lines()
        .iter()
        .map(|l| StoredLine {
            sku: l.sku.to_string(),
            qty: l.qty.get(),
            unit_price: l.unit_price.map(Money::from),
        })
        .collect()
}

pub(super) fn history(order: &Order) -> Vec<StoredTransition> {
    order
        .history()
        .iter()
        .map(|t| StoredTransition {
            from: t.from.map(|s| s.to_string()),
            to: t.to().to_string(),
            reason: t.cause.to_string(),
            path: t.path.to_string(),
            at: t.at,
        })
        .collect()
}

impl OrderRow {
    pub fn into_domain(self) -> anyhow::Result<Order> {
        let id = order_id(self.id)?;
        let lines = self
            .lines
            .0
            .into_iter()
            .map(|l| {
                Ok(OrderLine {
                    sku: Sku::parse(&l.sku)?,
                    qty: Quantity::parse(l.qty)?,
                    unit_price: l.unit_price.as_ref().map(Money::validate).transpose()?,
                })
            })
            .collect::<anyhow::Result<_>>()?;
        let history = self
            .history
            .0
            .into_iter()
            .map(StoredTransition::into_domain)
            .collect::<anyhow::Result<_>>()
            .with_context(|| format!("history of order {id}"))?;
        let location = LocationId::parse(&self.location_id)
            .with_context(|| format!("location of order {id}"))?;
        let payment = self
            .payment_status
            .as_deref()
            .map(|status| -> anyhow::Result<Payment> {
                let amount = match (self.payment_amount, self.payment_currency.as_deref()) {
                    (Some(amount), Some(currency)) => Some(Price::parse(amount, currency)?),
                    _ => None,
                };
                Ok(Payment::restore(StoredPayment {
                    token: self.payment_token.clone(),
                    token_kind: self.payment_token_kind.clone().unwrap_or_default(),
                    status: status
                        .parse()
                        .with_context(|| format!("stored payment status {status:?}"))?,
                    amount,
                    intent: self.payment_intent.clone(),
                }))
            })
            .transpose()
            .with_context(|| format!("payment of order {id}"))?;
        Ok(Order::restore(StoredOrder {
            id,
            customer_id: self.customer_id,
            location,
            lines,
            status: status(&self.status)?,
            history,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
            handover_at: self.handover_at,
            handed_over_at: self.handed_over_at,
            deadline_at: self.deadline_at,
            payment,
        })?)
    }
}

impl StoredTransition {
    fn into_domain(self) -> anyhow::Result<Transition> {
        Ok(Transition {
            from: self.from.as_deref().map(status).transpose()?,
            cause: Cause::read(status(&self.to)?, &self.reason)?,
            path: self
                .path
                .parse::<SagaPath>()
                .with_context(|| format!("stored saga path {:?}", self.path))?,
            at: self.at,
        })
    }
}

fn status(text: &str) -> anyhow::Result<OrderStatus> {
    text.parse()
        .with_context(|| format!("stored order status {text:?}"))
}
