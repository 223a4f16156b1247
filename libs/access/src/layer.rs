//! The access layer: on every request, identifies the caller from `x-api-key`, names
//! it on the request's span, spends its rate budget and leaves the result for the
//! [`Caller`](crate::Caller) extractor.
//!
//! It never refuses a request for want of a key (public routes take no caller; the
//! extractor answers 401 where one is needed), and never records or logs the key.

use std::task::{Context, Poll};

use axum::{
    extract::Request,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use futures::future::{Either, Ready, ready};
use problem::Problem;
use tower::{Layer, Service};

use crate::{Access, caller::Identity, rate_limit::RateKey};

/// Made by [`Access::layer`]; put it on a router before (inside) the trace layer, so
/// that the request's span is current when the caller is named on it.
#[derive(Debug, Clone)]
pub struct AccessLayer {
    access: Access,
}

impl AccessLayer {
    pub(crate) fn new(access: Access) -> Self {
        Self { access }
    }
}

impl<S> Layer<S> for AccessLayer {
    type Service = AccessService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AccessService {
            access: self.access.clone(),
            inner,
        }
    }
}

/// The service of [`AccessLayer`].
#[derive(Debug, Clone)]
pub struct AccessService<S> {
    access: Access,
    inner: S,
}

impl<S> Service<Request> for AccessService<S>
where
    S: Service<Request, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Either<Ready<Result<Response, S::Error>>, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        let identity = self.access.identify(request.headers());
        if let Identity::Known(caller) = &identity {
            // The span declares `caller` (or not); recording an undeclared field is a no-op.
            tracing::Span::current().record("caller", caller.name().as_str());
        }
        if let Err((key, wait)) = self.access.check_rate(&identity, request.extensions()) {
            return Either::Left(ready(Ok(too_many_requests(&key, wait))));
        }
        request.extensions_mut().insert(identity);
        Either::Right(self.inner.call(request))
    }
}

/// 429 `rate_limited` with `Retry-After` in whole seconds, at least 1 (0 would invite an
/// immediate retry that is refused again).
fn too_many_requests(key: &RateKey, wait: std::time::Duration) -> Response {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let seconds = seconds.max(1);
    let who = match key {
        RateKey::Caller(name) => format!("caller `{name}`"),
        RateKey::Address(_) | RateKey::Unaddressed => "this client".to_owned(),
    };
    let mut response = Problem::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "Too many requests",
    )
    .with_detail(format!(
        "{who} is over its rate limit; retry after {seconds} s"
    ))
    .with_extension("retry_after_seconds", seconds)
    .into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}
