#!/usr/bin/env python3
"""Measures the companion and prints a table (called by scripts/bench.sh).

Everything runs on this machine in one go: a companion release build started
as a user starts it (bcrypt cost 12, its defaults), wrk as the load generator.
"""

import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BAIGATE = ROOT / "dist" / "bin" / "baigate"
BCRYPT_RATE = ROOT / "target" / "release" / "examples" / "bcrypt_rate"
POPUP_TIMING = ROOT / "target" / "release" / "popup-timing"
EXTENSION = ROOT / "dist" / "extension"
PASSWORD = "S3cret!pass"
LOAD_SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CORES = os.cpu_count() or 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAIGATE_")}
    env["RUST_LOG"] = "warn"
    return env


def request(url: str, method: str = "GET", body=None, headers=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


class Companion:
    """`baigate serve` on a free loopback port."""

    def __init__(self, data_dir: Path, settings: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = clean_env()
        env.update(settings or {})
        started = time.perf_counter()
        self.proc = subprocess.Popen(
            [str(BAIGATE), "--data-dir", str(data_dir), "serve", "--listen", f"127.0.0.1:{self.port}"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.05):
                    pass
                status, _, _ = request(f"{self.url}/health")
                if status == 200:
                    break
            except OSError:
                pass
            if self.proc.poll() is not None:
                sys.exit("the companion exited during start-up")
            if time.perf_counter() - started > 30:
                sys.exit("the companion did not become ready")
            time.sleep(0.002)
        self.ready_ms = (time.perf_counter() - started) * 1000

    def rss_mib(self) -> float:
        return status_kib(self.proc.pid, "VmRSS") / 1024

    def peak_rss_mib(self) -> float:
        return status_kib(self.proc.pid, "VmHWM") / 1024

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not found")


def to_ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(url: str, connections: int, lua: str, seconds: int = LOAD_SECONDS) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua)
    try:
        out = subprocess.run(
            ["wrk", f"-t{min(CORES, connections)}", f"-c{connections}", f"-d{seconds}s",
             "--latency", "-s", script.name, url],
            capture_output=True, text=True, check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    result = {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": to_ms(re.search(r"\s50%\s+(\S+)", out).group(1)),
        "p99_ms": to_ms(re.search(r"\s99%\s+(\S+)", out).group(1)),
        "errors": 0,
    }
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if non2xx:
        result["errors"] += int(non2xx.group(1))
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if socket_errors:
        result["errors"] += sum(int(n) for n in socket_errors.groups())
    return result


def post_lua(body: dict, headers: dict) -> str:
    lines = ['wrk.method = "POST"', f"wrk.body = {json.dumps(json.dumps(body))}",
             'wrk.headers["Content-Type"] = "application/json"']
    lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
    return "\n".join(lines) + "\n"


def add_user(data_dir: Path, email: str, username: str, settings: dict | None = None):
    env = clean_env()
    env.update(settings or {})
    subprocess.run(
        [str(BAIGATE), "--data-dir", str(data_dir), "user", "add", "--email", email,
         "--username", username, "--password-stdin"],
        input=PASSWORD + "\n", text=True, env=env, check=True, capture_output=True,
    )


def login(url: str, username: str, password: str = PASSWORD, client_ip: str | None = None):
    started = time.perf_counter()
    headers = {"Content-Type": "application/json"}
    if client_ip:
        headers["X-Forwarded-For"] = client_ip
    status, headers, body = request(
        f"{url}/server/login", "POST", {"username": username, "password": password, "force": True},
        headers,
    )
    elapsed = (time.perf_counter() - started) * 1000
    answer = json.loads(body)
    return answer, headers.get("X-BackendAI-SessionID") or headers.get("x-backendai-sessionid"), elapsed


def p99(samples: list) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]


def flood_effect(tmp: Path) -> tuple:
    """A legitimate login's p99 idle, then while another address floods wrong
    passwords (both behind a trusted proxy, so X-Forwarded-For names them)."""
    data = tmp / "flood"
    settings = {"BAIGATE_SERVER__TRUSTED_PROXIES": '["127.0.0.1/32"]'}
    add_user(data, "legit@example.com", "legit", settings)
    add_user(data, "target@example.com", "target", settings)
    companion = Companion(data, settings)
    time.sleep(1.5)
    samples = 20

    def legit_logins():
        out = []
        for _ in range(samples):
            answer, _, elapsed = login(companion.url, "legit", client_ip="10.0.0.1")
            assert answer["authenticated"], answer
            out.append(elapsed)
        return out

    idle = legit_logins()
    script = post_lua({"username": "target", "password": "Wr0ng!password"},
                      {"X-Forwarded-For": "10.6.6.6"})
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script)
    flood = subprocess.Popen(
        ["wrk", "-t1", "-c16", "-d600s", "-s", lua.name, f"{companion.url}/server/login"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(2)
        loaded = legit_logins()
    finally:
        flood.terminate()
        flood.wait()
        os.unlink(lua.name)
        companion.stop()
    return p99(idle), p99(loaded)


def rss_with_sessions(tmp: Path, count: int) -> tuple:
    """RSS with `count` live sessions, made by real logins. bcrypt cost 4 here:
    what is measured is the memory sessions take, not hashing."""
    data = tmp / "sessions"
    settings = {
        "BAIGATE_PASSWORD__BCRYPT_COST": "4",
        "BAIGATE_THROTTLE__PER_IP_PER_MINUTE": "0",
        "BAIGATE_SESSION__MAX_CONCURRENT": str(count + 10),
    }
    add_user(data, "many@example.com", "many", settings)
    companion = Companion(data, settings)
    make = post_lua({"username": "many", "password": PASSWORD}, {})
    for _ in range(60):
        if sqlite_count(data, "SELECT count(*) FROM sessions") >= count:
            break
        wrk(f"{companion.url}/server/login", 4, make, seconds=1)
    live = sqlite_count(data, "SELECT count(*) FROM sessions")
    # Touch them all: look every session up once more.
    answer, token, _ = login(companion.url, "many")
    wrk(f"{companion.url}/server/login-check", 32, post_lua({}, {"X-BackendAI-SessionID": token}), seconds=3)
    time.sleep(1)
    rss = companion.rss_mib()
    companion.stop()
    return live, rss


def sqlite_count(data: Path, query: str) -> int:
    import sqlite3
    with sqlite3.connect(data / "baigate.sqlite3") as db:
        return db.execute(query).fetchone()[0]


def gzip_size(path: Path) -> int:
    import gzip
    return len(gzip.compress(path.read_bytes(), compresslevel=9))


def popup_rows() -> list:
    """The popup's download size and its time to a rendered login form."""
    wasm = EXTENSION / "pkg" / "baigate_extension_bg.wasm"
    glue = EXTENSION / "pkg" / "baigate_extension.js"
    env = dict(os.environ, BAIGATE_EXTENSION_DIR=str(EXTENSION))
    timing = json.loads(subprocess.run(
        [str(POPUP_TIMING)], capture_output=True, text=True, check=True, env=env,
    ).stdout)
    return [
        ("popup .wasm raw / gzip -9", f"{wasm.stat().st_size / 1024:.0f} / {gzip_size(wasm) / 1024:.0f} KiB", "gzip ≤ 200 KiB"),
        ("popup JS glue raw / gzip -9", f"{glue.stat().st_size / 1024:.1f} / {gzip_size(glue) / 1024:.1f} KiB", ""),
        ("popup open → login form, median of 10", f"{timing['median_ms']:.0f} ms", "≤ 150 ms"),
        ("  slowest of 10 / first open after browser start", f"{timing['max_ms']:.0f} / {timing['cold_ms']:.0f} ms", ""),
    ]


def main():
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        add_user(data, "bench@example.com", "bench")

        # All load comes from this one address: the per-IP throttle would
        # measure itself. It has its own measure below.
        unthrottled = {"BAIGATE_THROTTLE__PER_IP_PER_MINUTE": "0"}
        # Start-up time on an existing database (median of 5).
        ready = []
        for _ in range(5):
            companion = Companion(data, unthrottled)
            ready.append(companion.ready_ms)
            companion.stop()
        companion = Companion(data, unthrottled)
        time.sleep(1.5)  # let the start-up work (dummy hash) finish
        idle_rss = companion.rss_mib()

        answer, token, _ = login(companion.url, "bench")
        assert answer["authenticated"], answer

        check_runs = [
            wrk(f"{companion.url}/server/login-check", 64, post_lua({}, {"X-BackendAI-SessionID": token}))
            for _ in range(3)
        ]
        check = sorted(check_runs, key=lambda r: r["rps"])[1]
        load_rss = companion.peak_rss_mib()

        login_run = wrk(
            f"{companion.url}/server/login", 2 * CORES,
            post_lua({"username": "bench", "password": PASSWORD, "force": True}, {}),
        )

        # Enumeration: a wrong password and an unknown user, interleaved
        # (fewer than the ten failures that lock an account).
        wrong, unknown = [], []
        for _ in range(4):
            wrong.append(login(companion.url, "bench", "Wr0ng!password")[2])
            unknown.append(login(companion.url, "nobody-here", "Wr0ng!password")[2])
        companion.stop()

        idle_p99, flood_p99 = flood_effect(Path(tmp))
        live_sessions, sessions_rss = rss_with_sessions(Path(tmp), 10_000)

    raw = json.loads(subprocess.run(
        [str(BCRYPT_RATE), "12", str(LOAD_SECONDS), str(CORES)],
        capture_output=True, text=True, check=True,
    ).stdout)

    ratio = login_run["rps"] / raw["per_second"]
    rows = [
        ("login-check requests/s (64 conn, median of 3)", f"{check['rps']:,.0f}", "≥ 10× Backend.AI webserver (peer run: issue 10)"),
        ("login-check p50 / p99 latency", f"{check['p50_ms']:.2f} / {check['p99_ms']:.2f} ms", "p99 ≤ 1/10 of the peer's"),
        ("login-check errors", str(check["errors"]), "0"),
        ("logins/s, correct password, bcrypt cost 12", f"{login_run['rps']:.2f}", ""),
        ("raw bcrypt verifications/s, cost 12, all cores", f"{raw['per_second']:.2f}", ""),
        ("logins/s ÷ raw bcrypt rate", f"{ratio:.0%}", "≥ 90%"),
        ("login errors", str(login_run["errors"]), "0"),
        ("wrong password vs unknown user, median", f"{statistics.median(wrong):.0f} / {statistics.median(unknown):.0f} ms", "equal"),
        ("legitimate login p99: idle / during a flood from another IP", f"{idle_p99:.0f} / {flood_p99:.0f} ms", "≤ 2× idle"),
        ("  ratio", f"{flood_p99 / idle_p99:.2f}×", ""),
        ("idle RSS", f"{idle_rss:.1f} MiB", "≤ 15 MiB"),
        (f"RSS with {live_sessions:,} live sessions", f"{sessions_rss:.1f} MiB", "≤ 40 MiB"),
        ("peak RSS during login-check load", f"{load_rss:.1f} MiB", ""),
        ("ready after start, existing database (median of 5)", f"{statistics.median(ready):.0f} ms", "≤ 100 ms"),
    ] + popup_rows()
    width = max(len(r[0]) for r in rows)
    value_width = max(len(r[1]) for r in rows)
    print(f"\nbaigate benchmark — {time.strftime('%Y-%m-%d')}, {CORES} cores, "
          f"{LOAD_SECONDS} s per load run, wrk\n")
    print(f"{'measure':<{width}}  {'value':>{value_width}}  target")
    print(f"{'-' * width}  {'-' * value_width}  ------")
    for name, value, target in rows:
        print(f"{name:<{width}}  {value:>{value_width}}  {target}")


if __name__ == "__main__":
    if not BAIGATE.exists():
        sys.exit(f"{BAIGATE} is missing: run scripts/build.sh")
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: run scripts/setup.sh bench")
    main()
