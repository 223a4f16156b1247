//! `docs/asyncapi.yaml` stays in step with the contracts: it references every generated
//! schema file and no other, routes every event by its exchange and routing key, and
//! binds each queue (consumers' and journals') with exactly the keys of the topology
//! table (`contracts::events::subscriptions`).

use std::collections::BTreeSet;
use std::path::Path;

use contracts::events::{
    EventType, OrderCancelled, OrderCommitRequested, OrderConfirmed, OrderCreated,
    PaymentAuthorized, PaymentCaptured, PaymentFailed, PaymentRefunded, PaymentVoided,
    ProductInventoryBelowSafetyStock, ProductInventoryCommitFailed, ProductInventoryCommitted,
    ProductInventoryCreated, ProductInventoryDepleted, ProductInventoryPriceChanged,
    ProductInventoryReleased, ProductInventoryReplenished, ProductInventoryReservationExpired,
    ProductInventoryReservationFailed, ProductInventoryReserved, schemas,
    subscriptions::{JOURNALS, SUBSCRIPTIONS},
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

fn routes() -> [Route; 20] {
    [
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

/// The `x-bindings` of the channel whose address is `queue`, as (exchange, routing key)
/// pairs in document order.
fn bindings_of(doc: &str, queue: &str) -> Vec<(String, String)> {
    let start = doc
        .find(&format!("    address: {queue}\n"))
        .unwrap_or_else(|| panic!("docs/asyncapi.yaml has no channel for {queue}"));
    let channel = &doc[start..];
    let channel = &channel[..channel.find("\n\n").map_or(channel.len(), |end| end + 1)];
    let list = channel
        .split_once("    x-bindings:\n")
        .unwrap_or_else(|| panic!("the channel of {queue} lists no x-bindings"))
        .1;
    let mut bindings = Vec::new();
    let mut lines = list.lines();
    while let Some(line) = lines.next() {
        let Some(exchange) = line.strip_prefix("      - exchange: ") else {
            break;
        };
        let key = lines
            .next()
            .and_then(|l| l.strip_prefix("        routingKey: "))
            .unwrap_or_else(|| panic!("{queue}: a binding without its routing key"));
        bindings.push((exchange.to_owned(), key.to_owned()));
    }
    bindings
}

#[test]
fn the_asyncapi_document_binds_each_queue_as_the_topology_table_does() {
    let doc = document();
    let tables = SUBSCRIPTIONS
        .iter()
        .map(|s| (s.queue, s.exchange, s.routing_keys))
        .chain(
            JOURNALS
                .iter()
                .map(|j| (j.queue, j.exchange, j.routing_keys)),
        );
    for (queue, exchange, keys) in tables {
        let expected: Vec<(String, String)> = keys
            .iter()
            .map(|key| (exchange.to_owned(), (*key).to_owned()))
            .collect();
        assert_eq!(bindings_of(&doc, queue), expected, "bindings of {queue}");
    }
}

#[test]
fn the_asyncapi_document_bounds_the_journals() {
    let doc = document();
    for journal in JOURNALS {
        let start = doc
            .find(&format!("    address: {}\n", journal.queue))
            .expect("a channel per journal");
        let channel = &doc[start..];
        let channel = &channel[..channel.find("\n\n").map_or(channel.len(), |end| end + 1)];
        for argument in [
            format!("      x-max-length: {}\n", journal.max_length),
            "      x-overflow: drop-head\n".to_owned(),
            format!("      x-message-ttl: {}\n", journal.message_ttl.as_millis()),
        ] {
            assert!(
                channel.contains(&argument),
                "{}: lacks `{}`",
                journal.queue,
                argument.trim()
            );
        }
    }
}

fn channel_of(exchange: &str) -> &'static str {
    match exchange {
        "inventory_events" => "inventoryEvents",
        "order_events" => "orderEvents",
        other => panic!("no channel for exchange {other}"),
    }
}
