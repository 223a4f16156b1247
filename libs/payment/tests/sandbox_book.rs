//! The sandbox with its book kept in PostgreSQL, as order-service runs it: what one
//! process authorized, another (or the same after a restart) captures exactly once, and
//! concurrent calls with one key, or on one intent, from several processes, take turns.

use std::time::Duration;

use contracts::OrderId;
use futures::future::join_all;
use payment::{
    AuthorizeRequest, Currency, IdempotencyKey, IntentLookup, IntentStatus, Money, PaymentError,
    PaymentMethod, PaymentProvider, PaymentStep, Sandbox,
};
use sqlx::PgPool;

async fn database() -> PgPool {
    let db = testkit::fresh_database("sandbox_book").await;
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(16)
        .connect(&db.url)
        .await
        .unwrap()
}

/// One "process": a sandbox of its own over the shared database.
async fn process(pool: &PgPool) -> Sandbox {
    Sandbox::new().kept_in(pool.clone()).await.unwrap()
}

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::EUR).unwrap()
}

fn order(n: u32) -> OrderId {
    OrderId::parse(&format!("ord-{n}")).unwrap()
}

fn key(n: u32, step: PaymentStep) -> IdempotencyKey {
    IdempotencyKey::for_order(&order(n), step)
}

fn request(n: u32, method: &str, minor: i64) -> AuthorizeRequest {
    AuthorizeRequest {
        order_id: order(n),
        amount: eur(minor),
        method: PaymentMethod::parse(method).unwrap(),
        idempotency_key: key(n, PaymentStep::Authorize),
    }
}

#[tokio::test]
async fn what_one_process_authorized_another_captures_once_and_every_replay_agrees() {
    let pool = database().await;
    let before = process(&pool).await;
    let authorization = before
        .authorize(&request(1, "tok_visa", 1999))
        .await
        .unwrap();
    assert!(authorization.is_authorized());
    drop(before);

    // After the "restart": the intent, its key and its answer are all still there.
    let after = process(&pool).await;
    assert_eq!(
        after
            .authorize(&request(1, "tok_visa", 1999))
            .await
            .unwrap(),
        authorization,
        "the replay answers the first intent"
    );
    let found = after
        .find(&IntentLookup::Key(key(1, PaymentStep::Authorize)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, authorization.intent_id);
    let captured = after
        .capture(&found.id, eur(1999), &key(1, PaymentStep::Capture))
        .await
        .unwrap();
    assert_eq!(captured.status, IntentStatus::Succeeded);

    let third = process(&pool).await;
    assert_eq!(
        third
            .capture(&found.id, eur(1999), &key(1, PaymentStep::Capture))
            .await
            .unwrap(),
        captured
    );
    let intents = third.intents().await.unwrap();
    assert_eq!(intents.len(), 1);
    assert_eq!(intents[0].captured, eur(1999));
}

#[tokio::test]
async fn one_key_racing_from_several_processes_makes_one_intent() {
    let pool = database().await;
    let processes = join_all((0..4).map(|_| process(&pool))).await;
    let same = request(7, "tok_visa", 500);
    let answers = join_all((0..16).map(|i| processes[i % 4].authorize(&same))).await;
    let first = answers[0].clone().unwrap();
    for answer in answers {
        assert_eq!(answer.unwrap(), first);
    }
    assert_eq!(processes[0].intents().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_capture_racing_a_void_on_one_intent_leaves_exactly_one_of_them() {
    let pool = database().await;
    for n in 0..12 {
        let (a, b) = (process(&pool).await, process(&pool).await);
        let intent = a
            .authorize(&request(n, "tok_visa", 1000))
            .await
            .unwrap()
            .intent_id;
        let capture_key = key(n, PaymentStep::Capture);
        let void_key = key(n, PaymentStep::Void);
        let (captured, voided) = tokio::join!(
            a.capture(&intent, eur(1000), &capture_key),
            b.void(&intent, &void_key),
        );
        assert!(
            captured.is_ok() != voided.is_ok(),
            "exactly one wins: {captured:?} / {voided:?}"
        );
        let held = a.find(&IntentLookup::Id(intent)).await.unwrap().unwrap();
        if captured.is_ok() {
            assert_eq!(
                (held.status, held.captured),
                (IntentStatus::Succeeded, eur(1000))
            );
        } else {
            assert_eq!(
                (held.status, held.captured),
                (IntentStatus::Canceled, eur(0))
            );
        }
    }
}

#[tokio::test]
async fn refunds_with_different_keys_from_several_processes_never_exceed_the_capture() {
    let pool = database().await;
    let processes = join_all((0..4).map(|_| process(&pool))).await;
    let intent = processes[0]
        .authorize(&request(3, "tok_visa", 1000))
        .await
        .unwrap()
        .intent_id;
    processes[1]
        .capture(&intent, eur(1000), &key(3, PaymentStep::Capture))
        .await
        .unwrap();
    let keys: Vec<_> = (0..10)
        .map(|i| IdempotencyKey::parse(&format!("refund-{i}")).unwrap())
        .collect();
    let refunds = join_all(
        keys.iter()
            .enumerate()
            .map(|(i, key)| processes[i % 4].refund(&intent, eur(300), key)),
    )
    .await;
    assert_eq!(
        refunds.iter().filter(|r| r.is_ok()).count(),
        3,
        "{refunds:?}"
    );
    let held = processes[2]
        .find(&IntentLookup::Id(intent))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(held.refunded, eur(900));
}

#[tokio::test]
async fn a_key_reused_for_another_request_is_refused_by_every_process() {
    let pool = database().await;
    let a = process(&pool).await;
    a.authorize(&request(4, "tok_visa", 1999)).await.unwrap();
    let b = process(&pool).await;
    let other_amount = b.authorize(&request(4, "tok_visa", 2999)).await;
    assert!(
        matches!(&other_amount, Err(PaymentError::Invalid { code, .. }) if code == "idempotency_error"),
        "{other_amount:?}"
    );
    assert_eq!(b.intents().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_decline_is_kept_and_an_unreachable_provider_keeps_nothing() {
    let pool = database().await;
    let a = process(&pool).await;
    let declined = a.authorize(&request(5, "tok_chargeDeclined", 1999)).await;
    assert!(matches!(declined, Err(PaymentError::Declined { .. })));
    assert_eq!(
        process(&pool)
            .await
            .authorize(&request(5, "tok_chargeDeclined", 1999))
            .await,
        declined
    );
    let unavailable = a.authorize(&request(6, "tok_unavailable", 1999)).await;
    assert!(matches!(unavailable, Err(PaymentError::Unavailable(_))));
    assert_eq!(
        a.find(&IntentLookup::Key(key(6, PaymentStep::Authorize)))
            .await
            .unwrap(),
        None
    );
    let intents = a.intents().await.unwrap();
    assert_eq!(intents.len(), 1);
    assert_eq!(intents[0].status, IntentStatus::RequiresPaymentMethod);
}

#[tokio::test]
async fn a_slow_authorization_past_the_timeout_is_found_by_another_process() {
    let pool = database().await;
    let slow = Sandbox::new()
        .with_slow_delay(Duration::from_secs(5))
        .with_timeout(Duration::from_millis(100))
        .kept_in(pool.clone())
        .await
        .unwrap();
    assert_eq!(
        slow.authorize(&request(8, "tok_slow", 1999)).await,
        Err(PaymentError::Timeout)
    );
    let found = process(&pool)
        .await
        .find(&IntentLookup::Key(key(8, PaymentStep::Authorize)))
        .await
        .unwrap()
        .expect("the intent was made before the answer was lost");
    assert_eq!(found.status, IntentStatus::RequiresCapture);
}

#[tokio::test]
async fn two_processes_starting_at_once_both_find_their_tables() {
    let pool = database().await;
    let started = join_all((0..6).map(|_| Sandbox::new().kept_in(pool.clone()))).await;
    assert!(started.iter().all(Result::is_ok));
}
