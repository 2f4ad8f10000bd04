"""What both QA examples share: where the unpacked extension is and what its
id is, how Chromium is started with it, the script that presets the popup's
endpoint and language, one-time codes, and the command line.

Only the Python standard library: the examples add Playwright or Selenium.
"""

import argparse
import base64
import hashlib
import hmac
import json
import struct
import time
import urllib.request
from pathlib import Path

# The extension's id never changes: its manifest carries a fixed public key
# (docs/extension-id.md). extension_id() computes it from the manifest.
EXTENSION_ID = "kkddbdcblenceacjpknibiiglhjplaad"

# Debian's Chromium and its driver (packages chromium, chromium-driver).
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def extension_id(extension_dir: Path) -> str:
    """The id Chromium gives the unpacked extension: SHA-256 of the public
    key in its manifest, first 32 hex digits, 0-f written as a-p."""
    manifest = json.loads((extension_dir / "manifest.json").read_text())
    digest = hashlib.sha256(base64.b64decode(manifest["key"])).hexdigest()[:32]
    return "".join(chr(ord("a") + int(digit, 16)) for digit in digest)


def chromium_args(extension_dir: Path, lang: str = "en-US") -> list:
    """Flags for headless Chromium with the extension loaded (the profile
    directory is the tool's to pass). `--headless=new` is the headless mode
    that runs extensions; the rest keep a test browser quiet and off the
    network (no sync, no component updates, no first-run page)."""
    return [
        "--headless=new",
        "--no-sandbox",  # running as root in a container; drop it otherwise
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=420,820",
        f"--lang={lang}",
        f"--disable-extensions-except={extension_dir}",
        f"--load-extension={extension_dir}",
    ]


def preset_script(endpoint: str, language: str | None) -> str:
    """JavaScript for one of the extension's own pages (options.html): sets
    the endpoint the popup uses and, optionally, its language, as the popup
    and the options page would store them. Returns a promise."""
    items = {"endpoint": endpoint}
    if language:
        items["language"] = language
    return f"chrome.storage.local.set({json.dumps(items)})"


def totp(secret_base32: str, at: float | None = None, step: int = 30, digits: int = 6) -> str:
    """The RFC 6238 code (SHA-1, 30 s, 6 digits: what Backend.AI and baigate
    use) of a base32 secret, as an authenticator app shows it."""
    padded = secret_base32.upper().replace(" ", "")
    padded += "=" * (-len(padded) % 8)
    key = base64.b32decode(padded)
    counter = int((time.time() if at is None else at) // step)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    number = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def fresh_totp(secret_base32: str) -> str:
    """A code with at least 5 seconds of its 30 left, so it is still good
    when the server checks it."""
    if 30 - time.time() % 30 < 5:
        time.sleep(30 - time.time() % 30 + 0.5)
    return totp(secret_base32)


def _post(url: str, body: dict, session: str | None = None):
    headers = {"Content-Type": "application/json"}
    if session:
        headers["X-BackendAI-SessionID"] = session
    request = urllib.request.Request(url, json.dumps(body).encode(), headers, method="POST")
    with urllib.request.urlopen(request, timeout=30) as reply:
        return reply.headers, json.loads(reply.read() or b"null")


def enrol_totp(endpoint: str, username: str, password: str) -> str:
    """Turns on two-factor authentication for a test account through the
    API the WebUI uses (log in, `POST /func/totp`, `POST /func/totp/verify`,
    log out) and returns its secret. The confirming code is the previous
    time step's, so the current step's code is still unused for the login
    that follows (each code works once)."""
    headers, answer = _post(f"{endpoint}/server/login", {"username": username, "password": password})
    session = headers.get("X-BackendAI-SessionID")
    check(bool(session) and answer.get("authenticated") is True, f"logging in to enrol: {answer}")
    try:
        _, enrolment = _post(f"{endpoint}/func/totp", {}, session)
        secret = enrolment["totp_key"]
        _, confirmed = _post(f"{endpoint}/func/totp/verify",
                             {"otp": totp(secret, time.time() - 30)}, session)
        check(bool(confirmed.get("recovery_codes")), f"confirming 2FA: {confirmed}")
    finally:
        _post(f"{endpoint}/server/logout", {}, session)
    return secret


def parse_args(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--extension", type=Path, default=Path("dist/extension"),
                        help="the unpacked extension (default: dist/extension)")
    parser.add_argument("--endpoint", required=True,
                        help="a baigate companion or a Backend.AI webserver, e.g. http://127.0.0.1:8090")
    parser.add_argument("--username", required=True, help="email or username")
    parser.add_argument("--password", required=True)
    parser.add_argument("--totp-secret",
                        help="the account's two-factor secret (base32), when it has 2FA")
    parser.add_argument("--expect-server", choices=["companion", "backend-ai"], default="companion",
                        help="what the endpoint is: the popup's health pill says so before logging in")
    parser.add_argument("--language", choices=["en", "ko", "ja"],
                        help="the popup's language (default: the browser's)")
    parser.add_argument("--screenshot", type=Path, help="save the start panel here (PNG)")
    args = parser.parse_args()
    args.extension = args.extension.resolve()
    return args


def check(condition: bool, what: str) -> None:
    """Stops the script with a message when `condition` fails."""
    if not condition:
        raise SystemExit(f"FAILED: {what}")


if __name__ == "__main__":
    # python3 baigate_qa.py enrol-totp <endpoint> <username> <password>: prints the secret.
    import sys
    if sys.argv[1:2] == ["enrol-totp"] and len(sys.argv) == 5:
        print(enrol_totp(*sys.argv[2:5]))
    else:
        raise SystemExit("usage: baigate_qa.py enrol-totp <endpoint> <username> <password>")
