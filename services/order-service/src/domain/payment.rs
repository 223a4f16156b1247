//! `Payment`: how an order is paid, part of the `Order` aggregate and stored with it.
//!
//! The card's token is kept only until the authorization has an answer (authorized or
//! declined), then cleared: what stays is its kind (`tok`, `pm`), the amount (the
//! order's total), the provider's intent id and where the payment stands.
//!
//! ```text
//! pending ─▶ authorized ─▶ captured ─▶ refunded
//!    │            └──────▶ voided
//!    └─▶ declined
//! ```
//!
//! Never does an order become `CONFIRMED` with a payment that is not `captured`: the
//! aggregate refuses it (`OrderError::NotCaptured`).

use contracts::Price;
use contracts::orders::CardPayment;

use super::{OrderLine, Quantity, Sku};

/// Where an order's payment stands; its text is stored and shown.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::Display, strum::EnumString, strum::IntoStaticStr,
)]
#[strum(serialize_all = "snake_case")]
pub enum PaymentStatus {
    /// Not authorized yet: the token waits for the order's total.
    Pending,
    /// The total is held on the card.
    Authorized,
    /// The total was taken.
    Captured,
    /// The authorization was cancelled: nothing held, nothing taken.
    Voided,
    /// What was taken was given back.
    Refunded,
    /// The card refused: nothing held.
    Declined,
}

impl PaymentStatus {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// An order's payment. Invariant: the token is there only while `pending`; the amount
/// and the intent once authorized (the amount also once declined).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    token: Option<String>,
    token_kind: String,
    status: PaymentStatus,
    amount: Option<Price>,
    intent: Option<String>,
}

/// A payment as stored: what [`Payment::restore`] rebuilds it from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPayment {
    pub token: Option<String>,
    pub token_kind: String,
    pub status: PaymentStatus,
    pub amount: Option<Price>,
    pub intent: Option<String>,
}

/// Why lines cannot be priced into one total.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PricingError {
    #[error("the lines are priced in more than one currency")]
    MixedCurrencies,
    #[error("the total is too large")]
    TooLarge,
}

impl Payment {
    /// A card payment, not authorized yet.
    pub fn card(card: &CardPayment) -> Self {
        Self {
            token: Some(card.token().to_owned()),
            token_kind: card.kind().to_owned(),
            status: PaymentStatus::Pending,
            amount: None,
            intent: None,
        }
    }

    pub fn restore(stored: StoredPayment) -> Self {
        let StoredPayment {
            token,
            token_kind,
            status,
            amount,
            intent,
        } = stored;
        Self {
            token,
            token_kind,
            status,
            amount,
            intent,
        }
    }

    /// The card's token, while the payment waits for its authorization.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }
    pub fn token_kind(&self) -> &str {
        &self.token_kind
    }
    pub fn status(&self) -> PaymentStatus {
        self.status
    }
    /// The total authorized (or declined).
    pub fn amount(&self) -> Option<Price> {
        self.amount
    }
    /// The provider's intent, once authorized.
    pub fn intent(&self) -> Option<&str> {
        self.intent.as_deref()
    }

    /// Money is held on the card, to be captured or voided.
    pub fn is_held(&self) -> bool {
        self.status == PaymentStatus::Authorized
    }

    /// The card holds or gave money for this payment: authorized, or captured. What a
    /// cancelled order must give back (void or refund).
    pub fn holds_money(&self) -> bool {
        matches!(
            self.status,
            PaymentStatus::Authorized | PaymentStatus::Captured
        )
    }

    pub(super) fn authorized(&mut self, amount: Price, intent: String) {
        self.status = PaymentStatus::Authorized;
        self.amount = Some(amount);
        self.intent = Some(intent);
        self.token = None;
    }

    pub(super) fn declined(&mut self, amount: Price) {
        self.status = PaymentStatus::Declined;
        self.amount = Some(amount);
        self.token = None;
    }

    /// An authorization that came back after the order was cancelled, voided at once:
    /// the payment names its intent, and holds nothing.
    pub(super) fn voided_late(&mut self, intent: String) {
        self.intent = Some(intent);
        self.settle(PaymentStatus::Voided);
    }

    pub(super) fn settle(&mut self, status: PaymentStatus) {
        self.status = status;
        self.token = None;
    }
}

/// The total of `lines` at their unit prices, all in one currency.
pub fn total(lines: &[OrderLine]) -> Option<Result<Price, PricingError>> {
    let priced: Vec<(Quantity, Price)> = lines
        .iter()
        .map(|l| l.unit_price.map(|p| (l.qty, p)))
        .collect::<Option<_>>()?;
    Some(sum(&priced))
}

/// The total of `(qty, unit price)` pairs, all in one currency.
pub fn sum(priced: &[(Quantity, Price)]) -> Result<Price, PricingError> {
    let Some((_, first)) = priced.first() else {
        return Err(PricingError::TooLarge);
    };
    let mut minor: i64 = 0;
    for (qty, price) in priced {
        if price.currency() != first.currency() {
            return Err(PricingError::MixedCurrencies);
        }
        minor = price
            .amount()
            .checked_mul(qty.get())
            .and_then(|line| minor.checked_add(line))
            .ok_or(PricingError::TooLarge)?;
    }
    Price::parse(minor, first.currency()).map_err(|_| PricingError::TooLarge)
}

/// A line with the price of one unit: `(sku, qty, unit price)`.
pub type PricedLine = (Sku, Quantity, Price);

/// The units of priced lines, for checks against the order's lines.
pub fn units(priced: &[PricedLine]) -> Vec<(Sku, Quantity)> {
    priced.iter().map(|(s, q, _)| (s.clone(), *q)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur(amount: i64) -> Price {
        Price::parse(amount, "EUR").unwrap()
    }

    fn qty(n: i64) -> Quantity {
        Quantity::parse(n).unwrap()
    }

    #[test]
    fn the_total_is_each_line_at_its_unit_price_in_one_currency() {
        assert_eq!(sum(&[(qty(2), eur(1999)), (qty(1), eur(1))]), Ok(eur(3999)));
        let usd = Price::parse(5, "USD").unwrap();
        assert_eq!(
            sum(&[(qty(1), eur(1)), (qty(1), usd)]),
            Err(PricingError::MixedCurrencies)
        );
        assert_eq!(sum(&[(qty(2), eur(i64::MAX))]), Err(PricingError::TooLarge));
    }

    #[test]
    fn the_token_is_kept_only_until_the_authorization_answers() {
        let card = contracts::orders::PaymentRequest {
            method: "card".into(),
            token: "tok_visa".into(),
        }
        .validate()
        .unwrap();
        let mut payment = Payment::card(&card);
        assert_eq!(payment.token(), Some("tok_visa"));
        assert_eq!(payment.token_kind(), "tok");
        payment.authorized(eur(10), "pi_1".into());
        assert_eq!(payment.token(), None);
        assert!(payment.is_held());
        assert_eq!(payment.status().to_string(), "authorized");
    }
}
