//! Settings, read once from the environment with defaults that work on one machine:
//! what every service reads ([`Http`]), what every domain service reads ([`Backbone`]),
//! and the saga's own.

use std::time::Duration;

use access::ServiceKey;
use anyhow::Context;
use payment::{PaymentSettings, Provider, Sandbox, SandboxBook};
use service::{Backbone, settings::Http};
use settings::{millis, secret, var};

pub use service::settings::TEST_ADMIN_KEY;

#[derive(Debug, Clone)]
pub struct Settings {
    /// `BIND_ADDR` [0.0.0.0], `PORT` [3002], `BODY_LIMIT_BYTES` [16384].
    pub http: Http,
    /// Database `orders`, broker, outbox, retention, admin key, load limits.
    pub backbone: Backbone,
    /// `HANDOVER_GRACE_MS` [3000]: how long a pending order is left to the HTTP path.
    pub handover_grace: Duration,
    /// `SAGA_TIMEOUT_SECS` [300]: a pending order that hears nothing this long is
    /// cancelled and compensated.
    pub saga_timeout: Duration,
    /// `SAGA_TIMER_INTERVAL_MS` [250]: how often due timers are looked for.
    pub timer_interval: Duration,
    /// `SAGA_TIMER_BATCH` [100]: most orders moved per round; a full round is followed
    /// at once by the next.
    pub timer_batch: i64,
    /// `ORDER_SERVICE_API_KEY` [unset: open]: the key order-api sends; when set, the
    /// routes that change an order need it in `x-api-key` (reads stay open).
    pub api_key: Option<ServiceKey>,
    /// `PAYMENT_PROVIDER` [sandbox] and its settings (`PAYMENT_*`, `STRIPE_*`): who
    /// authorizes and captures paid checkouts. order-service is the only process that
    /// talks to it. Clones share its state (the sandbox's intents).
    pub payment: Provider,
    /// `PAYMENT_SANDBOX_BOOK` [database]: where the sandbox keeps its intents, when it
    /// is the provider. In the orders database, they outlive a restart and every
    /// instance sees them, as a real provider's would.
    pub sandbox_book: SandboxBook,
    /// `PAYMENT_RELEASE_RETRY_MS` [5000]: a cancelled order's payment that could not be
    /// voided or refunded (the provider unheard) is tried again this long after, by the
    /// saga timers, with the same idempotency key.
    pub release_retry: Duration,
}

impl Settings {
    pub fn from_env() -> anyhow::Result<Self> {
        let settings = Self {
            http: Http::from_env([0, 0, 0, 0].into(), 3002)?,
            backbone: Backbone::from_env("orders")?,
            handover_grace: millis("HANDOVER_GRACE_MS", 3000)?,
            saga_timeout: Duration::from_secs(var("SAGA_TIMEOUT_SECS", 300)?),
            timer_interval: millis("SAGA_TIMER_INTERVAL_MS", 250)?,
            timer_batch: var("SAGA_TIMER_BATCH", 100)?,
            api_key: secret("ORDER_SERVICE_API_KEY")?
                .map(|key| ServiceKey::parse(&key))
                .transpose()
                .context("ORDER_SERVICE_API_KEY")?,
            payment: PaymentSettings::from_env()
                .and_then(|settings| settings.provider())
                .context("payment provider")?,
            sandbox_book: SandboxBook::from_env()?,
            release_retry: millis("PAYMENT_RELEASE_RETRY_MS", 5000)?,
        };
        anyhow::ensure!(
            !settings.saga_timeout.is_zero(),
            "SAGA_TIMEOUT_SECS must be > 0"
        );
        anyhow::ensure!(
            !settings.timer_interval.is_zero(),
            "SAGA_TIMER_INTERVAL_MS must be > 0"
        );
        anyhow::ensure!(settings.timer_batch > 0, "SAGA_TIMER_BATCH must be > 0");
        Ok(settings)
    }

    /// A test instance: free port on loopback, the given database and broker names,
    /// fast timers and retries, admin key [`TEST_ADMIN_KEY`], no service key.
    pub fn for_tests(database_url: &str, amqp_name_prefix: &str) -> Self {
        Self {
            http: Http::for_tests(),
            backbone: Backbone::for_tests(database_url, amqp_name_prefix),
            handover_grace: Duration::from_millis(3000),
            saga_timeout: Duration::from_secs(300),
            timer_interval: Duration::from_millis(50),
            timer_batch: 100,
            api_key: None,
            payment: Provider::Sandbox(Sandbox::new()),
            sandbox_book: SandboxBook::Memory,
            release_retry: Duration::from_millis(300),
        }
    }
}
