//! Load shedding for a whole router: at most `MAX_CONCURRENT_REQUESTS` in flight, each
//! cut off after `REQUEST_TIMEOUT_MS`.
//!
//! It must never queue: a request that finds every slot taken is answered 503
//! `overloaded` at once, so an overloaded facade sheds work in microseconds instead of
//! piling up requests that time out anyway.

use std::{future::Ready, time::Duration};

use axum::{
    BoxError,
    error_handling::{HandleError, HandleErrorLayer},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use problem::Problem;
use thiserror::Error;
use tower::{
    Layer,
    limit::{ConcurrencyLimit, GlobalConcurrencyLimitLayer},
    load_shed::{LoadShed, error::Overloaded},
    timeout::{Timeout, error::Elapsed},
};

/// `MAX_CONCURRENT_REQUESTS` default of the domain services, which serve what their
/// facades admitted: well above what the facades let through, so a domain service sheds
/// only when something else than its facade floods it. Each facade sets its own, lower
/// default from what it can finish in about 100 ms (Little's law: requests in flight =
/// throughput × latency, so past the throughput the machine sustains, every request more
/// in flight only adds latency to all the others).
pub const DEFAULT_MAX_CONCURRENT_REQUESTS: usize = 256;

/// `REQUEST_TIMEOUT_MS` default: above every upstream timeout of the facades (2 s per
/// call, a checkout makes a few), so it cuts off only requests that are stuck.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the load settings were refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LimitsError {
    #[error("MAX_CONCURRENT_REQUESTS={raw:?} is not a whole number above 0")]
    MaxConcurrentRequests { raw: String },
    #[error("REQUEST_TIMEOUT_MS={raw:?} is not a whole number of milliseconds above 0")]
    RequestTimeout { raw: String },
}

/// How much one facade takes on at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadLimits {
    max_concurrent_requests: usize,
    request_timeout: Duration,
}

impl Default for LoadLimits {
    fn default() -> Self {
        Self {
            max_concurrent_requests: DEFAULT_MAX_CONCURRENT_REQUESTS,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
        }
    }
}

impl LoadLimits {
    /// Both limits must be above zero: a zero limit would refuse every request.
    pub fn new(
        max_concurrent_requests: usize,
        request_timeout: Duration,
    ) -> Result<Self, LimitsError> {
        if max_concurrent_requests == 0 {
            return Err(LimitsError::MaxConcurrentRequests { raw: "0".into() });
        }
        if request_timeout.is_zero() {
            return Err(LimitsError::RequestTimeout { raw: "0".into() });
        }
        Ok(Self {
            max_concurrent_requests,
            request_timeout,
        })
    }

    /// Reads `MAX_CONCURRENT_REQUESTS` and `REQUEST_TIMEOUT_MS`.
    pub fn from_env() -> anyhow::Result<Self> {
        Ok(Self::from_lookup(|name| std::env::var(name).ok())?)
    }

    /// Same as [`LoadLimits::from_env`], reading variables through `lookup`. Blank values
    /// count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, LimitsError> {
        Self::default().overridden_by(lookup)
    }

    /// These limits, with whatever `MAX_CONCURRENT_REQUESTS` and `REQUEST_TIMEOUT_MS`
    /// say through `lookup` in their place: a service with defaults of its own.
    pub fn overridden_by(
        self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, LimitsError> {
        let read = |name: &str| lookup(name).filter(|raw| !raw.trim().is_empty());
        let positive = |raw: &str| raw.trim().parse::<u64>().ok().filter(|n| *n > 0);
        let mut limits = self;
        if let Some(raw) = read("MAX_CONCURRENT_REQUESTS") {
            limits.max_concurrent_requests = positive(&raw)
                .and_then(|n| usize::try_from(n).ok())
                .ok_or(LimitsError::MaxConcurrentRequests { raw })?;
        }
        if let Some(raw) = read("REQUEST_TIMEOUT_MS") {
            limits.request_timeout = positive(&raw)
                .map(Duration::from_millis)
                .ok_or(LimitsError::RequestTimeout { raw })?;
        }
        Ok(limits)
    }

    pub fn max_concurrent_requests(&self) -> usize {
        self.max_concurrent_requests
    }

    pub fn request_timeout(&self) -> Duration {
        self.request_timeout
    }

    /// The layer stack for a router. One stack shares one budget across every route it
    /// wraps: make it once per router.
    pub fn layer(&self) -> LoadShedding {
        LoadShedding {
            // Global: `Router::layer` wraps each route apart, and a per-route limit would
            // multiply the budget by the number of routes.
            limit: GlobalConcurrencyLimitLayer::new(self.max_concurrent_requests),
            timeout: self.request_timeout,
        }
    }
}

/// Made by [`LoadLimits::layer`].
#[derive(Debug, Clone)]
pub struct LoadShedding {
    limit: GlobalConcurrencyLimitLayer,
    timeout: Duration,
}

/// What turns a shed or timed-out request into its problem.
pub type ShedAnswer = fn(BoxError) -> Ready<Response>;

/// The service of [`LoadShedding`]: refuse when full, else run within the timeout, and
/// answer either failure as a problem.
pub type Shed<S> = HandleError<LoadShed<ConcurrencyLimit<Timeout<S>>>, ShedAnswer, ()>;

impl<S> Layer<S> for LoadShedding {
    type Service = Shed<S>;

    fn layer(&self, inner: S) -> Self::Service {
        // Innermost is the timeout, so a request cut off gives its slot back.
        let limited = self.limit.layer(Timeout::new(inner, self.timeout));
        HandleErrorLayer::new(answer as ShedAnswer).layer(LoadShed::new(limited))
    }
}

fn answer(error: BoxError) -> Ready<Response> {
    std::future::ready(if error.is::<Overloaded>() {
        // A 503 problem carries `Retry-After: 1`.
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "overloaded",
            "Service overloaded",
        )
        .with_detail("too many requests in progress; retry shortly")
        .into_response()
    } else if error.is::<Elapsed>() {
        // 504, not 503: the request was cut off mid-way, so whatever it asked for may or
        // may not have happened; 503 would claim it is safe to resend.
        Problem::new(
            StatusCode::GATEWAY_TIMEOUT,
            "request_timeout",
            "Request timed out",
        )
        .with_detail("the request took longer than this service allows")
        .into_response()
    } else {
        tracing::error!(error = %error, "request failed in the load-shedding layers");
        Problem::internal().into_response()
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn limits(vars: &[(&str, &str)]) -> Result<LoadLimits, LimitsError> {
        let vars: HashMap<&str, &str> = vars.iter().copied().collect();
        LoadLimits::from_lookup(|name| vars.get(name).map(|v| (*v).to_owned()))
    }

    #[test]
    fn unset_limits_take_the_defaults() {
        let limits = limits(&[("REQUEST_TIMEOUT_MS", " ")]).unwrap();
        assert_eq!(limits.max_concurrent_requests(), 256);
        assert_eq!(limits.request_timeout(), Duration::from_secs(10));
    }

    #[test]
    fn limits_are_read_from_the_environment() {
        let limits = limits(&[
            ("MAX_CONCURRENT_REQUESTS", "64"),
            ("REQUEST_TIMEOUT_MS", "2500"),
        ])
        .unwrap();
        assert_eq!(
            limits,
            LoadLimits::new(64, Duration::from_millis(2500)).unwrap()
        );
    }

    #[test]
    fn zero_or_garbage_limits_stop_start_up_naming_the_variable() {
        for (name, raw) in [
            ("MAX_CONCURRENT_REQUESTS", "0"),
            ("MAX_CONCURRENT_REQUESTS", "many"),
            ("REQUEST_TIMEOUT_MS", "0"),
            ("REQUEST_TIMEOUT_MS", "1s"),
        ] {
            let err = limits(&[(name, raw)]).unwrap_err();
            assert!(err.to_string().starts_with(name), "{err}");
        }
        assert!(LoadLimits::new(0, Duration::from_secs(1)).is_err());
        assert!(LoadLimits::new(1, Duration::ZERO).is_err());
    }
}
