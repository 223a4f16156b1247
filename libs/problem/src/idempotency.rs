//! The `Idempotency-Key` header: read and checked once, as a handler's
//! `Option<IdempotencyKey>` argument. No header is no key; a header that is not a valid
//! key is a 422 `invalid_idempotency_key` problem.

use crate::Problem;
use axum::extract::OptionalFromRequestParts;
use axum::http::request::Parts;
use contracts::ValidationError;

/// The header, as it travels both in and out.
pub const HEADER: &str = "idempotency-key";

/// A client's key for one order request: 1 to [`IdempotencyKey::MAX_LEN`] visible ASCII
/// characters (it travels in a header and is stored as it is).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub const MAX_LEN: usize = 200;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        if contracts::is_visible_ascii(raw, Self::MAX_LEN) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(invalid())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn invalid() -> ValidationError {
    ValidationError::new(
        "invalid_idempotency_key",
        format!(
            "Idempotency-Key must be 1 to {} visible ASCII characters",
            IdempotencyKey::MAX_LEN
        ),
    )
}

/// No header is no key; a header that is not a valid key is a 422 problem.
impl<S: Send + Sync> OptionalFromRequestParts<S> for IdempotencyKey {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Problem> {
        let Some(value) = parts.headers.get(HEADER) else {
            return Ok(None);
        };
        let raw = value.to_str().map_err(|_| invalid())?;
        Ok(Some(Self::parse(raw)?))
    }
}

#[cfg(test)]
mod tests {
    use axum::http::Request;

    use super::*;

    async fn extract(header: Option<&[u8]>) -> Result<Option<IdempotencyKey>, Problem> {
        let mut request = Request::builder();
        if let Some(value) = header {
            request = request.header(HEADER, value);
        }
        let (mut parts, ()) = request.body(()).unwrap().into_parts();
        <IdempotencyKey as OptionalFromRequestParts<()>>::from_request_parts(&mut parts, &()).await
    }

    #[test]
    fn a_key_is_one_to_two_hundred_visible_ascii_characters() {
        assert!(IdempotencyKey::parse("k-1").is_ok());
        assert!(IdempotencyKey::parse(&"k".repeat(IdempotencyKey::MAX_LEN)).is_ok());
        let long = "k".repeat(IdempotencyKey::MAX_LEN + 1);
        for bad in ["", "with space", "tab\there", "naïve", long.as_str()] {
            assert_eq!(
                IdempotencyKey::parse(bad).unwrap_err().code,
                "invalid_idempotency_key",
                "{bad:?}"
            );
        }
    }

    #[tokio::test]
    async fn no_header_is_no_key_and_a_header_that_is_no_key_is_a_422() {
        assert_eq!(extract(None).await.unwrap(), None);
        assert_eq!(
            extract(Some(b"k-1")).await.unwrap().unwrap().as_str(),
            "k-1"
        );
        for bad in [&b""[..], b"two words", b"\xff\xfe"] {
            let problem = extract(Some(bad)).await.unwrap_err();
            assert_eq!(problem.code(), "invalid_idempotency_key");
            assert_eq!(problem.status().as_u16(), 422);
        }
    }
}
