//! Connecting to RabbitMQ with capped exponential backoff (each attempt bounded in
//! time, so a broker that accepts the socket and then says nothing is retried too), and
//! reading and writing the AMQP headers this library uses.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use backon::{ExponentialBuilder, Retryable};
use lapin::{
    Connection, ConnectionProperties,
    types::{AMQPValue, FieldTable, LongString},
};
use tokio_util::sync::CancellationToken;

/// Header: how many times a message has been retried.
pub const RETRIES_HEADER: &str = "x-retries";
/// Header: why a message was dead-lettered.
pub const DEAD_REASON_HEADER: &str = "x-dead-reason";
/// Header: the exchange the message was first published to.
pub const ORIGINAL_EXCHANGE_HEADER: &str = "x-original-exchange";
/// Header: the routing key the message was first published with.
pub const ORIGINAL_ROUTING_KEY_HEADER: &str = "x-original-routing-key";
/// Header: when the message was dead-lettered (RFC 3339).
pub const DEAD_AT_HEADER: &str = "x-dead-at";

/// Longest wait for one connection attempt: TCP, then the AMQP handshake.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether this process currently holds a working broker connection; read by
/// `/readyz`, written by the relay.
#[derive(Debug, Clone, Default)]
pub struct BrokerHealth(Arc<AtomicBool>);

impl BrokerHealth {
    pub fn set(&self, up: bool) {
        self.0.store(up, Ordering::Relaxed);
    }

    pub fn is_up(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Connects, retrying with backoff (100 ms doubling to 5 s, with jitter) until it
/// succeeds or `stop` is cancelled (then `None`).
pub async fn connect(url: &str, stop: &CancellationToken) -> Option<Connection> {
    let attempt = || async {
        let connecting = Connection::connect(url, ConnectionProperties::default());
        match tokio::time::timeout(CONNECT_TIMEOUT, connecting).await {
            Ok(connected) => connected.map_err(anyhow::Error::from),
            Err(_) => Err(anyhow::anyhow!(
                "no answer within {}s",
                CONNECT_TIMEOUT.as_secs()
            )),
        }
    };
    let backoff = ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(100))
        .with_max_delay(Duration::from_secs(5))
        .with_jitter()
        .without_max_times();
    tokio::select! {
        () = stop.cancelled() => None,
        result = attempt
            .retry(backoff)
            .notify(|e, wait| tracing::warn!(error = %e, ?wait, "broker unreachable, retrying")) => {
            result.ok()
        }
    }
}

/// A string header, if present.
pub fn header_str(headers: Option<&FieldTable>, key: &str) -> Option<String> {
    match headers?.inner().get(key)? {
        AMQPValue::LongString(s) => Some(String::from_utf8_lossy(s.as_bytes()).into_owned()),
        AMQPValue::ShortString(s) => Some(s.as_str().to_owned()),
        _ => None,
    }
}

/// An integer header, if present.
pub fn header_int(headers: Option<&FieldTable>, key: &str) -> Option<i64> {
    match headers?.inner().get(key)? {
        AMQPValue::LongLongInt(n) => Some(*n),
        AMQPValue::LongInt(n) => Some(i64::from(*n)),
        AMQPValue::LongUInt(n) => Some(i64::from(*n)),
        AMQPValue::ShortInt(n) => Some(i64::from(*n)),
        AMQPValue::ShortUInt(n) => Some(i64::from(*n)),
        _ => None,
    }
}

pub fn set_str(headers: &mut FieldTable, key: &str, value: &str) {
    headers.insert(key.into(), AMQPValue::LongString(LongString::from(value)));
}

pub fn set_int(headers: &mut FieldTable, key: &str, value: i64) {
    headers.insert(key.into(), AMQPValue::LongLongInt(value));
}
