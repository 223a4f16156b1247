//! Starts order-api: telemetry, settings from the environment, serve until a shutdown
//! signal.

use order_api::{config::Settings, startup};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _telemetry = telemetry::init("order-api");
    startup::build(Settings::from_env()?)
        .await?
        .run_until_stopped()
        .await
}
