//! No event is lost, against the real RabbitMQ and PostgreSQL: an event published
//! before its consumer queue exists stays in the outbox (counted as unroutable) and is
//! delivered once the queue is declared; an event nobody consumes goes to its exchange's
//! journal; with the whole topology declared (as the definitions file does), every
//! event type is routed from the start; a relay woken by its store publishes without
//! waiting for its poll, and one that is not finds the row by polling; a broker that stops answering fails the batch within the publish timeout,
//! the rows stay and are published once it answers again; and a relay cancelled while
//! it waits on the broker stops at once, leaving its rows.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use contracts::events::{
    EventType, INVENTORY_EXCHANGE, ORDER_EXCHANGE, OrderCancelled, OrderCommitRequested,
    OrderConfirmed, OrderCreated, ProductInventoryBelowSafetyStock, ProductInventoryCommitFailed,
    ProductInventoryCommitted, ProductInventoryCreated, ProductInventoryDepleted,
    ProductInventoryReleased, ProductInventoryReplenished, ProductInventoryReservationExpired,
    ProductInventoryReservationFailed, ProductInventoryReserved,
    subscriptions::{
        INVENTORY_JOURNAL, INVENTORY_SERVICE_ORDER_EVENTS, JOURNALS, ORDER_JOURNAL, SUBSCRIPTIONS,
    },
};
use lapin::{
    Channel, Connection, ConnectionProperties,
    options::{BasicGetOptions, QueueDeleteOptions},
};
use messaging::{
    BrokerHealth, ConsumerQueue, JournalQueue, Names, OutboxRelay, topology::declare_system,
};
use sqlx::PgPool;
use testkit::broker::amqp_url;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream, tcp::OwnedReadHalf, tcp::OwnedWriteHalf},
};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// A fresh database with the messaging tables, and broker names of its own.
async fn outbox() -> (PgPool, Names) {
    let db = testkit::fresh_database("messaging").await;
    let pool = PgPool::connect(&db.url).await.unwrap();
    messaging::schema::migrator().run(&pool).await.unwrap();
    (pool, Names::new(format!("{}.", db.name)))
}

/// Writes an event of type `T` into the outbox, as a service does; returns its id.
async fn enqueue<T: EventType>(pool: &PgPool) -> Uuid {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO outbox (id, exchange, routing_key, event_type, payload)
         VALUES ($1, $2, $3, $4, jsonb_build_object('id', $1::text))",
    )
    .bind(id)
    .bind(T::EXCHANGE)
    .bind(T::ROUTING_KEY)
    .bind(T::TYPE)
    .execute(pool)
    .await
    .unwrap();
    id
}

fn relay(pool: &PgPool, names: &Names, url: String, exchanges: Vec<&'static str>) -> OutboxRelay {
    OutboxRelay {
        pool: pool.clone(),
        amqp_url: url,
        names: names.clone(),
        batch: 16,
        poll_interval: Duration::from_millis(100),
        wake: Default::default(),
        lag: Default::default(),
        exchanges,
        health: BrokerHealth::default(),
    }
}

async fn rows(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM outbox")
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Rows nobody holds: a relay waiting on the broker holds its batch's.
async fn free_rows(pool: &PgPool) -> usize {
    sqlx::query("SELECT id FROM outbox FOR UPDATE SKIP LOCKED")
        .fetch_all(pool)
        .await
        .unwrap()
        .len()
}

async fn attempts(pool: &PgPool, id: Uuid) -> Option<i32> {
    sqlx::query_scalar("SELECT attempts FROM outbox WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await
        .unwrap()
}

async fn eventually(what: &str, within: Duration, check: impl AsyncFn() -> bool) {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting until {what}");
}

async fn channel() -> (Connection, Channel) {
    let connection = Connection::connect(&amqp_url(), ConnectionProperties::default())
        .await
        .expect("connect to RabbitMQ");
    let channel = connection.create_channel().await.unwrap();
    (connection, channel)
}

/// The message ids waiting in `queue`, taken off it.
async fn drain(channel: &Channel, queue: &str) -> Vec<String> {
    let mut ids = Vec::new();
    while let Some(message) = channel
        .basic_get(queue.into(), BasicGetOptions { no_ack: true })
        .await
        .unwrap()
    {
        let id = message.delivery.properties.message_id().clone();
        ids.push(id.map(|id| id.as_str().to_owned()).unwrap_or_default());
    }
    ids
}

/// The current value of `outbox_unroutable_total{event_type}`, 0 before the first.
fn unroutable_count(event_type: &str) -> u64 {
    let series = format!("outbox_unroutable_total{{event_type=\"{event_type}\"}} ");
    telemetry::metrics::render()
        .lines()
        .find_map(|line| line.strip_prefix(series.as_str()))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0)
}

/// Journals never expire on their own: the tests delete theirs.
async fn delete_queues(channel: &Channel, queues: &[String]) {
    for queue in queues {
        let _ = channel
            .queue_delete(queue.as_str().into(), QueueDeleteOptions::default())
            .await;
    }
}

#[tokio::test]
async fn an_event_published_before_its_consumer_queue_exists_waits_in_the_outbox_until_it_does() {
    telemetry::init_for_tests();
    let (pool, names) = outbox().await;
    let id = enqueue::<OrderCreated>(&pool).await;
    let before = unroutable_count(OrderCreated::TYPE);
    let stop = CancellationToken::new();
    let _stop_on_drop = stop.clone().drop_guard();
    // Only the publisher has run: order_events and its journal exist, the inventory's
    // queue does not.
    tokio::spawn(relay(&pool, &names, amqp_url(), vec![ORDER_EXCHANGE]).run(stop.clone()));

    eventually(
        "the broker returned the event twice",
        Duration::from_secs(15),
        async || attempts(&pool, id).await >= Some(2),
    )
    .await;
    assert_eq!(
        rows(&pool).await,
        1,
        "the returned event stays in the outbox"
    );
    assert!(
        unroutable_count(OrderCreated::TYPE) >= before + 2,
        "each return is counted"
    );
    let (_connection, channel) = channel().await;
    let journal = JournalQueue::of(&names, &ORDER_JOURNAL);
    assert!(
        drain(&channel, &journal.name).await.is_empty(),
        "the journal does not take an event that has a consumer"
    );

    // The consumer starts and declares its queue.
    let queue = ConsumerQueue::subscribed(
        &names,
        &INVENTORY_SERVICE_ORDER_EVENTS,
        vec![Duration::from_secs(1)],
        Some(Duration::from_secs(600)),
    );
    queue.declare(&channel).await.unwrap();
    eventually(
        "the event left the outbox",
        Duration::from_secs(40),
        async || rows(&pool).await == 0,
    )
    .await;
    assert_eq!(drain(&channel, &queue.name).await, [id.to_string()]);
    delete_queues(&channel, &[journal.name]).await;
}

#[tokio::test]
async fn events_nobody_consumes_go_to_their_exchanges_journal() {
    telemetry::init_for_tests();
    let (pool, names) = outbox().await;
    let created = enqueue::<ProductInventoryCreated>(&pool).await;
    let confirmed = enqueue::<OrderConfirmed>(&pool).await;
    let stop = CancellationToken::new();
    let _stop_on_drop = stop.clone().drop_guard();
    tokio::spawn(
        relay(
            &pool,
            &names,
            amqp_url(),
            vec![INVENTORY_EXCHANGE, ORDER_EXCHANGE],
        )
        .run(stop.clone()),
    );

    eventually(
        "both events left the outbox",
        Duration::from_secs(15),
        async || rows(&pool).await == 0,
    )
    .await;
    let (_connection, channel) = channel().await;
    let inventory = JournalQueue::of(&names, &INVENTORY_JOURNAL).name;
    let orders = JournalQueue::of(&names, &ORDER_JOURNAL).name;
    assert_eq!(drain(&channel, &inventory).await, [created.to_string()]);
    assert_eq!(drain(&channel, &orders).await, [confirmed.to_string()]);
    assert_eq!(unroutable_count(ProductInventoryCreated::TYPE), 0);
    assert_eq!(unroutable_count(OrderConfirmed::TYPE), 0);
    delete_queues(&channel, &[inventory, orders]).await;
}

#[tokio::test]
async fn with_the_whole_topology_declared_every_event_type_is_routed_before_any_consumer_runs() {
    telemetry::init_for_tests();
    let (pool, names) = outbox().await;
    let (_connection, channel) = channel().await;
    let retry_delays = [Duration::from_secs(1)];
    let expires = Some(Duration::from_secs(600));
    declare_system(&channel, &names, &retry_delays, expires)
        .await
        .unwrap();
    let ids = [
        enqueue::<ProductInventoryCreated>(&pool).await,
        enqueue::<ProductInventoryReserved>(&pool).await,
        enqueue::<ProductInventoryReservationFailed>(&pool).await,
        enqueue::<ProductInventoryReleased>(&pool).await,
        enqueue::<ProductInventoryCommitted>(&pool).await,
        enqueue::<ProductInventoryCommitFailed>(&pool).await,
        enqueue::<ProductInventoryReplenished>(&pool).await,
        enqueue::<ProductInventoryReservationExpired>(&pool).await,
        enqueue::<ProductInventoryDepleted>(&pool).await,
        enqueue::<ProductInventoryBelowSafetyStock>(&pool).await,
        enqueue::<OrderCreated>(&pool).await,
        enqueue::<OrderCommitRequested>(&pool).await,
        enqueue::<OrderConfirmed>(&pool).await,
        enqueue::<OrderCancelled>(&pool).await,
    ];
    let stop = CancellationToken::new();
    let _stop_on_drop = stop.clone().drop_guard();
    tokio::spawn(
        relay(
            &pool,
            &names,
            amqp_url(),
            vec![INVENTORY_EXCHANGE, ORDER_EXCHANGE],
        )
        .run(stop.clone()),
    );
    eventually(
        "every event left the outbox",
        Duration::from_secs(15),
        async || rows(&pool).await == 0,
    )
    .await;

    let mut queues: Vec<String> = SUBSCRIPTIONS
        .iter()
        .map(|s| names.queue(s.queue))
        .chain(JOURNALS.iter().map(|j| names.queue(j.queue)))
        .collect();
    let mut delivered = Vec::new();
    for queue in &queues {
        delivered.extend(drain(&channel, queue).await);
    }
    delivered.sort();
    let mut expected: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    expected.sort();
    assert_eq!(delivered, expected, "each event in exactly one queue");
    // The consumers' queues expire; the journals do not.
    queues.drain(..SUBSCRIPTIONS.len());
    delete_queues(&channel, &queues).await;
}

#[tokio::test]
async fn a_broker_that_stops_answering_fails_the_batch_in_time_and_the_rows_wait_for_it() {
    let (pool, names) = outbox().await;
    let (_connection, channel) = channel().await;
    let queue = sink(&names, &channel).await;
    let proxy = StallingProxy::start().await;
    let relay = relay(&pool, &names, proxy.url(), vec!["test_events"]);
    let health = relay.health.clone();
    let stop = CancellationToken::new();
    let _stop_on_drop = stop.clone().drop_guard();
    tokio::spawn(relay.run_with_publish_timeout(stop.clone(), Duration::from_secs(1)));
    eventually(
        "the relay is connected",
        Duration::from_secs(15),
        async || health.is_up(),
    )
    .await;

    proxy.stall();
    let id = enqueue_test_row(&pool).await;
    eventually(
        "the relay holds the row, waiting on the broker",
        Duration::from_secs(5),
        async || free_rows(&pool).await == 0,
    )
    .await;
    eventually(
        "the batch failed on its timeout and let go of the row",
        Duration::from_secs(5),
        async || !health.is_up() && free_rows(&pool).await == 1,
    )
    .await;
    assert_eq!(rows(&pool).await, 1);

    proxy.resume();
    eventually(
        "the relay reconnected and published the row",
        Duration::from_secs(20),
        async || rows(&pool).await == 0,
    )
    .await;
    // The broker may also have taken the first try, held in the stalled connection.
    let delivered = drain(&channel, &queue).await;
    assert!(delivered.contains(&id.to_string()), "{delivered:?}");
}

#[tokio::test]
async fn a_relay_cancelled_while_it_waits_on_the_broker_stops_at_once_and_leaves_its_rows() {
    let (pool, names) = outbox().await;
    let (_connection, channel) = channel().await;
    sink(&names, &channel).await;
    let proxy = StallingProxy::start().await;
    let relay = relay(&pool, &names, proxy.url(), vec!["test_events"]);
    let health = relay.health.clone();
    let stop = CancellationToken::new();
    // A timeout far beyond the test: only the cancellation can end the wait.
    let running =
        tokio::spawn(relay.run_with_publish_timeout(stop.clone(), Duration::from_secs(120)));
    eventually(
        "the relay is connected",
        Duration::from_secs(15),
        async || health.is_up(),
    )
    .await;

    proxy.stall();
    enqueue_test_row(&pool).await;
    eventually(
        "the relay holds the row, waiting on the broker",
        Duration::from_secs(5),
        async || free_rows(&pool).await == 0,
    )
    .await;
    let cancelled = Instant::now();
    stop.cancel();
    tokio::time::timeout(Duration::from_secs(3), running)
        .await
        .expect("the relay stops within 3 s")
        .unwrap();
    assert!(cancelled.elapsed() < Duration::from_secs(3));
    eventually(
        "the abandoned batch rolled back",
        Duration::from_secs(5),
        async || free_rows(&pool).await == 1,
    )
    .await;
    assert_eq!(rows(&pool).await, 1, "the row waits for the next run");
}

/// A queue bound to the test rows' key, so that they are routable.
async fn sink(names: &Names, channel: &Channel) -> String {
    let queue = ConsumerQueue {
        name: names.queue("sink"),
        bindings: vec![(names.exchange("test_events"), "test.#".into())],
        retry_delays: vec![],
        expires: Some(Duration::from_secs(600)),
    };
    queue.declare(channel).await.unwrap();
    queue.name
}

async fn enqueue_test_row(pool: &PgPool) -> Uuid {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO outbox (id, exchange, routing_key, event_type, payload)
         VALUES ($1, 'test_events', 'test.row', 'Row', '{}')",
    )
    .bind(id)
    .execute(pool)
    .await
    .unwrap();
    id
}

/// A TCP proxy to the broker that can stop passing bytes, both ways, as a broker that
/// blocks its publishers or a network that drops packets does: the client's socket
/// stays open, and nothing comes back.
#[derive(Debug)]
struct StallingProxy {
    port: u16,
    stalled: Arc<AtomicBool>,
}

impl StallingProxy {
    async fn start() -> Self {
        let upstream = broker_address(&amqp_url());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let stalled = Arc::new(AtomicBool::new(false));
        let gate = stalled.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(&upstream).await else {
                    continue;
                };
                let (client_read, client_write) = client.into_split();
                let (server_read, server_write) = server.into_split();
                tokio::spawn(pipe(client_read, server_write, gate.clone()));
                tokio::spawn(pipe(server_read, client_write, gate.clone()));
            }
        });
        Self { port, stalled }
    }

    fn url(&self) -> String {
        format!("amqp://guest:guest@127.0.0.1:{}/%2f", self.port)
    }

    fn stall(&self) {
        self.stalled.store(true, Ordering::SeqCst);
    }

    fn resume(&self) {
        self.stalled.store(false, Ordering::SeqCst);
    }
}

/// Copies `from` to `to`, holding what it read while `stalled` is set.
async fn pipe(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, stalled: Arc<AtomicBool>) {
    let mut buffer = vec![0; 16 * 1024];
    loop {
        let read = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(read) => read,
        };
        while stalled.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if to.write_all(&buffer[..read]).await.is_err() {
            return;
        }
    }
}

/// `host:port` of an AMQP URL (`amqp://user:pass@host:port/vhost`).
fn broker_address(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, rest)| rest);
    let host = rest.split('/').next().unwrap_or(rest);
    if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:5672")
    }
}

/// Waits until the outbox is empty, or `within` passes; answers how long it took.
async fn drained(pool: &PgPool, within: Duration) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < within {
        if rows(pool).await == 0 {
            return Some(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    None
}

#[tokio::test]
async fn a_woken_relay_publishes_at_once_and_an_unwoken_row_waits_at_most_one_poll() {
    let (pool, names) = outbox().await;
    let connection = Connection::connect(&amqp_url(), ConnectionProperties::default())
        .await
        .unwrap();
    let channel = connection.create_channel().await.unwrap();
    declare_system(
        &channel,
        &names,
        &[Duration::from_secs(1)],
        Some(Duration::from_secs(60)),
    )
    .await
    .unwrap();
    let mut relay = relay(&pool, &names, amqp_url(), vec![ORDER_EXCHANGE]);
    // A long poll: only a wake can explain a quick delivery.
    relay.poll_interval = Duration::from_secs(6);
    let wake = relay.wake.clone();
    let stop = CancellationToken::new();
    let running = tokio::spawn(relay.run(stop.clone()));
    // Let the relay connect and settle into its longest pause.
    tokio::time::sleep(Duration::from_secs(7)).await;

    enqueue::<OrderCreated>(&pool).await;
    wake.wake();
    let woken = drained(&pool, Duration::from_secs(4)).await;
    assert!(woken.is_some(), "a woken relay waited for its poll");

    // Written by "another instance": no wake, found by the poll.
    tokio::time::sleep(Duration::from_secs(7)).await;
    enqueue::<OrderCreated>(&pool).await;
    let polled = drained(&pool, Duration::from_secs(8)).await;
    assert!(
        polled.is_some(),
        "an unwoken row was not published within one poll"
    );
    stop.cancel();
    running.await.unwrap();
    for subscription in &SUBSCRIPTIONS {
        let queue = names.queue(subscription.queue);
        channel
            .queue_delete(queue.as_str().into(), QueueDeleteOptions::default())
            .await
            .ok();
    }
    connection.close(200, "done".into()).await.ok();
}
