//! The outbox as a bounded queue: while the relay is behind its bound, a new hold is
//! refused with 503 `events_backlogged` and writes nothing; the steps of holds already
//! placed are never refused; once the relay has caught up, holds are taken again.

use std::time::Duration;

use futures::future::join_all;
use inventory_service::config::Settings;
use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

use crate::concurrency::assert_invariants;
use crate::helpers::{TestApp, broker_prefix, spawn_with};

/// An instance whose relay is soon behind: one row per batch, and a bound of 1 ms.
async fn spawn_with_tight_bound() -> TestApp {
    let db = testkit::fresh_database("inventory").await;
    let mut settings = Settings::for_tests(&db.url, &broker_prefix(&db.name));
    settings.backbone.outbox_batch = 1;
    settings.backbone.outbox_max_lag = Duration::from_millis(1);
    spawn_with(settings, &db).await
}

async fn outbox_rows(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM outbox")
        .fetch_one(&app.pool().await)
        .await
        .unwrap()
}

#[tokio::test]
async fn new_holds_are_refused_while_the_relay_is_behind_and_write_nothing() {
    let app = spawn_with_tight_bound().await;
    app.create("BPX-0001-AA", 10_000).await;

    // Waves of holds, each fewer at once than the service's `MAX_CONCURRENT_REQUESTS`
    // (so that no request is refused as `overloaded`: every refusal here is the
    // outbox's). A wave is admitted before its own events are written; the next one
    // finds the relay behind on them.
    let mut answers = Vec::new();
    for _ in 0..5 {
        let wave = join_all((0..150).map(|_| {
            let app = &app;
            async move {
                let order = Uuid::now_v7().to_string();
                let res = app.reserve("BPX-0001-AA", &order, 1).await;
                let status = res.status();
                (status, res.text().await.unwrap())
            }
        }))
        .await;
        answers.extend(wave);
        if answers
            .iter()
            .any(|(status, _)| *status == StatusCode::SERVICE_UNAVAILABLE)
        {
            break;
        }
    }

    let held = answers
        .iter()
        .filter(|(status, _)| status.is_success())
        .count() as i64;
    let refused: Vec<_> = answers
        .iter()
        .filter(|(status, _)| *status == StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    assert_eq!(
        held + refused.len() as i64,
        answers.len() as i64,
        "only holds and refusals: {answers:?}"
    );
    assert!(
        !refused.is_empty(),
        "waves of 150 holds, relayed one row per batch, never put the relay 1 ms behind"
    );
    for (_, body) in &refused {
        let problem: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(problem["code"], "events_backlogged", "{problem}");
    }
    // A refusal wrote nothing: the stock holds exactly the accepted holds.
    assert_eq!(app.stock("BPX-0001-AA").await.reserved, held);
    let holds: i64 = sqlx::query_scalar("SELECT count(*) FROM reservations")
        .fetch_one(&app.pool().await)
        .await
        .unwrap();
    assert_eq!(holds, held);

    // Once the relay has caught up, a new hold is taken again.
    tokio::time::timeout(Duration::from_secs(60), async {
        while outbox_rows(&app).await > 0 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the relay drains the outbox");
    let again = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let res = app
                .reserve("BPX-0001-AA", &Uuid::now_v7().to_string(), 1)
                .await;
            if res.status() != StatusCode::SERVICE_UNAVAILABLE {
                return res.status();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("holds are taken again once the relay is not behind");
    assert!(again.is_success(), "{again}");
    assert_invariants(&app).await;
}

#[tokio::test]
async fn the_steps_of_accepted_work_are_never_refused() {
    let app = spawn_with_tight_bound().await;
    app.create("BPX-0002-AA", 10_000).await;
    // Direct holds to release later, taken one at a time, each once the relay lets it.
    let mut direct = Vec::new();
    while direct.len() < 20 {
        let order = Uuid::now_v7().to_string();
        if app
            .reserve("BPX-0002-AA", &order, 1)
            .await
            .status()
            .is_success()
        {
            direct.push(order);
        } else {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let line = json!([{"sku": "BPX-0002-AA", "qty": 1}]);
    let orders: Vec<String> = (0..40).map(|_| Uuid::now_v7().to_string()).collect();
    // The saga's reservations are the steps of orders order-service already admitted.
    let placed =
        join_all(orders.iter().map(|order| {
            app.post_as_saga("/reservations", json!({"orderId": order, "items": line}))
        }))
        .await;
    for res in placed {
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    // Every commit and release goes through, whatever the relay's lag.
    let app = &app;
    let commits = orders.iter().map(|order| {
        let path = format!("/reservations/{order}/commit");
        let body = json!({"items": line});
        async move { app.post_as_saga(&path, body).await }
    });
    let releases = direct.iter().map(|order| {
        let body = json!({"orderId": order});
        async move { app.post("/inventory/BPX-0002-AA/release", body).await }
    });
    let (committed, released) = tokio::join!(join_all(commits), join_all(releases));
    for res in committed.into_iter().chain(released) {
        assert!(
            res.status().is_success(),
            "{} {}",
            res.status(),
            res.text().await.unwrap()
        );
    }
    let stock = app.stock("BPX-0002-AA").await;
    assert_eq!((stock.on_hand, stock.reserved), (10_000 - 40, 0));
    assert_invariants(app).await;
}
