//! The OpenAPI document of order-api, served at `/openapi.json`.
//!
//! Routes declare their success and domain answers next to their handlers; the answers
//! many routes share (bad input, no key or the wrong scope, over the rate, overloaded,
//! cut off) are added here once, by [`CommonProblems`], so the document and the code
//! cannot drift route by route.

use axum::Json;
use contracts::Money;
use contracts::inventory::Shortage;
use contracts::orders::{
    CancelOrderRequest, CheckoutView, CreateOrderRequest, OrderItemView, OrderLineRequest,
    OrderView, PaymentRequest, PaymentView, TransitionView,
};
use problem::openapi::{
    FORBIDDEN, OVERLOADED, PAYLOAD_TOO_LARGE, RATE_LIMITED, SharedProblem, UNAUTHORIZED,
    UNSUPPORTED_MEDIA_TYPE,
};
use serde::Serialize;
use utoipa::{
    Modify, OpenApi, ToSchema,
    openapi::{self, Required, path::Operation},
};

/// An RFC 9457 problem, as every error of this API is.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemDocument {
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    pub detail: Option<String>,
    /// Stable machine-readable code, e.g. `insufficient_stock`.
    pub code: String,
    /// With `forbidden`: the scope the route needs.
    #[schema(example = "checkout")]
    pub scope: Option<String>,
    /// With `rate_limited`: the same as the `Retry-After` header.
    pub retry_after_seconds: Option<u64>,
}

#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "order-api",
        description = "Checkout: the HTTP-first saga, with the event-driven path as its fallback. Errors are application/problem+json with a stable `code`."
    ),
    paths(
        crate::routes::checkout,
        crate::routes::get,
        crate::routes::cancel,
        crate::routes::alive,
        crate::routes::ready,
        serve,
    ),
    components(schemas(
        CreateOrderRequest,
        OrderLineRequest,
        PaymentRequest,
        Money,
        OrderItemView,
        PaymentView,
        CheckoutView,
        OrderView,
        TransitionView,
        CancelOrderRequest,
        Shortage,
        ProblemDocument
    )),
    modifiers(&CommonProblems),
)]
pub struct ApiDoc;

/// This document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "health",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json"))
)]
pub async fn serve() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// Adds what routes share: the key header (security scheme `api_key`) and 401/403 on the
/// routes that take a caller (every `POST`); body problems on routes that take a body;
/// 429, 503 and 504 from the access and load layers on every route.
struct CommonProblems;

const MALFORMED_JSON: SharedProblem = SharedProblem::new(
    "400",
    "MalformedJson",
    "The body is not JSON (`malformed_json`)",
);
const INVALID_INPUT: SharedProblem = SharedProblem::new(
    "422",
    "InvalidInput",
    "A value breaks a rule (`invalid_body`, `invalid_customer_id`, `invalid_items`, `invalid_reason`, ...); nothing changed",
);
const UNAVAILABLE: SharedProblem = SharedProblem::new(
        "503",
        "Unavailable",
        "order-service cannot be reached (`order_service_unavailable`), or this facade has too many requests in progress (`overloaded`, with `Retry-After`)",
)
.with_retry_after();
const REQUEST_TIMEOUT: SharedProblem = SharedProblem::new(
    "504",
    "RequestTimeout",
    "The request ran past `REQUEST_TIMEOUT_MS` (`request_timeout`); the outcome is unknown (a checkout retried with its Idempotency-Key finds its order)",
);

const ALL_SHARED: [&SharedProblem; 10] = [
    &MALFORMED_JSON,
    &UNAUTHORIZED,
    &FORBIDDEN,
    &PAYLOAD_TOO_LARGE,
    &UNSUPPORTED_MEDIA_TYPE,
    &INVALID_INPUT,
    &RATE_LIMITED,
    &UNAVAILABLE,
    &OVERLOADED,
    &REQUEST_TIMEOUT,
];

/// Routes that answer by themselves, without calling order-service.
const LOCAL_ROUTES: [&str; 2] = ["/healthz", "/openapi.json"];

impl Modify for CommonProblems {
    fn modify(&self, doc: &mut openapi::OpenApi) {
        problem::openapi::document_problems(
            doc,
            access::API_KEY_HEADER,
            "A key of `API_KEYS` with the scope the route names. A facade on loopback \
             without `API_KEYS` needs none (every caller is `anonymous`).",
            &ALL_SHARED,
            // Every `POST` of this facade takes a caller with a scope; every `GET` is public.
            |path, needs_caller, operation| {
                common_problems(operation, !LOCAL_ROUTES.contains(&path), needs_caller)
            },
        );
    }
}

fn common_problems(
    operation: &mut Operation,
    calls_order_service: bool,
    needs_caller: bool,
) -> Vec<&'static SharedProblem> {
    let mut shared = Vec::new();
    if needs_caller {
        shared.extend([&UNAUTHORIZED, &FORBIDDEN]);
        problem::openapi::require_api_key(operation);
    }
    if let Some(body) = &operation.request_body {
        shared.extend([&MALFORMED_JSON, &PAYLOAD_TOO_LARGE, &INVALID_INPUT]);
        // An optional body (a cancel's reason) is read whatever its content type.
        if matches!(body.required, Some(Required::True)) {
            shared.push(&UNSUPPORTED_MEDIA_TYPE);
        }
    }
    shared.push(&RATE_LIMITED);
    shared.push(if calls_order_service {
        &UNAVAILABLE
    } else {
        &OVERLOADED
    });
    shared.push(&REQUEST_TIMEOUT);
    shared
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn document() -> Value {
        serde_json::to_value(ApiDoc::openapi()).unwrap()
    }

    fn statuses(doc: &Value, path: &str, method: &str) -> Vec<String> {
        let mut statuses: Vec<String> = doc["paths"][path][method]["responses"]
            .as_object()
            .unwrap_or_else(|| panic!("{method} {path} is not documented"))
            .keys()
            .cloned()
            .collect();
        statuses.sort();
        statuses
    }

    #[test]
    fn every_answer_of_the_routes_that_change_orders_is_documented() {
        let doc = document();
        assert_eq!(
            statuses(&doc, "/checkout", "post"),
            [
                "201", "202", "400", "401", "403", "409", "413", "415", "422", "429", "503", "504"
            ]
        );
        assert_eq!(
            statuses(&doc, "/orders/{id}/cancel", "post"),
            [
                "200", "400", "401", "403", "404", "409", "413", "422", "429", "503", "504"
            ]
        );
        for path in ["/checkout", "/orders/{id}/cancel"] {
            assert_eq!(
                doc["paths"][path]["post"]["security"][0][problem::openapi::API_KEY_SCHEME],
                json!([])
            );
        }
    }

    #[test]
    fn the_location_of_a_checkout_is_documented_in_and_out() {
        let doc = document();
        let schemas = &doc["components"]["schemas"];
        let request = &schemas["CreateOrderRequest"];
        assert!(
            request["properties"].get("locationId").is_some(),
            "{request}"
        );
        assert!(
            !request["required"]
                .as_array()
                .unwrap()
                .contains(&json!("locationId")),
            "a checkout names a location or not"
        );
        for answer in ["CheckoutView", "OrderView"] {
            assert!(
                schemas[answer]["properties"].get("locationId").is_some(),
                "{answer}"
            );
        }
        let invalid = doc["paths"]["/checkout"]["post"]["responses"]["422"]["description"]
            .as_str()
            .unwrap();
        assert!(invalid.contains("invalid_store_id"), "{invalid}");
    }

    #[test]
    fn reads_and_probes_are_public_and_document_the_layers_answers() {
        let doc = document();
        assert_eq!(
            statuses(&doc, "/orders/{id}", "get"),
            ["200", "404", "429", "503", "504"]
        );
        for path in ["/orders/{id}", "/healthz", "/readyz", "/openapi.json"] {
            let get = &doc["paths"][path]["get"];
            assert!(get.get("security").is_none(), "{path} is public");
            for status in ["429", "503", "504"] {
                assert!(
                    get["responses"].get(status).is_some(),
                    "{path} lacks {status}"
                );
            }
        }
        let rate_limited = &doc["components"]["responses"]["RateLimited"];
        assert!(rate_limited["headers"].get("Retry-After").is_some());
    }
}
