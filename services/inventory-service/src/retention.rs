//! Retention: a background worker that deletes what the service no longer needs to
//! remember, so that no table grows for ever.
//!
//! - `inbox`: ids of handled events, kept so a redelivery changes nothing; after the
//!   retention period no redelivery is expected (see [`messaging::inbox::prune`]).
//! - `order_states`: what the inventory remembers of an order, notably its
//!   cancellation (a late reservation of a cancelled order is refused). A record is
//!   forgotten once untouched for the retention period and only while the order holds
//!   no active stock: an order still holding stock is never forgotten.
//!
//! Deletes go in batches, each its own statement and its own commit, so a large backlog
//! never holds many row locks or one long transaction. Several instances may prune one
//! database: rows another pruner (or a request) has locked are skipped, never waited
//! for. Every round adds what it removed to `retention_pruned_total{table}`.

use std::{sync::Once, time::Duration};

use anyhow::Context;
use chrono::{DateTime, Utc};
use metrics::{counter, describe_counter};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

const PRUNED: &str = "retention_pruned_total";

#[derive(Debug)]
pub struct Retention {
    pub pool: PgPool,
    /// How long a handled event's id and a settled order's record are kept.
    pub keep: Duration,
    /// Pause between two rounds.
    pub interval: Duration,
    /// Most rows deleted per statement.
    pub batch: i64,
}

/// Rows one round deleted, by table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub inbox: u64,
    pub order_states: u64,
}

impl Retention {
    /// Rows per delete statement: big enough that a backlog goes in few statements,
    /// small enough that each takes milliseconds.
    pub const DEFAULT_BATCH: i64 = 5_000;

    /// Prunes now, then every interval, until `stop` is cancelled. A round is not
    /// waited for at shutdown: each batch commits on its own, so one cut short loses
    /// nothing and the next start resumes it.
    pub async fn run(self, stop: CancellationToken) {
        describe();
        loop {
            tokio::select! {
                biased;
                () = stop.cancelled() => break,
                round = self.prune(Utc::now()) => match round {
                    Ok(Pruned { inbox: 0, order_states: 0 }) => {}
                    Ok(pruned) => tracing::info!(
                        inbox = pruned.inbox,
                        order_states = pruned.order_states,
                        "pruned rows past their retention"
                    ),
                    Err(e) => tracing::warn!(error = %e, "retention prune failed; will retry"),
                },
            }
            tokio::select! {
                () = stop.cancelled() => break,
                () = tokio::time::sleep(self.interval) => {}
            }
        }
    }

    /// Deletes the inbox rows and order records settled before `now` minus the
    /// retention, and counts them.
    pub async fn prune(&self, now: DateTime<Utc>) -> anyhow::Result<Pruned> {
        // A retention reaching before the calendar's start: nothing is that old.
        let Some(older_than) = chrono::Duration::from_std(self.keep)
            .ok()
            .and_then(|keep| now.checked_sub_signed(keep))
        else {
            return Ok(Pruned::default());
        };
        let inbox = messaging::inbox::prune(&self.pool, older_than, self.batch)
            .await
            .context("prune inbox")?;
        record("inbox", inbox);
        let order_states = prune_order_states(&self.pool, older_than, self.batch)
            .await
            .context("prune order_states")?;
        record("order_states", order_states);
        Ok(Pruned {
            inbox,
            order_states,
        })
    }
}

/// Deletes the order records untouched since `older_than` whose order holds no active
/// stock, at most `batch` per statement, until a statement finds fewer; answers how
/// many went.
///
/// Every change concerning an order locks its row first and refreshes `updated_at`
/// (`INSERT ... ON CONFLICT DO UPDATE`), before it makes a hold. So a record is either
/// locked by such a change, and skipped (`SKIP LOCKED`: the hot path never waits on the
/// pruner, nor the pruner on it), or the change committed and the refreshed `updated_at`
/// keeps the record, or the change comes after the delete and starts a new record, as
/// for an order never seen. Once deleted, a record is gone with its cancellation: a reservation of
/// that order made later is no longer refused, which is why the retention must outlast
/// any such straggler.
pub async fn prune_order_states(
    pool: &PgPool,
    older_than: DateTime<Utc>,
    batch: i64,
) -> sqlx::Result<u64> {
    // A batch of 0 would find "fewer" never and loop for ever.
    let batch = batch.max(1);
    let mut pruned = 0;
    loop {
        let deleted = sqlx::query(
            "WITH settled AS (
                 SELECT s.order_id FROM order_states AS s
                  WHERE s.updated_at < $1
                    AND NOT EXISTS (SELECT 1 FROM reservations AS r
                                     WHERE r.order_id = s.order_id AND r.status = 'active')
                  LIMIT $2
                    FOR UPDATE SKIP LOCKED
             )
             DELETE FROM order_states AS s
              USING settled
              WHERE s.order_id = settled.order_id",
        )
        .bind(older_than)
        .bind(batch)
        .execute(pool)
        .await?
        .rows_affected();
        pruned += deleted;
        if (deleted as i64) < batch {
            return Ok(pruned);
        }
    }
}

fn record(table: &'static str, rows: u64) {
    // Incremented by 0 too, so the series exists from the first round on.
    counter!(PRUNED, "table" => table).increment(rows);
}

fn describe() {
    static DESCRIBED: Once = Once::new();
    DESCRIBED.call_once(|| {
        describe_counter!(
            PRUNED,
            "Rows deleted once past their retention, by table (inbox, order_states)."
        );
    });
}
