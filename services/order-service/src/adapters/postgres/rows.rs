//! The stored shape of an order: a row keyed by a UUID, whose lines and history are
//! JSON. The history keeps each transition's cause in its words, as it always has.

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::{
    Cause, LocationId, Order, OrderId, OrderLine, OrderStatus, Quantity, SagaPath, Sku,
    StoredOrder, Transition,
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
}

pub(super) const COLUMNS: &str = "id, customer_id, location_id, status, lines, history, version, \
     fingerprint, created_at, updated_at, handover_at, handed_over_at, deadline_at";

#[derive(Debug, Serialize, Deserialize)]
pub(super) struct StoredLine {
    sku: String,
    qty: i64,
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
