//! The event-driven saga: from placing an order to its `OrderConfirmed`, with the
//! inventory reserving by events.
//!
//! Orders of one line (a spread SKU, qty 1) are placed open-loop at a fixed rate on
//! order-service and handed over at once; a consumer of `order_events` notes when each
//! `OrderConfirmed` (or `OrderCancelled`) arrives. Latency runs from the order's
//! scheduled time (coordinated omission avoided as in `open_loop`) to that arrival.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard},
    time::Duration,
};

use contracts::{
    events::{EventType, OrderCancelled, OrderConfirmed, RawEnvelope},
    orders::OrderView,
};
use futures::StreamExt;
use reqwest::Client;
use tokio::time::Instant;

use crate::{
    figures::{Measurement, Outcome, Tally},
    open_loop,
    options::Options,
    scenario::{self, spread_sku},
    subscription::{self, Queue},
};

/// How long the last sagas may take to end once every order is placed.
const SETTLE: Duration = Duration::from_secs(10);

#[derive(Debug, Default)]
struct Book {
    /// order id → when it was due
    due: HashMap<String, Instant>,
    /// order id → (confirmed?, arrival)
    decided: HashMap<String, (bool, Instant)>,
}

impl Book {
    fn pending(&self) -> usize {
        self.due
            .keys()
            .filter(|id| !self.decided.contains_key(*id))
            .count()
    }
}

pub async fn run(client: &Client, options: &Options, rate: f64) -> anyhow::Result<Measurement> {
    let (connection, mut deliveries) = subscription::subscribe(
        &options.amqp_url,
        OrderConfirmed::EXCHANGE,
        &[OrderConfirmed::ROUTING_KEY, OrderCancelled::ROUTING_KEY],
        Queue::Private,
    )
    .await?;
    let book = Arc::new(Mutex::new(Book::default()));
    let listener = {
        let book = book.clone();
        tokio::spawn(async move {
            while let Some(Ok(delivery)) = deliveries.next().await {
                let arrived = Instant::now();
                let Some((order_id, confirmed)) = decision(&delivery.data) else {
                    continue;
                };
                lock(&book)
                    .decided
                    .entry(order_id)
                    .or_insert((confirmed, arrived));
            }
        })
    };

    let warmup_count = (rate * options.warmup().as_secs_f64()).round() as u64;
    let placing = open_loop::schedule(rate, options.warmup() + options.duration(), |i, due| {
        let (client, target, book) = (client.clone(), options.orders_target.clone(), book.clone());
        async move {
            let placed = client
                .post(format!("{target}/orders"))
                .json(&scenario::order([spread_sku(scenario::scatter(i))]))
                .send()
                .await
                .and_then(|r| r.error_for_status());
            let order: OrderView = match placed {
                Ok(response) => match response.json().await {
                    Ok(order) => order,
                    Err(_) => return Outcome::Transport,
                },
                Err(e) => {
                    return e
                        .status()
                        .map_or(Outcome::Transport, |s| Outcome::Status(s.as_u16()));
                }
            };
            if i >= warmup_count {
                lock(&book).due.insert(order.order_id.clone(), due);
            }
            let handover = format!("{target}/orders/{}/handover", order.order_id);
            scenario::outcome(client.post(handover).send().await).await
        }
    })
    .await;

    let deadline = Instant::now() + SETTLE;
    while lock(&book).pending() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    listener.abort();
    let _ = connection.close(200, "done".into()).await;
    let placing = placing?;
    // Placing's own latencies are not the saga's: only its errors count.
    let mut tally = Tally::default();
    tally.merge_errors(&placing.tally);
    let book = lock(&book);
    for (id, due) in &book.due {
        match book.decided.get(id) {
            Some((true, arrived)) => {
                tally.record(arrived.saturating_duration_since(*due), Outcome::Success);
            }
            Some((false, _)) => tally.count_error("cancelled"),
            None => tally.count_error("undecided"),
        }
    }
    Ok(Measurement {
        tally,
        elapsed: options.duration(),
        schedule_lag_max: placing.schedule_lag_max,
    })
}

fn lock(book: &Mutex<Book>) -> MutexGuard<'_, Book> {
    book.lock().expect("no holder of the book panics")
}

/// The order an `OrderConfirmed` or `OrderCancelled` decides, and whether it confirms it.
fn decision(body: &[u8]) -> Option<(String, bool)> {
    let envelope: RawEnvelope = serde_json::from_slice(body).ok()?;
    if envelope.event_type == OrderConfirmed::TYPE {
        Some((
            envelope.decode::<OrderConfirmed>().ok()?.data.order_id,
            true,
        ))
    } else {
        Some((
            envelope.decode::<OrderCancelled>().ok()?.data.order_id,
            false,
        ))
    }
}
