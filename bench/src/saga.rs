//! The event-driven saga: from placing an order to its `OrderConfirmed`, with the
//! inventory reserving by events.
//!
//! Orders of one line (a spread SKU, qty 1) are placed open-loop at a fixed rate on
//! order-service and handed over at once; a consumer of `order_events` notes when each
//! `OrderConfirmed` (or `OrderCancelled`) arrives. Latency runs from the order's
//! scheduled time (coordinated omission avoided as in `open_loop`) to that arrival.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use futures::StreamExt;
use reqwest::Client;
use tokio::time::Instant;

use crate::{
    options::Options,
    scenario::{Outcome, spread_sku},
    subscription,
    tally::{Measurement, Tally},
};

const EXCHANGE: &str = "order_events";

#[derive(Debug, Default)]
struct Book {
    /// order id → when it was due
    due: HashMap<String, Instant>,
    /// order id → (confirmed?, arrival)
    decided: HashMap<String, (bool, Instant)>,
}

pub async fn run(client: &Client, options: &Options, rate: f64) -> anyhow::Result<Measurement> {
    let (connection, mut deliveries) = subscription::subscribe(
        &options.amqp_url,
        EXCHANGE,
        &["order.confirmed", "order.cancelled"],
        "bench-saga",
    )
    .await?;
    let book = Arc::new(Mutex::new(Book::default()));
    let listener = {
        let book = book.clone();
        tokio::spawn(async move {
            while let Some(Ok(delivery)) = deliveries.next().await {
                let arrived = Instant::now();
                let Ok(body) = serde_json::from_slice::<serde_json::Value>(&delivery.data) else {
                    continue;
                };
                let Some(order_id) = body["data"]["orderId"].as_str() else {
                    continue;
                };
                let confirmed = delivery.routing_key.as_str() == "order.confirmed";
                book.lock()
                    .unwrap()
                    .decided
                    .entry(order_id.to_owned())
                    .or_insert((confirmed, arrived));
            }
        })
    };

    let t0 = Instant::now() + Duration::from_millis(10);
    let total = options.warmup + options.duration;
    let count = (rate * total.as_secs_f64()).round() as u64;
    let warmup_count = (rate * options.warmup.as_secs_f64()).round() as u64;
    let mut schedule_lag_max = Duration::ZERO;
    let mut tally = Tally::new();
    let mut placing = Vec::with_capacity(count as usize);
    for i in 0..count {
        let due = t0 + Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(due).await;
        schedule_lag_max = schedule_lag_max.max(Instant::now().saturating_duration_since(due));
        let client = client.clone();
        let target = options.orders_target.clone();
        let book = book.clone();
        placing.push(tokio::spawn(async move {
            let placed = client
                .post(format!("{target}/orders"))
                .json(&serde_json::json!({"items": [{"sku": spread_sku(i.wrapping_mul(7919)), "qty": 1}]}))
                .send()
                .await;
            let Ok(response) = placed else { return Err(Outcome::Transport) };
            if !response.status().is_success() {
                return Err(Outcome::Status(response.status().as_u16()));
            }
            let body: serde_json::Value = response.json().await.map_err(|_| Outcome::Transport)?;
            let order_id = body["orderId"].as_str().unwrap_or_default().to_owned();
            if i >= warmup_count {
                book.lock().unwrap().due.insert(order_id.clone(), due);
            }
            let handed = client.post(format!("{target}/orders/{order_id}/handover")).send().await;
            match handed {
                Ok(r) if r.status().is_success() => Ok(()),
                Ok(r) => Err(Outcome::Status(r.status().as_u16())),
                Err(_) => Err(Outcome::Transport),
            }
        }));
    }
    for task in placing {
        if let Ok(Err(outcome)) = task.await {
            tally.record(Duration::ZERO, outcome);
        }
    }
    // Let the last sagas finish.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let pending = {
            let book = book.lock().unwrap();
            book.due
                .keys()
                .filter(|id| !book.decided.contains_key(*id))
                .count()
        };
        if pending == 0 || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    listener.abort();
    {
        let book = book.lock().unwrap();
        for (id, due) in &book.due {
            match book.decided.get(id) {
                Some((true, arrived)) => {
                    tally.record(arrived.saturating_duration_since(*due), Outcome::Success)
                }
                Some((false, _)) => *tally.errors.entry("cancelled".into()).or_default() += 1,
                None => *tally.errors.entry("undecided".into()).or_default() += 1,
            }
        }
    }
    let _ = connection.close(200, "done".into()).await;
    Ok(Measurement {
        tally,
        elapsed: options.duration,
        schedule_lag_max: Some(schedule_lag_max),
    })
}
