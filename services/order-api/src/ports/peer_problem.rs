//! A peer's RFC 9457 problem, read into a struct: its status (from the answer), its
//! stable `code`, its title and detail, and its extensions (such as `shortages`), so that
//! a refusal is passed on to the client as the peer phrased it, through [`Problem`].

use axum::http::StatusCode;
use problem::Problem;
use serde::Deserialize;
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq)]
pub struct PeerProblem {
    status: StatusCode,
    code: String,
    title: String,
    detail: Option<String>,
    extensions: Map<String, Value>,
}

/// The body; `type` and `status` are left out of the extensions: [`Problem`] derives
/// `type` from the code, and the status is the answer's.
#[derive(Deserialize)]
struct Body {
    code: String,
    title: String,
    #[serde(default)]
    detail: Option<String>,
    #[serde(rename = "type", default)]
    _type: Option<Value>,
    #[serde(rename = "status", default)]
    _status: Option<Value>,
    #[serde(flatten)]
    extensions: Map<String, Value>,
}

impl PeerProblem {
    /// Reads the body of an answer with `status`; `None` unless it is a problem with a
    /// code and a title.
    pub fn read(status: StatusCode, body: &[u8]) -> Option<Self> {
        let body: Body = serde_json::from_slice(body).ok()?;
        Some(Self {
            status,
            code: body.code,
            title: body.title,
            detail: body.detail,
            extensions: body.extensions,
        })
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn code(&self) -> &str {
        &self.code
    }
}

impl std::fmt::Display for PeerProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.code)
    }
}

impl From<PeerProblem> for Problem {
    fn from(peer: PeerProblem) -> Self {
        let mut problem = Problem::new(peer.status, peer.code, peer.title);
        if let Some(detail) = peer.detail {
            problem = problem.with_detail(detail);
        }
        peer.extensions
            .into_iter()
            .fold(problem, |problem, (key, value)| {
                problem.with_extension(&key, value)
            })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_peer_problem_is_passed_on_as_the_peer_phrased_it() {
        let sent = json!({
            "type": "urn:inventory-saga:problem:invalid_transition",
            "title": "Conflict",
            "status": 409,
            "detail": "the order is CONFIRMED",
            "code": "invalid_transition",
            "orderId": "0192f1c3-7a1e-7c3e-9a0b-1f2e3d4c5b6a",
        });
        let read = PeerProblem::read(StatusCode::CONFLICT, sent.to_string().as_bytes()).unwrap();
        assert_eq!(read.code(), "invalid_transition");
        assert_eq!(Problem::from(read).body(), sent);
    }

    #[test]
    fn a_body_that_is_not_a_problem_is_not_read() {
        for body in [&b"<html>no route</html>"[..], b"{}", br#"{"code": "x"}"#] {
            assert!(PeerProblem::read(StatusCode::NOT_FOUND, body).is_none());
        }
    }
}
