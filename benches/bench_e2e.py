"""Flask and flaskrs behind gunicorn, measured over real sockets.

The same three-route app is built on the real Flask and on flaskrs (this
file is also the module gunicorn imports it from: ``create_app("flask")``),
served by gunicorn with sync workers, and loaded by the generator below for
a fixed time per route, in alternating rounds. A bare WSGI callable under
the same gunicorn is loaded in each round too: its rate is the most this
generator and this gunicorn can do together on this machine, so a framework
rate well below it is the framework's own.

Requests/s is what a client sees, but on a small shared machine it moves
with whatever else runs there, and the generator itself takes a share of the
cores. So the workers' own CPU time per request (user + system, from /proc)
is reported as well: that is the cost of a request to the server, and it
stays put when the machine is busy.

The generator is one thread with an epoll loop over non-blocking sockets:
no per-connection thread to wake and no GIL hand-offs, and a response is
parsed only as far as the status and Content-Length. Gunicorn's sync worker
closes every connection after one response, so each request is a new TCP
connection (as it would be for clients of a sync-worker deployment without
a keep-alive proxy in front); connections that stay open are reused.

    python benches/bench_e2e.py [--duration 5] [--warmup 1] [--rounds 3]
        [--connections 8] [--workers 2] [--frameworks flask flaskrs]

Linux only (epoll, /proc). Each run goes to stderr as it finishes; stdout
gets the ceiling, then per route and framework the median requests/s and
server CPU per request, each with the flaskrs/flask ratio.
"""

from __future__ import annotations

import argparse
import errno
import http.client
import importlib
import itertools
import os
import platform
import select
import signal
import socket
import statistics
import subprocess
import sys
import time
import typing as t
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# (label, paths cycled through by the load): the user route gets a spread of
# ids so that URL matching and conversion run on varying input.
ROUTES: list[tuple[str, list[str]]] = [
    ("/", ["/"]),
    ("/json", ["/json"]),
    ("/user/<int:id>", [f"/user/{i}" for i in range(1, 1001)]),
]


# -- The apps (imported by the gunicorn workers) -----------------------------


def create_app(framework: str) -> t.Any:
    """The benchmark app on ``flask`` or ``flaskrs``."""
    fw = importlib.import_module(framework)
    app = fw.Flask("bench_e2e")

    @app.route("/")
    def index() -> str:
        return "Hello, World!"

    @app.route("/json")
    def json_route() -> dict[str, t.Any]:
        return {"message": "Hello, World!", "ok": True, "items": [1, 2, 3]}

    @app.route("/user/<int:id>")
    def user(id: int) -> dict[str, t.Any]:
        return {"id": id, "name": f"user{id}"}

    return app


def raw_app(
    environ: dict[str, t.Any], start_response: t.Callable[..., t.Any]
) -> list[bytes]:
    """The least a WSGI app can do: the ceiling of server plus generator."""
    body = b"Hello, World!"
    start_response(
        "200 OK",
        [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))],
    )
    return [body]


# -- The server ---------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    def __init__(self, app_spec: str, workers: int) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--worker-class",
                "sync",
                "--chdir",
                str(HERE),
                "--log-level",
                "warning",
                app_spec,
            ],
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                raise SystemExit(f"gunicorn exited with {self.proc.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise SystemExit("gunicorn did not listen within 30 s") from None
                time.sleep(0.1)
        # The arbiter listens before it forks: a run must not start (and
        # count CPU) while a worker is still missing.
        while len(self.workers_cpu()) < workers:
            if time.monotonic() > deadline:
                self.stop()
                raise SystemExit("gunicorn did not start its workers within 30 s")
            time.sleep(0.1)

    def workers_cpu(self) -> dict[int, float]:
        """CPU seconds (user + system) so far of each worker, by pid."""
        pid = self.proc.pid
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            children = [int(c) for c in f.read().split()]
        cpu = {}
        for child in children:
            try:
                with open(f"/proc/{child}/stat") as f:
                    # The command name can hold spaces; the fields after it
                    # cannot: utime and stime are the 12th and 13th there.
                    fields = f.read().rsplit(")", 1)[1].split()
            except FileNotFoundError:
                continue
            cpu[child] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
        return cpu

    def get(self, path: str) -> tuple[int, str, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            return (
                response.status,
                response.getheader("Content-Type", ""),
                (response.read()),
            )
        finally:
            conn.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


# -- The load generator -------------------------------------------------------


@dataclass
class Result:
    requests: int  # 2xx answers inside the measured window
    failures: int  # other statuses, resets, refused connections
    seconds: float
    cpu_seconds: float  # this process's CPU time over the window
    # The workers' CPU time over the window: unlike the rate, it does not
    # drop when other processes on the machine take cores away.
    server_cpu_seconds: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    @property
    def server_us(self) -> float:
        return self.server_cpu_seconds / max(self.requests, 1) * 1e6

    @property
    def cpu_per_request_us(self) -> float:
        return self.cpu_seconds / max(self.requests, 1) * 1e6


def generate_load(
    server: Gunicorn,
    paths: list[str],
    connections: int,
    warmup: float,
    duration: float,
) -> Result:
    """Keep ``connections`` requests in flight for ``warmup + duration``
    seconds; count only what completes after the warm-up."""
    port = server.port
    addr = ("127.0.0.1", port)
    host = f"127.0.0.1:{port}"
    requests = itertools.cycle(
        [f"GET {p} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode() for p in paths]
    )
    ep = select.epoll()
    socks: dict[int, socket.socket] = {}
    bufs: dict[int, bytes] = {}
    connecting: set[int] = set()
    counts = [0, 0]  # ok, failed

    def open_connection() -> None:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        code = s.connect_ex(addr)
        if code not in (0, errno.EINPROGRESS):
            s.close()
            counts[1] += 1
            return
        fd = s.fileno()
        socks[fd] = s
        bufs[fd] = b""
        # Over loopback the handshake is over by the time connect returns,
        # so the request can go now: one wake-up and one epoll_ctl fewer.
        try:
            s.send(next(requests))
        except BlockingIOError:
            connecting.add(fd)
            ep.register(fd, select.EPOLLOUT)
        except OSError:
            counts[1] += 1
            drop(fd)
        else:
            ep.register(fd, select.EPOLLIN)

    def drop(fd: int) -> None:
        # Closing the last descriptor takes it out of the epoll set too.
        socks.pop(fd).close()
        del bufs[fd]
        connecting.discard(fd)

    def send(fd: int) -> bool:
        try:
            socks[fd].send(next(requests))
        except OSError:
            return False
        return True

    for _ in range(connections):
        open_connection()

    start = time.perf_counter()
    measure_from = start + warmup
    stop_at = measure_from + duration
    cpu_start = 0.0
    workers_start: dict[int, float] = {}
    measuring = False
    poll = ep.poll
    perf_counter = time.perf_counter
    EPOLLOUT, EPOLLIN = select.EPOLLOUT, select.EPOLLIN

    while True:
        now = perf_counter()
        if not measuring and now >= measure_from:
            # Reset at the edge of the window; in-flight requests finish
            # inside it, as many as are in flight at its other edge do not.
            measuring = True
            counts[0] = counts[1] = 0
            cpu_start = time.process_time()
            workers_start = server.workers_cpu()
            measure_from = now
        if now >= stop_at:
            break
        if not socks:
            raise SystemExit("the server refuses connections")

        for fd, events in poll(0.5):
            if fd in connecting:
                connecting.discard(fd)
                if events & EPOLLOUT and not events & select.EPOLLERR and send(fd):
                    ep.modify(fd, EPOLLIN)
                else:
                    counts[1] += 1
                    drop(fd)
                    open_connection()
                continue

            # One read per wake-up: epoll is level-triggered, so whatever
            # is left (more body, the end of the connection) wakes us again.
            try:
                chunk = socks[fd].recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                chunk = b""
            closed = not chunk
            data = bufs[fd] + chunk

            end = data.find(b"\r\n\r\n")
            complete = False
            keep_alive = False
            if end >= 0:
                head = data[:end].lower()
                at = head.find(b"\r\ncontent-length:")
                if at >= 0:
                    stop = head.find(b"\r\n", at + 2)
                    length = int(head[at + 17 : stop if stop >= 0 else None])
                    complete = len(data) - end - 4 >= length
                else:
                    complete = closed
                keep_alive = (
                    not closed
                    and head.startswith(b"http/1.1")
                    and b"\r\nconnection: close" not in head
                )
            if complete:
                if 200 <= int(data[9:12]) < 300:
                    counts[0] += 1
                else:
                    counts[1] += 1
                if keep_alive:
                    bufs[fd] = b""
                    if not send(fd):
                        counts[1] += 1
                        drop(fd)
                        open_connection()
                    continue
                drop(fd)
                open_connection()
            elif closed:
                counts[1] += 1
                drop(fd)
                open_connection()
            else:
                bufs[fd] = data

    elapsed = perf_counter() - measure_from
    cpu = time.process_time() - cpu_start
    workers_end = server.workers_cpu()
    if workers_end.keys() != workers_start.keys():
        raise SystemExit("a gunicorn worker was replaced during the run")
    server_cpu = sum(workers_end[w] - workers_start[w] for w in workers_end)
    for fd in list(socks):
        drop(fd)
    ep.close()
    return Result(counts[0], counts[1], elapsed, cpu, server_cpu)


# -- The report ---------------------------------------------------------------


def sample(server: Gunicorn, name: str) -> dict[str, tuple[int, str, bytes]]:
    """One answer per route, checked before any load is put on it."""
    answers = {label: server.get(paths[0]) for label, paths in ROUTES}
    for label, (status, _, body) in answers.items():
        if status != 200:
            raise SystemExit(f"{name} {label}: {status} {body[:200]!r}")
    return answers


def measure(
    server: Gunicorn, name: str, label: str, paths: list[str], args: argparse.Namespace
) -> Result:
    result = generate_load(server, paths, args.connections, args.warmup, args.duration)
    print(
        f"  {name:<8} {label:<16} {result.rate:>9,.0f} req/s"
        f" {result.server_us:>6.0f} us server CPU/request"
        f"  ({result.failures} failed; generator"
        f" {result.cpu_seconds / result.seconds:.0%} of a core,"
        f" {result.cpu_per_request_us:.0f} us CPU/request)",
        file=sys.stderr,
        flush=True,
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--duration", type=float, default=5.0, help="seconds per run (5)"
    )
    parser.add_argument(
        "--warmup", type=float, default=1.0, help="seconds before each run (1)"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="runs per route and server (3)"
    )
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--frameworks", nargs="+", default=["flask", "flaskrs"])
    args = parser.parse_args()

    import gunicorn

    print(
        f"gunicorn {gunicorn.__version__}, {args.workers} sync workers per server;"
        f" {args.connections} connections; {args.rounds} rounds of"
        f" {args.duration:g} s per route and server (after {args.warmup:g} s"
        f" warm-up), medians shown; Python {platform.python_version()},"
        f" {os.cpu_count()} CPUs",
        flush=True,
    )

    # All servers up at once (idle sync workers cost nothing), so the runs
    # can alternate: a drift in the machine's load hits both frameworks alike
    # instead of whichever ran second.
    names = ["raw", *args.frameworks]
    servers: dict[str, Gunicorn] = {}
    try:
        for name in names:
            spec = "raw_app" if name == "raw" else f"create_app({name!r})"
            servers[name] = Gunicorn(f"bench_e2e:{spec}", args.workers)
        answers = {name: sample(servers[name], name) for name in args.frameworks}

        runs: dict[tuple[str, str], list[Result]] = {}
        for round_ in range(args.rounds):
            runs.setdefault(("raw", "/"), []).append(
                measure(servers["raw"], "raw", "/", ["/"], args)
            )
            order = args.frameworks if round_ % 2 == 0 else args.frameworks[::-1]
            for label, paths in ROUTES:
                for name in order:
                    runs.setdefault((name, label), []).append(
                        measure(servers[name], name, label, paths, args)
                    )
    finally:
        for server in servers.values():
            server.stop()

    def median(name: str, label: str, metric: str) -> float:
        return statistics.median(getattr(r, metric) for r in runs[name, label])

    def paired(label: str, metric: str) -> float:
        # Per round, flask and flaskrs ran back to back: the median of those
        # paired ratios is steadier than a ratio of medians.
        pairs = zip(runs["flaskrs", label], runs["flask", label])
        return statistics.median(
            getattr(a, metric) / getattr(b, metric) for a, b in pairs
        )

    raw = runs["raw", "/"]
    cpu_us = statistics.median(r.cpu_per_request_us for r in raw)
    share = statistics.median(r.cpu_seconds / r.seconds for r in raw)
    # The generator's CPU time includes the kernel's loopback TCP work, which
    # runs in the sender's context; its inverse is what one core of it drives.
    print(
        f"ceiling: raw WSGI app under the same gunicorn"
        f" {median('raw', '/', 'rate'):,.0f} req/s,"
        f" {median('raw', '/', 'server_us'):.0f} us server CPU/request; the"
        f" generator used {share:.0%} of a core there, {cpu_us:.0f} us"
        f" CPU/request, so one core of it alone drives ~{1e6 / cpu_us:,.0f} req/s"
    )

    # A faster framework that answers differently would not be a result.
    first, *rest = args.frameworks
    for name in rest:
        for label, _ in ROUTES:
            if answers[name][label] != answers[first][label]:
                print(
                    f"warning: {label} differs: {first} {answers[first][label]!r}"
                    f" vs {name} {answers[name][label]!r}"
                )

    ratio = "flaskrs" in args.frameworks and "flask" in args.frameworks
    header = f"{'route':<16}" + "".join(f"{name:>12}" for name in args.frameworks)
    # (title, measure, number format, ratio heading, ratio of the pair)
    tables = [
        ("requests/s (higher is better)", "rate", ",.0f", "flaskrs/flask", 1),
        (
            "server CPU us/request, both workers (lower is better)",
            "server_us",
            ".0f",
            "flask/flaskrs",
            -1,
        ),
    ]
    for title, key, number, heading, power in tables:
        print()
        print(title)
        print(header + (f"{heading:>15}" if ratio else ""))
        for label, _ in ROUTES:
            line = f"{label:<16}" + "".join(
                f"{median(name, label, key):>12{number}}" for name in args.frameworks
            )
            if ratio:
                line += f"{paired(label, key) ** power:>14.2f}x"
            print(line)
    failures = sum(r.failures for results in runs.values() for r in results)
    if failures:
        print(f"warning: {failures} requests failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
