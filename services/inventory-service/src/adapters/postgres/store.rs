//! `PgInventoryStore`: the `InventoryStore` port over PostgreSQL.
//!
//! Three ways to change stock, all atomic:
//! - `reserve_one`, the hot path, is ONE statement (a data-modifying CTE): the
//!   conditional update `available >= qty`, the hold and the movement commit together
//!   in a single round trip. The row lock of the update serializes reservations of one
//!   SKU; the primary key of `reservations` turns a concurrent duplicate into a unique
//!   violation that rolls the whole statement back.
//! - `change` locks the order's row (so a cancellation and a reservation of one order
//!   serialize), then the products `FOR UPDATE` in SKU order (so two multi-SKU commands
//!   cannot deadlock), then the order's holds; lets the domain decide in memory; and
//!   writes what changed, its movements and its events (to the outbox) with set-based
//!   statements before committing.
//! - `change_due`, the expiry sweeper's, is `change` for many orders at once: the
//!   products of a batch of due holds are locked in SKU order, the holds read again
//!   under those locks, and all of them expired and written in one transaction.
//!
//! Every change writes its events to the outbox in its own transaction.
//!
//! Each operation is timed (`db_query_duration_seconds`), and the answers to
//! reservations only the store can tell apart (a new hold or one already held; an
//! `OrderCreated` answered by event) are counted here (see `inventory_metrics`).

use anyhow::Context;
use chrono::{DateTime, Utc};
use contracts::events::{
    Envelope, EventType, ProductInventoryBelowSafetyStock, ProductInventoryDepleted,
    ProductInventoryReserved, hold_routing_key,
};
use contracts::inventory::MovementsPage;
use messaging::{OutboxMessage, OutboxWake, inbox, outbox};
use sqlx::{PgConnection, PgPool};

use super::db_metrics::timed;
use super::rows::{HoldRow, MovementRow, ProductRow, owner};
use crate::adapters::events::{SOURCE, outbox_messages};
use crate::adapters::inventory_metrics::{self, ReservationAnswer};
use crate::application::{
    CreateOutcome, Handled, HoldRequest, InboxEntry, InventoryStore, MovementRecord,
    ReserveOutcome, Scope, StockRecord, StoreError, Sweep,
};
use crate::domain::{
    Actor, InventoryError, InventoryEvent, LockedStock, Movement, OrderId, ProductInventory,
    Reservation, Sku, StockChanges,
};

#[derive(Debug, Clone)]
pub struct PgInventoryStore {
    pool: PgPool,
    wake: OutboxWake,
}

impl PgInventoryStore {
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            wake: OutboxWake::default(),
        }
    }

    /// Wakes `wake`'s relay after every commit that wrote events.
    pub fn waking(self, wake: OutboxWake) -> Self {
        Self { wake, ..self }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
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
    available: Option<i64>,
}

impl InventoryStore for PgInventoryStore {
    async fn create(
        &self,
        product: &ProductInventory,
        created: &Movement,
        events: &[InventoryEvent],
    ) -> Result<CreateOutcome, StoreError> {
        timed("create", async {
            let mut tx = database::begin(&self.pool).await.context("begin")?;
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
            self.wake.wake();
            Ok(CreateOutcome::Created { updated_at })
        })
        .await
    }

    async fn find(&self, sku: &Sku) -> Result<Option<StockRecord>, StoreError> {
        timed("find", async {
            let row: Option<ProductRow> = sqlx::query_as(
                "SELECT sku, on_hand, reserved, safety_stock, version, updated_at
                   FROM product_inventory WHERE sku = $1",
            )
            .bind(sku.as_str())
            .fetch_optional(&self.pool)
            .await
            .context("select product")?;
            Ok(row.map(ProductRow::into_record).transpose()?)
        })
        .await
    }

    async fn reserve_one(&self, hold: &HoldRequest) -> Result<ReserveOutcome, StoreError> {
        let outcome = timed("reserve_one", self.place_hold(hold)).await?;
        if outcome == ReserveOutcome::Reserved {
            // The statement wrote the reservation's events with it.
            self.wake.wake();
        }
        inventory_metrics::reservation(ReservationAnswer::of_reserve_one(&outcome, hold.qty));
        Ok(outcome)
    }

    async fn change<T, F>(
        &self,
        scope: Scope<'_>,
        change: F,
    ) -> Result<Result<T, InventoryError>, StoreError>
    where
        T: Send,
        F: FnOnce(&mut LockedStock) -> Result<T, InventoryError> + Send,
    {
        timed("change", async {
            let mut tx = database::begin(&self.pool).await.context("begin")?;
            // Reservation answers written here are counted by the caller that knows it
            // asked for a reservation (the HTTP adapter), not from the events.
            let outcome = change_in(&mut tx, scope, change).await?;
            let outcome = match outcome {
                Ok((outcome, _answers)) => {
                    tx.commit().await.context("commit")?;
                    self.wake.wake();
                    Ok(outcome)
                }
                Err(refusal) => {
                    tx.rollback().await.context("rollback")?;
                    Err(refusal)
                }
            };
            Ok(outcome)
        })
        .await
    }

    async fn change_for_event<T, F>(
        &self,
        entry: InboxEntry<'_>,
        scope: Scope<'_>,
        change: F,
    ) -> Result<Handled<T>, StoreError>
    where
        T: Send,
        F: FnOnce(&mut LockedStock) -> Result<T, InventoryError> + Send,
    {
        let (handled, answers) = timed("change_for_event", async {
            let mut tx = database::begin(&self.pool).await.context("begin")?;
            if !inbox::first_time(&mut tx, entry.consumer, entry.event_id, entry.event_type)
                .await
                .context("inbox")?
            {
                tx.rollback().await.ok();
                return Ok::<_, StoreError>((Handled::Duplicate, Vec::new()));
            }
            let (outcome, answers) = match change_in(&mut tx, scope, change).await? {
                Ok((outcome, answers)) => (Ok(outcome), answers),
                Err(refusal) => (Err(refusal), Vec::new()),
            };
            // A refusal is an answer too: the inbox row commits, so the event is not
            // handled again.
            tx.commit().await.context("commit")?;
            self.wake.wake();
            Ok((Handled::Done(outcome), answers))
        })
        .await?;
        // The event path answers a reservation with an event, not to a caller: count the
        // answers it committed, once (a redelivery is a `Duplicate` and writes none).
        answers.into_iter().for_each(inventory_metrics::reservation);
        Ok(handled)
    }

    async fn movements(
        &self,
        sku: &Sku,
        page: MovementsPage,
    ) -> Result<Vec<MovementRecord>, StoreError> {
        timed("movements", async {
            let rows: Vec<MovementRow> = sqlx::query_as(
                "SELECT id, sku, kind, qty, order_id, on_hand_after, reserved_after,
                        crossed_below_safety_stock, actor, occurred_at
                   FROM movements
                  WHERE sku = $1 AND ($2::bigint IS NULL OR id < $2)
                  ORDER BY id DESC
                  LIMIT $3",
            )
            .bind(sku.as_str())
            .bind(page.before)
            .bind(page.limit)
            .fetch_all(&self.pool)
            .await
            .context("select movements")?;
            Ok(rows
                .into_iter()
                .map(MovementRow::into_record)
                .collect::<anyhow::Result<_>>()?)
        })
        .await
    }

    async fn change_due<F>(
        &self,
        now: DateTime<Utc>,
        limit: i64,
        expire: F,
    ) -> Result<Result<Sweep, InventoryError>, StoreError>
    where
        F: FnOnce(Vec<ProductInventory>, Vec<Reservation>) -> Result<StockChanges, InventoryError>
            + Send,
    {
        timed("change_due", async {
            let due = due_holds(&self.pool, now, limit).await?;
            if due.is_empty() {
                // The usual answer of an idle round: no transaction for it.
                return Ok(Ok(Sweep::default()));
            }
            let mut tx = database::begin(&self.pool).await.context("begin")?;
            let expired = match expire_in(&mut tx, &due, expire).await? {
                Ok(expired) => expired,
                Err(refusal) => {
                    tx.rollback().await.context("rollback")?;
                    return Ok(Err(refusal));
                }
            };
            tx.commit().await.context("commit")?;
            if expired > 0 {
                self.wake.wake();
            }
            Ok(Ok(Sweep {
                due: due.len(),
                expired,
            }))
        })
        .await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .context("ping")?;
        Ok(())
    }
}

impl PgInventoryStore {
    /// `reserve_one`'s statement, and its answer.
    async fn place_hold(&self, hold: &HoldRequest) -> Result<ReserveOutcome, StoreError> {
        let [reserved, below, depleted] = reservation_events(hold);
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
            .fetch_one(&self.pool)
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
                .fetch_one(&self.pool)
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
            let (held_for, held_by, held_for_saga, available) = sqlx::query_as(
                "SELECT (SELECT requested FROM reservations WHERE order_id = $1 AND sku = $2),
                        (SELECT owner FROM reservations WHERE order_id = $1 AND sku = $2),
                        (SELECT saga FROM reservations WHERE order_id = $1 AND sku = $2),
                        (SELECT on_hand - reserved FROM product_inventory WHERE sku = $2)",
            )
            .bind(hold.order_id.as_str())
            .bind(hold.sku.as_str())
            .fetch_one(&self.pool)
            .await
            .context("re-read after a refused reservation")?;
            row.held_for = held_for;
            row.held_by = held_by;
            row.held_for_saga = held_for_saga;
            row.available = available;
        }
        Ok(match row {
            ReserveRow { reserved: true, .. } => ReserveOutcome::Reserved,
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
}

/// Loads `scope` under lock in `tx`, lets `change` decide, writes what it changed.
/// Lock order, the same everywhere: the order's row, the products by SKU, the holds.
/// Also answers the reservation answers among the events written, for the caller to
/// count once it has committed them.
async fn change_in<T, F>(
    tx: &mut PgConnection,
    scope: Scope<'_>,
    change: F,
) -> anyhow::Result<Result<(T, Vec<ReservationAnswer>), InventoryError>>
where
    F: FnOnce(&mut LockedStock) -> Result<T, InventoryError>,
{
    let order_id = match scope {
        Scope::Skus(_, order_id) => order_id,
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
    let mut skus: Vec<String> = match scope {
        Scope::Skus(skus, _) => skus.iter().map(|s| s.as_str().to_owned()).collect(),
        Scope::Order(order_id) => {
            sqlx::query_scalar("SELECT sku FROM reservations WHERE order_id = $1")
                .bind(order_id.as_str())
                .fetch_all(&mut *tx)
                .await
                .context("skus of the order")?
        }
    };
    skus.sort_unstable();
    skus.dedup();

    let products = lock_products(tx, &skus).await?;
    let holds: Vec<HoldRow> = match order_id {
        Some(order_id) => sqlx::query_as(
            "SELECT order_id, sku, requested, held, status, expires_at, owner, saga
               FROM reservations WHERE order_id = $1 AND sku = ANY($2)
              ORDER BY sku FOR UPDATE",
        )
        .bind(order_id.as_str())
        .bind(&skus)
        .fetch_all(&mut *tx)
        .await
        .context("lock holds")?,
        None => Vec::new(),
    };

    let holds = holds
        .into_iter()
        .map(HoldRow::into_domain)
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut stock = LockedStock::new(order_id.cloned(), cancelled, products, holds);

    let outcome = match change(&mut stock) {
        Ok(outcome) => outcome,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let answers = write_changes(tx, stock.into_changes()).await?;
    Ok(Ok((outcome, answers)))
}

/// Locks the products of `skus` (sorted, without duplicates: the lock order of every
/// change) and loads them.
async fn lock_products(
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

/// The active holds due at `now`, oldest first, at most `limit`, as (order, SKU). Read
/// without a lock: `expire_in` reads them again under their products' locks.
async fn due_holds(
    pool: &PgPool,
    now: DateTime<Utc>,
    limit: i64,
) -> anyhow::Result<Vec<(String, String)>> {
    sqlx::query_as(
        "SELECT order_id, sku FROM reservations
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
/// the products, as `change` does, so no cycle of waits can form with it.
async fn expire_in<F>(
    tx: &mut PgConnection,
    due: &[(String, String)],
    expire: F,
) -> anyhow::Result<Result<usize, InventoryError>>
where
    F: FnOnce(Vec<ProductInventory>, Vec<Reservation>) -> Result<StockChanges, InventoryError>,
{
    let mut skus: Vec<String> = due.iter().map(|(_, sku)| sku.clone()).collect();
    skus.sort_unstable();
    skus.dedup();
    let products = lock_products(tx, &skus).await?;
    let holds: Vec<HoldRow> = sqlx::query_as(
        "SELECT r.order_id, r.sku, r.requested, r.held, r.status, r.expires_at, r.owner, r.saga
           FROM reservations AS r
           JOIN unnest($1::text[], $2::text[]) AS d(order_id, sku)
             ON r.order_id = d.order_id AND r.sku = d.sku
          ORDER BY r.expires_at, r.order_id, r.sku
            FOR UPDATE OF r",
    )
    .bind(
        due.iter()
            .map(|(order_id, _)| order_id.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(due.iter().map(|(_, sku)| sku.as_str()).collect::<Vec<_>>())
    .fetch_all(&mut *tx)
    .await
    .context("lock due holds")?;
    let holds = holds
        .into_iter()
        .map(HoldRow::into_domain)
        .collect::<anyhow::Result<Vec<_>>>()?;
    let changes = match expire(products, holds) {
        Ok(changes) => changes,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let expired = changes.holds.len();
    write_changes(tx, changes).await?;
    Ok(Ok(expired))
}

/// The three events a single-SKU reservation may cause, built ahead of the statement
/// that decides which of them are written (numbers patched in by the statement).
fn reservation_events(hold: &HoldRequest) -> [OutboxMessage; 3] {
    let now = Utc::now();
    let traceparent = None; // bound once, separately
    let sku = hold.sku.as_str();
    let reserved = Envelope::new(
        SOURCE,
        now,
        Some(hold.order_id.as_str()),
        hold.order_id.as_str(),
        ProductInventoryReserved {
            order_id: hold.order_id.to_string(),
            items: vec![contracts::events::EventLine {
                sku: sku.to_owned(),
                qty: hold.qty.get(),
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
            sku: sku.to_owned(),
            on_hand: 0,
            reserved: 0,
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
        OutboxMessage::new(&depleted, traceparent),
    ]
}

/// Writes a change set: products, holds, movements, the order's cancellation and the
/// events, one statement each. Answers the reservation answers among the events.
async fn write_changes(
    tx: &mut PgConnection,
    changes: StockChanges,
) -> anyhow::Result<Vec<ReservationAnswer>> {
    let answers = changes
        .events
        .iter()
        .filter_map(ReservationAnswer::of_event)
        .collect();
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
        .bind(h.iter().map(|x| x.order_id.as_str()).collect::<Vec<_>>())
        .bind(h.iter().map(|x| x.sku.as_str()).collect::<Vec<_>>())
        .bind(h.iter().map(|x| x.requested.get()).collect::<Vec<_>>())
        .bind(h.iter().map(|x| x.held).collect::<Vec<_>>())
        .bind(h.iter().map(|x| x.status.as_str()).collect::<Vec<_>>())
        .bind(h.iter().map(|x| x.expires_at).collect::<Vec<_>>())
        .bind(h.iter().map(|x| x.owner.name()).collect::<Vec<_>>())
        .bind(h.iter().map(|x| x.owner.is_saga()).collect::<Vec<_>>())
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
        .bind(m.iter().map(|x| x.kind.as_str()).collect::<Vec<_>>())
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
    Ok(answers)
}
