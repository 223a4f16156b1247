//! What is read without a lock: a product, a page of a location's stock, a page of a
//! product's movements, and the probe.

use anyhow::Context;
use contracts::inventory::{MovementsPage, StockListPage};
use sqlx::PgPool;

use super::rows::{MovementRow, ProductRow, product_columns};
use crate::application::{MovementRecord, StockRecord, StoreError};
use crate::domain::{LocationId, Sku};

pub(super) async fn find(
    pool: &PgPool,
    location: &LocationId,
    sku: &Sku,
) -> Result<Option<StockRecord>, StoreError> {
    let row: Option<ProductRow> = sqlx::query_as(concat!(
        "SELECT ",
        product_columns!(),
        " FROM product_inventory WHERE location_id = $1 AND sku = $2"
    ))
    .bind(location.as_str())
    .bind(sku.as_str())
    .fetch_optional(pool)
    .await
    .context("select product")?;
    Ok(row.map(ProductRow::into_record).transpose()?)
}

/// A page of a location's stock, in SKU order, after the page's cursor.
pub(super) async fn list(
    pool: &PgPool,
    location: &LocationId,
    page: &StockListPage,
) -> Result<Vec<StockRecord>, StoreError> {
    let rows: Vec<ProductRow> = sqlx::query_as(concat!(
        "SELECT ",
        product_columns!(),
        " FROM product_inventory
          WHERE location_id = $1 AND ($2::text IS NULL OR sku > $2)
          ORDER BY sku LIMIT $3"
    ))
    .bind(location.as_str())
    .bind(page.after.as_ref().map(Sku::as_str))
    .bind(page.limit)
    .fetch_all(pool)
    .await
    .context("select stock page")?;
    Ok(rows
        .into_iter()
        .map(ProductRow::into_record)
        .collect::<anyhow::Result<_>>()?)
}

/// Movements of a SKU at a location, newest first.
pub(super) async fn movements(
    pool: &PgPool,
    location: &LocationId,
    sku: &Sku,
    page: MovementsPage,
) -> Result<Vec<MovementRecord>, StoreError> {
    let rows: Vec<MovementRow> = sqlx::query_as(
        "SELECT id, location_id, sku, kind, qty, order_id, on_hand_after, reserved_after,
                crossed_below_safety_stock, actor, occurred_at
           FROM movements
          WHERE location_id = $1 AND sku = $2 AND ($3::bigint IS NULL OR id < $3)
          ORDER BY id DESC
          LIMIT $4",
    )
    .bind(location.as_str())
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
