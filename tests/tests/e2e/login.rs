//! Logging in: passwords, one-time codes, locks, and sessions elsewhere.

use std::time::Duration;

use anyhow::{Result, ensure};
use baigate_e2e::{Browser, Companion, PASSWORD, Popup, keys, totp_code};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_in_see_the_start_panel_extend_and_log_out() -> Result<()> {
    let companion = Companion::start(&[("BAIGATE_SESSION__LIFETIME", "10m")])?;
    let access_key = companion.add_user("alice@example.com", "alice")?;
    with_browser!(browser, {
        let popup = browser.open_popup().await?;
        popup.expect_panel("login").await?;
        ensure!(
            popup.focused_id().await? == "username",
            "the user field has the focus"
        );
        popup.use_endpoint(&companion.url).await?;
        popup.screenshot("login").await?;

        // A wrong password: a specific message, the password cleared and focused.
        popup.log_in("alice", "not-the-password").await?;
        let message = popup.expect_notice("errorMismatch").await?;
        ensure!(message.contains("not right"), "{message}");
        ensure!(popup.focused_id().await? == "password");
        popup.screenshot("login-wrong-password").await?;

        // The right one: the start panel with the account and live numbers.
        popup.log_in("alice", PASSWORD).await?;
        popup.expect_panel("start").await?;
        popup.wait_for("[data-summary=\"account\"]").await?;
        ensure!(popup.attr(".who", "data-user").await?.as_deref() == Some("alice@example.com"));
        ensure!(popup.text(".access-key code").await? == access_key);
        ensure!(popup.text(".role").await?.contains("user"));
        popup.wait_for("[data-usage=\"memory\"]").await?;
        let live = popup.text("[data-fact=\"live-sessions\"]").await?;
        ensure!(live.ends_with(": 1"), "{live}");
        let memory = popup.text("[data-usage=\"memory\"] .usage-value").await?;
        ensure!(memory.contains(" of ") && memory.contains("iB"), "{memory}");
        let cpu = popup.text("[data-usage=\"cpu\"] .usage-value").await?;
        ensure!(cpu.contains('%') && cpu.contains("cores"), "{cpu}");
        let first = popup.remaining(".countdown").await?;
        ensure!(
            (590..=600).contains(&first),
            "a 10-minute session: {first} s left"
        );
        popup.screenshot("start").await?;

        // The session survives closing and reopening the popup.
        let popup = browser.open_popup().await?;
        popup.expect_panel("start").await?;

        // Extend: the countdown goes back up to the full lifetime.
        tokio::time::sleep(Duration::from_millis(2_200)).await;
        let before = popup.remaining(".countdown").await?;
        popup.click("[data-action=\"extend\"]").await?;
        popup.expect_notice("extended").await?;
        let after = popup.remaining(".countdown").await?;
        ensure!(after > before, "extended: {before} s → {after} s");
        popup.screenshot("start-extended").await?;

        // Log out: back to the form, and the session is gone on the server.
        popup.click("[data-action=\"logout\"]").await?;
        popup.expect_panel("login").await?;
        let popup = browser.open_popup().await?;
        popup.expect_panel("login").await?;
        Ok(())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_in_with_a_one_time_code() -> Result<()> {
    let companion = Companion::start(&[])?;
    companion.add_user("bob@example.com", "bob")?;
    let secret = companion.enrol_totp("bob")?.secret;
    with_browser!(browser, {
        let popup = browser.open_popup().await?;
        popup.use_endpoint(&companion.url).await?;
        popup.log_in("bob@example.com", PASSWORD).await?;
        popup.expect_panel("otp").await?;
        ensure!(popup.focused_id().await? == "otp");
        ensure!(popup.attr("#otp", "autocomplete").await?.as_deref() == Some("one-time-code"));
        popup.screenshot("otp").await?;

        // A wrong code, typed: it submits itself at six digits.
        let wrong = if totp_code(&secret, 0)? == "000000" {
            "111111"
        } else {
            "000000"
        };
        popup.type_into("#otp", wrong).await?;
        popup.expect_notice("otpInvalid").await?;
        popup.expect_panel("otp").await?;
        popup.screenshot("otp-wrong-code").await?;

        // The right code, pasted with a space in the middle.
        let code = totp_code(&secret, 0)?;
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        popup
            .eval(&format!(
                "const f = document.getElementById('otp'); f.value = '{spaced}'; \
                 f.dispatchEvent(new InputEvent('input', {{bubbles: true, inputType: 'insertFromPaste'}}));"
            ))
            .await?;
        popup.expect_panel("start").await?;
        let totp = popup.text("[data-fact=\"totp\"]").await?;
        ensure!(totp.contains("on"), "{totp}");
        Ok(())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eleven_wrong_passwords_lock_the_account_with_a_countdown() -> Result<()> {
    let companion = Companion::start(&[])?;
    companion.add_user("carol@example.com", "carol")?;
    with_browser!(browser, {
        let popup = browser.open_popup().await?;
        popup.use_endpoint(&companion.url).await?;
        for attempt in 1..=10 {
            popup.log_in("carol", &format!("wrong-{attempt}")).await?;
            popup.expect_notice("errorMismatch").await?;
        }
        // The eleventh is refused before the password is looked at.
        popup.log_in("carol", PASSWORD).await?;
        popup.expect_panel("locked").await?;
        let first = popup.remaining(".countdown").await?;
        ensure!((1190..=1200).contains(&first), "20 minutes: {first} s");
        let text = popup.text(".countdown").await?;
        ensure!(text.contains("19:5") || text.contains("20:00"), "{text}");
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        let later = popup.remaining(".countdown").await?;
        ensure!(later < first, "the countdown runs: {first} → {later}");
        popup.screenshot("locked").await?;
        // Escape leads back to the form; the lock still holds there.
        popup.press(keys::ESCAPE).await?;
        popup.expect_panel("login").await?;
        popup.log_in("carol", PASSWORD).await?;
        popup.expect_panel("locked").await?;
        Ok(())
    })
}

/// Logs `user` in on a popup and waits for the start panel.
async fn logged_in(popup: &Popup<'_>, endpoint: &str, user: &str) -> Result<()> {
    popup.use_endpoint(endpoint).await?;
    popup.log_in(user, PASSWORD).await?;
    popup.expect_panel("start").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_login_ends_the_first_when_the_user_says_so() -> Result<()> {
    let companion = Companion::start(&[])?;
    companion.add_user("dave@example.com", "dave")?;
    let first = Browser::start().await?;
    let second = Browser::start().await?;
    let outcome: Result<()> = async {
        let one = first.open_popup().await?;
        logged_in(&one, &companion.url, "dave").await?;

        let two = second.open_popup().await?;
        two.use_endpoint(&companion.url).await?;
        two.log_in("dave", PASSWORD).await?;
        two.expect_panel("conflict").await?;
        // The companion lists the other session: this browser, from loopback.
        let choice = two.text(".sessions li").await?;
        ensure!(
            choice.contains("Chrome") && choice.contains("127.0.0.1"),
            "{choice}"
        );
        ensure!(two.focused_id().await?.is_empty() || two.focused_id().await? != "username");
        two.screenshot("conflict").await?;

        // Escape cancels; nothing ends.
        two.press(keys::ESCAPE).await?;
        two.expect_panel("login").await?;
        let still = first.open_popup().await?;
        still.expect_panel("start").await?;

        // Again, and this time end the other session.
        two.log_in("dave", PASSWORD).await?;
        two.expect_panel("conflict").await?;
        two.click("[data-action=\"end-session\"]").await?;
        two.expect_panel("start").await?;

        // The first browser finds itself logged out.
        let one = first.open_popup().await?;
        one.expect_panel("login").await?;
        one.expect_notice("errorSessionEnded").await?;
        one.screenshot("login-session-ended").await?;
        Ok(())
    }
    .await;
    first.close().await;
    second.close().await;
    outcome
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_two_factor_ending_the_other_session_takes_a_fresh_code() -> Result<()> {
    let companion = Companion::start(&[])?;
    companion.add_user("erin@example.com", "erin")?;
    let enrolment = companion.enrol_totp("erin")?;
    let first = Browser::start().await?;
    let second = Browser::start().await?;
    let outcome: Result<()> = async {
        // The first browser logs in with a recovery code.
        let one = first.open_popup().await?;
        one.use_endpoint(&companion.url).await?;
        one.log_in("erin", PASSWORD).await?;
        one.expect_panel("otp").await?;
        one.type_into("#otp", &enrolment.recovery_codes[0]).await?;
        one.press(keys::ENTER).await?;
        one.expect_panel("start").await?;

        // The second passes password and code, and meets the first session.
        let two = second.open_popup().await?;
        two.use_endpoint(&companion.url).await?;
        two.log_in("erin", PASSWORD).await?;
        two.expect_panel("otp").await?;
        two.type_into("#otp", &totp_code(&enrolment.secret, 0)?)
            .await?;
        two.expect_panel("conflict").await?;
        two.click("[data-action=\"end-session\"]").await?;
        // That code is spent: the popup asks for the next one.
        two.expect_panel("otp").await?;
        two.expect_notice("otpFreshCode").await?;
        two.screenshot("otp-fresh-code").await?;
        two.type_into("#otp", &totp_code(&enrolment.secret, 1)?)
            .await?;
        two.expect_panel("start").await?;

        let one = first.open_popup().await?;
        one.expect_notice("errorSessionEnded").await?;
        Ok(())
    }
    .await;
    first.close().await;
    second.close().await;
    outcome
}
