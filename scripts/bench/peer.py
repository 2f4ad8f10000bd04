"""The real Backend.AI webserver 23.09.10 for the side-by-side benchmark and
the end-to-end tests (`serve`, which the Rust test harness starts).

One `Peer` is Redis (Debian's redis-server, no persistence), the stand-in
manager (standin_manager.py: one account, enough for a login) and the webserver
itself, started as its documentation says: `python -m ai.backend.web.server -f
webserver.conf`, which forks min(4, cores) workers. Everything listens on
127.0.0.1 and every process is stopped by the id it was started with.
"""

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent

CONFIG = """\
[service]
ip = "127.0.0.1"
port = {port}
mode = "webui"
wsproxy.url = ""

[resources]

[environments]

[plugin]

[pipeline]

[ui]
brand = "Backend.AI"

[api]
domain = "default"
endpoint = "http://127.0.0.1:{manager_port}"
text = "Backend.AI"
ssl_verify = false

[session]
redis.addr = "127.0.0.1:{redis_port}"
{redis_pool}
[webserver]
ipc-base-path = "{ipc}"

[logging]
level = "WARNING"
drivers = ["console"]

[logging.pkg-ns]
"" = "WARNING"
"aiohttp" = "WARNING"
"ai.backend" = "WARNING"

[logging.console]
colored = false
format = "simple"

[debug]
enabled = false
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, what: str, timeout: float = 60) -> None:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited during start-up (code {proc.returncode})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on port {port} within {timeout:.0f} s")


def descendants(pid: int) -> list:
    """`pid` and every process below it, read from /proc."""
    children = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        queue.extend(children.get(current, []))
    return found


class Peer:
    """Redis + stand-in manager + Backend.AI webserver 23.09.10.

    `redis_pool` sets the webserver's Redis connection pool per worker;
    None keeps its default (16).
    """

    def __init__(self, python: Path, work_dir: Path, redis_pool: int | None = None):
        self.work_dir = work_dir
        work_dir.mkdir(parents=True, exist_ok=True)
        self.procs = []
        self.redis_port, self.manager_port, self.port = free_port(), free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        log = open(work_dir / "peer.log", "w")
        try:
            self.redis = self._start(
                ["redis-server", "--bind", "127.0.0.1", "--port", str(self.redis_port),
                 "--save", "", "--appendonly", "no"], log)
            wait_for_port(self.redis_port, self.redis, "redis-server")
            manager = self._start(
                [str(python), str(HERE / "standin_manager.py"), str(self.manager_port)], log)
            wait_for_port(self.manager_port, manager, "the stand-in manager")
            pool = ("" if redis_pool is None else
                    f"redis.redis_helper_config.max_connections = {redis_pool}\n")
            config = work_dir / "webserver.conf"
            config.write_text(CONFIG.format(
                port=self.port, manager_port=self.manager_port, redis_port=self.redis_port,
                redis_pool=pool, ipc=work_dir / "ipc"))
            self.webserver = self._start(
                [str(python), "-m", "ai.backend.web.server", "-f", str(config)], log)
            wait_for_port(self.port, self.webserver, "the Backend.AI webserver")
            self.session_id = self._login()
        except BaseException:
            self.stop()
            raise

    def _start(self, argv: list, log) -> subprocess.Popen:
        proc = subprocess.Popen(argv, cwd=self.work_dir, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
        self.procs.append(proc)
        return proc

    def _login(self) -> str:
        """Logs in through the webserver (which asks the stand-in manager) and
        checks that the session it returns is authenticated."""
        deadline = time.monotonic() + 60
        while True:
            try:
                status, headers, body = post(f"{self.url}/server/login",
                                             {"username": "bench@example.com", "password": "S3cret!pass"})
                answer = json.loads(body)
                if status == 200 and answer.get("authenticated"):
                    break
            except (OSError, ValueError):
                answer = None
            if time.monotonic() > deadline:
                raise RuntimeError(f"login through the Backend.AI webserver failed: {answer}")
            time.sleep(0.2)
        session_id = headers["X-BackendAI-SessionID"]
        # Every worker must answer for that session before the load starts.
        for _ in range(20):
            _, _, body = post(f"{self.url}/server/login-check", None,
                              {"X-BackendAI-SessionID": session_id})
            if not json.loads(body)["authenticated"]:
                raise RuntimeError("the webserver's login-check did not see the session")
        return session_id

    def server_pids(self) -> list:
        """The webserver's processes (master and workers) and Redis's."""
        return descendants(self.webserver.pid) + [self.redis.pid]

    def version(self) -> str:
        _, _, body = request(f"{self.url}/func/ping")
        return json.loads(body)["version"]

    def stop(self) -> None:
        # The workers are the webserver's children: noted now, so that none
        # outlives a master that had to be killed.
        workers = descendants(self.procs[2].pid)[1:] if len(self.procs) > 2 else []
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in reversed(self.procs):
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for pid in workers:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.procs.clear()


def request(url: str, data: bytes | None = None, headers: dict | None = None):
    req = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET",
                                 headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def post(url: str, body, headers: dict | None = None):
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    return request(url, json.dumps(body if body is not None else {}).encode(), all_headers)


def serve(python: Path, work_dir: Path) -> None:
    """Runs a peer until stdin closes (the test harness that started it
    exited, or closed the pipe), then stops it; announces itself on stdout."""
    import sys
    peer = Peer(python, work_dir)
    try:
        print(f"webserver {peer.url} redis {peer.redis_port}", flush=True)
        sys.stdin.read()
    finally:
        peer.stop()


if __name__ == "__main__":
    import sys
    if sys.argv[1:2] == ["serve"]:
        # For the end-to-end tests: python3 peer.py serve <venv python> <work dir>
        serve(Path(sys.argv[2]), Path(sys.argv[3]))
    else:
        # A quick look by hand: python3 peer.py <venv python> <work dir>
        peer = Peer(Path(sys.argv[1]), Path(sys.argv[2]))
        try:
            print(peer.url, peer.session_id, peer.server_pids(), os.getpid())
        finally:
            peer.stop()
