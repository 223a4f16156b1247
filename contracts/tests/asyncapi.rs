//! `docs/asyncapi.yaml` stays in step with the contracts: it references every generated
//! schema file and no other, and routes every event by its exchange and routing key.

use std::collections::BTreeSet;
use std::path::Path;

use contracts::events::{
    EventType, OrderCancelled, OrderConfirmed, OrderCreated, ProductInventoryBelowSafetyStock,
    ProductInventoryCommitted, ProductInventoryCreated, ProductInventoryDepleted,
    ProductInventoryReleased, ProductInventoryReplenished, ProductInventoryReservationExpired,
    ProductInventoryReservationFailed, ProductInventoryReserved, schemas,
};

const SCHEMA_PREFIX: &str = "../contracts/schemas/";

fn document() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/asyncapi.yaml");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

struct Route {
    event_type: &'static str,
    exchange: &'static str,
    routing_key: &'static str,
}

fn route<T: EventType>() -> Route {
    Route {
        event_type: T::TYPE,
        exchange: T::EXCHANGE,
        routing_key: T::ROUTING_KEY,
    }
}

fn routes() -> [Route; 12] {
    [
        route::<ProductInventoryCreated>(),
        route::<ProductInventoryReserved>(),
        route::<ProductInventoryReservationFailed>(),
        route::<ProductInventoryReleased>(),
        route::<ProductInventoryCommitted>(),
        route::<ProductInventoryReplenished>(),
        route::<ProductInventoryReservationExpired>(),
        route::<ProductInventoryDepleted>(),
        route::<ProductInventoryBelowSafetyStock>(),
        route::<OrderCreated>(),
        route::<OrderConfirmed>(),
        route::<OrderCancelled>(),
    ]
}

#[test]
fn the_asyncapi_document_is_version_3_0() {
    assert!(document().lines().any(|line| line == "asyncapi: 3.0.0"));
}

#[test]
fn the_asyncapi_document_references_every_generated_schema_and_no_other() {
    let doc = document();
    let referenced: BTreeSet<&str> = doc
        .match_indices(SCHEMA_PREFIX)
        .map(|(at, _)| {
            let rest = &doc[at + SCHEMA_PREFIX.len()..];
            &rest[..rest.find('\'').expect("a schema reference is quoted")]
        })
        .collect();
    let generated: Vec<String> = schemas().into_iter().map(|(name, _)| name).collect();
    let generated: BTreeSet<&str> = generated.iter().map(String::as_str).collect();
    assert_eq!(referenced, generated);
}

#[test]
fn the_asyncapi_document_routes_every_event_by_its_routing_key() {
    let doc = document();
    for Route {
        event_type,
        exchange,
        routing_key,
    } in routes()
    {
        for expected in [
            format!("      {routing_key}: {event_type}\n"),
            format!("      x-routing-key: {routing_key}\n"),
            format!("          messageType: {event_type}\n"),
            format!(
                "$ref: '#/channels/{}/messages/{event_type}'",
                channel_of(exchange)
            ),
        ] {
            assert!(
                doc.contains(&expected),
                "docs/asyncapi.yaml lacks `{}`",
                expected.trim()
            );
        }
    }
}

#[test]
fn the_asyncapi_document_declares_both_exchanges_as_durable_topics() {
    let doc = document();
    for exchange in ["inventory_events", "order_events"] {
        let declaration = format!(
            "        exchange:\n          name: {exchange}\n          type: topic\n          durable: true\n"
        );
        assert!(
            doc.contains(&declaration),
            "{exchange} is not a durable topic exchange"
        );
    }
}

fn channel_of(exchange: &str) -> &'static str {
    match exchange {
        "inventory_events" => "inventoryEvents",
        "order_events" => "orderEvents",
        other => panic!("no channel for exchange {other}"),
    }
}
