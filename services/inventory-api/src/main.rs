//! Starts inventory-api: telemetry, settings from the environment, serve until a
//! shutdown signal.

use inventory_api::{config::Settings, startup::Application};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _telemetry = telemetry::init("inventory-api");
    let settings = Settings::from_env()?;
    Application::build(settings)
        .await?
        .run_until_stopped()
        .await
}
