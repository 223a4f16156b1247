//! Retention: deleting what a service no longer needs to remember, so that no table
//! grows for ever. Always the inbox (the ids of handled events, kept so a redelivery
//! changes nothing; after the retention period no redelivery is expected, see
//! [`inbox::prune`]); and whatever else a service keeps for a while ([`Retention::also`]).
//!
//! Deletes go in batches, each its own statement and its own commit, so a large backlog
//! never holds many row locks or one long transaction; a round cut short loses nothing.
//! Several instances may prune one database: rows another pruner (or a request) has
//! locked are skipped, never waited for. Every round adds what it removed to
//! `retention_pruned_total{table}`.

use std::{sync::Once, time::Duration};

use anyhow::Context;
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use metrics::{counter, describe_counter};
use sqlx::PgPool;

use crate::inbox;

const PRUNED: &str = "retention_pruned_total";

/// Deletes a table's rows settled before a time, at most `batch` per statement;
/// answers how many went.
pub type Prune = for<'a> fn(&'a PgPool, DateTime<Utc>, i64) -> BoxFuture<'a, sqlx::Result<u64>>;

#[derive(Debug, Clone)]
pub struct Retention {
    pub pool: PgPool,
    /// How long a handled event's id (and a settled record of the other tables) is kept.
    pub keep: Duration,
    /// Most rows deleted per statement.
    pub batch: i64,
    /// The tables pruned after the inbox, by name.
    others: Vec<(&'static str, Prune)>,
}

/// Rows one round deleted, by table, the inbox first.
pub type Pruned = Vec<(&'static str, u64)>;

impl Retention {
    /// Rows per delete statement: big enough that a backlog goes in few statements,
    /// small enough that each takes milliseconds.
    pub const DEFAULT_BATCH: i64 = 5_000;

    /// Prunes the inbox only.
    pub fn new(pool: PgPool, keep: Duration) -> Self {
        describe();
        let retention = Self {
            pool,
            keep,
            batch: Self::DEFAULT_BATCH,
            others: Vec::new(),
        };
        retention.register_at_zero("inbox");
        retention
    }

    /// Also prunes `table` with `prune`, after the inbox.
    pub fn also(mut self, table: &'static str, prune: Prune) -> Self {
        self.register_at_zero(table);
        self.others.push((table, prune));
        self
    }

    /// Deletes what was settled before `now` minus the retention, and counts it.
    pub async fn prune(&self, now: DateTime<Utc>) -> anyhow::Result<Pruned> {
        // A retention reaching before the calendar's start: nothing is that old.
        let Some(older_than) = chrono::Duration::from_std(self.keep)
            .ok()
            .and_then(|keep| now.checked_sub_signed(keep))
        else {
            return Ok(Vec::new());
        };
        let mut pruned = Vec::with_capacity(1 + self.others.len());
        let inbox = inbox::prune(&self.pool, older_than, self.batch)
            .await
            .context("prune inbox")?;
        pruned.push(("inbox", inbox));
        for (table, prune) in &self.others {
            let rows = prune(&self.pool, older_than, self.batch)
                .await
                .with_context(|| format!("prune {table}"))?;
            pruned.push((table, rows));
        }
        for (table, rows) in &pruned {
            counter!(PRUNED, "table" => *table).increment(*rows);
        }
        let total: u64 = pruned.iter().map(|(_, rows)| rows).sum();
        if total > 0 {
            tracing::info!(?pruned, "pruned rows past their retention");
        }
        Ok(pruned)
    }

    /// The series exists from the first scrape, before any round.
    fn register_at_zero(&self, table: &'static str) {
        counter!(PRUNED, "table" => table).increment(0);
    }
}

/// Runs `delete` (a statement deleting at most `$2` rows settled before `$1`) until it
/// deletes fewer than `batch`; answers how many rows went. Each statement commits on its
/// own, so a large backlog never holds many row locks or one long transaction.
pub async fn delete_in_batches(
    pool: &PgPool,
    delete: &'static str,
    older_than: DateTime<Utc>,
    batch: i64,
) -> sqlx::Result<u64> {
    // A batch of 0 would find "fewer" never and loop for ever.
    let batch = batch.max(1);
    let mut deleted = 0;
    loop {
        let rows = sqlx::query(delete)
            .bind(older_than)
            .bind(batch)
            .execute(pool)
            .await?
            .rows_affected();
        deleted += rows;
        if i64::try_from(rows).unwrap_or(i64::MAX) < batch {
            return Ok(deleted);
        }
    }
}

fn describe() {
    static DESCRIBED: Once = Once::new();
    DESCRIBED.call_once(|| {
        describe_counter!(
            PRUNED,
            "Rows deleted once past their retention, by table (inbox and the service's own)."
        );
    });
}
