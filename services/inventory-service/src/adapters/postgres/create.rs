//! A new product: its row, its `created` movement and its events, in one transaction;
//! a SKU that exists already is left as it is.

use anyhow::Context;
use chrono::{DateTime, Utc};
use messaging::outbox;

use super::PgStore;
use crate::adapters::events::outbox_messages;
use crate::application::{CreateOutcome, StoreError};
use crate::domain::{InventoryEvent, Movement, ProductInventory};

pub(super) async fn create(
    store: &PgStore,
    product: &ProductInventory,
    created: &Movement,
    events: &[InventoryEvent],
) -> Result<CreateOutcome, StoreError> {
    let mut tx = database::begin(store.db.pool()).await.context("begin")?;
    let updated_at: Option<DateTime<Utc>> = sqlx::query_scalar(
        r#"
        WITH p AS (
            INSERT INTO product_inventory (sku, on_hand, reserved, safety_stock, version)
            VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (sku) DO NOTHING
            RETURNING updated_at
        ), m AS (
            INSERT INTO movements (sku, kind, qty, order_id, on_hand_after, reserved_after, crossed_below_safety_stock, actor)
            SELECT $1, 'created', $6, NULL, $2, $3, $7, $8 FROM p
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
    .bind(created.actor.as_deref())
    .fetch_optional(&mut *tx)
    .await
    .context("insert product")?;
    let Some(updated_at) = updated_at else {
        return Ok(CreateOutcome::AlreadyExists);
    };
    outbox::enqueue(&mut tx, &outbox_messages(events, updated_at))
        .await
        .context("enqueue events")?;
    tx.commit().await.context("commit")?;
    store.db.wrote_events();
    Ok(CreateOutcome::Created { updated_at })
}
