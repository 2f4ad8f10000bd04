//! Logs go to stderr through `tracing`. Nothing logged carries a password,
//! token or secret: handlers log account ids and outcomes only.

use tracing_subscriber::EnvFilter;

/// Installs the subscriber; `RUST_LOG` wins over the configured filter.
pub fn init(filter: &str) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(filter))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    // A second init (tests) keeps the first subscriber.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
