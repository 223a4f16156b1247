//! `PgOrderStore`. A change locks the order's row (`FOR UPDATE`), lets the domain
//! decide, and saves the row, the inbox record (for an event) and the announced events
//! (outbox) in one transaction.

use anyhow::Context;
use chrono::{DateTime, Utc};
use messaging::{Database, InboxEntry, StoreError, outbox};
use sqlx::PgPool;
use uuid::Uuid;

use super::rows::{self, COLUMNS, OrderRow};
use crate::adapters::{events::outbox_messages, saga_metrics};
use crate::application::{Changed, Inserted, OrderStore};
use crate::domain::{Order, OrderError, OrderEvent, OrderId};

#[derive(Debug, Clone)]
pub struct PgOrderStore {
    /// The pool, and the relay woken after every commit that wrote events.
    db: Database,
}

impl PgOrderStore {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    pub fn pool(&self) -> &PgPool {
        self.db.pool()
    }
}

impl OrderStore for PgOrderStore {
    async fn insert(
        &self,
        order: &Order,
        key: Option<&str>,
        fingerprint: &str,
    ) -> Result<Inserted, StoreError> {
        // ON CONFLICT DO NOTHING waits for a concurrent insert of the same key to commit
        // or roll back, so two racing requests store one order.
        let payment = rows::payment(order);
        let inserted = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO orders ({COLUMNS}, idempotency_key)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,
                     $14, $15, $16, $17, $18, $19, $20)
             ON CONFLICT (idempotency_key) DO NOTHING"
        )))
        .bind(rows::key(order.id()).context("a new order's id is a UUID")?)
        .bind(order.customer_id())
        .bind(order.location().as_str())
        .bind(order.status().as_str())
        .bind(sqlx::types::Json(rows::lines(order)))
        .bind(sqlx::types::Json(rows::history(order)))
        .bind(order.version())
        .bind(fingerprint)
        .bind(order.created_at())
        .bind(order.updated_at())
        .bind(order.handover_at())
        .bind(order.handed_over_at())
        .bind(order.deadline_at())
        .bind(payment.token_kind)
        .bind(payment.token)
        .bind(payment.status)
        .bind(payment.amount)
        .bind(payment.currency)
        .bind(payment.intent)
        .bind(key)
        .execute(self.db.pool())
        .await
        .context("insert order")?
        .rows_affected();
        if inserted == 1 {
            return Ok(Inserted::New);
        }
        let row: OrderRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM orders WHERE idempotency_key = $1"
        )))
        .bind(key)
        .fetch_one(self.db.pool())
        .await
        .context("read the order of the idempotency key")?;
        let fingerprint = row.fingerprint.clone();
        Ok(Inserted::Existing {
            order: Box::new(row.into_domain()?),
            fingerprint,
        })
    }

    async fn find(&self, id: &OrderId) -> Result<Option<Order>, StoreError> {
        let Some(id) = rows::key(id) else {
            return Ok(None);
        };
        let row: Option<OrderRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM orders WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.db.pool())
        .await
        .context("select order")?;
        Ok(row.map(OrderRow::into_domain).transpose()?)
    }

    async fn change<F>(
        &self,
        id: &OrderId,
        entry: Option<InboxEntry<'_>>,
        decide: F,
    ) -> Result<Changed, StoreError>
    where
        F: FnOnce(&mut Order) -> Result<Vec<OrderEvent>, OrderError> + Send,
    {
        let Some(id) = rows::key(id) else {
            return Ok(Changed::NotFound);
        };
        let mut tx = database::begin(self.db.pool()).await.context("begin")?;
        let row: Option<OrderRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM orders WHERE id = $1 FOR UPDATE"
        )))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .context("lock order")?;
        let Some(row) = row else {
            // Not one of ours (e.g. a reservation made straight on the inventory): there
            // is nothing to change, so nothing to remember in the inbox either.
            tx.rollback().await.ok();
            return Ok(Changed::NotFound);
        };
        // Under the order's lock, so a redelivery racing the first delivery waits and
        // then finds the inbox row.
        if let Some(entry) = entry
            && !entry.record(&mut tx).await.context("inbox")?
        {
            tx.rollback().await.ok();
            return Ok(Changed::Duplicate);
        }
        let mut order = row.into_domain()?;
        let before = order.version();
        let status_before = order.status();
        let events = match decide(&mut order) {
            Ok(events) => events,
            Err(refused) => {
                tx.commit().await.context("commit")?;
                return Ok(Changed::Done(Err(refused)));
            }
        };
        let changed = order.version() != before;
        if changed {
            let payment = rows::payment(&order);
            sqlx::query(
                "UPDATE orders SET status = $2, history = $3, version = $4, updated_at = $5,
                        handed_over_at = $6, lines = $7, payment_token = $8,
                        payment_status = $9, payment_amount = $10, payment_currency = $11,
                        payment_intent = $12
                  WHERE id = $1",
            )
            .bind(id)
            .bind(order.status().as_str())
            .bind(sqlx::types::Json(rows::history(&order)))
            .bind(order.version())
            .bind(order.updated_at())
            .bind(order.handed_over_at())
            .bind(sqlx::types::Json(rows::lines(&order)))
            .bind(payment.token)
            .bind(payment.status)
            .bind(payment.amount)
            .bind(payment.currency)
            .bind(payment.intent)
            .execute(&mut *tx)
            .await
            .context("update order")?;
            outbox::enqueue(&mut tx, &outbox_messages(&order, &events, Utc::now()))
                .await
                .context("enqueue events")?;
        }
        tx.commit().await.context("commit")?;
        if changed {
            self.db.wrote_events();
        }
        // Decided by this change (a payment given back later changes no status).
        if changed && order.status() != status_before && order.status().is_terminal() {
            saga_metrics::decided(&order);
        }
        Ok(Changed::Done(Ok(order)))
    }

    async fn due_handovers(
        &self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<OrderId>, StoreError> {
        let keys: Vec<Uuid> = sqlx::query_scalar(
            "SELECT id FROM orders
              WHERE status IN ('PENDING', 'AUTHORIZED') AND handed_over_at IS NULL
                AND handover_at <= $1
              ORDER BY handover_at LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(self.db.pool())
        .await
        .context("due handovers")?;
        Ok(order_ids(keys)?)
    }

    async fn due_timeouts(
        &self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<OrderId>, StoreError> {
        let keys: Vec<Uuid> = sqlx::query_scalar(
            "SELECT id FROM orders WHERE status IN ('PENDING', 'RESERVED', 'AUTHORIZED')
                AND deadline_at <= $1
              ORDER BY deadline_at LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(self.db.pool())
        .await
        .context("due timeouts")?;
        Ok(order_ids(keys)?)
    }

    async fn unreleased_payments(
        &self,
        before: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<OrderId>, StoreError> {
        let keys: Vec<Uuid> = sqlx::query_scalar(
            "SELECT id FROM orders
              WHERE status = 'CANCELLED' AND payment_status IN ('authorized', 'captured')
                AND updated_at <= $1
              ORDER BY updated_at LIMIT $2",
        )
        .bind(before)
        .bind(limit)
        .fetch_all(self.db.pool())
        .await
        .context("unreleased payments")?;
        Ok(order_ids(keys)?)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(self.db.pool())
            .await
            .context("ping")?;
        Ok(())
    }
}

fn order_ids(keys: Vec<Uuid>) -> anyhow::Result<Vec<OrderId>> {
    keys.into_iter().map(rows::order_id).collect()
}
