//! The OpenAPI 3.1 document of the facade, served at `GET /openapi.json`.
//!
//! Routes declare their success and domain answers (404 `unknown_sku`, 409
//! `insufficient_stock`, ...) next to their handlers; the problems every forwarded route
//! can answer (bad input, upstream unavailable or slow) are added here once, by
//! [`CommonProblems`], so the document and the code cannot drift route by route.

use axum::Json;
use contracts::inventory::Shortage;
use serde::Serialize;
use utoipa::{
    Modify, OpenApi, ToSchema,
    openapi::{
        self, ContentBuilder, Ref, RefOr, ResponseBuilder,
        path::{Operation, ParameterIn},
    },
};

use crate::routes;

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
        routes::inventory::movements,
        routes::reservations::create,
        routes::health::alive,
        routes::health::ready,
        serve,
    ),
    components(schemas(ProblemDocument, Shortage)),
    modifiers(&CommonProblems),
    tags(
        (name = "inventory", description = "Stock of one SKU"),
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

/// Adds the problems shared by routes: input problems to routes that take input, and
/// upstream problems to routes that forward.
struct CommonProblems;

/// (status, component name, description) of each shared problem response.
const MALFORMED_JSON: (&str, &str, &str) = (
    "400",
    "MalformedJson",
    "The body is not JSON (`malformed_json`), or the query string is unreadable (`invalid_query`)",
);
const PAYLOAD_TOO_LARGE: (&str, &str, &str) = (
    "413",
    "PayloadTooLarge",
    "The body is larger than the limit (`payload_too_large`)",
);
const UNSUPPORTED_MEDIA_TYPE: (&str, &str, &str) = (
    "415",
    "UnsupportedMediaType",
    "The body is not sent as application/json (`unsupported_media_type`)",
);
const INVALID_INPUT: (&str, &str, &str) = (
    "422",
    "InvalidInput",
    "A value breaks a rule (`invalid_sku`, `invalid_quantity`, `invalid_order_id`, `invalid_ttl`, `invalid_items`, `duplicate_sku`, `invalid_query`, `invalid_body`)",
);
const INVENTORY_UNAVAILABLE: (&str, &str, &str) = (
    "503",
    "InventoryUnavailable",
    "inventory-service cannot be reached (`inventory_unavailable`)",
);
const UPSTREAM_TIMEOUT: (&str, &str, &str) = (
    "504",
    "UpstreamTimeout",
    "inventory-service did not answer in time (`upstream_timeout`); the outcome is unknown",
);

/// Routes that answer by themselves, without forwarding.
const LOCAL_ROUTES: [&str; 3] = ["/healthz", "/readyz", "/openapi.json"];

impl Modify for CommonProblems {
    fn modify(&self, doc: &mut openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        for (_, name, description) in [
            MALFORMED_JSON,
            PAYLOAD_TOO_LARGE,
            UNSUPPORTED_MEDIA_TYPE,
            INVALID_INPUT,
            INVENTORY_UNAVAILABLE,
            UPSTREAM_TIMEOUT,
        ] {
            let response = ResponseBuilder::new()
                .description(description)
                .content(
                    problem::CONTENT_TYPE,
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ProblemDocument")))
                        .build(),
                )
                .build();
            components
                .responses
                .insert(name.to_owned(), RefOr::T(response));
        }

        for (path, item) in doc.paths.paths.iter_mut() {
            if LOCAL_ROUTES.contains(&path.as_str()) {
                continue;
            }
            for operation in [&mut item.get, &mut item.post].into_iter().flatten() {
                add_common_problems(operation);
            }
        }
    }
}

fn add_common_problems(operation: &mut Operation) {
    let mut shared = Vec::new();
    let params = operation.parameters.as_deref().unwrap_or_default();
    let takes_body = operation.request_body.is_some();
    let takes_query = params
        .iter()
        .any(|p| matches!(p.parameter_in, ParameterIn::Query));
    if takes_body || takes_query {
        shared.push(MALFORMED_JSON);
    }
    if takes_body || !params.is_empty() {
        shared.push(INVALID_INPUT);
    }
    if takes_body {
        shared.extend([PAYLOAD_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE]);
    }
    shared.extend([INVENTORY_UNAVAILABLE, UPSTREAM_TIMEOUT]);
    for (status, name, _) in shared {
        operation
            .responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
    }
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
        let healthz = &doc["paths"]["/healthz"]["get"]["responses"];
        assert!(healthz.get("503").is_none());
    }
}
