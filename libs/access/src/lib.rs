//! Who may call what on the public facades (inventory-api, order-api), how often, and
//! how much they take on at once.
//!
//! This crate must never keep, print or log an API key: keys are digested (SHA-256) as
//! they are read, compared in constant time, and only caller names reach logs, spans
//! and problems.
//!
//! # Who may call what
//!
//! Callers send their key in the `x-api-key` header. Every `GET` route is public; the
//! others take a [`Caller`] and require a [`Scope`]:
//!
//! | scope | grants |
//! |---|---|
//! | `reserve` | reserve, release and confirm the caller's own holds; `POST /reservations` |
//! | `stock` | create products, set their prices, replenish stock |
//! | `checkout` | `POST /checkout`, cancelling an order |
//! | `saga` | order-api's own calls to inventory-api; may act on the saga's holds |
//! | `admin` | the `/admin/*` routes, and nothing else |
//!
//! A missing or unknown key answers 401 `unauthorized`, a known key without the scope
//! 403 `forbidden`, both `application/problem+json`.
//!
//! # Settings
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `API_KEYS` | unset | `name:key:scope+scope` entries separated by `;`, e.g. `shop:…:checkout;ops:…:stock+reserve;order-api:…:saga`. Names are 1–64 of `A-Za-z0-9_.-` and unique; keys are at least 16 visible ASCII characters and unique |
//! | `ADMIN_API_KEY` | unset | shorthand for one more caller, `admin`, with the `admin` scope |
//! | `RATE_LIMIT_PER_SEC` | unset: no limit | requests per second per caller (by name when its key is known, else by client address), bursts up to one second's worth; over it, 429 `rate_limited` with `Retry-After` |
//! | `MAX_CONCURRENT_REQUESTS` | 256 | requests in flight; one more is answered 503 `overloaded` with `Retry-After: 1` at once |
//! | `REQUEST_TIMEOUT_MS` | 10000 | a request still running then is cut off with 504 `request_timeout` |
//!
//! # Modes
//!
//! - **Keyed** (`API_KEYS` set): routes that take a [`Caller`] need a known key.
//! - **Open** (`API_KEYS` unset, the facade bound to loopback): every request is the
//!   caller `anonymous`, with every scope but `admin`. Admin routes still need
//!   `ADMIN_API_KEY` or an `admin`-scoped key. [`Access::start_line`] says so at start.
//! - **Refused** (`API_KEYS` unset, any other bind address): [`Access::from_env`] fails
//!   with a message saying to set `API_KEYS`, and the facade exits non-zero.
//!
//! [`AccessSettings`] holds these variables raw, read with a facade's other settings, so
//! that a test can build a facade with keys without touching the process environment.
//!
//! # Internal services
//!
//! A domain service is not a facade: it has no callers, only the one key its facade
//! sends. [`ServiceKey`] checks it (e.g. `ORDER_SERVICE_API_KEY`) with the same rules:
//! digest only, constant-time comparison, 401 `unauthorized` when missing or wrong.
//!
//! # Rotating a key
//!
//! Two entries may be live at once, so a key is replaced without downtime: add the new
//! key under a new name (`shop-2:<new>:checkout` beside `shop:<old>:checkout`), restart
//! the facades, move the clients to the new key, then remove the old entry and restart
//! again. The caller's name in logs tells which clients still use the old key.
//!
//! # Wiring a facade
//!
//! ```no_run
//! use access::{Access, Caller, LoadLimits, Scope};
//! use axum::{Router, routing::post};
//!
//! async fn replenish(caller: Caller) -> Result<&'static str, problem::Problem> {
//!     caller.require(Scope::Stock)?;
//!     Ok("replenished")
//! }
//!
//! # fn wire(bind_addr: std::net::IpAddr) -> anyhow::Result<Router> {
//! let access = Access::from_env(bind_addr)?;
//! tracing::info!("{}", access.start_line());
//! let router = Router::new()
//!     .route("/inventory/{sku}/replenish", post(replenish))
//!     // Innermost: the request span is current when the caller is named on it.
//!     .layer(access.layer())
//!     // Outside the access layer, so a shed request costs no key digest.
//!     .layer(LoadLimits::from_env()?.layer());
//! // Then the metrics and trace layers, outermost, so that 401, 429, 503 and 504 answers
//! // are traced and counted too. The trace span must declare `caller` to receive it.
//! // Serve with `into_make_service_with_connect_info::<SocketAddr>()` so that keyless
//! // callers are rate-limited by client address.
//! # Ok(router)
//! # }
//! ```

mod caller;
mod keys;
mod layer;
mod policy;
mod rate_limit;
mod scope;
mod service_key;
mod settings;
mod shedding;

pub use caller::{ADMIN, ANONYMOUS, Caller, CallerName, NameError, Unauthorized};
pub use keys::{Callers, KeyError, KeysError, MIN_KEY_LEN};
pub use layer::{AccessLayer, AccessService};
pub use policy::{Access, AccessError, Mode};
pub use scope::{Scope, Scopes, UnknownScope};
pub use service_key::ServiceKey;
pub use settings::AccessSettings;
pub use shedding::{
    DEFAULT_MAX_CONCURRENT_REQUESTS, DEFAULT_REQUEST_TIMEOUT, LimitsError, LoadLimits,
    LoadShedding, Shed, ShedAnswer,
};

/// The header a caller's key travels in.
pub const API_KEY_HEADER: &str = "x-api-key";
