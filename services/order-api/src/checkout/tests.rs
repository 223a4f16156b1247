//! The saga over in-memory peers: every branch of the table in the module doc, with no
//! network. The peers record what they were asked, so each test also states what the
//! saga must not do (touch the stock of a decided order, confirm before the commit).

use std::sync::Mutex;

use axum::http::StatusCode;
use contracts::inventory::Shortage;
use contracts::orders::{
    CancelCause, CancelOrderRequest, CreateOrderRequest, OrderLineRequest, PaymentRequest,
    PaymentView,
};
use contracts::{LocationId, OrderId, Price};

use super::*;
use crate::order::example_view;
use crate::ports::PeerProblem;

const SKU: &str = "ABC-1234-AB";

/// How order-service takes a confirmation or a cancellation.
#[derive(Debug, Clone, Copy)]
enum Takes {
    Yes,
    /// 409: the order is decided already, or the lines differ.
    Conflict,
    Unavailable,
}

/// How order-service takes an authorization.
#[derive(Debug, Clone, Copy)]
enum Authorizes {
    Yes,
    /// 409 `payment_declined`: the order is cancelled.
    Declined,
    /// 503: the provider's answer is unknown.
    Unavailable,
}

/// order-service, holding one order.
struct FakeOrders {
    /// The order is paid by card.
    paid: bool,
    authorize: Authorizes,
    /// The confirmation fails its capture (409 `capture_failed`).
    capture_fails: bool,
    status: Mutex<&'static str>,
    /// Where order-service shows the order.
    location: &'static str,
    handed_over: Mutex<bool>,
    place_fails: bool,
    confirm: Takes,
    cancel: Takes,
    /// What the order becomes when a confirmation or cancellation does not take: decided
    /// meanwhile by another path, or still as it was.
    meanwhile: Option<&'static str>,
    calls: Mutex<Vec<String>>,
}

impl FakeOrders {
    fn holding(status: &'static str) -> Self {
        Self {
            paid: false,
            authorize: Authorizes::Yes,
            capture_fails: false,
            status: Mutex::new(status),
            location: LocationId::CENTRAL,
            handed_over: Mutex::new(false),
            place_fails: false,
            confirm: Takes::Yes,
            cancel: Takes::Yes,
            meanwhile: None,
            calls: Mutex::new(Vec::new()),
        }
    }

    fn order(&self) -> Order {
        let mut view = example_view(
            &self.status.lock().unwrap(),
            SKU,
            *self.handed_over.lock().unwrap(),
        );
        view.location_id = self.location.into();
        if self.paid {
            let status = match view.status.as_str() {
                "AUTHORIZED" => "authorized",
                "CONFIRMED" => "captured",
                "CANCELLED" if matches!(self.authorize, Authorizes::Declined) => "declined",
                "CANCELLED" => "voided",
                _ => "pending",
            };
            view.payment = Some(PaymentView {
                method: "card".into(),
                status: status.into(),
                amount: None,
            });
            if status != "pending" {
                view.total = Some(eur(3998).to_money());
            }
        }
        Order::parse(view).unwrap()
    }

    fn paid() -> Self {
        Self {
            paid: true,
            ..Self::holding("PENDING")
        }
    }

    fn called(&self, call: String) {
        self.calls.lock().unwrap().push(call);
    }

    fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }

    fn decide(&self, takes: Takes, status: &'static str) -> Result<Order, OrdersError> {
        match takes {
            Takes::Yes => *self.status.lock().unwrap() = status,
            Takes::Conflict | Takes::Unavailable => {
                if let Some(decided) = self.meanwhile {
                    *self.status.lock().unwrap() = decided;
                }
            }
        }
        match takes {
            Takes::Yes => Ok(self.order()),
            Takes::Conflict => Err(OrdersError::Refused(
                PeerProblem::read(
                    StatusCode::CONFLICT,
                    br#"{"code": "invalid_transition", "title": "Conflict"}"#,
                )
                .unwrap(),
            )),
            Takes::Unavailable => Err(OrdersError::Unavailable),
        }
    }
}

impl Orders for FakeOrders {
    async fn place(
        &self,
        _: &CreateOrder,
        key: Option<&IdempotencyKey>,
    ) -> Result<Order, OrdersError> {
        self.called(format!("place {:?}", key.map(IdempotencyKey::as_str)));
        if self.place_fails {
            return Err(OrdersError::Unavailable);
        }
        Ok(self.order())
    }

    async fn get(&self, _: &OrderId) -> Result<Order, OrdersError> {
        self.called("get".into());
        Ok(self.order())
    }

    async fn confirm(&self, _: &OrderId, committed: &[OrderLine]) -> Result<Order, OrdersError> {
        let lines: Vec<String> = committed
            .iter()
            .map(|l| format!("{}x{}", l.sku, l.qty))
            .collect();
        self.called(format!("confirm {}", lines.join(",")));
        if self.capture_fails {
            *self.status.lock().unwrap() = "CANCELLED";
            return Err(problem(StatusCode::CONFLICT, "capture_failed"));
        }
        self.decide(self.confirm, "CONFIRMED")
    }

    async fn authorize(
        &self,
        _: &OrderId,
        priced: &[(OrderLine, Price)],
    ) -> Result<Order, OrdersError> {
        let lines: Vec<String> = priced
            .iter()
            .map(|(l, price)| format!("{}x{}@{price}", l.sku, l.qty))
            .collect();
        self.called(format!("authorize {}", lines.join(",")));
        match self.authorize {
            Authorizes::Yes => self.decide(Takes::Yes, "AUTHORIZED"),
            Authorizes::Declined => {
                *self.status.lock().unwrap() = "CANCELLED";
                Err(problem(StatusCode::CONFLICT, "payment_declined"))
            }
            Authorizes::Unavailable => Err(OrdersError::Unavailable),
        }
    }

    async fn cancel(
        &self,
        _: &OrderId,
        request: &CancelOrderRequest,
    ) -> Result<Order, OrdersError> {
        let reason = request.reason.as_deref().unwrap_or_default();
        self.called(format!("cancel {reason} {:?}", request.cause));
        self.decide(self.cancel, "CANCELLED")
    }

    async fn hand_over(&self, _: &OrderId) -> Result<Order, OrdersError> {
        self.called("hand_over".into());
        *self.handed_over.lock().unwrap() = true;
        Ok(self.order())
    }

    async fn is_ready(&self) -> bool {
        true
    }
}

/// A refusal of order-service, as it phrases one.
fn problem(status: StatusCode, code: &str) -> OrdersError {
    let body = format!(r#"{{"code": "{code}", "title": "Conflict"}}"#);
    OrdersError::Refused(PeerProblem::read(status, body.as_bytes()).unwrap())
}

fn eur(amount: i64) -> Price {
    Price::parse(amount, "EUR").unwrap()
}

/// The inventory, answering each step as told.
struct FakeInventory {
    reserve: Result<(), InventoryError>,
    /// The unit price it answers for each line held.
    unit_price: Option<Price>,
    commit: Result<Vec<OrderLine>, InventoryError>,
    calls: Mutex<Vec<&'static str>>,
    /// The location of each reservation asked for.
    reserved_at: Mutex<Vec<String>>,
}

impl FakeInventory {
    fn answering(
        reserve: Result<(), InventoryError>,
        commit: Result<Vec<OrderLine>, InventoryError>,
    ) -> Self {
        Self {
            reserve,
            unit_price: None,
            commit,
            calls: Mutex::new(Vec::new()),
            reserved_at: Mutex::new(Vec::new()),
        }
    }

    /// Reserves and commits every line asked for.
    fn taking_everything() -> Self {
        Self::answering(Ok(()), Ok(vec![line(2)]))
    }

    fn calls(&self) -> Vec<&'static str> {
        self.calls.lock().unwrap().clone()
    }
}

impl Inventory for FakeInventory {
    async fn reserve(
        &self,
        _: &OrderId,
        location: &LocationId,
        lines: &[OrderLine],
    ) -> Result<Vec<HeldLine>, InventoryError> {
        self.calls.lock().unwrap().push("reserve");
        self.reserved_at.lock().unwrap().push(location.to_string());
        self.reserve.clone()?;
        Ok(lines
            .iter()
            .map(|line| HeldLine {
                line: line.clone(),
                unit_price: self.unit_price,
            })
            .collect())
    }

    async fn commit(&self, _: &OrderId, _: &[OrderLine]) -> Result<Vec<OrderLine>, InventoryError> {
        self.calls.lock().unwrap().push("commit");
        self.commit.clone()
    }
}

fn line(qty: i64) -> OrderLine {
    OrderLine::parse(SKU, qty).unwrap()
}

fn refused(refusal: InventoryRefusal) -> InventoryError {
    InventoryError::Refused(refusal)
}

fn shortage() -> Shortage {
    Shortage {
        sku: SKU.into(),
        requested: 2,
        available: 1,
    }
}

type Saga = Checkout<FakeOrders, FakeInventory>;

async fn run(checkout: &Saga) -> Result<Outcome, OrdersError> {
    let paid = checkout.orders.paid;
    let request = CreateOrderRequest {
        customer_id: None,
        location_id: None,
        items: vec![OrderLineRequest {
            sku: SKU.into(),
            qty: 2,
        }],
        payment: paid.then(|| PaymentRequest {
            method: "card".into(),
            token: "tok_visa".into(),
        }),
    }
    .validate()
    .unwrap();
    let key = IdempotencyKey::parse("k-1").unwrap();
    let caller = CallerName::parse("web").unwrap();
    checkout.run(&request, Some(&key), &caller).await
}

#[tokio::test]
async fn a_reserved_and_committed_order_is_confirmed_with_the_committed_lines() {
    let saga = Checkout::new(
        FakeOrders::holding("PENDING"),
        FakeInventory::taking_everything(),
    );
    let outcome = run(&saga).await.unwrap();
    assert!(matches!(outcome, Outcome::Confirmed(o) if o.status() == OrderStatus::Confirmed));
    assert_eq!(saga.inventory.calls(), ["reserve", "commit"]);
    assert_eq!(
        saga.orders.calls(),
        [r#"place Some("k-1")"#, "confirm ABC-1234-ABx2"]
    );
}

#[tokio::test]
async fn every_line_is_reserved_at_the_location_order_service_shows_for_the_order() {
    let mut orders = FakeOrders::holding("PENDING");
    orders.location = "store-1";
    let saga = Checkout::new(orders, FakeInventory::taking_everything());
    let outcome = run(&saga).await.unwrap();
    assert!(matches!(outcome, Outcome::Confirmed(o) if o.location().as_str() == "store-1"));
    assert_eq!(*saga.inventory.reserved_at.lock().unwrap(), ["store-1"]);

    let central = Checkout::new(
        FakeOrders::holding("PENDING"),
        FakeInventory::taking_everything(),
    );
    run(&central).await.unwrap();
    assert_eq!(*central.inventory.reserved_at.lock().unwrap(), ["central"]);
}

#[tokio::test]
async fn an_inventory_refusal_cancels_the_order_and_answers_why_without_a_commit() {
    let saga = Checkout::new(
        FakeOrders::holding("PENDING"),
        FakeInventory::answering(
            Err(refused(InventoryRefusal::InsufficientStock {
                shortages: vec![shortage()],
            })),
            Ok(vec![line(2)]),
        ),
    );
    let outcome = run(&saga).await.unwrap();
    assert!(
        matches!(&outcome, Outcome::InsufficientStock { order, shortages }
            if order.status() == OrderStatus::Cancelled && shortages == &[shortage()]),
        "{outcome:?}"
    );
    assert_eq!(saga.inventory.calls(), ["reserve"]);
    assert_eq!(
        saga.orders.calls()[1..],
        ["cancel reservation refused: insufficient_stock None"]
    );
}

#[tokio::test]
async fn stock_lost_at_the_commit_cancels_the_order_with_that_cause() {
    let saga = Checkout::new(
        FakeOrders::holding("PENDING"),
        FakeInventory::answering(
            Ok(()),
            Err(refused(InventoryRefusal::StockLost { shortages: vec![] })),
        ),
    );
    let outcome = run(&saga).await.unwrap();
    assert!(matches!(outcome, Outcome::StockLost { .. }), "{outcome:?}");
    assert_eq!(
        saga.orders.calls()[1..],
        [format!(
            "cancel reservation refused: stock_lost {:?}",
            Some(CancelCause::StockLost)
        )]
    );
}

#[tokio::test]
async fn an_inventory_without_a_decisive_answer_gets_the_order_handed_over() {
    for inventory in [
        FakeInventory::answering(Err(InventoryError::Unavailable), Ok(vec![line(2)])),
        FakeInventory::answering(Ok(()), Err(InventoryError::Unavailable)),
    ] {
        let saga = Checkout::new(FakeOrders::holding("PENDING"), inventory);
        let outcome = run(&saga).await.unwrap();
        assert!(
            matches!(&outcome, Outcome::Pending(o) if o.is_handed_over()),
            "{outcome:?}"
        );
        let calls = saga.orders.calls();
        assert_eq!(calls.last().unwrap(), "hand_over");
        assert!(!calls.iter().any(|c| c.starts_with("confirm")), "{calls:?}");
    }
}

#[tokio::test]
async fn a_refused_confirmation_answers_what_order_service_decided_or_hands_the_order_over() {
    for (meanwhile, expected) in [
        (None, "handed over"),
        (Some("CANCELLED"), "cancelled"),
        (Some("CONFIRMED"), "confirmed"),
    ] {
        let orders = FakeOrders {
            confirm: Takes::Conflict,
            meanwhile,
            ..FakeOrders::holding("PENDING")
        };
        let saga = Checkout::new(orders, FakeInventory::taking_everything());
        let got = match run(&saga).await.unwrap() {
            Outcome::Pending(o) if o.is_handed_over() => "handed over",
            Outcome::Cancelled(_) => "cancelled",
            Outcome::Confirmed(_) => "confirmed",
            other => panic!("{other:?}"),
        };
        assert_eq!(got, expected, "{meanwhile:?}");
    }
}

#[tokio::test]
async fn a_confirmation_order_service_cannot_make_now_is_pending_without_a_handover() {
    let orders = FakeOrders {
        confirm: Takes::Unavailable,
        ..FakeOrders::holding("PENDING")
    };
    let saga = Checkout::new(orders, FakeInventory::taking_everything());
    let outcome = run(&saga).await.unwrap();
    assert!(
        matches!(&outcome, Outcome::Pending(o) if !o.is_handed_over()),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn a_refusal_whose_cancellation_did_not_take_answers_the_order_as_it_stands() {
    for (meanwhile, expected) in [
        (Some("CONFIRMED"), "confirmed"),
        (Some("CANCELLED"), "unknown sku"),
        (None, "handed over"),
    ] {
        let orders = FakeOrders {
            cancel: Takes::Unavailable,
            meanwhile,
            ..FakeOrders::holding("PENDING")
        };
        let inventory = FakeInventory::answering(
            Err(refused(InventoryRefusal::UnknownSku {
                skus: vec![Sku::parse(SKU).unwrap()],
            })),
            Ok(vec![]),
        );
        let saga = Checkout::new(orders, inventory);
        let got = match run(&saga).await.unwrap() {
            Outcome::Confirmed(_) => "confirmed",
            Outcome::UnknownSku { skus, .. } if skus.len() == 1 => "unknown sku",
            Outcome::Pending(o) if o.is_handed_over() => "handed over",
            other => panic!("{other:?}"),
        };
        assert_eq!(got, expected, "{meanwhile:?}");
    }
}

#[tokio::test]
async fn a_retried_checkout_answers_its_order_where_it_stands_and_leaves_the_stock_alone() {
    for (status, handed_over, expected) in [
        ("CONFIRMED", false, "confirmed"),
        ("CANCELLED", false, "cancelled"),
        ("RESERVED", true, "pending"),
        ("PENDING", true, "pending"),
    ] {
        let orders = FakeOrders::holding(status);
        *orders.handed_over.lock().unwrap() = handed_over;
        let saga = Checkout::new(orders, FakeInventory::taking_everything());
        let got = match run(&saga).await.unwrap() {
            Outcome::Confirmed(_) => "confirmed",
            Outcome::Cancelled(_) => "cancelled",
            Outcome::Pending(_) => "pending",
            other => panic!("{other:?}"),
        };
        assert_eq!(got, expected, "{status}");
        assert!(saga.inventory.calls().is_empty(), "{status}");
        assert_eq!(saga.orders.calls().len(), 1, "{status}: only the placing");
    }
}

#[tokio::test]
async fn without_order_service_no_order_is_placed_and_nothing_else_happens() {
    let orders = FakeOrders {
        place_fails: true,
        ..FakeOrders::holding("PENDING")
    };
    let saga = Checkout::new(orders, FakeInventory::taking_everything());
    assert!(matches!(run(&saga).await, Err(OrdersError::Unavailable)));
    assert!(saga.inventory.calls().is_empty());
}

/// Reserves and commits every line, at 19.99 EUR a unit.
fn priced_inventory() -> FakeInventory {
    FakeInventory {
        unit_price: Some(eur(1999)),
        ..FakeInventory::taking_everything()
    }
}

#[tokio::test]
async fn a_paid_checkout_is_authorized_at_the_reserved_prices_before_its_commit() {
    let saga = Checkout::new(FakeOrders::paid(), priced_inventory());
    let outcome = run(&saga).await.unwrap();
    assert!(
        matches!(&outcome, Outcome::Confirmed(o) if o.total() == Some(&eur(3998).to_money())),
        "{outcome:?}"
    );
    assert_eq!(saga.inventory.calls(), ["reserve", "commit"]);
    assert_eq!(
        saga.orders.calls()[1..],
        ["authorize ABC-1234-ABx2@1999 EUR", "confirm ABC-1234-ABx2"]
    );
}

#[tokio::test]
async fn a_declined_card_answers_payment_declined_without_a_commit() {
    let orders = FakeOrders {
        authorize: Authorizes::Declined,
        ..FakeOrders::paid()
    };
    let saga = Checkout::new(orders, priced_inventory());
    let outcome = run(&saga).await.unwrap();
    assert!(
        matches!(&outcome, Outcome::PaymentDeclined(o) if o.status() == OrderStatus::Cancelled),
        "{outcome:?}"
    );
    assert_eq!(saga.inventory.calls(), ["reserve"]);
    assert!(!saga.orders.calls().iter().any(|c| c.starts_with("confirm")));
}

#[tokio::test]
async fn a_paid_checkout_of_an_unpriced_sku_is_cancelled_before_any_authorization() {
    let saga = Checkout::new(FakeOrders::paid(), FakeInventory::taking_everything());
    let outcome = run(&saga).await.unwrap();
    assert!(
        matches!(&outcome, Outcome::UnpricedSku { order, skus }
            if order.status() == OrderStatus::Cancelled && skus.len() == 1),
        "{outcome:?}"
    );
    assert_eq!(saga.inventory.calls(), ["reserve"]);
    assert_eq!(
        saga.orders.calls()[1..],
        ["cancel payment refused: unpriced_sku None"]
    );
}

#[tokio::test]
async fn stock_lost_after_the_authorization_cancels_the_order_for_order_service_to_void() {
    let inventory = FakeInventory {
        commit: Err(refused(InventoryRefusal::StockLost { shortages: vec![] })),
        ..priced_inventory()
    };
    let saga = Checkout::new(FakeOrders::paid(), inventory);
    let outcome = run(&saga).await.unwrap();
    assert!(matches!(outcome, Outcome::StockLost { .. }), "{outcome:?}");
    assert_eq!(
        saga.orders.calls()[2..],
        [format!(
            "cancel reservation refused: stock_lost {:?}",
            Some(CancelCause::StockLost)
        )]
    );
}

#[tokio::test]
async fn an_authorization_without_a_decisive_answer_hands_the_order_over() {
    let orders = FakeOrders {
        authorize: Authorizes::Unavailable,
        ..FakeOrders::paid()
    };
    let saga = Checkout::new(orders, priced_inventory());
    let outcome = run(&saga).await.unwrap();
    assert!(
        matches!(&outcome, Outcome::Pending(o) if o.is_handed_over()),
        "{outcome:?}"
    );
    assert_eq!(saga.inventory.calls(), ["reserve"]);
    assert_eq!(saga.orders.calls().last().unwrap(), "hand_over");
}

#[tokio::test]
async fn a_failed_capture_answers_capture_failed() {
    let orders = FakeOrders {
        capture_fails: true,
        ..FakeOrders::paid()
    };
    let saga = Checkout::new(orders, priced_inventory());
    let outcome = run(&saga).await.unwrap();
    assert!(
        matches!(&outcome, Outcome::CaptureFailed(o) if o.status() == OrderStatus::Cancelled),
        "{outcome:?}"
    );
}
