//! PostgreSQL plumbing the domain services share.
//!
//! - [`connect`] (and [`connect_with`]): create the service's database if it is
//!   missing, run the migrations (the messaging library's, then the service's) (under the migrator's advisory lock, so
//!   instances starting together are safe), open the pool.
//! - Every pooled connection is bounded ([`PoolLimits`]): PostgreSQL cancels a statement
//!   that runs longer than `statement_timeout` (lock waits included) and closes the
//!   connection of a transaction left idle longer than `idle_in_transaction_session_timeout`.
//!   Without them one stuck statement, or a transaction a task forgot, holds its row
//!   locks and its connection indefinitely, and every request that needs either queues
//!   behind it until the pool is exhausted. A cancelled statement fails its caller with
//!   SQLSTATE `57014`; a closed connection fails the transaction's next statement, and
//!   the pool replaces the connection (it is checked before it is lent again). A batch
//!   that legitimately needs longer (the outbox relay waiting for publisher confirms
//!   inside its transaction, for instance) must finish within the idle limit or be
//!   redone: the rows it held are released, never lost.
//! - The migrations run first, on a connection of their own without those limits: a
//!   migration that rewrites or indexes a big table, or waits for another instance's
//!   migration lock, may rightly take longer than any request should.
//! - [`begin`]: start a transaction in a way a cancelled caller cannot break. An HTTP
//!   handler is dropped wherever it stands when its client hangs up or times out; sqlx
//!   0.9 cannot tell when that happens while `BEGIN` is in flight, and returns the
//!   connection to the pool inside a transaction nobody will end, where the next
//!   borrower's writes land and may never commit (transact-rs/sqlx#4393). Here `BEGIN`
//!   runs in a task of its own: if the caller is gone when it completes, the transaction
//!   is dropped as a whole and rolled back as sqlx does for any dropped transaction.
//!   Handlers stay cancellable everywhere else, so an overloaded service still sheds
//!   the work its callers abandoned.

use std::time::Duration;

use anyhow::Context;
use sqlx::{
    PgPool, Postgres, Transaction,
    migrate::{MigrateDatabase, Migrator},
    postgres::{PgConnectOptions, PgPoolOptions},
};

/// How long a request may wait for a pooled connection before it fails.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// What the server allows one pooled connection. A zero duration turns a limit off
/// (PostgreSQL's own meaning of 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolLimits {
    /// `statement_timeout`: longest a statement may run, waiting for locks included.
    pub statement_timeout: Duration,
    /// `idle_in_transaction_session_timeout`: longest a transaction may sit idle
    /// between two statements before the server closes its connection.
    pub idle_in_transaction_timeout: Duration,
}

impl PoolLimits {
    /// Far above what any statement or transaction of the services takes (milliseconds),
    /// well below what a client waits before giving up on a request.
    pub const DEFAULT: Self = Self {
        statement_timeout: Duration::from_secs(10),
        idle_in_transaction_timeout: Duration::from_secs(30),
    };

    /// The limits as server settings, for the connection's start-up packet.
    fn server_options(&self) -> [(&'static str, String); 2] {
        [
            (
                "statement_timeout",
                as_server_millis(self.statement_timeout),
            ),
            (
                "idle_in_transaction_session_timeout",
                as_server_millis(self.idle_in_transaction_timeout),
            ),
        ]
    }
}

impl Default for PoolLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A duration in PostgreSQL's syntax, whole milliseconds. A non-zero duration under a
/// millisecond is rounded up: rounding it down to 0 would turn the limit off.
fn as_server_millis(d: Duration) -> String {
    let ms = d.as_millis();
    let ms = if ms == 0 && !d.is_zero() { 1 } else { ms };
    format!("{ms}ms")
}

/// Creates the database if it does not exist yet, runs `migrators` in order (each keeps
/// its own history table: the messaging library's, then the service's), and opens the
/// pool with the default [`PoolLimits`].
pub async fn connect(
    url: &str,
    max_connections: u32,
    migrators: &[&Migrator],
) -> anyhow::Result<PgPool> {
    connect_with(url, max_connections, migrators, &PoolLimits::DEFAULT).await
}

/// [`connect`], with the pool's connections bounded by `limits`.
pub async fn connect_with(
    url: &str,
    max_connections: u32,
    migrators: &[&Migrator],
    limits: &PoolLimits,
) -> anyhow::Result<PgPool> {
    if !Postgres::database_exists(url).await.unwrap_or(true)
        && let Err(e) = Postgres::create_database(url).await
    {
        // Two instances may race to create it: the loser's error is harmless.
        tracing::warn!(error = %e, "create database (another instance may have won)");
    }
    let options: PgConnectOptions = url
        .parse()
        .context("DATABASE_URL is not a PostgreSQL URL")?;

    // On a pool of its own, so none of the service pool's limits cut a long migration
    // short. (A pool, not a bare connection: `Migrator::run` over `&mut PgConnection`
    // makes the caller's future lose `Send`.)
    let migrating = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(options.clone())
        .await
        .context("connect to PostgreSQL to migrate")?;
    let mut migrated = Ok(());
    for migrator in migrators {
        migrated = migrator.run(&migrating).await.context("run migrations");
        if migrated.is_err() {
            break;
        }
    }
    migrating.close().await;
    migrated?;

    // Appended to any `options` of the URL: the last setting of a name wins.
    let bounded = options.options(limits.server_options());
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(bounded)
        .await
        .context("connect to PostgreSQL")
}

/// `pool.begin()`, safe to cancel (see the module's documentation).
pub async fn begin(pool: &PgPool) -> sqlx::Result<Transaction<'static, Postgres>> {
    let pool = pool.clone();
    match tokio::spawn(async move { pool.begin().await }).await {
        Ok(begun) => begun,
        Err(join) => Err(sqlx::Error::Io(std::io::Error::other(join))),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::as_server_millis;

    #[test]
    fn durations_are_whole_milliseconds_and_never_round_down_to_off() {
        assert_eq!(as_server_millis(Duration::from_secs(10)), "10000ms");
        assert_eq!(as_server_millis(Duration::from_micros(1500)), "1ms");
        assert_eq!(as_server_millis(Duration::from_micros(10)), "1ms");
        assert_eq!(as_server_millis(Duration::ZERO), "0ms");
    }
}
