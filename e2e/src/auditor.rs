//! The invariant auditor: reads both services' databases (read-only) and checks the
//! promises of the saga, once the system is quiet. Stock lives at locations (the central
//! warehouse and stores), so every stock check is per (location, SKU), and every
//! violation names its location:
//!
//! - stock: `available` ≥ 0 and `reserved` = the sum of the active holds at that
//!   location, for every (location, SKU);
//! - the audit trail: replaying each (location, SKU)'s movements from the first one
//!   reproduces every movement's recorded levels and the current row, so on hand =
//!   initial + replenished − committed + returned + transferred in − transferred out;
//!   every unit transferred out of one location arrived at another; no order reserved a
//!   SKU it still held there, committed it twice, or gave back what it did not hold;
//! - orders: every order terminal; a confirmed order's holds all at its location and
//!   committed there, for exactly the quantities it ordered (none active, released or
//!   expired: confirmed means committed), and nothing committed for it anywhere else; a
//!   cancelled order holds and consumed nothing at any location (what was committed for
//!   it was returned); at each location, the units committed are the units its
//!   confirmed orders ordered;
//! - payments, against the provider's own book (the sandbox's, in the orders
//!   database): a confirmed paid order has exactly one intent, captured for exactly its
//!   total and not refunded; a cancelled order holds nothing on the card and keeps
//!   nothing (what was captured was refunded in full); money is captured only for
//!   confirmed orders, whose stock the order checks find committed;
//! - messaging: both outboxes empty; no event handled twice by one consumer.
//!
//! Some of these hold at every instant, others only once messages in flight have
//! landed: [`settle`] audits until the report is clean or time runs out.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    fmt,
    time::Duration,
};

use serde::{Deserialize, Serialize};
use sqlx::{PgPool, Row};

/// What the auditor found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub orders: usize,
    pub confirmed: usize,
    pub cancelled: usize,
    pub pending: usize,
    /// Units of the confirmed orders' lines.
    pub units_confirmed: i64,
    /// Units the inventory committed (sold), from its movements.
    pub units_committed: i64,
    /// The same two counts at each location (the location id), for every location that
    /// stocks something or that an order named.
    pub by_location: BTreeMap<String, Units>,
    /// Distinct SKUs, whatever the location.
    pub skus: usize,
    /// Stock rows: one per (location, SKU).
    pub stock_rows: usize,
    pub movements: usize,
    /// Holds of orders order-service never created (reservations made directly on the
    /// inventory), by status.
    pub foreign_holds: BTreeMap<String, usize>,
    /// Orders paid by card, and the intents the provider captured.
    pub paid: usize,
    pub captured: usize,
    pub violations: Vec<String>,
}

/// Units confirmed and committed at one location.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Units {
    /// Units of the lines of the confirmed orders placed at this location.
    pub confirmed: i64,
    /// Units committed at this location, net of those returned.
    pub committed: i64,
}

impl Report {
    pub fn is_clean(&self) -> bool {
        self.violations.is_empty()
    }

    /// The units confirmed and committed at `location` (none if it had nothing).
    pub fn at(&self, location: &str) -> Units {
        self.by_location.get(location).copied().unwrap_or_default()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "orders {} (confirmed {}, cancelled {}, pending {}); units confirmed {}, committed {}",
            self.orders,
            self.confirmed,
            self.cancelled,
            self.pending,
            self.units_confirmed,
            self.units_committed,
        )?;
        if self.by_location.len() > 1 {
            let each: Vec<String> = self
                .by_location
                .iter()
                .map(|(location, u)| format!("{location} {}/{}", u.confirmed, u.committed))
                .collect();
            write!(f, " (confirmed/committed at {})", each.join(", "))?;
        }
        if self.paid > 0 {
            write!(f, "; paid {} (captured {})", self.paid, self.captured)?;
        }
        let locations = self.by_location.len();
        write!(
            f,
            "; {} SKUs at {locations} location{} ({} stock rows), {} movements; violations {}",
            self.skus,
            if locations == 1 { "" } else { "s" },
            self.stock_rows,
            self.movements,
            self.violations.len()
        )?;
        for v in self.violations.iter().take(20) {
            write!(f, "\n  - {v}")?;
        }
        if self.violations.len() > 20 {
            write!(f, "\n  - ... and {} more", self.violations.len() - 20)?;
        }
        Ok(())
    }
}

/// Audits until the report is clean (the system has converged) or `within` passes,
/// and returns the last report.
pub async fn settle(inventory: &PgPool, orders: &PgPool, within: Duration) -> Report {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let report = match audit(inventory, orders).await {
            Ok(report) => report,
            Err(e) => Report {
                violations: vec![format!("the audit could not read the databases: {e:#}")],
                ..Report::default()
            },
        };
        if report.is_clean() || tokio::time::Instant::now() >= deadline {
            return report;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// One audit of both databases.
pub async fn audit(inventory: &PgPool, orders: &PgPool) -> anyhow::Result<Report> {
    let stock = Stock::load(inventory).await?;
    let placed = load_orders(orders).await?;
    let mut report = Report {
        movements: stock.movements.len(),
        ..Report::default()
    };
    count_stock(&stock, &placed, &mut report);
    check_stock(&stock, &mut report.violations);
    check_trail(&stock, &mut report.violations);
    check_orders(&stock, &placed, &mut report);
    let payments = load_payments(orders).await?;
    check_payments(&payments, &mut report);
    check_messaging(inventory, orders, &mut report.violations).await?;
    Ok(report)
}

#[derive(Debug)]
struct Product {
    on_hand: i64,
    reserved: i64,
}

#[derive(Debug)]
struct Hold {
    held: i64,
    status: String,
    /// Made by the saga; a hold made for an order's id through the public routes is the
    /// caller's own, not the order's.
    saga: bool,
}

#[derive(Debug)]
struct Movement {
    location: String,
    sku: String,
    kind: String,
    qty: i64,
    order_id: Option<String>,
    on_hand_after: i64,
    reserved_after: i64,
}

#[derive(Debug)]
struct Stock {
    /// By (location, SKU).
    products: BTreeMap<(String, String), Product>,
    /// By (order id, location, SKU).
    holds: HashMap<(String, String, String), Hold>,
    /// In the order they were written.
    movements: Vec<Movement>,
}

impl Stock {
    async fn load(pool: &PgPool) -> anyhow::Result<Self> {
        // One snapshot: the three tables as of one instant.
        let mut tx = pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .execute(&mut *tx)
            .await?;
        let products =
            sqlx::query("SELECT location_id, sku, on_hand, reserved FROM product_inventory")
                .fetch_all(&mut *tx)
                .await?
                .into_iter()
                .map(|r| {
                    let product = Product {
                        on_hand: r.get("on_hand"),
                        reserved: r.get("reserved"),
                    };
                    ((r.get("location_id"), r.get("sku")), product)
                })
                .collect();
        let holds =
            sqlx::query("SELECT order_id, location_id, sku, held, status, saga FROM reservations")
                .fetch_all(&mut *tx)
                .await?
                .into_iter()
                .map(|r| {
                    let hold = Hold {
                        held: r.get("held"),
                        status: r.get("status"),
                        saga: r.get("saga"),
                    };
                    (
                        (r.get("order_id"), r.get("location_id"), r.get("sku")),
                        hold,
                    )
                })
                .collect();
        let movements = sqlx::query(
            "SELECT location_id, sku, kind, qty, order_id, on_hand_after, reserved_after
             FROM movements ORDER BY id",
        )
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|r| Movement {
            location: r.get("location_id"),
            sku: r.get("sku"),
            kind: r.get("kind"),
            qty: r.get("qty"),
            order_id: r.get("order_id"),
            on_hand_after: r.get("on_hand_after"),
            reserved_after: r.get("reserved_after"),
        })
        .collect();
        tx.commit().await?;
        Ok(Self {
            products,
            holds,
            movements,
        })
    }

    /// Whether `location` stocks `sku`.
    fn stocks(&self, location: &str, sku: &str) -> bool {
        self.products
            .contains_key(&(location.to_owned(), sku.to_owned()))
    }
}

#[derive(Debug, Deserialize)]
struct Line {
    sku: String,
    qty: i64,
}

#[derive(Debug)]
struct Order {
    id: String,
    status: String,
    /// Where every line is reserved.
    location: String,
    lines: Vec<Line>,
}

async fn load_orders(pool: &PgPool) -> anyhow::Result<Vec<Order>> {
    let rows = sqlx::query("SELECT id::text AS id, status, location_id, lines FROM orders")
        .fetch_all(pool)
        .await?;
    rows.into_iter()
        .map(|r| {
            let lines: sqlx::types::Json<Vec<Line>> = r.try_get("lines")?;
            Ok(Order {
                id: r.get("id"),
                status: r.get("status"),
                location: r.get("location_id"),
                lines: lines.0,
            })
        })
        .collect()
}

/// The counts of the report's heading: SKUs, stock rows and the locations they are at
/// (with those the orders named).
fn count_stock(stock: &Stock, orders: &[Order], report: &mut Report) {
    report.stock_rows = stock.products.len();
    report.skus = stock
        .products
        .keys()
        .map(|(_, sku)| sku)
        .collect::<BTreeSet<_>>()
        .len();
    let locations = stock
        .products
        .keys()
        .map(|(location, _)| location)
        .chain(orders.iter().map(|o| &o.location));
    for location in locations {
        report.by_location.entry(location.clone()).or_default();
    }
}

/// Invariant 1, per (location, SKU): available ≥ 0, reserved = Σ active holds there.
fn check_stock(stock: &Stock, violations: &mut Vec<String>) {
    let mut active: BTreeMap<(&str, &str), i64> = BTreeMap::new();
    for ((_, location, sku), hold) in &stock.holds {
        if hold.status == "active" {
            *active.entry((location.as_str(), sku.as_str())).or_default() += hold.held;
        }
    }
    for ((location, sku), p) in &stock.products {
        if p.on_hand - p.reserved < 0 {
            violations.push(format!(
                "{sku} at {location}: available is negative (on hand {}, reserved {})",
                p.on_hand, p.reserved
            ));
        }
        let held = active
            .get(&(location.as_str(), sku.as_str()))
            .copied()
            .unwrap_or(0);
        if held != p.reserved {
            violations.push(format!(
                "{sku} at {location}: reserved is {} but the active holds there add up to {held}",
                p.reserved
            ));
        }
    }
    for ((location, sku), held) in active {
        if !stock.stocks(location, sku) {
            violations.push(format!(
                "{sku} at {location}: active holds of {held} units where it is not stocked"
            ));
        }
    }
}

/// The movements of each (location, SKU) replay to its current state; what transfers
/// took out of one location arrived at another; and each order's moves on a SKU at a
/// location follow the life of a hold: reserved while not held, released or expired only
/// while held, committed once (again only after a return).
fn check_trail(stock: &Stock, violations: &mut Vec<String>) {
    let mut replayed: BTreeMap<(&str, &str), (i64, i64)> = BTreeMap::new();
    // (out, in) per SKU.
    let mut transferred: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    // (held, committed) per (order, location, SKU).
    let mut holds: HashMap<(&str, &str, &str), (bool, bool)> = HashMap::new();
    for m in &stock.movements {
        let (location, sku) = (m.location.as_str(), m.sku.as_str());
        let level = replayed.entry((location, sku)).or_insert((0, 0));
        let (on_hand, reserved) = *level;
        let next = match m.kind.as_str() {
            "created" => (m.qty, 0),
            "reserved" => (on_hand, reserved + m.qty),
            "released" | "expired" => (on_hand, reserved - m.qty),
            "committed" => (on_hand - m.qty, reserved - m.qty),
            "replenished" | "returned" | "transferred_in" => (on_hand + m.qty, reserved),
            "transferred_out" => (on_hand - m.qty, reserved),
            // A manual correction states the level it sets.
            _ => (m.on_hand_after, m.reserved_after),
        };
        if next != (m.on_hand_after, m.reserved_after) {
            violations.push(format!(
                "{sku} at {location}: a {} of {} after ({on_hand}, {reserved}) should leave {next:?}, the trail says ({}, {})",
                m.kind, m.qty, m.on_hand_after, m.reserved_after
            ));
        }
        *level = (m.on_hand_after, m.reserved_after);
        match m.kind.as_str() {
            "transferred_out" => transferred.entry(sku).or_default().0 += m.qty,
            "transferred_in" => transferred.entry(sku).or_default().1 += m.qty,
            _ => {}
        }
        let Some(order) = &m.order_id else { continue };
        let (held, committed) = holds.entry((order, location, sku)).or_default();
        let wrong = match m.kind.as_str() {
            "reserved" if *held => Some("reserved while it already held"),
            "reserved" => {
                *held = true;
                None
            }
            // A partial release leaves the hold in place: only a full one ends it, which
            // the trail cannot tell apart; a release is checked by the levels above.
            "released" => None,
            "expired" if !*held => Some("expired a hold it did not have"),
            "expired" => {
                *held = false;
                None
            }
            "committed" if *committed => Some("committed twice"),
            "committed" => {
                (*held, *committed) = (false, true);
                None
            }
            "returned" if !*committed => Some("returned what it had not committed"),
            "returned" => {
                *committed = false;
                None
            }
            _ => None,
        };
        if let Some(wrong) = wrong {
            violations.push(format!("order {order} {sku} at {location}: {wrong}"));
        }
    }
    for ((location, sku), p) in &stock.products {
        let last = replayed
            .get(&(location.as_str(), sku.as_str()))
            .copied()
            .unwrap_or((0, 0));
        if last != (p.on_hand, p.reserved) {
            violations.push(format!(
                "{sku} at {location}: the trail ends at {last:?}, the stock is ({}, {})",
                p.on_hand, p.reserved
            ));
        }
    }
    for (location, sku) in replayed.keys() {
        if !stock.stocks(location, sku) {
            violations.push(format!(
                "{sku} at {location}: movements for a SKU the location does not stock"
            ));
        }
    }
    for (sku, (out, arrived)) in transferred {
        if out != arrived {
            violations.push(format!(
                "{sku}: {out} units transferred out of a location, {arrived} transferred in"
            ));
        }
    }
}

/// Invariants 3 and 4, read across both databases: each order's holds and sales at its
/// location, and the units sold at each location.
fn check_orders(stock: &Stock, orders: &[Order], report: &mut Report) {
    // Units sold, net of what cancelled orders gave back: by (order, SKU), then location.
    let mut committed_by: HashMap<(&str, &str), BTreeMap<&str, i64>> = HashMap::new();
    for m in &stock.movements {
        let sold = match m.kind.as_str() {
            "committed" => m.qty,
            "returned" => -m.qty,
            _ => continue,
        };
        report.units_committed += sold;
        report
            .by_location
            .entry(m.location.clone())
            .or_default()
            .committed += sold;
        if let Some(order) = &m.order_id {
            *committed_by
                .entry((order, &m.sku))
                .or_default()
                .entry(&m.location)
                .or_default() += sold;
        }
    }
    // The holds by (order, SKU), then location.
    let mut holds_of: HashMap<(&str, &str), BTreeMap<&str, &Hold>> = HashMap::new();
    for ((order, location, sku), hold) in &stock.holds {
        holds_of
            .entry((order, sku))
            .or_default()
            .insert(location, hold);
    }
    let known: HashMap<&str, &Order> = orders.iter().map(|o| (o.id.as_str(), o)).collect();
    let (no_holds, no_sales) = (BTreeMap::new(), BTreeMap::new());
    report.orders = orders.len();
    for order in orders {
        let (id, at) = (order.id.as_str(), order.location.as_str());
        match order.status.as_str() {
            "CONFIRMED" => {
                report.confirmed += 1;
                for line in &order.lines {
                    let sku = line.sku.as_str();
                    report.units_confirmed += line.qty;
                    report
                        .by_location
                        .entry(at.to_owned())
                        .or_default()
                        .confirmed += line.qty;
                    let holds = holds_of.get(&(id, sku)).unwrap_or(&no_holds);
                    match holds.get(at) {
                        Some(h) if !h.saga => report.violations.push(format!(
                            "confirmed order {id} {sku} at {at}: its hold is not the saga's"
                        )),
                        Some(h) if h.status == "committed" && h.held == line.qty => {}
                        Some(h) => report.violations.push(format!(
                            "confirmed order {id} {sku} at {at}: hold {} of {} instead of committed {}",
                            h.status, h.held, line.qty
                        )),
                        None => report.violations.push(format!(
                            "confirmed order {id} {sku} at {at}: no hold there"
                        )),
                    }
                    for (elsewhere, h) in holds.iter().filter(|(l, h)| **l != at && h.saga) {
                        report.violations.push(format!(
                            "confirmed order {id} {sku} at {at}: a saga hold {} of {} at {elsewhere}, \
                             not at the order's location",
                            h.status, h.held
                        ));
                    }
                    let sold = committed_by.get(&(id, sku)).unwrap_or(&no_sales);
                    let there = sold.get(at).copied().unwrap_or(0);
                    if there != line.qty {
                        report.violations.push(format!(
                            "confirmed order {id} {sku} at {at}: {there} units committed there for {} ordered",
                            line.qty
                        ));
                    }
                    for (elsewhere, units) in sold.iter().filter(|(l, u)| **l != at && **u != 0) {
                        report.violations.push(format!(
                            "confirmed order {id} {sku} at {at}: {units} units committed at {elsewhere}, \
                             not at the order's location"
                        ));
                    }
                }
            }
            "CANCELLED" => {
                report.cancelled += 1;
                for line in &order.lines {
                    let sku = line.sku.as_str();
                    let holds = holds_of.get(&(id, sku)).unwrap_or(&no_holds);
                    for (location, h) in holds {
                        if h.saga && matches!(h.status.as_str(), "active" | "committed") {
                            report.violations.push(format!(
                                "cancelled order {id} {sku} at {location}: hold still {} ({} units)",
                                h.status, h.held
                            ));
                        }
                    }
                    let sold = committed_by.get(&(id, sku)).unwrap_or(&no_sales);
                    for (location, units) in sold.iter().filter(|(_, u)| **u != 0) {
                        report.violations.push(format!(
                            "cancelled order {id} {sku} at {location}: {units} units still committed"
                        ));
                    }
                }
            }
            other => {
                report.pending += 1;
                report
                    .violations
                    .push(format!("order {id} at {at} is still {other}"));
            }
        }
    }
    for ((order, _, _), hold) in &stock.holds {
        if !known.contains_key(order.as_str()) || !hold.saga {
            *report.foreign_holds.entry(hold.status.clone()).or_default() += 1;
        }
    }
    for (location, units) in &report.by_location {
        if units.committed != units.confirmed {
            report.violations.push(format!(
                "at {location}: {} units committed for {} units confirmed",
                units.committed, units.confirmed
            ));
        }
    }
}

/// Nothing left to publish; no event handled twice.
/// A paid order as order-service records it, and its intent as the provider holds it.
#[derive(Debug, Default)]
struct Paid {
    order: String,
    /// `None` for an intent whose order order-service does not have.
    status: Option<String>,
    /// The order's total in minor units, as its payment records it.
    total: Option<i64>,
    intents: Vec<Held>,
}

#[derive(Debug, Clone)]
struct Held {
    id: String,
    status: String,
    amount: i64,
    captured: i64,
    refunded: i64,
}

/// Every paid order and every intent of the provider's book, by order. Without the
/// sandbox's book (another provider), the orders alone.
async fn load_payments(pool: &PgPool) -> anyhow::Result<Vec<Paid>> {
    let mut paid: BTreeMap<String, Paid> = BTreeMap::new();
    let orders = sqlx::query(
        "SELECT id::text AS id, status, payment_amount FROM orders WHERE payment_status IS NOT NULL",
    )
    .fetch_all(pool)
    .await?;
    for r in orders {
        let id: String = r.get("id");
        paid.insert(
            id.clone(),
            Paid {
                order: id,
                status: Some(r.get("status")),
                total: r.get("payment_amount"),
                intents: Vec::new(),
            },
        );
    }
    let book: Option<String> =
        sqlx::query_scalar("SELECT to_regclass('payment_sandbox_intents')::text")
            .fetch_one(pool)
            .await?;
    if book.is_some() {
        let intents = sqlx::query(
            "SELECT id, authorized_by, status, amount, captured, refunded FROM payment_sandbox_intents",
        )
        .fetch_all(pool)
        .await?;
        for r in intents {
            let key: String = r.get("authorized_by");
            // Keys are `order/{id}/authorize`; any other is not a checkout's.
            let Some(order) = key
                .strip_prefix("order/")
                .and_then(|rest| rest.strip_suffix("/authorize"))
            else {
                continue;
            };
            paid.entry(order.to_owned())
                .or_insert_with(|| Paid {
                    order: order.to_owned(),
                    ..Paid::default()
                })
                .intents
                .push(Held {
                    id: r.get("id"),
                    status: r.get("status"),
                    amount: r.get("amount"),
                    captured: r.get("captured"),
                    refunded: r.get("refunded"),
                });
        }
    }
    Ok(paid.into_values().collect())
}

/// The payment invariants, order by order.
fn check_payments(payments: &[Paid], report: &mut Report) {
    let violations = &mut report.violations;
    for paid in payments {
        let order = &paid.order;
        let kept: i64 = paid.intents.iter().map(|i| i.captured - i.refunded).sum();
        let captures = paid.intents.iter().filter(|i| i.captured > 0).count();
        let held = paid
            .intents
            .iter()
            .filter(|i| i.status == "requires_capture")
            .count();
        report.captured += captures;
        let Some(status) = &paid.status else {
            if captures > 0 || held > 0 {
                violations.push(format!(
                    "payment of unknown order {order}: {captures} capture(s), {held} authorization(s) still held"
                ));
            }
            continue;
        };
        report.paid += 1;
        match status.as_str() {
            "CONFIRMED" => {
                let ok = paid.intents.len() == 1
                    && paid.intents[0].status == "succeeded"
                    && Some(paid.intents[0].captured) == paid.total
                    && paid.intents[0].refunded == 0;
                if !ok {
                    violations.push(format!(
                        "confirmed order {order} (total {:?}) does not have exactly one capture of its total: {:?}",
                        paid.total, paid.intents
                    ));
                }
            }
            "CANCELLED" => {
                if kept != 0 || held > 0 {
                    violations.push(format!(
                        "cancelled order {order} still has money on the card: {kept} captured and not refunded, {held} authorization(s) held: {:?}",
                        paid.intents
                    ));
                }
            }
            _ => {
                if captures > 0 {
                    violations.push(format!(
                        "order {order} is {status}, not confirmed, yet money was captured: {:?}",
                        paid.intents
                    ));
                }
            }
        }
        if paid.intents.len() > 1 {
            violations.push(format!(
                "order {order} has {} intents: one authorization per order",
                paid.intents.len()
            ));
        }
        for intent in &paid.intents {
            if intent.captured > intent.amount {
                violations.push(format!(
                    "intent {} of order {order} captured {} of {} authorized",
                    intent.id, intent.captured, intent.amount
                ));
            }
        }
    }
}

async fn check_messaging(
    inventory: &PgPool,
    orders: &PgPool,
    violations: &mut Vec<String>,
) -> anyhow::Result<()> {
    for (service, pool) in [("inventory-service", inventory), ("order-service", orders)] {
        let waiting: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
            .fetch_one(pool)
            .await?;
        if waiting > 0 {
            violations.push(format!("{service}: {waiting} events still in the outbox"));
        }
        // The primary key forbids it; the query says so should the schema ever change.
        let twice: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM (SELECT 1 FROM inbox GROUP BY consumer, event_id HAVING count(*) > 1) d",
        )
        .fetch_one(pool)
        .await?;
        if twice > 0 {
            violations.push(format!("{service}: {twice} events handled twice"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CENTRAL: &str = "central";
    const STORE: &str = "store-1";
    const SKU: &str = "AAA-0001-AA";

    fn movement(
        sku: &str,
        kind: &str,
        qty: i64,
        order: Option<&str>,
        after: (i64, i64),
    ) -> Movement {
        movement_at(CENTRAL, sku, kind, qty, order, after)
    }

    fn movement_at(
        location: &str,
        sku: &str,
        kind: &str,
        qty: i64,
        order: Option<&str>,
        after: (i64, i64),
    ) -> Movement {
        Movement {
            location: location.into(),
            sku: sku.into(),
            kind: kind.into(),
            qty,
            order_id: order.map(Into::into),
            on_hand_after: after.0,
            reserved_after: after.1,
        }
    }

    /// Products as (location, SKU, on hand, reserved); saga holds as (order, location,
    /// SKU, held, status).
    fn stock(
        products: &[(&str, &str, i64, i64)],
        holds: &[(&str, &str, &str, i64, &str)],
        movements: Vec<Movement>,
    ) -> Stock {
        Stock {
            products: products
                .iter()
                .map(|(l, s, on_hand, reserved)| {
                    (
                        ((*l).into(), (*s).into()),
                        Product {
                            on_hand: *on_hand,
                            reserved: *reserved,
                        },
                    )
                })
                .collect(),
            holds: holds
                .iter()
                .map(|(o, l, s, held, status)| {
                    (
                        ((*o).into(), (*l).into(), (*s).into()),
                        Hold {
                            held: *held,
                            status: (*status).into(),
                            saga: true,
                        },
                    )
                })
                .collect(),
            movements,
        }
    }

    fn product<'a>(s: &'a mut Stock, location: &str, sku: &str) -> &'a mut Product {
        s.products.get_mut(&(location.into(), sku.into())).unwrap()
    }

    fn hold<'a>(s: &'a mut Stock, order: &str, location: &str, sku: &str) -> &'a mut Hold {
        s.holds
            .get_mut(&(order.into(), location.into(), sku.into()))
            .unwrap()
    }

    fn order(id: &str, status: &str, lines: &[(&str, i64)]) -> Order {
        order_at(id, CENTRAL, status, lines)
    }

    fn order_at(id: &str, location: &str, status: &str, lines: &[(&str, i64)]) -> Order {
        Order {
            id: id.into(),
            status: status.into(),
            location: location.into(),
            lines: lines
                .iter()
                .map(|(s, q)| Line {
                    sku: (*s).into(),
                    qty: *q,
                })
                .collect(),
        }
    }

    fn consistent() -> (Stock, Vec<Order>) {
        let s = stock(
            &[(CENTRAL, SKU, 7, 2)],
            &[
                ("o1", CENTRAL, SKU, 3, "committed"),
                ("o2", CENTRAL, SKU, 2, "active"),
                ("o3", CENTRAL, SKU, 1, "released"),
            ],
            vec![
                movement(SKU, "created", 10, None, (10, 0)),
                movement(SKU, "reserved", 3, Some("o1"), (10, 3)),
                movement(SKU, "reserved", 1, Some("o3"), (10, 4)),
                movement(SKU, "released", 1, Some("o3"), (10, 3)),
                movement(SKU, "committed", 3, Some("o1"), (7, 0)),
                movement(SKU, "reserved", 2, Some("o2"), (7, 2)),
            ],
        );
        let orders = vec![
            order("o1", "CONFIRMED", &[(SKU, 3)]),
            order("o3", "CANCELLED", &[(SKU, 1)]),
        ];
        (s, orders)
    }

    /// [`consistent`], then 4 units transferred to a store, where an order of 2 is
    /// confirmed and an order of 1 still holds.
    fn with_a_store() -> (Stock, Vec<Order>) {
        let (mut s, mut orders) = consistent();
        *product(&mut s, CENTRAL, SKU) = Product {
            on_hand: 3,
            reserved: 2,
        };
        s.products.insert(
            (STORE.into(), SKU.into()),
            Product {
                on_hand: 2,
                reserved: 1,
            },
        );
        for (order, held, status) in [("o4", 2, "committed"), ("o5", 1, "active")] {
            s.holds.insert(
                (order.into(), STORE.into(), SKU.into()),
                Hold {
                    held,
                    status: status.into(),
                    saga: true,
                },
            );
        }
        s.movements.extend([
            movement(SKU, "transferred_out", 4, None, (3, 2)),
            movement_at(STORE, SKU, "created", 0, None, (0, 0)),
            movement_at(STORE, SKU, "transferred_in", 4, None, (4, 0)),
            movement_at(STORE, SKU, "reserved", 2, Some("o4"), (4, 2)),
            movement_at(STORE, SKU, "committed", 2, Some("o4"), (2, 0)),
            movement_at(STORE, SKU, "reserved", 1, Some("o5"), (2, 1)),
        ]);
        orders.push(order_at("o4", STORE, "CONFIRMED", &[(SKU, 2)]));
        (s, orders)
    }

    fn report(stock: &Stock, orders: &[Order]) -> Report {
        let mut report = Report::default();
        count_stock(stock, orders, &mut report);
        check_stock(stock, &mut report.violations);
        check_trail(stock, &mut report.violations);
        check_orders(stock, orders, &mut report);
        report
    }

    fn violations(stock: &Stock, orders: &[Order]) -> Vec<String> {
        report(stock, orders).violations
    }

    #[test]
    fn a_consistent_state_has_no_violation() {
        let (s, orders) = consistent();
        assert_eq!(violations(&s, &orders), Vec::<String>::new());
    }

    #[test]
    fn reserved_that_disagrees_with_the_holds_is_reported() {
        let (mut s, orders) = consistent();
        product(&mut s, CENTRAL, SKU).reserved = 3;
        let v = violations(&s, &orders);
        assert!(
            v.iter()
                .any(|v| v.contains("active holds there add up to 2")),
            "{v:?}"
        );
        assert!(v.iter().any(|v| v.contains("the trail ends at")), "{v:?}");
    }

    #[test]
    fn a_trail_that_does_not_replay_is_reported() {
        let (mut s, orders) = consistent();
        s.movements[4].on_hand_after = 8;
        let v = violations(&s, &orders);
        assert!(v.iter().any(|v| v.contains("a committed of 3")), "{v:?}");
    }

    #[test]
    fn a_twice_committed_order_is_reported() {
        let (mut s, orders) = consistent();
        s.movements
            .push(movement(SKU, "committed", 3, Some("o1"), (4, -1)));
        let v = violations(&s, &orders);
        assert!(
            v.iter()
                .any(|v| v.contains("order o1 AAA-0001-AA at central: committed twice")),
            "{v:?}"
        );
        assert!(
            v.iter()
                .any(|v| v.contains("6 units committed there for 3 ordered")),
            "{v:?}"
        );
    }

    #[test]
    fn a_pending_order_and_a_cancelled_order_still_holding_are_reported() {
        let (mut s, mut orders) = consistent();
        orders.push(order("o2", "PENDING", &[(SKU, 2)]));
        hold(&mut s, "o3", CENTRAL, SKU).status = "active".into();
        let v = violations(&s, &orders);
        assert!(
            v.iter()
                .any(|v| v.contains("order o2 at central is still PENDING")),
            "{v:?}"
        );
        assert!(v.iter().any(|v| v.contains("cancelled order o3")), "{v:?}");
    }

    #[test]
    fn a_confirmed_order_whose_hold_expired_is_reported() {
        let (mut s, orders) = consistent();
        hold(&mut s, "o1", CENTRAL, SKU).status = "expired".into();
        let v = violations(&s, &orders);
        assert!(
            v.iter()
                .any(|v| v.contains("confirmed order o1 AAA-0001-AA at central: hold expired")),
            "{v:?}"
        );
    }

    #[test]
    fn a_hold_taken_again_after_it_expired_is_one_sale() {
        let (mut s, mut orders) = consistent();
        product(&mut s, CENTRAL, SKU).on_hand = 6;
        s.holds.insert(
            ("o4".into(), CENTRAL.into(), SKU.into()),
            Hold {
                held: 1,
                status: "committed".into(),
                saga: true,
            },
        );
        s.movements.extend([
            movement(SKU, "reserved", 1, Some("o4"), (7, 3)),
            movement(SKU, "expired", 1, Some("o4"), (7, 2)),
            movement(SKU, "reserved", 1, Some("o4"), (7, 3)),
            movement(SKU, "committed", 1, Some("o4"), (6, 2)),
        ]);
        orders.push(order("o4", "CONFIRMED", &[(SKU, 1)]));
        assert_eq!(violations(&s, &orders), Vec::<String>::new());
    }

    #[test]
    fn a_cancelled_order_whose_commit_was_not_returned_is_reported() {
        let (mut s, mut orders) = consistent();
        orders[0].status = "CANCELLED".into();
        let v = violations(&s, &orders);
        assert!(
            v.iter()
                .any(|v| v
                    .contains("cancelled order o1 AAA-0001-AA at central: hold still committed")),
            "{v:?}"
        );
        assert!(
            v.iter().any(|v| v.contains("3 units still committed")),
            "{v:?}"
        );
        // Once returned, it is whole again.
        product(&mut s, CENTRAL, SKU).on_hand = 10;
        hold(&mut s, "o1", CENTRAL, SKU).status = "released".into();
        s.movements
            .push(movement(SKU, "returned", 3, Some("o1"), (10, 2)));
        assert_eq!(violations(&s, &orders), Vec::<String>::new());
    }

    #[test]
    fn reserving_what_an_order_still_holds_is_reported() {
        let (mut s, orders) = consistent();
        s.movements
            .push(movement(SKU, "reserved", 2, Some("o2"), (7, 4)));
        product(&mut s, CENTRAL, SKU).reserved = 4;
        let v = violations(&s, &orders);
        assert!(
            v.iter()
                .any(|v| v
                    .contains("order o2 AAA-0001-AA at central: reserved while it already held")),
            "{v:?}"
        );
    }

    #[test]
    fn a_callers_own_hold_on_an_orders_id_is_not_the_orders() {
        let (mut s, orders) = consistent();
        let h = hold(&mut s, "o3", CENTRAL, SKU);
        (h.status, h.held, h.saga) = ("active".into(), 1, false);
        product(&mut s, CENTRAL, SKU).reserved = 3;
        s.movements
            .push(movement(SKU, "reserved", 1, Some("o3"), (7, 3)));
        let v = violations(&s, &orders);
        assert!(!v.iter().any(|v| v.contains("cancelled order o3")), "{v:?}");
        // On a confirmed order, a hold that is not the saga's is no proof of a sale.
        hold(&mut s, "o1", CENTRAL, SKU).saga = false;
        let v = violations(&s, &orders);
        assert!(
            v.iter().any(|v| v.contains("its hold is not the saga's")),
            "{v:?}"
        );
    }

    #[test]
    fn stock_at_two_locations_is_audited_apart() {
        let (s, orders) = with_a_store();
        let r = report(&s, &orders);
        assert_eq!(r.violations, Vec::<String>::new());
        assert_eq!((r.skus, r.stock_rows, r.by_location.len()), (1, 2, 2));
        assert_eq!(
            (r.at(CENTRAL), r.at(STORE)),
            (
                Units {
                    confirmed: 3,
                    committed: 3
                },
                Units {
                    confirmed: 2,
                    committed: 2
                }
            )
        );
        assert!(
            r.to_string()
                .contains("(confirmed/committed at central 3/3, store-1 2/2)"),
            "{r}"
        );
    }

    #[test]
    fn a_stores_reserved_that_disagrees_with_its_holds_names_the_store() {
        let (mut s, orders) = with_a_store();
        product(&mut s, STORE, SKU).reserved = 2;
        let v = violations(&s, &orders);
        assert!(
            v.iter().any(|v| v.contains(
                "AAA-0001-AA at store-1: reserved is 2 but the active holds there add up to 1"
            )),
            "{v:?}"
        );
        assert!(
            v.iter().all(|v| v.contains("at store-1")),
            "only the store is wrong: {v:?}"
        );
    }

    #[test]
    fn a_hold_counts_only_at_its_own_location() {
        let (mut s, orders) = with_a_store();
        // The store's active hold, recorded at the central warehouse instead.
        let moved = s
            .holds
            .remove(&("o5".into(), STORE.into(), SKU.into()))
            .unwrap();
        s.holds
            .insert(("o5".into(), CENTRAL.into(), SKU.into()), moved);
        let v = violations(&s, &orders);
        assert!(
            v.iter().any(|v| v.contains(
                "AAA-0001-AA at central: reserved is 2 but the active holds there add up to 3"
            )),
            "{v:?}"
        );
        assert!(
            v.iter().any(|v| v.contains(
                "AAA-0001-AA at store-1: reserved is 1 but the active holds there add up to 0"
            )),
            "{v:?}"
        );
    }

    #[test]
    fn a_confirmed_order_sold_from_another_location_is_reported() {
        let (mut s, mut orders) = with_a_store();
        // o1 was placed at the store, but its units were taken at the central warehouse.
        orders[0].location = STORE.into();
        let v = violations(&s, &orders);
        for wanted in [
            "confirmed order o1 AAA-0001-AA at store-1: no hold there",
            "confirmed order o1 AAA-0001-AA at store-1: a saga hold committed of 3 at central",
            "confirmed order o1 AAA-0001-AA at store-1: 0 units committed there for 3 ordered",
            "confirmed order o1 AAA-0001-AA at store-1: 3 units committed at central",
            "at central: 3 units committed for 0 units confirmed",
            "at store-1: 2 units committed for 5 units confirmed",
        ] {
            assert!(v.iter().any(|v| v.contains(wanted)), "{wanted}: {v:?}");
        }
        // A hold for a SKU the location does not stock is reported too.
        s.holds.insert(
            ("o6".into(), "store-2".into(), SKU.into()),
            Hold {
                held: 1,
                status: "active".into(),
                saga: true,
            },
        );
        let v = violations(&s, &orders);
        assert!(
            v.iter().any(|v| v.contains(
                "AAA-0001-AA at store-2: active holds of 1 units where it is not stocked"
            )),
            "{v:?}"
        );
    }

    #[test]
    fn a_transfer_must_arrive_where_it_went() {
        let (mut s, orders) = with_a_store();
        // The units left the central warehouse, and the store's trail forgot them.
        s.movements.retain(|m| m.kind != "transferred_in");
        let v = violations(&s, &orders);
        assert!(
            v.iter().any(|v| v
                .contains("AAA-0001-AA: 4 units transferred out of a location, 0 transferred in")),
            "{v:?}"
        );
        assert!(
            v.iter()
                .any(|v| v.contains("AAA-0001-AA at store-1: a reserved of 2 after (0, 0)")),
            "{v:?}"
        );
    }

    fn paid(order: &str, status: Option<&str>, total: i64, intents: &[(&str, i64, i64)]) -> Paid {
        Paid {
            order: order.into(),
            status: status.map(Into::into),
            total: Some(total),
            intents: intents
                .iter()
                .enumerate()
                .map(|(i, (status, captured, refunded))| Held {
                    id: format!("pi_{i}"),
                    status: (*status).into(),
                    amount: total,
                    captured: *captured,
                    refunded: *refunded,
                })
                .collect(),
        }
    }

    fn payment_violations(payments: &[Paid]) -> Vec<String> {
        let mut report = Report::default();
        check_payments(payments, &mut report);
        report.violations
    }

    #[test]
    fn paid_orders_that_keep_their_promises_are_clean() {
        let clean = [
            paid("o1", Some("CONFIRMED"), 1999, &[("succeeded", 1999, 0)]),
            paid("o2", Some("CANCELLED"), 1999, &[("canceled", 0, 0)]),
            paid("o3", Some("CANCELLED"), 1999, &[("succeeded", 1999, 1999)]),
            paid(
                "o4",
                Some("CANCELLED"),
                1999,
                &[("requires_payment_method", 0, 0)],
            ),
            paid("o5", Some("CANCELLED"), 1999, &[]),
        ];
        assert_eq!(payment_violations(&clean), Vec::<String>::new());
    }

    #[test]
    fn every_broken_payment_promise_is_named() {
        let cases = [
            paid("o1", Some("CONFIRMED"), 1999, &[]),
            paid("o2", Some("CONFIRMED"), 1999, &[("requires_capture", 0, 0)]),
            paid("o3", Some("CONFIRMED"), 1999, &[("succeeded", 1000, 0)]),
            paid("o4", Some("CONFIRMED"), 1999, &[("succeeded", 1999, 1999)]),
            paid("o5", Some("CANCELLED"), 1999, &[("requires_capture", 0, 0)]),
            paid("o6", Some("CANCELLED"), 1999, &[("succeeded", 1999, 0)]),
            paid("o7", Some("PENDING"), 1999, &[("succeeded", 1999, 0)]),
            paid("o8", None, 1999, &[("succeeded", 1999, 0)]),
        ];
        for case in cases {
            let found = payment_violations(std::slice::from_ref(&case));
            assert!(
                found.iter().any(|v| v.contains(&case.order)),
                "{}: {found:?}",
                case.order
            );
        }
    }
}
