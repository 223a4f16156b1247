//! `RATE_LIMIT_PER_SEC`: a budget of requests per second for each caller, refilled
//! continuously (GCRA), with bursts of up to one second's worth.
//!
//! Callers are told apart by name when their key is known, else by client address, so a
//! client without a key (or guessing keys) is limited too. A key is never a limiter key:
//! the limiter's table outlives the request and may be dumped.

use std::{
    net::IpAddr,
    num::NonZeroU32,
    sync::atomic::{AtomicU32, Ordering},
    time::Duration,
};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter, clock::Clock};

use crate::CallerName;

/// Checks between two sweeps of the idle entries out of the limiter's table.
const SWEEP_EVERY: u32 = 4096;

/// Whose budget a request spends.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum RateKey {
    Caller(CallerName),
    Address(IpAddr),
    /// No client address known (the server was not given one): all such requests share
    /// one budget, which errs on the side of refusing.
    Unaddressed,
}

pub(crate) struct RateLimit {
    per_second: NonZeroU32,
    limiter: DefaultKeyedRateLimiter<RateKey>,
    checks: AtomicU32,
}

impl RateLimit {
    pub(crate) fn per_second(per_second: NonZeroU32) -> Self {
        Self {
            per_second,
            limiter: RateLimiter::keyed(Quota::per_second(per_second)),
            checks: AtomicU32::new(0),
        }
    }

    pub(crate) fn limit(&self) -> NonZeroU32 {
        self.per_second
    }

    /// `Ok` when `key` has budget left (and spends it), else how long until it has some.
    pub(crate) fn check(&self, key: &RateKey) -> Result<(), Duration> {
        self.sweep_now_and_then();
        self.limiter
            .check_key(key)
            .map_err(|not_until| not_until.wait_time_from(self.limiter.clock().now()))
    }

    /// Forgets the callers whose budget is full again: without it every client address
    /// ever seen would stay in memory.
    fn sweep_now_and_then(&self) {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
    }
}

impl std::fmt::Debug for RateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimit")
            .field("per_second", &self.per_second)
            .field("tracked", &self.limiter.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str) -> RateKey {
        RateKey::Caller(CallerName::parse(name).unwrap())
    }

    #[test]
    fn a_caller_gets_one_seconds_worth_then_waits() {
        let limit = RateLimit::per_second(NonZeroU32::new(3).unwrap());
        for _ in 0..3 {
            assert!(limit.check(&key("shop")).is_ok());
        }
        let wait = limit.check(&key("shop")).unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(1),
            "{wait:?}"
        );
    }

    #[test]
    fn each_caller_and_address_has_its_own_budget() {
        let limit = RateLimit::per_second(NonZeroU32::new(1).unwrap());
        assert!(limit.check(&key("shop")).is_ok());
        assert!(limit.check(&key("shop")).is_err());
        assert!(limit.check(&key("ops")).is_ok());
        assert!(limit.check(&RateKey::Address([10, 0, 0, 1].into())).is_ok());
        assert!(limit.check(&RateKey::Address([10, 0, 0, 2].into())).is_ok());
    }
}
