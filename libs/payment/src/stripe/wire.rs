//! Stripe's wire shapes: the form fields of each request, and the JSON of the answers
//! this adapter reads (a PaymentIntent, a Refund, a search result, an error), turned
//! into the port's types. Only the fields the port needs are read; Stripe adds fields
//! freely, and serde ignores them.

use serde::Deserialize;

use crate::{
    Authorization, AuthorizeRequest, Currency, Intent, IntentId, IntentStatus, Money, PaymentError,
    Refund, RefundStatus,
};

/// One form field, as Stripe spells nested parameters: `metadata[order_id]`.
pub(super) type Field = (&'static str, String);

/// The latest charge comes inline on every intent answer: its `amount_refunded` is what
/// [`Intent::refunded`] reports.
fn expand_charge() -> Field {
    ("expand[0]", "latest_charge".to_owned())
}

/// `POST /v1/payment_intents`: a manual-capture intent, confirmed at once. A card that
/// asks for its holder's authentication (3D Secure) fails the attempt with a card error
/// (`error_on_requires_action`) instead of waiting for a customer who is not there.
pub(super) fn authorize_form(request: &AuthorizeRequest) -> Result<Vec<Field>, PaymentError> {
    let mut form = vec![
        ("amount", request.amount.minor_units().to_string()),
        (
            "currency",
            request.amount.currency().as_str().to_ascii_lowercase(),
        ),
        ("capture_method", "manual".to_owned()),
        ("confirm", "true".to_owned()),
        ("error_on_requires_action", "true".to_owned()),
        ("payment_method_types[0]", "card".to_owned()),
        ("metadata[order_id]", request.order_id.to_string()),
        (
            "metadata[idempotency_key]",
            request.idempotency_key.to_string(),
        ),
        expand_charge(),
    ];
    form.extend(method_fields(request.method.as_str())?);
    Ok(form)
}

/// A PaymentMethod id (`pm_card_visa`, `pm_…`) goes as `payment_method`; a legacy
/// token (`tok_visa`, `tok_…`) as the card of `payment_method_data`. Nothing else is
/// sent: a card number never passes through here.
fn method_fields(method: &str) -> Result<Vec<Field>, PaymentError> {
    if method.starts_with("pm_") {
        Ok(vec![("payment_method", method.to_owned())])
    } else if method.starts_with("tok_") {
        Ok(vec![
            ("payment_method_data[type]", "card".to_owned()),
            ("payment_method_data[card][token]", method.to_owned()),
        ])
    } else {
        Err(PaymentError::invalid(
            "payment_method_unsupported",
            "Stripe takes a PaymentMethod id (pm_…) or a card token (tok_…)",
        ))
    }
}

/// `POST /v1/payment_intents/{id}/capture`.
pub(super) fn capture_form(amount: Money) -> Vec<Field> {
    vec![
        ("amount_to_capture", amount.minor_units().to_string()),
        expand_charge(),
    ]
}

/// `POST /v1/payment_intents/{id}/cancel`.
pub(super) fn void_form() -> Vec<Field> {
    vec![expand_charge()]
}

/// `POST /v1/refunds`.
pub(super) fn refund_form(intent: &IntentId, amount: Money) -> Vec<Field> {
    vec![
        ("payment_intent", intent.to_string()),
        ("amount", amount.minor_units().to_string()),
    ]
}

/// The search query that finds the intent an authorization key made, through the
/// metadata [`authorize_form`] writes.
pub(super) fn search_by_key(key: &str) -> String {
    let quoted = key.replace('\\', "\\\\").replace('\'', "\\'");
    format!("metadata['idempotency_key']:'{quoted}'")
}

/// A PaymentIntent.
#[derive(Debug, Deserialize)]
pub(super) struct WireIntent {
    id: String,
    status: IntentStatus,
    amount: i64,
    #[serde(default)]
    amount_received: i64,
    currency: String,
    #[serde(default)]
    latest_charge: Option<LatestCharge>,
}

/// `latest_charge`: the charge itself when expanded, else its id.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum LatestCharge {
    Expanded { amount_refunded: i64 },
    Id(serde::de::IgnoredAny),
}

impl WireIntent {
    pub(super) fn into_authorization(self) -> Result<Authorization, PaymentError> {
        Ok(Authorization {
            intent_id: id(&self.id)?,
            status: self.status,
        })
    }

    pub(super) fn into_intent(self) -> Result<Intent, PaymentError> {
        let currency = currency(&self.currency)?;
        let refunded = match self.latest_charge {
            Some(LatestCharge::Expanded { amount_refunded }) => amount_refunded,
            _ => 0,
        };
        Ok(Intent {
            id: id(&self.id)?,
            status: self.status,
            amount: money(self.amount, currency)?,
            captured: money(self.amount_received, currency)?,
            refunded: money(refunded, currency)?,
        })
    }
}

/// A Refund.
#[derive(Debug, Deserialize)]
pub(super) struct WireRefund {
    id: String,
    amount: i64,
    currency: String,
    status: RefundStatus,
}

impl WireRefund {
    pub(super) fn into_refund(self) -> Result<Refund, PaymentError> {
        Ok(Refund {
            id: self.id,
            amount: money(self.amount, currency(&self.currency)?)?,
            status: self.status,
        })
    }
}

/// The answer of a search.
#[derive(Debug, Deserialize)]
pub(super) struct WireSearch {
    pub(super) data: Vec<WireIntent>,
}

/// Stripe's error body: `{"error": {"type": "card_error", "code": ..., ...}}`.
#[derive(Debug, Default, Deserialize)]
pub(super) struct WireError {
    #[serde(rename = "type")]
    pub(super) kind: Option<String>,
    pub(super) code: Option<String>,
    pub(super) decline_code: Option<String>,
    pub(super) message: Option<String>,
}

impl WireError {
    /// The error of `body`, or an empty one when it is not Stripe's shape.
    pub(super) fn read(body: &[u8]) -> Self {
        #[derive(Deserialize)]
        struct Body {
            error: WireError,
        }
        serde_json::from_slice::<Body>(body)
            .map(|body| body.error)
            .unwrap_or_default()
    }
}

/// An answer that says something happened, but not in a shape this adapter can read:
/// the outcome is unknown.
fn unreadable(what: impl std::fmt::Display) -> PaymentError {
    PaymentError::Unavailable(format!("Stripe answered {what}"))
}

fn id(raw: &str) -> Result<IntentId, PaymentError> {
    IntentId::parse(raw).map_err(|_| unreadable(format!("an intent id that is not one: {raw:?}")))
}

fn currency(raw: &str) -> Result<Currency, PaymentError> {
    Currency::parse(&raw.to_ascii_uppercase())
        .map_err(|_| unreadable(format!("a currency that is not one: {raw:?}")))
}

fn money(minor: i64, currency: Currency) -> Result<Money, PaymentError> {
    Money::new(minor, currency).map_err(|_| unreadable(format!("a negative amount: {minor}")))
}

#[cfg(test)]
mod tests {
    use contracts::OrderId;
    use serde_json::json;

    use super::*;
    use crate::{IdempotencyKey, PaymentMethod, PaymentStep};

    fn request(method: &str) -> AuthorizeRequest {
        let order_id = OrderId::parse("ord-42").unwrap();
        AuthorizeRequest {
            idempotency_key: IdempotencyKey::for_order(&order_id, PaymentStep::Authorize),
            order_id,
            amount: Money::new(1999, Currency::EUR).unwrap(),
            method: PaymentMethod::parse(method).unwrap(),
        }
    }

    fn field<'a>(form: &'a [Field], name: &str) -> Option<&'a str> {
        form.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, value)| value.as_str())
    }

    #[test]
    fn an_authorization_is_a_confirmed_manual_capture_intent_in_lowercase_currency() {
        let form = authorize_form(&request("pm_card_visa")).unwrap();
        assert_eq!(field(&form, "amount"), Some("1999"));
        assert_eq!(field(&form, "currency"), Some("eur"));
        assert_eq!(field(&form, "capture_method"), Some("manual"));
        assert_eq!(field(&form, "confirm"), Some("true"));
        assert_eq!(field(&form, "payment_method"), Some("pm_card_visa"));
        assert_eq!(field(&form, "metadata[order_id]"), Some("ord-42"));
        assert_eq!(
            field(&form, "metadata[idempotency_key]"),
            Some("order/ord-42/authorize")
        );
    }

    #[test]
    fn a_token_goes_as_the_card_of_payment_method_data_and_anything_else_is_refused() {
        let form = authorize_form(&request("tok_visa")).unwrap();
        assert_eq!(field(&form, "payment_method_data[type]"), Some("card"));
        assert_eq!(
            field(&form, "payment_method_data[card][token]"),
            Some("tok_visa")
        );
        assert_eq!(field(&form, "payment_method"), None);
        let refused = authorize_form(&request("4242424242424242"));
        assert!(
            matches!(refused, Err(PaymentError::Invalid { ref code, .. }) if code == "payment_method_unsupported"),
            "{refused:?}"
        );
    }

    #[test]
    fn the_search_by_key_quotes_the_key() {
        assert_eq!(
            search_by_key("order/ord-42/authorize"),
            "metadata['idempotency_key']:'order/ord-42/authorize'"
        );
        assert_eq!(
            search_by_key(r"it's\"),
            r"metadata['idempotency_key']:'it\'s\\'"
        );
    }

    #[test]
    fn an_intent_is_read_with_its_captured_and_refunded_amounts() {
        let wire: WireIntent = serde_json::from_value(json!({
            "id": "pi_1", "object": "payment_intent", "status": "succeeded",
            "amount": 1999, "amount_received": 1999, "currency": "eur",
            "latest_charge": {"id": "ch_1", "object": "charge", "amount_refunded": 500}
        }))
        .unwrap();
        let intent = wire.into_intent().unwrap();
        assert_eq!(intent.status, IntentStatus::Succeeded);
        assert_eq!(intent.captured, Money::new(1999, Currency::EUR).unwrap());
        assert_eq!(intent.refunded, Money::new(500, Currency::EUR).unwrap());

        let unexpanded: WireIntent = serde_json::from_value(json!({
            "id": "pi_1", "status": "requires_capture", "amount": 1999,
            "amount_received": 0, "currency": "usd", "latest_charge": "ch_1"
        }))
        .unwrap();
        assert!(unexpanded.into_intent().unwrap().refunded.is_zero());
    }

    #[test]
    fn an_error_body_is_read_or_left_empty() {
        let error = WireError::read(
            br#"{"error":{"type":"card_error","code":"card_declined","decline_code":"insufficient_funds","message":"Your card has insufficient funds."}}"#,
        );
        assert_eq!(error.kind.as_deref(), Some("card_error"));
        assert_eq!(error.decline_code.as_deref(), Some("insufficient_funds"));
        assert!(WireError::read(b"<html>bad gateway</html>").code.is_none());
    }
}
