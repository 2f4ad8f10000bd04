//! Measures how long the popup takes from opening `popup.html` to a rendered
//! login form, in headless Chromium with the built extension: the
//! `baigate:login-form` User Timing mark, relative to the page's start.
//! Prints JSON for `scripts/bench.sh`: the first open after the browser
//! started (`cold_ms`), then ten more (`runs_ms`, `median_ms`, `max_ms`).

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use baigate_e2e::Browser;

const RUNS: usize = 10;

async fn measure(browser: &Browser) -> Result<Vec<f64>> {
    let client = browser.client()?;
    let url = format!("chrome-extension://{}/popup.html", browser.extension_id);
    let mut runs = Vec::with_capacity(RUNS + 1);
    for _ in 0..=RUNS {
        client.goto("about:blank").await?;
        client.goto(&url).await?;
        let deadline = Instant::now() + Duration::from_secs(10);
        let ms = loop {
            let value = client
                .execute(
                    "const m = performance.getEntriesByName('baigate:login-form'); \
                     return m.length ? m[0].startTime : null;",
                    Vec::new(),
                )
                .await?;
            if let Some(ms) = value.as_f64() {
                break ms;
            }
            if Instant::now() > deadline {
                bail!("the login form never rendered");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        runs.push(ms);
    }
    Ok(runs)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let browser = Browser::start().await?;
    let outcome = measure(&browser).await;
    browser.close().await;
    let mut runs = outcome?;
    let cold = runs.remove(0);
    let mut sorted = runs.clone();
    sorted.sort_by(f64::total_cmp);
    let median = (sorted[RUNS / 2 - 1] + sorted[RUNS / 2]) / 2.0;
    let max = sorted.last().copied().context("no runs")?;
    println!(
        "{}",
        serde_json::json!({"cold_ms": cold, "runs_ms": runs, "median_ms": median, "max_ms": max})
    );
    Ok(())
}
