//! Retention of what the inventory remembers of orders (`order_states`), notably their
//! cancellation: a late reservation of a cancelled order is refused. The shared worker
//! (`messaging::retention`, started by `service::Backbone`) prunes it after the inbox, in
//! batches that each commit on their own. A record is forgotten once untouched for the retention period and only
//! while the order holds no active stock: an order still holding stock is never
//! forgotten.

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use sqlx::PgPool;

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
pub fn prune_order_states(
    pool: &PgPool,
    older_than: DateTime<Utc>,
    batch: i64,
) -> BoxFuture<'_, sqlx::Result<u64>> {
    Box::pin(prune_settled(pool, older_than, batch))
}

async fn prune_settled(pool: &PgPool, older_than: DateTime<Utc>, batch: i64) -> sqlx::Result<u64> {
    messaging::retention::delete_in_batches(
        pool,
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
        older_than,
        batch,
    )
    .await
}
