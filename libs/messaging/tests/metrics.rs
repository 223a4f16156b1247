//! What the messaging plumbing reports on `/metrics`, against the real RabbitMQ and
//! PostgreSQL: consumed deliveries by event type and outcome, the DLQ's depth, published
//! events and the outbox backlog. Other tests may record into the same process-wide
//! recorder, so these check for series, not for exact totals.

use std::{sync::Arc, time::Duration};

use contracts::events::RawEnvelope;
use messaging::{BrokerHealth, Consumer, ConsumerQueue, HandleError, Handler, Names, OutboxRelay};
use serde_json::json;
use testkit::broker::{RawPublisher, amqp_url, queue_depth, wait_for_consumer};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// Handles `MetricFine`, rejects everything else.
#[derive(Debug)]
struct PickyHandler;

impl Handler for PickyHandler {
    async fn handle(&self, event: RawEnvelope) -> Result<(), HandleError> {
        if event.event_type == "MetricFine" {
            Ok(())
        } else {
            Err(HandleError::Reject(format!(
                "no use for {}",
                event.event_type
            )))
        }
    }
}

fn envelope(id: Uuid, event_type: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "id": id, "type": event_type, "version": 1, "source": "test",
        "occurredAt": "2026-01-01T00:00:00Z", "correlationId": "c", "data": {}
    }))
    .unwrap()
}

/// The rendering once it contains every one of `expected`, or a panic saying which are
/// missing after 15 s.
async fn rendered_with(expected: &[String]) -> String {
    let mut rendered = String::new();
    for _ in 0..150 {
        rendered = telemetry::metrics::render();
        if expected.iter().all(|e| rendered.contains(e.as_str())) {
            return rendered;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let missing: Vec<&String> = expected
        .iter()
        .filter(|e| !rendered.contains(e.as_str()))
        .collect();
    panic!("missing {missing:?} in:\n{rendered}");
}

#[tokio::test]
async fn settled_deliveries_are_counted_by_event_type_and_outcome_and_the_dlq_depth_is_sampled() {
    telemetry::init_for_tests();
    let names = Names::new(format!("test_metrics_{}.", Uuid::now_v7().simple()));
    let exchange = names.exchange("test_events");
    let queue = ConsumerQueue {
        name: names.queue("consumer"),
        bindings: vec![(exchange.clone(), "test.#".into())],
        retry_delays: vec![Duration::from_millis(100)],
        expires: Some(Duration::from_secs(600)),
    };
    let stop = CancellationToken::new();
    let _stop_on_drop = stop.clone().drop_guard();
    tokio::spawn(
        Consumer {
            amqp_url: amqp_url(),
            queue: queue.clone(),
            prefetch: 8,
            handler: Arc::new(PickyHandler),
        }
        .run(stop.clone()),
    );
    wait_for_consumer(&queue.name).await;
    let publisher = RawPublisher::connect().await;
    let (fine, odd) = (Uuid::now_v7(), Uuid::now_v7());
    publisher
        .publish(
            &exchange,
            "test.fine",
            &fine.to_string(),
            &envelope(fine, "MetricFine"),
        )
        .await;
    publisher
        .publish(
            &exchange,
            "test.odd",
            &odd.to_string(),
            &envelope(odd, "MetricOdd"),
        )
        .await;
    publisher
        .publish(&exchange, "test.junk", "junk", b"not an envelope")
        .await;

    let rendered = rendered_with(&[
        r#"events_consumed_total{event_type="MetricFine",outcome="handled"}"#.to_owned(),
        r#"events_consumed_total{event_type="MetricOdd",outcome="dead_lettered"}"#.to_owned(),
        r#"events_consumed_total{event_type="unknown",outcome="dead_lettered"}"#.to_owned(),
        format!(r#"dlq_depth{{queue="{}"}}"#, queue.dlq()),
    ])
    .await;

    assert!(rendered.contains("# TYPE dlq_depth gauge"), "{rendered}");
    assert_eq!(
        queue_depth(&queue.dlq()).await,
        2,
        "the odd one and the junk"
    );
}

#[tokio::test]
async fn confirmed_events_are_counted_and_the_outbox_backlog_is_sampled() {
    telemetry::init_for_tests();
    let db = testkit::fresh_database("messaging").await;
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    messaging::schema::migrator().run(&pool).await.unwrap();
    sqlx::raw_sql(
        "INSERT INTO outbox (id, exchange, routing_key, event_type, payload)
         VALUES (gen_random_uuid(), 'test_events', 'test.row', 'MetricRow', '{}');",
    )
    .execute(&pool)
    .await
    .unwrap();
    // The relay publishes mandatory: the row needs a queue to be routed to.
    let names = Names::new(format!("{}.", db.name));
    let sink = ConsumerQueue {
        name: names.queue("sink"),
        bindings: vec![(names.exchange("test_events"), "test.#".into())],
        retry_delays: vec![],
        expires: Some(Duration::from_secs(600)),
    };
    let connection = lapin::Connection::connect(&amqp_url(), Default::default())
        .await
        .unwrap();
    sink.declare(&connection.create_channel().await.unwrap())
        .await
        .unwrap();
    let stop = CancellationToken::new();
    let _stop_on_drop = stop.clone().drop_guard();
    tokio::spawn(
        OutboxRelay {
            pool: pool.clone(),
            amqp_url: amqp_url(),
            names,
            batch: 16,
            poll_interval: Duration::from_millis(200),
            wake: Default::default(),
            lag: Default::default(),
            exchanges: vec!["test_events"],
            health: BrokerHealth::default(),
        }
        .run(stop.clone()),
    );

    let rendered = rendered_with(&[
        r#"events_published_total{event_type="MetricRow"}"#.to_owned(),
        "\noutbox_backlog ".to_owned(),
        "\noutbox_oldest_age_seconds ".to_owned(),
    ])
    .await;

    assert!(
        rendered.contains("# TYPE events_published_total counter"),
        "{rendered}"
    );
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(left, 0);
}
