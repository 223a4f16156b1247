//! The stock of one SKU at one location: create it, read it, reserve, release,
//! confirm, replenish, set its unit price, and page through its movements.
//!
//! Each handler serves two routes: `/inventory/...` (the central warehouse) and
//! `/locations/:storeId/inventory/...`, and forwards in the form it was called with.
//! Every handler validates first (path location and SKU, body, query) and only then
//! forwards the request DTO, re-serialized, to inventory-service, whose answer is passed
//! through. The routes that change stock take the [`Caller`] and check its scope before
//! anything else, and forward on its behalf: its name goes on the movements and holds,
//! and it may touch only its own holds. Reads are public; a stock read is answered by
//! the stock view when it may (see [`crate::view`]).
//!
//! The OpenAPI document describes the `/inventory` forms here; the location forms are
//! derived from them (`openapi::LocationForms`).

use std::fmt::Write;

use access::{Caller, Scope};
use axum::{
    extract::State,
    http::{HeaderValue, Method, header},
    response::{IntoResponse, Response},
};
use contracts::Money;
use contracts::inventory::{
    ConfirmRequest, CreateInventoryRequest, MovementPageView, MovementsQuery, PriceRequest,
    ReleaseRequest, ReplenishRequest, ReserveRequest, StockQuery, StockView,
};
use problem::{Json, Problem, Query};
use tracing::{Span, field};

use super::{AtLocation, Facade, PathSku, acting_as};
use crate::{openapi::ProblemDocument, upstream::InventoryService};

/// Creates the stock of a new SKU, priced (`unitPrice`) or not.
#[utoipa::path(
    post,
    path = "/inventory",
    tag = "inventory",
    request_body = CreateInventoryRequest,
    responses(
        (status = 201, description = "The SKU exists now; its stock, with its `unitPrice` when it has one", body = StockView),
        (status = 409, description = "The SKU already exists (`sku_exists`)",
            body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(store_id = %at.id, sku = field::Empty))]
pub async fn create(
    caller: Caller,
    State(inventory): State<InventoryService>,
    at: AtLocation,
    Json(request): Json<CreateInventoryRequest>,
) -> Result<Response, Problem> {
    caller.require(Scope::Stock)?;
    let command = request.validate()?;
    Span::current().record("sku", field::display(&command.sku));
    Ok(inventory
        .forward_for(
            &acting_as(&caller)?,
            Method::POST,
            &at.inventory_path(),
            Some(&request),
        )
        .await?)
}

/// Reads the stock of one SKU.
#[utoipa::path(
    get,
    path = "/inventory/{sku}",
    tag = "inventory",
    params(("sku" = String, Path, description = "Product code, e.g. ABC-1234-AB"), StockQuery),
    responses(
        (status = 200, description = "The stock of the SKU, never older than `minVersion`: from the stock view when it is live and has caught up, else from inventory-service", body = StockView),
        (status = 404, description = "No such SKU (`unknown_sku`)",
            body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(store_id = %at.id, sku = %sku))]
pub async fn stock(
    State(facade): State<Facade>,
    at: AtLocation,
    PathSku(sku): PathSku,
    Query(query): Query<StockQuery>,
) -> Result<Response, Problem> {
    let min_version = query.validate()?;
    if let Some(json) = facade
        .view
        .as_ref()
        .and_then(|view| view.read(at.id.as_str(), sku.as_str(), min_version))
    {
        return Ok(stock_json(json));
    }
    let mut path = format!("{}/{sku}", at.inventory_path());
    if let Some(min_version) = min_version {
        // Writing to a String cannot fail.
        let _ = write!(path, "?minVersion={min_version}");
    }
    Ok(facade
        .inventory
        .forward::<()>(Method::GET, &path, None)
        .await?)
}

/// A stock row the view holds, as inventory-service would answer it.
fn stock_json(json: axum::body::Bytes) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        json,
    )
        .into_response()
}

/// Holds units of one SKU for an order; idempotent per (orderId, sku).
#[utoipa::path(
    post,
    path = "/inventory/{sku}/reserve",
    tag = "inventory",
    params(("sku" = String, Path, description = "Product code, e.g. ABC-1234-AB")),
    request_body = ReserveRequest,
    responses(
        (status = 204, description = "The units are held for the order"),
        (status = 404, description = "No such SKU (`unknown_sku`)",
            body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, description = "Not enough available stock (`insufficient_stock`), another quantity already held (`reservation_conflict`), or the order's hold is not the caller's (`hold_owned_by_order`, `hold_owned_by_another_caller`)",
            body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(store_id = %at.id, sku = %sku, order_id = field::Empty))]
pub async fn reserve(
    caller: Caller,
    State(inventory): State<InventoryService>,
    at: AtLocation,
    PathSku(sku): PathSku,
    Json(request): Json<ReserveRequest>,
) -> Result<Response, Problem> {
    caller.require(Scope::Reserve)?;
    let command = request.validate()?;
    Span::current().record("order_id", field::display(&command.order_id));
    Ok(inventory
        .forward_for(
            &acting_as(&caller)?,
            Method::POST,
            &format!("{}/{sku}/reserve", at.inventory_path()),
            Some(&request),
        )
        .await?)
}

/// Releases all or part of an order's hold on one SKU; idempotent.
#[utoipa::path(
    post,
    path = "/inventory/{sku}/release",
    tag = "inventory",
    params(("sku" = String, Path, description = "Product code, e.g. ABC-1234-AB")),
    request_body = ReleaseRequest,
    responses(
        (status = 204, description = "The hold is released (or there was none)"),
        (status = 404, description = "No such SKU (`unknown_sku`)",
            body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, description = "The hold is not the caller's: the saga's (`hold_owned_by_order`) or another caller's (`hold_owned_by_another_caller`); nothing changed",
            body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(store_id = %at.id, sku = %sku, order_id = field::Empty))]
pub async fn release(
    caller: Caller,
    State(inventory): State<InventoryService>,
    at: AtLocation,
    PathSku(sku): PathSku,
    Json(request): Json<ReleaseRequest>,
) -> Result<Response, Problem> {
    caller.require(Scope::Reserve)?;
    let command = request.validate()?;
    Span::current().record("order_id", field::display(&command.order_id));
    Ok(inventory
        .forward_for(
            &acting_as(&caller)?,
            Method::POST,
            &format!("{}/{sku}/release", at.inventory_path()),
            Some(&request),
        )
        .await?)
}

/// Commits an order's hold: on hand and reserved both drop.
#[utoipa::path(
    post,
    path = "/inventory/{sku}/confirm",
    tag = "inventory",
    params(("sku" = String, Path, description = "Product code, e.g. ABC-1234-AB")),
    request_body = ConfirmRequest,
    responses(
        (status = 204, description = "The hold is committed"),
        (status = 404, description = "No such SKU or no hold for the order",
            body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, description = "The hold can no longer be committed (`reservation_not_active`), or it is not the caller's (`hold_owned_by_order`, `hold_owned_by_another_caller`)",
            body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(store_id = %at.id, sku = %sku, order_id = field::Empty))]
pub async fn confirm(
    caller: Caller,
    State(inventory): State<InventoryService>,
    at: AtLocation,
    PathSku(sku): PathSku,
    Json(request): Json<ConfirmRequest>,
) -> Result<Response, Problem> {
    caller.require(Scope::Reserve)?;
    let order_id = request.validate()?;
    Span::current().record("order_id", field::display(&order_id));
    Ok(inventory
        .forward_for(
            &acting_as(&caller)?,
            Method::POST,
            &format!("{}/{sku}/confirm", at.inventory_path()),
            Some(&request),
        )
        .await?)
}

/// Adds units on hand.
#[utoipa::path(
    post,
    path = "/inventory/{sku}/replenish",
    tag = "inventory",
    params(("sku" = String, Path, description = "Product code, e.g. ABC-1234-AB")),
    request_body = ReplenishRequest,
    responses(
        (status = 204, description = "The units are on hand"),
        (status = 404, description = "No such SKU (`unknown_sku`)",
            body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(store_id = %at.id, sku = %sku))]
pub async fn replenish(
    caller: Caller,
    State(inventory): State<InventoryService>,
    at: AtLocation,
    PathSku(sku): PathSku,
    Json(request): Json<ReplenishRequest>,
) -> Result<Response, Problem> {
    caller.require(Scope::Stock)?;
    request.validate()?;
    Ok(inventory
        .forward_for(
            &acting_as(&caller)?,
            Method::POST,
            &format!("{}/{sku}/replenish", at.inventory_path()),
            Some(&request),
        )
        .await?)
}

/// Sets the price of one unit: integer minor units of an ISO 4217 currency. A price is
/// not stock: no movement records it, but the row's version moves on.
#[utoipa::path(
    put,
    path = "/inventory/{sku}/price",
    tag = "inventory",
    params(("sku" = String, Path, description = "Product code, e.g. ABC-1234-AB")),
    request_body(content = Money, description = "`amount` in minor units of `currency` (1999 for 19.99 EUR), never a fraction; `currency` three capital letters. Any other price is `invalid_price`"),
    responses(
        (status = 200, description = "The price is set; the stock of the SKU after it, with its new `version` (unchanged when it had that price already)", body = StockView),
        (status = 404, description = "No such SKU (`unknown_sku`)",
            body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(store_id = %at.id, sku = %sku))]
pub async fn set_price(
    caller: Caller,
    State(inventory): State<InventoryService>,
    at: AtLocation,
    PathSku(sku): PathSku,
    Json(request): Json<PriceRequest>,
) -> Result<Response, Problem> {
    caller.require(Scope::Stock)?;
    request.validate()?;
    Ok(inventory
        .forward_for(
            &acting_as(&caller)?,
            Method::PUT,
            &format!("{}/{sku}/price", at.inventory_path()),
            Some(&request),
        )
        .await?)
}

/// The audit trail of one SKU, newest first, one page at a time.
#[utoipa::path(
    get,
    path = "/inventory/{sku}/movements",
    tag = "inventory",
    params(("sku" = String, Path, description = "Product code, e.g. ABC-1234-AB"), MovementsQuery),
    responses(
        (status = 200, description = "One page of movements, newest first", body = MovementPageView),
        (status = 404, description = "No such SKU (`unknown_sku`)",
            body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(store_id = %at.id, sku = %sku))]
pub async fn movements(
    State(inventory): State<InventoryService>,
    at: AtLocation,
    PathSku(sku): PathSku,
    Query(query): Query<MovementsQuery>,
) -> Result<Response, Problem> {
    query.validate()?;
    Ok(inventory
        .forward::<()>(Method::GET, &movements_path(&at, &sku, &query), None)
        .await?)
}

/// The upstream path of a movements page: only the parameters the client gave, so
/// inventory-service applies its own defaults to the others.
fn movements_path(at: &AtLocation, sku: &contracts::Sku, query: &MovementsQuery) -> String {
    let mut path = format!("{}/{sku}/movements", at.inventory_path());
    let mut separator = '?';
    for (name, value) in [("limit", query.limit), ("before", query.before)] {
        if let Some(value) = value {
            // Writing to a String cannot fail.
            let _ = write!(path, "{separator}{name}={value}");
            separator = '&';
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_movements_page_forwards_only_the_parameters_given() {
        let sku = contracts::Sku::parse("ABC-1234-AB").unwrap();
        let central = AtLocation::central();
        let page =
            |limit, before| movements_path(&central, &sku, &MovementsQuery { limit, before });
        assert_eq!(page(None, None), "/inventory/ABC-1234-AB/movements");
        assert_eq!(
            page(Some(10), None),
            "/inventory/ABC-1234-AB/movements?limit=10"
        );
        assert_eq!(
            page(None, Some(7)),
            "/inventory/ABC-1234-AB/movements?before=7"
        );
        assert_eq!(
            page(Some(10), Some(7)),
            "/inventory/ABC-1234-AB/movements?limit=10&before=7"
        );
        let store = AtLocation::named(contracts::LocationId::parse("store-1").unwrap());
        assert_eq!(
            movements_path(
                &store,
                &sku,
                &MovementsQuery {
                    limit: Some(5),
                    before: None
                }
            ),
            "/locations/store-1/inventory/ABC-1234-AB/movements?limit=5"
        );
    }
}
