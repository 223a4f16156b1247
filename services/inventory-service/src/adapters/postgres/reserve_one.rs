//! The hot path: one SKU reserved for one order in ONE statement (a data-modifying
//! CTE, ADR 0003): the conditional update `available >= qty`, the hold, the movement and
//! the events commit together in a single round trip. The row lock of the update
//! serializes reservations of one SKU; the primary key of `reservations` turns a
//! concurrent duplicate into a unique violation that rolls the whole statement back.
//! It decides exactly as `ProductInventory::reserve` would.

use anyhow::Context;
use chrono::Utc;
use contracts::events::{
    Envelope, EventType, ProductInventoryBelowSafetyStock, ProductInventoryDepleted,
    ProductInventoryReserved, ProductInventoryStockChanged, hold_routing_key,
};
use contracts::inventory::StockView;
use messaging::OutboxMessage;
use sqlx::PgPool;

use super::PgStore;
use super::rows::owner;
use crate::adapters::events::SOURCE;
use crate::application::{HoldRequest, ReserveOutcome, StoreError};
use crate::domain::{Actor, LocationId};

pub(super) async fn reserve_one(
    store: &PgStore,
    hold: &HoldRequest,
) -> Result<ReserveOutcome, StoreError> {
    let outcome = place_hold(store.db.pool(), hold).await?;
    if outcome == ReserveOutcome::Reserved {
        // The statement wrote the reservation's events with it.
        store.db.wrote_events();
    }
    Ok(outcome)
}

/// The hot path in one statement (ADR 0003). `ord` locks the order's row first and
/// yields nothing for a cancelled order; the outbox rows are inserted from `upd`, so
/// they exist exactly when the reservation does. The threshold events' numbers are
/// patched in from the updated row.
const RESERVE_ONE: &str = include_str!("reserve_one.sql");

#[derive(Debug, sqlx::FromRow)]
struct ReserveRow {
    reserved: bool,
    order_open: bool,
    held_for: Option<i64>,
    held_by: Option<String>,
    held_for_saga: Option<bool>,
    held_elsewhere: Option<String>,
    available: Option<i64>,
}

/// `reserve_one`'s statement, and its answer.
async fn place_hold(pool: &PgPool, hold: &HoldRequest) -> Result<ReserveOutcome, StoreError> {
    let [reserved, below, depleted, stock] = reservation_events(hold);
    let mut query = sqlx::query_as(RESERVE_ONE)
        .bind(hold.sku.as_str())
        .bind(hold.order_id.as_str())
        .bind(hold.qty.get())
        .bind(hold.expires_at);
    for message in [reserved, below, depleted] {
        query = query
            .bind(message.id)
            .bind(message.exchange)
            .bind(message.routing_key)
            .bind(message.event_type)
            .bind(message.payload);
    }
    let result: Result<ReserveRow, sqlx::Error> = query
        .bind(telemetry::current_traceparent())
        .bind(hold.owner.name())
        .bind(hold.location.as_str())
        .bind(stock.id)
        .bind(stock.exchange)
        .bind(stock.routing_key)
        .bind(stock.event_type)
        .bind(stock.payload)
        .fetch_one(pool)
        .await;
    let row = match result {
        Ok(row) => row,
        // A concurrent twin of this request placed the hold first: its answer is ours.
        Err(sqlx::Error::Database(e)) if e.constraint() == Some("reservations_pkey") => {
            let (requested, held_by, saga): (i64, String, bool) = sqlx::query_as(
                "SELECT requested, owner, saga FROM reservations WHERE order_id = $1 AND sku = $2",
            )
            .bind(hold.order_id.as_str())
            .bind(hold.sku.as_str())
            .fetch_one(pool)
            .await
            .context("read the concurrent hold")?;
            return Ok(ReserveOutcome::AlreadyHeld {
                requested,
                owner: owner(&held_by, saga)?,
            });
        }
        Err(e) => return Err(anyhow::Error::from(e).context("reserve").into()),
    };
    let mut row = row;
    if !row.reserved && row.held_for.is_none() {
        // The statement's snapshot predates any wait on the order's lock: a twin of
        // this request may have committed the hold meanwhile, which the re-checked
        // update saw (no stock left) but the final SELECT could not. Look again.
        let (held_for, held_by, held_for_saga, held_elsewhere, available) = sqlx::query_as(
            "SELECT (SELECT requested FROM reservations WHERE order_id = $1 AND sku = $2),
                    (SELECT owner FROM reservations WHERE order_id = $1 AND sku = $2),
                    (SELECT saga FROM reservations WHERE order_id = $1 AND sku = $2),
                    (SELECT location_id FROM reservations
                      WHERE order_id = $1 AND location_id <> $3 LIMIT 1),
                    (SELECT on_hand - reserved FROM product_inventory
                      WHERE location_id = $3 AND sku = $2)",
        )
        .bind(hold.order_id.as_str())
        .bind(hold.sku.as_str())
        .bind(hold.location.as_str())
        .fetch_one(pool)
        .await
        .context("re-read after a refused reservation")?;
        row.held_elsewhere = held_elsewhere;
        row.held_for = held_for;
        row.held_by = held_by;
        row.held_for_saga = held_for_saga;
        row.available = available;
    }
    Ok(match row {
        ReserveRow { reserved: true, .. } => ReserveOutcome::Reserved,
        ReserveRow {
            held_elsewhere: Some(location),
            ..
        } => ReserveOutcome::HeldElsewhere(LocationId::parse(&location).context("hold location")?),
        ReserveRow {
            held_for: Some(requested),
            held_by,
            held_for_saga,
            ..
        } => ReserveOutcome::AlreadyHeld {
            requested,
            owner: owner(
                held_by.as_deref().unwrap_or(Actor::ANONYMOUS),
                held_for_saga.unwrap_or(false),
            )?,
        },
        ReserveRow {
            order_open: false,
            available: Some(_),
            ..
        } => ReserveOutcome::OrderCancelled,
        ReserveRow {
            available: Some(available),
            ..
        } => ReserveOutcome::Insufficient { available },
        _ => ReserveOutcome::UnknownSku,
    })
}

/// The four events a single-SKU reservation may cause, built ahead of the statement
/// that decides which of them are written (numbers patched in by the statement).
fn reservation_events(hold: &HoldRequest) -> [OutboxMessage; 4] {
    let now = Utc::now();
    let traceparent = None; // bound once, separately
    let sku = hold.sku.as_str();
    let store_id = hold.location.to_string();
    let reserved = Envelope::new(
        SOURCE,
        now,
        Some(hold.order_id.as_str()),
        hold.order_id.as_str(),
        ProductInventoryReserved {
            store_id: store_id.clone(),
            order_id: hold.order_id.to_string(),
            // The row's unit price is patched in by the statement.
            items: vec![contracts::events::ReservedLine {
                sku: sku.to_owned(),
                qty: hold.qty.get(),
                unit_price: None,
            }],
            expires_at: hold.expires_at,
        },
    );
    let below = Envelope::new(
        SOURCE,
        now,
        None,
        sku,
        ProductInventoryBelowSafetyStock {
            store_id: store_id.clone(),
            sku: sku.to_owned(),
            available: 0,
            safety_stock: 0,
        },
    );
    let depleted = Envelope::new(
        SOURCE,
        now,
        None,
        sku,
        ProductInventoryDepleted {
            store_id: store_id.clone(),
            sku: sku.to_owned(),
            on_hand: 0,
            reserved: 0,
        },
    );
    // The row's state is patched in by the statement: only its shape is set here.
    let stock = Envelope::new(
        SOURCE,
        now,
        None,
        &format!("{store_id}/{sku}"),
        ProductInventoryStockChanged {
            items: vec![StockView {
                store_id: store_id.clone(),
                sku: sku.to_owned(),
                on_hand: 0,
                reserved: 0,
                available: 0,
                safety_stock: 0,
                below_safety_stock: false,
                unit_price: None,
                version: 0,
                updated_at: now,
            }],
        },
    );
    debug_assert_eq!(
        ProductInventoryReserved::EXCHANGE,
        ProductInventoryDepleted::EXCHANGE
    );
    [
        OutboxMessage::new(&reserved, traceparent.clone()).routed(hold_routing_key::<
            ProductInventoryReserved,
        >(hold.owner.is_saga())),
        OutboxMessage::new(&below, traceparent.clone()),
        OutboxMessage::new(&depleted, traceparent.clone()),
        OutboxMessage::new(&stock, traceparent),
    ]
}
