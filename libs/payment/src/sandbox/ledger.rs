//! The sandbox's book in PostgreSQL (`sql/sandbox.sql`): each call of the port is one
//! transaction that reads only what the call touches into a [`Book`], lets the same
//! rules as in memory decide, and writes back what they changed.
//!
//! A call holds its idempotency key for the transaction (an advisory lock on the key's
//! hash), so two calls with one key, from any process, take turns and the second gets
//! the first's answer; and it locks the intent it is about (`FOR UPDATE`), so calls with
//! different keys on one intent (a capture racing a void) take turns too.

use std::collections::HashMap;

use anyhow::Context;
use sqlx::{PgPool, Postgres, Transaction, types::Json};

use super::{Book, Kept, KeptAnswer, SandboxIntent};
use crate::{Currency, IdempotencyKey, Intent, IntentId, IntentLookup, IntentStatus, Money};

const SCHEMA: &str = include_str!("../../sql/sandbox.sql");
/// The advisory lock under which the tables are created, so that two processes starting
/// at once do not both create them.
const SCHEMA_LOCK: i64 = 0x0073_616e_6462_6f78; // "sandbox" in ASCII

const COLUMNS: &str = "id, authorized_by, status, currency, amount, captured, refunded";

/// Creates the tables that are missing.
pub(super) async fn create_tables(pool: &PgPool) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(SCHEMA_LOCK)
        .execute(&mut *tx)
        .await?;
    sqlx::raw_sql(SCHEMA)
        .execute(&mut *tx)
        .await
        .context("the sandbox's tables")?;
    tx.commit().await?;
    Ok(())
}

/// [`Book::once`] in one transaction, with the answer kept for `key` (if any) and the
/// intent `on` (if any) read first, and what changed written back.
pub(super) async fn once<T: Kept>(
    pool: &PgPool,
    key: &IdempotencyKey,
    request: String,
    on: Option<&IntentId>,
    first: impl FnOnce(&mut Book) -> Result<T, crate::PaymentError>,
) -> anyhow::Result<(Result<T, crate::PaymentError>, bool)> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(key.as_str())
        .execute(&mut *tx)
        .await?;
    let mut book = Book::default();
    let kept: Option<(String, Json<super::Answer>)> =
        sqlx::query_as("SELECT request, answer FROM payment_sandbox_answers WHERE key = $1")
            .bind(key.as_str())
            .fetch_optional(&mut *tx)
            .await?;
    if let Some((first_request, Json(answer))) = kept {
        book.kept.insert(
            key.clone(),
            KeptAnswer {
                request: first_request,
                answer,
            },
        );
        // A replay (or a key reused for another request): nothing to read or write.
        let (answer, _) = book.once(key, request, |_| unreachable_first());
        tx.rollback().await?;
        return Ok((answer, false));
    }
    if let Some(id) = on
        && let Some(row) = sqlx::query_as::<_, IntentRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM payment_sandbox_intents WHERE id = $1 FOR UPDATE"
        )))
        .bind(id.as_str())
        .fetch_optional(&mut *tx)
        .await?
    {
        let (intent, authorized_by) = row.parse()?;
        book.authorized_by.insert(authorized_by, intent.id.clone());
        book.intents
            .insert(intent.id.clone(), SandboxIntent::restore(intent));
    }
    let issued: i64 = sqlx::query_scalar("SELECT nextval('payment_sandbox_ids')")
        .fetch_one(&mut *tx)
        .await?;
    book.issued = u64::try_from(issued - 1).context("the sandbox's id sequence")?;
    let before: HashMap<IntentId, Intent> = book
        .intents
        .iter()
        .map(|(id, intent)| (id.clone(), intent.view()))
        .collect();

    let (answer, now) = book.once(key, request, first);

    write_back(&mut tx, &book, &before).await?;
    if let Some(kept) = book.kept.get(key) {
        sqlx::query(
            "INSERT INTO payment_sandbox_answers (key, request, answer) VALUES ($1, $2, $3)",
        )
        .bind(key.as_str())
        .bind(&kept.request)
        .bind(Json(&kept.answer))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok((answer, now))
}

/// Never called: a replay does not run the first call again.
fn unreachable_first<T>() -> Result<T, crate::PaymentError> {
    Err(crate::PaymentError::Unavailable(
        "a replay ran its first call again".to_owned(),
    ))
}

/// Writes every intent of `book` that is new or changed since `before`.
async fn write_back(
    tx: &mut Transaction<'_, Postgres>,
    book: &Book,
    before: &HashMap<IntentId, Intent>,
) -> anyhow::Result<()> {
    let keys: HashMap<&IntentId, &IdempotencyKey> = book
        .authorized_by
        .iter()
        .map(|(key, id)| (id, key))
        .collect();
    for (id, intent) in &book.intents {
        let view = intent.view();
        if before.get(id) == Some(&view) {
            continue;
        }
        let authorized_by = keys
            .get(id)
            .with_context(|| format!("intent {id} has no authorization key"))?;
        sqlx::query(
            "INSERT INTO payment_sandbox_intents
                 (id, authorized_by, status, currency, amount, captured, refunded)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (id) DO UPDATE
                SET status = excluded.status, captured = excluded.captured,
                    refunded = excluded.refunded, updated_at = now()",
        )
        .bind(id.as_str())
        .bind(authorized_by.as_str())
        .bind(view.status.as_str())
        .bind(view.amount.currency().as_str())
        .bind(view.amount.minor_units())
        .bind(view.captured.minor_units())
        .bind(view.refunded.minor_units())
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// [`Book::find`] in the database.
pub(super) async fn find(pool: &PgPool, lookup: &IntentLookup) -> anyhow::Result<Option<Intent>> {
    let (column, value) = match lookup {
        IntentLookup::Key(key) => ("authorized_by", key.as_str()),
        IntentLookup::Id(id) => ("id", id.as_str()),
    };
    let row: Option<IntentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM payment_sandbox_intents WHERE {column} = $1"
    )))
    .bind(value)
    .fetch_optional(pool)
    .await?;
    row.map(|row| row.parse().map(|(intent, _)| intent))
        .transpose()
}

/// Every intent in the database.
pub(super) async fn intents(pool: &PgPool) -> Result<Vec<Intent>, crate::PaymentError> {
    let rows: Vec<IntentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM payment_sandbox_intents"
    )))
    .fetch_all(pool)
    .await
    .map_err(|e| crate::PaymentError::Unavailable(e.to_string()))?;
    rows.into_iter()
        .map(|row| row.parse().map(|(intent, _)| intent))
        .collect::<anyhow::Result<_>>()
        .map_err(|e| crate::PaymentError::Unavailable(e.to_string()))
}

#[derive(sqlx::FromRow)]
struct IntentRow {
    id: String,
    authorized_by: String,
    status: String,
    currency: String,
    amount: i64,
    captured: i64,
    refunded: i64,
}

impl IntentRow {
    fn parse(self) -> anyhow::Result<(Intent, IdempotencyKey)> {
        let currency = Currency::parse(&self.currency)?;
        let money = |minor| Money::new(minor, currency);
        let intent = Intent {
            id: IntentId::parse(&self.id)?,
            status: self
                .status
                .parse::<IntentStatus>()
                .with_context(|| format!("status {:?}", self.status))?,
            amount: money(self.amount)?,
            captured: money(self.captured)?,
            refunded: money(self.refunded)?,
        };
        Ok((intent, IdempotencyKey::parse(&self.authorized_by)?))
    }
}
