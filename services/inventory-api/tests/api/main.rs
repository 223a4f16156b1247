//! Black-box tests of inventory-api: a real server on a free port, with a wiremock
//! server standing in for inventory-service in each test.

mod access;
mod forwarding;
mod health;
mod helpers;
mod locations;
mod metrics;
mod openapi;
mod prices;
mod upstream_failures;
mod validation;
