//! The Stripe adapter against a stand-in that answers as Stripe documents: what each call
//! sends (Bearer key, form body, Idempotency-Key) and what each answer means for the
//! checkout (an intent, a decline, an unknown outcome, a refusal).

use std::time::Duration;

use contracts::OrderId;
use payment::{
    AuthorizeRequest, Currency, IdempotencyKey, IntentId, IntentLookup, IntentStatus, Money,
    PaymentError, PaymentMethod, PaymentProvider, PaymentStep, RefundStatus, Stripe,
    StripeSettings,
};
use serde_json::{Value, json};
use wiremock::{
    Mock, MockServer, Request, ResponseTemplate,
    matchers::{header, method, path, query_param},
};

const SECRET_KEY: &str = "sk_test_4eC39HqLyjWDarjtT1zdp7dc";
const INTENT_ID: &str = "pi_3MtwBwLkdIwHu7ix28a3tqPa";

fn stripe(server: &MockServer) -> Stripe {
    Stripe::new(&StripeSettings::for_tests(&server.uri(), SECRET_KEY)).unwrap()
}

fn stripe_with_timeout(server: &MockServer, timeout: Duration) -> Stripe {
    let settings = StripeSettings {
        timeout,
        ..StripeSettings::for_tests(&server.uri(), SECRET_KEY)
    };
    Stripe::new(&settings).unwrap()
}

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::EUR).unwrap()
}

fn order() -> OrderId {
    OrderId::parse("ord-42").unwrap()
}

fn key(step: PaymentStep) -> IdempotencyKey {
    IdempotencyKey::for_order(&order(), step)
}

fn intent_id() -> IntentId {
    IntentId::parse(INTENT_ID).unwrap()
}

fn authorize_request(method: &str) -> AuthorizeRequest {
    AuthorizeRequest {
        order_id: order(),
        amount: eur(1999),
        method: PaymentMethod::parse(method).unwrap(),
        idempotency_key: key(PaymentStep::Authorize),
    }
}

/// A PaymentIntent as Stripe answers it, its latest charge expanded.
fn intent(status: &str, received: i64, refunded: i64) -> Value {
    json!({
        "id": INTENT_ID,
        "object": "payment_intent",
        "amount": 1999,
        "amount_capturable": if status == "requires_capture" { 1999 } else { 0 },
        "amount_received": received,
        "capture_method": "manual",
        "confirmation_method": "automatic",
        "currency": "eur",
        "latest_charge": {
            "id": "ch_3MtwBwLkdIwHu7ix28a3tqPa",
            "object": "charge",
            "amount": 1999,
            "amount_captured": received,
            "amount_refunded": refunded,
            "captured": received > 0,
            "refunded": refunded == received && received > 0
        },
        "livemode": false,
        "metadata": {"order_id": "ord-42", "idempotency_key": "order/ord-42/authorize"},
        "payment_method": "pm_1MtwBwLkdIwHu7ixl4OCKBDF",
        "payment_method_types": ["card"],
        "status": status
    })
}

fn card_error(decline_code: &str, message: &str) -> Value {
    json!({"error": {
        "type": "card_error",
        "code": "card_declined",
        "decline_code": decline_code,
        "message": message,
        "doc_url": "https://stripe.com/docs/error-codes/card-declined",
        "payment_intent": intent("requires_payment_method", 0, 0)
    }})
}

fn invalid_request(code: &str, message: &str) -> Value {
    json!({"error": {"type": "invalid_request_error", "code": code, "message": message}})
}

async fn received(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap()
}

fn form(request: &Request) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(&request.body).unwrap()
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(n, _)| n == name)
        .map(|(_, value)| value.as_str())
}

fn header_of<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request.headers.get(name).map(|v| v.to_str().unwrap())
}

#[tokio::test]
async fn an_authorization_is_a_confirmed_manual_capture_intent_sent_with_the_key_as_bearer() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/payment_intents"))
        .and(header(
            "authorization",
            format!("Bearer {SECRET_KEY}").as_str(),
        ))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .respond_with(ResponseTemplate::new(200).set_body_json(intent("requires_capture", 0, 0)))
        .expect(1)
        .mount(&server)
        .await;

    let authorization = stripe(&server)
        .authorize(&authorize_request("pm_card_visa"))
        .await
        .unwrap();

    assert_eq!(authorization.intent_id, intent_id());
    assert_eq!(authorization.status, IntentStatus::RequiresCapture);
    let requests = received(&server).await;
    let sent = form(&requests[0]);
    for (name, value) in [
        ("amount", "1999"),
        ("currency", "eur"),
        ("capture_method", "manual"),
        ("confirm", "true"),
        ("payment_method", "pm_card_visa"),
        ("metadata[order_id]", "ord-42"),
        ("metadata[idempotency_key]", "order/ord-42/authorize"),
    ] {
        assert_eq!(field(&sent, name), Some(value), "{name} in {sent:?}");
    }
    assert_eq!(
        header_of(&requests[0], "idempotency-key"),
        Some("order/ord-42/authorize")
    );
    assert_eq!(
        header_of(&requests[0], "stripe-version"),
        Some(Stripe::API_VERSION)
    );
}

#[tokio::test]
async fn a_token_is_sent_as_the_card_of_payment_method_data() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/payment_intents"))
        .respond_with(ResponseTemplate::new(200).set_body_json(intent("requires_capture", 0, 0)))
        .mount(&server)
        .await;

    stripe(&server)
        .authorize(&authorize_request("tok_visa"))
        .await
        .unwrap();

    let sent = form(&received(&server).await[0]);
    assert_eq!(field(&sent, "payment_method_data[type]"), Some("card"));
    assert_eq!(
        field(&sent, "payment_method_data[card][token]"),
        Some("tok_visa")
    );
    assert_eq!(field(&sent, "payment_method"), None);
}

#[tokio::test]
async fn a_card_declined_402_is_a_decline_with_stripes_codes() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/payment_intents"))
        .respond_with(ResponseTemplate::new(402).set_body_json(card_error(
            "insufficient_funds",
            "Your card has insufficient funds.",
        )))
        .mount(&server)
        .await;

    let answer = stripe(&server)
        .authorize(&authorize_request(
            "pm_card_visa_chargeDeclinedInsufficientFunds",
        ))
        .await;

    assert_eq!(
        answer,
        Err(PaymentError::Declined {
            code: "card_declined".into(),
            decline_code: Some("insufficient_funds".into()),
            message: "Your card has insufficient funds.".into(),
        })
    );
}

#[tokio::test]
async fn a_500_or_a_429_is_unavailable_an_unknown_outcome() {
    for status in [500, 429] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(
                ResponseTemplate::new(status).set_body_json(json!({"error": {
                    "type": "api_error",
                    "message": "An unknown error occurred"
                }})),
            )
            .mount(&server)
            .await;

        let answer = stripe(&server)
            .authorize(&authorize_request("pm_card_visa"))
            .await;

        assert!(
            matches!(answer, Err(PaymentError::Unavailable(_))),
            "{status}: {answer:?}"
        );
    }
}

#[tokio::test]
async fn an_answer_slower_than_the_timeout_is_a_timeout() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(intent("requires_capture", 0, 0))
                .set_delay(Duration::from_secs(3)),
        )
        .mount(&server)
        .await;

    let started = std::time::Instant::now();
    let answer = stripe_with_timeout(&server, Duration::from_millis(200))
        .authorize(&authorize_request("pm_card_visa"))
        .await;

    assert_eq!(answer, Err(PaymentError::Timeout));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "gave up in time"
    );
}

#[tokio::test]
async fn a_retry_after_a_timeout_sends_the_same_key_and_gets_the_first_intent() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/payment_intents"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(intent("requires_capture", 0, 0))
                .set_delay(Duration::from_secs(3)),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/payment_intents"))
        .and(header("idempotency-key", "order/ord-42/authorize"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(intent("requires_capture", 0, 0))
                .insert_header("idempotent-replayed", "true"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let stripe = stripe_with_timeout(&server, Duration::from_millis(200));
    let request = authorize_request("pm_card_visa");

    assert_eq!(stripe.authorize(&request).await, Err(PaymentError::Timeout));
    let replay = stripe.authorize(&request).await.unwrap();

    assert_eq!(replay.intent_id, intent_id());
    let requests = received(&server).await;
    assert_eq!(requests.len(), 2);
    let keys: Vec<_> = requests
        .iter()
        .map(|r| header_of(r, "idempotency-key"))
        .collect();
    assert_eq!(keys, [Some("order/ord-42/authorize"); 2]);
    assert_eq!(requests[0].body, requests[1].body, "the same request");
}

#[tokio::test]
async fn a_capture_sends_the_amount_to_capture_and_answers_the_succeeded_intent() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v1/payment_intents/{INTENT_ID}/capture")))
        .and(header("idempotency-key", "order/ord-42/capture"))
        .respond_with(ResponseTemplate::new(200).set_body_json(intent("succeeded", 1999, 0)))
        .expect(1)
        .mount(&server)
        .await;

    let captured = stripe(&server)
        .capture(&intent_id(), eur(1999), &key(PaymentStep::Capture))
        .await
        .unwrap();

    assert_eq!(captured.status, IntentStatus::Succeeded);
    assert_eq!(captured.captured, eur(1999));
    assert!(captured.refunded.is_zero());
    let sent = form(&received(&server).await[0]);
    assert_eq!(field(&sent, "amount_to_capture"), Some("1999"));
}

#[tokio::test]
async fn capturing_a_canceled_intent_is_invalid_with_stripes_code() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v1/payment_intents/{INTENT_ID}/capture")))
        .respond_with(ResponseTemplate::new(400).set_body_json(invalid_request(
            "payment_intent_unexpected_state",
            "This PaymentIntent could not be captured because it has a status of canceled.",
        )))
        .mount(&server)
        .await;

    let answer = stripe(&server)
        .capture(&intent_id(), eur(1999), &key(PaymentStep::Capture))
        .await;

    assert!(
        matches!(&answer, Err(PaymentError::Invalid { code, .. }) if code == "payment_intent_unexpected_state"),
        "{answer:?}"
    );
}

#[tokio::test]
async fn a_void_cancels_the_intent() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v1/payment_intents/{INTENT_ID}/cancel")))
        .and(header("idempotency-key", "order/ord-42/void"))
        .respond_with(ResponseTemplate::new(200).set_body_json(intent("canceled", 0, 0)))
        .expect(1)
        .mount(&server)
        .await;

    let canceled = stripe(&server)
        .void(&intent_id(), &key(PaymentStep::Void))
        .await
        .unwrap();

    assert_eq!(canceled.status, IntentStatus::Canceled);
    assert!(canceled.captured.is_zero());
}

#[tokio::test]
async fn a_refund_sends_the_intent_and_the_amount() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/refunds"))
        .and(header("idempotency-key", "order/ord-42/refund"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "re_3MtwBwLkdIwHu7ix0mM2oUkk",
            "object": "refund",
            "amount": 1999,
            "charge": "ch_3MtwBwLkdIwHu7ix28a3tqPa",
            "currency": "eur",
            "payment_intent": INTENT_ID,
            "status": "succeeded"
        })))
        .expect(1)
        .mount(&server)
        .await;

    let refund = stripe(&server)
        .refund(&intent_id(), eur(1999), &key(PaymentStep::Refund))
        .await
        .unwrap();

    assert_eq!(refund.id, "re_3MtwBwLkdIwHu7ix0mM2oUkk");
    assert_eq!(refund.amount, eur(1999));
    assert_eq!(refund.status, RefundStatus::Succeeded);
    let sent = form(&received(&server).await[0]);
    assert_eq!(field(&sent, "payment_intent"), Some(INTENT_ID));
    assert_eq!(field(&sent, "amount"), Some("1999"));
}

#[tokio::test]
async fn find_by_id_reads_the_intent_with_its_refunds_and_an_unknown_id_is_none() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/payment_intents/{INTENT_ID}")))
        .and(query_param("expand[0]", "latest_charge"))
        .respond_with(ResponseTemplate::new(200).set_body_json(intent("succeeded", 1999, 500)))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/payment_intents/pi_unknown"))
        .respond_with(ResponseTemplate::new(404).set_body_json(invalid_request(
            "resource_missing",
            "No such payment_intent: 'pi_unknown'",
        )))
        .mount(&server)
        .await;
    let stripe = stripe(&server);

    let found = stripe
        .find(&IntentLookup::Id(intent_id()))
        .await
        .unwrap()
        .unwrap();
    let unknown = IntentLookup::Id(IntentId::parse("pi_unknown").unwrap());

    assert_eq!(found.captured, eur(1999));
    assert_eq!(found.refunded, eur(500));
    assert_eq!(stripe.find(&unknown).await, Ok(None));
}

#[tokio::test]
async fn find_by_key_searches_the_key_the_authorization_wrote_in_the_metadata() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/payment_intents/search"))
        .and(query_param(
            "query",
            "metadata['idempotency_key']:'order/ord-42/authorize'",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "object": "search_result",
            "url": "/v1/payment_intents/search",
            "has_more": false,
            "data": [intent("requires_capture", 0, 0)]
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/payment_intents/search"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "object": "search_result", "has_more": false, "data": []
        })))
        .mount(&server)
        .await;
    let stripe = stripe(&server);

    let found = stripe
        .find(&IntentLookup::Key(key(PaymentStep::Authorize)))
        .await
        .unwrap()
        .unwrap();
    let other = IntentLookup::Key(IdempotencyKey::parse("order/ord-43/authorize").unwrap());

    assert_eq!(found.id, intent_id());
    assert_eq!(found.status, IntentStatus::RequiresCapture);
    assert_eq!(stripe.find(&other).await, Ok(None));
}

#[tokio::test]
async fn a_refused_secret_key_is_invalid() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": {
            "type": "invalid_request_error",
            "message": "Invalid API Key provided: sk_test_****7dc"
        }})))
        .mount(&server)
        .await;

    let answer = stripe(&server)
        .authorize(&authorize_request("pm_card_visa"))
        .await;

    assert!(
        matches!(&answer, Err(PaymentError::Invalid { code, .. }) if code == "http_401"),
        "{answer:?}"
    );
}

#[tokio::test]
async fn an_unreachable_stripe_is_unavailable() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let stripe = Stripe::new(&StripeSettings::for_tests(&closed, SECRET_KEY)).unwrap();

    let answer = stripe.authorize(&authorize_request("pm_card_visa")).await;

    assert!(
        matches!(&answer, Err(PaymentError::Unavailable(_))),
        "{answer:?}"
    );
}
