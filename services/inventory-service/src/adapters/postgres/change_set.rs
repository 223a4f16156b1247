//! What the locked change and the expiry batch share: locking the products a change
//! touches, and writing what the domain decided (products, holds, movements, the
//! order's cancellation and the events), one set-based statement each, in the caller's
//! transaction.

use anyhow::Context;
use chrono::{DateTime, SubsecRound, Utc};
use messaging::outbox;
use sqlx::PgConnection;

use super::rows::ProductRow;
use crate::adapters::events::{outbox_messages, stock_changed};
use crate::domain::{Movement, OrderId, ProductInventory, Reservation, StockChanges};

/// Locks the stock rows `keys` name, as (location, SKU) pairs, in (location, SKU)
/// order (the lock order of every change, so two changes cannot wait on each other in
/// a cycle) and loads them. A key with no row is left out.
pub(super) async fn lock_products(
    tx: &mut PgConnection,
    keys: &[(String, String)],
) -> anyhow::Result<Vec<ProductInventory>> {
    let rows: Vec<ProductRow> = sqlx::query_as(
        "SELECT p.location_id, p.sku, p.on_hand, p.reserved, p.safety_stock,
                p.unit_price_amount, p.unit_price_currency, p.version, p.updated_at
           FROM product_inventory AS p
           JOIN unnest($1::text[], $2::text[]) AS k(location_id, sku)
             ON p.location_id = k.location_id AND p.sku = k.sku
          ORDER BY p.location_id, p.sku
            FOR UPDATE OF p",
    )
    .bind(keys.iter().map(|(l, _)| l.as_str()).collect::<Vec<_>>())
    .bind(keys.iter().map(|(_, s)| s.as_str()).collect::<Vec<_>>())
    .fetch_all(&mut *tx)
    .await
    .context("lock products")?;
    rows.into_iter()
        .map(|r| r.into_record().map(|r| r.product))
        .collect()
}

/// Writes a change set: products, holds, movements, the order's cancellation and the
/// events (with the stock-changed event carrying every changed row's new state), one
/// statement each.
pub(super) async fn write_changes(
    tx: &mut PgConnection,
    changes: StockChanges,
) -> anyhow::Result<()> {
    if let Some(order_id) = &changes.cancelled_order {
        sqlx::query(
            "UPDATE order_states SET cancelled = true, cancelled_at = now(), updated_at = now()
              WHERE order_id = $1",
        )
        .bind(order_id.as_str())
        .execute(&mut *tx)
        .await
        .context("remember cancellation")?;
    }
    // One time for the rows and the events, to the microsecond it is stored at, so the
    // stock-changed event says exactly what a read of the rows answers.
    let now = Utc::now().trunc_subsecs(6);
    let mut messages = outbox_messages(&changes.events, now);
    messages.extend(stock_changed(&changes.products, now));
    outbox::enqueue(&mut *tx, &messages)
        .await
        .context("enqueue events")?;
    update_products(tx, &changes.products, now).await?;
    if !changes.holds.is_empty() {
        let h = &changes.holds;
        sqlx::query(
            "INSERT INTO reservations (order_id, sku, requested, held, status, expires_at, owner, saga, location_id)
             SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::timestamptz[], $7::text[], $8::bool[], $9::text[])
             ON CONFLICT (order_id, sku) DO UPDATE
                SET held = excluded.held, status = excluded.status, updated_at = now()",
        )
        .bind(h.iter().map(|x| x.order_id().as_str()).collect::<Vec<_>>())
        .bind(h.iter().map(|x| x.sku().as_str()).collect::<Vec<_>>())
        .bind(h.iter().map(|x| x.requested().get()).collect::<Vec<_>>())
        .bind(h.iter().map(Reservation::held).collect::<Vec<_>>())
        .bind(h.iter().map(|x| <&str>::from(x.status())).collect::<Vec<_>>())
        .bind(h.iter().map(Reservation::expires_at).collect::<Vec<_>>())
        .bind(h.iter().map(|x| x.owner().name()).collect::<Vec<_>>())
        .bind(h.iter().map(|x| x.owner().is_saga()).collect::<Vec<_>>())
        .bind(h.iter().map(|x| x.location().as_str()).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await
        .context("upsert holds")?;
    }
    insert_movements(tx, &changes.movements).await?;
    Ok(())
}

/// Writes the new state of `products` (their levels, price and version), changed at
/// `now`. Each was loaded under its row's lock, so what it does not change is written
/// back as it was.
pub(super) async fn update_products(
    tx: &mut PgConnection,
    products: &[ProductInventory],
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    if !products.is_empty() {
        let p = products;
        let prices: Vec<_> = p.iter().map(ProductInventory::unit_price).collect();
        sqlx::query(
            "UPDATE product_inventory AS p
                SET on_hand = c.on_hand, reserved = c.reserved, version = c.version,
                    unit_price_amount = c.amount, unit_price_currency = c.currency,
                    updated_at = $8
               FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[],
                           $6::bigint[], $7::text[])
                    AS c(location_id, sku, on_hand, reserved, version, amount, currency)
              WHERE p.location_id = c.location_id AND p.sku = c.sku",
        )
        .bind(p.iter().map(|x| x.location().as_str()).collect::<Vec<_>>())
        .bind(p.iter().map(|x| x.sku().as_str()).collect::<Vec<_>>())
        .bind(p.iter().map(ProductInventory::on_hand).collect::<Vec<_>>())
        .bind(p.iter().map(ProductInventory::reserved).collect::<Vec<_>>())
        .bind(p.iter().map(ProductInventory::version).collect::<Vec<_>>())
        .bind(
            prices
                .iter()
                .map(|x| x.map(|x| x.amount()))
                .collect::<Vec<_>>(),
        )
        .bind(
            prices
                .iter()
                .map(|x| x.as_ref().map(|x| x.currency()))
                .collect::<Vec<_>>(),
        )
        .bind(now)
        .execute(&mut *tx)
        .await
        .context("update products")?;
    }
    Ok(())
}

/// Appends `movements` to the trail.
pub(super) async fn insert_movements(
    tx: &mut PgConnection,
    movements: &[Movement],
) -> anyhow::Result<()> {
    if !movements.is_empty() {
        let m = movements;
        sqlx::query(
            "INSERT INTO movements (sku, kind, qty, order_id, on_hand_after, reserved_after, crossed_below_safety_stock, actor, location_id)
             SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::bigint[], $6::bigint[], $7::bool[], $8::text[], $9::text[])",
        )
        .bind(m.iter().map(|x| x.sku.as_str()).collect::<Vec<_>>())
        .bind(m.iter().map(|x| <&str>::from(x.kind)).collect::<Vec<_>>())
        .bind(m.iter().map(|x| x.qty).collect::<Vec<_>>())
        .bind(m.iter().map(|x| x.order_id.as_ref().map(OrderId::as_str)).collect::<Vec<_>>())
        .bind(m.iter().map(|x| x.on_hand_after).collect::<Vec<_>>())
        .bind(m.iter().map(|x| x.reserved_after).collect::<Vec<_>>())
        .bind(m.iter().map(|x| x.crossed_below_safety_stock).collect::<Vec<_>>())
        .bind(m.iter().map(|x| x.actor.as_deref()).collect::<Vec<_>>())
        .bind(m.iter().map(|x| x.location.as_str()).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await
        .context("insert movements")?;
    }
    Ok(())
}
