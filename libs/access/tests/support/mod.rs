//! Helpers shared by the HTTP tests: an [`Access`] from a few variables and one request
//! sent through a router. Test-only; never holds a real key.

#![allow(dead_code)]

use std::{collections::HashMap, net::IpAddr};

use access::Access;
use axum::{
    Router,
    body::Body,
    http::{HeaderMap, Request, StatusCode},
};
use serde_json::Value;
use tower::ServiceExt;

pub const SHOP_KEY: &str = "shop-0123456789abcdef";
pub const OPS_KEY: &str = "ops-0123456789abcdef";
pub const ADMIN_KEY: &str = "admin-0123456789abcdef";

pub fn access(bind: [u8; 4], vars: &[(&str, &str)]) -> Access {
    let vars: HashMap<&str, &str> = vars.iter().copied().collect();
    Access::from_lookup(IpAddr::from(bind), |name| {
        vars.get(name).map(|v| (*v).to_owned())
    })
    .unwrap()
}

pub fn keyed(extra: &[(&str, &str)]) -> Access {
    let api_keys = format!("shop:{SHOP_KEY}:checkout;ops:{OPS_KEY}:stock+reserve");
    let mut vars = vec![("API_KEYS", api_keys.as_str())];
    vars.extend_from_slice(extra);
    access([0, 0, 0, 0], &vars)
}

pub fn request(method: &str, uri: &str, key: Option<&str>) -> Request<Body> {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(key) = key {
        request = request.header("x-api-key", key);
    }
    request.body(Body::empty()).unwrap()
}

/// The answer's status, headers and body (JSON when it parses, else the text as a
/// JSON string).
pub async fn send(router: &Router, request: Request<Body>) -> (StatusCode, HeaderMap, Value) {
    let response = router.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (parts.status, parts.headers, body)
}

pub fn assert_problem(headers: &HeaderMap, body: &Value, code: &str) {
    assert_eq!(headers["content-type"], problem::CONTENT_TYPE);
    assert_eq!(body["code"], code, "{body}");
}
