//! Getting an account and keeping it safe from the popup: signup (with and
//! without an invitation, with mail verification), forgot password, 2FA
//! setup at first login and from the start panel, API keypair mode, and a
//! pinned endpoint.

use anyhow::{Context, Result, ensure};
use baigate_e2e::smtp::SmtpServer;
use baigate_e2e::{
    Browser, Companion, PASSWORD, Popup, extension_with_settings, keys, totp_code, wait_for_mail,
};
use serde_json::json;

const NEW_PASSWORD: &str = "Fresh-start-2027!";

/// Fills the signup form (the token only when given).
async fn fill_signup(
    popup: &Popup<'_>,
    email: &str,
    username: &str,
    token: Option<&str>,
) -> Result<()> {
    popup.expect_panel("signup").await?;
    popup.type_into("#signup-email", email).await?;
    popup.type_into("#signup-username", username).await?;
    popup.type_into("#signup-password", NEW_PASSWORD).await?;
    popup.type_into("#signup-confirm", NEW_PASSWORD).await?;
    if let Some(token) = token {
        popup.type_into("#signup-token", token).await?;
    }
    popup.click("input[name=\"agreement\"]").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signup_with_an_invitation_then_confirm_by_mail_and_log_in() -> Result<()> {
    let smtp = SmtpServer::start();
    let companion = Companion::start(&[("BAIGATE_MAIL__SMTP_URL", &smtp.url())])?;
    let (_, link) = companion.invite(1)?;
    with_browser!(browser, {
        let popup = browser.open_popup().await?;
        popup.use_endpoint(&companion.url).await?;
        // The companion offers signup (by invitation) and password reset.
        popup.click("[data-action=\"show-signup\"]").await?;
        popup.expect_panel("signup").await?;
        ensure!(popup.focused_id().await? == "signup-email");
        ensure!(
            popup.has("#signup-token").await,
            "an invitation is asked for"
        );
        popup.screenshot("signup").await?;

        // The checklist follows the typing.
        popup.type_into("#signup-password", "short").await?;
        popup
            .wait_for("[data-rule=\"min-length\"][data-outcome=\"failed\"]")
            .await?;
        popup.type_into("#signup-confirm", "other").await?;
        popup
            .wait_for("[data-rule=\"confirm-matches\"][data-outcome=\"failed\"]")
            .await?;

        // A wrong token is refused next to its field.
        fill_signup(
            &popup,
            "new@example.com",
            "newbie",
            Some("not-a-real-token"),
        )
        .await?;
        popup
            .wait_for("[data-rule=\"min-length\"][data-outcome=\"passed\"]")
            .await?;
        popup
            .wait_for("[data-rule=\"confirm-matches\"][data-outcome=\"passed\"]")
            .await?;
        popup.screenshot("signup-filled").await?;
        popup.click("[data-action=\"signup\"]").await?;
        popup
            .wait_for("#signup-token-error[data-field-error=\"errorInvitationInvalid\"]")
            .await?;
        popup.screenshot("signup-invalid-invitation").await?;

        // The whole invitation link pasted: only its token stays.
        popup.type_into("#signup-token", &link).await?;
        let token = popup
            .attr("#signup-token", "value")
            .await?
            .unwrap_or_default();
        let kept = popup
            .eval("return document.getElementById('signup-token').value")
            .await?;
        ensure!(
            !kept.as_str().unwrap_or_default().contains("://"),
            "{token} / {kept}"
        );
        popup.click("[data-action=\"signup\"]").await?;
        popup.expect_panel("mail-sent").await?;
        popup
            .wait_text("[data-mail-sent]", "new@example.com")
            .await?;
        popup.screenshot("signup-check-mail").await?;

        // Not confirmed yet: the login says so.
        popup.click("[data-action=\"back\"]").await?;
        popup.log_in("newbie", NEW_PASSWORD).await?;
        popup.expect_notice("errorNeedsVerification").await?;

        // The mailed link confirms the address on the companion's page.
        let mail = wait_for_mail(&smtp, "new@example.com").await?;
        let page = browser
            .open_page(&mail.link(&format!("{}/verify-email", companion.url)))
            .await?;
        page.wait_text("body", "confirmed").await?;

        let popup = browser.open_popup().await?;
        popup.log_in("newbie", NEW_PASSWORD).await?;
        popup.expect_panel("start").await?;
        Ok(())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_signup_without_invitation_confirms_by_mail() -> Result<()> {
    let smtp = SmtpServer::start();
    let companion = Companion::start(&[
        ("BAIGATE_MAIL__SMTP_URL", &smtp.url()),
        ("BAIGATE_SIGNUP__MODE", "open"),
    ])?;
    with_browser!(browser, {
        let popup = browser.open_popup().await?;
        popup.use_endpoint(&companion.url).await?;
        popup.click("[data-action=\"show-signup\"]").await?;
        ensure!(
            !popup.has("#signup-token").await,
            "open signup asks for no token"
        );
        fill_signup(&popup, "open@example.com", "opener", None).await?;
        popup.click("[data-action=\"signup\"]").await?;
        popup.expect_panel("mail-sent").await?;
        // Sent again on request: a second mail arrives.
        popup.click("[data-action=\"resend\"]").await?;
        popup.expect_notice("verificationResent").await?;
        // The newest link is the one that works.
        wait_for_mail(&smtp, "open@example.com").await?;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while smtp.messages_to("open@example.com").len() < 2 {
            ensure!(
                std::time::Instant::now() < deadline,
                "the mail was not sent again"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let mail = smtp
            .messages_to("open@example.com")
            .pop()
            .context("no mail")?;
        let page = browser
            .open_page(&mail.link(&format!("{}/verify-email", companion.url)))
            .await?;
        page.wait_text("body", "confirmed").await?;

        let popup = browser.open_popup().await?;
        popup.log_in("opener", NEW_PASSWORD).await?;
        popup.expect_panel("start").await
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_signup_logs_in_at_once_and_a_taken_email_is_said_so() -> Result<()> {
    let companion = Companion::start(&[
        ("BAIGATE_SIGNUP__MODE", "open"),
        ("BAIGATE_SIGNUP__VERIFY_EMAIL", "false"),
    ])?;
    companion.add_user("taken@example.com", "taken")?;
    with_browser!(browser, {
        let popup = browser.open_popup().await?;
        popup.use_endpoint(&companion.url).await?;
        popup.click("[data-action=\"show-signup\"]").await?;
        ensure!(
            !popup.has("#signup-token").await,
            "open signup asks for no token"
        );

        fill_signup(&popup, "taken@example.com", "someone", None).await?;
        popup.click("[data-action=\"signup\"]").await?;
        popup
            .wait_for("#signup-email-error[data-field-error=\"errorEmailTaken\"]")
            .await?;

        popup
            .type_into("#signup-email", "fresh@example.com")
            .await?;
        popup.click("[data-action=\"signup\"]").await?;
        // Straight back to the form, the new address filled in.
        popup.expect_panel("login").await?;
        popup.expect_notice("accountCreated").await?;
        let filled = popup
            .eval("return document.getElementById('username').value")
            .await?;
        ensure!(filled == "fresh@example.com", "{filled}");
        ensure!(popup.focused_id().await? == "password");
        popup.type_into("#password", NEW_PASSWORD).await?;
        popup.press(keys::ENTER).await?;
        popup.expect_panel("start").await?;
        Ok(())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forgot_password_by_mail_then_log_in_with_the_new_one() -> Result<()> {
    let smtp = SmtpServer::start();
    let companion = Companion::start(&[("BAIGATE_MAIL__SMTP_URL", &smtp.url())])?;
    companion.add_user("frank@example.com", "frank")?;
    with_browser!(browser, {
        let popup = browser.open_popup().await?;
        popup.use_endpoint(&companion.url).await?;
        popup.click("[data-action=\"show-forgot\"]").await?;
        popup.expect_panel("forgot").await?;
        popup.screenshot("forgot").await?;
        popup
            .type_into("#forgot-email", "frank@example.com")
            .await?;
        popup.press(keys::ENTER).await?;
        popup.expect_panel("mail-sent").await?;
        popup.screenshot("forgot-check-mail").await?;

        // An unknown address gets the very same answer.
        popup.click("[data-action=\"back\"]").await?;
        popup.click("[data-action=\"show-forgot\"]").await?;
        popup
            .type_into("#forgot-email", "nobody@example.com")
            .await?;
        popup.press(keys::ENTER).await?;
        popup.expect_panel("mail-sent").await?;

        let mail = wait_for_mail(&smtp, "frank@example.com").await?;
        let page = browser
            .open_page(&mail.link(&format!("{}/change-password", companion.url)))
            .await?;
        page.type_into("#password", NEW_PASSWORD).await?;
        page.type_into("#password_confirm", NEW_PASSWORD).await?;
        let email = page
            .eval("return document.getElementById('email').value")
            .await?;
        if email.as_str().unwrap_or_default().is_empty() {
            page.type_into("#email", "frank@example.com").await?;
        }
        page.click("form button[type=\"submit\"]").await?;
        page.wait_text("body", "Log in with the new password")
            .await?;
        ensure!(smtp.messages_to("nobody@example.com").is_empty());

        let popup = browser.open_popup().await?;
        popup.log_in("frank", PASSWORD).await?;
        popup.expect_notice("errorMismatch").await?;
        popup.log_in("frank", NEW_PASSWORD).await?;
        popup.expect_panel("start").await?;
        Ok(())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_login_sets_up_two_factor_then_a_recovery_code_logs_in() -> Result<()> {
    let companion = Companion::start(&[("BAIGATE_TOTP__REQUIRED", "true")])?;
    companion.add_user("gina@example.com", "gina")?;
    with_browser!(browser, {
        let popup = browser.open_popup().await?;
        popup.use_endpoint(&companion.url).await?;
        popup.log_in("gina", PASSWORD).await?;
        popup.expect_panel("totp-setup").await?;
        popup.wait_for("[data-step=\"scan\"]").await?;
        popup.wait_for("svg[data-qr] path").await?;
        ensure!(popup.focused_id().await? == "totp-code");
        popup.screenshot("totp-setup").await?;

        // The key shown in the popup is the one the authenticator would use.
        let key = popup
            .attr("[data-totp-key]", "data-totp-key")
            .await?
            .context("no key")?;
        let secret = totp_rs::Secret::Encoded(key)
            .to_bytes()
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        popup
            .type_into("#totp-code", &totp_code(&secret, 0)?)
            .await?;
        popup.wait_for("[data-step=\"codes\"]").await?;
        let codes = popup.text("[data-recovery-codes]").await?;
        let codes: Vec<String> = codes.split_whitespace().map(str::to_owned).collect();
        ensure!(codes.len() == 10, "{codes:?}");
        popup.screenshot("totp-recovery-codes").await?;

        // Then the login goes on with the next code.
        popup.click("[data-action=\"codes-saved\"]").await?;
        popup.expect_panel("otp").await?;
        popup.expect_notice("otpAfterSetup").await?;
        popup.type_into("#otp", &totp_code(&secret, 1)?).await?;
        popup.expect_panel("start").await?;

        // A recovery code logs in once.
        popup.click("[data-action=\"logout\"]").await?;
        popup.log_in("gina", PASSWORD).await?;
        popup.expect_panel("otp").await?;
        popup.type_into("#otp", &codes[0]).await?;
        popup.press(keys::ENTER).await?;
        popup.expect_panel("start").await?;
        popup.click("[data-action=\"logout\"]").await?;
        popup.log_in("gina", PASSWORD).await?;
        popup.type_into("#otp", &codes[0]).await?;
        popup.press(keys::ENTER).await?;
        popup.expect_notice("otpInvalid").await?;
        Ok(())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_factor_turned_on_and_off_from_the_start_panel() -> Result<()> {
    let companion = Companion::start(&[])?;
    companion.add_user("hank@example.com", "hank")?;
    with_browser!(browser, {
        let popup = browser.open_popup().await?;
        popup.use_endpoint(&companion.url).await?;
        popup.log_in("hank", PASSWORD).await?;
        popup.expect_panel("start").await?;
        popup.click("[data-action=\"turn-on-2fa\"]").await?;
        popup.wait_for("[data-step=\"scan\"]").await?;
        let key = popup
            .attr("[data-totp-key]", "data-totp-key")
            .await?
            .context("no key")?;
        let secret = totp_rs::Secret::Encoded(key)
            .to_bytes()
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        // A wrong code first: said next to the field, which is emptied.
        let wrong = if totp_code(&secret, 0)? == "000000" {
            "111111"
        } else {
            "000000"
        };
        popup.type_into("#totp-code", wrong).await?;
        popup
            .wait_for("#totp-code-error[data-field-error=\"otpInvalid\"]")
            .await?;
        popup
            .type_into("#totp-code", &totp_code(&secret, 0)?)
            .await?;
        popup.wait_for("[data-step=\"codes\"]").await?;
        popup.click("[data-action=\"codes-saved\"]").await?;
        popup.expect_panel("start").await?;
        popup.expect_notice("totpOnNotice").await?;
        popup
            .wait_for("[data-fact=\"totp\"][data-enabled=\"true\"]")
            .await?;

        popup.click("[data-action=\"turn-off-2fa\"]").await?;
        popup.expect_panel("totp-off").await?;
        popup.screenshot("totp-off").await?;
        popup.type_into("#totp-off-password", "not-it").await?;
        popup.click("[data-action=\"turn-off-totp\"]").await?;
        popup.wait_for("[data-notice]").await?;
        popup.expect_panel("totp-off").await?;
        popup.type_into("#totp-off-password", PASSWORD).await?;
        popup.click("[data-action=\"turn-off-totp\"]").await?;
        popup.expect_panel("start").await?;
        popup
            .wait_for("[data-fact=\"totp\"][data-enabled=\"false\"]")
            .await?;
        Ok(())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_mode_with_a_keypair_from_the_command_line() -> Result<()> {
    let companion = Companion::start(&[])?;
    let (access_key, secret_key) = companion.add_user_with_keys("ivy@example.com", "ivy")?;
    with_browser!(browser, {
        let popup = browser.open_popup().await?;
        popup.use_endpoint(&companion.url).await?;
        popup.click("[data-mode-option=\"api\"]").await?;
        popup.wait_for("#access-key").await?;
        popup.screenshot("login-api-mode").await?;

        // A wrong secret: refused as such.
        popup.type_into("#access-key", &access_key).await?;
        popup
            .type_into("#secret-key", &format!("{}x", &secret_key[1..]))
            .await?;
        popup.press(keys::ENTER).await?;
        popup.expect_notice("errorKeypairMismatch").await?;

        popup.type_into("#secret-key", &secret_key).await?;
        popup.press(keys::ENTER).await?;
        popup.expect_panel("start").await?;
        popup.wait_for("[data-mode=\"api\"]").await?;
        ensure!(popup.text(".access-key code").await? == access_key);
        ensure!(popup.text(".role").await?.contains("user"));
        ensure!(popup.has("[data-action=\"copy-environment\"]").await);
        ensure!(
            !popup.has("[data-action=\"extend\"]").await,
            "no session to extend"
        );
        popup.screenshot("start-api-mode").await?;

        // Reopened, the popup is still in API mode with the keys of this
        // browser session; the mode is remembered for the endpoint.
        let popup = browser.open_popup().await?;
        popup.wait_for("[data-mode=\"api\"]").await?;
        popup.click("[data-action=\"logout\"]").await?;
        popup.expect_panel("login").await?;
        popup
            .wait_for("input[name=\"mode\"][value=\"api\"]:checked")
            .await?;
        Ok(())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pinned_endpoint_cannot_be_changed() -> Result<()> {
    let companion = Companion::start(&[])?;
    companion.add_user("jo@example.com", "jo")?;
    let pinned = extension_with_settings(&json!({"pinned_endpoint": companion.url}))?;
    let browser = Browser::start_with("en-US", pinned.path()).await?;
    let outcome: Result<()> = async {
        let popup = browser.open_popup().await?;
        popup.expect_panel("login").await?;
        popup.wait_for("[data-health=\"companion\"]").await?;
        ensure!(!popup.has("details.advanced").await, "no Advanced field");
        ensure!(popup.text(".endpoint-address").await? == companion.url);
        popup.screenshot("login-pinned").await?;
        popup.log_in("jo", PASSWORD).await?;
        popup.expect_panel("start").await
    }
    .await;
    browser.close().await;
    outcome
}
