//! The locked change: any command over one order's holds and the products they touch.
//! It locks the order's row (so a cancellation and a reservation of one order
//! serialize), finds the location (named, or where the order holds stock), then the
//! products `FOR UPDATE` in SKU order (so two multi-SKU commands
//! cannot deadlock), then the order's holds; lets the domain decide in memory; and
//! writes what changed, its movements and its events in one transaction. For an event,
//! the event's inbox record commits in the same transaction, so a redelivery changes
//! nothing.

use anyhow::Context;
use sqlx::PgConnection;

use super::PgStore;
use super::change_set::{lock_products, write_changes};
use super::rows::{HoldRow, hold_columns};
use crate::application::{Handled, InboxEntry, Place, Scope, StoreError};
use crate::domain::{InventoryError, LocationId, LockedStock};

/// Loads `scope`, lets `change` decide, commits what it changed; a refusal rolls back.
pub(super) async fn change<T, F>(
    store: &PgStore,
    scope: Scope<'_>,
    change: F,
) -> Result<Result<T, InventoryError>, StoreError>
where
    F: FnOnce(&mut LockedStock) -> Result<T, InventoryError>,
{
    let mut tx = database::begin(store.db.pool()).await.context("begin")?;
    match change_in(&mut tx, scope, change).await? {
        Ok(outcome) => {
            tx.commit().await.context("commit")?;
            store.db.wrote_events();
            Ok(Ok(outcome))
        }
        Err(refusal) => {
            tx.rollback().await.context("rollback")?;
            Ok(Err(refusal))
        }
    }
}

/// `change`, recording `entry` in the inbox first; an event handled before changes
/// nothing. A refusal is an answer too: the inbox row commits, so the event is not
/// handled again.
pub(super) async fn change_for_event<T, F>(
    store: &PgStore,
    entry: InboxEntry<'_>,
    scope: Scope<'_>,
    change: F,
) -> Result<Handled<T>, StoreError>
where
    F: FnOnce(&mut LockedStock) -> Result<T, InventoryError>,
{
    let mut tx = database::begin(store.db.pool()).await.context("begin")?;
    if !entry.record(&mut tx).await.context("inbox")? {
        tx.rollback().await.ok();
        return Ok(Handled::Duplicate);
    }
    let outcome = change_in(&mut tx, scope, change).await?;
    tx.commit().await.context("commit")?;
    store.db.wrote_events();
    Ok(Handled::Done(outcome))
}

/// Loads `scope` under lock in `tx`, lets `change` decide, writes what it changed.
/// Lock order, the same everywhere: the order's row, the products by (location, SKU),
/// the holds.
async fn change_in<T, F>(
    tx: &mut PgConnection,
    scope: Scope<'_>,
    change: F,
) -> anyhow::Result<Result<T, InventoryError>>
where
    F: FnOnce(&mut LockedStock) -> Result<T, InventoryError>,
{
    let order_id = match scope {
        Scope::Skus(_, _, order_id) => order_id,
        Scope::Order(order_id) => Some(order_id),
    };
    let cancelled = match order_id {
        Some(order_id) => sqlx::query_scalar(
            "INSERT INTO order_states (order_id) VALUES ($1)
             ON CONFLICT (order_id) DO UPDATE SET updated_at = now()
             RETURNING cancelled",
        )
        .bind(order_id.as_str())
        .fetch_one(&mut *tx)
        .await
        .context("lock order")?,
        None => false,
    };
    // Where the order holds stock, read under its lock: every hold of an order is at
    // one location, so any of its holds says where.
    let held_at: Option<LocationId> = match order_id {
        Some(order_id) => {
            let raw: Option<String> = sqlx::query_scalar(
                "SELECT location_id FROM reservations WHERE order_id = $1 LIMIT 1",
            )
            .bind(order_id.as_str())
            .fetch_optional(&mut *tx)
            .await
            .context("where the order holds stock")?;
            raw.as_deref().map(LocationId::parse).transpose()?
        }
        None => None,
    };
    let location = match scope {
        Scope::Skus(Place::At(location), _, _) => location.clone(),
        Scope::Skus(Place::OfOrder, _, _) | Scope::Order(_) => {
            held_at.clone().unwrap_or_else(LocationId::central)
        }
    };
    let mut skus: Vec<String> = match scope {
        Scope::Skus(_, skus, _) => skus.iter().map(|s| s.as_str().to_owned()).collect(),
        Scope::Order(order_id) => sqlx::query_scalar(
            "SELECT sku FROM reservations WHERE order_id = $1 AND location_id = $2",
        )
        .bind(order_id.as_str())
        .bind(location.as_str())
        .fetch_all(&mut *tx)
        .await
        .context("skus of the order")?,
    };
    skus.sort_unstable();
    skus.dedup();
    let keys: Vec<(String, String)> = skus
        .iter()
        .map(|sku| (location.as_str().to_owned(), sku.clone()))
        .collect();

    let products = lock_products(tx, &keys).await?;
    let holds: Vec<HoldRow> = match order_id {
        Some(order_id) => sqlx::query_as(concat!(
            "SELECT ",
            hold_columns!(),
            " FROM reservations
              WHERE order_id = $1 AND location_id = $2 AND sku = ANY($3)
              ORDER BY sku FOR UPDATE"
        ))
        .bind(order_id.as_str())
        .bind(location.as_str())
        .bind(&skus)
        .fetch_all(&mut *tx)
        .await
        .context("lock holds")?,
        None => Vec::new(),
    };
    let holds = HoldRow::into_domain_all(holds)?;
    let mut stock = LockedStock::new(location, order_id.cloned(), cancelled, products, holds)
        .held_elsewhere(held_at);

    let outcome = match change(&mut stock) {
        Ok(outcome) => outcome,
        Err(refusal) => return Ok(Err(refusal)),
    };
    write_changes(tx, stock.into_changes()).await?;
    Ok(Ok(outcome))
}
