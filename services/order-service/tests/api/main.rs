//! order-service with a real inventory-service, PostgreSQL and RabbitMQ: the
//! event-driven saga end to end, its timers, duplicates and reordering, and a crash.

mod backpressure;
mod crash;
mod helpers;
mod locations;
mod orders;
mod payments;
mod retention;
mod saga;
