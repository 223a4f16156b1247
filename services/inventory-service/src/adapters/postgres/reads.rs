//! What is read without a lock: a product, a page of its movements, and the probe.

use anyhow::Context;
use contracts::inventory::MovementsPage;
use sqlx::PgPool;

use super::rows::{MovementRow, ProductRow};
use crate::application::{MovementRecord, StockRecord, StoreError};
use crate::domain::Sku;

pub(super) async fn find(pool: &PgPool, sku: &Sku) -> Result<Option<StockRecord>, StoreError> {
    let row: Option<ProductRow> = sqlx::query_as(
        "SELECT sku, on_hand, reserved, safety_stock, version, updated_at
           FROM product_inventory WHERE sku = $1",
    )
    .bind(sku.as_str())
    .fetch_optional(pool)
    .await
    .context("select product")?;
    Ok(row.map(ProductRow::into_record).transpose()?)
}

/// Movements of a SKU, newest first.
pub(super) async fn movements(
    pool: &PgPool,
    sku: &Sku,
    page: MovementsPage,
) -> Result<Vec<MovementRecord>, StoreError> {
    let rows: Vec<MovementRow> = sqlx::query_as(
        "SELECT id, sku, kind, qty, order_id, on_hand_after, reserved_after,
                crossed_below_safety_stock, actor, occurred_at
           FROM movements
          WHERE sku = $1 AND ($2::bigint IS NULL OR id < $2)
          ORDER BY id DESC
          LIMIT $3",
    )
    .bind(sku.as_str())
    .bind(page.before)
    .bind(page.limit)
    .fetch_all(pool)
    .await
    .context("select movements")?;
    Ok(rows
        .into_iter()
        .map(MovementRow::into_record)
        .collect::<anyhow::Result<_>>()?)
}

pub(super) async fn ping(pool: &PgPool) -> Result<(), StoreError> {
    sqlx::query("SELECT 1")
        .execute(pool)
        .await
        .context("ping")?;
    Ok(())
}
