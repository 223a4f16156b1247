//! The HTTP-first checkout saga: create the order (idempotent per key), reserve every
//! line at once, commit exactly those lines in the inventory, and only then confirm the
//! order: a client told 201 has its units out of stock for good. On a refusal the order
//! is cancelled (the inventory gives back whatever it holds). When the inventory path
//! fails (timeout, 5xx, any answer that is not one of the inventory's own refusals,
//! refused connection, open breaker), the order is handed over to the event path and the
//! answer is "pending". No branch loses an order or leaves it half done: if even the
//! handover fails, order-service's grace period picks the order up, and a commit made
//! just before a crash confirms the order through its `ProductInventoryCommitted`.

use access::CallerName;
use contracts::inventory::{
    CommitReservationRequest, CommitView, CreateReservationRequest, ReservationLineRequest,
    ReservationView, Shortage,
};
use contracts::orders::{
    CancelCause, CancelOrderRequest, ConfirmOrderRequest, CreateOrderRequest, OrderLineRequest,
    OrderView,
};
use serde_json::Value;

use crate::breaker::InventoryBreaker;
use crate::upstream::{Answer, CallError, Peer};

#[derive(Debug, Clone)]
pub struct Checkout {
    pub orders: Peer,
    pub inventory: Peer,
    pub breaker: InventoryBreaker,
}

/// How a checkout ended.
#[derive(Debug)]
pub enum Outcome {
    Confirmed(OrderView),
    /// Left to the event path.
    Pending(OrderView),
    /// Some lines could not be reserved; the order is cancelled, nothing is held.
    InsufficientStock {
        order: OrderView,
        shortages: Vec<Shortage>,
    },
    UnknownSku {
        order: OrderView,
        skus: Vec<String>,
    },
    /// The lines were reserved but their units were gone by the time of the commit (a
    /// hold expired meanwhile); the order is cancelled, nothing is held.
    StockLost {
        order: OrderView,
        shortages: Vec<Shortage>,
    },
    /// The order was cancelled before the checkout could finish it.
    Cancelled(OrderView),
    /// order-service answered something this flow does not expect; passed through.
    Refused(Answer),
    /// order-service could not be reached: nothing was created (or a retry with the same
    /// key will find it).
    OrderServiceUnavailable,
}

/// What happened on a step of the inventory path.
enum Step<T> {
    Done(T),
    /// One of the inventory's own refusals (see [`is_refusal`]).
    Refused(Answer),
    /// Timeout, 5xx, transport failure, any other answer, or the breaker is open.
    Unavailable,
}

impl Step<Answer> {
    /// Reads a success's body; one this flow cannot read is no proof of anything: the
    /// event path asks again, idempotently, and finds out.
    fn and_then<U>(self, read: impl FnOnce(Answer) -> Option<U>) -> Step<U> {
        match self {
            Step::Done(answer) => read(answer).map_or_else(
                || {
                    tracing::warn!("the inventory answered a body this flow cannot read");
                    Step::Unavailable
                },
                Step::Done,
            ),
            Step::Refused(answer) => Step::Refused(answer),
            Step::Unavailable => Step::Unavailable,
        }
    }
}

/// The codes with which the inventory refuses a reservation or a commit. Only these (and
/// input it found invalid) mean "no"; any other answer (a 404 of a wrong URL, a 408, 413
/// or 429 of a proxy, a 401 of a missing key) says nothing about the stock and is treated
/// as the inventory being unavailable.
const REFUSALS: [&str; 8] = [
    "insufficient_stock",
    "unknown_sku",
    "order_cancelled",
    "reservation_conflict",
    "hold_owned_by_order",
    "hold_owned_by_another_caller",
    "stock_lost",
    "duplicate_sku",
];

/// Whether `answer` is one of the inventory's domain refusals.
fn is_refusal(answer: &Answer) -> bool {
    let problem: Value = answer.json().unwrap_or_default();
    let code = problem["code"].as_str().unwrap_or_default();
    let validation = answer.status == axum::http::StatusCode::UNPROCESSABLE_ENTITY
        && code.starts_with("invalid_");
    matches!(answer.status.as_u16(), 404 | 409 | 422) && (REFUSALS.contains(&code) || validation)
}

impl Checkout {
    /// Runs the saga for `caller` (the facade's caller, named on the span: who checked out
    /// is in every log line of the checkout).
    #[tracing::instrument(skip_all, fields(caller = %caller, order_id = tracing::field::Empty, path = tracing::field::Empty))]
    pub async fn run(
        &self,
        request: &CreateOrderRequest,
        key: Option<&str>,
        caller: &CallerName,
    ) -> Outcome {
        let headers: Vec<(&str, &str)> = key.map(|k| ("idempotency-key", k)).into_iter().collect();
        let created = match self.orders.post("/orders", Some(request), &headers).await {
            Ok(answer) if answer.status.is_success() => answer,
            Ok(answer) if answer.refuses_our_key() => {
                tracing::error!(status = %answer.status, "order-service refused order-api's key: check ORDER_SERVICE_API_KEY");
                return Outcome::OrderServiceUnavailable;
            }
            Ok(answer) if answer.status.is_client_error() => return Outcome::Refused(answer),
            Ok(_) | Err(_) => return Outcome::OrderServiceUnavailable,
        };
        let Some(order) = created.json::<OrderView>() else {
            return Outcome::OrderServiceUnavailable;
        };
        tracing::Span::current().record("order_id", order.order_id.as_str());
        // A retried checkout finds its order where the first attempt left it.
        match order.status.as_str() {
            "CONFIRMED" => return Outcome::Confirmed(order),
            "CANCELLED" => return Outcome::Cancelled(order),
            _ if order.handed_over || order.status == "RESERVED" => {
                return Outcome::Pending(order);
            }
            _ => {}
        }

        match self.reserve(&order).await {
            Step::Done(()) => {}
            Step::Refused(answer) => return self.refused(order, answer).await,
            Step::Unavailable => return self.hand_over(order).await,
        }
        match self.commit(&order).await {
            Step::Done(committed) => self.confirm(order, committed).await,
            Step::Refused(answer) => self.refused(order, answer).await,
            // The commit may or may not have happened: the event path asks again (the
            // commit is idempotent) and confirms on its answer.
            Step::Unavailable => self.hand_over(order).await,
        }
    }

    async fn reserve(&self, order: &OrderView) -> Step<()> {
        let body = CreateReservationRequest {
            order_id: order.order_id.clone(),
            items: order
                .items
                .iter()
                .map(|l| ReservationLineRequest {
                    sku: l.sku.clone(),
                    qty: l.qty,
                })
                .collect(),
            ttl_seconds: None,
        };
        self.call_inventory("/reservations", &body)
            .await
            .and_then(|answer| answer.json::<ReservationView>().map(drop))
    }

    /// Commits exactly the order's lines: the pivot of the saga. Answers the lines the
    /// inventory committed.
    async fn commit(&self, order: &OrderView) -> Step<Vec<OrderLineRequest>> {
        let body = CommitReservationRequest {
            items: order
                .items
                .iter()
                .map(|l| ReservationLineRequest {
                    sku: l.sku.clone(),
                    qty: l.qty,
                })
                .collect(),
        };
        let path = format!("/reservations/{}/commit", order.order_id);
        self.call_inventory(&path, &body).await.and_then(|answer| {
            answer.json::<CommitView>().map(|view| {
                view.items
                    .into_iter()
                    .map(|l| OrderLineRequest {
                        sku: l.sku,
                        qty: l.qty,
                    })
                    .collect()
            })
        })
    }

    /// One call on the inventory path, through the breaker: a success, one of the
    /// inventory's refusals, or unavailable (which counts against the breaker).
    async fn call_inventory<B: serde::Serialize>(&self, path: &str, body: &B) -> Step<Answer> {
        if !self.breaker.is_call_permitted() {
            tracing::info!("inventory breaker open: straight to the event path");
            return Step::Unavailable;
        }
        match self.inventory.post(path, Some(body), &[]).await {
            Ok(answer) if answer.status.is_success() => {
                self.breaker.on_success();
                Step::Done(answer)
            }
            Ok(answer) if is_refusal(&answer) => {
                // The inventory answered: it is up, whatever it said.
                self.breaker.on_success();
                Step::Refused(answer)
            }
            Ok(answer) if answer.refuses_our_key() => {
                tracing::error!(status = %answer.status, path, "inventory-api refused order-api's key: check INVENTORY_API_KEY");
                self.breaker.on_error();
                Step::Unavailable
            }
            Ok(answer) => {
                tracing::warn!(status = %answer.status, path, "inventory path failed");
                self.breaker.on_error();
                Step::Unavailable
            }
            Err(e) => {
                tracing::warn!(error = %e, path, "inventory did not answer");
                self.breaker.on_error();
                Step::Unavailable
            }
        }
    }

    async fn confirm(&self, order: OrderView, committed: Vec<OrderLineRequest>) -> Outcome {
        let path = format!("/orders/{}/confirm", order.order_id);
        let body = ConfirmOrderRequest { items: committed };
        match self.orders.post(&path, Some(&body), &[]).await {
            Ok(answer) if answer.status.is_success() => match answer.json::<OrderView>() {
                Some(confirmed) => Outcome::Confirmed(confirmed),
                None => Outcome::Pending(order),
            },
            Ok(answer) if answer.status == axum::http::StatusCode::CONFLICT => {
                // Decided meanwhile: confirmed by the commit's event, or cancelled (by the
                // client or the timeout: the inventory then gives the units back).
                // A refused confirmation of an undecided order (its lines and the
                // commit's differ) proves nothing: the event path finds out.
                let current = self.current(&order).await;
                match current.status.as_str() {
                    "CONFIRMED" => Outcome::Confirmed(current),
                    "CANCELLED" => Outcome::Cancelled(current),
                    _ => self.hand_over(current).await,
                }
            }
            // The lines are committed; if order-service cannot confirm now, the commit's
            // event confirms the order.
            _ => Outcome::Pending(order),
        }
    }

    async fn refused(&self, order: OrderView, answer: Answer) -> Outcome {
        let problem: Value = answer.json().unwrap_or_default();
        let code = problem["code"].as_str().unwrap_or_default().to_owned();
        let cancel = CancelOrderRequest {
            reason: Some(format!("reservation refused: {code}")),
            cause: (code == "stock_lost").then_some(CancelCause::StockLost),
        };
        let cancelled = self
            .orders
            .post(
                &format!("/orders/{}/cancel", order.order_id),
                Some(&cancel),
                &[],
            )
            .await
            .ok()
            .and_then(|a| a.json::<OrderView>());
        // The refusal is the answer only if the order is indeed cancelled now. If the
        // cancel failed, or the event path decided the order meanwhile, answer what the
        // order is: a client told "refused" must find a CANCELLED order.
        let order = match cancelled {
            Some(cancelled) if cancelled.status == "CANCELLED" => cancelled,
            _ => match self.current(&order).await {
                current if current.status == "CONFIRMED" => return Outcome::Confirmed(current),
                current if current.status == "CANCELLED" => current,
                current => return self.hand_over(current).await,
            },
        };
        match code.as_str() {
            "insufficient_stock" => Outcome::InsufficientStock {
                order,
                shortages: serde_json::from_value(problem["shortages"].clone()).unwrap_or_default(),
            },
            "unknown_sku" => Outcome::UnknownSku {
                order,
                skus: serde_json::from_value(problem["skus"].clone()).unwrap_or_default(),
            },
            "stock_lost" => Outcome::StockLost {
                order,
                shortages: serde_json::from_value(problem["shortages"].clone()).unwrap_or_default(),
            },
            _ => Outcome::Cancelled(order),
        }
    }

    async fn hand_over(&self, order: OrderView) -> Outcome {
        tracing::Span::current().record("path", "event");
        let path = format!("/orders/{}/handover", order.order_id);
        match self.orders.post::<()>(&path, None, &[]).await {
            Ok(answer) if answer.status.is_success() => {
                Outcome::Pending(answer.json().unwrap_or(order))
            }
            Ok(answer) => {
                tracing::warn!(status = %answer.status, "handover refused; the grace period will pick the order up");
                Outcome::Pending(order)
            }
            Err(e) => {
                tracing::warn!(error = %e, "handover failed; the grace period will pick the order up");
                Outcome::Pending(order)
            }
        }
    }

    async fn current(&self, order: &OrderView) -> OrderView {
        match self
            .orders
            .get(&format!("/orders/{}", order.order_id))
            .await
        {
            Ok(answer) => answer.json().unwrap_or_else(|| order.clone()),
            Err(CallError::Timeout | CallError::Unreachable(_)) => order.clone(),
        }
    }
}
