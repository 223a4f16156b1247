//! What an answer of Stripe's means for the port. Stripe's
//! [errors](https://docs.stripe.com/api/errors) say it by HTTP status and by the
//! `type` of the error body:
//!
//! | answer | [`PaymentError`] |
//! |---|---|
//! | 402, or any `card_error` | `Declined` with the body's `code`, `decline_code`, `message` |
//! | 408, 409 (a concurrent call with the same key), 429, 5xx, or any other status | `Unavailable`: the outcome is unknown |
//! | other 4xx (400, 401, 403, 404, ...) | `Invalid` with the body's `code` (or `http_<status>`) |
//! | no answer within the timeout | `Timeout` |
//! | unreachable (refused, reset, DNS, TLS, connect timeout) | `Unavailable` |
//!
//! A connect timeout is `Unavailable`, not `Timeout`: nothing was sent. Stripe's message
//! is kept (it is written for the customer and holds no secret); the body of an answer
//! that is not Stripe's (a proxy's page) is not.

use reqwest::StatusCode;

use super::wire::WireError;
use crate::PaymentError;

/// The error of an answer that is not a success.
pub(super) fn refusal(status: StatusCode, body: &[u8]) -> PaymentError {
    let error = WireError::read(body);
    let code = error
        .code
        .clone()
        .unwrap_or_else(|| format!("http_{}", status.as_u16()));
    let message = error
        .message
        .clone()
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("").to_owned());
    if status == StatusCode::PAYMENT_REQUIRED || error.kind.as_deref() == Some("card_error") {
        return PaymentError::Declined {
            code,
            decline_code: error.decline_code,
            message,
        };
    }
    let unknown_outcome = matches!(
        status,
        StatusCode::REQUEST_TIMEOUT | StatusCode::CONFLICT | StatusCode::TOO_MANY_REQUESTS
    ) || !status.is_client_error();
    if unknown_outcome {
        PaymentError::Unavailable(format!("Stripe answered {status} ({code})"))
    } else {
        PaymentError::Invalid { code, message }
    }
}

/// The error of a call that got no answer.
pub(super) fn no_answer(error: &reqwest::Error) -> PaymentError {
    if error.is_timeout() && !error.is_connect() {
        PaymentError::Timeout
    } else {
        PaymentError::Unavailable(format!("Stripe is unreachable: {error}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DECLINED: &[u8] = br#"{"error":{"type":"card_error","code":"card_declined","decline_code":"generic_decline","message":"Your card was declined."}}"#;

    #[test]
    fn a_402_or_a_card_error_is_a_decline_with_stripes_codes() {
        assert_eq!(
            refusal(StatusCode::PAYMENT_REQUIRED, DECLINED),
            PaymentError::Declined {
                code: "card_declined".into(),
                decline_code: Some("generic_decline".into()),
                message: "Your card was declined.".into(),
            }
        );
        assert!(matches!(
            refusal(StatusCode::BAD_REQUEST, DECLINED),
            PaymentError::Declined { .. }
        ));
        assert!(matches!(
            refusal(StatusCode::PAYMENT_REQUIRED, b""),
            PaymentError::Declined { ref code, decline_code: None, .. } if code == "http_402"
        ));
    }

    #[test]
    fn server_errors_rate_limits_and_concurrent_keys_leave_the_outcome_unknown() {
        for status in [500, 502, 503, 504, 429, 409, 408, 301] {
            let status = StatusCode::from_u16(status).unwrap();
            let error = refusal(status, b"<html>oops</html>");
            assert!(error.is_outcome_unknown(), "{status}: {error:?}");
            assert!(!error.to_string().contains("oops"), "{error}");
        }
    }

    #[test]
    fn other_client_errors_are_invalid_with_stripes_code() {
        let body = br#"{"error":{"type":"invalid_request_error","code":"payment_intent_unexpected_state","message":"This PaymentIntent's amount could not be captured because it has a status of canceled."}}"#;
        assert!(matches!(
            refusal(StatusCode::BAD_REQUEST, body),
            PaymentError::Invalid { ref code, .. } if code == "payment_intent_unexpected_state"
        ));
        assert!(matches!(
            refusal(StatusCode::UNAUTHORIZED, b""),
            PaymentError::Invalid { ref code, .. } if code == "http_401"
        ));
    }
}
