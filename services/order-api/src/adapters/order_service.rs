//! [`Orders`] over order-service's internal HTTP API (`/orders...`).
//!
//! Every route answers the order (`OrderView`), which is read into an [`Order`]; a 4xx
//! problem is order-service refusing; anything else (no answer, a 5xx, an unreadable
//! body, a refusal of order-api's own key) is order-service being unavailable, logged
//! here with its cause.

use contracts::orders::{
    AuthorizeOrderRequest, CancelOrderRequest, ConfirmOrderRequest, CreateOrder,
    CreateOrderRequest, OrderLineRequest, OrderView, PaymentRequest, PricedLineRequest,
};
use contracts::{OrderId, Price, Quantity, Sku};
use serde::Serialize;

use super::peer::{Answer, CallError, Peer};
use crate::idempotency::{self, IdempotencyKey};
use crate::order::{Order, OrderLine};
use crate::ports::{Orders, OrdersError};

#[derive(Debug, Clone)]
pub struct OrderService {
    peer: Peer,
}

impl OrderService {
    pub fn new(peer: Peer) -> Self {
        Self { peer }
    }

    async fn post<B: Serialize>(
        &self,
        path: &str,
        body: Option<&B>,
        headers: &[(&str, &str)],
    ) -> Result<Order, OrdersError> {
        read(path, self.peer.post(path, body, headers).await)
    }
}

/// order-service's refusal of a new order while its outbox relay is behind.
const OUTBOX_BACKLOGGED: &str = "events_backlogged";

/// order-service's answer on `path` as an order, or why there is none.
fn read(path: &str, answer: Result<Answer, CallError>) -> Result<Order, OrdersError> {
    let answer = answer.map_err(|e| {
        tracing::warn!(error = %e, path, "order-service did not answer");
        OrdersError::Unavailable
    })?;
    if answer.status.is_success() {
        return answer
            .json::<OrderView>()
            .and_then(|view| Order::parse(view).ok())
            .ok_or_else(|| {
                tracing::warn!(
                    path,
                    "order-service answered an order this facade cannot read"
                );
                OrdersError::Unavailable
            });
    }
    if answer.refuses_our_key() {
        tracing::error!(status = %answer.status, path, "order-service refused order-api's key: check ORDER_SERVICE_API_KEY");
        return Err(OrdersError::Unavailable);
    }
    match answer.problem() {
        Some(problem) if answer.status.is_client_error() => Err(OrdersError::Refused(problem)),
        // A new order refused while order-service's events are behind: nothing was
        // written, and the client is told so as order-service phrased it.
        Some(problem) if problem.code() == OUTBOX_BACKLOGGED => Err(OrdersError::Refused(problem)),
        _ => {
            tracing::warn!(status = %answer.status, path, "order-service failed");
            Err(OrdersError::Unavailable)
        }
    }
}

fn wire_line(sku: &Sku, qty: Quantity) -> OrderLineRequest {
    OrderLineRequest {
        sku: sku.to_string(),
        qty: qty.get(),
    }
}

impl Orders for OrderService {
    async fn place(
        &self,
        order: &CreateOrder,
        key: Option<&IdempotencyKey>,
    ) -> Result<Order, OrdersError> {
        let body = CreateOrderRequest {
            customer_id: order.customer_id.clone(),
            location_id: Some(order.location.to_string()),
            items: order
                .lines
                .iter()
                .map(|(sku, qty)| wire_line(sku, *qty))
                .collect(),
            payment: order.payment.as_ref().map(|card| PaymentRequest {
                method: "card".to_owned(),
                token: card.token().to_owned(),
            }),
        };
        let headers: Vec<(&str, &str)> = key
            .map(|key| (idempotency::HEADER, key.as_str()))
            .into_iter()
            .collect();
        self.post("/orders", Some(&body), &headers).await
    }

    #[tracing::instrument(skip_all, fields(order_id = %id))]
    async fn get(&self, id: &OrderId) -> Result<Order, OrdersError> {
        let path = format!("/orders/{id}");
        read(&path, self.peer.get(&path).await)
    }

    #[tracing::instrument(skip_all, fields(order_id = %id))]
    async fn confirm(&self, id: &OrderId, committed: &[OrderLine]) -> Result<Order, OrdersError> {
        let body = ConfirmOrderRequest {
            items: committed.iter().map(|l| wire_line(&l.sku, l.qty)).collect(),
        };
        self.post(&format!("/orders/{id}/confirm"), Some(&body), &[])
            .await
    }

    #[tracing::instrument(skip_all, fields(order_id = %id))]
    async fn authorize(
        &self,
        id: &OrderId,
        priced: &[(OrderLine, Price)],
    ) -> Result<Order, OrdersError> {
        let body = AuthorizeOrderRequest {
            items: priced
                .iter()
                .map(|(l, price)| PricedLineRequest {
                    sku: l.sku.to_string(),
                    qty: l.qty.get(),
                    unit_price: price.to_money(),
                })
                .collect(),
        };
        self.post(&format!("/orders/{id}/authorize"), Some(&body), &[])
            .await
    }

    #[tracing::instrument(skip_all, fields(order_id = %id))]
    async fn cancel(
        &self,
        id: &OrderId,
        request: &CancelOrderRequest,
    ) -> Result<Order, OrdersError> {
        self.post(&format!("/orders/{id}/cancel"), Some(request), &[])
            .await
    }

    #[tracing::instrument(skip_all, fields(order_id = %id))]
    async fn hand_over(&self, id: &OrderId) -> Result<Order, OrdersError> {
        self.post::<()>(&format!("/orders/{id}/handover"), None, &[])
            .await
    }

    async fn is_ready(&self) -> bool {
        matches!(self.peer.get("/readyz").await, Ok(answer) if answer.status.is_success())
    }
}
