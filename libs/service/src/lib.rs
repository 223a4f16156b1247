//! The runtime every service of the system runs on, so that a service's `startup` only
//! says what is particular to it: its routes, its workers and its settings.
//!
//! - [`Service`]: a bound HTTP listener, its router and named background workers, run
//!   until a shutdown signal; then the listener stops accepting, in-flight requests
//!   finish, every worker is told to stop and is waited for (a sweep or an event in
//!   hand completes first), and a worker that panicked fails the run, naming it.
//! - [`http::shell`]: what wraps every service's routes: the problem+json fallbacks, the
//!   body limit, the callers' access (facades), load shedding, request metrics and
//!   traces, and `/metrics`.
//! - [`Periodic`]: the worker that does a round, pauses, and goes again at once while a
//!   round finds a full batch (hold expiry, saga timers, retention, samplers).
//! - [`settings`]: the settings every service reads ([`settings::Http`]), composed into
//!   each service's typed settings.
//! - [`Backbone`]: what every domain service reads and runs the same way: its database
//!   with the messaging tables, the outbox relay, the consumer of its queue, the
//!   retention of handled events, the admin routes over its DLQ ([`Messaging`]).

mod backbone;
pub mod http;
mod periodic;
mod runtime;
pub mod settings;

pub use backbone::{Backbone, Messaging};
pub use periodic::{Pace, Periodic};
pub use runtime::{Builder, Service, Spawned};
