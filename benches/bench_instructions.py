"""Flask and flaskrs per request in CPU instructions, counted by valgrind.

Timings on a shared two-core machine move by 10-30% from run to run, which
hides the 2-5% that one change to the request path is worth. Instructions
counted by ``valgrind --tool=callgrind`` do not move: the same build, input
and environment give the same count whatever else the machine runs. This
bench counts, for each scenario of ``../shared/bench/scenarios.py``, the
instructions of N calls of the app after a warm-up, through the same call
harness as ``bench_cold.py``; only the calls are counted (callgrind's
``--toggle-collect`` on the ``functools.reduce`` that makes them). A bare
WSGI callable in the same harness is the floor: what is left after
subtracting it is the framework's own work, and its ratio is the
"framework" column.

Instructions are not time (a cache miss costs more than an add; see
``bench_cold.py`` for that), but fewer of them is what a change to the
Python layers can buy, and this is how to see it without noise.

    .venv/bin/python benches/bench_instructions.py [--scenarios hello] [--calls 2000]
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import typing as t
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import version
from pathlib import Path

from bench_cold import harness
from bench_cold import load_scenarios
from bench_cold import prepare

# The frameworks a worker can load; "bare" is the floor.
FRAMEWORKS = ("flask", "flaskrs")
WARM_UP = 300
_TOTALS = re.compile(r"^summary:\s+(\d+)", re.MULTILINE)


def bare_app(scenario: t.Any) -> t.Callable[..., t.Iterable[bytes]]:
    """A WSGI callable that answers the scenario's expected status and body
    at once: what the harness and a server cost with no framework."""
    body = scenario.expect
    status = f"{scenario.status} X"

    def app(environ: t.Any, start_response: t.Any) -> list[bytes]:
        start_response(status, [("Content-Length", str(len(body)))])
        return [body]

    return app


def worker(framework: str, scenario_name: str, calls: int) -> None:
    """Warm up, then make ``calls`` calls inside ``functools.reduce``, the
    one function callgrind counts in."""
    scenario = next(s for s in load_scenarios() if s.name == scenario_name)
    if framework == "bare":
        call = harness(bare_app(scenario), scenario, "bare")
    else:
        call = prepare(__import__(framework), scenario)
    for _ in range(WARM_UP):
        call()
    functools.reduce(lambda _, __: call(), range(calls), None)


def read_total(callgrind_out: str) -> int:
    """The instruction total of a callgrind output file."""
    found = _TOTALS.search(callgrind_out)
    if found is None:
        raise ValueError("no 'summary:' line in the callgrind output")
    return int(found.group(1))


def count(framework: str, scenario: str, calls: int) -> float:
    """Instructions per call of ``framework`` on ``scenario``."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "callgrind.out"
        command = [
            "valgrind",
            "--tool=callgrind",
            "--toggle-collect=functools_reduce",
            f"--callgrind-out-file={out}",
            sys.executable,
            __file__,
            "--worker",
            framework,
            scenario,
            str(calls),
        ]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(
                f"{framework} {scenario}: valgrind exited {done.returncode}\n"
                + done.stderr[-2000:]
            )
        return read_total(out.read_text()) / calls


def framework_ratio(flask: float, flaskrs: float, floor: float) -> float:
    """How many times fewer instructions flaskrs's own part takes than
    Flask's, once the floor (harness and bare callable) is taken off."""
    return (flask - floor) / (flaskrs - floor)


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["--worker"]:
        worker(argv[1], argv[2], int(argv[3]))
        return 0
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scenarios", nargs="+", help="names from scenarios.py")
    parser.add_argument("--calls", type=int, default=2000, help="counted per run")
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not on PATH (Debian: apt-get install valgrind)")

    scenarios = [
        s.name
        for s in load_scenarios()
        if not args.scenarios or s.name in args.scenarios
    ]
    jobs = [("bare", scenarios[0])]
    jobs += [(fw, name) for name in scenarios for fw in FRAMEWORKS]
    # Counts do not depend on load: run as many as there are cores.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        results = dict(zip(jobs, pool.map(lambda job: count(*job, args.calls), jobs)))
    floor = results["bare", scenarios[0]]
    valgrind = subprocess.run(
        ["valgrind", "--version"], capture_output=True, text=True
    ).stdout.strip()
    print(
        f"machine: {platform.machine()}, CPython {platform.python_version()},"
        f" flask {version('flask')}, flaskrs {version('flaskrs')}, {valgrind};"
        f" {args.calls} calls counted after {WARM_UP}"
    )
    print(f"floor (harness and a bare WSGI callable): {floor:,.0f} instructions/call")
    print(f"{'scenario':<12}{'flask':>12}{'flaskrs':>12}{'ratio':>8}{'framework':>11}")
    whole: list[float] = []
    own: list[float] = []
    for name in scenarios:
        flask, flaskrs = results["flask", name], results["flaskrs", name]
        whole.append(flask / flaskrs)
        own.append(framework_ratio(flask, flaskrs, floor))
        print(
            f"{name:<12}{flask:>12,.0f}{flaskrs:>12,.0f}"
            f"{whole[-1]:>7.2f}x{own[-1]:>10.2f}x"
        )
    print(
        f"bench-instructions: geomean {statistics.geometric_mean(whole):.2f}x"
        f" fewer instructions per call, {statistics.geometric_mean(own):.2f}x"
        f" in the framework's own part, over {len(scenarios)} scenarios"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
