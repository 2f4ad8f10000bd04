#!/usr/bin/env python3
"""Log in with the baigate extension in headless Chromium, driven by
Selenium through chromedriver: preset the endpoint, try a wrong password,
log in (with the one-time code when the account has 2FA), read the start
panel, log out.

    python3 examples/qa/selenium_login.py --endpoint http://127.0.0.1:8090 \\
        --username alice --password 'Gate-keeper-42!' --totp-secret JBSWY3DPEHPK3PXP

Against a Backend.AI webserver add `--expect-server backend-ai`. Exits 0 when
every step did what docs/qa.md says; otherwise names the step that did not.
Selenium uses Debian's Chromium and chromedriver, named explicitly, so it
downloads nothing.
"""

import tempfile

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from baigate_qa import (CHROMEDRIVER, CHROMIUM, check, chromium_args, extension_id, fresh_totp,
                        parse_args, preset_script)

# A panel once no request is in flight.
READY = 'main[data-busy="false"] [data-panel="{}"]'


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    ext = extension_id(args.extension)
    with tempfile.TemporaryDirectory() as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in chromium_args(args.extension) + [f"--user-data-dir={profile}"]:
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
        wait = WebDriverWait(driver, 15)

        def find(css):
            return wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, css)))

        def type_into(css, text):
            field = find(css)
            field.clear()
            field.send_keys(text)

        try:
            # Preset the endpoint (and language) from an extension page: no clicks.
            driver.get(f"chrome-extension://{ext}/options.html")
            find("main.options")
            done = driver.execute_async_script(
                "const done = arguments[arguments.length - 1];"
                f"{preset_script(args.endpoint, args.language)}.then(() => done(true), (e) => done(String(e)));")
            check(done is True, f"presetting the endpoint: {done}")

            # The popup, opened as a page.
            driver.get(f"chrome-extension://{ext}/popup.html")
            find(READY.format("login"))
            find(f'[data-health="{args.expect_server}"]')

            # A wrong password: the refusal names its problem type.
            type_into("#username", args.username)
            type_into("#password", "not-" + args.password)
            find('[data-action="login"]').click()
            refusal = find('[data-notice][data-problem="auth-failed"]')
            print("wrong password:", refusal.text)

            # The right one; then the one-time code if the account has 2FA (it
            # is sent by itself once six digits are typed).
            type_into("#password", args.password)
            find('[data-action="login"]').click()
            find(f'{READY.format("otp")}, {READY.format("start")}')
            if driver.find_elements(By.CSS_SELECTOR, '[data-panel="otp"]'):
                check(args.totp_secret is not None, "the account asks for a code: pass --totp-secret")
                type_into("#otp", fresh_totp(args.totp_secret))
                find(READY.format("start"))

            # The start panel: who, the access key, whether Extend is offered.
            who = find("[data-user]").get_attribute("data-user")
            access_key = find('[data-qa="access-key"]').text
            check(bool(who) and bool(access_key), "the start panel names the account")
            extend = bool(driver.find_elements(By.CSS_SELECTOR, '[data-action="extend"]'))
            print(f"logged in as {who}, access key {access_key}, Extend offered: {extend}")
            if args.screenshot:
                driver.save_screenshot(str(args.screenshot))

            find('[data-action="logout"]').click()
            find(READY.format("login"))
            print("logged out")
        finally:
            driver.quit()


if __name__ == "__main__":
    main()
