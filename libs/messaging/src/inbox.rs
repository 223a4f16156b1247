//! The inbox: handled event ids, written in the same transaction as the handling's
//! effect. A redelivered event finds its id and changes nothing.

use sqlx::PgConnection;
use uuid::Uuid;

/// Records that `consumer` handles `event_id` now; false when it already did.
pub async fn first_time(
    conn: &mut PgConnection,
    consumer: &str,
    event_id: Uuid,
    event_type: &str,
) -> sqlx::Result<bool> {
    let inserted = sqlx::query(
        "INSERT INTO inbox (consumer, event_id, event_type) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING",
    )
    .bind(consumer)
    .bind(event_id)
    .bind(event_type)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}
