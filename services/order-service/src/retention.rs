//! Retention: a background worker that deletes the ids of handled events (`inbox`)
//! once past their retention, so the table does not grow for ever. The ids are kept so
//! a redelivered event changes nothing; after the retention period no redelivery is
//! expected (see [`messaging::inbox::prune`]).
//!
//! Deletes go in batches, each its own statement and its own commit, so a large backlog
//! never holds many row locks or one long transaction. Several instances may prune one
//! database: rows another pruner has claimed are skipped, never waited for. Every round
//! adds what it removed to `retention_pruned_total{table}`.

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
    /// How long a handled event's id is kept.
    pub keep: Duration,
    /// Pause between two rounds.
    pub interval: Duration,
    /// Most rows deleted per statement.
    pub batch: i64,
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
                    Ok(0) => {}
                    Ok(inbox) => tracing::info!(inbox, "pruned rows past their retention"),
                    Err(e) => tracing::warn!(error = %e, "retention prune failed; will retry"),
                },
            }
            tokio::select! {
                () = stop.cancelled() => break,
                () = tokio::time::sleep(self.interval) => {}
            }
        }
    }

    /// Deletes the inbox rows handled before `now` minus the retention, and counts
    /// them; answers how many went.
    pub async fn prune(&self, now: DateTime<Utc>) -> anyhow::Result<u64> {
        // A retention reaching before the calendar's start: nothing is that old.
        let Some(older_than) = chrono::Duration::from_std(self.keep)
            .ok()
            .and_then(|keep| now.checked_sub_signed(keep))
        else {
            return Ok(0);
        };
        let inbox = messaging::inbox::prune(&self.pool, older_than, self.batch)
            .await
            .context("prune inbox")?;
        // Incremented by 0 too, so the series exists from the first round on.
        counter!(PRUNED, "table" => "inbox").increment(inbox);
        Ok(inbox)
    }
}

fn describe() {
    static DESCRIBED: Once = Once::new();
    DESCRIBED.call_once(|| {
        describe_counter!(
            PRUNED,
            "Rows deleted once past their retention, by table (inbox)."
        );
    });
}
