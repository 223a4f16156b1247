//! The system's topology as RabbitMQ definitions: the JSON that `load_definitions`
//! (at broker start) and `rabbitmqctl import_definitions` read. Committed as
//! `infra/rabbitmq/definitions.json`; a test fails when the file and this code differ
//! (`UPDATE_DEFINITIONS=1 cargo test -p messaging --test definitions` rewrites it).
//!
//! Why a file: a consumer declares its queue when it starts, but an event published
//! before that (order-service starts first and takes an order) would find no queue and
//! be returned to its relay. Applied before any service runs, the definitions give every
//! event its queue from the start.
//!
//! Why generated: RabbitMQ refuses to re-declare a queue with other arguments
//! (`406 PRECONDITION_FAILED`), and a service that cannot declare its queue cannot
//! consume. The queues here are built by the very functions the services declare with
//! ([`ConsumerQueue::queues`], [`JournalQueue::arguments`]), so the two agree argument
//! for argument.
//!
//! What it holds: both exchanges; each consumer queue of the table with its retry
//! queues (`x-message-ttl`, `x-dead-letter-exchange` "", `x-dead-letter-routing-key`)
//! and its DLQ; each journal with its bounds; every binding. And the virtual host `/`
//! with the user `guest` (password `guest`) and its permissions: a broker that loads
//! definitions at start creates no default user, and every local setting connects as
//! guest.

use std::{collections::BTreeSet, time::Duration};

use contracts::events::subscriptions::{JOURNALS, SUBSCRIPTIONS};
use lapin::types::{AMQPValue, FieldTable};
use serde_json::{Map, Value, json};

use super::{ConsumerQueue, JournalQueue, Names};

/// The services' default retry delays (`RETRY_DELAYS_MS` = 1000,2000,4000): what the
/// services read when it is unset, and what the definitions file declares.
pub const DEFAULT_RETRY_DELAYS: [Duration; 3] = [
    Duration::from_secs(1),
    Duration::from_secs(2),
    Duration::from_secs(4),
];

/// The virtual host of every local setting.
pub const VHOST: &str = "/";

/// The user of every local setting.
pub const USER: &str = "guest";

/// RabbitMQ's `rabbit_password_hashing_sha256` of the password `guest`: base64 of a
/// 4-byte salt followed by SHA-256(salt ++ password).
const GUEST_PASSWORD_HASH: &str = "0v/U9GxD+3Rf0/1QRO98PV0nPDkborXbRKRZdlmQIInilTRr";

/// The definitions file of the system: topology, virtual host `/`, user guest.
pub fn definitions(retry_delays: &[Duration]) -> Value {
    definitions_for(&Names::default(), retry_delays, USER)
}

/// The same, under `names`, with the password `guest` given to `user`.
pub fn definitions_for(names: &Names, retry_delays: &[Duration], user: &str) -> Value {
    let mut all = topology(names, retry_delays);
    all["vhosts"] = json!([{ "name": VHOST }]);
    all["users"] = json!([{
        "name": user,
        "password_hash": GUEST_PASSWORD_HASH,
        "hashing_algorithm": "rabbit_password_hashing_sha256",
        "tags": ["administrator"],
    }]);
    all["permissions"] = json!([{
        "user": user,
        "vhost": VHOST,
        "configure": ".*",
        "write": ".*",
        "read": ".*",
    }]);
    all
}

/// Exchanges, queues and bindings of the system under `names`, in [`VHOST`].
pub fn topology(names: &Names, retry_delays: &[Duration]) -> Value {
    let consumers: Vec<ConsumerQueue> = SUBSCRIPTIONS
        .iter()
        .map(|s| ConsumerQueue::subscribed(names, s, retry_delays.to_vec(), None))
        .collect();
    let journals: Vec<JournalQueue> = JOURNALS
        .iter()
        .map(|j| JournalQueue::of(names, j))
        .collect();

    let exchanges: BTreeSet<String> = consumers
        .iter()
        .flat_map(|q| q.bindings.iter().map(|(exchange, _)| exchange.clone()))
        .chain(journals.iter().map(|j| j.exchange.clone()))
        .collect();
    let queues = consumers
        .iter()
        .flat_map(ConsumerQueue::queues)
        .chain(journals.iter().map(|j| (j.name.clone(), j.arguments())));
    let bindings = consumers
        .iter()
        .flat_map(|q| {
            q.bindings
                .iter()
                .map(|(exchange, key)| (exchange.clone(), q.name.clone(), key.clone()))
        })
        .chain(journals.iter().flat_map(|j| {
            j.routing_keys
                .iter()
                .map(|key| (j.exchange.clone(), j.name.clone(), key.clone()))
        }));

    json!({
        "exchanges": exchanges.iter().map(|name| json!({
            "name": name,
            "vhost": VHOST,
            "type": "topic",
            "durable": true,
            "auto_delete": false,
            "internal": false,
            "arguments": {},
        })).collect::<Vec<_>>(),
        "queues": queues.map(|(name, arguments)| json!({
            "name": name,
            "vhost": VHOST,
            "durable": true,
            "auto_delete": false,
            "arguments": json_of(&arguments),
        })).collect::<Vec<_>>(),
        "bindings": bindings.map(|(source, destination, routing_key)| json!({
            "source": source,
            "vhost": VHOST,
            "destination": destination,
            "destination_type": "queue",
            "routing_key": routing_key,
            "arguments": {},
        })).collect::<Vec<_>>(),
    })
}

/// The file's text: pretty-printed, keys sorted, a trailing newline.
pub fn render(definitions: &Value) -> String {
    let mut definitions = definitions.clone();
    definitions.sort_all_objects();
    let mut text = serde_json::to_string_pretty(&definitions).expect("definitions serialize");
    text.push('\n');
    text
}

/// Queue arguments as JSON. RabbitMQ compares integer arguments by class (any integer
/// type) and value, and strings as strings, so these are what the code declares.
fn json_of(arguments: &FieldTable) -> Value {
    let map: Map<String, Value> = arguments
        .inner()
        .iter()
        .map(|(key, value)| (key.as_str().to_owned(), json_value(value)))
        .collect();
    Value::Object(map)
}

fn json_value(value: &AMQPValue) -> Value {
    match value {
        AMQPValue::Boolean(b) => json!(b),
        AMQPValue::ShortInt(n) => json!(n),
        AMQPValue::ShortUInt(n) => json!(n),
        AMQPValue::LongInt(n) => json!(n),
        AMQPValue::LongUInt(n) => json!(n),
        AMQPValue::LongLongInt(n) => json!(n),
        AMQPValue::ShortString(s) => json!(s.as_str()),
        AMQPValue::LongString(s) => json!(String::from_utf8_lossy(s.as_bytes())),
        other => unreachable!(
            "no queue argument of this library is of AMQP type {:?}",
            other.get_type()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue<'a>(all: &'a Value, name: &str) -> &'a Value {
        all["queues"]
            .as_array()
            .unwrap()
            .iter()
            .find(|q| q["name"] == name)
            .unwrap_or_else(|| panic!("no queue {name}"))
    }

    #[test]
    fn the_definitions_hold_both_exchanges_as_durable_topics() {
        let all = definitions(&DEFAULT_RETRY_DELAYS);
        let names: Vec<&Value> = all["exchanges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| &x["name"])
            .collect();
        assert_eq!(names, ["inventory_events", "order_events"]);
        for exchange in all["exchanges"].as_array().unwrap() {
            assert_eq!(exchange["type"], "topic");
            assert_eq!(exchange["durable"], true);
        }
    }

    #[test]
    fn each_consumer_queue_comes_with_its_retry_ladder_and_its_dlq() {
        let all = definitions(&DEFAULT_RETRY_DELAYS);
        for q in [
            "inventory-service.order_events",
            "order-service.inventory_events",
        ] {
            assert_eq!(queue(&all, q)["arguments"], json!({}));
            assert_eq!(queue(&all, &format!("{q}.dlq"))["arguments"], json!({}));
            for (label, ttl) in [("1s", 1000), ("2s", 2000), ("4s", 4000)] {
                assert_eq!(
                    queue(&all, &format!("{q}.retry.{label}"))["arguments"],
                    json!({
                        "x-message-ttl": ttl,
                        "x-dead-letter-exchange": "",
                        "x-dead-letter-routing-key": q,
                    })
                );
            }
        }
        assert_eq!(all["queues"].as_array().unwrap().len(), 2 * 5 + 2);
    }

    #[test]
    fn the_journals_are_bounded() {
        let all = definitions(&DEFAULT_RETRY_DELAYS);
        for q in ["inventory_events.journal", "order_events.journal"] {
            assert_eq!(
                queue(&all, q)["arguments"],
                json!({
                    "x-max-length": 100_000,
                    "x-overflow": "drop-head",
                    "x-message-ttl": 604_800_000,
                })
            );
        }
    }

    #[test]
    fn the_bindings_are_those_of_the_table_and_none_is_a_wildcard() {
        let all = definitions(&DEFAULT_RETRY_DELAYS);
        let bindings: Vec<(String, String, String)> = all["bindings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| {
                let s = |k: &str| b[k].as_str().unwrap().to_owned();
                (s("source"), s("destination"), s("routing_key"))
            })
            .collect();
        let expected: Vec<(String, String, String)> = SUBSCRIPTIONS
            .iter()
            .flat_map(|s| {
                s.routing_keys
                    .iter()
                    .map(move |k| (s.exchange, s.queue, *k))
            })
            .chain(JOURNALS.iter().flat_map(|j| {
                j.routing_keys
                    .iter()
                    .map(move |k| (j.exchange, j.queue, *k))
            }))
            .map(|(x, q, k)| (x.to_owned(), q.to_owned(), k.to_owned()))
            .collect();
        assert_eq!(bindings, expected);
        assert!(bindings.iter().all(|(_, _, k)| !k.contains('#')));
    }

    #[test]
    fn guest_keeps_its_access_to_the_default_virtual_host() {
        let all = definitions(&DEFAULT_RETRY_DELAYS);
        assert_eq!(all["vhosts"], json!([{ "name": "/" }]));
        assert_eq!(all["users"][0]["name"], "guest");
        assert_eq!(
            all["permissions"],
            json!([{ "user": "guest", "vhost": "/", "configure": ".*", "write": ".*", "read": ".*" }])
        );
    }

    #[test]
    fn other_retry_delays_make_other_retry_queues() {
        let all = definitions(&[Duration::from_millis(250)]);
        let retry = queue(&all, "order-service.inventory_events.retry.250ms");
        assert_eq!(retry["arguments"]["x-message-ttl"], 250);
    }

    #[test]
    fn the_rendering_is_sorted_and_ends_with_a_newline() {
        let text = render(&definitions(&DEFAULT_RETRY_DELAYS));
        assert!(text.ends_with("}\n"));
        let bindings = text.find("\"bindings\"").unwrap();
        let users = text.find("\"users\"").unwrap();
        assert!(bindings < users);
    }
}
