//! What the locked change and the expiry batch share: locking the products a change
//! touches, and writing what the domain decided (products, holds, movements, the
//! order's cancellation and the events), one set-based statement each, in the caller's
//! transaction.

use anyhow::Context;
use chrono::Utc;
use messaging::outbox;
use sqlx::PgConnection;

use super::rows::ProductRow;
use crate::adapters::events::outbox_messages;
use crate::domain::{OrderId, ProductInventory, Reservation, StockChanges};

/// Locks the products of `skus` (sorted, without duplicates: the lock order of every
/// change) and loads them.
pub(super) async fn lock_products(
    tx: &mut PgConnection,
    skus: &[String],
) -> anyhow::Result<Vec<ProductInventory>> {
    let rows: Vec<ProductRow> = sqlx::query_as(
        "SELECT sku, on_hand, reserved, safety_stock, version, updated_at
           FROM product_inventory WHERE sku = ANY($1)
          ORDER BY sku FOR UPDATE",
    )
    .bind(skus)
    .fetch_all(&mut *tx)
    .await
    .context("lock products")?;
    rows.into_iter()
        .map(|r| r.into_record().map(|r| r.product))
        .collect()
}

/// Writes a change set: products, holds, movements, the order's cancellation and the
/// events, one statement each.
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
    outbox::enqueue(&mut *tx, &outbox_messages(&changes.events, Utc::now()))
        .await
        .context("enqueue events")?;
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
        .execute(&mut *tx)
        .await
        .context("update products")?;
    }
    if !changes.holds.is_empty() {
        let h = &changes.holds;
        sqlx::query(
            "INSERT INTO reservations (order_id, sku, requested, held, status, expires_at, owner, saga)
             SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::timestamptz[], $7::text[], $8::bool[])
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
        .execute(&mut *tx)
        .await
        .context("upsert holds")?;
    }
    if !changes.movements.is_empty() {
        let m = &changes.movements;
        sqlx::query(
            "INSERT INTO movements (sku, kind, qty, order_id, on_hand_after, reserved_after, crossed_below_safety_stock, actor)
             SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::bigint[], $6::bigint[], $7::bool[], $8::text[])",
        )
        .bind(m.iter().map(|x| x.sku.as_str()).collect::<Vec<_>>())
        .bind(m.iter().map(|x| <&str>::from(x.kind)).collect::<Vec<_>>())
        .bind(m.iter().map(|x| x.qty).collect::<Vec<_>>())
        .bind(m.iter().map(|x| x.order_id.as_ref().map(OrderId::as_str)).collect::<Vec<_>>())
        .bind(m.iter().map(|x| x.on_hand_after).collect::<Vec<_>>())
        .bind(m.iter().map(|x| x.reserved_after).collect::<Vec<_>>())
        .bind(m.iter().map(|x| x.crossed_below_safety_stock).collect::<Vec<_>>())
        .bind(m.iter().map(|x| x.actor.as_deref()).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await
        .context("insert movements")?;
    }
    Ok(())
}
