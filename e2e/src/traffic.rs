//! What the users send: locations, stock and transfers through inventory-api, checkouts
//! through order-api the way a careful client sends them (an `Idempotency-Key` per
//! checkout, retried with the same key while the service is unreachable or answers 5xx),
//! and storms of them.

use std::time::Duration;

use futures::{StreamExt, stream};
use serde_json::{Value, json};

/// How a checkout ended, as its client saw it.
#[derive(Debug, Clone)]
pub struct Checkout {
    pub key: String,
    /// The location the checkout named (`None`: the central warehouse).
    pub location: Option<String>,
    pub items: Vec<(String, i64)>,
    /// The final HTTP status: 201, 202, 409, ... or `None` if no answer ever came.
    pub status: Option<u16>,
    pub order_id: Option<String>,
    /// The body of the final answer (`null` when none came or it was not JSON).
    pub answer: Value,
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
    created(
        http.post(format!("{inventory_api}/inventory"))
            .json(&json!({"sku": sku, "qty": qty})),
        &format!("creating {sku}"),
    )
    .await
}

/// Creates a SKU with `qty` units on hand at a unit price of `minor` euro cents.
pub async fn create_priced_stock(
    http: &reqwest::Client,
    inventory_api: &str,
    sku: &str,
    qty: i64,
    minor: i64,
) -> anyhow::Result<()> {
    created(
        http.post(format!("{inventory_api}/inventory"))
            .json(&json!({
                "sku": sku,
                "qty": qty,
                "unitPrice": {"amount": minor, "currency": "EUR"},
            })),
        &format!("creating {sku} priced"),
    )
    .await
}

/// Creates the location `store_id` (a store) through inventory-api.
pub async fn create_location(
    http: &reqwest::Client,
    inventory_api: &str,
    store_id: &str,
) -> anyhow::Result<()> {
    created(
        http.post(format!("{inventory_api}/locations"))
            .json(&json!({"storeId": store_id, "name": format!("Store {store_id}")})),
        &format!("creating location {store_id}"),
    )
    .await
}

/// Creates a SKU with `qty` units on hand at the location `store_id` through
/// inventory-api.
pub async fn create_stock_at(
    http: &reqwest::Client,
    inventory_api: &str,
    store_id: &str,
    sku: &str,
    qty: i64,
) -> anyhow::Result<()> {
    created(
        http.post(format!("{inventory_api}/locations/{store_id}/inventory"))
            .json(&json!({"sku": sku, "qty": qty})),
        &format!("creating {sku} at {store_id}"),
    )
    .await
}

async fn created(request: reqwest::RequestBuilder, what: &str) -> anyhow::Result<()> {
    let response = request.send().await?;
    anyhow::ensure!(
        response.status().as_u16() == 201,
        "{what}: {} {}",
        response.status(),
        response.text().await.unwrap_or_default()
    );
    Ok(())
}

/// Moves `qty` units of `sku` from one location to another through inventory-api, and
/// answers the status (201 moved, 409 not enough available at `from`) with the body.
pub async fn transfer(
    http: &reqwest::Client,
    inventory_api: &str,
    sku: &str,
    (from, to): (&str, &str),
    qty: i64,
) -> anyhow::Result<(u16, Value)> {
    let response = http
        .post(format!("{inventory_api}/transfers"))
        .json(&json!({"sku": sku, "from": from, "to": to, "qty": qty}))
        .send()
        .await?;
    let status = response.status().as_u16();
    Ok((status, response.json().await.unwrap_or(Value::Null)))
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

/// The stock view of one SKU at the location `store_id`.
pub async fn stock_at(
    http: &reqwest::Client,
    inventory_api: &str,
    store_id: &str,
    sku: &str,
) -> anyhow::Result<Value> {
    Ok(http
        .get(format!(
            "{inventory_api}/locations/{store_id}/inventory/{sku}"
        ))
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
    checkout_at(http, order_api, key, None, items, give_up).await
}

/// [`checkout`] of lines all to be taken at `location` (a store id; `None`, the central
/// warehouse, sends no `locationId`).
pub async fn checkout_at(
    http: &reqwest::Client,
    order_api: &str,
    key: &str,
    location: Option<&str>,
    items: &[(String, i64)],
    give_up: Duration,
) -> Checkout {
    send_checkout(http, order_api, key, location, items, None, give_up).await
}

/// [`checkout`] paid by card: `token` is one of the sandbox's test tokens (`tok_visa`,
/// `tok_chargeDeclined`, `tok_slow`, ...).
pub async fn paid_checkout(
    http: &reqwest::Client,
    order_api: &str,
    key: &str,
    items: &[(String, i64)],
    token: &str,
    give_up: Duration,
) -> Checkout {
    send_checkout(http, order_api, key, None, items, Some(token), give_up).await
}

async fn send_checkout(
    http: &reqwest::Client,
    order_api: &str,
    key: &str,
    location: Option<&str>,
    items: &[(String, i64)],
    card: Option<&str>,
    give_up: Duration,
) -> Checkout {
    let mut body = json!({
        "customerId": "e2e",
        "items": items.iter().map(|(sku, qty)| json!({"sku": sku, "qty": qty})).collect::<Vec<_>>(),
    });
    if let Some(location) = location {
        body["locationId"] = json!(location);
    }
    if let Some(token) = card {
        body["payment"] = json!({"method": "card", "token": token});
    }
    let deadline = tokio::time::Instant::now() + give_up;
    let mut result = Checkout {
        key: key.to_owned(),
        location: location.map(str::to_owned),
        items: items.to_vec(),
        status: None,
        order_id: None,
        answer: Value::Null,
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
            result.answer = body;
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
/// same orders), all at the plan's location.
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
            let location = plan.location.as_deref();
            async move { checkout_at(http, order_api, &key, location, &items, plan.give_up).await }
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
    /// Where every checkout takes its units (`None`: the central warehouse).
    pub location: Option<String>,
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
            location: None,
        }
    }

    /// The same storm, every checkout at `location`.
    pub fn at(self, location: &str) -> Self {
        Self {
            location: Some(location.to_owned()),
            ..self
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
/// answer (201, 202 or 409) naming an order at the location the checkout named, and the
/// order must be `CONFIRMED` after a 201 and `CANCELLED` after a 409 (after a 202 either
/// is right). Empty when all agree.
pub async fn disagreements(
    http: &reqwest::Client,
    order_api: &str,
    checkouts: &[Checkout],
) -> Vec<String> {
    let mut found = Vec::new();
    for c in checkouts {
        let expected = match c.status {
            Some(201) => Some("CONFIRMED"),
            Some(409) => Some("CANCELLED"),
            Some(202) => None,
            _ => {
                found.push(format!("no final answer: {c:?}"));
                continue;
            }
        };
        let Some(id) = c.order_id.as_deref() else {
            found.push(format!("an answer without an order: {c:?}"));
            continue;
        };
        let order = match order(http, order_api, id).await {
            Ok(order) => order,
            Err(e) => {
                found.push(format!("{c:?}: cannot read the order: {e}"));
                continue;
            }
        };
        if let Some(expected) = expected
            && order["status"] != expected
        {
            found.push(format!("{c:?} but the order is {}", order["status"]));
        }
        let named = c.location.as_deref().unwrap_or("central");
        if order["locationId"] != named {
            found.push(format!("{c:?} but the order is at {}", order["locationId"]));
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
