//! Creates the SKUs the scenarios use, before anything is measured. Re-runs reuse them:
//! a 409 `sku_exists` counts as done.

use anyhow::{Context, bail};
use contracts::inventory::CreateInventoryRequest;
use futures::{StreamExt, stream};
use reqwest::{Client, StatusCode};

use crate::scenario::{HOT_SKU, SPREAD_SKUS, spread_sku, unit_price};

/// The largest stock level a SKU may have: the bench must never run out.
const INITIAL_QTY: i64 = 1_000_000_000;
/// Creations in flight at once: enough to be quick, few enough not to be a load test.
const IN_FLIGHT: usize = 32;

/// Fails early, with a clear message, when nothing answers at `target`.
pub async fn check_reachable(client: &Client, target: &str) -> anyhow::Result<()> {
    let response = client
        .get(format!("{target}/healthz"))
        .send()
        .await
        .with_context(|| format!("inventory-api does not answer at {target} (is it running?)"))?;
    if !response.status().is_success() {
        bail!("{target}/healthz answered {}", response.status());
    }
    Ok(())
}

/// Creates `HOT-0000-AA` and `BEN-0000-AA` ..= `BEN-9999-AA` with the maximum stock,
/// each priced ([`unit_price`]); a SKU left by an earlier run is given its price (a
/// price it has already changes nothing).
pub async fn create_skus(client: &Client, target: &str) -> anyhow::Result<()> {
    let skus = std::iter::once(HOT_SKU.to_owned()).chain((0..SPREAD_SKUS).map(spread_sku));
    let mut created = 0_u64;
    let mut existing = 0_u64;
    let mut answers = stream::iter(skus)
        .map(|sku| create(client, target, sku))
        .buffer_unordered(IN_FLIGHT);
    while let Some(answer) = answers.next().await {
        match answer? {
            Created::New => created += 1,
            Created::AlreadyThere => existing += 1,
        }
    }
    eprintln!("setup: {created} SKUs created, {existing} already there");
    Ok(())
}

enum Created {
    New,
    AlreadyThere,
}

async fn create(client: &Client, target: &str, sku: String) -> anyhow::Result<Created> {
    let response = client
        .post(format!("{target}/inventory"))
        .json(&CreateInventoryRequest {
            sku: sku.clone(),
            qty: INITIAL_QTY,
            safety_stock: None,
            unit_price: Some(unit_price().into()),
        })
        .send()
        .await
        .with_context(|| format!("creating {sku}"))?;
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    match status {
        StatusCode::CREATED => Ok(Created::New),
        StatusCode::CONFLICT if body.contains("sku_exists") => {
            price(client, target, &sku).await?;
            Ok(Created::AlreadyThere)
        }
        _ => bail!("creating {sku} answered {status}: {body}"),
    }
}

async fn price(client: &Client, target: &str, sku: &str) -> anyhow::Result<()> {
    let response = client
        .put(format!("{target}/inventory/{sku}/price"))
        .json(&unit_price().to_money())
        .send()
        .await
        .with_context(|| format!("pricing {sku}"))?;
    let status = response.status();
    if !status.is_success() {
        bail!(
            "pricing {sku} answered {status}: {}",
            response.text().await.unwrap_or_default()
        );
    }
    Ok(())
}
