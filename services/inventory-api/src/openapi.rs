//! The OpenAPI 3.1 document of the facade, served at `GET /openapi.json`.
//!
//! Routes declare their success and domain answers (404 `unknown_sku`, 409
//! `insufficient_stock`, ...) next to their handlers; the problems many routes share
//! (bad input, no key or the wrong scope, over the rate, overloaded, upstream unavailable
//! or slow) are added here once, by [`CommonProblems`], so the document and the code
//! cannot drift route by route. The `/locations/:storeId/inventory/...` forms of the
//! stock routes are served by the same handlers as the `/inventory/...` forms, and
//! documented from them by [`LocationForms`].

use axum::Json;
use contracts::inventory::Shortage;
use problem::openapi::{
    FORBIDDEN, OVERLOADED, PAYLOAD_TOO_LARGE, RATE_LIMITED, SharedProblem, UNAUTHORIZED,
    UNSUPPORTED_MEDIA_TYPE,
};
use serde::Serialize;
use utoipa::{
    Modify, OpenApi, ToSchema,
    openapi::{
        self, ObjectBuilder, RefOr, Required, Type,
        path::{Operation, ParameterBuilder, ParameterIn},
    },
};

use crate::routes::{self, STORE_ID_PARAM};

/// An `application/problem+json` body (RFC 9457).
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemDocument {
    /// URI naming the kind of problem.
    #[serde(rename = "type")]
    #[schema(example = "urn:inventory-saga:problem:insufficient_stock")]
    pub kind: String,
    #[schema(example = "Conflict")]
    pub title: String,
    /// The HTTP status, repeated.
    #[schema(example = 409)]
    pub status: u16,
    /// What went wrong, for a human.
    pub detail: Option<String>,
    /// Stable machine-readable code to branch on.
    #[schema(example = "insufficient_stock")]
    pub code: String,
    /// With `insufficient_stock`: every SKU that was short.
    pub shortages: Option<Vec<Shortage>>,
    /// With `forbidden`: the scope the route needs.
    #[schema(example = "stock")]
    pub scope: Option<String>,
    /// With `rate_limited`: the same as the `Retry-After` header.
    pub retry_after_seconds: Option<u64>,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "inventory-api",
        description = "The public stock facade: validates every request, then forwards it to inventory-service. Errors are application/problem+json with a stable `code`."
    ),
    paths(
        routes::inventory::create,
        routes::inventory::stock,
        routes::inventory::reserve,
        routes::inventory::release,
        routes::inventory::confirm,
        routes::inventory::replenish,
        routes::inventory::set_price,
        routes::inventory::movements,
        routes::locations::create,
        routes::locations::list,
        routes::locations::stock_page,
        routes::locations::changes,
        routes::transfers::create,
        routes::reservations::create,
        routes::reservations::commit,
        routes::health::alive,
        routes::health::ready,
        serve,
    ),
    components(schemas(ProblemDocument, Shortage)),
    modifiers(&LocationForms, &CommonProblems),
    tags(
        (name = "inventory", description = "Stock of one SKU, at the central warehouse (`/inventory`) or at a location (`/locations/{storeId}/inventory`)"),
        (name = "locations", description = "Locations, their stock, its changes, and transfers between them"),
        (name = "reservations", description = "All-or-nothing holds over several SKUs"),
        (name = "health", description = "Probes and the API description"),
    )
)]
struct ApiDoc;

/// The document, built from the annotations of the handlers.
pub fn document() -> openapi::OpenApi {
    ApiDoc::openapi()
}

/// This document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "health",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json"))
)]
pub async fn serve() -> Json<openapi::OpenApi> {
    Json(document())
}

/// The stock routes of one SKU, documented once at `/inventory/...` (the central
/// warehouse) and served by the same handlers at `/locations/{storeId}/inventory/...`:
/// each location form is its central form with the `storeId` path parameter first, and
/// `unknown_location` among its 404s.
struct LocationForms;

/// (central form, location form) of every stock route of one SKU.
const LOCATION_FORMS: [(&str, &str); 8] = [
    ("/inventory", "/locations/{storeId}/inventory"),
    ("/inventory/{sku}", "/locations/{storeId}/inventory/{sku}"),
    (
        "/inventory/{sku}/reserve",
        "/locations/{storeId}/inventory/{sku}/reserve",
    ),
    (
        "/inventory/{sku}/release",
        "/locations/{storeId}/inventory/{sku}/release",
    ),
    (
        "/inventory/{sku}/confirm",
        "/locations/{storeId}/inventory/{sku}/confirm",
    ),
    (
        "/inventory/{sku}/replenish",
        "/locations/{storeId}/inventory/{sku}/replenish",
    ),
    (
        "/inventory/{sku}/price",
        "/locations/{storeId}/inventory/{sku}/price",
    ),
    (
        "/inventory/{sku}/movements",
        "/locations/{storeId}/inventory/{sku}/movements",
    ),
];

impl Modify for LocationForms {
    fn modify(&self, doc: &mut openapi::OpenApi) {
        for (central, at_location) in LOCATION_FORMS {
            let Some(item) = doc.paths.paths.get(central).cloned() else {
                continue;
            };
            let target = doc.paths.paths.entry(at_location.to_owned()).or_default();
            for (from, to) in [
                (item.get, &mut target.get),
                (item.post, &mut target.post),
                (item.put, &mut target.put),
            ] {
                if let (Some(mut operation), None) = (from, to.as_ref()) {
                    at_a_location(&mut operation);
                    *to = Some(operation);
                }
            }
        }
    }
}

/// Turns the central form of an operation into its location form.
fn at_a_location(operation: &mut Operation) {
    let store_id = ParameterBuilder::new()
        .name(STORE_ID_PARAM)
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .description(Some(
            "The location, e.g. store-1 (`central` is the central warehouse)",
        ))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .build();
    operation
        .parameters
        .get_or_insert_with(Vec::new)
        .insert(0, store_id);
    if let Some(id) = &mut operation.operation_id {
        id.push_str("_at_location");
    }
    match operation.responses.responses.get_mut("404") {
        Some(RefOr::T(response)) => {
            response.description = format!(
                "{} or no such location (`unknown_location`)",
                response.description
            );
        }
        _ => {
            operation.responses.responses.insert(
                "404".to_owned(),
                RefOr::T(
                    utoipa::openapi::ResponseBuilder::new()
                        .description("No such location (`unknown_location`)")
                        .build(),
                ),
            );
        }
    }
}

/// Adds what routes share: the key header (security scheme `api_key`) on the routes that
/// change stock; input problems to routes that take input; upstream problems to routes
/// that forward; 401/403 to the routes that need a caller; 429, 503 and 504 from the
/// access and load layers to every route.
struct CommonProblems;

const MALFORMED_JSON: SharedProblem = SharedProblem::new(
    "400",
    "MalformedJson",
    "The body is not JSON (`malformed_json`), or the query string is unreadable (`invalid_query`)",
);
const INVALID_INPUT: SharedProblem = SharedProblem::new(
    "422",
    "InvalidInput",
    "A value breaks a rule (`invalid_sku`, `invalid_quantity`, `invalid_price`, `invalid_order_id`, `invalid_ttl`, `invalid_items`, `duplicate_sku`, `invalid_store_id`, `invalid_name`, `invalid_transfer`, `invalid_query`, `invalid_body`)",
);
const INVENTORY_UNAVAILABLE: SharedProblem = SharedProblem::new(
        "503",
        "InventoryUnavailable",
        "inventory-service cannot be reached (`inventory_unavailable`), or this facade has too many requests in progress (`overloaded`, with `Retry-After`); nothing changed",
)
.with_retry_after();
const UPSTREAM_TIMEOUT: SharedProblem = SharedProblem::new(
    "504",
    "UpstreamTimeout",
    "inventory-service did not answer in time (`upstream_timeout`), or the request ran past `REQUEST_TIMEOUT_MS` (`request_timeout`); the outcome is unknown",
);
const REQUEST_TIMEOUT: SharedProblem = SharedProblem::new(
    "504",
    "RequestTimeout",
    "The request ran past `REQUEST_TIMEOUT_MS` (`request_timeout`)",
);

const ALL_SHARED: [&SharedProblem; 11] = [
    &MALFORMED_JSON,
    &UNAUTHORIZED,
    &FORBIDDEN,
    &PAYLOAD_TOO_LARGE,
    &UNSUPPORTED_MEDIA_TYPE,
    &INVALID_INPUT,
    &RATE_LIMITED,
    &INVENTORY_UNAVAILABLE,
    &OVERLOADED,
    &UPSTREAM_TIMEOUT,
    &REQUEST_TIMEOUT,
];

/// Routes that answer by themselves, without forwarding.
const LOCAL_ROUTES: [&str; 3] = ["/healthz", "/readyz", "/openapi.json"];

impl Modify for CommonProblems {
    fn modify(&self, doc: &mut openapi::OpenApi) {
        problem::openapi::document_problems(
            doc,
            access::API_KEY_HEADER,
            "A key of `API_KEYS` with the scope the route names. A facade on loopback \
             without `API_KEYS` needs none (every caller is `anonymous`).",
            &ALL_SHARED,
            // Every `POST` and `PUT` of this facade takes a caller with a scope; every `GET`
            // is public.
            |path, needs_caller, operation| {
                common_problems(operation, !LOCAL_ROUTES.contains(&path), needs_caller)
            },
        );
    }
}

fn common_problems(
    operation: &mut Operation,
    forwards: bool,
    needs_caller: bool,
) -> Vec<&'static SharedProblem> {
    let mut shared = Vec::new();
    let params = operation.parameters.as_deref().unwrap_or_default();
    let takes_params = !params.is_empty();
    let takes_body = operation.request_body.is_some();
    let takes_query = params
        .iter()
        .any(|p| matches!(p.parameter_in, ParameterIn::Query));
    let names_a_store = params.iter().any(|p| p.name == STORE_ID_PARAM);
    if takes_body || takes_query {
        shared.push(&MALFORMED_JSON);
    }
    if needs_caller {
        shared.extend([&UNAUTHORIZED, &FORBIDDEN]);
        problem::openapi::require_api_key(operation);
    }
    if (forwards && (takes_body || takes_params)) || names_a_store {
        shared.push(&INVALID_INPUT);
    }
    if takes_body {
        shared.extend([&PAYLOAD_TOO_LARGE, &UNSUPPORTED_MEDIA_TYPE]);
    }
    shared.push(&RATE_LIMITED);
    if forwards {
        shared.extend([&INVENTORY_UNAVAILABLE, &UPSTREAM_TIMEOUT]);
    } else {
        shared.extend([&OVERLOADED, &REQUEST_TIMEOUT]);
    }
    shared
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_forwarded_route_documents_the_upstream_problems() {
        let doc = serde_json::to_value(document()).unwrap();
        let reserve = &doc["paths"]["/inventory/{sku}/reserve"]["post"]["responses"];
        for status in ["204", "409", "413", "415", "422", "503", "504"] {
            assert!(reserve.get(status).is_some(), "reserve lacks {status}");
        }
    }

    #[test]
    fn the_price_route_documents_money_and_the_problems_of_a_forwarded_write() {
        let doc = serde_json::to_value(document()).unwrap();
        for path in [
            "/inventory/{sku}/price",
            "/locations/{storeId}/inventory/{sku}/price",
        ] {
            let put = &doc["paths"][path]["put"];
            assert_eq!(
                put["requestBody"]["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/Money",
                "{path}"
            );
            assert_eq!(
                put["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/StockView",
                "{path}"
            );
            for status in [
                "401", "403", "404", "413", "415", "422", "429", "503", "504",
            ] {
                assert!(
                    put["responses"].get(status).is_some(),
                    "{path} lacks {status}"
                );
            }
        }
        let money = &doc["components"]["schemas"]["Money"];
        assert_eq!(money["properties"]["amount"]["minimum"], 0);
        assert_eq!(money["properties"]["currency"]["pattern"], "^[A-Z]{3}$");
        let stock = &doc["components"]["schemas"]["StockView"]["properties"];
        assert!(stock.get("unitPrice").is_some());
        let create = &doc["components"]["schemas"]["CreateInventoryRequest"]["properties"];
        assert!(create.get("unitPrice").is_some());
    }

    #[test]
    fn every_location_form_is_its_central_form_with_the_store_id_first() {
        let doc = serde_json::to_value(document()).unwrap();
        for (central, at_location) in LOCATION_FORMS {
            let central = &doc["paths"][central];
            let item = &doc["paths"][at_location];
            for method in ["get", "post", "put"] {
                let Some(operation) = central.get(method) else {
                    continue;
                };
                let located = &item[method];
                assert_eq!(located["parameters"][0]["name"], "storeId", "{at_location}");
                assert_eq!(
                    located["parameters"].as_array().unwrap().len(),
                    operation["parameters"].as_array().map_or(0, Vec::len) + 1,
                    "{at_location}"
                );
                assert!(located["responses"].get("422").is_some(), "{at_location}");
                let not_found = located["responses"]["404"]["description"].as_str().unwrap();
                assert!(not_found.contains("unknown_location"), "{at_location}");
            }
        }
        assert!(doc["paths"]["/locations/{storeId}/inventory"]["get"].is_object());
    }

    #[test]
    fn routes_that_change_stock_document_the_key_and_its_refusals_and_reads_do_not() {
        let doc = serde_json::to_value(document()).unwrap();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for write in ["post", "put"].iter().filter_map(|m| item.get(*m)) {
                for status in ["401", "403"] {
                    assert!(
                        write["responses"].get(status).is_some(),
                        "{path} lacks {status}"
                    );
                }
                assert_eq!(
                    write["security"][0][problem::openapi::API_KEY_SCHEME],
                    serde_json::json!([]),
                    "{path}"
                );
            }
            if let Some(get) = item.get("get") {
                assert!(get["responses"].get("401").is_none(), "{path} is public");
                assert!(get.get("security").is_none(), "{path} is public");
            }
        }
        let scheme = &doc["components"]["securitySchemes"][problem::openapi::API_KEY_SCHEME];
        assert_eq!(
            (&scheme["in"], &scheme["name"]),
            (&"header".into(), &"x-api-key".into())
        );
    }

    #[test]
    fn every_route_documents_the_rate_limit_and_the_load_limits() {
        let doc = serde_json::to_value(document()).unwrap();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for operation in ["get", "post", "put"].iter().filter_map(|m| item.get(*m)) {
                for status in ["429", "503", "504"] {
                    assert!(
                        operation["responses"].get(status).is_some(),
                        "{path} lacks {status}"
                    );
                }
            }
        }
        let rate_limited = &doc["components"]["responses"]["RateLimited"];
        assert!(rate_limited["headers"].get("Retry-After").is_some());
        let healthz = &doc["paths"]["/healthz"]["get"]["responses"];
        assert_eq!(healthz["503"]["$ref"], "#/components/responses/Overloaded");
    }
}
