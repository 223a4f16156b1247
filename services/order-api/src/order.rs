//! An order as order-api sees it: order-service's answer, read once into typed values.
//!
//! The saga decides on an order's id, status, location and lines; a client is shown the
//! whole of order-service's view (customer, version, times, history), passed on as it
//! came. An [`Order`] exists only if its id, status, location and every line parsed:
//! nothing downstream compares a status as text or re-checks a line.

pub use contracts::orders::OrderStatus;
use contracts::orders::OrderView;
use contracts::{LocationId, Money, OrderId, Quantity, Sku, ValidationError};

/// One line of an order: a SKU and its units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLine {
    pub sku: Sku,
    pub qty: Quantity,
}

impl OrderLine {
    /// A line as the wire carries it (`sku`, `qty`), checked.
    pub fn parse(sku: &str, qty: i64) -> Result<Self, ValidationError> {
        Ok(Self {
            sku: Sku::parse(sku)?,
            qty: Quantity::parse(qty)?,
        })
    }
}

/// An order read from order-service's view.
#[derive(Debug, Clone)]
pub struct Order {
    id: OrderId,
    status: OrderStatus,
    location: LocationId,
    lines: Vec<OrderLine>,
    view: OrderView,
}

impl Order {
    /// Reads `view`; refuses one whose id, status, location or lines do not parse.
    pub fn parse(view: OrderView) -> Result<Self, ValidationError> {
        let status = view.status.parse().map_err(|_| {
            ValidationError::new(
                "invalid_status",
                format!("unknown order status {:?}", view.status),
            )
        })?;
        let lines = view
            .items
            .iter()
            .map(|line| OrderLine::parse(&line.sku, line.qty))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            id: OrderId::parse(&view.order_id)?,
            status,
            location: LocationId::parse(&view.location_id)?,
            lines,
            view,
        })
    }

    pub fn id(&self) -> &OrderId {
        &self.id
    }

    pub fn status(&self) -> OrderStatus {
        self.status
    }

    /// Where every line of the order is reserved.
    pub fn location(&self) -> &LocationId {
        &self.location
    }

    pub fn lines(&self) -> &[OrderLine] {
        &self.lines
    }

    /// The order is paid through the checkout: it is authorized before its commit and
    /// captured at its confirmation.
    pub fn is_paid(&self) -> bool {
        self.view.payment.is_some()
    }

    /// The card refused the order's total.
    pub fn is_declined(&self) -> bool {
        self.view
            .payment
            .as_ref()
            .is_some_and(|p| p.status == "declined")
    }

    /// What the order costs, once priced.
    pub fn total(&self) -> Option<&Money> {
        self.view.total.as_ref()
    }

    /// The event-driven saga drives this order (handed over, or its grace period ran out).
    pub fn is_handed_over(&self) -> bool {
        self.view.handed_over
    }

    /// order-service's view of the order, as it came.
    pub fn view(&self) -> &OrderView {
        &self.view
    }

    pub fn into_view(self) -> OrderView {
        self.view
    }
}

/// An order of one line (two units of `sku`), as order-service would show it.
#[cfg(test)]
pub(crate) fn example_view(status: &str, sku: &str, handed_over: bool) -> OrderView {
    serde_json::from_value(serde_json::json!({
        "orderId": "0192f1c3-7a1e-7c3e-9a0b-1f2e3d4c5b6a",
        "status": status,
        "items": [{"sku": sku, "qty": 2}],
        "handedOver": handed_over,
        "version": 1,
        "createdAt": "2030-01-01T00:00:00Z",
        "updatedAt": "2030-01-01T00:00:00Z",
        "history": [],
    }))
    .expect("an order view")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(status: &str, sku: &str) -> OrderView {
        example_view(status, sku, false)
    }

    #[test]
    fn every_status_order_service_shows_is_read() {
        for (text, status) in [
            ("PENDING", OrderStatus::Pending),
            ("RESERVED", OrderStatus::Reserved),
            ("AUTHORIZED", OrderStatus::Authorized),
            ("CONFIRMED", OrderStatus::Confirmed),
            ("CANCELLED", OrderStatus::Cancelled),
        ] {
            assert_eq!(
                Order::parse(view(text, "ABC-1234-AB")).unwrap().status(),
                status
            );
        }
    }

    #[test]
    fn an_order_is_at_the_location_order_service_shows_or_at_the_central_warehouse() {
        let central = Order::parse(view("PENDING", "ABC-1234-AB")).unwrap();
        assert!(central.location().is_central());
        let mut at_store = view("PENDING", "ABC-1234-AB");
        at_store.location_id = "store-1".into();
        assert_eq!(
            Order::parse(at_store).unwrap().location().as_str(),
            "store-1"
        );
        let mut bad = view("PENDING", "ABC-1234-AB");
        bad.location_id = "no such/store".into();
        assert_eq!(Order::parse(bad).unwrap_err().code, "invalid_store_id");
    }

    #[test]
    fn an_order_with_an_unknown_status_or_a_bad_line_is_not_read() {
        let unknown = Order::parse(view("confirmed", "ABC-1234-AB")).unwrap_err();
        assert_eq!(unknown.code, "invalid_status");
        let bad_line = Order::parse(view("PENDING", "bad")).unwrap_err();
        assert_eq!(bad_line.code, "invalid_sku");
    }
}
