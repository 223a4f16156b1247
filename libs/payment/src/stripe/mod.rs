//! [`Stripe`]: the port over Stripe's [Payment Intents API](https://docs.stripe.com/api/payment_intents),
//! with reqwest and typed form bodies.
//!
//! | port | Stripe |
//! |---|---|
//! | `authorize` | `POST /v1/payment_intents` (`capture_method=manual`, `confirm=true`, the order id and the key in `metadata`) |
//! | `capture` | `POST /v1/payment_intents/{id}/capture` (`amount_to_capture`) |
//! | `void` | `POST /v1/payment_intents/{id}/cancel` |
//! | `refund` | `POST /v1/refunds` (`payment_intent`, `amount`) |
//! | `find` by id | `GET /v1/payment_intents/{id}` (404 is `None`) |
//! | `find` by key | `GET /v1/payment_intents/search?query=metadata['idempotency_key']:'…'` |
//!
//! Every call authenticates with the secret key as a Bearer token, pins the API version
//! ([`Stripe::API_VERSION`]) so that the answers keep the shape read here, and has the
//! configured timeout. Every `POST` is form-encoded, as Stripe takes it, and carries the
//! call's `Idempotency-Key`: Stripe keeps the first answer for a key (for 24 hours at
//! least) and replays it, with `Idempotent-Replayed: true`, to a retry.
//!
//! # Payment methods
//!
//! Stripe's testing guide has test code use PaymentMethod ids (`pm_card_visa`,
//! `pm_card_chargeDeclined`, ...), sent as `payment_method`. Legacy tokens (`tok_visa`,
//! `tok_chargeDeclined`, ...) are sent as `payment_method_data[type]=card` with
//! `payment_method_data[card][token]`, the form Stripe gives for moving tokens to
//! PaymentIntents. Anything else is refused before any call.
//!
//! # Finding an intent by key
//!
//! Stripe cannot be asked for the answer to a key without repeating the call, so the
//! authorization writes its key in the intent's metadata and `find` searches for it.
//! Stripe's search is eventually consistent (an intent may take up to a minute to
//! appear in it): `None` soon after a lost answer does not prove that no intent exists.
//! Repeating the authorization with the same key is the sure way (it cannot make a
//! second intent), and `find` by id is exact.

mod answer;
mod wire;

use std::fmt;

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue};
use serde::de::DeserializeOwned;

use crate::{
    Authorization, AuthorizeRequest, IdempotencyKey, Intent, IntentId, IntentLookup, Money,
    PaymentError, PaymentProvider, Refund, StripeSettings,
};
use wire::{Field, WireIntent, WireRefund, WireSearch};

/// The Stripe adapter. Clones share one connection pool.
#[derive(Clone)]
pub struct Stripe {
    client: reqwest::Client,
    api_base: String,
}

impl Stripe {
    /// The API version every call asks for.
    pub const API_VERSION: &'static str = "2024-06-20";

    pub fn new(settings: &StripeSettings) -> anyhow::Result<Self> {
        let mut bearer = HeaderValue::from_str(&format!("Bearer {}", settings.secret_key.expose()))
            .map_err(|_| anyhow::anyhow!("STRIPE_SECRET_KEY cannot travel in a header"))?;
        bearer.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, bearer);
        headers.insert(
            "stripe-version",
            HeaderValue::from_static(Self::API_VERSION),
        );
        let client = reqwest::Client::builder()
            .default_headers(headers)
            .timeout(settings.timeout)
            .connect_timeout(settings.connect_timeout)
            .build()
            .map_err(|e| anyhow::anyhow!("the Stripe HTTP client: {e}"))?;
        Ok(Self {
            client,
            api_base: settings.api_base.clone(),
        })
    }

    async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        form: &[Field],
        key: &IdempotencyKey,
    ) -> Result<T, PaymentError> {
        let body = serde_urlencoded::to_string(form)
            .map_err(|e| PaymentError::invalid("form_encoding", e.to_string()))?;
        let request = self
            .client
            .post(format!("{}{path}", self.api_base))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("idempotency-key", key.as_str())
            .body(body);
        self.send(request).await
    }

    async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[Field],
    ) -> Result<T, PaymentError> {
        let query = serde_urlencoded::to_string(query)
            .map_err(|e| PaymentError::invalid("form_encoding", e.to_string()))?;
        let url = format!("{}{path}?{query}", self.api_base);
        self.send(self.client.get(url)).await
    }

    async fn send<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, PaymentError> {
        let response = request.send().await.map_err(|e| answer::no_answer(&e));
        let response =
            response.inspect_err(|e| tracing::warn!(error = %e, "Stripe gave no answer"))?;
        let status = response.status();
        let replayed = response.headers().contains_key("idempotent-replayed");
        let body = response.bytes().await.map_err(|e| answer::no_answer(&e))?;
        if !status.is_success() {
            let error = answer::refusal(status, &body);
            tracing::warn!(%status, error = %error, "Stripe refused");
            return Err(error);
        }
        tracing::debug!(%status, replayed, "Stripe answered");
        serde_json::from_slice(&body).map_err(|e| {
            tracing::warn!(error = %e, "Stripe answered a body this adapter cannot read");
            PaymentError::Unavailable(format!(
                "Stripe answered {status} with a body that cannot be read"
            ))
        })
    }
}

/// Shows where it calls, never the key.
impl fmt::Debug for Stripe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stripe")
            .field("api_base", &self.api_base)
            .finish_non_exhaustive()
    }
}

fn intent_path(intent: &IntentId, action: &str) -> String {
    format!("/v1/payment_intents/{intent}{action}")
}

impl PaymentProvider for Stripe {
    #[tracing::instrument(skip_all, fields(provider = "stripe", order_id = %request.order_id, key = %request.idempotency_key))]
    async fn authorize(&self, request: &AuthorizeRequest) -> Result<Authorization, PaymentError> {
        let form = wire::authorize_form(request)?;
        self.post::<WireIntent>("/v1/payment_intents", &form, &request.idempotency_key)
            .await?
            .into_authorization()
    }

    #[tracing::instrument(skip_all, fields(provider = "stripe", intent_id = %intent, key = %key))]
    async fn capture(
        &self,
        intent: &IntentId,
        amount: Money,
        key: &IdempotencyKey,
    ) -> Result<Intent, PaymentError> {
        let form = wire::capture_form(amount);
        self.post::<WireIntent>(&intent_path(intent, "/capture"), &form, key)
            .await?
            .into_intent()
    }

    #[tracing::instrument(skip_all, fields(provider = "stripe", intent_id = %intent, key = %key))]
    async fn void(&self, intent: &IntentId, key: &IdempotencyKey) -> Result<Intent, PaymentError> {
        self.post::<WireIntent>(&intent_path(intent, "/cancel"), &wire::void_form(), key)
            .await?
            .into_intent()
    }

    #[tracing::instrument(skip_all, fields(provider = "stripe", intent_id = %intent, key = %key))]
    async fn refund(
        &self,
        intent: &IntentId,
        amount: Money,
        key: &IdempotencyKey,
    ) -> Result<Refund, PaymentError> {
        let form = wire::refund_form(intent, amount);
        self.post::<WireRefund>("/v1/refunds", &form, key)
            .await?
            .into_refund()
    }

    #[tracing::instrument(skip_all, fields(provider = "stripe", lookup = %lookup))]
    async fn find(&self, lookup: &IntentLookup) -> Result<Option<Intent>, PaymentError> {
        let found = match lookup {
            IntentLookup::Id(intent) => {
                let query = [("expand[0]", "latest_charge".to_owned())];
                match self
                    .get::<WireIntent>(&intent_path(intent, ""), &query)
                    .await
                {
                    Err(PaymentError::Invalid { code, .. }) if code == "resource_missing" => None,
                    answer => Some(answer?),
                }
            }
            IntentLookup::Key(key) => {
                let query = [
                    ("query", wire::search_by_key(key.as_str())),
                    ("expand[0]", "data.latest_charge".to_owned()),
                ];
                let search: WireSearch = self.get("/v1/payment_intents/search", &query).await?;
                search.data.into_iter().next()
            }
        };
        found.map(WireIntent::into_intent).transpose()
    }
}
