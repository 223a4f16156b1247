//! Who may change orders: order-service is internal, but when `ORDER_SERVICE_API_KEY` is
//! set the routes that change an order (place, confirm, cancel, hand over) need that key
//! in `x-api-key`, so that only order-api, not anything else on the network, drives the
//! saga. Reads and probes stay open.

use access::ServiceKey;
use axum::{
    extract::{Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};

/// Route layer: answers 401 `unauthorized` (problem+json) before the handler runs, so a
/// refused request reads nothing and changes nothing.
pub(super) async fn require_key(
    State(key): State<ServiceKey>,
    request: Request,
    next: Next,
) -> Response {
    match key.check(request.headers()) {
        Ok(()) => next.run(request).await,
        Err(refused) => {
            tracing::warn!("call to an order-changing route without the service key refused");
            refused.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::{Router, middleware, routing::post};

    use super::*;

    const KEY: &str = "order-api-0123456789abcdef";

    /// A route behind the layer, served on a free port; its base URL.
    async fn serve_guarded() -> String {
        let key = ServiceKey::parse(KEY).unwrap();
        let app = Router::new()
            .route("/orders", post(|| async { "placed" }))
            .route_layer(middleware::from_fn_with_state(key, require_key));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{address}")
    }

    async fn place(base: &str, key: Option<&str>) -> reqwest::Response {
        let mut request = reqwest::Client::new().post(format!("{base}/orders"));
        if let Some(key) = key {
            request = request.header("x-api-key", key);
        }
        request.send().await.unwrap()
    }

    #[tokio::test]
    async fn access_without_the_service_key_is_a_401_problem() {
        let base = serve_guarded().await;
        for key in [None, Some("order-api-0123456789abcdeX"), Some("")] {
            let refused = place(&base, key).await;
            assert_eq!(refused.status().as_u16(), 401, "{key:?}");
            assert_eq!(
                refused.headers()["content-type"],
                problem::CONTENT_TYPE,
                "{key:?}"
            );
            let body: serde_json::Value = refused.json().await.unwrap();
            assert_eq!(body["code"], "unauthorized");
        }
    }

    #[tokio::test]
    async fn access_with_the_service_key_reaches_the_handler() {
        let base = serve_guarded().await;
        let placed = place(&base, Some(KEY)).await;
        assert_eq!(placed.status().as_u16(), 200);
        assert_eq!(placed.text().await.unwrap(), "placed");
    }
}
