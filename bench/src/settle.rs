//! Waiting for the system to be quiet between runs: a run that overloads it (open loop
//! above capacity) leaves events in the outboxes and in the consumers' queues, and the
//! next run would measure that backlog draining instead of itself.

use std::time::{Duration, Instant};

use lapin::{Connection, ConnectionProperties, options::QueueDeclareOptions, types::FieldTable};
use reqwest::Client;

/// Where the backlogs are read.
const SERVICES: [&str; 2] = ["http://127.0.0.1:3003", "http://127.0.0.1:3002"];
const QUEUES: [&str; 2] = [
    "inventory-service.order_events",
    "order-service.inventory_events",
];
const LONGEST: Duration = Duration::from_secs(180);

/// Waits until both outboxes are empty and both consumers' queues are drained (or three
/// minutes pass); returns how long it waited.
pub async fn settle(client: &Client, amqp_url: &str) -> Duration {
    let started = Instant::now();
    let connection = Connection::connect(amqp_url, ConnectionProperties::default())
        .await
        .ok();
    while started.elapsed() < LONGEST {
        let mut busy = false;
        for service in SERVICES {
            if let Ok(r) = client.get(format!("{service}/metrics")).send().await
                && let Ok(text) = r.text().await
            {
                busy |= text
                    .lines()
                    .filter(|l| l.starts_with("outbox_backlog"))
                    .any(|l| l.split_whitespace().last().is_some_and(|v| v != "0"));
            }
        }
        if let Some(connection) = &connection {
            for queue in QUEUES {
                // One channel per look: a passive declare of a missing queue closes it.
                let Ok(channel) = connection.create_channel().await else {
                    continue;
                };
                if let Ok(q) = channel
                    .queue_declare(
                        queue.into(),
                        QueueDeclareOptions {
                            passive: true,
                            ..Default::default()
                        },
                        FieldTable::default(),
                    )
                    .await
                {
                    busy |= q.message_count() > 0;
                }
                let _ = channel.close(200, "looked".into()).await;
            }
        }
        if !busy {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    if let Some(connection) = connection {
        let _ = connection.close(200, "settled".into()).await;
    }
    started.elapsed()
}
