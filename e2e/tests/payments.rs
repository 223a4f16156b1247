//! Paid checkouts end to end, with the sandbox keeping its book in the orders database
//! as a real provider keeps its own: the happy path on both saga paths, a declined card,
//! stock lost after the authorization, order-service killed while it authorizes, and
//! one checkout retried with one key. Every scenario ends with the auditor, which checks
//! the payment promises against the provider's book: a confirmed order has exactly one
//! capture of its total, a cancelled one keeps nothing, and nothing is captured without
//! committed stock.

use std::time::Duration;

use e2e::{Options, Service, System, traffic};
use futures::future::join_all;

const SETTLE: Duration = Duration::from_secs(60);
const GIVE_UP: Duration = Duration::from_secs(30);
const SKU: &str = "PAY-0001-AA";
const OTHER: &str = "PAY-0002-BB";
/// Euro cents per unit of [`SKU`] and [`OTHER`].
const PRICES: [i64; 2] = [1999, 500];

async fn seed(system: &System, on_hand: i64) {
    let inventory_api = system.url(Service::InventoryApi);
    for (sku, price) in [SKU, OTHER].into_iter().zip(PRICES) {
        traffic::create_priced_stock(&system.http, &inventory_api, sku, on_hand, price)
            .await
            .unwrap();
    }
}

async fn pay(system: &System, key: &str, items: &[(&str, i64)], token: &str) -> traffic::Checkout {
    let items: Vec<(String, i64)> = items.iter().map(|(s, q)| ((*s).to_owned(), *q)).collect();
    traffic::paid_checkout(
        &system.http,
        &system.url(Service::OrderApi),
        key,
        &items,
        token,
        GIVE_UP,
    )
    .await
}

/// The provider's book for `order_id`: (status, amount, captured, refunded) of each
/// intent its authorization made.
async fn intents(system: &System, order_id: &str) -> Vec<(String, i64, i64, i64)> {
    sqlx::query_as(
        "SELECT status, amount, captured, refunded FROM payment_sandbox_intents
          WHERE authorized_by = 'order/' || $1 || '/authorize'",
    )
    .bind(order_id)
    .fetch_all(&system.orders_db)
    .await
    .unwrap()
}

/// (on hand, reserved) of `sku` at the central warehouse.
async fn level(system: &System, sku: &str) -> (i64, i64) {
    sqlx::query_as(
        "SELECT on_hand, reserved FROM product_inventory WHERE location_id = 'central' AND sku = $1",
    )
    .bind(sku)
    .fetch_one(&system.inventory_db)
    .await
    .unwrap()
}

async fn assert_clean(system: &System, paid: usize, captured: usize) -> e2e::Report {
    let report = system.settle(SETTLE).await;
    assert!(report.is_clean(), "{report}\n{}", system.log_tails(30));
    assert_eq!((report.paid, report.captured), (paid, captured), "{report}");
    report
}

#[tokio::test]
async fn a_paid_checkout_is_captured_once_for_its_total_and_a_declined_one_gives_the_stock_back() {
    let system = System::start("pay_http", Options::default()).await.unwrap();
    seed(&system, 10).await;

    let paid = pay(&system, "k-paid", &[(SKU, 2), (OTHER, 3)], "tok_visa").await;
    assert_eq!(paid.status, Some(201), "{paid:?}");
    assert_eq!(paid.answer["status"], "CONFIRMED", "{paid:?}");
    let total = 2 * PRICES[0] + 3 * PRICES[1];
    assert_eq!(paid.answer["total"]["amount"], total, "{paid:?}");
    let paid_id = paid.order_id.unwrap();
    assert_eq!(
        intents(&system, &paid_id).await,
        [("succeeded".to_owned(), total, total, 0)]
    );

    for token in ["tok_chargeDeclined", "tok_chargeDeclinedInsufficientFunds"] {
        let declined = pay(&system, &format!("k-{token}"), &[(SKU, 4)], token).await;
        assert_eq!(declined.status, Some(409), "{declined:?}");
        assert!(
            declined.answer["type"]
                .as_str()
                .is_some_and(|t| t.ends_with("payment_declined")),
            "{declined:?}"
        );
        let id = declined.order_id.expect("the declined order's id");
        let cancelled = system.wait_for_status(&id, "CANCELLED", SETTLE).await;
        assert_eq!(cancelled["payment"]["status"], "declined", "{cancelled}");
        for (status, _, captured, _) in intents(&system, &id).await {
            assert_eq!((status.as_str(), captured), ("requires_payment_method", 0));
        }
    }
    // The declined orders' holds were released: only the paid order's units are gone.
    assert_clean(&system, 3, 1).await;
    assert_eq!(level(&system, SKU).await, (8, 0));
    assert_eq!(level(&system, OTHER).await, (7, 0));
    system.shutdown().await;
}

#[tokio::test]
async fn a_paid_checkout_finishes_by_events_while_inventory_service_is_down() {
    let mut system = System::start("pay_events", Options::default())
        .await
        .unwrap();
    seed(&system, 10).await;
    system.kill(Service::InventoryService).await;
    let paid = pay(&system, "k-paid", &[(SKU, 1)], "tok_visa").await;
    let declined = pay(&system, "k-declined", &[(OTHER, 1)], "tok_chargeDeclined").await;
    assert_eq!((paid.status, declined.status), (Some(202), Some(202)));
    system
        .start_service(Service::InventoryService)
        .await
        .unwrap();

    let paid_id = paid.order_id.unwrap();
    let confirmed = system.wait_for_status(&paid_id, "CONFIRMED", SETTLE).await;
    assert_eq!(confirmed["payment"]["status"], "captured", "{confirmed}");
    assert!(
        confirmed["history"]
            .to_string()
            .contains(r#""path":"event""#),
        "{confirmed}"
    );
    let declined_id = declined.order_id.unwrap();
    let cancelled = system
        .wait_for_status(&declined_id, "CANCELLED", SETTLE)
        .await;
    assert_eq!(cancelled["payment"]["status"], "declined", "{cancelled}");

    assert_clean(&system, 2, 1).await;
    assert_eq!(
        intents(&system, &paid_id).await,
        [("succeeded".to_owned(), PRICES[0], PRICES[0], 0)]
    );
    assert_eq!(level(&system, SKU).await, (9, 0));
    assert_eq!(
        level(&system, OTHER).await,
        (10, 0),
        "the declined hold is released"
    );
    system.shutdown().await;
}

#[tokio::test]
async fn stock_lost_after_the_authorization_voids_it() {
    // Holds live 1 s; `tok_slow` answers after 1.5 s: by the time the card is
    // authorized, the hold has expired and the stock cannot be committed. The HTTP path
    // keeps the order meanwhile (a longer grace), so nobody else asks the provider.
    let system = System::start(
        "pay_stock_lost",
        Options {
            hold_ttl_secs: 1,
            handover_grace_ms: 5_000,
            ..Options::default()
        },
    )
    .await
    .unwrap();
    seed(&system, 5).await;
    let late = pay(&system, "k-late", &[(SKU, 2)], "tok_slow").await;
    let id: String = sqlx::query_scalar("SELECT id::text FROM orders")
        .fetch_one(&system.orders_db)
        .await
        .unwrap_or_else(|e| panic!("one order: {e} ({late:?})"));
    let cancelled = system.wait_for_status(&id, "CANCELLED", SETTLE).await;
    assert_eq!(cancelled["payment"]["status"], "voided", "{cancelled}");
    assert_eq!(
        intents(&system, &id).await,
        [("canceled".to_owned(), 2 * PRICES[0], 0, 0)],
        "the authorization is voided, nothing captured"
    );
    assert_clean(&system, 1, 0).await;
    assert_eq!(level(&system, SKU).await, (5, 0), "the stock is all back");
    system.shutdown().await;
}

/// order-service killed while the provider holds an authorization it has not answered
/// yet (`tok_slow`), on each path: after the restart the saga asks again with the same
/// key, gets the same intent, and captures it exactly once.
#[tokio::test]
async fn order_service_killed_between_authorize_and_capture_captures_exactly_once() {
    let mut system = System::start("pay_killed", Options::default())
        .await
        .unwrap();
    seed(&system, 10).await;
    for (key, event_path) in [("k-http", false), ("k-events", true)] {
        if event_path {
            system.kill(Service::InventoryService).await;
        }
        let checkout = {
            let (http, order_api) = (system.http.clone(), system.url(Service::OrderApi));
            let items = vec![(SKU.to_owned(), 1)];
            tokio::spawn(async move {
                // Once, not retried: the client gives up on the first answer or error.
                traffic::paid_checkout(&http, &order_api, key, &items, "tok_slow", Duration::ZERO)
                    .await
            })
        };
        if event_path {
            // The order waits for the inventory: start it and let the event path reach
            // the authorization.
            tokio::time::sleep(Duration::from_millis(300)).await;
            system
                .start_service(Service::InventoryService)
                .await
                .unwrap();
        }
        // The provider has made the intent; its answer is on the way (1.5 s).
        let deadline = tokio::time::Instant::now() + SETTLE;
        let order_id: String = loop {
            let made: Option<String> = sqlx::query_scalar(
                "SELECT split_part(authorized_by, '/', 2) FROM payment_sandbox_intents
                  WHERE status = 'requires_capture'",
            )
            .fetch_optional(&system.orders_db)
            .await
            .unwrap_or(None);
            if let Some(id) = made {
                break id;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no authorization was made"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        system.kill(Service::OrderService).await;
        let _ = checkout.await;
        let status: String = sqlx::query_scalar("SELECT status FROM orders WHERE id = $1::uuid")
            .bind(&order_id)
            .fetch_one(&system.orders_db)
            .await
            .unwrap();
        assert!(
            ["PENDING", "RESERVED"].contains(&status.as_str()),
            "killed before the authorization was recorded: {status}"
        );
        system.start_service(Service::OrderService).await.unwrap();

        let confirmed = system.wait_for_status(&order_id, "CONFIRMED", SETTLE).await;
        assert_eq!(confirmed["payment"]["status"], "captured", "{confirmed}");
        assert_eq!(
            intents(&system, &order_id).await,
            [("succeeded".to_owned(), PRICES[0], PRICES[0], 0)],
            "one intent, captured once"
        );
    }
    assert_clean(&system, 2, 2).await;
    assert_eq!(level(&system, SKU).await, (8, 0));
    system.shutdown().await;
}

#[tokio::test]
async fn one_checkout_retried_with_one_key_authorizes_once() {
    let system = System::start("pay_same_key", Options::default())
        .await
        .unwrap();
    seed(&system, 10).await;
    let answers = join_all((0..6).map(|_| pay(&system, "k-once", &[(SKU, 3)], "tok_visa"))).await;
    let ids: Vec<_> = answers.iter().map(|a| a.order_id.clone()).collect();
    assert!(
        ids.iter().all(|id| id.is_some() && *id == ids[0]),
        "{answers:?}"
    );
    let id = ids[0].clone().unwrap();
    system.wait_for_status(&id, "CONFIRMED", SETTLE).await;
    // Retried again once it is done: the same order, nothing more paid.
    let again = pay(&system, "k-once", &[(SKU, 3)], "tok_visa").await;
    assert_eq!(again.order_id.as_deref(), Some(id.as_str()), "{again:?}");
    assert_eq!(
        intents(&system, &id).await,
        [("succeeded".to_owned(), 3 * PRICES[0], 3 * PRICES[0], 0)]
    );
    let authorizations: i64 = sqlx::query_scalar("SELECT count(*) FROM payment_sandbox_intents")
        .fetch_one(&system.orders_db)
        .await
        .unwrap();
    assert_eq!(authorizations, 1);
    assert_clean(&system, 1, 1).await;
    assert_eq!(level(&system, SKU).await, (7, 0));
    system.shutdown().await;
}
