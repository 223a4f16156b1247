//! Starts inventory-api: telemetry, settings from the environment, serve until a
//! shutdown signal.

use inventory_api::{config::Settings, startup};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _telemetry = telemetry::init("inventory-api");
    startup::build(Settings::from_env()?)
        .await?
        .run_until_stopped()
        .await
}
