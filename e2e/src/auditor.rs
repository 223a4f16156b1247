//! The invariant auditor: reads both services' databases (read-only) and checks the
//! promises of the saga, once the system is quiet:
//!
//! - stock: `available` ≥ 0 and `reserved` = the sum of active holds, for every SKU;
//! - the audit trail: replaying the movements from the first one reproduces every
//!   movement's recorded levels and the current row, so on hand = initial +
//!   replenished − committed + returned; no order reserved a SKU it still held,
//!   committed a SKU twice, or gave back what it did not hold;
//! - orders: every order terminal; a confirmed order's holds all committed, for exactly
//!   the quantities it ordered (none active, released or expired: confirmed means
//!   committed); a cancelled order holds and consumed nothing (what was committed for it
//!   was returned); the units committed are the units confirmed;
//! - messaging: both outboxes empty; no event handled twice by one consumer.
//!
//! Some of these hold at every instant, others only once messages in flight have
//! landed: [`settle`] audits until the report is clean or time runs out.

use std::{
    collections::{BTreeMap, HashMap},
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
    pub skus: usize,
    pub movements: usize,
    /// Holds of orders order-service never created (reservations made directly on the
    /// inventory), by status.
    pub foreign_holds: BTreeMap<String, usize>,
    pub violations: Vec<String>,
}

impl Report {
    pub fn is_clean(&self) -> bool {
        self.violations.is_empty()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "orders {} (confirmed {}, cancelled {}, pending {}); units confirmed {}, committed {}; \
             {} SKUs, {} movements; violations {}",
            self.orders,
            self.confirmed,
            self.cancelled,
            self.pending,
            self.units_confirmed,
            self.units_committed,
            self.skus,
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
        skus: stock.products.len(),
        movements: stock.movements.len(),
        ..Report::default()
    };
    check_stock(&stock, &mut report.violations);
    check_trail(&stock, &mut report.violations);
    check_orders(&stock, &placed, &mut report);
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
    sku: String,
    kind: String,
    qty: i64,
    order_id: Option<String>,
    on_hand_after: i64,
    reserved_after: i64,
}

#[derive(Debug)]
struct Stock {
    products: BTreeMap<String, Product>,
    /// By (order id, SKU).
    holds: HashMap<(String, String), Hold>,
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
        let products = sqlx::query("SELECT sku, on_hand, reserved FROM product_inventory")
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .map(|r| {
                let product = Product {
                    on_hand: r.get("on_hand"),
                    reserved: r.get("reserved"),
                };
                (r.get::<String, _>("sku"), product)
            })
            .collect();
        let holds = sqlx::query("SELECT order_id, sku, held, status, saga FROM reservations")
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .map(|r| {
                let hold = Hold {
                    held: r.get("held"),
                    status: r.get("status"),
                    saga: r.get("saga"),
                };
                ((r.get("order_id"), r.get("sku")), hold)
            })
            .collect();
        let movements = sqlx::query(
            "SELECT sku, kind, qty, order_id, on_hand_after, reserved_after
             FROM movements ORDER BY id",
        )
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|r| Movement {
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
    lines: Vec<Line>,
}

async fn load_orders(pool: &PgPool) -> anyhow::Result<Vec<Order>> {
    let rows = sqlx::query("SELECT id::text AS id, status, lines FROM orders")
        .fetch_all(pool)
        .await?;
    rows.into_iter()
        .map(|r| {
            let lines: sqlx::types::Json<Vec<Line>> = r.try_get("lines")?;
            Ok(Order {
                id: r.get("id"),
                status: r.get("status"),
                lines: lines.0,
            })
        })
        .collect()
}

/// Invariant 1: available ≥ 0, reserved = Σ active holds.
fn check_stock(stock: &Stock, violations: &mut Vec<String>) {
    let mut active: HashMap<&str, i64> = HashMap::new();
    for ((_, sku), hold) in &stock.holds {
        if hold.status == "active" {
            *active.entry(sku.as_str()).or_default() += hold.held;
        }
    }
    for (sku, p) in &stock.products {
        if p.on_hand - p.reserved < 0 {
            violations.push(format!(
                "{sku}: available is negative (on hand {}, reserved {})",
                p.on_hand, p.reserved
            ));
        }
        let held = active.get(sku.as_str()).copied().unwrap_or(0);
        if held != p.reserved {
            violations.push(format!(
                "{sku}: reserved is {} but the active holds add up to {held}",
                p.reserved
            ));
        }
    }
}

/// The movements replay to the current state, and each order's moves on a SKU follow
/// the life of a hold: reserved while not held, released or expired only while held,
/// committed once (again only after a return).
fn check_trail(stock: &Stock, violations: &mut Vec<String>) {
    let mut replayed: HashMap<&str, (i64, i64)> = HashMap::new();
    // (held, committed) per (order, SKU).
    let mut holds: HashMap<(&str, &str), (bool, bool)> = HashMap::new();
    for m in &stock.movements {
        let level = replayed.entry(m.sku.as_str()).or_insert((0, 0));
        let (on_hand, reserved) = *level;
        let next = match m.kind.as_str() {
            "created" => (m.qty, 0),
            "reserved" => (on_hand, reserved + m.qty),
            "released" | "expired" => (on_hand, reserved - m.qty),
            "committed" => (on_hand - m.qty, reserved - m.qty),
            "replenished" | "returned" => (on_hand + m.qty, reserved),
            // A manual correction states the level it sets.
            _ => (m.on_hand_after, m.reserved_after),
        };
        if next != (m.on_hand_after, m.reserved_after) {
            violations.push(format!(
                "{}: a {} of {} after ({on_hand}, {reserved}) should leave {next:?}, the trail says ({}, {})",
                m.sku, m.kind, m.qty, m.on_hand_after, m.reserved_after
            ));
        }
        *level = (m.on_hand_after, m.reserved_after);
        let Some(order) = &m.order_id else { continue };
        let (held, committed) = holds.entry((order, &m.sku)).or_default();
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
            violations.push(format!("order {order} {}: {wrong}", m.sku));
        }
    }
    for (sku, p) in &stock.products {
        let last = replayed.get(sku.as_str()).copied().unwrap_or((0, 0));
        if last != (p.on_hand, p.reserved) {
            violations.push(format!(
                "{sku}: the trail ends at {last:?}, the stock is ({}, {})",
                p.on_hand, p.reserved
            ));
        }
    }
}

/// Invariants 3 and 4, read across both databases.
fn check_orders(stock: &Stock, orders: &[Order], report: &mut Report) {
    // Units sold, net of what cancelled orders gave back.
    let mut committed_by: HashMap<(&str, &str), i64> = HashMap::new();
    for m in &stock.movements {
        let sold = match m.kind.as_str() {
            "committed" => m.qty,
            "returned" => -m.qty,
            _ => continue,
        };
        report.units_committed += sold;
        if let Some(order) = &m.order_id {
            *committed_by.entry((order, &m.sku)).or_default() += sold;
        }
    }
    let known: HashMap<&str, &Order> = orders.iter().map(|o| (o.id.as_str(), o)).collect();
    report.orders = orders.len();
    for order in orders {
        match order.status.as_str() {
            "CONFIRMED" => {
                report.confirmed += 1;
                for line in &order.lines {
                    report.units_confirmed += line.qty;
                    let key = (order.id.clone(), line.sku.clone());
                    match stock.holds.get(&key) {
                        Some(h) if !h.saga => report.violations.push(format!(
                            "confirmed order {} {}: its hold is not the saga's",
                            order.id, line.sku
                        )),
                        Some(h) if h.status == "committed" && h.held == line.qty => {}
                        Some(h) => report.violations.push(format!(
                            "confirmed order {} {}: hold {} of {} instead of committed {}",
                            order.id, line.sku, h.status, h.held, line.qty
                        )),
                        None => report.violations.push(format!(
                            "confirmed order {} {}: no hold",
                            order.id, line.sku
                        )),
                    }
                    let sold = committed_by
                        .get(&(order.id.as_str(), line.sku.as_str()))
                        .copied()
                        .unwrap_or(0);
                    if sold != line.qty {
                        report.violations.push(format!(
                            "confirmed order {} {}: {sold} units committed for {} ordered",
                            order.id, line.sku, line.qty
                        ));
                    }
                }
            }
            "CANCELLED" => {
                report.cancelled += 1;
                for line in &order.lines {
                    let key = (order.id.clone(), line.sku.clone());
                    if let Some(h) = stock.holds.get(&key)
                        && h.saga
                        && matches!(h.status.as_str(), "active" | "committed")
                    {
                        report.violations.push(format!(
                            "cancelled order {} {}: hold still {} ({} units)",
                            order.id, line.sku, h.status, h.held
                        ));
                    }
                    let sold = committed_by
                        .get(&(order.id.as_str(), line.sku.as_str()))
                        .copied()
                        .unwrap_or(0);
                    if sold != 0 {
                        report.violations.push(format!(
                            "cancelled order {} {}: {sold} units still committed",
                            order.id, line.sku
                        ));
                    }
                }
            }
            other => {
                report.pending += 1;
                report
                    .violations
                    .push(format!("order {} is still {other}", order.id));
            }
        }
    }
    for ((order, _), hold) in &stock.holds {
        if !known.contains_key(order.as_str()) || !hold.saga {
            *report.foreign_holds.entry(hold.status.clone()).or_default() += 1;
        }
    }
    if report.units_committed != report.units_confirmed {
        report.violations.push(format!(
            "{} units committed for {} units confirmed",
            report.units_committed, report.units_confirmed
        ));
    }
}

/// Nothing left to publish; no event handled twice.
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

    fn movement(
        sku: &str,
        kind: &str,
        qty: i64,
        order: Option<&str>,
        after: (i64, i64),
    ) -> Movement {
        Movement {
            sku: sku.into(),
            kind: kind.into(),
            qty,
            order_id: order.map(Into::into),
            on_hand_after: after.0,
            reserved_after: after.1,
        }
    }

    fn stock(
        products: &[(&str, i64, i64)],
        holds: &[(&str, &str, i64, &str)],
        movements: Vec<Movement>,
    ) -> Stock {
        Stock {
            products: products
                .iter()
                .map(|(s, on_hand, reserved)| {
                    (
                        (*s).into(),
                        Product {
                            on_hand: *on_hand,
                            reserved: *reserved,
                        },
                    )
                })
                .collect(),
            holds: holds
                .iter()
                .map(|(o, s, held, status)| {
                    (
                        ((*o).into(), (*s).into()),
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

    fn order(id: &str, status: &str, lines: &[(&str, i64)]) -> Order {
        Order {
            id: id.into(),
            status: status.into(),
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
            &[("AAA-0001-AA", 7, 2)],
            &[
                ("o1", "AAA-0001-AA", 3, "committed"),
                ("o2", "AAA-0001-AA", 2, "active"),
                ("o3", "AAA-0001-AA", 1, "released"),
            ],
            vec![
                movement("AAA-0001-AA", "created", 10, None, (10, 0)),
                movement("AAA-0001-AA", "reserved", 3, Some("o1"), (10, 3)),
                movement("AAA-0001-AA", "reserved", 1, Some("o3"), (10, 4)),
                movement("AAA-0001-AA", "released", 1, Some("o3"), (10, 3)),
                movement("AAA-0001-AA", "committed", 3, Some("o1"), (7, 0)),
                movement("AAA-0001-AA", "reserved", 2, Some("o2"), (7, 2)),
            ],
        );
        let orders = vec![
            order("o1", "CONFIRMED", &[("AAA-0001-AA", 3)]),
            order("o3", "CANCELLED", &[("AAA-0001-AA", 1)]),
        ];
        (s, orders)
    }

    fn violations(stock: &Stock, orders: &[Order]) -> Vec<String> {
        let mut report = Report::default();
        check_stock(stock, &mut report.violations);
        check_trail(stock, &mut report.violations);
        check_orders(stock, orders, &mut report);
        report.violations
    }

    #[test]
    fn a_consistent_state_has_no_violation() {
        let (s, orders) = consistent();
        assert_eq!(violations(&s, &orders), Vec::<String>::new());
    }

    #[test]
    fn reserved_that_disagrees_with_the_holds_is_reported() {
        let (mut s, orders) = consistent();
        s.products.get_mut("AAA-0001-AA").unwrap().reserved = 3;
        let v = violations(&s, &orders);
        assert!(
            v.iter().any(|v| v.contains("active holds add up to 2")),
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
            .push(movement("AAA-0001-AA", "committed", 3, Some("o1"), (4, -1)));
        let v = violations(&s, &orders);
        assert!(
            v.iter()
                .any(|v| v.contains("order o1 AAA-0001-AA: committed twice")),
            "{v:?}"
        );
        assert!(
            v.iter()
                .any(|v| v.contains("6 units committed for 3 ordered")),
            "{v:?}"
        );
    }

    #[test]
    fn a_pending_order_and_a_cancelled_order_still_holding_are_reported() {
        let (mut s, mut orders) = consistent();
        orders.push(order("o2", "PENDING", &[("AAA-0001-AA", 2)]));
        s.holds
            .get_mut(&("o3".into(), "AAA-0001-AA".into()))
            .unwrap()
            .status = "active".into();
        let v = violations(&s, &orders);
        assert!(
            v.iter().any(|v| v.contains("order o2 is still PENDING")),
            "{v:?}"
        );
        assert!(v.iter().any(|v| v.contains("cancelled order o3")), "{v:?}");
    }

    #[test]
    fn a_confirmed_order_whose_hold_expired_is_reported() {
        let (mut s, orders) = consistent();
        s.holds
            .get_mut(&("o1".into(), "AAA-0001-AA".into()))
            .unwrap()
            .status = "expired".into();
        let v = violations(&s, &orders);
        assert!(
            v.iter()
                .any(|v| v.contains("confirmed order o1 AAA-0001-AA: hold expired")),
            "{v:?}"
        );
    }

    #[test]
    fn a_hold_taken_again_after_it_expired_is_one_sale() {
        let (mut s, mut orders) = consistent();
        s.products.get_mut("AAA-0001-AA").unwrap().on_hand = 6;
        s.holds.insert(
            ("o4".into(), "AAA-0001-AA".into()),
            Hold {
                held: 1,
                status: "committed".into(),
                saga: true,
            },
        );
        s.movements.extend([
            movement("AAA-0001-AA", "reserved", 1, Some("o4"), (7, 3)),
            movement("AAA-0001-AA", "expired", 1, Some("o4"), (7, 2)),
            movement("AAA-0001-AA", "reserved", 1, Some("o4"), (7, 3)),
            movement("AAA-0001-AA", "committed", 1, Some("o4"), (6, 2)),
        ]);
        orders.push(order("o4", "CONFIRMED", &[("AAA-0001-AA", 1)]));
        assert_eq!(violations(&s, &orders), Vec::<String>::new());
    }

    #[test]
    fn a_cancelled_order_whose_commit_was_not_returned_is_reported() {
        let (mut s, mut orders) = consistent();
        orders[0].status = "CANCELLED".into();
        let v = violations(&s, &orders);
        assert!(
            v.iter()
                .any(|v| v.contains("cancelled order o1 AAA-0001-AA: hold still committed")),
            "{v:?}"
        );
        assert!(
            v.iter().any(|v| v.contains("3 units still committed")),
            "{v:?}"
        );
        // Once returned, it is whole again.
        s.products.get_mut("AAA-0001-AA").unwrap().on_hand = 10;
        s.holds
            .get_mut(&("o1".into(), "AAA-0001-AA".into()))
            .unwrap()
            .status = "released".into();
        s.movements
            .push(movement("AAA-0001-AA", "returned", 3, Some("o1"), (10, 2)));
        assert_eq!(violations(&s, &orders), Vec::<String>::new());
    }

    #[test]
    fn reserving_what_an_order_still_holds_is_reported() {
        let (mut s, orders) = consistent();
        s.movements
            .push(movement("AAA-0001-AA", "reserved", 2, Some("o2"), (7, 4)));
        s.products.get_mut("AAA-0001-AA").unwrap().reserved = 4;
        let v = violations(&s, &orders);
        assert!(
            v.iter()
                .any(|v| v.contains("order o2 AAA-0001-AA: reserved while it already held")),
            "{v:?}"
        );
    }

    #[test]
    fn a_callers_own_hold_on_an_orders_id_is_not_the_orders() {
        let (mut s, orders) = consistent();
        let hold = s
            .holds
            .get_mut(&("o3".into(), "AAA-0001-AA".into()))
            .unwrap();
        (hold.status, hold.held, hold.saga) = ("active".into(), 1, false);
        s.products.get_mut("AAA-0001-AA").unwrap().reserved = 3;
        s.movements
            .push(movement("AAA-0001-AA", "reserved", 1, Some("o3"), (7, 3)));
        let v = violations(&s, &orders);
        assert!(!v.iter().any(|v| v.contains("cancelled order o3")), "{v:?}");
        // On a confirmed order, a hold that is not the saga's is no proof of a sale.
        s.holds
            .get_mut(&("o1".into(), "AAA-0001-AA".into()))
            .unwrap()
            .saga = false;
        let v = violations(&s, &orders);
        assert!(
            v.iter().any(|v| v.contains("its hold is not the saga's")),
            "{v:?}"
        );
    }
}
