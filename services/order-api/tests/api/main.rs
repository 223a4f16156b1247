//! order-api against the real services (PostgreSQL, RabbitMQ, inventory-service,
//! inventory-api, order-service), and with wiremock standing in for inventory-api when
//! the inventory path must fail in precise ways.

mod access;
mod checkout;
mod helpers;
mod inventory_failures;
mod locations;
mod observability;
mod paths;
mod payments;
