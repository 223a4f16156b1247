//! A new product at a location: its row, its `created` movement and its events, in one
//! transaction; a SKU the location stocks already is left as it is, and a location that
//! does not exist is refused.

use anyhow::Context;
use chrono::{DateTime, Utc};
use messaging::outbox;

use super::PgStore;
use crate::adapters::events::{outbox_messages, stock_changed};
use crate::application::{CreateOutcome, StoreError};
use crate::domain::{InventoryEvent, Movement, ProductInventory};

pub(super) async fn create(
    store: &PgStore,
    product: &ProductInventory,
    created: &Movement,
    events: &[InventoryEvent],
) -> Result<CreateOutcome, StoreError> {
    let mut tx = database::begin(store.db.pool()).await.context("begin")?;
    let inserted = sqlx::query_scalar(
        r#"
        WITH p AS (
            INSERT INTO product_inventory (location_id, sku, on_hand, reserved, safety_stock, version,
                                           unit_price_amount, unit_price_currency)
            VALUES ($9, $1, $2, $3, $4, $5, $10, $11)
            ON CONFLICT (location_id, sku) DO NOTHING
            RETURNING updated_at
        ), m AS (
            INSERT INTO movements (location_id, sku, kind, qty, order_id, on_hand_after, reserved_after, crossed_below_safety_stock, actor)
            SELECT $9, $1, 'created', $6, NULL, $2, $3, $7, $8 FROM p
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
    .bind(product.location().as_str())
    .bind(product.unit_price().map(|p| p.amount()))
    .bind(product.unit_price().as_ref().map(|p| p.currency().to_owned()))
    .fetch_optional(&mut *tx)
    .await;
    let updated_at: Option<DateTime<Utc>> = match inserted {
        Ok(updated_at) => updated_at,
        Err(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => {
            return Ok(CreateOutcome::UnknownLocation);
        }
        Err(e) => return Err(anyhow::Error::from(e).context("insert product").into()),
    };
    let Some(updated_at) = updated_at else {
        return Ok(CreateOutcome::AlreadyExists);
    };
    let mut messages = outbox_messages(events, updated_at);
    messages.extend(stock_changed([product], updated_at));
    outbox::enqueue(&mut tx, &messages)
        .await
        .context("enqueue events")?;
    tx.commit().await.context("commit")?;
    store.db.wrote_events();
    Ok(CreateOutcome::Created { updated_at })
}
