//! Starts inventory-api on a free port against a given upstream, and the assertions
//! the tests share.

use inventory_api::{config::Settings, startup};
use serde_json::Value;
use wiremock::{Mock, MockServer, ResponseTemplate, matchers::any};

/// A running inventory-api; stops when dropped.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    _running: service::Spawned,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// POSTs `body` as raw bytes with a JSON content type.
    pub async fn post_raw(&self, path: &str, body: impl Into<reqwest::Body>) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("request to inventory-api")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request to inventory-api")
    }
}

/// Settings for a test: free port on loopback, generous timeouts, no keys.
pub fn settings(upstream: &str) -> Settings {
    Settings::for_tests(upstream)
}

pub async fn spawn_app(upstream: &str) -> TestApp {
    spawn_app_with(settings(upstream)).await
}

pub async fn spawn_app_with(settings: Settings) -> TestApp {
    let running = startup::build(settings)
        .await
        .expect("build inventory-api")
        .spawn();
    TestApp {
        address: running.address.clone(),
        client: reqwest::Client::new(),
        _running: running,
    }
}

/// An upstream that must receive nothing: checked when the server is dropped.
pub async fn upstream_expecting_no_call() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    server
}

/// An address on which nothing listens: bound, then released.
pub async fn closed_port_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// Asserts a problem+json answer with `status` and `code`; returns its body.
pub async fn assert_problem(response: reqwest::Response, status: u16, code: &str) -> Value {
    let context = format!("{} {}", response.status(), response.url());
    assert_eq!(response.status().as_u16(), status, "status of {context}");
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap()),
        Some("application/problem+json"),
        "content type of {context}"
    );
    let body: Value = response.json().await.expect("problem body is JSON");
    assert_eq!(body["code"], code, "code of {context}: {body}");
    assert_eq!(body["status"], status, "status member of {context}");
    body
}
