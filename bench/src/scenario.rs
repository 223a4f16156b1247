//! The requests of each workload: how "the n-th request" of a scenario becomes an HTTP
//! call to the services, with the request bodies of `contracts`.

use contracts::{
    Price,
    inventory::ReserveRequest,
    orders::{CreateOrderRequest, OrderLineRequest, PaymentRequest},
};
use reqwest::{Client, RequestBuilder};

use crate::figures::{Outcome, Scenario};

/// SKUs the spread scenarios cycle through: `BEN-0000-AA` ..= `BEN-9999-AA`.
pub const SPREAD_SKUS: u64 = 10_000;
/// The one SKU every hot reservation lands on.
pub const HOT_SKU: &str = "HOT-0000-AA";
/// Lifetime of a bench hold: long enough that no hold of this run or a recent one
/// expires while figures are taken (expiring holds is work of its own, which would
/// load the machine mid-measurement).
pub const HOLD_TTL_SECONDS: i64 = 3600;

/// The unit price of every bench SKU, so that a paid checkout can be charged.
pub fn unit_price() -> Price {
    Price::parse(1999, "EUR").expect("a valid price")
}
/// The card of the paid checkouts: the sandbox authorizes it at once.
pub const PAID_WITH: &str = "tok_visa";

pub fn spread_sku(index: u64) -> String {
    format!("BEN-{:04}-AA", index % SPREAD_SKUS)
}

/// Sends the `n`-th request of `scenario` and waits for the whole answer (the body is
/// read so the connection goes back to the pool).
pub async fn send(scenario: Scenario, client: &Client, target: &str, n: u64) -> Outcome {
    let sku = spread_sku(scatter(n));
    let request = match scenario {
        Scenario::StockReads => client.get(format!("{target}{}", stock_path(n))),
        Scenario::HotReservations => reserve(client, target, HOT_SKU),
        Scenario::SpreadReservations | Scenario::EventHop | Scenario::EventSaga => {
            reserve(client, target, &sku)
        }
        Scenario::Checkout => client
            .post(format!("{target}/checkout"))
            .json(&order([sku, spread_sku(scatter(n) + SPREAD_SKUS / 2)])),
        Scenario::PaidCheckout => {
            let mut paid = order([sku, spread_sku(scatter(n) + SPREAD_SKUS / 2)]);
            paid.payment = Some(PaymentRequest {
                method: "card".to_owned(),
                token: PAID_WITH.to_owned(),
            });
            client.post(format!("{target}/checkout")).json(&paid)
        }
    };
    outcome(request.send().await).await
}

/// The path of the `n`-th stock read.
pub fn stock_path(n: u64) -> String {
    format!("/inventory/{}", spread_sku(scatter(n)))
}

/// An order of one unit of each SKU.
pub fn order<const N: usize>(skus: [String; N]) -> CreateOrderRequest {
    CreateOrderRequest {
        customer_id: None,
        location_id: None,
        items: skus
            .into_iter()
            .map(|sku| OrderLineRequest { sku, qty: 1 })
            .collect(),
        payment: None,
    }
}

/// How an answer ended, once its body is read.
pub async fn outcome(sent: reqwest::Result<reqwest::Response>) -> Outcome {
    let Ok(response) = sent else {
        return Outcome::Transport;
    };
    let status = response.status();
    match response.bytes().await {
        Err(_) => Outcome::Transport,
        Ok(_) if status.is_success() => Outcome::Success,
        Ok(_) => Outcome::Status(status.as_u16()),
    }
}

fn reserve(client: &Client, target: &str, sku: &str) -> RequestBuilder {
    client
        .post(format!("{target}/inventory/{sku}/reserve"))
        .json(&ReserveRequest {
            qty: 1,
            // A UUIDv7 per request: every reservation is a new hold, never a replay.
            order_id: uuid::Uuid::now_v7().to_string(),
            ttl_seconds: Some(HOLD_TTL_SECONDS),
        })
}

/// Visits every spread SKU once per 10,000 requests, in an order that jumps around
/// (7919 is prime, so coprime with 10,000), so neighbouring requests hit far-apart rows.
pub fn scatter(n: u64) -> u64 {
    n.wrapping_mul(7919) % SPREAD_SKUS
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn the_spread_covers_every_sku_once_per_cycle_with_valid_skus() {
        let seen: HashSet<u64> = (0..SPREAD_SKUS).map(scatter).collect();
        assert_eq!(seen.len() as u64, SPREAD_SKUS);
        for sku in [spread_sku(0), spread_sku(9999), HOT_SKU.to_owned()] {
            assert!(contracts::Sku::parse(&sku).is_ok(), "{sku}");
        }
        assert_eq!(spread_sku(10_000), "BEN-0000-AA");
    }
}
