//! One step of an order's history: from which status, why (its cause, which also says
//! to which status), driven by which path, and when.

use chrono::{DateTime, Utc};

use super::{Cause, OrderStatus};

/// Which path drove a transition. Its text (`http`, `event`, `timer`) is stored and shown.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::Display, strum::EnumString, strum::IntoStaticStr,
)]
#[strum(serialize_all = "lowercase")]
pub enum SagaPath {
    /// order-api's synchronous calls.
    Http,
    /// The event-driven saga.
    Event,
    /// A timer of the saga (grace over, timeout).
    Timer,
}

impl SagaPath {
    /// The path's text, for labels that must outlive the value.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// `None` for the creation.
    pub from: Option<OrderStatus>,
    pub cause: Cause,
    pub path: SagaPath,
    pub at: DateTime<Utc>,
}

impl Transition {
    pub fn to(&self) -> OrderStatus {
        self.cause.status()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_back_from_their_stored_text() {
        for (path, text) in [
            (SagaPath::Http, "http"),
            (SagaPath::Event, "event"),
            (SagaPath::Timer, "timer"),
        ] {
            assert_eq!(path.to_string(), text);
            assert_eq!(path.as_str(), text);
            assert_eq!(text.parse::<SagaPath>(), Ok(path));
        }
        assert!("HTTP".parse::<SagaPath>().is_err());
    }
}
