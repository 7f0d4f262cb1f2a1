"""Flask and flaskrs behind production servers, loaded by a compiled generator.

    python benches/bench_servers.py [--seconds 5] [--rounds 3] [--quick]
        [--routes hello json ...] [--servers granian gunicorn bare fastapi]
        [--connections 16] [--json FILE]

One app module (``benches/servers/app.py``, written against ``import flask``)
is served by Granian's WSGI interface (one worker, one runtime thread, one
blocking thread) and by gunicorn's sync worker (one worker), each once on
the real Flask and once with ``FLASKRS_AS_FLASK=1`` in the server's
environment: flaskrs runs the same module through the switch it ships.
Every server is asked ``/framework`` (``flask.__name__``) first, and the
bench stops if a server does not run the framework its row is named for.
A bare WSGI callable under the same Granian is the ceiling, and FastAPI
(``async def`` views, Granian's ASGI interface) is the peer on the routes it
has too.

The load comes from oha, which the bench installs into ``.cache/tools``
with cargo on first use (a Python generator cannot keep Granian busy).
The server is pinned to core 0 and oha to core 1; each measurement is a
short warm-up, then ``--seconds`` of load over ``--connections`` keep-alive
connections, and the rounds alternate the frameworks so a change in the
machine's load hits both. Reported per route: the median requests/s and the
median server CPU per request (user + system time of the server's whole
process tree over the window, from /proc, divided by the requests served),
each with the flaskrs/Flask ratio. Requests/s moves with whatever else runs
on the machine; CPU per request mostly does not.

Before timing, each route's answer on Flask and on flaskrs is compared
(status, body, the main headers); a route whose answers differ is reported
and not timed. Linux only (/proc, taskset).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import http.client
import importlib.metadata
import json
import math
import os
import platform
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import typing as t
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
APPS = HERE / "servers"
TOOLS = ROOT / ".cache" / "tools"
REQUIREMENTS = HERE / "requirements-servers.txt"
OHA_VERSION = "1.16.0"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SERVER_CORE = "0"
LOAD_CORE = "1"
# Below this share of a core busy, a server was waiting on the generator.
GENERATOR_BOUND = 0.85

ECHO_BODY = '{"name":"flaskrs","items":[1,2,3],"nested":{"a":true,"b":null}}'


@dataclasses.dataclass(frozen=True)
class Route:
    """One timed request shape."""

    name: str
    path: str
    status: int = 200
    method: str = "GET"
    body: str | None = None
    # More paths to spread the load over (oha picks one at random for each
    # request), so that the int converter sees varying input.
    more_paths: tuple[str, ...] = ()
    cookie: bool = False
    fastapi: bool = False
    # Also served by the bare callable (benches/servers/bare.py): its ceiling.
    bare: bool = False


ROUTES: list[Route] = [
    Route("hello", "/", fastapi=True, bare=True),
    Route("json", "/json", fastapi=True),
    Route("echo", "/echo", method="POST", body=ECHO_BODY),
    Route(
        "user",
        "/user/42",
        more_paths=tuple(f"/user/{i}" for i in range(1, 1000)),
        fastapi=True,
    ),
    Route("session", "/session", cookie=True),
    Route("template", "/page"),
    Route("404", "/missing", status=404),
    Route("blueprint", "/bp/hello"),
    Route("stream", "/stream", bare=True),
]

# The headers whose values must be the same on Flask and flaskrs. Date and
# Server are the server's; Set-Cookie is compared apart (its timestamp moves).
COMPARED_HEADERS = (
    "content-type",
    "content-length",
    "transfer-encoding",
    "vary",
    "location",
    "x-blueprint",
)


# -- Pure helpers (tests/test_bench_servers.py tests these) -------------------


def stat_cpu_ticks(stat_line: str) -> int:
    """User + system CPU ticks from one ``/proc/<pid>/stat`` line.

    The command name (field 2) is in parentheses and may hold spaces and
    parentheses itself, so the fields are counted after its last ``)``:
    utime and stime are the 12th and 13th there (fields 14 and 15).
    """
    fields = stat_line.rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def stat_children(children_line: str) -> list[int]:
    """The pids in one ``/proc/<pid>/task/<tid>/children`` file."""
    return [int(pid) for pid in children_line.split()]


@dataclasses.dataclass(frozen=True)
class Load:
    """What oha measured in one window."""

    served: int  # answers with the expected status
    other: int  # answers with another status
    errors: int  # connection errors, excluding requests cut by the deadline
    seconds: float

    @property
    def rate(self) -> float:
        return self.served / self.seconds if self.seconds else 0.0


def parse_oha(text: str, expected_status: int) -> Load:
    """Read oha's ``--output-format json`` report.

    Only answers with the route's expected status count as served; oha
    cancels the requests still in flight when ``-z`` runs out and lists
    them as errors, which are not the server's fault and are left out.
    """
    report = json.loads(text)
    codes = {int(k): int(v) for k, v in report["statusCodeDistribution"].items()}
    served = codes.pop(expected_status, 0)
    errors = sum(
        int(count)
        for message, count in report.get("errorDistribution", {}).items()
        if "deadline" not in message.lower()
    )
    return Load(
        served=served,
        other=sum(codes.values()),
        errors=errors,
        seconds=float(report["summary"]["total"]),
    )


@dataclasses.dataclass(frozen=True)
class Answer:
    """One response as the comparison sees it."""

    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes


def _cookie_shape(set_cookie: str) -> str:
    """A Set-Cookie value less its timestamp and signature.

    ``name=payload.ts.sig; attrs``: the payload is the session's content,
    the rest changes with the second the cookie is signed in.
    """
    value, _, attrs = set_cookie.partition(";")
    name, _, signed = value.partition("=")
    payload = signed.rsplit(".", 2)[0]
    return f"{name}={payload};{attrs}"


def compare_answers(flask_answer: Answer, flaskrs_answer: Answer) -> list[str]:
    """How two answers differ, one line per difference (empty: the same)."""
    differences = []
    if flask_answer.status != flaskrs_answer.status:
        differences.append(f"status {flask_answer.status} != {flaskrs_answer.status}")
    for name in (*COMPARED_HEADERS, "set-cookie"):
        a = flask_answer.headers.get(name)
        b = flaskrs_answer.headers.get(name)
        if name == "set-cookie" and a is not None and b is not None:
            a, b = _cookie_shape(a), _cookie_shape(b)
        if a != b:
            differences.append(f"{name}: {a!r} != {b!r}")
    if flask_answer.body != flaskrs_answer.body:
        differences.append(
            f"body {flask_answer.body[:80]!r} != {flaskrs_answer.body[:80]!r}"
        )
    return differences


def geomean(values: t.Sequence[float]) -> float:
    """The geometric mean of the finite, positive values (0.0 if none)."""
    kept = [v for v in values if v > 0 and math.isfinite(v)]
    return math.exp(statistics.fmean(math.log(v) for v in kept)) if kept else 0.0


def loopback_urls(port: int, paths: t.Iterable[str]) -> list[str]:
    """The URLs oha is given, each checked to name the loopback address.

    Every URL is written out in full here (no generated host): load must
    never leave the machine, whatever a path holds.
    """
    base = f"http://127.0.0.1:{port}"
    urls = []
    for path in paths:
        if not path.startswith("/") or any(c in path for c in "@\\#?\r\n "):
            raise ValueError(f"not a plain path: {path!r}")
        urls.append(base + path)
    return urls


# -- Tools ---------------------------------------------------------------------


def requirement_pins(text: str) -> dict[str, str]:
    """``name==version`` lines of a requirements file, by lower-case name."""
    pins = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[name.strip().lower()] = version.strip()
    return pins


def ensure_python_tools() -> None:
    """Install the bench-only Python packages into this venv when missing."""
    pins = requirement_pins(REQUIREMENTS.read_text())
    missing = []
    for name, version in pins.items():
        try:
            if importlib.metadata.version(name) != version:
                missing.append(name)
        except importlib.metadata.PackageNotFoundError:
            missing.append(name)
    if missing:
        print(f"installing {', '.join(missing)} (bench-only)", file=sys.stderr)
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)],
            check=True,
        )


def ensure_oha() -> Path:
    """oha at the pinned version in .cache/tools, built by cargo on first use."""
    oha = TOOLS / "bin" / "oha"
    if oha.exists():
        out = subprocess.run([str(oha), "--version"], capture_output=True, text=True)
        if OHA_VERSION in out.stdout:
            return oha
    if shutil.which("cargo") is None:
        raise SystemExit("the load generator oha is built with cargo: install Rust")
    print(f"building oha {OHA_VERSION} into {TOOLS} (once)", file=sys.stderr)
    subprocess.run(
        [
            "cargo",
            "install",
            "oha",
            "--locked",
            "--version",
            OHA_VERSION,
            "--root",
            str(TOOLS),
        ],
        check=True,
    )
    return oha


# -- Servers ---------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


@dataclasses.dataclass(frozen=True)
class ServerSpec:
    """One server row: which server, which app, which framework it must run."""

    key: str  # e.g. "granian/flaskrs"
    server: str  # granian or gunicorn
    framework: str  # flask, flaskrs, bare or fastapi
    target: str  # module:attribute in benches/servers

    def command(self, port: int) -> list[str]:
        if self.server == "gunicorn":
            return [
                _bin("gunicorn"),
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--worker-class",
                "sync",
                "--chdir",
                str(APPS),
                "--log-level",
                "warning",
                self.target,
            ]
        interface = "asgi" if self.framework == "fastapi" else "wsgi"
        return [
            _bin("granian"),
            "--interface",
            interface,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            # One worker process on one core: one runtime thread, and for
            # WSGI one thread calling the app (the GIL would serialize more).
            "--workers",
            "1",
            "--runtime-threads",
            "1",
            "--runtime-mode",
            "st",
            "--blocking-threads",
            "1",
            "--http",
            "1",
            "--no-ws",
            "--log-level",
            "warning",
            "--working-dir",
            str(APPS),
            self.target,
        ]

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        # The Flask rows must run the real Flask even if the caller has the
        # switch on; the flaskrs rows get it, as a user would set it.
        env.pop("FLASKRS_AS_FLASK", None)
        if self.framework == "flaskrs":
            env["FLASKRS_AS_FLASK"] = "1"
        return env


SPECS: list[ServerSpec] = [
    ServerSpec("granian/flask", "granian", "flask", "app:app"),
    ServerSpec("granian/flaskrs", "granian", "flaskrs", "app:app"),
    ServerSpec("gunicorn/flask", "gunicorn", "flask", "app:app"),
    ServerSpec("gunicorn/flaskrs", "gunicorn", "flaskrs", "app:app"),
    ServerSpec("granian/bare", "granian", "bare", "bare:app"),
    ServerSpec("granian/fastapi", "granian", "fastapi", "fastapi_app:app"),
]
SERVER_GROUPS = {
    "granian": ["granian/flask", "granian/flaskrs"],
    "gunicorn": ["gunicorn/flask", "gunicorn/flaskrs"],
    "bare": ["granian/bare"],
    "fastapi": ["granian/fastapi"],
}


class Server:
    """A running server, in a process group of its own, pinned to one core."""

    def __init__(self, spec: ServerSpec) -> None:
        self.spec = spec
        self.port = free_port()
        self.proc = subprocess.Popen(
            ["taskset", "-c", SERVER_CORE, *spec.command(self.port)],
            env=spec.environment(),
            cwd=APPS,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
        )

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Poll until the app answers, not only the socket: Granian and
        gunicorn listen before their worker has imported the app."""
        probe = "/" if self.spec.framework in ("bare", "fastapi") else "/framework"
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise SystemExit(f"{self.spec.key} exited with {self.proc.returncode}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                if self.request("GET", probe).status == 200:
                    return
            if time.monotonic() > deadline:
                raise SystemExit(f"{self.spec.key} did not answer within {timeout} s")
            time.sleep(0.1)

    def request(
        self,
        method: str,
        path: str,
        body: str | None = None,
        cookie: str | None = None,
    ) -> Answer:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        headers = {}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if cookie is not None:
            headers["Cookie"] = cookie
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return Answer(
                status=response.status,
                headers={k.lower(): v for k, v in response.getheaders()},
                body=response.read(),
            )
        finally:
            conn.close()

    def tree(self) -> list[int]:
        """The pids of the server's process tree (the master and its workers)."""
        pids, todo = [], [self.proc.pid]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            with contextlib.suppress(FileNotFoundError):
                for task in os.listdir(f"/proc/{pid}/task"):
                    with open(f"/proc/{pid}/task/{task}/children") as f:
                        todo.extend(stat_children(f.read()))
        return pids

    def cpu_ticks(self) -> dict[int, int]:
        """CPU ticks so far of each process of the tree (a process's stat
        line counts all its threads)."""
        ticks = {}
        for pid in self.tree():
            with contextlib.suppress(FileNotFoundError):
                with open(f"/proc/{pid}/stat") as f:
                    ticks[pid] = stat_cpu_ticks(f.read())
        return ticks

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        # Granian's worker can outlive a master killed mid-start: sweep the
        # group whatever the master did.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)


# -- Measuring -------------------------------------------------------------


@dataclasses.dataclass
class Sample:
    rate: float
    cpu_us: float  # server CPU per served request, microseconds
    served: int
    other: int
    errors: int
    # Cores' worth of CPU the server and oha used over the window: a server
    # well below 1.0 while oha is near it was waiting on the generator, so
    # its rate is the generator's limit and only its CPU per request tells.
    server_busy: float
    load_busy: float


def cpu_delta(before: dict[int, int], after: dict[int, int]) -> int:
    """Ticks spent between two snapshots by the processes alive in both or
    born in between (a process born in between counts from zero)."""
    return sum(ticks - before.get(pid, 0) for pid, ticks in after.items())


def oha_command(
    oha: Path,
    server: Server,
    route: Route,
    seconds: float,
    connections: int,
    cookie: str | None,
    urls_file: Path,
) -> list[str]:
    command = [
        "taskset",
        "-c",
        LOAD_CORE,
        str(oha),
        "--no-tui",
        # One core is oha's: one tokio thread (it defaults to one per core).
        "--worker-threads",
        "1",
        "--output-format",
        "json",
        "-z",
        f"{seconds}s",
        "-c",
        str(connections),
        "-m",
        route.method,
    ]
    if route.body is not None:
        command += ["-T", "application/json", "-d", route.body]
    if route.cookie and cookie is not None:
        command += ["-H", f"Cookie: {cookie}"]
    urls = loopback_urls(server.port, (route.path, *route.more_paths))
    if len(urls) > 1:
        urls_file.write_text("\n".join(urls) + "\n")
        command += ["--urls-from-file", str(urls_file)]
    else:
        command.append(urls[0])
    return command


running_load: list[subprocess.Popen[str]] = []


def run_oha(command: list[str]) -> tuple[str, float]:
    """oha's report, and the CPU seconds oha itself spent."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    running_load.append(proc)
    try:
        out, _ = proc.communicate()
    finally:
        running_load.remove(proc)
    if proc.returncode != 0:
        raise SystemExit(f"oha failed ({proc.returncode}): {' '.join(command)}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return out, cpu


def measure(
    oha: Path,
    server: Server,
    route: Route,
    args: argparse.Namespace,
    cookie: str | None,
    urls_file: Path,
) -> Sample:
    def command(seconds: float) -> list[str]:
        return oha_command(
            oha, server, route, seconds, args.connections, cookie, urls_file
        )

    run_oha(command(args.warmup))
    before = server.cpu_ticks()
    out, load_cpu = run_oha(command(args.seconds))
    server_cpu = cpu_delta(before, server.cpu_ticks()) / CLOCK_TICKS
    load = parse_oha(out, route.status)
    cpu_us = server_cpu / load.served * 1e6 if load.served else math.nan
    return Sample(
        rate=load.rate,
        cpu_us=cpu_us,
        served=load.served,
        other=load.other,
        errors=load.errors,
        server_busy=server_cpu / load.seconds if load.seconds else math.nan,
        load_busy=load_cpu / load.seconds if load.seconds else math.nan,
    )


# -- Report ------------------------------------------------------------------


def machine_line() -> str:
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    versions = []
    for dist in ("flask", "flaskrs", "granian", "gunicorn", "fastapi"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            versions.append(f"{dist} {importlib.metadata.version(dist)}")
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"machine: {os.cpu_count()} cores, {model}, "
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{', '.join(versions)}, oha {OHA_VERSION}; load average {load}"
    )


def fmt(value: float | None, spec: str) -> str:
    if value is None or math.isnan(value):
        return "-"
    return format(value, spec)


def median(samples: list[Sample], field: str) -> float:
    values = [getattr(s, field) for s in samples]
    values = [v for v in values if not math.isnan(v)]
    return statistics.median(values) if values else math.nan


def rate_cell(samples: list[Sample]) -> str:
    """The median rate, starred when the server had idle time: the
    generator, not the server, was then the limit."""
    star = "*" if median(samples, "server_busy") < GENERATOR_BOUND else " "
    return fmt(median(samples, "rate"), ".0f") + star


def report(
    results: dict[tuple[str, str], list[Sample]],
    routes: list[Route],
    servers: list[str],
    differing: dict[str, list[str]],
) -> str:
    header = (
        f"{'route':<10} {'server':<9} {'Flask r/s':>10} {'flaskrs r/s':>11} "
        f"{'ratio':>5} {'Flask us/req':>12} {'flaskrs us/req':>14} {'ratio':>5} "
        f"{'FastAPI r/s':>11} {'us/req':>6} {'rs/FastAPI r/s':>14}"
    )
    lines = [header]
    rate_ratios: dict[str, list[float]] = {}
    cpu_ratios: dict[str, list[float]] = {}
    for route in routes:
        if route.name in differing:
            lines.append(f"{route.name:<10} answers differ, not timed:")
            lines += [f"    {d}" for d in differing[route.name]]
            continue
        for server in ("granian", "gunicorn"):
            flask_s = results.get((f"{server}/flask", route.name))
            rs_s = results.get((f"{server}/flaskrs", route.name))
            if not flask_s or not rs_s:
                continue
            f_rate, r_rate = median(flask_s, "rate"), median(rs_s, "rate")
            f_cpu, r_cpu = median(flask_s, "cpu_us"), median(rs_s, "cpu_us")
            rate_ratio = r_rate / f_rate if f_rate else math.nan
            # Less CPU is better: the ratio is Flask's over flaskrs's, so that
            # above 1 means flaskrs is faster in both columns.
            cpu_ratio = f_cpu / r_cpu if r_cpu else math.nan
            rate_ratios.setdefault(server, []).append(rate_ratio)
            cpu_ratios.setdefault(server, []).append(cpu_ratio)
            peer = results.get(("granian/fastapi", route.name))
            peer_cells = ""
            if peer and server == "granian":
                p_rate = median(peer, "rate")
                peer_cells = (
                    f" {rate_cell(peer):>11} {fmt(median(peer, 'cpu_us'), '.1f'):>6} "
                    f"{fmt(r_rate / p_rate if p_rate else None, '.2f'):>14}"
                )
            lines.append(
                f"{route.name:<10} {server:<9} {rate_cell(flask_s):>10} "
                f"{rate_cell(rs_s):>11} {fmt(rate_ratio, '.2f'):>5} "
                f"{fmt(f_cpu, '.1f'):>12} {fmt(r_cpu, '.1f'):>14} "
                f"{fmt(cpu_ratio, '.2f'):>5}{peer_cells}"
            )
    for route in routes:
        ceiling = results.get(("granian/bare", route.name))
        rs_route = results.get(("granian/flaskrs", route.name))
        if not ceiling:
            continue
        lines.append(
            f"{route.name:<10} {'granian':<9} {rate_cell(ceiling):>10} "
            f"{fmt(median(ceiling, 'cpu_us'), '.1f'):>30}   <- a bare WSGI callable, "
            "the ceiling"
        )
        if rs_route:
            share = median(ceiling, "cpu_us") / median(rs_route, "cpu_us")
            lines.append(
                f"bare WSGI callable's server CPU per request / flaskrs {route.name}'s "
                f"(granian): {share:.2f}"
            )
    for server in servers:
        if rate_ratios.get(server):
            lines.append(
                f"geomean {server}: flaskrs/Flask req/s "
                f"{geomean(rate_ratios[server]):.2f}, Flask/flaskrs CPU per request "
                f"{geomean(cpu_ratios[server]):.2f} "
                f"({len(rate_ratios[server])} routes)"
            )
    if any("*" in line for line in lines[1:]):
        lines.append(
            f"* the server was busy less than {GENERATOR_BOUND:.0%} of the window: "
            "oha on its one core was the limit, compare CPU per request instead"
        )
    return "\n".join(lines)


# -- Main ------------------------------------------------------------------


def check_frameworks(servers: dict[str, Server]) -> None:
    """Refuse to go on unless each Flask row runs Flask and each flaskrs row
    runs flaskrs: a switch that silently failed would report Flask twice."""
    for key, server in servers.items():
        if server.spec.framework not in ("flask", "flaskrs"):
            continue
        answer = server.request("GET", "/framework")
        name = answer.body.decode()
        if answer.status != 200 or name != server.spec.framework:
            raise SystemExit(
                f"{key} runs {name!r} (status {answer.status}), "
                f"not {server.spec.framework!r}: refusing to report it"
            )


def compare_routes(
    servers: dict[str, Server], routes: list[Route], cookie: str | None
) -> dict[str, list[str]]:
    differing: dict[str, list[str]] = {}
    pairs = [
        (servers[f"{name}/flask"], servers[f"{name}/flaskrs"])
        for name in ("granian", "gunicorn")
        if f"{name}/flask" in servers and f"{name}/flaskrs" in servers
    ]
    for route in routes:
        sent = cookie if route.cookie else None
        for flask_server, rs_server in pairs:
            answers = [
                s.request(route.method, route.path, route.body, sent)
                for s in (flask_server, rs_server)
            ]
            differences = compare_answers(*answers)
            if answers[0].status != route.status:
                differences.append(f"Flask answered {answers[0].status}")
            if differences:
                differing.setdefault(route.name, []).extend(
                    f"{flask_server.spec.server}: {d}" for d in differences
                )
    return differing


def session_cookie(servers: dict[str, Server]) -> str | None:
    """A session cookie both frameworks must accept, signed by Flask.

    Every session request sends it, so each one verifies a real cookie and
    signs a new one, as a logged-in user's request does.
    """
    for server in servers.values():
        if server.spec.framework == "flask":
            answer = server.request("GET", "/session")
            return answer.headers["set-cookie"].split(";", 1)[0]
    return None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--routes", nargs="+", choices=[r.name for r in ROUTES], default=None
    )
    parser.add_argument(
        "--servers", nargs="+", choices=list(SERVER_GROUPS), default=None
    )
    parser.add_argument(
        "--quick", action="store_true", help="one short round, to check the harness"
    )
    parser.add_argument("--json", type=Path, help="write the raw numbers here")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.seconds, args.warmup = 1, 1.0, 0.3
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not sys.platform.startswith("linux") or shutil.which("taskset") is None:
        raise SystemExit("bench_servers needs Linux with taskset")
    if (os.cpu_count() or 1) < 2:
        raise SystemExit("bench_servers pins server and load to two cores")
    routes = [r for r in ROUTES if args.routes is None or r.name in args.routes]
    groups = args.servers or list(SERVER_GROUPS)
    ensure_python_tools()
    oha = ensure_oha()

    keys = [key for group in groups for key in SERVER_GROUPS[group]]
    servers: dict[str, Server] = {}
    # SIGTERM ends the bench as Ctrl-C does, through the finally below.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    stack = contextlib.ExitStack()
    try:
        for key in keys:
            servers[key] = Server(next(s for s in SPECS if s.key == key))
        for server in servers.values():
            server.wait_ready()
        check_frameworks(servers)
        cookie = session_cookie(servers)
        differing = compare_routes(servers, routes, cookie)
        for name, lines in differing.items():
            print(f"{name}: answers differ, not timed", file=sys.stderr)
            for line in lines:
                print(f"    {line}", file=sys.stderr)

        results: dict[tuple[str, str], list[Sample]] = {}
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        for round_no in range(1, args.rounds + 1):
            for route in routes:
                if route.name in differing:
                    continue
                for key, server in servers.items():
                    framework = server.spec.framework
                    if framework == "bare" and not route.bare:
                        continue
                    if framework == "fastapi" and not route.fastapi:
                        continue
                    sample = measure(
                        oha, server, route, args, cookie, Path(tmp) / "urls.txt"
                    )
                    results.setdefault((key, route.name), []).append(sample)
                    note = ""
                    if sample.other or sample.errors:
                        note = (
                            f" ({sample.other} other statuses, {sample.errors} errors)"
                        )
                    print(
                        f"round {round_no} {route.name:<10} {key:<17} "
                        f"{sample.rate:8.0f} req/s {sample.cpu_us:7.1f} us/req, "
                        f"cores busy: server {sample.server_busy:.2f} "
                        f"oha {sample.load_busy:.2f}{note}",
                        file=sys.stderr,
                    )
    finally:
        for proc in running_load:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
        for server in servers.values():
            server.stop()
        stack.close()

    print(machine_line())
    print(
        f"{args.rounds} rounds x {args.seconds:g} s, {args.connections} connections; "
        f"server on core {SERVER_CORE}, oha on core {LOAD_CORE}; medians; "
        "us/req = server CPU (user+system) per request; CPU ratio = Flask/flaskrs"
    )
    print(report(results, routes, groups, differing))
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "machine": machine_line(),
                    "args": {
                        k: (str(v) if isinstance(v, Path) else v)
                        for k, v in vars(args).items()
                    },
                    "differing": differing,
                    "samples": [
                        {"server": key, "route": route, **dataclasses.asdict(s)}
                        for (key, route), samples in results.items()
                        for s in samples
                    ],
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        # The servers and oha are already stopped (main's finally).
        print("interrupted", file=sys.stderr)
        sys.exit(130)
