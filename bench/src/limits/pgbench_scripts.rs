//! What pgbench runs: the service's single-SKU reservation statement and its point read,
//! as pgbench scripts, and the seed of the throwaway database they run against.
//!
//! The reservation is `RESERVE_ONE` of inventory-service's postgres store, statement for
//! statement: the order's row upserted and locked, the conditional update
//! `on_hand - reserved >= qty` guarded by "no hold yet", the hold, the movement, the
//! four outbox inserts (the reserved and stock-changed events always, the two threshold
//! events when they apply) and the final answer. It sends what the service sends as
//! parameters: the SKU, the location, the order id, the quantity, the four event
//! payloads as JSON text that the server parses into `jsonb`, and a `traceparent`. Event ids and the expiry are made
//! by the server instead of the client.
//!
//! pgbench variables hold numbers only, so the SKUs are 11-digit numbers written as text
//! (as long as `BEN-0000-AA`) and the order ids are 19-digit numbers that grow with time,
//! like the UUIDv7 order ids the bench sends (unique across clients and runs: a base
//! from the clock, plus the client's own count times the number of clients, plus its id).

use chrono::Utc;
use contracts::events::{
    Envelope, EventType, HoldEvent, ProductInventoryBelowSafetyStock, ProductInventoryDepleted,
    ProductInventoryReserved, ProductInventoryStockChanged,
};
use contracts::inventory::StockView;

use super::event::{self, SOURCE, TRACEPARENT};
use crate::scenario::{HOLD_TTL_SECONDS, HOT_SKU, SPREAD_SKUS};

/// The first spread SKU; the others follow it.
pub const SPREAD_FIRST_SKU: u64 = 10_000_000_000;
/// The one SKU of the hot runs.
pub const HOT_SKU_NUMBER: u64 = 20_000_000_000;
/// Stock of a spread SKU, as the bench's own SKUs have.
const SPREAD_ON_HAND: i64 = 1_000_000_000;
/// Stock of the hot SKU: no run can exhaust it.
const HOT_ON_HAND: i64 = 4_000_000_000_000_000_000;

/// Which SKUs a reservation script lands on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skus {
    /// Every transaction on the one hot SKU.
    Hot,
    /// Uniformly over the spread SKUs.
    Spread,
}

/// The reservation transaction, one statement in autocommit as the service runs it.
pub fn reservation(skus: Skus) -> String {
    format!(
        "{sku}\n{ORDER_AND_QTY}\n{reserve}",
        sku = choose_sku(skus),
        reserve = reserve_one()
    )
}

/// The service's read of one SKU's stock, over the spread SKUs.
pub fn point_read() -> String {
    format!(
        "{}\nSELECT sku, on_hand, reserved, safety_stock, version, updated_at\n  FROM product_inventory WHERE location_id = 'central' AND sku = :sku::text;\n",
        choose_sku(Skus::Spread)
    )
}

/// Seeds the spread SKUs and the hot one, each with its creation movement as the service
/// writes it, then refreshes the planner's statistics. One statement per element, each
/// committed on its own (`VACUUM` cannot run inside a transaction).
pub fn seed() -> [String; 3] {
    let last = SPREAD_FIRST_SKU + SPREAD_SKUS - 1;
    [
        format!(
            "INSERT INTO product_inventory (sku, on_hand, reserved, safety_stock, version)
             SELECT i::text, {SPREAD_ON_HAND}, 0, 0, 1 FROM generate_series({SPREAD_FIRST_SKU}::bigint, {last}) AS i
             UNION ALL SELECT '{HOT_SKU_NUMBER}', {HOT_ON_HAND}, 0, 0, 1"
        ),
        "INSERT INTO movements (sku, kind, qty, order_id, on_hand_after, reserved_after)
         SELECT sku, 'created', on_hand, NULL, on_hand, 0 FROM product_inventory"
            .to_owned(),
        "VACUUM ANALYZE".to_owned(),
    ]
}

/// The `-D name=value` variables the scripts read: the order ids' base and stride, and
/// what the service binds as text (three event payloads and a `traceparent`).
pub fn variables(clients: usize, order_base: i64) -> Vec<(&'static str, String)> {
    let [reserved, below, depleted, stock] = payloads();
    vec![
        ("orders_done", "0".to_owned()),
        ("order_base", order_base.to_string()),
        ("clients", clients.to_string()),
        ("reserved_payload", reserved),
        ("below_payload", below),
        ("depleted_payload", depleted),
        ("stock_payload", stock),
        ("traceparent", TRACEPARENT.to_owned()),
    ]
}

/// A base for order ids that later runs never reach back to: the clock in milliseconds
/// times a million leaves room for a million reservations per millisecond of run.
pub fn order_base(now_millis: i64) -> i64 {
    now_millis.saturating_mul(1_000_000)
}

fn choose_sku(skus: Skus) -> String {
    match skus {
        Skus::Hot => format!("\\set sku {HOT_SKU_NUMBER}"),
        Skus::Spread => format!(
            "\\set sku {SPREAD_FIRST_SKU} + random(0, {})",
            SPREAD_SKUS - 1
        ),
    }
}

/// Each client counts its transactions; its order ids never meet another client's.
const ORDER_AND_QTY: &str = "\
\\set orders_done :orders_done + 1
\\set order :order_base + :orders_done * :clients + :client_id
\\set qty 1";

/// inventory-service's reservation statement, the one source of it.
const SERVICE_RESERVE_ONE: &str =
    include_str!("../../../services/inventory-service/src/adapters/postgres/reserve_one.sql");

/// What pgbench binds for each of the service's parameters, `$1` first: its variables
/// for the SKU, order, quantity, payloads and traceparent; the server's clock and
/// `gen_random_uuid()` for the expiry and event ids; each event's exchange, routing key
/// and type as the service sends them; the caller's name.
fn parameters() -> Vec<String> {
    fn event<T: EventType>(routing_key: &str, payload: &str) -> [String; 5] {
        [
            "gen_random_uuid()".to_owned(),
            format!("'{}'", T::EXCHANGE),
            format!("'{routing_key}'"),
            format!("'{}'", T::TYPE),
            format!(":{payload}::jsonb"),
        ]
    }
    let reserved = <ProductInventoryReserved as HoldEvent>::DIRECT_ROUTING_KEY;
    let below = ProductInventoryBelowSafetyStock::ROUTING_KEY;
    let depleted = ProductInventoryDepleted::ROUTING_KEY;
    [":sku::text", ":order::text", ":qty::bigint"]
        .map(str::to_owned)
        .into_iter()
        .chain([format!("(now() + interval '{HOLD_TTL_SECONDS} seconds')")])
        .chain(event::<ProductInventoryReserved>(
            reserved,
            "reserved_payload",
        ))
        .chain(event::<ProductInventoryBelowSafetyStock>(
            below,
            "below_payload",
        ))
        .chain(event::<ProductInventoryDepleted>(
            depleted,
            "depleted_payload",
        ))
        .chain([":traceparent::text", "'bench'", "'central'"].map(str::to_owned))
        .chain(event::<ProductInventoryStockChanged>(
            ProductInventoryStockChanged::ROUTING_KEY,
            "stock_payload",
        ))
        .collect()
}

/// The service's statement with pgbench variables for its parameters, ended by `;`.
fn reserve_one() -> String {
    let mut sql: String = SERVICE_RESERVE_ONE
        .lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    // Highest first, so `$1` does not eat the start of `$10`.
    for (i, value) in parameters().iter().enumerate().rev() {
        sql = sql.replace(&format!("${}", i + 1), value);
    }
    format!("{};\n", sql.trim_end())
}

/// The four envelopes a reservation binds, as the service writes them.
fn payloads() -> [String; 4] {
    let now = Utc::now();
    let below = ProductInventoryBelowSafetyStock {
        store_id: "central".into(),
        sku: HOT_SKU.to_owned(),
        available: 0,
        safety_stock: 0,
    };
    let depleted = ProductInventoryDepleted {
        store_id: "central".into(),
        sku: HOT_SKU.to_owned(),
        on_hand: 0,
        reserved: 0,
    };
    let stock = ProductInventoryStockChanged {
        items: vec![StockView {
            store_id: "central".into(),
            sku: HOT_SKU.to_owned(),
            on_hand: 0,
            reserved: 0,
            available: 0,
            safety_stock: 0,
            below_safety_stock: false,
            unit_price: None,
            version: 0,
            updated_at: now,
        }],
    };
    [
        serde_json::to_string(&event::reserved(now)),
        serde_json::to_string(&Envelope::new(SOURCE, now, None, HOT_SKU, below)),
        serde_json::to_string(&Envelope::new(SOURCE, now, None, HOT_SKU, depleted)),
        serde_json::to_string(&Envelope::new(SOURCE, now, None, HOT_SKU, stock)),
    ]
    .map(|envelope| envelope.expect("an envelope serializes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_service_statement_is_used_with_every_parameter_bound() {
        let script = reservation(Skus::Spread);
        assert!(script.contains("INSERT INTO order_states"), "{script}");
        let unbound = script
            .match_indices('$')
            .filter(|(i, _)| script[i + 1..].starts_with(|c: char| c.is_ascii_digit()))
            .count();
        assert_eq!(unbound, 0, "{script}");
        assert!(script.contains(":traceparent::text"), "{script}");
        assert!(!script.contains("--"), "{script}");
    }

    #[test]
    fn the_reservation_does_every_write_of_the_service_statement() {
        let script = reservation(Skus::Spread);
        for write in [
            "INSERT INTO order_states",
            "UPDATE product_inventory",
            "on_hand - reserved >= :qty::bigint",
            "INSERT INTO reservations",
            "INSERT INTO movements",
        ] {
            assert!(script.contains(write), "{write} missing");
        }
        assert_eq!(script.matches("INSERT INTO outbox").count(), 4);
        let expiry = format!("now() + interval '{HOLD_TTL_SECONDS} seconds'");
        assert!(
            script.contains(&expiry),
            "holds live as long as the bench's"
        );
        assert_eq!(
            script.matches(';').count(),
            1,
            "one statement, in autocommit"
        );
    }

    #[test]
    fn hot_runs_use_one_sku_and_spread_runs_all_of_theirs() {
        assert!(reservation(Skus::Hot).starts_with("\\set sku 20000000000\n"));
        assert!(reservation(Skus::Spread).starts_with("\\set sku 10000000000 + random(0, 9999)\n"));
        assert!(point_read().contains("random(0, 9999)"));
        assert!(seed()[0].contains("generate_series(10000000000::bigint, 10000009999)"));
    }

    #[test]
    fn order_ids_of_later_runs_start_past_any_earlier_run() {
        let first = order_base(1_795_638_548_000);
        let a_second_later = order_base(1_795_638_549_000);
        // A run of a million reservations per client at 64 clients stays below the next.
        assert!(first + 1_000_000 * 64 + 63 < a_second_later);
        assert!(first.to_string().len() == 19);
    }
}
