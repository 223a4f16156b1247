//! A transfer: the SKU's rows at both locations locked in (location, SKU) order, the
//! domain moves the units, and both rows, the movements and the events commit together.
//! A SKU the destination does not stock yet is inserted there; a destination location
//! that does not exist is refused before anything is written.

use anyhow::Context;
use chrono::{SubsecRound, Utc};
use messaging::outbox;

use super::PgStore;
use super::change_set::{insert_movements, lock_products, update_products};
use crate::adapters::events::{outbox_messages, stock_changed};
use crate::application::{StockRecord, StoreError};
use crate::domain::{InventoryError, ProductInventory, Transfer, TransferChanges};

/// Moves the units as `decide` says. A transfer that raced another one to stock the
/// destination first is tried again, once the other has committed the new row.
pub(super) async fn transfer<F>(
    store: &PgStore,
    transfer: &Transfer,
    decide: F,
) -> Result<Result<(StockRecord, StockRecord), InventoryError>, StoreError>
where
    F: Fn(
            Option<ProductInventory>,
            Option<ProductInventory>,
        ) -> Result<TransferChanges, InventoryError>
        + Sync,
{
    let mut attempts = 0;
    loop {
        attempts += 1;
        match attempt(store, transfer, &decide).await? {
            Attempt::Done(outcome) => return Ok(*outcome),
            Attempt::Raced if attempts < 3 => continue,
            Attempt::Raced => {
                return Err(anyhow::anyhow!("the destination row was raced three times").into());
            }
        }
    }
}

enum Attempt {
    /// Both rows after the move, or the refusal (boxed: two rows are large).
    Done(Box<Result<(StockRecord, StockRecord), InventoryError>>),
    /// Another transaction stocked the destination first: nothing was written.
    Raced,
}

async fn attempt<F>(store: &PgStore, transfer: &Transfer, decide: &F) -> Result<Attempt, StoreError>
where
    F: Fn(
            Option<ProductInventory>,
            Option<ProductInventory>,
        ) -> Result<TransferChanges, InventoryError>
        + Sync,
{
    let mut tx = database::begin(store.db.pool()).await.context("begin")?;
    let locations: i64 =
        sqlx::query_scalar("SELECT count(*) FROM locations WHERE location_id = ANY($1)")
            .bind([transfer.from.as_str(), transfer.to.as_str()])
            .fetch_one(&mut *tx)
            .await
            .context("check locations")?;
    if locations < 2 {
        tx.rollback().await.ok();
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM locations WHERE location_id = $1)")
                .bind(transfer.from.as_str())
                .fetch_one(store.db.pool())
                .await
                .context("check the source")?;
        let missing = if exists { &transfer.to } else { &transfer.from };
        return Ok(Attempt::Done(Box::new(Err(
            InventoryError::UnknownLocation(missing.clone()),
        ))));
    }
    let mut keys = vec![
        (transfer.from.to_string(), transfer.sku.to_string()),
        (transfer.to.to_string(), transfer.sku.to_string()),
    ];
    keys.sort_unstable();
    let mut rows = lock_products(&mut tx, &keys).await?;
    let from = take(&mut rows, transfer, true);
    let to = take(&mut rows, transfer, false);
    let changes = match decide(from, to) {
        Ok(changes) => changes,
        Err(refusal) => {
            tx.rollback().await.context("rollback")?;
            return Ok(Attempt::Done(Box::new(Err(refusal))));
        }
    };
    let now = Utc::now().trunc_subsecs(6);
    if changes.to_is_new {
        // Inserted empty, then updated with the rest.
        let inserted = sqlx::query(
            "INSERT INTO product_inventory (location_id, sku, on_hand, reserved, safety_stock, version, updated_at)
             VALUES ($1, $2, 0, 0, 0, 0, $3)
             ON CONFLICT (location_id, sku) DO NOTHING",
        )
        .bind(changes.to.location().as_str())
        .bind(changes.to.sku().as_str())
        .bind(now)
        .execute(&mut *tx)
        .await
        .context("stock the destination")?;
        if inserted.rows_affected() == 0 {
            tx.rollback().await.context("rollback")?;
            return Ok(Attempt::Raced);
        }
    }
    let products = [changes.from.clone(), changes.to.clone()];
    update_products(&mut tx, &products, now).await?;
    insert_movements(&mut tx, &changes.movements).await?;
    let mut messages = outbox_messages(&changes.events, now);
    messages.extend(stock_changed(&products, now));
    outbox::enqueue(&mut tx, &messages)
        .await
        .context("enqueue events")?;
    tx.commit().await.context("commit")?;
    store.db.wrote_events();
    let [from, to] = products;
    Ok(Attempt::Done(Box::new(Ok((
        StockRecord {
            product: from,
            updated_at: now,
        },
        StockRecord {
            product: to,
            updated_at: now,
        },
    )))))
}

/// The locked row of the transfer's SKU at its source (`source`) or destination.
fn take(
    rows: &mut Vec<ProductInventory>,
    transfer: &Transfer,
    source: bool,
) -> Option<ProductInventory> {
    let location = if source { &transfer.from } else { &transfer.to };
    let at = rows.iter().position(|p| p.location() == location)?;
    Some(rows.swap_remove(at))
}
