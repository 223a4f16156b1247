//! `infra/rabbitmq/definitions.json` is the code's topology, and the broker takes it:
//!
//! - the committed file is what `messaging::topology::definitions` renders for the
//!   services' default retry delays; `UPDATE_DEFINITIONS=1 cargo test -p messaging
//!   --test definitions` rewrites it, without it a difference fails;
//! - those delays are the services' `RETRY_DELAYS_MS` defaults;
//! - imported into the real broker (with `rabbitmqctl`, under names of the test's own),
//!   the definitions let the services' own declarations through: the same arguments,
//!   or the broker would refuse them (`406 PRECONDITION_FAILED`); and the password of
//!   the user they create is `guest`.

use std::{
    path::{Path, PathBuf},
    process::Command,
    sync::OnceLock,
};

use contracts::events::{
    INVENTORY_EXCHANGE, ORDER_EXCHANGE,
    subscriptions::{JOURNALS, SUBSCRIPTIONS},
};
use lapin::{
    Connection, ConnectionProperties,
    options::{ExchangeDeleteOptions, QueueDeclareOptions, QueueDeleteOptions},
    types::{AMQPValue, FieldTable, LongString},
};
use messaging::{
    ConsumerQueue, Names,
    topology::{
        declare_journals,
        definitions::{DEFAULT_RETRY_DELAYS, definitions, definitions_for, render},
    },
};
use serde_json::Value;
use testkit::broker::amqp_url;
use uuid::Uuid;

const STALE: &str = "infra/rabbitmq/definitions.json is stale: run \
     `UPDATE_DEFINITIONS=1 cargo test -p messaging --test definitions`";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The committed file; with `UPDATE_DEFINITIONS=1`, rewritten first (once).
fn committed() -> Option<String> {
    static UPDATED: OnceLock<()> = OnceLock::new();
    let path = root().join("infra/rabbitmq/definitions.json");
    if std::env::var_os("UPDATE_DEFINITIONS").is_some_and(|v| v == "1") {
        UPDATED.get_or_init(|| {
            std::fs::write(&path, render(&definitions(&DEFAULT_RETRY_DELAYS)))
                .expect("the definitions file can be written");
        });
    }
    std::fs::read_to_string(path).ok()
}

#[test]
fn the_committed_definitions_are_the_codes() {
    let expected = render(&definitions(&DEFAULT_RETRY_DELAYS));
    assert!(committed() == Some(expected), "{STALE}");
}

#[test]
fn the_definitions_name_every_queue_of_the_table() {
    let all = definitions(&DEFAULT_RETRY_DELAYS);
    let queues: Vec<&str> = all["queues"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|q| q["name"].as_str())
        .collect();
    for s in SUBSCRIPTIONS {
        assert!(queues.contains(&s.queue), "{}", s.queue);
        assert!(queues.contains(&format!("{}.dlq", s.queue).as_str()));
    }
    for j in JOURNALS {
        assert!(queues.contains(&j.queue), "{}", j.queue);
    }
}

/// `rabbitmqctl` (or `RABBITMQCTL`), when it reaches the local node.
fn rabbitmqctl() -> Option<Vec<String>> {
    let command: Vec<String> = std::env::var("RABBITMQCTL")
        .unwrap_or_else(|_| "rabbitmqctl".to_owned())
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let reaches = Command::new(&command[0])
        .args(&command[1..])
        .args(["-q", "list_vhosts", "name"])
        .output()
        .is_ok_and(|out| out.status.success());
    reaches.then_some(command)
}

fn ctl(command: &[String], args: &[&str]) -> std::process::Output {
    Command::new(&command[0])
        .args(&command[1..])
        .args(args)
        .output()
        .expect("rabbitmqctl runs")
}

#[tokio::test]
async fn the_broker_takes_the_definitions_and_then_the_services_own_declarations() {
    let Some(command) = rabbitmqctl() else {
        eprintln!("skipped: rabbitmqctl does not reach a local RabbitMQ node");
        return;
    };
    let tag = Uuid::now_v7().simple().to_string();
    let names = Names::new(format!("test_definitions_{tag}."));
    let user = format!("test_definitions_{tag}");
    let mut imported = definitions_for(&names, &DEFAULT_RETRY_DELAYS, &user);
    // The virtual host `/` exists; re-importing it would only rewrite its metadata.
    imported.as_object_mut().unwrap().remove("vhosts");
    let file = std::env::temp_dir().join(format!("definitions_{tag}.json"));
    std::fs::write(&file, render(&imported)).unwrap();
    let import = ctl(&command, &["import_definitions", file.to_str().unwrap()]);
    std::fs::remove_file(&file).ok();

    let outcome = if import.status.success() {
        redeclare(&names, &user).await
    } else {
        Err(format!(
            "import_definitions failed: {}",
            String::from_utf8_lossy(&import.stderr)
        ))
    };

    cleanup(&imported, &command, &user).await;
    let refused = outcome.unwrap();
    assert!(
        refused.contains("PRECONDITION_FAILED") || refused.contains("406"),
        "a re-declare with other arguments is refused: {refused}"
    );
}

/// Connects as the imported user with the password `guest`, declares every queue of the
/// table as the services do, then one retry queue with another TTL; returns that last
/// refusal, or why something else failed.
async fn redeclare(names: &Names, user: &str) -> Result<String, String> {
    let url = amqp_url();
    let (scheme, rest) = url.split_once("://").unwrap();
    let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    let as_user = format!("{scheme}://{user}:guest@{host}");
    let connection = Connection::connect(&as_user, ConnectionProperties::default())
        .await
        .map_err(|e| format!("the imported user cannot log in with guest: {e}"))?;
    let channel = connection
        .create_channel()
        .await
        .map_err(|e| e.to_string())?;
    for subscription in SUBSCRIPTIONS {
        let queue =
            ConsumerQueue::subscribed(names, &subscription, DEFAULT_RETRY_DELAYS.to_vec(), None);
        queue
            .declare(&channel)
            .await
            .map_err(|e| format!("{}: {e}", queue.name))?;
    }
    declare_journals(&channel, names, &[INVENTORY_EXCHANGE, ORDER_EXCHANGE])
        .await
        .map_err(|e| format!("journals: {e}"))?;

    let mut other = FieldTable::default();
    other.insert("x-message-ttl".into(), AMQPValue::LongLongInt(999));
    other.insert(
        "x-dead-letter-exchange".into(),
        AMQPValue::LongString(LongString::from("")),
    );
    let retry = format!("{}.retry.1s", names.queue(SUBSCRIPTIONS[0].queue));
    let refused = connection
        .create_channel()
        .await
        .map_err(|e| e.to_string())?
        .queue_declare(
            retry.as_str().into(),
            QueueDeclareOptions {
                durable: true,
                ..QueueDeclareOptions::default()
            },
            other,
        )
        .await;
    let _ = connection.close(200, "done".into()).await;
    match refused {
        Ok(_) => Err("the broker took a retry queue with another TTL".to_owned()),
        Err(e) => Ok(e.to_string()),
    }
}

/// Deletes what the import created: queues, exchanges, the user.
async fn cleanup(imported: &Value, command: &[String], user: &str) {
    let connection = Connection::connect(&amqp_url(), ConnectionProperties::default()).await;
    let channel = match &connection {
        Ok(connection) => connection.create_channel().await.ok(),
        Err(_) => None,
    };
    if let Some(channel) = channel {
        for queue in imported["queues"].as_array().into_iter().flatten() {
            let name = queue["name"].as_str().unwrap_or_default();
            let _ = channel
                .queue_delete(name.into(), QueueDeleteOptions::default())
                .await;
        }
        for exchange in imported["exchanges"].as_array().into_iter().flatten() {
            let name = exchange["name"].as_str().unwrap_or_default();
            let _ = channel
                .exchange_delete(name.into(), ExchangeDeleteOptions::default())
                .await;
        }
    }
    if let Ok(connection) = connection {
        let _ = connection.close(200, "done".into()).await;
    }
    ctl(command, &["-q", "delete_user", user]);
}
