use order_api::{config::Settings, startup::Application};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _telemetry = telemetry::init("order-api");
    let settings = Settings::from_env()?;
    Application::build(settings)
        .await?
        .run_until_stopped()
        .await
}
