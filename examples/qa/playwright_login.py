#!/usr/bin/env python3
"""Log in with the baigate extension in headless Chromium, driven by
Playwright: preset the endpoint, try a wrong password, log in (with the
one-time code when the account has 2FA), read the start panel, log out.

    python3 examples/qa/playwright_login.py --endpoint http://127.0.0.1:8090 \\
        --username alice --password 'Gate-keeper-42!' --totp-secret JBSWY3DPEHPK3PXP

Against a Backend.AI webserver add `--expect-server backend-ai`. Exits 0 when
every step did what docs/qa.md says; otherwise names the step that did not.
Playwright drives Debian's Chromium (`executable_path`): no browser is
downloaded, and `playwright install` is never needed.
"""

import tempfile

from playwright.sync_api import sync_playwright

from baigate_qa import (CHROMIUM, check, chromium_args, extension_id, fresh_totp, parse_args,
                        preset_script)

# Waits for a panel once no request is in flight.
READY = 'main[data-busy="false"] [data-panel="{}"]'


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    ext = extension_id(args.extension)
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as profile:
        # A persistent context: extensions load only into a profile of their own.
        # headless=False because the flags already say --headless=new.
        browser = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=False,
            args=chromium_args(args.extension))
        try:
            page = browser.new_page()
            page.set_default_timeout(15_000)

            # Preset the endpoint (and language) from an extension page: no clicks.
            page.goto(f"chrome-extension://{ext}/options.html")
            page.wait_for_selector("main.options")
            page.evaluate(preset_script(args.endpoint, args.language))

            # The popup, opened as a page.
            page.goto(f"chrome-extension://{ext}/popup.html")
            page.wait_for_selector(READY.format("login"))
            page.wait_for_selector(f'[data-health="{args.expect_server}"]')

            # A wrong password: the refusal names its problem type.
            page.fill("#username", args.username)
            page.fill("#password", "not-" + args.password)
            page.click('[data-action="login"]')
            refusal = page.wait_for_selector('[data-notice][data-problem="auth-failed"]')
            print("wrong password:", refusal.text_content())

            # The right one; then the one-time code if the account has 2FA (it
            # is sent by itself once six digits are typed).
            page.fill("#password", args.password)
            page.click('[data-action="login"]')
            page.wait_for_selector(f'{READY.format("otp")}, {READY.format("start")}')
            if page.query_selector('[data-panel="otp"]'):
                check(args.totp_secret is not None, "the account asks for a code: pass --totp-secret")
                page.fill("#otp", fresh_totp(args.totp_secret))
                page.wait_for_selector(READY.format("start"))

            # The start panel: who, the access key, whether Extend is offered.
            who = page.get_attribute("[data-user]", "data-user")
            access_key = page.text_content('[data-qa="access-key"]')
            check(bool(who) and bool(access_key), "the start panel names the account")
            extend = page.query_selector('[data-action="extend"]') is not None
            print(f"logged in as {who}, access key {access_key}, Extend offered: {extend}")
            if args.screenshot:
                page.screenshot(path=str(args.screenshot))

            page.click('[data-action="logout"]')
            page.wait_for_selector(READY.format("login"))
            print("logged out")
        finally:
            browser.close()


if __name__ == "__main__":
    main()
