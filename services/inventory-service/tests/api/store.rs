//! The adapter's one-statement reservation must decide exactly as the domain does.

use chrono::{Duration, Utc};
use contracts::{OrderId, Quantity, Sku, StockLevel};
use inventory_service::adapters::postgres::PgInventoryStore;

use crate::helpers::connect;
use inventory_service::application::{HoldRequest, InventoryStore, ReserveOutcome};
use inventory_service::domain::{InventoryError, ProductInventory};

#[tokio::test]
async fn the_sql_reservation_agrees_with_the_domain_rule() {
    let db = testkit::fresh_database("inventory").await;
    let store = PgInventoryStore::new(messaging::Database::new(connect(&db.url).await));
    let sku = Sku::parse("ABC-1234-AB").unwrap();
    let (mut model, created) = ProductInventory::create(
        contracts::LocationId::central(),
        sku.clone(),
        StockLevel::parse("qty", 20).unwrap(),
        StockLevel::parse("safetyStock", 6).unwrap(),
        None,
    );
    store.create(&model, &created, &[]).await.unwrap();

    for (i, ask) in [3, 9, 5, 7, 2, 4, 1, 1, 9].into_iter().enumerate() {
        let order_id = OrderId::parse(&format!("o-{i}")).unwrap();
        let qty = Quantity::parse(ask).unwrap();
        let expected = model.reserve(qty, &order_id);
        let actual = store
            .reserve_one(&HoldRequest {
                location: contracts::LocationId::central(),
                owner: contracts::Actor::anonymous(),
                order_id,
                sku: sku.clone(),
                qty,
                expires_at: Utc::now() + Duration::minutes(5),
            })
            .await
            .unwrap();
        match (&expected, &actual) {
            (Ok(_), ReserveOutcome::Reserved) => {}
            (
                Err(InventoryError::InsufficientStock(s)),
                ReserveOutcome::Insufficient { available },
            ) => {
                assert_eq!(s[0].available, *available)
            }
            _ => panic!("step {i}: domain {expected:?}, store {actual:?}"),
        }
        let stored = store
            .find(&contracts::LocationId::central(), &sku)
            .await
            .unwrap()
            .unwrap()
            .product;
        assert_eq!(stored, model, "step {i}");
    }
    let crossings: i64 =
        sqlx::query_scalar("SELECT count(*) FROM movements WHERE crossed_below_safety_stock")
            .fetch_one(store.pool())
            .await
            .unwrap();
    assert_eq!(crossings, 1);
}
