//! The workloads, and how each turns "the n-th request" into an HTTP call to the
//! services.

use std::fmt;

use reqwest::{Client, header::CONTENT_TYPE};
use serde::{Serialize, Serializer};

/// SKUs the spread scenarios cycle through: `BEN-0000-AA` ..= `BEN-9999-AA`.
pub const SPREAD_SKUS: u64 = 10_000;
/// The one SKU every hot reservation lands on.
pub const HOT_SKU: &str = "HOT-0000-AA";
/// Lifetime of a bench hold: long enough that no hold of this run or a recent one
/// expires while figures are taken (expiring holds is work of its own, which would
/// load the machine mid-measurement).
const HOLD_TTL_SECONDS: u32 = 3600;

pub fn spread_sku(index: u64) -> String {
    format!("BEN-{:04}-AA", index % SPREAD_SKUS)
}

/// A workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// `GET /inventory/{sku}` over the spread SKUs.
    StockReads,
    /// `POST /inventory/HOT-0000-AA/reserve`, qty 1, a fresh order each time: every
    /// request contends for the same row.
    HotReservations,
    /// `POST /inventory/{sku}/reserve`, qty 1, a fresh order each time, over the spread
    /// SKUs: little contention.
    SpreadReservations,
    /// Spread reservations as the load, timed from each event's `occurredAt` (taken
    /// just before the committing statement) to its arrival at a consumer of
    /// `inventory_events`: commit → outbox → relay → broker → consumer.
    EventHop,
    /// Orders placed on order-service and handed over at once: placement →
    /// `OrderConfirmed` by the event-driven saga.
    EventSaga,
    /// `POST /checkout` on order-api with two lines (two spread SKUs): the HTTP-first
    /// saga, create → reserve → confirm, answered 201.
    Checkout,
}

/// How one request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// The server answered with a non-2xx status.
    Status(u16),
    /// No answer: connection error or client timeout.
    Transport,
}

impl Scenario {
    pub const ALL: [Scenario; 3] = [
        Scenario::StockReads,
        Scenario::HotReservations,
        Scenario::SpreadReservations,
    ];

    pub fn is_read(self) -> bool {
        matches!(self, Scenario::StockReads)
    }

    /// Sends the `n`-th request of this scenario and waits for the whole answer (the
    /// body is read so the connection goes back to the pool).
    pub async fn send(self, client: &Client, target: &str, n: u64) -> Outcome {
        let request = match self {
            Scenario::StockReads => {
                client.get(format!("{target}/inventory/{}", spread_sku(scatter(n))))
            }
            Scenario::HotReservations => reserve(client, target, HOT_SKU),
            Scenario::SpreadReservations | Scenario::EventHop | Scenario::EventSaga => {
                reserve(client, target, &spread_sku(scatter(n)))
            }
            Scenario::Checkout => client
                .post(format!("{target}/checkout"))
                .header(CONTENT_TYPE, "application/json")
                .body(format!(
                    r#"{{"items":[{{"sku":"{}","qty":1}},{{"sku":"{}","qty":1}}]}}"#,
                    spread_sku(scatter(n)),
                    spread_sku(scatter(n) + SPREAD_SKUS / 2)
                )),
        };
        match request.send().await {
            Ok(response) => {
                let status = response.status();
                if response.bytes().await.is_err() {
                    return Outcome::Transport;
                }
                if status.is_success() {
                    Outcome::Success
                } else {
                    Outcome::Status(status.as_u16())
                }
            }
            Err(_) => Outcome::Transport,
        }
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scenario::StockReads => "stock_reads",
            Scenario::HotReservations => "hot_sku_reservations",
            Scenario::SpreadReservations => "spread_reservations",
            Scenario::EventHop => "event_hop",
            Scenario::EventSaga => "event_saga",
            Scenario::Checkout => "checkout_http_first",
        })
    }
}

/// Written as its name, the same word the tables use.
impl Serialize for Scenario {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

fn reserve(client: &Client, target: &str, sku: &str) -> reqwest::RequestBuilder {
    // A UUIDv7 per request: every reservation is a new hold, never an idempotent replay.
    let order_id = uuid::Uuid::now_v7();
    client
        .post(format!("{target}/inventory/{sku}/reserve"))
        .header(CONTENT_TYPE, "application/json")
        .body(format!(
            r#"{{"qty":1,"orderId":"{order_id}","ttlSeconds":{HOLD_TTL_SECONDS}}}"#
        ))
}

/// Visits every spread SKU once per 10,000 requests, in an order that jumps around
/// (7919 is prime, so coprime with 10,000), so neighbouring requests hit far-apart rows.
fn scatter(n: u64) -> u64 {
    n.wrapping_mul(7919) % SPREAD_SKUS
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn the_spread_covers_every_sku_once_per_cycle() {
        let seen: HashSet<u64> = (0..SPREAD_SKUS).map(scatter).collect();
        assert_eq!(seen.len() as u64, SPREAD_SKUS);
    }

    #[test]
    fn spread_skus_follow_the_sku_rule() {
        assert_eq!(spread_sku(0), "BEN-0000-AA");
        assert_eq!(spread_sku(9999), "BEN-9999-AA");
        assert_eq!(spread_sku(10_000), "BEN-0000-AA");
    }
}
