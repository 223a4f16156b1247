//! `/locations`: the locations (the central warehouse, the stores), a page of one
//! location's stock, and the stream of its changes.
//!
//! Creating a location takes the `stock` scope; reads are public. The listing of a
//! location's stock is forwarded to inventory-service, which pages it in SKU order from
//! its own rows: always complete and consistent, whatever the view's state. The change
//! stream is this instance's stock view's ([`crate::view::changes`]).

use std::{fmt::Write, time::Duration};

use access::{Caller, Scope};
use axum::{
    extract::State,
    http::{HeaderMap, Method, StatusCode},
    response::{
        IntoResponse, Response,
        sse::{KeepAlive, Sse},
    },
};
use contracts::inventory::{
    CreateLocationRequest, LocationListView, LocationView, StockListQuery, StockPageView, StockView,
};
use problem::{Json, Problem, Query};
use tracing::{Span, field};

use super::{AtLocation, Facade, acting_as};
use crate::{
    openapi::ProblemDocument,
    upstream::{FetchError, InventoryService},
};

/// How often an idle change stream sends a comment, so proxies keep it open.
const KEEP_ALIVE_EVERY: Duration = Duration::from_secs(15);

/// Creates a location.
#[utoipa::path(
    post,
    path = "/locations",
    operation_id = "create_location",
    tag = "locations",
    request_body = CreateLocationRequest,
    responses(
        (status = 201, description = "The location exists now", body = LocationView),
        (status = 400, description = "The body is not JSON (`malformed_json`)",
            body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, description = "`storeId` breaks its rule (`invalid_store_id`), or `name` does (`invalid_name`)",
            body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, description = "The location exists already (`location_exists`)",
            body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(store_id = field::Empty))]
pub async fn create(
    caller: Caller,
    State(inventory): State<InventoryService>,
    Json(request): Json<CreateLocationRequest>,
) -> Result<Response, Problem> {
    caller.require(Scope::Stock)?;
    let location = request.validate()?;
    Span::current().record("store_id", field::display(&location.id));
    Ok(inventory
        .forward_for(
            &acting_as(&caller)?,
            Method::POST,
            "/locations",
            Some(&request),
        )
        .await?)
}

/// Every location.
#[utoipa::path(
    get,
    path = "/locations",
    operation_id = "list_locations",
    tag = "locations",
    responses((status = 200, description = "Every location", body = LocationListView))
)]
#[tracing::instrument(skip_all)]
pub async fn list(State(inventory): State<InventoryService>) -> Result<Response, Problem> {
    Ok(inventory
        .forward::<()>(Method::GET, "/locations", None)
        .await?)
}

/// One page of a location's stock, in SKU order.
#[utoipa::path(
    get,
    path = "/locations/{storeId}/inventory",
    operation_id = "location_stock_page",
    tag = "locations",
    params(("storeId" = String, Path, description = "The location, e.g. store-1"), StockListQuery),
    responses(
        (status = 200, description = "One page of the location's stock, in SKU order; `nextCursor` is the last SKU of the page, absent on the last page", body = StockPageView),
        (status = 404, description = "No such location (`unknown_location`)",
            body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(store_id = %at.id))]
pub async fn stock_page(
    State(inventory): State<InventoryService>,
    at: AtLocation,
    Query(query): Query<StockListQuery>,
) -> Result<Response, Problem> {
    let page = query.validate()?;
    let mut path = at.inventory_path();
    let mut separator = '?';
    if let Some(limit) = query.limit {
        // Writing to a String cannot fail.
        let _ = write!(path, "{separator}limit={limit}");
        separator = '&';
    }
    if let Some(after) = &page.after {
        // A valid SKU needs no escaping in a query string.
        let _ = write!(path, "{separator}cursor={after}");
    }
    Ok(inventory.forward::<()>(Method::GET, &path, None).await?)
}

/// Every change of a location's stock, as server-sent events, in the order applied.
///
/// Each event is `event: stock`, `id: <epoch>-<seq>`, `data:` the row's stock view. With
/// a `Last-Event-ID` this instance gave and still remembers (the last 10,000 changes
/// of the location), the stream resumes right after it; otherwise it starts with the
/// location's current stock (one event per row, all with the same id), then the
/// changes. A client applies every event the same way: the row's state, by `version`.
#[utoipa::path(
    get,
    path = "/locations/{storeId}/changes",
    operation_id = "location_changes",
    tag = "locations",
    params(
        ("storeId" = String, Path, description = "The location, e.g. store-1"),
        ("Last-Event-ID" = Option<String>, Header, description = "The id of the last event received, to resume after it"),
    ),
    responses(
        (status = 200, description = "A stream of `stock` events whose data is a stock view", body = StockView, content_type = "text/event-stream"),
        (status = 404, description = "No such location (`unknown_location`)",
            body = ProblemDocument, content_type = "application/problem+json"),
        (status = 503, description = "The stock view is turned off on this instance (`stock_view_disabled`), or inventory-service cannot be reached to check the location (`inventory_unavailable`)",
            body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(store_id = %at.id))]
pub async fn changes(
    State(facade): State<Facade>,
    at: AtLocation,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let Some(view) = facade.view else {
        return Err(Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "stock_view_disabled",
            "Stock view disabled",
        )
        .with_detail("this instance runs without the stock view (STOCK_VIEW_ENABLED=false)"));
    };
    let store = at.id.as_str();
    if !view.knows_location(store) && !exists(&facade.inventory, store).await? {
        return Err(Problem::not_found(
            "unknown_location",
            format!("no location {store}"),
        ));
    }
    let last_event_id = headers
        .get("last-event-id")
        .and_then(|value| value.to_str().ok());
    let stream = view.subscribe(store, last_event_id).into_stream();
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE_EVERY))
        .into_response())
}

/// Whether inventory-service knows the location: for one the view has not seen yet
/// (created since its snapshot, no stock yet), or while the view is not live.
async fn exists(inventory: &InventoryService, store: &str) -> Result<bool, Problem> {
    match inventory.fetch::<LocationListView>("/locations").await {
        Ok(locations) => Ok(locations.items.iter().any(|l| l.store_id == store)),
        Err(FetchError::Upstream(e)) => Err(e.into()),
        Err(e) => {
            tracing::warn!(error = ?e, "inventory-service's locations could not be read");
            Err(Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "inventory_unavailable",
                "Inventory unavailable",
            )
            .with_detail("the inventory service did not list its locations; retry later"))
        }
    }
}
