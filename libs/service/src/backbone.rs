//! The backbone of a domain service: its own database (with the messaging tables) and
//! the broker, with the workers that move events between them. Each domain service
//! reads the same settings for them and wires them the same way; only its store, its
//! consumer's handler and the exchanges it owns differ.
//!
//! - [`Backbone::connect`]: the database created if missing, the messaging migrations
//!   then the service's run, the pool opened.
//! - [`Backbone::messaging`]: the outbox relay, the consumer of the service's queue, the
//!   retention of handled-event ids (and of the service's other settled rows), the
//!   broker's health as `/readyz` reads it, and the admin routes over the queue's DLQ;
//!   [`Messaging::service`] puts the service's routes in the shell and adds the three
//!   workers.

use std::{sync::Arc, time::Duration};

use access::LoadLimits;
use axum::Router;
use contracts::events::subscriptions::Subscription;
use messaging::{
    Backpressure, BrokerHealth, Consumer, ConsumerQueue, Database, Handler, Names, OutboxRelay,
    admin::Admin, retention::Retention, topology::definitions::DEFAULT_RETRY_DELAYS,
};
use settings::{millis, millis_list, optional_millis, secret, var};
use sqlx::migrate::Migrator;

use crate::{
    Builder, Pace, Periodic, Service,
    settings::{DEFAULT_AMQP_URL, Http, SECS_PER_DAY, TEST_ADMIN_KEY, days},
};

/// What a domain service that owns a database and talks through the broker reads.
#[derive(Debug, Clone)]
pub struct Backbone {
    /// `DATABASE_URL` [postgres://postgres@127.0.0.1:5432/<the service's database>];
    /// created if missing.
    pub database_url: String,
    /// `DATABASE_MAX_CONNECTIONS` [4 per core, at least 8]: sized to the cores, since
    /// more connections than PostgreSQL has cores to run them only queue inside it.
    pub database_max_connections: u32,
    /// `AMQP_URL` [amqp://guest:guest@127.0.0.1:5672/%2f]
    pub amqp_url: String,
    /// `AMQP_NAME_PREFIX` [empty]: prefix of every exchange and queue name, so several
    /// independent deployments (or test runs) can share one broker.
    pub amqp_name_prefix: String,
    /// `AMQP_QUEUE_EXPIRES_MS` [unset]: idle queues delete themselves (for tests).
    pub amqp_queue_expires: Option<Duration>,
    /// `CONSUMER_PREFETCH` [32]: unacknowledged events in flight.
    pub consumer_prefetch: u16,
    /// `RETRY_DELAYS_MS` [1000,2000,4000]: backoff of a failed event before it is
    /// dead-lettered. The broker's definitions file declares the retry queues with the
    /// same defaults (`messaging::topology::definitions::DEFAULT_RETRY_DELAYS`).
    pub retry_delays: Vec<Duration>,
    /// `OUTBOX_POLL_INTERVAL_MS` [250]: the longest pause of the relay's adaptive poll
    /// (its own commits wake it at once; this bounds how long a row written by another
    /// instance waits).
    pub outbox_poll_interval: Duration,
    /// `OUTBOX_BATCH` [256]: most events per relay transaction.
    pub outbox_batch: i64,
    /// `OUTBOX_RELAYS` [2, at most 4]: relays publishing this process's outbox side by
    /// side, each claiming its own rows (`SKIP LOCKED`), so that one relay's round trips
    /// to the database and the broker do not leave the outbox waiting.
    pub outbox_relays: usize,
    /// `OUTBOX_MAX_LAG_MS` [250]: while the oldest event the relay publishes has waited
    /// longer, the routes that start new work answer 503 until it catches up
    /// (`messaging::backpressure`); 0 never refuses.
    pub outbox_max_lag: Duration,
    /// `CONSUMERS_MAX_QUEUED` [256]: while more events wait, ready, in the event path's
    /// consumer queues, the routes that start new work answer 503 too;
    /// 0 never refuses.
    pub consumers_max_queued: u64,
    /// `ADMIN_API_KEY` [unset: admin routes refuse every request]
    pub admin_api_key: Option<String>,
    /// `RETENTION_DAYS` [7]: how long the ids of handled events (the inbox) and other
    /// settled records are kept. An event redelivered later (a dead letter replayed) is
    /// handled again: keep it well above the longest such delay.
    pub retention: Duration,
    /// `PRUNE_INTERVAL_SECS` [3600]: how often what outlived the retention is deleted.
    pub prune_interval: Duration,
    /// `MAX_CONCURRENT_REQUESTS` [256] and `REQUEST_TIMEOUT_MS` [10000]: beyond them a
    /// request is answered 503 or 504 at once instead of queueing.
    pub load_limits: LoadLimits,
}

impl Backbone {
    /// Reads the process environment; `database` names the default database.
    pub fn from_env(database: &str) -> anyhow::Result<Self> {
        let backbone = Self {
            database_url: var(
                "DATABASE_URL",
                format!("postgres://postgres@127.0.0.1:5432/{database}"),
            )?,
            database_max_connections: var("DATABASE_MAX_CONNECTIONS", pool_size_for_cores())?,
            amqp_url: var("AMQP_URL", DEFAULT_AMQP_URL.to_owned())?,
            amqp_name_prefix: var("AMQP_NAME_PREFIX", String::new())?,
            amqp_queue_expires: optional_millis("AMQP_QUEUE_EXPIRES_MS")?,
            consumer_prefetch: var("CONSUMER_PREFETCH", 32)?,
            retry_delays: millis_list("RETRY_DELAYS_MS", &DEFAULT_RETRY_DELAYS)?,
            outbox_poll_interval: millis("OUTBOX_POLL_INTERVAL_MS", 250)?,
            outbox_batch: var("OUTBOX_BATCH", 256)?,
            outbox_relays: var("OUTBOX_RELAYS", 2)?,
            outbox_max_lag: millis("OUTBOX_MAX_LAG_MS", 250)?,
            consumers_max_queued: var("CONSUMERS_MAX_QUEUED", 256)?,
            admin_api_key: secret("ADMIN_API_KEY")?,
            retention: days("RETENTION_DAYS", 7)?,
            prune_interval: Duration::from_secs(var("PRUNE_INTERVAL_SECS", 3600)?),
            load_limits: LoadLimits::from_env()?,
        };
        backbone.validate()?;
        Ok(backbone)
    }

    /// A test instance: the given database and broker names (under
    /// `amqp_name_prefix`), the broker of `AMQP_URL`, queues that expire once idle,
    /// short retries, admin key [`TEST_ADMIN_KEY`].
    pub fn for_tests(database_url: &str, amqp_name_prefix: &str) -> Self {
        Self {
            database_url: database_url.to_owned(),
            database_max_connections: 8,
            amqp_url: std::env::var("AMQP_URL").unwrap_or_else(|_| DEFAULT_AMQP_URL.to_owned()),
            amqp_name_prefix: amqp_name_prefix.to_owned(),
            amqp_queue_expires: Some(Duration::from_secs(600)),
            consumer_prefetch: 32,
            retry_delays: [100, 200, 400].map(Duration::from_millis).to_vec(),
            outbox_poll_interval: Duration::from_millis(500),
            outbox_batch: 256,
            outbox_relays: 2,
            outbox_max_lag: Duration::ZERO,
            consumers_max_queued: 0,
            admin_api_key: Some(TEST_ADMIN_KEY.to_owned()),
            retention: Duration::from_secs(7 * SECS_PER_DAY),
            prune_interval: Duration::from_secs(3600),
            load_limits: LoadLimits::default(),
        }
    }

    fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.database_max_connections > 0,
            "DATABASE_MAX_CONNECTIONS must be > 0"
        );
        anyhow::ensure!(self.consumer_prefetch > 0, "CONSUMER_PREFETCH must be > 0");
        anyhow::ensure!(self.outbox_batch > 0, "OUTBOX_BATCH must be > 0");
        anyhow::ensure!(
            (1..=RELAY_NAMES.len()).contains(&self.outbox_relays),
            "OUTBOX_RELAYS must be 1 to {}",
            RELAY_NAMES.len()
        );
        anyhow::ensure!(!self.retention.is_zero(), "RETENTION_DAYS must be > 0");
        anyhow::ensure!(
            !self.prune_interval.is_zero(),
            "PRUNE_INTERVAL_SECS must be > 0"
        );
        Ok(())
    }
}

impl Backbone {
    /// Broker names under this deployment's prefix.
    pub fn names(&self) -> Names {
        Names::new(self.amqp_name_prefix.clone())
    }

    /// The service's consumer queue for `subscription` (from the system's table,
    /// `contracts::events::subscriptions`), with this deployment's retries and expiry.
    pub fn queue(&self, subscription: &Subscription) -> ConsumerQueue {
        ConsumerQueue::subscribed(
            &self.names(),
            subscription,
            self.retry_delays.clone(),
            self.amqp_queue_expires,
        )
    }

    /// Creates the database if missing, runs the messaging library's migrations and then
    /// `service_migrations`, and opens the pool.
    pub async fn connect(&self, service_migrations: &Migrator) -> anyhow::Result<Database> {
        let pool = database::connect(
            &self.database_url,
            self.database_max_connections,
            &[&messaging::schema::migrator(), service_migrations],
        )
        .await?;
        Ok(Database::new(pool))
    }

    /// The bounds on `db`'s relay lag and on the events waiting for their consumers, for
    /// the routes that start new work.
    pub fn backpressure(&self, db: &Database) -> Backpressure {
        Backpressure::new(
            db.relay_lag().clone(),
            self.outbox_max_lag,
            self.consumers_max_queued,
        )
    }

    /// The messaging side of the service: the relay publishes what the store writes to
    /// the outbox of `db` (woken by its commits) to the `exchanges` it owns; the consumer
    /// hands the deliveries of `queue` to `handler`.
    pub fn messaging<H: Handler>(
        &self,
        db: &Database,
        exchanges: &[&'static str],
        queue: ConsumerQueue,
        handler: Arc<H>,
    ) -> Messaging<H> {
        let broker = BrokerHealth::default();
        Messaging {
            relay: OutboxRelay {
                pool: db.pool().clone(),
                amqp_url: self.amqp_url.clone(),
                names: self.names(),
                batch: self.outbox_batch,
                poll_interval: self.outbox_poll_interval,
                wake: db.wake().clone(),
                lag: db.relay_lag().clone(),
                exchanges: exchanges.to_vec(),
                health: broker.clone(),
            },
            relays: self.outbox_relays,
            admin: Arc::new(Admin {
                callers: Admin::callers_from_env(self.admin_api_key.as_deref()),
                amqp_url: self.amqp_url.clone(),
                queue: queue.clone(),
            }),
            consumer: Consumer {
                amqp_url: self.amqp_url.clone(),
                queue,
                prefetch: self.consumer_prefetch,
                handler,
            },
            retention: Retention::new(db.pool().clone(), self.retention),
            prune_interval: self.prune_interval,
            broker,
        }
    }
}

/// The workers' names of the relays, one per relay that may run.
const RELAY_NAMES: [&str; 4] = [
    "outbox relay",
    "outbox relay 2",
    "outbox relay 3",
    "outbox relay 4",
];

/// The default pool: 4 connections per core the process may use, at least 8.
fn pool_size_for_cores() -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    u32::try_from(cores * 4).unwrap_or(u32::MAX).max(8)
}

/// A domain service's messaging, wired ([`Backbone::messaging`]).
#[derive(Debug)]
pub struct Messaging<H> {
    pub relay: OutboxRelay,
    /// How many copies of `relay` run.
    relays: usize,
    pub consumer: Consumer<H>,
    /// Prunes the inbox; add the service's own settled rows with [`Retention::also`].
    pub retention: Retention,
    prune_interval: Duration,
    /// Whether the relay's connection is up, for `/readyz`.
    pub broker: BrokerHealth,
    /// The admin routes' settings, over the consumer's DLQ.
    pub admin: Arc<Admin>,
}

impl<H: Handler> Messaging<H> {
    /// The domain service `name`: `routes` in the service shell (with the backbone's load
    /// limits and `http`'s body limit), and the relay, the consumer and the retention as
    /// its workers. Add the service's own workers, then bind `http.address()`.
    pub fn service<S>(
        self,
        name: &'static str,
        http: &Http,
        backbone: &Backbone,
        routes: Router<S>,
        state: S,
    ) -> Builder
    where
        S: Clone + Send + Sync + 'static,
    {
        let router = crate::http::shell(
            routes,
            state,
            http.body_limit_bytes,
            None,
            &backbone.load_limits,
        );
        self.workers(Service::builder(name, router))
    }

    /// Adds the relay, the consumer and the retention to `service`. At a stop, the
    /// events being handled finish; a relay batch in flight is abandoned (its rows stay
    /// for the next start) and so is a retention round (each batch commits on its own).
    pub fn workers(self, service: Builder) -> Builder {
        let Self {
            relay,
            relays,
            consumer,
            retention,
            prune_interval,
            ..
        } = self;
        let service = RELAY_NAMES[..relays].iter().fold(service, |service, name| {
            let relay = relay.clone();
            service.worker(name, move |stop| relay.run(stop))
        });
        service
            .worker("consumer", move |stop| consumer.run(stop))
            .worker("retention", move |stop| async move {
                Periodic::new("retention", prune_interval)
                    .abandoning_rounds_on_stop()
                    .run(stop, || async {
                        retention
                            .prune(chrono::Utc::now())
                            .await
                            .map(|_| Pace::Idle)
                    })
                    .await;
            })
    }
}
