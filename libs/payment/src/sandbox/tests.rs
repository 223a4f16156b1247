//! The sandbox through the port, as the checkout will drive it.

use std::time::Duration;

use contracts::OrderId;

use super::*;
use crate::{Currency, IntentStatus, PaymentMethod, PaymentStep};

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::EUR).unwrap()
}

fn order() -> OrderId {
    OrderId::parse("ord-42").unwrap()
}

fn key(step: PaymentStep) -> IdempotencyKey {
    IdempotencyKey::for_order(&order(), step)
}

fn request(method: &str, minor: i64) -> AuthorizeRequest {
    AuthorizeRequest {
        order_id: order(),
        amount: eur(minor),
        method: PaymentMethod::parse(method).unwrap(),
        idempotency_key: key(PaymentStep::Authorize),
    }
}

fn invalid_code<T: std::fmt::Debug>(result: Result<T, PaymentError>) -> String {
    match result {
        Err(PaymentError::Invalid { code, .. }) => code,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

async fn authorized(sandbox: &Sandbox, minor: i64) -> IntentId {
    let authorization = sandbox
        .authorize(&request("tok_visa", minor))
        .await
        .unwrap();
    assert!(authorization.is_authorized());
    authorization.intent_id
}

#[tokio::test]
async fn a_visa_token_authorizes_an_intent_that_holds_the_amount() {
    let sandbox = Sandbox::new();
    let authorization = sandbox.authorize(&request("tok_visa", 1999)).await.unwrap();
    assert_eq!(authorization.status, IntentStatus::RequiresCapture);
    let intent = sandbox
        .find(&IntentLookup::Id(authorization.intent_id.clone()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(intent.amount, eur(1999));
    assert!(intent.captured.is_zero());
    let mastercard = AuthorizeRequest {
        idempotency_key: IdempotencyKey::parse("another").unwrap(),
        ..request("pm_card_mastercard", 500)
    };
    assert!(
        sandbox
            .authorize(&mastercard)
            .await
            .unwrap()
            .is_authorized()
    );
}

#[tokio::test]
async fn a_replay_with_the_same_key_answers_the_first_intent_and_makes_no_second() {
    let sandbox = Sandbox::new();
    let first = sandbox.authorize(&request("tok_visa", 1999)).await.unwrap();
    let replay = sandbox.authorize(&request("tok_visa", 1999)).await.unwrap();
    assert_eq!(replay, first);
    assert_eq!(sandbox.intents().await.unwrap().len(), 1);
}

#[tokio::test]
async fn the_same_key_with_another_request_is_refused_and_changes_nothing() {
    let sandbox = Sandbox::new();
    sandbox.authorize(&request("tok_visa", 1999)).await.unwrap();
    let other_amount = sandbox.authorize(&request("tok_visa", 2999)).await;
    assert_eq!(invalid_code(other_amount), "idempotency_error");
    let intent_id = sandbox.intents().await.unwrap()[0].id.clone();
    let capture_key = key(PaymentStep::Capture);
    sandbox
        .capture(&intent_id, eur(1999), &capture_key)
        .await
        .unwrap();
    assert_eq!(
        invalid_code(sandbox.void(&intent_id, &capture_key).await),
        "idempotency_error"
    );
    assert_eq!(sandbox.intents().await.unwrap().len(), 1);
    assert_eq!(
        sandbox.intents().await.unwrap()[0].status,
        IntentStatus::Succeeded
    );
}

#[tokio::test]
async fn declining_tokens_decline_with_stripes_codes_and_hold_nothing() {
    for (method, decline_code) in [
        ("tok_chargeDeclined", "generic_decline"),
        ("tok_chargeDeclinedInsufficientFunds", "insufficient_funds"),
    ] {
        let sandbox = Sandbox::new();
        let declined = sandbox.authorize(&request(method, 1999)).await;
        let Err(PaymentError::Declined {
            code,
            decline_code: Some(reason),
            message,
        }) = &declined
        else {
            panic!("{method}: expected a decline, got {declined:?}");
        };
        assert_eq!(
            (code.as_str(), reason.as_str()),
            ("card_declined", decline_code)
        );
        assert!(!message.is_empty());
        assert_eq!(
            sandbox.authorize(&request(method, 1999)).await,
            declined,
            "replayed"
        );
        let intent = sandbox
            .find(&IntentLookup::Key(key(PaymentStep::Authorize)))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(intent.status, IntentStatus::RequiresPaymentMethod);
        assert_eq!(sandbox.intents().await.unwrap().len(), 1);
    }
}

#[tokio::test]
async fn an_unknown_method_or_no_amount_is_invalid() {
    let sandbox = Sandbox::new();
    assert_eq!(
        invalid_code(sandbox.authorize(&request("tok_unknown", 1999)).await),
        "resource_missing"
    );
    let sandbox = Sandbox::new();
    assert_eq!(
        invalid_code(sandbox.authorize(&request("tok_visa", 0)).await),
        "amount_too_small"
    );
    assert!(sandbox.intents().await.unwrap().is_empty());
}

#[tokio::test]
async fn the_unavailable_token_is_unavailable_and_leaves_nothing_behind() {
    let sandbox = Sandbox::new();
    let answer = sandbox.authorize(&request("tok_unavailable", 1999)).await;
    assert!(
        matches!(answer, Err(PaymentError::Unavailable(_))),
        "{answer:?}"
    );
    assert!(sandbox.intents().await.unwrap().is_empty());
    let found = sandbox
        .find(&IntentLookup::Key(key(PaymentStep::Authorize)))
        .await
        .unwrap();
    assert_eq!(found, None);
}

#[tokio::test(start_paused = true)]
async fn the_slow_token_is_authorized_after_the_slow_delay() {
    let sandbox = Sandbox::new()
        .with_slow_delay(Duration::from_secs(3))
        .with_timeout(Duration::from_secs(10));
    let started = tokio::time::Instant::now();
    let authorization = sandbox.authorize(&request("tok_slow", 1999)).await.unwrap();
    assert!(authorization.is_authorized());
    assert_eq!(started.elapsed(), Duration::from_secs(3));
}

#[tokio::test(start_paused = true)]
async fn a_slow_token_past_the_timeout_is_an_unknown_outcome_resolved_by_key_without_paying_again()
{
    let sandbox = Sandbox::new()
        .with_slow_delay(Duration::from_secs(30))
        .with_timeout(Duration::from_secs(5));
    let started = tokio::time::Instant::now();
    let answer = sandbox.authorize(&request("tok_slow", 1999)).await;
    assert_eq!(answer, Err(PaymentError::Timeout));
    assert_eq!(started.elapsed(), Duration::from_secs(5));

    let found = sandbox
        .find(&IntentLookup::Key(key(PaymentStep::Authorize)))
        .await
        .unwrap()
        .expect("the intent was made before the answer was lost");
    assert_eq!(found.status, IntentStatus::RequiresCapture);

    let replayed_at = tokio::time::Instant::now();
    let replay = sandbox.authorize(&request("tok_slow", 1999)).await.unwrap();
    assert_eq!(replay.intent_id, found.id);
    assert_eq!(
        replayed_at.elapsed(),
        Duration::ZERO,
        "a replay answers at once"
    );
    assert_eq!(sandbox.intents().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_capture_takes_the_money_once_whatever_the_retries() {
    let sandbox = Sandbox::new();
    let intent = authorized(&sandbox, 1999).await;
    let capture_key = key(PaymentStep::Capture);
    let captured = sandbox
        .capture(&intent, eur(1999), &capture_key)
        .await
        .unwrap();
    assert_eq!(captured.status, IntentStatus::Succeeded);
    assert_eq!(captured.captured, eur(1999));
    assert_eq!(
        sandbox.capture(&intent, eur(1999), &capture_key).await,
        Ok(captured),
        "replayed"
    );
    let another_key = IdempotencyKey::parse("capture-again").unwrap();
    assert_eq!(
        invalid_code(sandbox.capture(&intent, eur(1999), &another_key).await),
        "payment_intent_unexpected_state"
    );
}

#[tokio::test]
async fn a_voided_intent_cannot_be_captured_and_a_captured_one_cannot_be_voided() {
    let sandbox = Sandbox::new();
    let voided = authorized(&sandbox, 1999).await;
    let canceled = sandbox
        .void(&voided, &key(PaymentStep::Void))
        .await
        .unwrap();
    assert_eq!(canceled.status, IntentStatus::Canceled);
    assert_eq!(
        invalid_code(
            sandbox
                .capture(&voided, eur(1999), &key(PaymentStep::Capture))
                .await
        ),
        "payment_intent_unexpected_state"
    );

    let sandbox = Sandbox::new();
    let captured = authorized(&sandbox, 1999).await;
    sandbox
        .capture(&captured, eur(1999), &key(PaymentStep::Capture))
        .await
        .unwrap();
    assert_eq!(
        invalid_code(sandbox.void(&captured, &key(PaymentStep::Void)).await),
        "payment_intent_unexpected_state"
    );
}

#[tokio::test]
async fn a_refund_gives_back_what_was_captured_once_per_key() {
    let sandbox = Sandbox::new();
    let intent = authorized(&sandbox, 1999).await;
    sandbox
        .capture(&intent, eur(1999), &key(PaymentStep::Capture))
        .await
        .unwrap();
    let refund_key = key(PaymentStep::Refund);
    let refund = sandbox
        .refund(&intent, eur(1999), &refund_key)
        .await
        .unwrap();
    assert_eq!(refund.amount, eur(1999));
    assert_eq!(refund.status, RefundStatus::Succeeded);
    assert_eq!(
        sandbox.refund(&intent, eur(1999), &refund_key).await,
        Ok(refund),
        "replayed"
    );
    let found = sandbox
        .find(&IntentLookup::Id(intent.clone()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.refunded, eur(1999));
    let another_key = IdempotencyKey::parse("refund-again").unwrap();
    assert_eq!(
        invalid_code(sandbox.refund(&intent, eur(1), &another_key).await),
        "charge_already_refunded"
    );
}

#[tokio::test]
async fn an_unknown_intent_is_invalid_and_is_not_found() {
    let sandbox = Sandbox::new();
    let unknown = IntentId::parse("pi_unknown").unwrap();
    assert_eq!(
        invalid_code(
            sandbox
                .capture(&unknown, eur(1), &key(PaymentStep::Capture))
                .await
        ),
        "resource_missing"
    );
    assert_eq!(sandbox.find(&IntentLookup::Id(unknown)).await, Ok(None));
    assert_eq!(
        sandbox
            .find(&IntentLookup::Key(key(PaymentStep::Authorize)))
            .await,
        Ok(None)
    );
}

#[tokio::test]
async fn clones_share_their_intents() {
    let sandbox = Sandbox::new();
    let clone = sandbox.clone();
    let intent = authorized(&sandbox, 1999).await;
    assert!(
        clone
            .find(&IntentLookup::Id(intent))
            .await
            .unwrap()
            .is_some()
    );
}
