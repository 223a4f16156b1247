//! Expiry in batches, through the use case and the store: many due holds go in one
//! round, with exactly the stock, movements and events of expiring them one by one;
//! sweepers racing over the same holds expire each once; a hold committed or released
//! first, even while the round waits for its product, is left alone; the expiry lag
//! reads how late the oldest overdue hold is.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use contracts::events::{HoldEvent, ProductInventoryReservationExpired};
use contracts::inventory::{Release, ReserveAll};
use contracts::{Actor, OrderId, Quantity, Sku, StockLevel};
use futures::{StreamExt, stream};
use inventory_service::adapters::postgres::{PgInventoryStore, StoreSampler};

use crate::helpers::connect;
use inventory_service::application::{
    HoldRequest, Inventory, InventoryStore, ReserveOutcome, Sweep,
};
use inventory_service::domain::ProductInventory;
use sqlx::PgPool;
use testkit::TestDatabase;

type Service = Inventory<PgInventoryStore>;

async fn service_on(db: &TestDatabase) -> Service {
    let pool = connect(&db.url).await;
    Inventory::new(
        PgInventoryStore::new(messaging::Database::new(pool)),
        Duration::minutes(15),
    )
}

fn pool(service: &Service) -> &PgPool {
    service.store().pool()
}

fn shop() -> Actor {
    Actor::caller("shop").unwrap()
}

fn sku(n: usize) -> Sku {
    Sku::parse(&format!("SWP-{n:04}-AA")).unwrap()
}

async fn create(service: &Service, sku: &Sku, on_hand: i64) {
    let (product, created) = ProductInventory::create(
        contracts::LocationId::central(),
        sku.clone(),
        StockLevel::parse("qty", on_hand).unwrap(),
        StockLevel::default(),
        None,
    );
    service
        .store()
        .create(&product, &created, &[])
        .await
        .unwrap();
}

/// One hold, placed as the single-SKU route does, expiring at `expires_at` (in the past
/// for a hold already due).
#[derive(Debug, Clone)]
struct Hold {
    order: String,
    sku: Sku,
    qty: i64,
    expires_at: DateTime<Utc>,
}

async fn place(service: &Service, holds: &[Hold]) {
    stream::iter(holds)
        .for_each_concurrent(8, |h| async move {
            let outcome = service
                .store()
                .reserve_one(&HoldRequest {
                    location: contracts::LocationId::central(),
                    owner: shop(),
                    order_id: OrderId::parse(&h.order).unwrap(),
                    sku: h.sku.clone(),
                    qty: Quantity::parse(h.qty).unwrap(),
                    expires_at: h.expires_at,
                })
                .await
                .unwrap();
            assert_eq!(outcome, ReserveOutcome::Reserved, "{h:?}");
        })
        .await;
}

async fn reserved(service: &Service, sku: &Sku) -> i64 {
    service
        .stock(&contracts::LocationId::central(), sku)
        .await
        .unwrap()
        .product
        .reserved()
}

/// One line of a SKU's trail, as stored.
#[derive(Debug, sqlx::FromRow)]
struct TrailRow {
    kind: String,
    qty: i64,
    order_id: Option<String>,
    on_hand_after: i64,
    reserved_after: i64,
    actor: Option<String>,
}

/// Replays a SKU's trail oldest first: every movement must carry the stock it left, and
/// the last one the stock as stored. Answers the `expired` movements, as (order, qty).
async fn replayed_expiries(service: &Service, sku: &Sku) -> Vec<(String, i64)> {
    let rows: Vec<TrailRow> = sqlx::query_as(
        "SELECT kind, qty, order_id, on_hand_after, reserved_after, actor
           FROM movements WHERE sku = $1 ORDER BY id",
    )
    .bind(sku.as_str())
    .fetch_all(pool(service))
    .await
    .unwrap();
    let (mut on_hand, mut held) = (0, 0);
    let mut expired = Vec::new();
    for row in rows {
        match row.kind.as_str() {
            "created" => on_hand += row.qty,
            "reserved" => held += row.qty,
            "released" => held -= row.qty,
            "committed" => {
                on_hand -= row.qty;
                held -= row.qty;
            }
            "expired" => {
                held -= row.qty;
                assert_eq!(row.actor.as_deref(), Some("expiry"), "{row:?}");
                expired.push((row.order_id.clone().unwrap(), row.qty));
            }
            other => panic!("unexpected movement {other}"),
        }
        assert_eq!(
            (on_hand, held),
            (row.on_hand_after, row.reserved_after),
            "{row:?}"
        );
    }
    let stock = service
        .stock(&contracts::LocationId::central(), sku)
        .await
        .unwrap()
        .product;
    assert_eq!((on_hand, held), (stock.on_hand(), stock.reserved()));
    expired
}

/// The `ReservationExpired` events in the outbox, as (order, SKU, qty), one per line.
/// These holds are a client's own: under the direct routing key.
async fn expiry_events(service: &Service) -> Vec<(String, String, i64)> {
    let payloads: Vec<serde_json::Value> =
        sqlx::query_scalar("SELECT payload FROM outbox WHERE routing_key = $1 ORDER BY seq")
            .bind(ProductInventoryReservationExpired::DIRECT_ROUTING_KEY)
            .fetch_all(pool(service))
            .await
            .unwrap();
    payloads
        .iter()
        .flat_map(|p| {
            let data = &p["data"];
            let items = data["items"].as_array().unwrap();
            assert_eq!(items.len(), 1, "{p}");
            items.iter().map(|item| {
                (
                    data["orderId"].as_str().unwrap().to_owned(),
                    item["sku"].as_str().unwrap().to_owned(),
                    item["qty"].as_i64().unwrap(),
                )
            })
        })
        .collect()
}

async fn statuses(service: &Service, status: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM reservations WHERE status = $1")
        .bind(status)
        .fetch_one(pool(service))
        .await
        .unwrap()
}

#[tokio::test]
async fn many_due_holds_expire_in_one_round_with_their_movements_and_events() {
    let db = testkit::fresh_database("inventory").await;
    let service = service_on(&db).await;
    let skus: Vec<Sku> = (0..5).map(sku).collect();
    for s in &skus {
        create(&service, s, 1_000).await;
    }
    let now = Utc::now();
    let due: Vec<Hold> = (0..500)
        .map(|n| Hold {
            order: format!("o-{n}"),
            sku: skus[n % 5].clone(),
            qty: 1 + (n % 3) as i64,
            expires_at: now - Duration::seconds(1 + (n % 50) as i64),
        })
        .collect();
    let later: Vec<Hold> = skus
        .iter()
        .map(|s| Hold {
            order: format!("later-{s}"),
            sku: s.clone(),
            qty: 2,
            expires_at: now + Duration::minutes(10),
        })
        .collect();
    place(&service, &due).await;
    place(&service, &later).await;

    let started = Instant::now();
    let sweep = service.expire_due(now, 1_000).await.unwrap();
    let took = started.elapsed();
    eprintln!(
        "expired {} holds in one round in {took:?}: {:.0} holds/s",
        sweep.expired,
        sweep.expired as f64 / took.as_secs_f64()
    );

    assert_eq!(
        sweep,
        Sweep {
            due: 500,
            expired: 500
        }
    );
    assert_eq!(statuses(&service, "expired").await, 500);
    assert_eq!(statuses(&service, "active").await, 5);
    let held: i64 = sqlx::query_scalar(
        "SELECT COALESCE(sum(held), 0)::bigint FROM reservations WHERE status = 'expired'",
    )
    .fetch_one(pool(&service))
    .await
    .unwrap();
    assert_eq!(held, 0);
    for s in &skus {
        assert_eq!(reserved(&service, s).await, 2, "{s}");
        let mut expired = replayed_expiries(&service, s).await;
        expired.sort();
        let mut expected: Vec<(String, i64)> = due
            .iter()
            .filter(|h| &h.sku == s)
            .map(|h| (h.order.clone(), h.qty))
            .collect();
        expected.sort();
        assert_eq!(expired, expected, "{s}");
    }
    let mut events = expiry_events(&service).await;
    events.sort();
    let mut expected: Vec<(String, String, i64)> = due
        .iter()
        .map(|h| (h.order.clone(), h.sku.to_string(), h.qty))
        .collect();
    expected.sort();
    assert_eq!(events, expected);

    assert_eq!(
        service.expire_due(now, 1_000).await.unwrap(),
        Sweep::default()
    );
}

#[tokio::test]
async fn a_round_takes_the_oldest_due_holds_first_and_says_when_more_are_due() {
    let db = testkit::fresh_database("inventory").await;
    let service = service_on(&db).await;
    create(&service, &sku(1), 100).await;
    let now = Utc::now();
    let holds: Vec<Hold> = (0..10)
        .map(|n| Hold {
            order: format!("o-{n}"),
            sku: sku(1),
            qty: 1,
            expires_at: now - Duration::seconds(10 - n),
        })
        .collect();
    place(&service, &holds).await;

    assert_eq!(
        service.expire_due(now, 4).await.unwrap(),
        Sweep { due: 4, expired: 4 }
    );
    let mut first = replayed_expiries(&service, &sku(1)).await;
    first.sort();
    assert_eq!(
        first,
        ["o-0", "o-1", "o-2", "o-3"].map(|o| (o.to_owned(), 1))
    );
    assert_eq!(service.expire_due(now, 4).await.unwrap().expired, 4);
    assert_eq!(
        service.expire_due(now, 4).await.unwrap(),
        Sweep { due: 2, expired: 2 }
    );
    assert_eq!(reserved(&service, &sku(1)).await, 0);
}

#[tokio::test]
async fn sweepers_racing_over_the_same_holds_expire_each_once() {
    let db = testkit::fresh_database("inventory").await;
    let one = service_on(&db).await;
    let two = service_on(&db).await;
    let skus: Vec<Sku> = (0..4).map(sku).collect();
    for s in &skus {
        create(&one, s, 1_000).await;
    }
    let now = Utc::now();
    let due: Vec<Hold> = (0..400)
        .map(|n| Hold {
            order: format!("o-{n}"),
            sku: skus[n % 4].clone(),
            qty: 1,
            expires_at: now - Duration::seconds(1 + (n % 7) as i64),
        })
        .collect();
    place(&one, &due).await;

    // Both sweep in small batches while whole-order reservations lock the same products
    // (two SKUs each) through either instance.
    let (one, two) = (Arc::new(one), Arc::new(two));
    let sweep = |service: Arc<Service>| async move {
        let mut expired = 0;
        loop {
            let sweep = service.expire_due(now, 37).await.unwrap();
            expired += sweep.expired;
            if sweep.due == 0 {
                return expired;
            }
        }
    };
    let reserve = async {
        for n in 0..40 {
            let mut lines = vec![
                (skus[n % 4].clone(), Quantity::parse(1).unwrap()),
                (skus[(n + 3) % 4].clone(), Quantity::parse(2).unwrap()),
            ];
            lines.sort_by(|a, b| a.0.cmp(&b.0));
            let service = if n % 2 == 0 { &one } else { &two };
            service
                .reserve_all(
                    ReserveAll {
                        location: contracts::LocationId::central(),
                        order_id: OrderId::parse(&format!("new-{n}")).unwrap(),
                        lines,
                        ttl_seconds: Some(600),
                    },
                    Utc::now(),
                    &shop(),
                )
                .await
                .unwrap();
        }
    };
    let (a, b, ()) = tokio::join!(
        tokio::spawn(sweep(one.clone())),
        tokio::spawn(sweep(two.clone())),
        reserve
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    eprintln!("racing sweepers expired {a} and {b}");
    assert_eq!(a + b, 400);

    let mut all = BTreeSet::new();
    for s in &skus {
        let expired = replayed_expiries(&one, s).await;
        assert_eq!(expired.len(), 100, "{s}");
        all.extend(expired.into_iter().map(|(order, _)| (order, s.clone())));
        // 40 new orders, each holding 1 of one SKU and 2 of another: 30 units a SKU.
        assert_eq!(reserved(&one, s).await, 30, "{s}");
    }
    assert_eq!(all.len(), 400, "one expired movement per hold");
    assert_eq!(expiry_events(&one).await.len(), 400);
    assert_eq!(statuses(&one, "expired").await, 400);
}

#[tokio::test]
async fn a_hold_committed_or_released_before_the_round_is_not_expired() {
    let db = testkit::fresh_database("inventory").await;
    let service = service_on(&db).await;
    let s = sku(1);
    create(&service, &s, 10).await;
    let now = Utc::now();
    let past = now - Duration::seconds(5);
    let holds: Vec<Hold> = ["o-confirmed", "o-released", "o-due"]
        .map(|order| Hold {
            order: order.to_owned(),
            sku: s.clone(),
            qty: 2,
            expires_at: past,
        })
        .to_vec();
    place(&service, &holds).await;
    service
        .confirm(
            &contracts::LocationId::central(),
            &s,
            &OrderId::parse("o-confirmed").unwrap(),
            &shop(),
        )
        .await
        .unwrap();
    service
        .release(
            &contracts::LocationId::central(),
            &s,
            Release {
                order_id: OrderId::parse("o-released").unwrap(),
                up_to: None,
            },
            &shop(),
        )
        .await
        .unwrap();

    assert_eq!(
        service.expire_due(now, 100).await.unwrap(),
        Sweep { due: 1, expired: 1 }
    );
    assert_eq!(
        replayed_expiries(&service, &s).await,
        [("o-due".to_owned(), 2)]
    );
    assert_eq!(statuses(&service, "committed").await, 1);
    assert_eq!(statuses(&service, "released").await, 1);
    let stock = service
        .stock(&contracts::LocationId::central(), &s)
        .await
        .unwrap()
        .product;
    assert_eq!((stock.on_hand(), stock.reserved()), (8, 0));
}

#[tokio::test]
async fn a_hold_committed_while_the_round_waits_for_its_product_is_not_expired() {
    let db = testkit::fresh_database("inventory").await;
    let service = Arc::new(service_on(&db).await);
    let s = sku(1);
    create(&service, &s, 10).await;
    let now = Utc::now();
    place(
        &service,
        &[Hold {
            order: "o-late".to_owned(),
            sku: s.clone(),
            qty: 3,
            expires_at: now - Duration::seconds(5),
        }],
    )
    .await;

    // Another change holds the product's lock while the round finds the hold due.
    let other = PgPool::connect(&db.url).await.unwrap();
    let mut tx = other.begin().await.unwrap();
    sqlx::query("SELECT 1 FROM product_inventory WHERE sku = $1 FOR UPDATE")
        .bind(s.as_str())
        .execute(&mut *tx)
        .await
        .unwrap();
    let sweeping = service.clone();
    let round = tokio::spawn(async move { sweeping.expire_due(now, 100).await });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        !round.is_finished(),
        "the round waits for the product's lock"
    );
    // That change commits the hold.
    sqlx::query(
        "UPDATE reservations SET status = 'committed', updated_at = now()
          WHERE order_id = 'o-late' AND sku = $1",
    )
    .bind(s.as_str())
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "UPDATE product_inventory SET on_hand = on_hand - 3, reserved = reserved - 3,
                version = version + 1
          WHERE sku = $1",
    )
    .bind(s.as_str())
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();

    assert_eq!(round.await.unwrap().unwrap(), Sweep { due: 1, expired: 0 });
    let stock = service
        .stock(&contracts::LocationId::central(), &s)
        .await
        .unwrap()
        .product;
    assert_eq!((stock.on_hand(), stock.reserved()), (7, 0));
    assert_eq!(statuses(&service, "committed").await, 1);
    assert!(expiry_events(&service).await.is_empty());
}

#[tokio::test]
async fn the_expiry_lag_is_the_age_of_the_oldest_overdue_hold_and_0_once_swept() {
    let db = testkit::fresh_database("inventory").await;
    let service = service_on(&db).await;
    let sampler = StoreSampler {
        pool: pool(&service).clone(),
        interval: StoreSampler::DEFAULT_INTERVAL,
    };
    let s = sku(1);
    create(&service, &s, 100).await;
    let now = Utc::now();
    assert_eq!(sampler.expiry_lag(now).await.unwrap(), 0.0);

    let holds: Vec<Hold> = [
        ("o-committed", 60),
        ("o-old", 30),
        ("o-new", 5),
        ("o-later", -600),
    ]
    .map(|(order, ago)| Hold {
        order: order.to_owned(),
        sku: s.clone(),
        qty: 1,
        expires_at: now - Duration::seconds(ago),
    })
    .to_vec();
    place(&service, &holds).await;
    // A hold no longer active is no lag, however long ago it fell due.
    service
        .confirm(
            &contracts::LocationId::central(),
            &s,
            &OrderId::parse("o-committed").unwrap(),
            &shop(),
        )
        .await
        .unwrap();

    let lag = sampler.expiry_lag(now).await.unwrap();
    assert!((lag - 30.0).abs() < 0.001, "{lag}");

    service.expire_due(now, 100).await.unwrap();
    assert_eq!(sampler.expiry_lag(now).await.unwrap(), 0.0);
    assert_eq!(reserved(&service, &s).await, 1, "the later hold stays");
}
