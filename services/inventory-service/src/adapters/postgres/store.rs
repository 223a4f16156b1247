//! `PgInventoryStore`: the `InventoryStore` port over PostgreSQL.
//!
//! Two ways to change stock, both atomic:
//! - `reserve_one`, the hot path, is ONE statement (a data-modifying CTE): the
//!   conditional update `available >= qty`, the hold and the movement commit together
//!   in a single round trip. The row lock of the update serializes reservations of one
//!   SKU; the primary key of `reservations` turns a concurrent duplicate into a unique
//!   violation that rolls the whole statement back.
//! - `change` locks the products `FOR UPDATE` in SKU order (so two multi-SKU commands
//!   cannot deadlock), then the order's holds, lets the domain decide in memory, and
//!   writes what changed with set-based statements before committing.

use anyhow::Context;
use chrono::{DateTime, Utc};
use contracts::inventory::MovementsPage;
use sqlx::{PgPool, Postgres, Transaction};

use super::rows::{HoldRow, MovementRow, ProductRow};
use crate::application::{
    CreateOutcome, HoldRequest, InventoryStore, MovementRecord, ReserveOutcome, StockRecord,
    StoreError,
};
use crate::domain::{InventoryError, LockedStock, Movement, OrderId, ProductInventory, Sku};

#[derive(Debug, Clone)]
pub struct PgInventoryStore {
    pool: PgPool,
}

impl PgInventoryStore {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

const RESERVE_ONE: &str = r#"
WITH upd AS (
    UPDATE product_inventory
       SET reserved = reserved + $3, version = version + 1, updated_at = now()
     WHERE sku = $1
       AND on_hand - reserved >= $3
       AND NOT EXISTS (SELECT 1 FROM reservations WHERE order_id = $2 AND sku = $1)
 RETURNING on_hand, reserved, safety_stock
), hold AS (
    INSERT INTO reservations (order_id, sku, requested, held, status, expires_at)
    SELECT $2, $1, $3, $3, 'active', $4 FROM upd
), movement AS (
    INSERT INTO movements (sku, kind, qty, order_id, on_hand_after, reserved_after, crossed_below_safety_stock)
    SELECT $1, 'reserved', $3, $2, on_hand, reserved,
           on_hand - reserved < safety_stock AND on_hand - reserved + $3 >= safety_stock
      FROM upd
)
SELECT EXISTS (SELECT 1 FROM upd) AS reserved,
       (SELECT requested FROM reservations WHERE order_id = $2 AND sku = $1) AS held_for,
       (SELECT on_hand - reserved FROM product_inventory WHERE sku = $1) AS available
"#;

#[derive(Debug, sqlx::FromRow)]
struct ReserveRow {
    reserved: bool,
    held_for: Option<i64>,
    available: Option<i64>,
}

impl InventoryStore for PgInventoryStore {
    async fn create(
        &self,
        product: &ProductInventory,
        created: &Movement,
    ) -> Result<CreateOutcome, StoreError> {
        let updated_at: Option<DateTime<Utc>> = sqlx::query_scalar(
            r#"
            WITH p AS (
                INSERT INTO product_inventory (sku, on_hand, reserved, safety_stock, version)
                VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (sku) DO NOTHING
                RETURNING updated_at
            ), m AS (
                INSERT INTO movements (sku, kind, qty, order_id, on_hand_after, reserved_after, crossed_below_safety_stock)
                SELECT $1, 'created', $6, NULL, $2, $3, $7 FROM p
            )
            SELECT updated_at FROM p
            "#,
        )
        .bind(product.sku().as_str())
        .bind(product.on_hand())
        .bind(product.reserved())
        .bind(product.safety_stock())
        .bind(product.version())
        .bind(created.qty)
        .bind(created.crossed_below_safety_stock)
        .fetch_optional(&self.pool)
        .await
        .context("insert product")?;
        Ok(match updated_at {
            Some(updated_at) => CreateOutcome::Created { updated_at },
            None => CreateOutcome::AlreadyExists,
        })
    }

    async fn find(&self, sku: &Sku) -> Result<Option<StockRecord>, StoreError> {
        let row: Option<ProductRow> = sqlx::query_as(
            "SELECT sku, on_hand, reserved, safety_stock, version, updated_at
               FROM product_inventory WHERE sku = $1",
        )
        .bind(sku.as_str())
        .fetch_optional(&self.pool)
        .await
        .context("select product")?;
        Ok(row.map(ProductRow::into_record).transpose()?)
    }

    async fn reserve_one(&self, hold: &HoldRequest) -> Result<ReserveOutcome, StoreError> {
        let result: Result<ReserveRow, sqlx::Error> = sqlx::query_as(RESERVE_ONE)
            .bind(hold.sku.as_str())
            .bind(hold.order_id.as_str())
            .bind(hold.qty.get())
            .bind(hold.expires_at)
            .fetch_one(&self.pool)
            .await;
        let row = match result {
            Ok(row) => row,
            // A concurrent twin of this request placed the hold first: its answer is ours.
            Err(sqlx::Error::Database(e)) if e.constraint() == Some("reservations_pkey") => {
                let requested: i64 = sqlx::query_scalar(
                    "SELECT requested FROM reservations WHERE order_id = $1 AND sku = $2",
                )
                .bind(hold.order_id.as_str())
                .bind(hold.sku.as_str())
                .fetch_one(&self.pool)
                .await
                .context("read the concurrent hold")?;
                return Ok(ReserveOutcome::AlreadyHeld { requested });
            }
            Err(e) => return Err(anyhow::Error::from(e).context("reserve").into()),
        };
        Ok(match row {
            ReserveRow { reserved: true, .. } => ReserveOutcome::Reserved,
            ReserveRow {
                held_for: Some(requested),
                ..
            } => ReserveOutcome::AlreadyHeld { requested },
            ReserveRow {
                available: Some(available),
                ..
            } => ReserveOutcome::Insufficient { available },
            _ => ReserveOutcome::UnknownSku,
        })
    }

    async fn change<T, F>(
        &self,
        skus: &[Sku],
        order_id: Option<&OrderId>,
        change: F,
    ) -> Result<Result<T, InventoryError>, StoreError>
    where
        T: Send,
        F: FnOnce(&mut LockedStock) -> Result<T, InventoryError> + Send,
    {
        let mut sorted: Vec<&str> = skus.iter().map(Sku::as_str).collect();
        sorted.sort_unstable();
        sorted.dedup();

        let mut tx = self.pool.begin().await.context("begin")?;
        let products: Vec<ProductRow> = sqlx::query_as(
            "SELECT sku, on_hand, reserved, safety_stock, version, updated_at
               FROM product_inventory WHERE sku = ANY($1)
              ORDER BY sku FOR UPDATE",
        )
        .bind(&sorted)
        .fetch_all(&mut *tx)
        .await
        .context("lock products")?;
        let holds: Vec<HoldRow> = match order_id {
            Some(order_id) => sqlx::query_as(
                "SELECT order_id, sku, requested, held, status, expires_at
                   FROM reservations WHERE order_id = $1 AND sku = ANY($2)
                  ORDER BY sku FOR UPDATE",
            )
            .bind(order_id.as_str())
            .bind(&sorted)
            .fetch_all(&mut *tx)
            .await
            .context("lock holds")?,
            None => Vec::new(),
        };

        let products = products
            .into_iter()
            .map(|r| r.into_record().map(|r| r.product))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let holds = holds
            .into_iter()
            .map(HoldRow::into_domain)
            .collect::<anyhow::Result<Vec<_>>>()?;
        let mut stock = LockedStock::new(order_id.cloned(), products, holds);

        let outcome = match change(&mut stock) {
            Ok(outcome) => outcome,
            Err(refused) => {
                tx.rollback().await.context("rollback")?;
                return Ok(Err(refused));
            }
        };
        write_changes(&mut tx, stock).await?;
        tx.commit().await.context("commit")?;
        Ok(Ok(outcome))
    }

    async fn movements(
        &self,
        sku: &Sku,
        page: MovementsPage,
    ) -> Result<Vec<MovementRecord>, StoreError> {
        let rows: Vec<MovementRow> = sqlx::query_as(
            "SELECT id, sku, kind, qty, order_id, on_hand_after, reserved_after,
                    crossed_below_safety_stock, occurred_at
               FROM movements
              WHERE sku = $1 AND ($2::bigint IS NULL OR id < $2)
              ORDER BY id DESC
              LIMIT $3",
        )
        .bind(sku.as_str())
        .bind(page.before)
        .bind(page.limit)
        .fetch_all(&self.pool)
        .await
        .context("select movements")?;
        Ok(rows
            .into_iter()
            .map(MovementRow::into_record)
            .collect::<anyhow::Result<_>>()?)
    }

    async fn due_holds(
        &self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<(OrderId, Sku)>, StoreError> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT order_id, sku FROM reservations
              WHERE status = 'active' AND expires_at <= $1
              ORDER BY expires_at LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .context("select due holds")?;
        Ok(rows
            .into_iter()
            .map(|(o, s)| Ok((OrderId::parse(&o)?, Sku::parse(&s)?)))
            .collect::<anyhow::Result<_>>()?)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .context("ping")?;
        Ok(())
    }
}

/// Writes a change set: products, holds, movements, one statement each.
async fn write_changes(
    tx: &mut Transaction<'_, Postgres>,
    stock: LockedStock,
) -> anyhow::Result<()> {
    let changes = stock.into_changes();
    if !changes.products.is_empty() {
        let p = &changes.products;
        sqlx::query(
            "UPDATE product_inventory AS p
                SET on_hand = c.on_hand, reserved = c.reserved, version = c.version, updated_at = now()
               FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[])
                    AS c(sku, on_hand, reserved, version)
              WHERE p.sku = c.sku",
        )
        .bind(p.iter().map(|x| x.sku().as_str()).collect::<Vec<_>>())
        .bind(p.iter().map(ProductInventory::on_hand).collect::<Vec<_>>())
        .bind(p.iter().map(ProductInventory::reserved).collect::<Vec<_>>())
        .bind(p.iter().map(ProductInventory::version).collect::<Vec<_>>())
        .execute(&mut **tx)
        .await
        .context("update products")?;
    }
    if !changes.holds.is_empty() {
        let h = &changes.holds;
        sqlx::query(
            "INSERT INTO reservations (order_id, sku, requested, held, status, expires_at)
             SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::timestamptz[])
             ON CONFLICT (order_id, sku) DO UPDATE
                SET held = excluded.held, status = excluded.status, updated_at = now()",
        )
        .bind(h.iter().map(|x| x.order_id.as_str()).collect::<Vec<_>>())
        .bind(h.iter().map(|x| x.sku.as_str()).collect::<Vec<_>>())
        .bind(h.iter().map(|x| x.requested.get()).collect::<Vec<_>>())
        .bind(h.iter().map(|x| x.held).collect::<Vec<_>>())
        .bind(h.iter().map(|x| x.status.as_str()).collect::<Vec<_>>())
        .bind(h.iter().map(|x| x.expires_at).collect::<Vec<_>>())
        .execute(&mut **tx)
        .await
        .context("upsert holds")?;
    }
    if !changes.movements.is_empty() {
        let m = &changes.movements;
        sqlx::query(
            "INSERT INTO movements (sku, kind, qty, order_id, on_hand_after, reserved_after, crossed_below_safety_stock)
             SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::bigint[], $6::bigint[], $7::bool[])",
        )
        .bind(m.iter().map(|x| x.sku.as_str()).collect::<Vec<_>>())
        .bind(m.iter().map(|x| x.kind.as_str()).collect::<Vec<_>>())
        .bind(m.iter().map(|x| x.qty).collect::<Vec<_>>())
        .bind(m.iter().map(|x| x.order_id.as_ref().map(OrderId::as_str)).collect::<Vec<_>>())
        .bind(m.iter().map(|x| x.on_hand_after).collect::<Vec<_>>())
        .bind(m.iter().map(|x| x.reserved_after).collect::<Vec<_>>())
        .bind(m.iter().map(|x| x.crossed_below_safety_stock).collect::<Vec<_>>())
        .execute(&mut **tx)
        .await
        .context("insert movements")?;
    }
    Ok(())
}
