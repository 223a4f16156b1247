//! The expiry batch: `change` for many orders at once. The products of a batch of due
//! holds are locked in (location, SKU) order, the holds read again under those locks, and all of
//! them expired and written in one transaction, however many holds.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use super::PgStore;
use super::change_set::{lock_products, write_changes};
use super::rows::HoldRow;
use crate::application::{StoreError, Sweep};
use crate::domain::{InventoryError, ProductInventory, Reservation, StockChanges};

/// Finds the holds due at `now` (at most `limit`), expires them as `expire` decides and
/// commits; a refusal rolls back.
pub(super) async fn change_due<F>(
    store: &PgStore,
    now: DateTime<Utc>,
    limit: i64,
    expire: F,
) -> Result<Result<Sweep, InventoryError>, StoreError>
where
    F: FnOnce(Vec<ProductInventory>, Vec<Reservation>) -> Result<StockChanges, InventoryError>,
{
    let due = due_holds(store.db.pool(), now, limit).await?;
    if due.is_empty() {
        // The usual answer of an idle round: no transaction for it.
        return Ok(Ok(Sweep::default()));
    }
    let mut tx = database::begin(store.db.pool()).await.context("begin")?;
    let expired = match expire_in(&mut tx, &due, expire).await? {
        Ok(expired) => expired,
        Err(refusal) => {
            tx.rollback().await.context("rollback")?;
            return Ok(Err(refusal));
        }
    };
    tx.commit().await.context("commit")?;
    if expired > 0 {
        store.db.wrote_events();
    }
    Ok(Ok(Sweep {
        due: due.len(),
        expired,
    }))
}

/// A due hold: its order, location and SKU.
type DueHold = (String, String, String);

/// The active holds due at `now`, oldest first, at most `limit`. Read without a lock:
/// `expire_in` reads them again under their products' locks.
async fn due_holds(pool: &PgPool, now: DateTime<Utc>, limit: i64) -> anyhow::Result<Vec<DueHold>> {
    sqlx::query_as(
        "SELECT order_id, location_id, sku FROM reservations
          WHERE status = 'active' AND expires_at <= $1
          ORDER BY expires_at LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(pool)
    .await
    .context("select due holds")
}

/// Expires the `due` holds in `tx`: locks their products, reads the holds again under
/// those locks (as they are now, whatever happened to them since they were found due),
/// lets `expire` decide, writes what it changed. Answers how many holds expired.
///
/// No order row is locked: expiry depends on no order, and every other change of a hold
/// holds its product's lock, which this one takes first. The hold rows are locked after
/// the products, as the locked change does, so no cycle of waits can form with it.
async fn expire_in<F>(
    tx: &mut PgConnection,
    due: &[DueHold],
    expire: F,
) -> anyhow::Result<Result<usize, InventoryError>>
where
    F: FnOnce(Vec<ProductInventory>, Vec<Reservation>) -> Result<StockChanges, InventoryError>,
{
    let mut keys: Vec<(String, String)> = due
        .iter()
        .map(|(_, location, sku)| (location.clone(), sku.clone()))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    let products = lock_products(tx, &keys).await?;
    let holds: Vec<HoldRow> = sqlx::query_as(
        "SELECT r.location_id, r.order_id, r.sku, r.requested, r.held, r.status, r.expires_at,
                r.owner, r.saga
           FROM reservations AS r
           JOIN unnest($1::text[], $2::text[]) AS d(order_id, sku)
             ON r.order_id = d.order_id AND r.sku = d.sku
          ORDER BY r.expires_at, r.order_id, r.sku
            FOR UPDATE OF r",
    )
    .bind(
        due.iter()
            .map(|(order_id, _, _)| order_id.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        due.iter()
            .map(|(_, _, sku)| sku.as_str())
            .collect::<Vec<_>>(),
    )
    .fetch_all(&mut *tx)
    .await
    .context("lock due holds")?;
    let changes = match expire(products, HoldRow::into_domain_all(holds)?) {
        Ok(changes) => changes,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let expired = changes.holds.len();
    write_changes(tx, changes).await?;
    Ok(Ok(expired))
}
