//! Waiting for the system to be quiet before each run: a run that overloads it (open loop
//! above capacity) leaves events in the outboxes and in the consumers' queues, and holds
//! that fall due, and the next run would measure that backlog draining instead of itself.
//! What the wait found and how long it took go into the report with each run, so that a
//! run which started on a busy system shows as one.
//!
//! Every quarter of a second, cheapest first:
//! - each service's outbox, `SELECT count(*) FROM outbox`, through `psql` as the limits
//!   reach PostgreSQL (the bench has no database driver of its own);
//! - active holds due more than a few seconds ago, which inventory-service's sweeper
//!   (one round a second) should have expired already;
//! - the messages ready in each consumer's queue (a passive declare).
//!
//! Once those read zero, `rabbitmqctl list_queues` adds the messages delivered but not
//! yet acknowledged and those waiting in the consumers' retry queues: AMQP itself does
//! not tell them, and the tool costs the machine about a second of CPU, so it runs only
//! then. A figure that cannot be read (no `psql`, no `rabbitmqctl`, no broker) does not
//! hold the wait up; the report's notes say which.
//!
//! The wait is bounded (`--quiet-wait-secs`) and ends early once the backlog has not
//! shrunk for 20 s (an event no queue takes stays in its outbox): the run then starts
//! anyway, and the report says what was left.

use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use contracts::events::subscriptions::SUBSCRIPTIONS;
use lapin::{Connection, ConnectionProperties, options::QueueDeclareOptions, types::FieldTable};
use tokio::process::Command;

use crate::{
    figures::{Backlog, QuietStart, round2},
    options::Options,
    psql,
};

const POLL: Duration = Duration::from_millis(250);
/// No smaller backlog for this long: it will not drain by waiting.
const STALL: Duration = Duration::from_secs(20);
/// No connection attempt of psql waits longer than this (seconds).
const CONNECT_TIMEOUT_SECS: &str = "2";
/// The inventory's outbox, and its holds overdue by more than a few sweeper rounds.
const INVENTORY_QUERY: &str = "SELECT (SELECT count(*) FROM outbox), \
     (SELECT count(*) FROM reservations \
      WHERE status = 'active' AND expires_at < now() - interval '5 seconds')";
const ORDERS_QUERY: &str = "SELECT count(*) FROM outbox";

/// Where the backlogs are read, and which of them could not be.
#[derive(Debug)]
pub struct Settler {
    psql: PathBuf,
    inventory_db: String,
    orders_db: String,
    amqp_url: String,
    longest: Duration,
    /// Each figure that could not be read, and why: said once in the report's notes.
    problems: BTreeSet<String>,
}

impl Settler {
    pub fn new(options: &Options) -> Self {
        Self {
            psql: psql::beside(&options.pgbench),
            inventory_db: options.inventory_db_url(),
            orders_db: options.orders_db_url(),
            amqp_url: options.amqp_url.clone(),
            longest: options.quiet_wait(),
            problems: BTreeSet::new(),
        }
    }

    /// The checks that could not be made, for the report's notes.
    pub fn problems(&self) -> impl Iterator<Item = String> + '_ {
        self.problems
            .iter()
            .map(|p| format!("quiet start: {p}; that figure was not waited for"))
    }

    /// Waits until nothing is left to do, or the wait gives up; says how it went.
    pub async fn settle(&mut self) -> QuietStart {
        let started = Instant::now();
        let broker =
            match Connection::connect(&self.amqp_url, ConnectionProperties::default()).await {
                Ok(connection) => Some(connection),
                Err(e) => {
                    self.problems
                        .insert(format!("the broker is unreachable ({e})"));
                    None
                }
            };
        let found = self.look(broker.as_ref()).await;
        let mut last = found.clone();
        let mut smallest = (last.total(), Instant::now());
        let gave_up = loop {
            if last.total() == 0 {
                break None;
            }
            if started.elapsed() >= self.longest {
                break Some(format!("gave up after {:.0?}", self.longest));
            }
            if smallest.1.elapsed() >= STALL {
                break Some(format!("stalled for {STALL:.0?}"));
            }
            tokio::time::sleep(POLL).await;
            last = self.look(broker.as_ref()).await;
            if last.total() < smallest.0 {
                smallest = (last.total(), Instant::now());
            }
        };
        if let Some(connection) = broker {
            let _ = connection.close(200, "settled".into()).await;
        }
        QuietStart {
            waited_secs: round2(started.elapsed().as_secs_f64()),
            found,
            left: gave_up.is_some().then_some(last),
            gave_up,
        }
    }

    /// One look at every backlog; the broker's unacked and retrying messages only once
    /// the rest reads zero.
    async fn look(&mut self, broker: Option<&Connection>) -> Backlog {
        let (inventory, orders) = tokio::join!(
            counts(&self.psql, &self.inventory_db, INVENTORY_QUERY),
            counts(&self.psql, &self.orders_db, ORDERS_QUERY),
        );
        let inventory = self.noted(inventory, "the inventory database");
        let orders = self.noted(orders, "the orders database");
        let mut backlog = Backlog {
            inventory_outbox: inventory.as_ref().and_then(|c| c.first().copied()),
            overdue_holds: inventory.as_ref().and_then(|c| c.get(1).copied()),
            orders_outbox: orders.as_ref().and_then(|c| c.first().copied()),
            ready: match broker {
                Some(connection) => ready(connection).await,
                None => None,
            },
            ..Backlog::default()
        };
        if backlog.total() == 0 {
            let listing = list_queues().await;
            if let Some((unacked, retrying)) =
                self.noted(listing, "rabbitmqctl").as_deref().map(in_flight)
            {
                backlog.unacked = Some(unacked);
                backlog.retrying = Some(retrying);
            }
        }
        backlog
    }

    /// The value, or `None` with the reason kept for the notes.
    fn noted<T>(&mut self, result: anyhow::Result<T>, what: &str) -> Option<T> {
        result
            .map_err(|e| {
                self.problems
                    .insert(format!("{what} could not be read ({e:#})"))
            })
            .ok()
    }
}

/// Runs `query` in the database at `url`; the numbers of its one row.
async fn counts(program: &Path, url: &str, query: &str) -> anyhow::Result<Vec<u64>> {
    let args = ["-A", "-t", "-F", " ", "-c", query];
    parse_counts(&psql::run(program, url, CONNECT_TIMEOUT_SECS, &args).await?)
}

fn parse_counts(text: &str) -> anyhow::Result<Vec<u64>> {
    text.split_whitespace()
        .map(|word| {
            word.parse()
                .with_context(|| format!("{word:?} is not a count"))
        })
        .collect()
}

/// Messages ready in the consumers' queues; `None` if any queue could not be read.
async fn ready(connection: &Connection) -> Option<u64> {
    let mut total = 0;
    for subscription in SUBSCRIPTIONS {
        // One channel per look: a passive declare of a missing queue closes it.
        let channel = connection.create_channel().await.ok()?;
        let declared = channel
            .queue_declare(
                subscription.queue.into(),
                QueueDeclareOptions {
                    passive: true,
                    ..Default::default()
                },
                FieldTable::default(),
            )
            .await;
        let _ = channel.close(200, "looked".into()).await;
        total += u64::from(declared.ok()?.message_count());
    }
    Some(total)
}

/// `rabbitmqctl list_queues`: every queue with its ready and unacknowledged messages.
async fn list_queues() -> anyhow::Result<String> {
    let output = Command::new("rabbitmqctl")
        .args([
            "-q",
            "list_queues",
            "name",
            "messages_ready",
            "messages_unacknowledged",
        ])
        .stdin(Stdio::null())
        .output()
        .await
        .context("running rabbitmqctl")?;
    if !output.status.success() {
        bail!(
            "rabbitmqctl list_queues failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// From a `list_queues` listing (name, ready, unacked per line): the unacknowledged
/// messages of the consumers' queues, and every message of their retry queues. Dead
/// letters stay where they are and are not a backlog.
fn in_flight(listing: &str) -> (u64, u64) {
    let (mut unacked, mut retrying) = (0, 0);
    for line in listing.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [name, ready, delivered] = fields[..] else {
            continue;
        };
        let (Ok(ready), Ok(delivered)) = (ready.parse::<u64>(), delivered.parse::<u64>()) else {
            continue;
        };
        for subscription in SUBSCRIPTIONS {
            if name == subscription.queue {
                unacked += delivered;
            } else if name
                .strip_prefix(subscription.queue)
                .is_some_and(|rest| rest.starts_with(".retry"))
            {
                retrying += ready + delivered;
            }
        }
    }
    (unacked, retrying)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psql_answers_are_read_as_counts() {
        assert_eq!(parse_counts("12 0\n").unwrap(), vec![12, 0]);
        assert!(parse_counts("ERROR").is_err());
    }

    #[test]
    fn unacked_counts_the_consumer_queues_and_retrying_their_retry_queues() {
        let listing = "name\tmessages_ready\tmessages_unacknowledged\n\
            inventory-service.order_events\t7\t3\n\
            inventory-service.order_events.retry.400ms\t2\t0\n\
            inventory-service.order_events.dlq\t9\t0\n\
            order-service.inventory_events\t0\t5\n\
            test_x.order-service.inventory_events\t0\t50\n\
            inventory_events.journal\t1000\t0\n";
        assert_eq!(in_flight(listing), (8, 2));
    }
}
