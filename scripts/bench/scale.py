"""Several companions on one PostgreSQL (issue 19), measured with the same
wrk load as the main benchmark (64 connections on `/server/login-check`):

- one companion on SQLite (today's default) and one on PostgreSQL;
- one companion behind HAProxy, and two behind HAProxy on one PostgreSQL
  (docs/haproxy.cfg, Debian's haproxy);
- 5,000 live sessions polled round-robin, on one companion, before and after
  the fix that keeps an activity touch from voiding the session cache (the
  "before" binary is built once from the commit before the fix).

Everything runs on this machine: PostgreSQL is a throw-away cluster from
Debian's package (initdb in a temporary directory, a unix socket, default
durability settings), stopped at the end and when this script dies
(`setpriv --pdeathsig`).
"""

import os
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

from peer import free_port

ROOT = Path(__file__).resolve().parent.parent.parent
HAPROXY_CFG = ROOT / "docs" / "haproxy.cfg"
SESSIONS = 5000
# The touch interval of domain/sessions.rs: a session polled after this
# long is noted as active.
TOUCH_INTERVAL = 60


def pg_bin() -> Path:
    out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
    if out.returncode == 0 and (Path(out.stdout.strip()) / "postgres").exists():
        return Path(out.stdout.strip())
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"))
    if not versions:
        raise SystemExit("PostgreSQL is missing: run scripts/setup.sh bench")
    return versions[-1].parent


def versions() -> str:
    def first_line(argv: list) -> str:
        try:
            return subprocess.run(argv, capture_output=True, text=True).stdout.splitlines()[0].strip()
        except (OSError, IndexError):
            return "unknown"
    return f"{first_line([str(pg_bin() / 'postgres'), '--version'])}, {first_line(['haproxy', '-v'])}"


class Cluster:
    """A throw-away PostgreSQL cluster on a unix socket."""

    def __init__(self):
        self.bin = pg_bin()
        # Its own directory, owned by the server's user: under root that is
        # `postgres`, which cannot enter the bench's private temporary one.
        self.base = Path(tempfile.mkdtemp(prefix="baigate-bench-pg-"))
        self.socket = self.base / "sock"
        self.socket.mkdir()
        root = os.getuid() == 0
        owner = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"] if root else ["setpriv"]
        if root:
            subprocess.run(["chown", "-R", "postgres:postgres", str(self.base)], check=True)
        initdb = subprocess.run(owner + ["--", str(self.bin / "initdb"), "-D", str(self.base / "data"),
                                         "-U", "baigate", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if initdb.returncode != 0:
            raise SystemExit(f"initdb failed: {initdb.stderr}")
        self.proc = subprocess.Popen(
            owner + ["--pdeathsig", "QUIT", "--", str(self.bin / "postgres"), "-D", str(self.base / "data"),
                     "-k", str(self.socket), "-p", "5432", "-c", "listen_addresses=",
                     "-c", "max_connections=200"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        started = time.monotonic()
        while subprocess.run([str(self.bin / "pg_isready"), "-q", "-h", str(self.socket), "-p", "5432",
                              "-U", "baigate", "-d", "postgres"]).returncode != 0:
            if time.monotonic() - started > 60:
                raise SystemExit("PostgreSQL did not start")
            time.sleep(0.05)
        self.databases = 0

    def psql(self, db: str, sql: str) -> str:
        return subprocess.run(
            [str(self.bin / "psql"), "-h", str(self.socket), "-p", "5432", "-U", "baigate", "-d", db,
             "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql],
            capture_output=True, text=True, check=True,
        ).stdout.strip()

    def database(self) -> tuple:
        self.databases += 1
        name = f"bench_{self.databases}"
        self.psql("postgres", f"CREATE DATABASE {name}")
        socket = urllib.parse.quote(str(self.socket), safe="")
        return name, f"postgres://baigate@{socket}:5432/{name}"

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        shutil.rmtree(self.base, ignore_errors=True)


class Haproxy:
    """docs/haproxy.cfg, as the README shows it, in front of `servers`."""

    def __init__(self, servers: list):
        self.port = free_port()
        env = dict(os.environ, BAIGATE_FRONT=f"127.0.0.1:{self.port}",
                   BAIGATE_A=servers[0], BAIGATE_B=servers[-1])
        self.proc = subprocess.Popen(["haproxy", "-db", "-f", str(HAPROXY_CFG)], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def wait_healthy(b, url: str, backends: int):
    """Until `backends` answers in a row are 200 (HAProxy's checks are up)."""
    started = time.monotonic()
    ok = 0
    while ok < 2 * backends:
        try:
            status, _, _ = b.request(f"{url}/health")
        except OSError:  # not listening yet
            status = 0
        ok = ok + 1 if status == 200 else 0
        if time.monotonic() - started > 30:
            raise SystemExit(f"{url} did not become healthy")
        time.sleep(0.05)


def copy_key(source: Path, target: Path):
    target.mkdir(mode=0o700, parents=True, exist_ok=True)
    shutil.copy2(source / "secret.key", target / "secret.key")


# Polls a list of session tokens round-robin (each wrk thread its own
# offset), counting answers that are not `authenticated: true` as the main
# benchmark does (bench.UNAUTHENTICATED_COUNT_LUA follows it).
ROUND_ROBIN_LUA = """
local tokens = {}
for line in io.lines("%(tokens)s") do tokens[#tokens + 1] = line end
local counter = 0
local threads = {}
function setup(thread)
  thread:set("offset", #threads * 7919)
  table.insert(threads, thread)
end
function init(args) unauthenticated = 0; counter = offset end
function request()
  counter = counter + 1
  local token = tokens[(counter %% #tokens) + 1]
  return wrk.format("POST", "/server/login-check", {["X-BackendAI-SessionID"] = token}, "")
end
"""


def make_sessions(b, url: str, username: str, count: int) -> list:
    """`count` live sessions of one account, by real logins (8 at a time)."""
    tokens, lock = [], threading.Lock()

    def worker(n: int):
        for _ in range(n):
            answer, token, _ = b.login(url, username)
            assert answer["authenticated"], answer
            with lock:
                tokens.append(token)

    threads = [threading.Thread(target=worker, args=(count // 8,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tokens


def age_sessions_sqlite(data: Path):
    """Spread the sessions' last activity over the past minute, as for
    sessions polled for a while: about 1/60 of them are due a touch each
    second of the run, the steady state of a team's open tabs."""
    with sqlite3.connect(data / "baigate.sqlite3") as db:
        db.execute(f"UPDATE sessions SET last_seen_at = last_seen_at - {TOUCH_INTERVAL} + (id % {TOUCH_INTERVAL})")


def age_sessions_pg(cluster: Cluster, db: str):
    cluster.psql(db, f"UPDATE sessions SET last_seen_at = last_seen_at - {TOUCH_INTERVAL} + (id % {TOUCH_INTERVAL})")


def round_robin_load(b, url: str, tokens: list, pids: list, tmp: Path) -> dict:
    path = tmp / f"tokens-{len(tokens)}.txt"
    path.write_text("\n".join(tokens) + "\n")
    with b.RssSampler(pids) as rss:
        script = ROUND_ROBIN_LUA % {"tokens": path} + b.UNAUTHENTICATED_COUNT_LUA
        result = b.wrk(f"{url}/server/login-check", 64, script)
    result["rss_mib"] = rss.peak_mib
    return result


def run(b, before_bin: Path | None) -> list:
    """Measures; returns the table's rows."""
    unthrottled = {"BAIGATE_THROTTLE__PER_IP_PER_MINUTE": "0"}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        cluster = Cluster()
        started = []
        try:
            # One companion on SQLite, one on PostgreSQL, the same account.
            sqlite_data = tmp / "sqlite"
            b.add_user(sqlite_data, "bench@example.com", "bench")
            sqlite = b.Companion(sqlite_data, unthrottled)
            started.append(sqlite)
            db_name, db_url = cluster.database()
            pg_settings = dict(unthrottled, BAIGATE_STORE__URL=db_url,
                               # Required with store.url; nothing is mailed here.
                               BAIGATE_MAIL__SMTP_URL="smtp://127.0.0.1:9",
                               BAIGATE_SERVER__TRUSTED_PROXIES='["127.0.0.1/32"]',
                               BAIGATE_SESSION__MAX_CONCURRENT="10")
            a_data, b_data = tmp / "a", tmp / "b"
            b.add_user(a_data, "bench@example.com", "bench", pg_settings)
            copy_key(a_data, b_data)
            pg_a = b.Companion(a_data, pg_settings)
            pg_b = b.Companion(b_data, pg_settings)
            started += [pg_a, pg_b]
            time.sleep(1.5)
            _, sqlite_token, _ = b.login(sqlite.url, "bench")
            _, pg_token, _ = b.login(pg_a.url, "bench")
            one = Haproxy([f"127.0.0.1:{pg_a.port}"])
            two = Haproxy([f"127.0.0.1:{pg_a.port}", f"127.0.0.1:{pg_b.port}"])
            started += [one, two]
            wait_healthy(b, one.url, 1)
            wait_healthy(b, two.url, 2)
            runs = {"sqlite": [], "pg": [], "one": [], "two": []}
            for _ in range(3):
                runs["sqlite"].append(b.login_check_load(sqlite.url, sqlite_token, [sqlite.proc.pid]))
                runs["pg"].append(b.login_check_load(pg_a.url, pg_token, [pg_a.proc.pid]))
                runs["one"].append(b.login_check_load(one.url, pg_token, [pg_a.proc.pid, one.proc.pid]))
                runs["two"].append(b.login_check_load(
                    two.url, pg_token, [pg_a.proc.pid, pg_b.proc.pid, two.proc.pid]))
            check = {name: b.median_of(results) for name, results in runs.items()}
            for process in started:
                process.stop()
            started = []

            # 5,000 live sessions polled round-robin (bcrypt cost 4: the logins
            # that make them are not what is measured).
            many = dict(unthrottled, BAIGATE_PASSWORD__BCRYPT_COST="4",
                        BAIGATE_SESSION__MAX_CONCURRENT=str(SESSIONS + 10))
            polled = {}
            variants = [("after", b.BAIGATE, "sqlite")]
            if before_bin is not None:
                variants.insert(0, ("before", before_bin, "sqlite"))
            variants.append(("after", b.BAIGATE, "pg"))
            for label, binary, engine in variants:
                settings = dict(many)
                data = tmp / f"many-{label}-{engine}"
                if engine == "pg":
                    db_name, db_url = cluster.database()
                    settings.update(BAIGATE_STORE__URL=db_url, BAIGATE_MAIL__SMTP_URL="smtp://127.0.0.1:9")
                b.add_user(data, "many@example.com", "many", settings, binary=binary)
                companion = b.Companion(data, settings, binary=binary)
                started.append(companion)
                tokens = make_sessions(b, companion.url, "many", SESSIONS)
                if engine == "pg":
                    age_sessions_pg(cluster, db_name)
                else:
                    age_sessions_sqlite(data)
                # The same script on one of the tokens is the one-session
                # figure it is compared with: the load differs only in how
                # many sessions it polls (wrk's per-request Lua costs the
                # shared cores alike in both).
                one, all_ = [], []
                for _ in range(3):
                    one.append(round_robin_load(b, companion.url, tokens[:1], [companion.proc.pid], tmp))
                    all_.append(round_robin_load(b, companion.url, tokens, [companion.proc.pid], tmp))
                polled[(label, engine)] = (b.median_of(one), b.median_of(all_))
                companion.stop()
                started.remove(companion)
        finally:
            for process in started:
                process.stop()
            cluster.stop()

    R = b.Row
    sqlite_rps = check["sqlite"]["ok_rps"]
    pg_rps = check["pg"]["ok_rps"]

    def line(label: str, result: dict, target: str = "", met=None) -> list:
        return [
            R(label, f"{result['ok_rps']:,.0f}", target, met),
            R("  p50 / p99 latency", f"{result['p50_ms']:.2f} / {result['p99_ms']:.2f} ms"),
            R("  errors (non-2xx, socket errors, not authenticated)", f"{result['errors']:,.0f}", "0",
              result["errors"] == 0),
        ]

    rows = []
    rows += line("one companion, SQLite: login-check answered requests/s", check["sqlite"])
    rows += line("one companion, PostgreSQL", check["pg"], "≥ 90% of SQLite", pg_rps >= 0.9 * sqlite_rps)
    rows.append(R("  PostgreSQL ÷ SQLite", f"{pg_rps / sqlite_rps:.0%}"))
    rows += line("one companion behind HAProxy (PostgreSQL)", check["one"])
    rows += line("two companions behind HAProxy, one PostgreSQL", check["two"], "0 errors",
                 check["two"]["errors"] == 0)
    rows.append(R("  two behind HAProxy ÷ one direct (PostgreSQL)", f"{check['two']['ok_rps'] / pg_rps:.0%}"))
    rows.append(R("  RSS: 2 companions + HAProxy during the load", f"{check['two']['rss_mib']:.1f} MiB"))
    for (label, engine), (one, result) in polled.items():
        name = "SQLite" if engine == "sqlite" else "PostgreSQL"
        when = "before the touch fix" if label == "before" else "after the touch fix"
        ratio = result["ok_rps"] / one["ok_rps"]
        target = "≥ 80% of one session" if label == "after" else ""
        met = ratio >= 0.8 if label == "after" else None
        rows.append(R(f"round-robin script, one session, {name}, {when}", f"{one['ok_rps']:,.0f}"))
        rows += line(f"  {SESSIONS:,} sessions polled round-robin", result, target, met)
        rows.append(R(f"  {SESSIONS:,} sessions ÷ one session", f"{ratio:.0%}"))
    return rows
