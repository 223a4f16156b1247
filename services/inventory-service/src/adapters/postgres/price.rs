//! A unit price set: the SKU's row at one location locked, the domain sets the price, and
//! the row and its events commit together. A price is not stock: no movement is written,
//! but the row's version moves on and the stock-changed event carries its new state, so
//! every read model follows. A price the row has already writes nothing.

use anyhow::Context;
use chrono::{SubsecRound, Utc};
use messaging::outbox;

use super::PgStore;
use super::change_set::update_products;
use super::rows::{ProductRow, product_columns};
use crate::adapters::events::{outbox_messages, stock_changed};
use crate::application::{StockRecord, StoreError};
use crate::domain::{InventoryEvent, LocationId, ProductInventory, Sku};

pub(super) async fn set_price<F>(
    store: &PgStore,
    location: &LocationId,
    sku: &Sku,
    change: F,
) -> Result<Option<StockRecord>, StoreError>
where
    F: FnOnce(&mut ProductInventory) -> Vec<InventoryEvent>,
{
    let mut tx = database::begin(store.db.pool()).await.context("begin")?;
    let row: Option<ProductRow> = sqlx::query_as(concat!(
        "SELECT ",
        product_columns!(),
        " FROM product_inventory WHERE location_id = $1 AND sku = $2 FOR UPDATE"
    ))
    .bind(location.as_str())
    .bind(sku.as_str())
    .fetch_optional(&mut *tx)
    .await
    .context("lock product")?;
    let Some(row) = row else {
        tx.rollback().await.context("rollback")?;
        return Ok(None);
    };
    let mut record = row.into_record()?;
    let before = record.product.version();
    let events = change(&mut record.product);
    if record.product.version() == before {
        // Nothing changed: the row stays as it is, and so does its version.
        tx.rollback().await.context("rollback")?;
        return Ok(Some(record));
    }
    let now = Utc::now().trunc_subsecs(6);
    let products = [record.product];
    update_products(&mut tx, &products, now).await?;
    let mut messages = outbox_messages(&events, now);
    messages.extend(stock_changed(&products, now));
    outbox::enqueue(&mut tx, &messages)
        .await
        .context("enqueue events")?;
    tx.commit().await.context("commit")?;
    store.db.wrote_events();
    let [product] = products;
    Ok(Some(StockRecord {
        product,
        updated_at: now,
    }))
}
