#!/usr/bin/env python3
"""Measures the companion beside the real Backend.AI webserver 23.09.10, prints
a table and writes it to docs/benchmarks.md (called by scripts/bench.sh).

Everything runs on this machine in one go: a companion release build started
as a user starts it (bcrypt cost 12, its defaults), the webserver with Redis
started as its documentation says (scripts/bench/peer.py), and wrk as the one
load generator for both.
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
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "bench"))
from peer import Peer, free_port  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BAIGATE = Path(os.environ.get("BENCH_BAIGATE", ROOT / "dist" / "bin" / "baigate"))
BCRYPT_RATE = ROOT / "target" / "release" / "examples" / "bcrypt_rate"
POPUP_TIMING = ROOT / "target" / "release" / "popup-timing"
EXTENSION = ROOT / "dist" / "extension"
PASSWORD = "S3cret!pass"
LOAD_SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CORES = os.cpu_count() or 1
# The Python of the virtualenv holding backend.ai-webserver (set by bench.sh).
PEER_PYTHON = Path(os.environ.get("BENCH_PEER_PYTHON", "python3"))


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

    def __init__(self, data_dir: Path, settings: dict | None = None, binary: Path = BAIGATE):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = clean_env()
        env.update(settings or {})
        started = time.perf_counter()
        self.proc = subprocess.Popen(
            [str(binary), "--data-dir", str(data_dir), "serve", "--listen", f"127.0.0.1:{self.port}"],
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

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def status_kib(pid: int, field: str) -> int:
    return kib_field(Path(f"/proc/{pid}/status"), field)


def kib_field(path: Path, field: str) -> int:
    """A `Field:   1234 kB` line of a /proc file, in KiB."""
    for line in path.read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not found in {path}")


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
    # Printed by AUTHENTICATED_LUA: 200 answers that did not say authenticated.
    unauthenticated = re.search(r"unauthenticated: (\d+)", out)
    if unauthenticated:
        result["errors"] += int(unauthenticated.group(1))
    # Requests answered as asked, per second: a 500 is no answer to a login check.
    total = re.search(r"(\d+) requests in ([\d.]+\w+),", out)
    answered = int(total.group(1)) - (int(non2xx.group(1)) if non2xx else 0)
    answered -= int(unauthenticated.group(1)) if unauthenticated else 0
    result["ok_rps"] = answered / (to_ms(total.group(2)) / 1000)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if socket_errors:
        result["errors"] += sum(int(n) for n in socket_errors.groups())
    return result


def post_lua(body: dict, headers: dict) -> str:
    lines = ['wrk.method = "POST"', f"wrk.body = {json.dumps(json.dumps(body))}",
             'wrk.headers["Content-Type"] = "application/json"']
    lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
    return "\n".join(lines) + "\n"


def add_user(data_dir: Path, email: str, username: str, settings: dict | None = None,
             binary: Path = BAIGATE):
    env = clean_env()
    env.update(settings or {})
    subprocess.run(
        [str(binary), "--data-dir", str(data_dir), "user", "add", "--email", email,
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
    # Logins until there are `count` sessions (a slow machine needs longer
    # than a minute at 4 connections).
    started = time.monotonic()
    while time.monotonic() - started < 300:
        if sqlite_count(data, "SELECT count(*) FROM sessions") >= count:
            break
        wrk(f"{companion.url}/server/login", 4, make, seconds=1)
    live = sqlite_count(data, "SELECT count(*) FROM sessions")
    # Then the hottest request for a while, as in use.
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


class Row:
    """One line of the table. `ratio` is always baigate ÷ peer."""

    def __init__(self, measure: str, ours: str, target: str = "", met: bool | None = None,
                 peer: str = "", ratio: str = ""):
        self.cells = [measure, ours, peer, ratio, target,
                      "" if met is None else ("yes" if met else "NO")]


def popup_rows() -> list:
    """The popup's download size and its time to a rendered login form."""
    wasm = EXTENSION / "pkg" / "baigate_extension_bg.wasm"
    glue = EXTENSION / "pkg" / "baigate_extension.js"
    env = dict(os.environ, BAIGATE_EXTENSION_DIR=str(EXTENSION))
    timing = json.loads(subprocess.run(
        [str(POPUP_TIMING)], capture_output=True, text=True, check=True, env=env,
    ).stdout)
    wasm_gzip = gzip_size(wasm) / 1024
    return [
        Row("popup .wasm, raw / gzip -9", f"{wasm.stat().st_size / 1024:.0f} / {wasm_gzip:.0f} KiB",
            "gzip ≤ 250 KiB", wasm_gzip <= 250),
        Row("popup JS glue, raw / gzip -9",
            f"{glue.stat().st_size / 1024:.1f} / {gzip_size(glue) / 1024:.1f} KiB"),
        Row("popup open → login form, median of 10", f"{timing['median_ms']:.0f} ms",
            "≤ 150 ms", timing["median_ms"] <= 150),
        Row("  slowest of 10 / first open after browser start",
            f"{timing['max_ms']:.0f} / {timing['cold_ms']:.0f} ms"),
    ]


class RssSampler:
    """The summed RSS of a set of processes, sampled every 20 ms while a load
    runs; `peak_mib` is the highest sum seen."""

    def __init__(self, pids: list):
        self.pids = pids
        self.peak_kib = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._done.is_set():
            total = 0
            for pid in self.pids:
                try:
                    total += status_kib(pid, "VmRSS")
                except (OSError, RuntimeError):
                    pass
            self.peak_kib = max(self.peak_kib, total)
            self._done.wait(0.02)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *_):
        self._done.set()
        self._thread.join()

    @property
    def peak_mib(self) -> float:
        return self.peak_kib / 1024


def rss_sum_mib(pids: list) -> float:
    return sum(status_kib(pid, "VmRSS") for pid in pids) / 1024


# Counts the 200 answers that do not say `"authenticated": true`, so that a
# session lost during the load shows as errors, not as speed. A script that
# ends with it keeps its threads in `threads` and zeroes `unauthenticated`.
UNAUTHENTICATED_COUNT_LUA = """
function response(status, headers, body)
  if status == 200 and not string.find(body, '"authenticated":%s*true') then
    unauthenticated = unauthenticated + 1
  end
end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("unauthenticated") end
  io.write(string.format("unauthenticated: %d\\n", total))
end
"""
AUTHENTICATED_LUA = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) unauthenticated = 0 end
""" + UNAUTHENTICATED_COUNT_LUA


def login_check_load(url: str, session_id: str, pids: list) -> dict:
    """64 connections on `/server/login-check` with a valid session, the RSS of
    the server's processes sampled meanwhile."""
    with RssSampler(pids) as rss:
        result = wrk(f"{url}/server/login-check", 64,
                     post_lua({}, {"X-BackendAI-SessionID": session_id}) + AUTHENTICATED_LUA)
    result["rss_mib"] = rss.peak_mib
    return result


def median_of(runs: list) -> dict:
    """Each figure's median over the runs; RSS is the highest peak."""
    out = {key: statistics.median(run[key] for run in runs)
           for key in ("rps", "ok_rps", "p50_ms", "p99_ms", "errors")}
    out["rss_mib"] = max(run["rss_mib"] for run in runs)
    return out


def side_by_side(ours: dict, peer: dict, label: str) -> list:
    """The login-check rows for one peer configuration."""
    rps_ratio = ours["ok_rps"] / peer["ok_rps"]
    p99_ratio = ours["p99_ms"] / peer["p99_ms"]
    return [
        Row(f"login-check answered requests/s{label}", f"{ours['ok_rps']:,.0f}", "≥ 10× peer",
            rps_ratio >= 10, f"{peer['ok_rps']:,.0f}", f"{rps_ratio:.1f}×"),
        Row("  p50 latency", f"{ours['p50_ms']:.2f} ms", "", None,
            f"{peer['p50_ms']:.2f} ms", f"{ours['p50_ms'] / peer['p50_ms']:.3f}×"),
        Row("  p99 latency", f"{ours['p99_ms']:.2f} ms", "≤ 0.1× peer", p99_ratio <= 0.1,
            f"{peer['p99_ms']:.2f} ms", f"{p99_ratio:.3f}× (1/{1 / p99_ratio:.0f})"),
        Row("  errors (non-2xx, socket errors, not authenticated)", f"{ours['errors']:,.0f}", "0",
            ours["errors"] == 0, f"{peer['errors']:,.0f}"),
        Row("  RSS during the load, all processes", f"{ours['rss_mib']:.1f} MiB", "", None,
            f"{peer['rss_mib']:.1f} MiB", f"{ours['rss_mib'] / peer['rss_mib']:.2f}×"),
    ]


def versions(peer_version: str) -> dict:
    def first_line(argv: list) -> str:
        try:
            return subprocess.run(argv, capture_output=True, text=True).stdout.splitlines()[0].strip()
        except (OSError, IndexError):
            return "unknown"
    baigate = first_line([str(BAIGATE), "--version"])
    return {
        "baigate": baigate,
        "Backend.AI webserver": f"{peer_version} (PyPI backend.ai-webserver, "
                                f"{first_line([str(PEER_PYTHON), '--version'])}, uvloop)",
        "Redis": first_line(["redis-server", "--version"]),
        "wrk": first_line(["wrk", "--version"]).split(" [")[0],
        "Chromium": first_line(["chromium", "--version"]),
        "rustc": first_line(["rustc", "--version"]),
    }


def machine() -> str:
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem_kib = kib_field(Path("/proc/meminfo"), "MemTotal")
    return f"{CORES} cores ({model}), {mem_kib / 1024 / 1024:.0f} GiB memory, Linux {os.uname().release}"


def render(rows: list, markdown: bool, with_peer: bool = True) -> str:
    header = ["measure", "baigate", "Backend.AI webserver", "ratio", "target", "met"]
    table = [header] + [row.cells for row in rows]
    if not with_peer:
        table = [cells[:2] + cells[4:] for cells in table]
        header = table[0]
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for cells in table[1:]:
            # Markdown drops leading spaces: mark a detail row with an arrow.
            name = "↳ " + cells[0].strip() if cells[0].startswith("  ") else cells[0]
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in [name] + cells[1:]) + " |")
        return "\n".join(lines)
    widths = [max(len(cells[i]) for cells in table) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(header, widths)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip() for cells in table[1:]]
    return "\n".join(lines)


# Where the several-companions section starts in docs/benchmarks.md.
SCALE_HEADING = "## Several companions on one PostgreSQL"
# A baigate built before an activity touch stopped voiding the session cache
# (set by bench.sh); the 5,000-session rows compare it.
BEFORE_BIN = Path(os.environ["BENCH_BEFORE_BIN"]) if os.environ.get("BENCH_BEFORE_BIN") else None


def scale_section(when: str) -> str:
    """Measures several companions (scripts/bench/scale.py); the page's section."""
    import scale
    rows = scale.run(sys.modules[__name__], BEFORE_BIN)
    print(f"\nseveral companions — {when}\n")
    print(render(rows, markdown=False, with_peer=False))
    before = (f"The \"before\" binary is baigate built from {os.environ.get('BENCH_BEFORE_REV', '?')[:10]}, "
              "the commit before an activity touch stopped voiding the cache."
              if BEFORE_BIN else "No \"before\" binary was given (BENCH_BEFORE_BIN).")
    return f"""{SCALE_HEADING}

Measured on {when} by `./scripts/bench.sh` (alone: `./scripts/bench.sh scale`,
which replaces only this section), with `scripts/bench/scale.py`:
{machine()}; {scale.versions()}.

The same wrk load as above (64 connections, {LOAD_SECONDS} s, three runs,
medians) on `POST /server/login-check` with one valid session: one companion
on SQLite as a laptop runs it; one on PostgreSQL (a throw-away cluster of
Debian's PostgreSQL on this machine, unix socket, default durability); the
PostgreSQL companion behind HAProxy; and two companions on that database
behind HAProxy with `docs/haproxy.cfg` (Debian's haproxy 2.6, round robin),
the load alternating between them. Then the case of a team with many open
tabs: {scale.SESSIONS:,} live sessions of one account polled round-robin (a
wrk script cycling through their tokens), their last activity spread over the
past minute so that about {scale.SESSIONS // scale.TOUCH_INTERVAL} of them are
noted as active each second, as in steady use; it is compared with the same
script polling one of those sessions, so that wrk's per-request Lua (which
takes a share of the same cores) weighs on both figures alike. {before}

**What the figures mean on this machine.** Everything — wrk, HAProxy, both
companions and PostgreSQL — shares the same {CORES} cores, so the
two-companion figure measures what the extra hop and a second process
cost, not how the deployment scales: on separate machines each companion
answers cached checks as fast as one alone, and the work that does not
scale out (logins, which write) is bound by bcrypt on each companion and by
PostgreSQL's commits. A cached check reads no database on either engine, so
the PostgreSQL figure should equal SQLite's. The 5,000-session figure shows
whether the cache still answers when many sessions are polled: an entry is
read again one second after its read on SQLite (the CLI's changes are not
announced) and ten seconds after on PostgreSQL (every companion and the CLI
announce theirs), so at 5,000 sessions SQLite reads about 5,000 of them a
second and PostgreSQL about 500. With one second on PostgreSQL too, the
first run of this benchmark measured 34% of the one-session rate there,
which is why it is ten.

{render(rows, markdown=True, with_peer=False)}
"""


def main():
    if sys.argv[1:] == ["scale"]:
        when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        section = scale_section(when)
        page = REPORT.read_text() if REPORT.exists() else "# Benchmarks\n"
        page = page.split("\n" + SCALE_HEADING)[0].rstrip() + "\n\n" + section
        REPORT.write_text(page)
        print(f"\nwritten to {REPORT.relative_to(ROOT)}")
        return
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

        # The peer twice: as installed (a Redis pool of 16 per worker, fewer
        # than 64 connections need) and with the pool raised to 64 so that it
        # answers every request.
        peers = {}
        try:
            peers["default"] = Peer(PEER_PYTHON, Path(tmp) / "peer-default")
            peers["pool64"] = Peer(PEER_PYTHON, Path(tmp) / "peer-pool64", redis_pool=64)
            time.sleep(1)
            peer_idle_rss = rss_sum_mib(peers["default"].server_pids())
            peer_version = peers["default"].version()
            runs = {"baigate": [], "default": [], "pool64": []}
            # Interleaved, so that a drift of the machine touches all alike.
            for _ in range(3):
                runs["baigate"].append(login_check_load(companion.url, token, [companion.proc.pid]))
                for name, peer in peers.items():
                    runs[name].append(login_check_load(peer.url, peer.session_id, peer.server_pids()))
        finally:
            for peer in peers.values():
                peer.stop()
        check = {name: median_of(results) for name, results in runs.items()}

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
    login_ratio = login_run["rps"] / raw["per_second"]
    ready_ms = statistics.median(ready)

    rows = side_by_side(check["baigate"], check["default"], ", 64 connections")
    rows += side_by_side(check["baigate"], check["pool64"],
                         ", peer with a Redis pool of 64 per worker")
    rows += [
        Row("logins/s, correct password, bcrypt cost 12", f"{login_run['rps']:.2f}"),
        Row("raw bcrypt verifications/s, cost 12, all cores", f"{raw['per_second']:.2f}"),
        Row("logins/s ÷ raw bcrypt rate", f"{login_ratio:.0%}", "≥ 90%", login_ratio >= 0.9),
        Row("login errors", str(login_run["errors"]), "0", login_run["errors"] == 0),
        Row("wrong password / unknown user, median",
            f"{statistics.median(wrong):.0f} / {statistics.median(unknown):.0f} ms", "equal"),
        Row("legitimate login p99: idle / during a flood from another IP",
            f"{idle_p99:.0f} / {flood_p99:.0f} ms", "≤ 2× idle", flood_p99 <= 2 * idle_p99),
        Row("  flood ÷ idle", f"{flood_p99 / idle_p99:.2f}×"),
        Row("idle RSS (peer: webserver, 2 workers, Redis)", f"{idle_rss:.1f} MiB", "≤ 15 MiB",
            idle_rss <= 15, f"{peer_idle_rss:.1f} MiB", f"{idle_rss / peer_idle_rss:.2f}×"),
        Row(f"RSS with {live_sessions:,} live sessions", f"{sessions_rss:.1f} MiB", "≤ 40 MiB",
            sessions_rss <= 40 and live_sessions >= 10_000),
        Row("ready after start, existing database (median of 5)", f"{ready_ms:.0f} ms",
            "≤ 100 ms", ready_ms <= 100),
    ] + popup_rows()

    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    about = versions(peer_version)
    print(f"\nbaigate benchmark — {when}, {machine()}, {LOAD_SECONDS} s per load run\n")
    print(render(rows, markdown=False))
    scale = scale_section(when)
    write_report(rows, when, about, scale)
    print(f"\nwritten to {REPORT.relative_to(ROOT)}")


REPORT = ROOT / "docs" / "benchmarks.md"


def write_report(rows: list, when: str, about: dict, scale: str):
    software = "\n".join(f"- {name}: {version}" for name, version in about.items())
    REPORT.write_text(f"""# Benchmarks

Written by `./scripts/bench.sh` on {when}. Run it again to replace this page.

Machine: {machine()}.

{software}

## How it was measured

Everything ran on this one machine in one run; every ratio compares figures
from that same run. The companion is a release build started as a user starts
it (`baigate serve`, bcrypt cost 12). The peer is the real Backend.AI webserver
23.09.10 from PyPI with Redis from Debian, started with
`python -m ai.backend.web.server -f webserver.conf`, which forks its default
min(4, cores) workers and uses uvloop; in front of a stand-in manager
(`scripts/bench/standin_manager.py`) that only answers the login so that a
session exists. The stand-in is not counted in the peer's memory; its workers,
master and Redis are.

The load is wrk, {LOAD_SECONDS} s per run, on `POST /server/login-check` with a valid
session in the `X-BackendAI-SessionID` header, 64 connections, {min(CORES, 64)}
threads on the same cores as the servers. Three runs per server, interleaved;
each figure is the median of the three, RSS the highest sample (every 20 ms)
of all the server's processes. "Answered requests/s" counts only 200 answers
saying `"authenticated": true` (a Lua check in wrk reads every body).
The peer runs twice: as installed, its Redis pool (16 connections per worker)
is smaller than 64 connections and it answers some requests with a 500 "Too
many connections"; with the pool raised to 64 it answers all of them.

The ratio column is baigate ÷ peer. Logins/s and the raw bcrypt rate come
from two runs one after the other (the raw rate uses every core alone), so
their quotient can pass 100% by the machine's noise.

## Results

{render(rows, markdown=True)}

{scale}""")


if __name__ == "__main__":
    if not BAIGATE.exists():
        sys.exit(f"{BAIGATE} is missing: run scripts/build.sh")
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: run scripts/setup.sh bench")
    if shutil.which("redis-server") is None and sys.argv[1:] != ["scale"]:
        sys.exit("redis-server is missing: run scripts/setup.sh bench")
    if shutil.which("haproxy") is None:
        sys.exit("haproxy is missing: run scripts/setup.sh bench")
    main()
