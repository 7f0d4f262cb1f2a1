"""Flask and flaskrs per request with warm and with cold CPU caches.

A loop that calls an app over and over (``wsgi-bench``) keeps the
framework's code and objects in the CPU's caches. Behind a server, or inside
an app that does real work, the caches hold other things between two
requests, and each request first has to bring the framework's memory back.
This bench times the scenarios of ``../shared/bench/scenarios.py`` both ways,
in one process: "warm" calls the app back to back, "cold" reads a buffer
larger than the cache (``--evict-mib``, not timed) before each call. Only
the app call is timed (``perf_counter_ns`` around it), so the figures are
the framework's own cost per request in each condition; rounds alternate
the frameworks and the table has medians.

    .venv/bin/python benches/bench_cold.py [--scenarios hello json] [--rounds 5]
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import importlib
import io
import platform
import statistics
import sys
import time
import typing as t
from importlib.metadata import version
from pathlib import Path

SHARED_BENCH = Path(__file__).resolve().parents[2] / "shared" / "bench"


def load_scenarios() -> list[t.Any]:
    sys.path.insert(0, str(SHARED_BENCH))
    module = importlib.import_module("scenarios")
    return list(module.SCENARIOS)


def prepare(fw: t.Any, scenario: t.Any) -> t.Callable[[], bytes]:
    """One call of the scenario's app on a fresh copy of its environ."""
    app = scenario.make_app(fw)
    cookie = None
    if scenario.needs_session:
        client = app.test_client()
        client.get("/login")
        cookie = f"session={client.get_cookie('session').value}"
    return harness(app, scenario, fw.__name__, cookie)


def harness(
    app: t.Any, scenario: t.Any, label: str, cookie: str | None = None
) -> t.Callable[[], bytes]:
    """A call of ``app`` as a server makes it, on a fresh copy of the
    scenario's environ, checked once against the scenario's answer."""
    from werkzeug.test import EnvironBuilder

    headers = dict(scenario.headers)
    if cookie is not None:
        headers["Cookie"] = cookie
    environ = EnvironBuilder(
        path=scenario.paths[0],
        method=scenario.method,
        headers=headers,
        data=scenario.body or None,
    ).get_environ()
    environ.pop("wsgi.input", None)
    seen: list[int] = []

    def start_response(status: str, headers: t.Any, exc_info: t.Any = None) -> None:
        seen.append(int(status.split(" ", 1)[0]))

    def call() -> bytes:
        env = dict(environ)
        env["wsgi.input"] = io.BytesIO(scenario.body)
        body = app(env, start_response)
        try:
            return b"".join(body)
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()

    answer = call()
    if seen[-1] != scenario.status or scenario.expect not in answer:
        raise SystemExit(f"{label} {scenario.name}: got {seen[-1]} {answer[:80]!r}")
    return call


def median_us(call: t.Callable[[], bytes], n: int, evict: bytes | None) -> float:
    times = []
    for _ in range(n):
        if evict is not None:
            hashlib.sha256(evict).digest()
        start = time.perf_counter_ns()
        call()
        times.append(time.perf_counter_ns() - start)
    return statistics.median(times) / 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", nargs="+", help="names from scenarios.py")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--calls", type=int, default=400, help="per round and condition"
    )
    parser.add_argument("--evict-mib", type=int, default=2)
    args = parser.parse_args(argv)

    import flask

    import flaskrs

    scenarios = [
        s for s in load_scenarios() if not args.scenarios or s.name in args.scenarios
    ]
    evict = bytes(range(256)) * (args.evict_mib * 4096)
    versions = f"flask {version('flask')}, flaskrs {version('flaskrs')}"
    print(
        f"machine: {platform.machine()}, CPython {platform.python_version()},"
        f" {versions};"
        f" {args.rounds} rounds x {args.calls} calls,"
        f" {args.evict_mib} MiB read before each cold call"
    )
    print(
        f"{'scenario':<12}{'flask warm':>12}{'flaskrs warm':>14}{'ratio':>7}"
        f"{'flask cold':>12}{'flaskrs cold':>14}{'ratio':>7}"
    )
    ratios: dict[str, list[float]] = {"warm": [], "cold": []}
    for scenario in scenarios:
        calls = {fw.__name__: prepare(fw, scenario) for fw in (flask, flaskrs)}
        figures: dict[tuple[str, str], list[float]] = {}
        for _ in range(args.rounds):
            for condition, buffer in (("warm", None), ("cold", evict)):
                for name, call in calls.items():
                    gc.collect()
                    median_us(call, 20, buffer)
                    figures.setdefault((name, condition), []).append(
                        median_us(call, args.calls, buffer)
                    )
        row = {key: statistics.median(values) for key, values in figures.items()}
        warm = row["flask", "warm"] / row["flaskrs", "warm"]
        cold = row["flask", "cold"] / row["flaskrs", "cold"]
        ratios["warm"].append(warm)
        ratios["cold"].append(cold)
        cells = [row["flask", "warm"], row["flaskrs", "warm"], warm]
        cells += [row["flask", "cold"], row["flaskrs", "cold"], cold]
        print(
            f"{scenario.name:<12}{cells[0]:>12.1f}{cells[1]:>14.1f}{cells[2]:>6.2f}x"
            f"{cells[3]:>12.1f}{cells[4]:>14.1f}{cells[5]:>6.2f}x"
        )
    geo = {k: statistics.geometric_mean(v) for k, v in ratios.items() if v}
    print(
        f"bench-cold: geomean flaskrs speed-up {geo['warm']:.2f}x warm,"
        f" {geo['cold']:.2f}x cold, over {len(scenarios)} scenarios"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
