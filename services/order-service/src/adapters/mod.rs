//! Adapters: the PostgreSQL store, the HTTP API, the RabbitMQ side (the exchange this
//! service owns and the inventory events it consumes), and the payment provider,
//! measured.

pub mod amqp;
pub mod events;
pub mod http;
pub mod measured_payments;
pub mod postgres;
pub mod saga_metrics;

/// The use cases as the service runs them: over PostgreSQL, paying with the provider
/// `PAYMENT_PROVIDER` names.
pub type ServiceOrders = crate::application::Orders<
    postgres::PgOrderStore,
    measured_payments::MeasuredProvider<payment::Provider>,
>;
