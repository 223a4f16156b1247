//! The messaging plumbing against the real RabbitMQ and PostgreSQL: retries and dead
//! letters with replay, and relays that never publish a row twice.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use contracts::events::RawEnvelope;
use messaging::{
    BrokerHealth, Consumer, ConsumerQueue, HandleError, Handler, Names, OutboxRelay, dead_letters,
};
use serde_json::json;
use testkit::broker::{EventTap, RawPublisher, amqp_url, queue_depth, wait_for_consumer};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// Fails every event of type `Poison` while `broken` is set; records what it handled.
#[derive(Debug, Default)]
struct FlakyHandler {
    broken: AtomicBool,
    attempts: Mutex<HashMap<Uuid, u32>>,
    handled: Mutex<Vec<Uuid>>,
}

impl Handler for FlakyHandler {
    async fn handle(&self, event: RawEnvelope) -> Result<(), HandleError> {
        *self.attempts.lock().unwrap().entry(event.id).or_default() += 1;
        if event.event_type == "Poison" && self.broken.load(Ordering::SeqCst) {
            return Err(HandleError::Retry(anyhow::anyhow!("the database is away")));
        }
        self.handled.lock().unwrap().push(event.id);
        Ok(())
    }
}

fn envelope(id: Uuid, event_type: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "id": id, "type": event_type, "version": 1, "source": "test",
        "occurredAt": "2026-01-01T00:00:00Z", "correlationId": "c", "data": {}
    }))
    .unwrap()
}

/// A relay of `pool`'s outbox to the `test_events` exchange under `prefix`.
fn test_relay(pool: &sqlx::PgPool, prefix: &str, batch: i64) -> OutboxRelay {
    OutboxRelay {
        pool: pool.clone(),
        amqp_url: amqp_url(),
        names: Names::new(prefix.to_owned()),
        batch,
        poll_interval: Duration::from_millis(200),
        wake: Default::default(),
        lag: Default::default(),
        exchanges: vec!["test_events"],
        health: BrokerHealth::default(),
    }
}

async fn eventually(what: &str, check: impl AsyncFn() -> bool) {
    for _ in 0..150 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting until {what}");
}

#[tokio::test]
async fn a_failing_message_is_retried_three_times_then_dead_lettered_and_replays_once_fixed() {
    let prefix = format!("test_messaging_{}.", Uuid::now_v7().simple());
    let names = Names::new(prefix.clone());
    let exchange = names.exchange("test_events");
    let queue = ConsumerQueue {
        name: names.queue("consumer"),
        bindings: vec![(exchange.clone(), "test.#".into())],
        retry_delays: vec![
            Duration::from_millis(100),
            Duration::from_millis(200),
            Duration::from_millis(400),
        ],
        expires: Some(Duration::from_secs(600)),
    };
    let handler = Arc::new(FlakyHandler {
        broken: AtomicBool::new(true),
        ..Default::default()
    });
    let stop = CancellationToken::new();
    let _stop_on_drop = stop.clone().drop_guard();
    tokio::spawn(
        Consumer {
            amqp_url: amqp_url(),
            queue: queue.clone(),
            prefetch: 8,
            handler: handler.clone(),
        }
        .run(stop.clone()),
    );
    wait_for_consumer(&queue.name).await;
    let publisher = RawPublisher::connect().await;
    let (poison, fine) = (Uuid::now_v7(), Uuid::now_v7());
    publisher
        .publish(
            &exchange,
            "test.poison",
            &poison.to_string(),
            &envelope(poison, "Poison"),
        )
        .await;
    publisher
        .publish(
            &exchange,
            "test.fine",
            &fine.to_string(),
            &envelope(fine, "Fine"),
        )
        .await;

    eventually("the poison is dead-lettered", async || {
        queue_depth(&queue.dlq()).await == 1
    })
    .await;
    assert_eq!(
        handler.attempts.lock().unwrap()[&poison],
        4,
        "one try and three retries"
    );
    assert_eq!(
        *handler.handled.lock().unwrap(),
        vec![fine],
        "the message after it was handled"
    );

    let letters = dead_letters::list(&amqp_url(), &queue, 10).await.unwrap();
    assert_eq!(letters.len(), 1);
    let letter = &letters[0];
    assert_eq!(letter.id, poison.to_string());
    assert_eq!(letter.retries, 3);
    assert!(
        letter
            .reason
            .as_deref()
            .unwrap()
            .contains("the database is away"),
        "{letter:?}"
    );
    assert_eq!(letter.original_exchange.as_deref(), Some(exchange.as_str()));
    assert_eq!(letter.original_routing_key.as_deref(), Some("test.poison"));

    // The cause is fixed; the operator replays it.
    handler.broken.store(false, Ordering::SeqCst);
    assert!(
        !dead_letters::replay(&amqp_url(), &queue, "no-such-id", 10)
            .await
            .unwrap()
    );
    assert!(
        dead_letters::replay(&amqp_url(), &queue, &poison.to_string(), 10)
            .await
            .unwrap()
    );
    eventually("the replayed message is handled", async || {
        handler.handled.lock().unwrap().contains(&poison)
    })
    .await;
    assert_eq!(queue_depth(&queue.dlq()).await, 0);
}

#[tokio::test]
async fn two_relays_on_one_outbox_publish_every_row_exactly_once() {
    let db = testkit::fresh_database("messaging").await;
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    messaging::schema::migrator().run(&pool).await.unwrap();
    let prefix = format!("{}.", db.name);
    let mut tap = EventTap::start(&format!("{prefix}test_events")).await;
    let ids: Vec<Uuid> = (0..400).map(|_| Uuid::now_v7()).collect();
    for chunk in ids.chunks(100) {
        sqlx::query(
            "INSERT INTO outbox (id, exchange, routing_key, event_type, payload)
             SELECT id, 'test_events', 'test.row', 'Row', jsonb_build_object('id', id) FROM unnest($1::uuid[]) AS id",
        )
        .bind(chunk)
        .execute(&pool)
        .await
        .unwrap();
    }
    let stop = CancellationToken::new();
    let _stop_on_drop = stop.clone().drop_guard();
    for _ in 0..2 {
        tokio::spawn(test_relay(&pool, &prefix, 16).run(stop.clone()));
    }
    let seen = tap
        .collect(Duration::from_secs(2), Duration::from_secs(20))
        .await;
    let mut published: Vec<String> = seen.iter().map(|m| m.message_id.clone().unwrap()).collect();
    assert_eq!(published.len(), 400, "every row once");
    published.sort();
    published.dedup();
    assert_eq!(published.len(), 400, "no row twice");
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(left, 0);
}

/// The outbox is a queue: every published row leaves a dead version behind. The relay
/// vacuums it as it goes (on start, then every VACUUM_AFTER deleted rows), whether or
/// not the server's autovacuum runs.
#[tokio::test]
async fn the_relay_vacuums_the_outbox_as_it_empties_it() {
    let db = testkit::fresh_database("messaging_vacuum").await;
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    messaging::schema::migrator().run(&pool).await.unwrap();
    // The server may vacuum on its own; only this relay's vacuums are counted.
    sqlx::query("ALTER TABLE outbox SET (autovacuum_enabled = false)")
        .execute(&pool)
        .await
        .unwrap();
    let prefix = format!("{}.", db.name);
    let mut tap = EventTap::start(&format!("{prefix}test_events")).await;
    let rows = messaging::relay::VACUUM_AFTER as i64 + 500;
    sqlx::query(
        "INSERT INTO outbox (id, exchange, routing_key, event_type, payload)
         SELECT gen_random_uuid(), 'test_events', 'test.row', 'Row', '{}'::jsonb
           FROM generate_series(1, $1)",
    )
    .bind(rows)
    .execute(&pool)
    .await
    .unwrap();
    let stop = CancellationToken::new();
    let _stop_on_drop = stop.clone().drop_guard();
    tokio::spawn(test_relay(&pool, &prefix, 256).run(stop.clone()));
    let seen = tap
        .collect(Duration::from_secs(2), Duration::from_secs(30))
        .await;
    assert_eq!(seen.len() as i64, rows);
    let vacuums = async || -> i64 {
        sqlx::query_scalar("SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = 'outbox'")
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    // Once on start, once after VACUUM_AFTER deleted rows. (How many dead rows a
    // vacuum leaves depends on the deletes that commit while it runs: not asserted.)
    eventually("the relay vacuumed the outbox twice", async || {
        vacuums().await >= 2
    })
    .await;
}
