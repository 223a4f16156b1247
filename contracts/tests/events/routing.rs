//! Each event goes to its owner's exchange under the routing key of docs/contract.md §5.

use contracts::events::{
    ALL_EVENT_TYPES, EventType, INVENTORY_EXCHANGE, ORDER_EXCHANGE, OrderCancelled,
    OrderCommitRequested, OrderConfirmed, OrderCreated, PaymentAuthorized, PaymentCaptured,
    PaymentFailed, PaymentRefunded, PaymentVoided, ProductInventoryBelowSafetyStock,
    ProductInventoryCommitFailed, ProductInventoryCommitted, ProductInventoryCreated,
    ProductInventoryDepleted, ProductInventoryPriceChanged, ProductInventoryReleased,
    ProductInventoryReplenished, ProductInventoryReservationExpired,
    ProductInventoryReservationFailed, ProductInventoryReserved,
};

#[test]
fn each_event_goes_to_its_owners_exchange_under_the_agreed_routing_key() {
    fn route<T: EventType>() -> (&'static str, u32, &'static str, &'static str) {
        (T::TYPE, T::VERSION, T::EXCHANGE, T::ROUTING_KEY)
    }
    let inventory = "inventory_events";
    let order = "order_events";
    let routes = [
        route::<ProductInventoryCreated>(),
        route::<ProductInventoryReserved>(),
        route::<ProductInventoryReservationFailed>(),
        route::<ProductInventoryReleased>(),
        route::<ProductInventoryCommitted>(),
        route::<ProductInventoryCommitFailed>(),
        route::<ProductInventoryReplenished>(),
        route::<ProductInventoryReservationExpired>(),
        route::<ProductInventoryDepleted>(),
        route::<ProductInventoryBelowSafetyStock>(),
        route::<ProductInventoryPriceChanged>(),
        route::<OrderCreated>(),
        route::<OrderCommitRequested>(),
        route::<OrderConfirmed>(),
        route::<OrderCancelled>(),
        route::<PaymentAuthorized>(),
        route::<PaymentFailed>(),
        route::<PaymentCaptured>(),
        route::<PaymentVoided>(),
        route::<PaymentRefunded>(),
    ];
    let expected = [
        (
            "ProductInventoryCreated",
            1,
            inventory,
            "product.inventory.created",
        ),
        (
            "ProductInventoryReserved",
            1,
            inventory,
            "product.inventory.reserved",
        ),
        (
            "ProductInventoryReservationFailed",
            1,
            inventory,
            "product.inventory.reservation_failed",
        ),
        (
            "ProductInventoryReleased",
            1,
            inventory,
            "product.inventory.released",
        ),
        (
            "ProductInventoryCommitted",
            1,
            inventory,
            "product.inventory.committed",
        ),
        (
            "ProductInventoryCommitFailed",
            1,
            inventory,
            "product.inventory.commit_failed",
        ),
        (
            "ProductInventoryReplenished",
            1,
            inventory,
            "product.inventory.replenished",
        ),
        (
            "ProductInventoryReservationExpired",
            1,
            inventory,
            "product.inventory.expired",
        ),
        (
            "ProductInventoryDepleted",
            1,
            inventory,
            "product.inventory.depleted",
        ),
        (
            "ProductInventoryBelowSafetyStock",
            1,
            inventory,
            "product.inventory.below_safety_stock",
        ),
        (
            "ProductInventoryPriceChanged",
            1,
            inventory,
            "product.inventory.price_changed",
        ),
        ("OrderCreated", 1, order, "order.created"),
        ("OrderCommitRequested", 1, order, "order.commit_requested"),
        ("OrderConfirmed", 1, order, "order.confirmed"),
        ("OrderCancelled", 1, order, "order.cancelled"),
        ("PaymentAuthorized", 1, order, "order.payment.authorized"),
        ("PaymentFailed", 1, order, "order.payment.failed"),
        ("PaymentCaptured", 1, order, "order.payment.captured"),
        ("PaymentVoided", 1, order, "order.payment.voided"),
        ("PaymentRefunded", 1, order, "order.payment.refunded"),
    ];
    assert_eq!(routes, expected);
}

#[test]
fn the_exchange_constants_are_the_owners_exchange_names() {
    assert_eq!(INVENTORY_EXCHANGE, "inventory_events");
    assert_eq!(ORDER_EXCHANGE, "order_events");
}

#[test]
fn the_list_of_event_types_names_each_type_once() {
    let mut sorted = ALL_EVENT_TYPES.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), ALL_EVENT_TYPES.len());
    let owned_by_inventory = ALL_EVENT_TYPES
        .iter()
        .filter(|name| name.starts_with("ProductInventory"))
        .count();
    let owned_by_order = ALL_EVENT_TYPES
        .iter()
        .filter(|name| name.starts_with("Order"))
        .count();
    assert_eq!((owned_by_inventory, owned_by_order), (13, 4));
}
