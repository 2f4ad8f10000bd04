//! The popup against a companion serving HTTPS with a team's own CA, under
//! a host name as on a LAN: Chromium trusts the certificate's key (as a
//! browser given the team's CA does) and resolves the name to this machine;
//! the extension holds the access to that name the user grants at the first
//! login (see `extension_with_access`).

use anyhow::{Result, ensure};
use baigate_e2e::tls::TestCa;
use baigate_e2e::{Browser, Companion, PASSWORD, extension_with_access};

const HOST: &str = "baigate.team.test";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_in_over_https_with_a_team_ca() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let ca = TestCa::new("team CA")?;
    let served = ca.issue(&[HOST])?;
    let (cert_file, key_file) = (dir.path().join("server.pem"), dir.path().join("server.key"));
    served.install(&cert_file, &key_file)?;
    let companion = Companion::start(&[
        (
            "BAIGATE_SERVER__TLS__CERT_FILE",
            cert_file.to_str().unwrap_or_default(),
        ),
        (
            "BAIGATE_SERVER__TLS__KEY_FILE",
            key_file.to_str().unwrap_or_default(),
        ),
    ])?;
    companion.add_user("alice@example.com", "alice")?;
    let port = companion
        .url
        .rsplit(':')
        .next()
        .unwrap_or_default()
        .to_owned();
    ensure!(companion.url.starts_with("https://"), "{}", companion.url);
    let endpoint = format!("https://{HOST}:{port}");

    let extension = extension_with_access(&[&format!("https://{HOST}/*")])?;
    let browser = Browser::start_with_flags(
        "en-US",
        extension.path(),
        &[
            format!("--host-resolver-rules=MAP {HOST} 127.0.0.1"),
            format!(
                "--ignore-certificate-errors-spki-list={}",
                served.spki_sha256
            ),
        ],
    )
    .await?;
    let outcome: Result<()> = async {
        let popup = browser.open_popup().await?;
        popup.use_endpoint(&endpoint).await?;
        popup.log_in("alice", PASSWORD).await?;
        popup.expect_panel("start").await?;
        popup.screenshot("start-https").await?;
        popup.click("[data-action=\"logout\"]").await?;
        popup.expect_panel("login").await?;
        Ok(())
    }
    .await;
    browser.close().await;
    outcome
}
