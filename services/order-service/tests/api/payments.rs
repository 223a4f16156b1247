//! Paid orders against the sandbox provider, with a real inventory-service, PostgreSQL
//! and RabbitMQ: one authorization and one capture of the total, a declined card that
//! cancels and releases, a cancellation that voids, a failed capture that voids and
//! returns the stock, a void the provider did not answer tried again by the timers, and
//! a book kept in the database that outlives a restart.

use futures::future::join_all;
use payment::{
    IntentStatus, PaymentProvider, Provider, Sandbox, SandboxBook, Stripe, StripeSettings,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Saga, spawn_saga};

const SKU: &str = "ABC-1234-AB";

fn sandbox(saga: &Saga) -> Sandbox {
    match &saga.order_settings.payment {
        Provider::Sandbox(sandbox) => sandbox.clone(),
        other => panic!("the tests pay with the sandbox, not {}", other.name()),
    }
}

fn items() -> Value {
    json!([{"sku": SKU, "qty": 2}])
}

fn priced() -> Value {
    json!([{"sku": SKU, "qty": 2, "unitPrice": {"amount": 1999, "currency": "EUR"}}])
}

/// A paid order of two units, placed and reserved as order-api's HTTP path does.
async fn place_paid(saga: &Saga, token: &str) -> String {
    saga.create_stock(SKU, 10).await;
    let r = saga
        .client
        .post(format!("{}/orders", saga.orders.address))
        .json(&json!({"items": items(), "payment": {"method": "card", "token": token}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let placed: Value = r.json().await.unwrap();
    assert_eq!(placed["payment"]["status"], "pending");
    let id = placed["orderId"].as_str().unwrap().to_owned();
    assert_eq!(saga.reserve(&id, items(), None).await, StatusCode::CREATED);
    id
}

/// Polls the order until its payment is `status` (or 5 s pass).
async fn payment_until(saga: &Saga, id: &str, status: &str) -> contracts::orders::OrderView {
    let mut order = saga.order(id).await;
    for _ in 0..100 {
        if order.payment.as_ref().is_some_and(|p| p.status == status) {
            return order;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        order = saga.order(id).await;
    }
    panic!("the payment of order {id} never became {status}: {order:?}");
}

fn reasons(order: &contracts::orders::OrderView) -> Vec<&str> {
    order.history.iter().map(|t| t.reason.as_str()).collect()
}

async fn authorize(saga: &Saga, id: &str) -> reqwest::Response {
    saga.client
        .post(format!("{}/orders/{id}/authorize", saga.orders.address))
        .json(&json!({"items": priced()}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_paid_order_is_authorized_once_and_captured_once_for_its_total() {
    let saga = spawn_saga(|_| {}, |_| {}).await;
    let id = place_paid(&saga, "tok_visa").await;
    // Retried and racing: one authorization.
    for r in join_all((0..3).map(|_| authorize(&saga, &id))).await {
        assert_eq!(r.status(), StatusCode::OK);
        let order: Value = r.json().await.unwrap();
        assert_eq!(order["status"], "AUTHORIZED");
    }
    let intents = sandbox(&saga).intents().await.unwrap();
    assert_eq!(intents.len(), 1, "{intents:?}");
    assert_eq!(intents[0].amount.minor_units(), 3998);

    assert_eq!(saga.commit(&id, items()).await, StatusCode::OK);
    let r = saga.confirm(&id, items()).await;
    assert_eq!(r.status(), StatusCode::OK);
    let order: Value = r.json().await.unwrap();
    assert_eq!(order["status"], "CONFIRMED");
    assert_eq!(order["total"], json!({"amount": 3998, "currency": "EUR"}));
    assert_eq!(order["items"][0]["unitPrice"]["amount"], 1999);
    assert_eq!(order["payment"]["status"], "captured");
    let reasons: Vec<&str> = order["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["reason"].as_str().unwrap())
        .collect();
    assert_eq!(
        reasons,
        ["placed", "payment authorized", "payment captured"]
    );
    let intents = sandbox(&saga).intents().await.unwrap();
    assert_eq!(intents.len(), 1);
    assert_eq!(
        (intents[0].status, intents[0].captured.minor_units()),
        (IntentStatus::Succeeded, 3998)
    );
    // A repeated confirmation captures nothing more.
    assert_eq!(saga.confirm(&id, items()).await.status(), StatusCode::OK);
    assert_eq!(
        sandbox(&saga).intents().await.unwrap()[0]
            .captured
            .minor_units(),
        3998
    );

    let metrics = saga.metrics().await;
    // Each call is counted: the racing repeats were answered by the provider's replay.
    for series in [
        r#"payments_processed_total{outcome="authorized"}"#,
        r#"payments_processed_total{outcome="captured"}"#,
        r#"payments_processed_total{outcome="declined"} 0"#,
        r#"saga_compensations_total{reason="payment_declined"} 0"#,
        "payment_step_duration_seconds_bucket",
    ] {
        assert!(
            metrics.contains(series),
            "{series} missing from:\n{metrics}"
        );
    }
}

#[tokio::test]
async fn a_declined_card_cancels_the_order_releases_its_holds_and_takes_nothing() {
    let saga = spawn_saga(|_| {}, |_| {}).await;
    let id = place_paid(&saga, "tok_chargeDeclined").await;
    for _ in 0..2 {
        let r = authorize(&saga, &id).await;
        assert_eq!(r.status(), StatusCode::CONFLICT);
        let problem: Value = r.json().await.unwrap();
        assert_eq!(problem["code"], "payment_declined");
        assert_eq!(problem["orderId"], id.as_str());
    }
    let order = saga.order(&id).await;
    assert_eq!(order.status, "CANCELLED");
    assert_eq!(order.history.last().unwrap().reason, "payment_declined");
    assert_eq!(order.payment.unwrap().status, "declined");
    // The cancellation's OrderCancelled makes the inventory release the holds.
    saga.stock_until(SKU, |s| s.reserved == 0 && s.available == 10)
        .await;
    let intents = sandbox(&saga).intents().await.unwrap();
    assert_eq!(intents.len(), 1, "one attempt, never repeated");
    assert!(intents[0].captured.is_zero());
    assert!(
        saga.metrics()
            .await
            .contains(r#"saga_compensations_total{reason="payment_declined"} 1"#)
    );
}

#[tokio::test]
async fn cancelling_an_authorized_order_voids_its_authorization() {
    let saga = spawn_saga(|_| {}, |_| {}).await;
    let id = place_paid(&saga, "tok_visa").await;
    assert_eq!(authorize(&saga, &id).await.status(), StatusCode::OK);
    let r = saga.act(&id, "cancel").await;
    assert_eq!(r.status(), StatusCode::OK);
    let order: Value = r.json().await.unwrap();
    assert_eq!(order["status"], "CANCELLED");
    assert_eq!(order["payment"]["status"], "voided");
    let last = order["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (
            last["from"].as_str(),
            last["to"].as_str(),
            last["reason"].as_str()
        ),
        (Some("CANCELLED"), Some("CANCELLED"), Some("payment voided"))
    );
    let intents = sandbox(&saga).intents().await.unwrap();
    assert_eq!(intents[0].status, IntentStatus::Canceled);
    assert!(intents[0].captured.is_zero());
    saga.stock_until(SKU, |s| s.reserved == 0).await;
}

#[tokio::test]
async fn a_failed_capture_cancels_the_order_voids_it_and_returns_the_stock() {
    let saga = spawn_saga(|_| {}, |_| {}).await;
    let id = place_paid(&saga, "tok_visa").await;
    assert_eq!(authorize(&saga, &id).await.status(), StatusCode::OK);
    // The provider gives the authorization up (it lapsed, say) before the capture.
    let sandbox = sandbox(&saga);
    let intent = sandbox.intents().await.unwrap()[0].id.clone();
    let key = payment::IdempotencyKey::parse("lapsed").unwrap();
    sandbox.void(&intent, &key).await.unwrap();
    assert_eq!(saga.commit(&id, items()).await, StatusCode::OK);

    // The HTTP path's confirmation and the commit's event race to capture: whichever
    // comes first finds nothing to capture and cancels; the other finds it cancelled.
    let r = saga.confirm(&id, items()).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let problem: Value = r.json().await.unwrap();
    assert!(
        ["capture_failed", "invalid_transition"].contains(&problem["code"].as_str().unwrap()),
        "{problem}"
    );
    saga.decided(&id).await;
    let order = payment_until(&saga, &id, "voided").await;
    assert_eq!(order.status, "CANCELLED");
    assert_eq!(
        reasons(&order),
        [
            "placed",
            "payment authorized",
            "capture_failed",
            "payment voided"
        ]
    );
    assert!(sandbox.intents().await.unwrap()[0].captured.is_zero());
    // The cancellation returns what was committed.
    saga.stock_until(SKU, |s| s.on_hand == 10 && s.reserved == 0)
        .await;
    assert!(
        saga.metrics()
            .await
            .contains(r#"saga_compensations_total{reason="capture_failed"} 1"#)
    );
}

#[tokio::test]
async fn a_paid_order_handed_over_is_authorized_on_its_reservation_and_captured_on_its_commit() {
    let saga = spawn_saga(|_| {}, |_| {}).await;
    let r = saga
        .client
        .post(format!("{}/inventory", saga.inventory.address))
        .json(&json!({"sku": SKU, "qty": 10, "unitPrice": {"amount": 1999, "currency": "EUR"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = saga
        .client
        .post(format!("{}/orders", saga.orders.address))
        .json(&json!({"items": items(), "payment": {"method": "card", "token": "tok_visa"}}))
        .send()
        .await
        .unwrap();
    let placed: Value = r.json().await.unwrap();
    let id = placed["orderId"].as_str().unwrap().to_owned();
    assert_eq!(
        saga.act(&id, "handover").await.status(),
        StatusCode::ACCEPTED
    );

    let order = saga.decided(&id).await;
    assert_eq!(order.status, "CONFIRMED", "{order:?}");
    let payment = order.payment.unwrap();
    assert_eq!(
        (payment.status.as_str(), payment.amount.map(|a| a.amount)),
        ("captured", Some(3998))
    );
    let steps: Vec<&str> = order.history.iter().map(|t| t.to.as_str()).collect();
    assert_eq!(steps, ["PENDING", "AUTHORIZED", "RESERVED", "CONFIRMED"]);
    let intents = sandbox(&saga).intents().await.unwrap();
    assert_eq!(intents.len(), 1);
    assert_eq!(intents[0].captured.minor_units(), 3998);
    saga.stock_until(SKU, |s| s.on_hand == 8 && s.reserved == 0)
        .await;
}

#[tokio::test]
async fn a_paid_order_handed_over_with_a_declined_card_is_cancelled_and_released() {
    let saga = spawn_saga(|_| {}, |_| {}).await;
    saga.client
        .post(format!("{}/inventory", saga.inventory.address))
        .json(&json!({"sku": SKU, "qty": 10, "unitPrice": {"amount": 1999, "currency": "EUR"}}))
        .send()
        .await
        .unwrap();
    let r = saga
        .client
        .post(format!("{}/orders", saga.orders.address))
        .json(&json!({"items": items(), "payment": {"method": "card", "token": "tok_chargeDeclined"}}))
        .send()
        .await
        .unwrap();
    let placed: Value = r.json().await.unwrap();
    let id = placed["orderId"].as_str().unwrap().to_owned();
    saga.act(&id, "handover").await;
    let order = saga.decided(&id).await;
    assert_eq!(order.status, "CANCELLED");
    assert_eq!(order.history.last().unwrap().reason, "payment_declined");
    saga.stock_until(SKU, |s| s.reserved == 0 && s.on_hand == 10)
        .await;
}

#[tokio::test]
async fn the_saga_timeout_voids_what_an_undecided_paid_order_holds() {
    let saga = spawn_saga(
        |s| {
            s.saga_timeout = std::time::Duration::from_secs(1);
            s.handover_grace = std::time::Duration::from_secs(60);
        },
        |_| {},
    )
    .await;
    let id = place_paid(&saga, "tok_visa").await;
    assert_eq!(authorize(&saga, &id).await.status(), StatusCode::OK);
    saga.decided(&id).await;
    // The void is recorded just after the cancellation.
    let order = payment_until(&saga, &id, "voided").await;
    assert_eq!(
        reasons(&order),
        [
            "placed",
            "payment authorized",
            "saga timed out",
            "payment voided"
        ]
    );
    assert_eq!(order.history.last().unwrap().path, "timer");
    assert_eq!(
        sandbox(&saga).intents().await.unwrap()[0].status,
        IntentStatus::Canceled
    );
}

#[tokio::test]
async fn an_authorization_answered_too_late_is_asked_again_with_its_key_and_held_once() {
    let saga = spawn_saga(
        |s| {
            // Slower than the timeout: the first call's outcome is unknown, though the
            // provider holds the money.
            s.payment = Provider::Sandbox(
                Sandbox::new()
                    .with_slow_delay(std::time::Duration::from_millis(300))
                    .with_timeout(std::time::Duration::from_millis(50)),
            );
        },
        |_| {},
    )
    .await;
    let id = place_paid(&saga, "tok_slow").await;
    let r = authorize(&saga, &id).await;
    assert_eq!(r.status(), StatusCode::OK);
    let order: Value = r.json().await.unwrap();
    assert_eq!(order["status"], "AUTHORIZED");
    assert_eq!(sandbox(&saga).intents().await.unwrap().len(), 1);
    assert!(
        saga.metrics()
            .await
            .contains(r#"payments_processed_total{outcome="failed"} 1"#)
    );
}

#[tokio::test]
async fn an_unreachable_provider_leaves_the_order_pending_with_its_card() {
    let saga = spawn_saga(|_| {}, |_| {}).await;
    let id = place_paid(&saga, "tok_unavailable").await;
    let r = authorize(&saga, &id).await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    let problem: Value = r.json().await.unwrap();
    assert_eq!(problem["code"], "payment_unavailable");
    let order = saga.order(&id).await;
    assert_eq!(order.status, "PENDING");
    assert_eq!(order.payment.unwrap().status, "pending");
    assert!(sandbox(&saga).intents().await.unwrap().is_empty());
}

/// A PaymentIntent of 39.98 EUR as Stripe answers it.
fn stripe_intent(id: &str, status: &str) -> Value {
    json!({
        "id": id,
        "object": "payment_intent",
        "amount": 3998,
        "amount_capturable": if status == "requires_capture" { 3998 } else { 0 },
        "amount_received": 0,
        "capture_method": "manual",
        "currency": "eur",
        "latest_charge": null,
        "metadata": {},
        "status": status
    })
}

#[tokio::test]
async fn a_void_the_provider_did_not_answer_is_tried_again_by_the_timers_with_its_key() {
    use wiremock::{Mock, MockServer, ResponseTemplate, matchers};
    const INTENT: &str = "pi_3RetryVoid";
    let stripe = MockServer::start().await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path("/v1/payment_intents"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(stripe_intent(INTENT, "requires_capture")),
        )
        .mount(&stripe)
        .await;
    // The first cancellation's three calls find Stripe down; later ones succeed.
    let cancel = format!("/v1/payment_intents/{INTENT}/cancel");
    Mock::given(matchers::method("POST"))
        .and(matchers::path(cancel.as_str()))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(3)
        .with_priority(1)
        .mount(&stripe)
        .await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path(cancel.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(stripe_intent(INTENT, "canceled")))
        .with_priority(5)
        .mount(&stripe)
        .await;
    let settings = StripeSettings::for_tests(&stripe.uri(), "sk_test_retry");
    let saga = spawn_saga(
        |s| {
            s.payment = Provider::Stripe(Stripe::new(&settings).unwrap());
            s.release_retry = std::time::Duration::from_millis(300);
        },
        |_| {},
    )
    .await;
    let id = place_paid(&saga, "tok_visa").await;
    assert_eq!(authorize(&saga, &id).await.status(), StatusCode::OK);
    let r = saga.act(&id, "cancel").await;
    assert_eq!(r.status(), StatusCode::OK);
    let order: Value = r.json().await.unwrap();
    assert_eq!(order["status"], "CANCELLED");
    assert_eq!(
        order["payment"]["status"], "authorized",
        "the void was not answered"
    );

    let order = payment_until(&saga, &id, "voided").await;
    assert_eq!(reasons(&order).last(), Some(&"payment voided"));
    let cancels: Vec<_> = stripe
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == cancel)
        .collect();
    assert!(
        cancels.len() >= 4,
        "three failed calls, then the retry: {}",
        cancels.len()
    );
    for call in &cancels {
        assert_eq!(
            call.headers
                .get("idempotency-key")
                .unwrap()
                .to_str()
                .unwrap(),
            format!("order/{id}/void"),
            "every try carries the same key"
        );
    }
    // Once voided, the timers leave the order alone.
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let after = stripe.received_requests().await.unwrap();
    assert_eq!(
        after.iter().filter(|r| r.url.path() == cancel).count(),
        cancels.len()
    );
}

#[tokio::test]
async fn a_book_kept_in_the_database_lets_a_restarted_order_service_capture_what_it_authorized() {
    let mut saga = spawn_saga(|s| s.sandbox_book = SandboxBook::Database, |_| {}).await;
    let id = place_paid(&saga, "tok_visa").await;
    assert_eq!(authorize(&saga, &id).await.status(), StatusCode::OK);
    saga.restart_orders().await;

    assert_eq!(saga.commit(&id, items()).await, StatusCode::OK);
    let r = saga.confirm(&id, items()).await;
    assert_eq!(r.status(), StatusCode::OK);
    let order: Value = r.json().await.unwrap();
    assert_eq!(order["status"], "CONFIRMED");
    assert_eq!(order["payment"]["status"], "captured");
    let pool = sqlx::PgPool::connect(&saga.order_settings.backbone.database_url)
        .await
        .unwrap();
    let book = Sandbox::new().kept_in(pool).await.unwrap();
    let intents = book.intents().await.unwrap();
    assert_eq!(intents.len(), 1);
    assert_eq!(
        (intents[0].status, intents[0].captured.minor_units()),
        (IntentStatus::Succeeded, 3998)
    );
}
