use order_service::{config::Settings, startup};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _telemetry = telemetry::init("order-service");
    startup::build(Settings::from_env()?)
        .await?
        .run_until_stopped()
        .await
}
