//! Single sign-on with SAML 2.0 against a real identity provider
//! (SimpleSAMLphp from Debian), its sign-in form filled in Chromium: from
//! the popup's "Login with SAML" (beside "Login with <realm>" when both are
//! configured) through the worker's sign-in window; a person the companion
//! has no account for, then let in once the provider remembers her; the
//! button in Korean and Japanese; and the WebUI's form post, landing with a
//! token.

use anyhow::{Context, Result, ensure};
use baigate_e2e::openid::OpenIdProvider;
use baigate_e2e::saml::{SamlIdp, fill_sign_in};
use baigate_e2e::{Browser, Companion, Popup, http};
use serde_json::{Value, json};

use crate::sso::wait_for_token;

/// A companion started as a user starts it with `sso.saml.idp_metadata`
/// set to the provider's metadata URL (and more settings), then
/// registered with the provider as the page `/func/saml/metadata` says.
fn companion_with_saml(more: &[(&'static str, String)]) -> Result<Companion> {
    let idp = SamlIdp::shared();
    let mut settings = vec![("BAIGATE_SSO__SAML__IDP_METADATA", idp.metadata_url())];
    settings.extend_from_slice(more);
    let settings: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let companion = Companion::start(&settings)?;
    let metadata = http()
        .get(format!("{}/func/saml/metadata", companion.url))
        .call()?
        .body_mut()
        .read_to_string()?;
    let entity_id = format!("{}/func/saml/metadata", companion.url);
    let acs = format!("{}/func/saml/acs", companion.url);
    ensure!(
        metadata.contains(&format!("entityID=\"{entity_id}\"")) && metadata.contains(&acs),
        "{metadata}"
    );
    idp.register(&entity_id, &acs);
    Ok(companion)
}

/// Clicks "Login with SAML", signs in as `name` in the window it opens,
/// and comes back to the popup's window once that window has closed.
async fn sign_in_with_saml<'a>(
    browser: &'a Browser,
    popup: &Popup<'a>,
    name: &str,
) -> Result<Popup<'a>> {
    let client = popup.client();
    let home = client.window().await?;
    let known = client.windows().await?;
    popup.click("[data-action=\"sso-saml\"]").await?;
    let window = browser.switch_to_new_window(&known).await?;
    fill_sign_in(&window, name).await?;
    browser.switch_to(home).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_in_with_saml_beside_the_realm_then_log_out() -> Result<()> {
    let companion = companion_with_saml(&OpenIdProvider::shared().settings())?;
    let access_key = companion.add_user("alice@example.com", "alice")?;
    with_browser!(browser, {
        let popup = browser.open_popup().await?;
        popup.use_endpoint(&companion.url).await?;
        // The WebUI's order: SAML first, then the realm.
        let labels = popup
            .eval("return [...document.querySelectorAll('button.sso')].map((b) => b.textContent);")
            .await?;
        ensure!(
            labels == json!(["Login with SAML", "Login with Example"]),
            "{labels}"
        );
        popup.screenshot("login-sso-saml-and-openid").await?;

        let popup = sign_in_with_saml(&browser, &popup, "alice").await?;
        popup.expect_panel("start").await?;
        popup.wait_for("[data-summary=\"account\"]").await?;
        ensure!(popup.attr(".who", "data-user").await?.as_deref() == Some("alice@example.com"));
        ensure!(popup.text(".access-key code").await? == access_key);
        popup.screenshot("start-after-saml").await?;

        popup.click("[data-action=\"logout\"]").await?;
        popup.expect_panel("login").await?;
        Ok(())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_without_an_account_is_told_so() -> Result<()> {
    let companion = companion_with_saml(&[])?;
    with_browser!(browser, {
        let popup = browser.open_popup().await?;
        popup.use_endpoint(&companion.url).await?;
        let label = popup.text("[data-action=\"sso-saml\"]").await?;
        ensure!(label == "Login with SAML", "{label}");
        ensure!(!popup.has("[data-action=\"sso-openid\"]").await);

        // carol@example.com signs in at the provider; no account has her
        // address and accounts are not opened from SAML here.
        let popup = sign_in_with_saml(&browser, &popup, "carol").await?;
        let message = popup.expect_notice("ssoAccountNotFound").await?;
        ensure!(!message.is_empty());
        popup.expect_panel("login").await?;
        popup.screenshot("login-saml-no-account").await?;

        // Once an administrator has opened her account, the next click logs
        // her in: the provider remembers her sign-in and answers at once
        // (its window opens and closes by itself).
        companion.add_user("carol@example.com", "carol")?;
        popup.click("[data-action=\"sso-saml\"]").await?;
        popup.expect_panel("start").await?;
        popup.wait_for("[data-summary=\"account\"]").await?;
        ensure!(popup.attr(".who", "data-user").await?.as_deref() == Some("carol@example.com"));
        Ok(())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_webui_form_post_to_saml_lands_with_a_token_that_logs_in() -> Result<()> {
    let companion = companion_with_saml(&[])?;
    let access_key = companion.add_user("bob@example.com", "bob")?;
    let landing = format!("{}/terms?from=webui", companion.url);
    with_browser!(browser, {
        // What the WebUI does for "Login with SAML": a form post to the
        // endpoint's `/func/saml/login` with the page to come back to.
        let page = browser.open_page("about:blank").await?;
        page.eval(&format!(
            "const form = document.createElement('form'); form.method = 'POST'; \
             form.action = {action}; const field = document.createElement('input'); \
             field.type = 'hidden'; field.name = 'redirect_to'; field.value = {landing}; \
             form.append(field); document.body.append(form); form.submit();",
            action = json!(format!("{}/func/saml/login", companion.url)),
            landing = json!(landing)
        ))
        .await?;
        // The provider's form, then its answer posted to the companion.
        fill_sign_in(&page, "bob").await?;
        let reached = wait_for_token(&page, &landing).await?;
        let token = reached
            .query_pairs()
            .find(|(key, _)| key == "sToken")
            .map(|(_, value)| value.into_owned())
            .context("no sToken")?;

        let mut answer = http()
            .post(format!("{}/server/token-login", companion.url))
            .send_json(json!({"sToken": &token}))?;
        let session = answer
            .headers()
            .get("x-backendai-sessionid")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .context("token login gave no session")?;
        let body: Value = answer.body_mut().read_json()?;
        ensure!(body["authenticated"] == true, "{body}");
        let check: Value = http()
            .post(format!("{}/server/login-check", companion.url))
            .header("X-BackendAI-SessionID", &session)
            .send_json(json!({}))?
            .body_mut()
            .read_json()?;
        ensure!(check["authenticated"] == true, "{check}");
        ensure!(
            check["data"]["access_key"] == access_key.as_str(),
            "{check}"
        );
        // Spent: the same token again is refused.
        let again: Value = http()
            .post(format!("{}/server/token-login", companion.url))
            .send_json(json!({"sToken": token}))?
            .body_mut()
            .read_json()?;
        ensure!(again["authenticated"] == false, "{again}");
        Ok(())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_saml_button_in_korean_and_japanese() -> Result<()> {
    let companion = companion_with_saml(&[])?;
    for (lang, label) in [("ko", "SAML(으)로 로그인"), ("ja", "SAML でログイン")] {
        let browser = Browser::start_in(lang).await?;
        let outcome = async {
            let popup = browser.open_popup().await?;
            popup.use_endpoint(&companion.url).await?;
            let shown = popup.text("[data-action=\"sso-saml\"]").await?;
            ensure!(shown == label, "{lang}: {shown}");
            popup.screenshot(&format!("{lang}-login-saml")).await
        }
        .await;
        browser.close().await;
        outcome?;
    }
    Ok(())
}
