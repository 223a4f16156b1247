//! The stored shape of an order: a row whose lines and history are JSON.

use anyhow::{Context, anyhow};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::{Order, OrderLine, Quantity, SagaPath, Sku, Transition};

#[derive(Debug, sqlx::FromRow)]
pub(super) struct OrderRow {
    pub id: Uuid,
    pub customer_id: Option<String>,
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

pub(super) const COLUMNS: &str = "id, customer_id, status, lines, history, version, fingerprint, \
     created_at, updated_at, handover_at, handed_over_at, deadline_at";

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

pub(super) fn lines(order: &Order) -> Vec<StoredLine> {
    order
        .lines
        .iter()
        .map(|l| StoredLine {
            sku: l.sku.to_string(),
            qty: l.qty.get(),
        })
        .collect()
}

pub(super) fn history(order: &Order) -> Vec<StoredTransition> {
    order
        .history
        .iter()
        .map(|t| StoredTransition {
            from: t.from.map(|s| s.as_str().to_owned()),
            to: t.to.as_str().to_owned(),
            reason: t.reason.clone(),
            path: t.path.as_str().to_owned(),
            at: t.at,
        })
        .collect()
}

impl OrderRow {
    pub fn into_domain(self) -> anyhow::Result<Order> {
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
            .map(|t| {
                Ok(Transition {
                    from: t
                        .from
                        .map(|s| s.parse())
                        .transpose()
                        .map_err(|e: String| anyhow!(e))?,
                    to: t.to.parse().map_err(|e: String| anyhow!(e))?,
                    reason: t.reason,
                    path: SagaPath::parse(&t.path).context("stored saga path")?,
                    at: t.at,
                })
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Order {
            id: self.id,
            customer_id: self.customer_id,
            lines,
            status: self.status.parse().map_err(|e: String| anyhow!(e))?,
            history,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
            handover_at: self.handover_at,
            handed_over_at: self.handed_over_at,
            deadline_at: self.deadline_at,
        })
    }
}
