//! Requests that run to their end even when the caller goes away.
//!
//! When a client disconnects or times out, the HTTP server drops the handler's future
//! wherever it stands. A handler that is inside a database transaction then stops
//! between two statements; worse, sqlx 0.9 cannot tell when a future is dropped while
//! its `BEGIN` is in flight, and hands that connection back to the pool still inside a
//! transaction, where the next borrower's writes land and may never commit
//! (transact-rs/sqlx#4393). Running every handler as its own task means a started
//! request always finishes (commits or rolls back); only its answer is lost, and the
//! caller's retry (the APIs are idempotent) finds the outcome.

use axum::{
    extract::Request,
    http::StatusCode,
    middleware::Next,
    response::{IntoResponse, Response},
};
use tracing::Instrument;

/// Middleware (`.layer(axum::middleware::from_fn(telemetry::run_to_completion))`, inside
/// the trace layer) that runs the rest of the request in a task of its own.
pub async fn run_to_completion(request: Request, next: Next) -> Response {
    let span = tracing::Span::current();
    match tokio::spawn(next.run(request).instrument(span)).await {
        Ok(response) => response,
        Err(e) => {
            tracing::error!(error = %e, "request handler panicked");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use std::{
        sync::{
            Arc,
            atomic::{AtomicBool, Ordering},
        },
        time::Duration,
    };

    use axum::{Router, routing::get};
    use tokio::net::TcpStream;

    use super::*;

    /// Serves a handler that takes 300 ms, sends it a request, hangs up after 50 ms, and
    /// says whether the handler got to its end.
    async fn finished_after_hang_up(with_layer: bool) -> bool {
        let done = Arc::new(AtomicBool::new(false));
        let flag = done.clone();
        let mut app = Router::new().route(
            "/slow",
            get(move || async move {
                tokio::time::sleep(Duration::from_millis(300)).await;
                flag.store(true, Ordering::SeqCst);
            }),
        );
        if with_layer {
            app = app.layer(axum::middleware::from_fn(run_to_completion));
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        let client = TcpStream::connect(addr).await.unwrap();
        client.writable().await.unwrap();
        let request = b"GET /slow HTTP/1.1\r\nhost: x\r\n\r\n";
        assert_eq!(client.try_write(request).unwrap(), request.len());
        tokio::time::sleep(Duration::from_millis(50)).await;
        drop(client);
        tokio::time::sleep(Duration::from_millis(600)).await;
        done.load(Ordering::SeqCst)
    }

    #[tokio::test]
    async fn a_request_whose_caller_hangs_up_still_runs_to_its_end() {
        assert!(finished_after_hang_up(true).await);
    }

    #[tokio::test]
    async fn without_it_the_server_drops_the_handler_midway() {
        assert!(!finished_after_hang_up(false).await);
    }
}
