//! [`Inventory`] over inventory-api (`POST /reservations`, `POST
//! /reservations/{orderId}/commit`), behind the inventory [`breaker`](crate::breaker).
//!
//! Each call is a success, one of the inventory's refusals, or unavailable. The breaker
//! counts what says whether the inventory is up: a success or a refusal (it answered,
//! whatever it said) closes it; anything else counts against it. While it is open, no
//! call is made and the answer is "unavailable" at once.

use axum::http::StatusCode;
use contracts::inventory::{
    CommitReservationRequest, CommitView, CreateReservationRequest, ReservationLineRequest,
    ReservationView,
};
use contracts::{LocationId, OrderId};
use serde::Serialize;

use super::peer::{Answer, Peer};
use crate::breaker::InventoryBreaker;
use crate::order::OrderLine;
use crate::ports::{HeldLine, Inventory, InventoryError, InventoryRefusal};

#[derive(Debug)]
pub struct InventoryApi {
    peer: Peer,
    breaker: InventoryBreaker,
}

impl InventoryApi {
    pub fn new(peer: Peer, breaker: InventoryBreaker) -> Self {
        Self { peer, breaker }
    }

    /// One call through the breaker; a success's body is read with `read`.
    async fn call<B: Serialize, T>(
        &self,
        path: &str,
        body: &B,
        read: impl FnOnce(&Answer) -> Option<T>,
    ) -> Result<T, InventoryError> {
        if !self.breaker.is_call_permitted() {
            tracing::info!("inventory breaker open: straight to the event path");
            return Err(InventoryError::Unavailable);
        }
        let answer = match self.peer.post(path, Some(body), &[]).await {
            Ok(answer) => answer,
            Err(e) => {
                tracing::warn!(error = %e, path, "inventory did not answer");
                self.breaker.on_error();
                return Err(InventoryError::Unavailable);
            }
        };
        if answer.status.is_success() {
            self.breaker.on_success();
            // A body this flow cannot read is no proof of anything: the event path asks
            // again, idempotently, and finds out.
            return read(&answer).ok_or_else(|| {
                tracing::warn!(path, "the inventory answered a body this flow cannot read");
                InventoryError::Unavailable
            });
        }
        if let Some(refusal) = refusal(&answer) {
            self.breaker.on_success();
            return Err(InventoryError::Refused(refusal));
        }
        if answer.refuses_our_key() {
            tracing::error!(status = %answer.status, path, "inventory-api refused order-api's key: check INVENTORY_API_KEY");
        } else {
            tracing::warn!(status = %answer.status, path, "inventory path failed");
        }
        self.breaker.on_error();
        Err(InventoryError::Unavailable)
    }
}

/// The refusal `answer` carries, if it is one: a 404, 409 or 422 whose problem names
/// one of [`InventoryRefusal`]'s codes, or a 422 of input found invalid.
fn refusal(answer: &Answer) -> Option<InventoryRefusal> {
    if !matches!(answer.status.as_u16(), 404 | 409 | 422) {
        return None;
    }
    answer.json::<InventoryRefusal>().or_else(|| {
        let problem = answer.problem()?;
        let invalid = answer.status == StatusCode::UNPROCESSABLE_ENTITY
            && problem.code().starts_with("invalid_");
        invalid.then(|| InventoryRefusal::InvalidInput {
            code: problem.code().to_owned(),
        })
    })
}

fn wire_lines(lines: &[OrderLine]) -> Vec<ReservationLineRequest> {
    lines
        .iter()
        .map(|l| ReservationLineRequest {
            sku: l.sku.to_string(),
            qty: l.qty.get(),
        })
        .collect()
}

impl Inventory for InventoryApi {
    #[tracing::instrument(skip_all, fields(order_id = %order, location = %location))]
    async fn reserve(
        &self,
        order: &OrderId,
        location: &LocationId,
        lines: &[OrderLine],
    ) -> Result<Vec<HeldLine>, InventoryError> {
        let body = CreateReservationRequest {
            order_id: order.to_string(),
            items: wire_lines(lines),
            ttl_seconds: None,
            store_id: Some(location.to_string()),
        };
        self.call("/reservations", &body, |answer| {
            answer
                .json::<ReservationView>()?
                .items
                .iter()
                .map(|hold| {
                    Some(HeldLine {
                        line: OrderLine::parse(&hold.sku, hold.qty).ok()?,
                        // A price that breaks the rules is no price: the line is unpriced.
                        unit_price: hold.unit_price.as_ref().and_then(|p| p.validate().ok()),
                    })
                })
                .collect()
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(order_id = %order))]
    async fn commit(
        &self,
        order: &OrderId,
        lines: &[OrderLine],
    ) -> Result<Vec<OrderLine>, InventoryError> {
        let body = CommitReservationRequest {
            items: wire_lines(lines),
        };
        let path = format!("/reservations/{order}/commit");
        self.call(&path, &body, |answer| {
            answer
                .json::<CommitView>()?
                .items
                .iter()
                .map(|l| OrderLine::parse(&l.sku, l.qty).ok())
                .collect()
        })
        .await
    }
}
