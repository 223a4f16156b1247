//! The topology table (`contracts::events::subscriptions`): every event is routable,
//! each consumer queue is bound to what its service handles, and each journal takes
//! exactly the events nobody consumes, so a mandatory publish is returned only when a
//! consumer queue is missing.

use std::collections::BTreeSet;

use contracts::events::{
    ALL_EVENT_TYPES, EventType, HoldEvent, INVENTORY_EXCHANGE, ORDER_EXCHANGE, OrderCancelled,
    OrderCommitRequested, OrderConfirmed, OrderCreated, PaymentAuthorized, PaymentCaptured,
    PaymentFailed, PaymentRefunded, PaymentVoided, ProductInventoryBelowSafetyStock,
    ProductInventoryCommitFailed, ProductInventoryCommitted, ProductInventoryCreated,
    ProductInventoryDepleted, ProductInventoryPriceChanged, ProductInventoryReleased,
    ProductInventoryReplenished, ProductInventoryReservationExpired,
    ProductInventoryReservationFailed, ProductInventoryReserved, ProductInventoryStockChanged,
    ProductInventoryTransferred,
    subscriptions::{
        INVENTORY_SERVICE_ORDER_EVENTS, JOURNALS, ORDER_SERVICE_INVENTORY_EVENTS, SUBSCRIPTIONS,
        journal_of, queues_bound_to,
    },
};

/// (event type, exchange, routing key) of every event.
fn routes() -> Vec<(&'static str, &'static str, &'static str)> {
    fn route<T: EventType>() -> (&'static str, &'static str, &'static str) {
        (T::TYPE, T::EXCHANGE, T::ROUTING_KEY)
    }
    let routes = vec![
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
        route::<ProductInventoryStockChanged>(),
        route::<ProductInventoryTransferred>(),
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
    let types: Vec<&str> = routes.iter().map(|(t, _, _)| *t).collect();
    assert_eq!(types, ALL_EVENT_TYPES, "this list names every event type");
    routes
}

/// (event type, exchange, direct routing key) of every hold event: a hold a client made
/// straight on the inventory.
fn direct_routes() -> Vec<(&'static str, &'static str, &'static str)> {
    fn direct<T: HoldEvent>() -> (&'static str, &'static str, &'static str) {
        (T::TYPE, T::EXCHANGE, T::DIRECT_ROUTING_KEY)
    }
    vec![
        direct::<ProductInventoryReserved>(),
        direct::<ProductInventoryReservationFailed>(),
        direct::<ProductInventoryReleased>(),
        direct::<ProductInventoryCommitted>(),
        direct::<ProductInventoryReservationExpired>(),
    ]
}

/// Every (event type, exchange, routing key) an event can be published under.
fn all_routes() -> Vec<(&'static str, &'static str, &'static str)> {
    routes().into_iter().chain(direct_routes()).collect()
}

#[test]
fn a_direct_hold_key_is_the_plain_key_ending_in_direct() {
    for (event_type, _, direct) in direct_routes() {
        let (_, _, plain) = routes()
            .into_iter()
            .find(|(t, _, _)| *t == event_type)
            .unwrap();
        assert_eq!(direct, format!("{plain}.direct"));
    }
}

/// The saga acts only on its own holds: order-service is never sent a client's.
#[test]
fn no_consumer_queue_binds_a_direct_hold_key() {
    for (event_type, exchange, key) in direct_routes() {
        assert!(
            SUBSCRIPTIONS
                .iter()
                .all(|s| !(s.exchange == exchange && s.routing_keys.contains(&key))),
            "{event_type} {key} is consumed"
        );
    }
}

#[test]
fn every_event_is_bound_to_some_queue() {
    for (event_type, exchange, key) in all_routes() {
        assert!(
            !queues_bound_to(exchange, key).is_empty(),
            "{event_type} ({exchange} {key}) would be returned for ever"
        );
    }
}

#[test]
fn an_event_goes_to_its_consumers_or_to_the_journal_never_both() {
    for (event_type, exchange, key) in all_routes() {
        let consumed = SUBSCRIPTIONS
            .iter()
            .any(|s| s.exchange == exchange && s.routing_keys.contains(&key));
        let journaled = journal_of(exchange).is_some_and(|j| j.routing_keys.contains(&key));
        assert!(
            consumed != journaled,
            "{event_type}: consumed {consumed}, journaled {journaled}"
        );
    }
}

#[test]
fn inventory_service_consumes_the_orders_it_reserves_commits_and_releases() {
    assert_eq!(
        INVENTORY_SERVICE_ORDER_EVENTS.queue,
        "inventory-service.order_events"
    );
    assert_eq!(INVENTORY_SERVICE_ORDER_EVENTS.consumer, "inventory-service");
    assert_eq!(INVENTORY_SERVICE_ORDER_EVENTS.exchange, ORDER_EXCHANGE);
    assert_eq!(
        INVENTORY_SERVICE_ORDER_EVENTS.routing_keys,
        ["order.created", "order.commit_requested", "order.cancelled"]
    );
}

#[test]
fn order_service_consumes_every_answer_of_the_inventory() {
    assert_eq!(
        ORDER_SERVICE_INVENTORY_EVENTS.queue,
        "order-service.inventory_events"
    );
    assert_eq!(ORDER_SERVICE_INVENTORY_EVENTS.consumer, "order-service");
    assert_eq!(ORDER_SERVICE_INVENTORY_EVENTS.exchange, INVENTORY_EXCHANGE);
    assert_eq!(
        ORDER_SERVICE_INVENTORY_EVENTS.routing_keys,
        [
            "product.inventory.reserved",
            "product.inventory.reservation_failed",
            "product.inventory.expired",
            "product.inventory.committed",
            "product.inventory.commit_failed",
        ]
    );
}

#[test]
fn the_journals_take_exactly_what_nobody_consumes() {
    assert_eq!(
        journal_of(INVENTORY_EXCHANGE).unwrap().routing_keys,
        [
            "product.inventory.created",
            "product.inventory.released",
            "product.inventory.replenished",
            "product.inventory.depleted",
            "product.inventory.below_safety_stock",
            "product.inventory.transferred",
            "product.inventory.price_changed",
            "product.inventory.stock_changed",
            "product.inventory.reserved.direct",
            "product.inventory.reservation_failed.direct",
            "product.inventory.released.direct",
            "product.inventory.committed.direct",
            "product.inventory.expired.direct",
        ]
    );
    assert_eq!(
        journal_of(ORDER_EXCHANGE).unwrap().routing_keys,
        [
            "order.confirmed",
            "order.payment.authorized",
            "order.payment.failed",
            "order.payment.captured",
            "order.payment.voided",
            "order.payment.refunded",
        ]
    );
    assert_eq!(journal_of("elsewhere"), None);
}

#[test]
fn queues_are_named_after_their_consumer_or_exchange() {
    for s in SUBSCRIPTIONS {
        assert_eq!(s.queue, format!("{}.{}", s.consumer, s.exchange));
    }
    for j in JOURNALS {
        assert_eq!(j.queue, format!("{}.journal", j.exchange));
    }
    let exchanges: BTreeSet<&str> = JOURNALS.iter().map(|j| j.exchange).collect();
    assert_eq!(
        exchanges,
        BTreeSet::from([INVENTORY_EXCHANGE, ORDER_EXCHANGE]),
        "one journal per exchange"
    );
}

/// A wildcard would bind keys no event has yet; a journal on `#` would route an event
/// whose consumer queue is missing, which the mandatory flag must see.
#[test]
fn every_bound_key_is_an_events_routing_key_on_its_exchange_without_wildcards() {
    let known: BTreeSet<(&str, &str)> = all_routes().into_iter().map(|(_, x, k)| (x, k)).collect();
    let bound = SUBSCRIPTIONS
        .iter()
        .flat_map(|s| {
            s.routing_keys
                .iter()
                .map(move |k| (s.queue, s.exchange, *k))
        })
        .chain(JOURNALS.iter().flat_map(|j| {
            j.routing_keys
                .iter()
                .map(move |k| (j.queue, j.exchange, *k))
        }));
    for (queue, exchange, key) in bound {
        assert!(
            !key.contains('#') && !key.contains('*'),
            "{queue} binds the wildcard {key}"
        );
        assert!(
            known.contains(&(exchange, key)),
            "{queue} binds {key} on {exchange}, which no event uses"
        );
    }
}

#[test]
fn the_journals_are_bounded_by_length_and_age() {
    for j in JOURNALS {
        assert_eq!(j.max_length, 100_000, "{}", j.queue);
        assert_eq!(j.message_ttl.as_secs(), 7 * 24 * 60 * 60, "{}", j.queue);
    }
}

#[test]
fn queues_bound_to_names_the_consumers_or_the_journal() {
    assert_eq!(
        queues_bound_to(ORDER_EXCHANGE, "order.created"),
        ["inventory-service.order_events"]
    );
    assert_eq!(
        queues_bound_to(ORDER_EXCHANGE, "order.confirmed"),
        ["order_events.journal"]
    );
    assert!(queues_bound_to(ORDER_EXCHANGE, "order.unheard_of").is_empty());
    assert!(queues_bound_to(INVENTORY_EXCHANGE, "order.created").is_empty());
}
