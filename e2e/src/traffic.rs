//! What the users send: stock created through inventory-api, checkouts through order-api
//! the way a careful client sends them (an `Idempotency-Key` per checkout, retried with
//! the same key while the service is unreachable or answers 5xx), and storms of them.

use std::time::Duration;

use futures::{StreamExt, stream};
use serde_json::{Value, json};

/// How a checkout ended, as its client saw it.
#[derive(Debug, Clone)]
pub struct Checkout {
    pub key: String,
    pub items: Vec<(String, i64)>,
    /// The final HTTP status: 201, 202, 409, ... or `None` if no answer ever came.
    pub status: Option<u16>,
    pub order_id: Option<String>,
    /// Attempts it took (1 when the first answer was final).
    pub attempts: u32,
}

/// Creates a SKU with `qty` units on hand through inventory-api.
pub async fn create_stock(
    http: &reqwest::Client,
    inventory_api: &str,
    sku: &str,
    qty: i64,
) -> anyhow::Result<()> {
    let response = http
        .post(format!("{inventory_api}/inventory"))
        .json(&json!({"sku": sku, "qty": qty}))
        .send()
        .await?;
    anyhow::ensure!(
        response.status().as_u16() == 201,
        "creating {sku}: {} {}",
        response.status(),
        response.text().await.unwrap_or_default()
    );
    Ok(())
}

/// The stock view of one SKU (`onHand`, `reserved`, `available`, ...).
pub async fn stock(
    http: &reqwest::Client,
    inventory_api: &str,
    sku: &str,
) -> anyhow::Result<Value> {
    Ok(http
        .get(format!("{inventory_api}/inventory/{sku}"))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?)
}

/// An order as order-api shows it.
pub async fn order(http: &reqwest::Client, order_api: &str, id: &str) -> anyhow::Result<Value> {
    Ok(http
        .get(format!("{order_api}/orders/{id}"))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?)
}

/// One checkout, retried with the same key until a final answer (2xx or 4xx) or until
/// `give_up` passes.
pub async fn checkout(
    http: &reqwest::Client,
    order_api: &str,
    key: &str,
    items: &[(String, i64)],
    give_up: Duration,
) -> Checkout {
    let body = json!({
        "customerId": "e2e",
        "items": items.iter().map(|(sku, qty)| json!({"sku": sku, "qty": qty})).collect::<Vec<_>>(),
    });
    let deadline = tokio::time::Instant::now() + give_up;
    let mut result = Checkout {
        key: key.to_owned(),
        items: items.to_vec(),
        status: None,
        order_id: None,
        attempts: 0,
    };
    loop {
        result.attempts += 1;
        let answer = http
            .post(format!("{order_api}/checkout"))
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
            .await;
        if let Ok(response) = answer {
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            result.status = Some(status);
            result.order_id = body["orderId"].as_str().map(str::to_owned);
            if status < 500 {
                return result;
            }
        }
        if tokio::time::Instant::now() >= deadline {
            return result;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `count` checkouts, `concurrency` at a time, each of one to `max_lines` distinct SKUs
/// from `skus` with 1 to `max_qty` units, drawn from `seed` (the same seed draws the
/// same orders).
pub async fn storm(
    http: &reqwest::Client,
    order_api: &str,
    skus: &[String],
    plan: Storm,
) -> Vec<Checkout> {
    let orders = draw_orders(skus, &plan);
    stream::iter(orders.into_iter().enumerate())
        .map(|(i, items)| {
            let key = format!("{}-{i}", plan.key_prefix);
            async move { checkout(http, order_api, &key, &items, plan.give_up).await }
        })
        .buffer_unordered(plan.concurrency)
        .collect()
        .await
}

/// The shape of a storm.
#[derive(Debug, Clone)]
pub struct Storm {
    pub count: usize,
    pub concurrency: usize,
    pub max_lines: usize,
    pub max_qty: i64,
    pub seed: u64,
    pub key_prefix: String,
    /// How long one checkout keeps retrying.
    pub give_up: Duration,
}

impl Storm {
    pub fn new(count: usize, concurrency: usize, seed: u64) -> Self {
        Self {
            count,
            concurrency,
            max_lines: 3,
            max_qty: 3,
            seed,
            key_prefix: format!("storm-{}", uuid::Uuid::now_v7().simple()),
            give_up: Duration::from_secs(60),
        }
    }
}

fn draw_orders(skus: &[String], plan: &Storm) -> Vec<Vec<(String, i64)>> {
    let mut rng = fastrand::Rng::with_seed(plan.seed);
    (0..plan.count)
        .map(|_| {
            let lines = rng.usize(1..=plan.max_lines.min(skus.len()));
            let mut picked: Vec<&String> = Vec::with_capacity(lines);
            while picked.len() < lines {
                let sku = &skus[rng.usize(..skus.len())];
                if !picked.contains(&sku) {
                    picked.push(sku);
                }
            }
            picked
                .into_iter()
                .map(|sku| (sku.clone(), rng.i64(1..=plan.max_qty)))
                .collect()
        })
        .collect()
}

/// Where a client's answer and its order disagree: every checkout must have a final
/// answer (201, 202 or 409) naming an order, and the order must be `CONFIRMED` after a
/// 201 and `CANCELLED` after a 409 (after a 202 either is right). Empty when all agree.
pub async fn disagreements(
    http: &reqwest::Client,
    order_api: &str,
    checkouts: &[Checkout],
) -> Vec<String> {
    let mut found = Vec::new();
    for c in checkouts {
        let expected = match c.status {
            Some(201) => "CONFIRMED",
            Some(409) => "CANCELLED",
            Some(202) => continue,
            _ => {
                found.push(format!("no final answer: {c:?}"));
                continue;
            }
        };
        let Some(id) = c.order_id.as_deref() else {
            found.push(format!("an answer without an order: {c:?}"));
            continue;
        };
        match order(http, order_api, id).await {
            Ok(order) if order["status"] == expected => {}
            Ok(order) => found.push(format!("{c:?} but the order is {}", order["status"])),
            Err(e) => found.push(format!("{c:?}: cannot read the order: {e}")),
        }
    }
    found
}

/// Counts of the final statuses of a storm, e.g. `201: 120, 409: 380`.
pub fn tally(checkouts: &[Checkout]) -> String {
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    for c in checkouts {
        let key = c.status.map_or("no answer".to_owned(), |s| s.to_string());
        *counts.entry(key).or_default() += 1;
    }
    counts
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_draws_the_same_orders_of_distinct_skus() {
        let skus: Vec<String> = (1..=4).map(|i| format!("AAA-000{i}-AA")).collect();
        let plan = Storm::new(50, 4, 7);
        let a = draw_orders(&skus, &plan);
        assert_eq!(a, draw_orders(&skus, &plan));
        for order in &a {
            assert!((1..=3).contains(&order.len()));
            let mut names: Vec<_> = order.iter().map(|(s, _)| s).collect();
            names.sort();
            names.dedup();
            assert_eq!(names.len(), order.len(), "{order:?}");
            assert!(order.iter().all(|(_, q)| (1..=3).contains(q)));
        }
    }
}
