//! The HTTP-first checkout saga: create the order (idempotent per key), reserve every
//! line at once, confirm, or cancel on a refusal; when the inventory path fails
//! (timeout, 5xx, refused connection, open breaker), hand the order over to the event
//! path and answer "pending". No branch loses an order: if even the handover fails,
//! order-service's grace period picks the order up.

use contracts::inventory::{
    CreateReservationRequest, ReservationLineRequest, ReservationView, Shortage,
};
use contracts::orders::{CreateOrderRequest, OrderView};
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
    /// The order was cancelled before the checkout could finish it.
    Cancelled(OrderView),
    /// order-service answered something this flow does not expect; passed through.
    Refused(Answer),
    /// order-service could not be reached: nothing was created (or a retry with the same
    /// key will find it).
    OrderServiceUnavailable,
}

/// What happened on the inventory path.
enum Reservation {
    Reserved,
    Refused(Answer),
    /// Timeout, 5xx, transport failure, or the breaker is open.
    Unavailable,
}

impl Checkout {
    #[tracing::instrument(skip_all, fields(order_id = tracing::field::Empty, path = tracing::field::Empty))]
    pub async fn run(&self, request: &CreateOrderRequest, key: Option<&str>) -> Outcome {
        let headers: Vec<(&str, &str)> = key.map(|k| ("idempotency-key", k)).into_iter().collect();
        let created = match self.orders.post("/orders", Some(request), &headers).await {
            Ok(answer) if answer.status.is_success() => answer,
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
            _ if order.handed_over => return Outcome::Pending(order),
            _ => {}
        }

        match self.reserve(&order).await {
            Reservation::Reserved => self.confirm(order).await,
            Reservation::Refused(answer) => self.refused(order, answer).await,
            Reservation::Unavailable => self.hand_over(order).await,
        }
    }

    async fn reserve(&self, order: &OrderView) -> Reservation {
        if !self.breaker.is_call_permitted() {
            tracing::info!("inventory breaker open: straight to the event path");
            return Reservation::Unavailable;
        }
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
        match self.inventory.post("/reservations", Some(&body), &[]).await {
            Ok(answer) if answer.status.is_success() => match answer.json::<ReservationView>() {
                Some(_) => {
                    self.breaker.on_success();
                    Reservation::Reserved
                }
                None => {
                    // An answer we cannot read is no proof of a reservation: the event
                    // path reserves again, idempotently, and finds out.
                    tracing::warn!("inventory answered a body that is not a reservation");
                    self.breaker.on_error();
                    Reservation::Unavailable
                }
            },
            Ok(answer) if answer.status.is_client_error() => {
                // The inventory answered: it is up, whatever it said.
                self.breaker.on_success();
                Reservation::Refused(answer)
            }
            Ok(answer) => {
                tracing::warn!(status = %answer.status, "inventory failed");
                self.breaker.on_error();
                Reservation::Unavailable
            }
            Err(e) => {
                tracing::warn!(error = %e, "inventory did not answer");
                self.breaker.on_error();
                Reservation::Unavailable
            }
        }
    }

    async fn confirm(&self, order: OrderView) -> Outcome {
        let path = format!("/orders/{}/confirm", order.order_id);
        match self.orders.post::<()>(&path, None, &[]).await {
            Ok(answer) if answer.status.is_success() => match answer.json::<OrderView>() {
                Some(confirmed) => Outcome::Confirmed(confirmed),
                None => Outcome::Pending(order),
            },
            Ok(answer) if answer.status == axum::http::StatusCode::CONFLICT => {
                // Cancelled meanwhile (timeout, client): the inventory releases the holds.
                let current = self.current(&order).await;
                Outcome::Cancelled(current)
            }
            // The holds are in place; if order-service cannot confirm now, the grace
            // period hands the order to the event path, which finds them and confirms.
            _ => Outcome::Pending(order),
        }
    }

    async fn refused(&self, order: OrderView, answer: Answer) -> Outcome {
        let problem: Value = answer.json().unwrap_or_default();
        let code = problem["code"].as_str().unwrap_or_default().to_owned();
        let reason = format!("reservation refused: {code}");
        let cancelled = self
            .orders
            .post(
                &format!("/orders/{}/cancel", order.order_id),
                Some(&serde_json::json!({ "reason": reason })),
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
