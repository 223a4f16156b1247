//! The inbox: handled event ids, written in the same transaction as the handling's
//! effect. A redelivered event finds its id and changes nothing.
//!
//! The ids are kept for a retention period, then [`prune`]d: an event delivered again
//! after that (a dead letter replayed very late) would be handled a second time, so the
//! period must outlast every redelivery the system allows.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// An event being handled: its id goes into the inbox in the transaction of the change
/// it causes, so a redelivery finds it and changes nothing.
#[derive(Debug, Clone, Copy)]
pub struct InboxEntry<'a> {
    /// The consuming service's name: each consumer keeps its own record.
    pub consumer: &'a str,
    pub event_id: Uuid,
    pub event_type: &'a str,
}

impl InboxEntry<'_> {
    /// Records that the consumer handles the event now, in `conn`'s transaction; false
    /// when it was handled before.
    pub async fn record(&self, conn: &mut PgConnection) -> sqlx::Result<bool> {
        let inserted = sqlx::query(
            "INSERT INTO inbox (consumer, event_id, event_type) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
        )
        .bind(self.consumer)
        .bind(self.event_id)
        .bind(self.event_type)
        .execute(conn)
        .await?
        .rows_affected();
        Ok(inserted == 1)
    }
}

/// Deletes the ids handled before `older_than`, at most `batch` rows per statement, until
/// a statement finds fewer; answers how many went. Each batch commits on its own, so a
/// large backlog never holds many row locks or one long transaction, and the consumers'
/// inserts go on in between. Rows another pruner has claimed are skipped, not waited for.
pub async fn prune(pool: &PgPool, older_than: DateTime<Utc>, batch: i64) -> sqlx::Result<u64> {
    crate::retention::delete_in_batches(
        pool,
        "WITH old AS (
             SELECT consumer, event_id FROM inbox
              WHERE handled_at < $1
              LIMIT $2
                FOR UPDATE SKIP LOCKED
         )
         DELETE FROM inbox AS i
          USING old
          WHERE i.consumer = old.consumer AND i.event_id = old.event_id",
        older_than,
        batch,
    )
    .await
}
