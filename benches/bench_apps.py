#!/usr/bin/env python3
"""Real Flask applications timed on Flask and on flaskrs by ``flaskrs bench``.

Each app of benches/apps/apps.toml is downloaded as its pinned PyPI release
(its sha256 checked, kept in .cache/apps/), installed into a virtualenv of
its own with the pins of benches/apps/pins/NAME.txt, Flask 3.1.3 and a
flaskrs wheel built from this checkout, and set up on SQLite or files in a
temporary folder by benches/apps/NAME_entry.py (database, users, sample
rows). Then ``flaskrs bench --profile`` replays the app's requests file on
both frameworks, and its output is shown with a table per app: each
route's CPU time on Flask and on flaskrs, the speed-up, the framework's
share of the CPU on each side (flask or flaskrs, and werkzeug, with the
work they have the standard library and their helpers do), the ceiling,
and the framework CPU cut: Flask's framework CPU per request over
flaskrs's.

The run exits 1 when a request is answered differently on the two
frameworks (the bench's report says how), 2 when an app could not be
downloaded, installed or set up. The last line:
``bench-apps: N apps, M routes, geomean speed-up X.XXx, framework CPU cut Y.YYx``.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.machinery
import importlib.util
import json
import math
import os
import re
import shutil
import string
import sys
import tempfile
import time
import types
import typing as t
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

import tomllib

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
APPS = HERE / "apps"
LOCK = APPS / "apps.toml"
PINS = APPS / "pins"
CACHE = ROOT / ".cache" / "apps"


def corpus_run() -> types.ModuleType:
    """corpus/run as a module: its uv, wheel and subprocess helpers."""
    path = ROOT / "corpus" / "run"
    loader = importlib.machinery.SourceFileLoader("corpus_run", str(path))
    spec = importlib.util.spec_from_loader("corpus_run", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    # Its dataclasses look their module up while being made.
    sys.modules[spec.name] = module
    loader.exec_module(module)
    return module


class SetupError(Exception):
    """An app that could not be downloaded, installed or set up."""


@dataclass
class App:
    name: str
    version: str
    file: str
    sha256: str
    kind: str
    entry: str
    requests: str
    extras: list[str] = field(default_factory=list)
    requires: list[str] = field(default_factory=list)
    overrides: list[str] = field(default_factory=list)
    #: Requests whose body depends on the process or the clock (a token
    #: made at start-up, a date), with the reason: a difference in their
    #: body alone, the status being the same, does not fail the run.
    per_process: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return re.sub(r"[-_.]+", "-", self.name).lower()

    @property
    def pins(self) -> Path:
        return PINS / f"{self.key}.txt"

    @property
    def wheel(self) -> bool:
        return self.file.endswith(".whl")


def load_lock(text: str) -> tuple[dict[str, t.Any], list[App]]:
    """The settings and the apps of an apps.toml."""
    lock = tomllib.loads(text)
    settings = lock["apps"]
    for key in ("flask", "werkzeug", "uv", "seconds"):
        if key not in settings:
            raise ValueError(f"[apps] has no {key!r}")
    apps = []
    known = set(App.__dataclass_fields__)
    for entry in lock["app"]:
        unknown = set(entry) - known
        if unknown:
            raise ValueError(f"app {entry.get('name')!r}: unknown {sorted(unknown)}")
        apps.append(App(**entry))
    return settings, apps


# --- the output of `flaskrs bench --profile` ----------------------------------

# "GET /path  123.4  45.6  2.71x" (or "-" and "DIFFERS").
_TIME_ROW = re.compile(
    r"(?P<label>\S+ \S+) +(?P<flask>\d+\.\d|-) +(?P<flaskrs>\d+\.\d|-) +(?P<speed>\S+)"
)
# "GET /path  speed-up 2.71x, ceiling 3.10x (framework 70.1% on flask,
# 25.0% on flaskrs)"
_PROFILE_ROW = re.compile(
    r"(?P<label>\S+ \S+) +speed-up (?P<speed>\S+), ceiling (?P<ceiling>\S+)"
    r" \(framework (?P<flask>\d+\.\d)% on flask, (?P<flaskrs>\d+\.\d)% on flaskrs\)"
)


@dataclass
class Route:
    label: str
    flask_us: float | None
    flaskrs_us: float | None
    #: None when the two frameworks answered differently.
    speed_up: float | None
    #: The framework's share of the CPU (0..1), from the profile.
    flask_share: float | None = None
    flaskrs_share: float | None = None
    ceiling: float | None = None
    #: Why its bodies were not compared, if they were not.
    note: str = ""

    @property
    def cut(self) -> float | None:
        """Flask's framework CPU per request over flaskrs's."""
        if None in (self.flask_us, self.flaskrs_us, self.flask_share):
            return None
        flaskrs = t.cast(float, self.flaskrs_us) * t.cast(float, self.flaskrs_share)
        flask = t.cast(float, self.flask_us) * t.cast(float, self.flask_share)
        return math.inf if flaskrs <= 0 else flask / flaskrs


def _times(text: str) -> float | None:
    if text in ("DIFFERS", "-"):
        return None
    return math.inf if text == "inf" else float(text.rstrip("x"))


def parse_bench(output: str) -> list[Route]:
    """The routes of a ``flaskrs bench --profile`` report, in order."""
    lines = output.splitlines()
    try:
        start = lines.index(next(x for x in lines if x.startswith("route ")))
    except StopIteration:
        raise ValueError("no table in the bench's output") from None
    routes: list[Route] = []
    for line in lines[start + 1 :]:
        found = _TIME_ROW.fullmatch(line)
        if found is None:
            break
        routes.append(
            Route(
                found["label"],
                None if found["flask"] == "-" else float(found["flask"]),
                None if found["flaskrs"] == "-" else float(found["flaskrs"]),
                _times(found["speed"]),
            )
        )
    # The profile's rows, in the same order; a route that raised has none.
    pending = iter(routes)
    for line in lines:
        found = _PROFILE_ROW.fullmatch(line)
        if found is None:
            continue
        for route in pending:
            if route.label == found["label"]:
                route.flask_share = float(found["flask"]) / 100
                route.flaskrs_share = float(found["flaskrs"]) / 100
                route.ceiling = _times(found["ceiling"])
                break
    return routes


def parse_disagreements(output: str) -> list[tuple[str, str]]:
    """The requests a ``flaskrs bench`` report lists as answered
    differently, each with the difference (its first line)."""
    found: list[tuple[str, str]] = []
    listing = False
    for line in output.splitlines():
        if re.fullmatch(r"\d+ of \d+ requests answered differently.*", line):
            listing = True
            continue
        if not listing:
            continue
        item = re.fullmatch(r"  (\S+ \S+): (.*)", line)
        if item is not None:
            found.append((item[1], item[2]))
        elif not line.startswith("  "):
            break
    return found


def explain(app: App, routes: list[Route], output: str) -> list[str]:
    """Accept the body differences the lock explains; the others, shown."""
    unexplained: list[str] = []
    for label, problem in parse_disagreements(output):
        reason = app.per_process.get(label)
        if reason is None or not problem.startswith("body "):
            unexplained.append(f"  {label}: {problem}")
            continue
        for route in routes:
            if route.label == label and route.speed_up is None:
                if route.flask_us and route.flaskrs_us:
                    route.speed_up = route.flask_us / route.flaskrs_us
                route.note = reason
    return unexplained


def label_with_headers(label: str, headers: list[str]) -> str:
    return f"{label} [{', '.join(headers)}]" if headers else label


def header_names(requests_text: str) -> list[list[str]]:
    """For each request of a requests file, the names of its headers."""
    names: list[list[str]] = []
    for line in requests_text.splitlines():
        header = re.fullmatch(r"\s+([!#$%&'*+.^_`|~0-9A-Za-z-]+):.*", line.rstrip())
        if header is not None and names:
            names[-1].append(header[1])
        elif line.strip() and not line.strip().startswith("#"):
            names.append([])
    return names


def geometric_mean(values: list[float]) -> float:
    finite = [v for v in values if math.isfinite(v) and v > 0]
    if not finite:
        return math.nan
    return math.exp(sum(map(math.log, finite)) / len(finite))


def times(x: float | None) -> str:
    if x is None:
        return "-"
    if math.isinf(x):
        return "inf"
    return f"{x:.0f}x" if x >= 100 else f"{x:.2f}x"


def percent(x: float | None) -> str:
    return "-" if x is None else f"{x * 100:.1f}%"


def table(title: str, routes: list[Route]) -> str:
    """One app's table, with its geometric means on the last line."""
    head = (
        "route",
        "flask us",
        "flaskrs us",
        "speed-up",
        "fw flask",
        "fw flaskrs",
        "ceiling",
        "fw cut",
    )
    rows = [
        (
            route.label,
            "-" if route.flask_us is None else f"{route.flask_us:.1f}",
            "-" if route.flaskrs_us is None else f"{route.flaskrs_us:.1f}",
            "DIFFERS" if route.speed_up is None else times(route.speed_up),
            percent(route.flask_share),
            percent(route.flaskrs_share),
            times(route.ceiling),
            times(route.cut),
        )
        for route in routes
    ]
    alike = [route for route in routes if route.speed_up is not None]
    rows.append(
        (
            "geometric mean",
            "",
            "",
            times(geometric_mean([t.cast(float, r.speed_up) for r in alike])),
            "",
            "",
            times(geometric_mean([r.ceiling for r in alike if r.ceiling])),
            times(geometric_mean([r.cut for r in alike if r.cut is not None])),
        )
    )
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head))]
    lines = [title]
    for row in [head, *rows]:
        cells = [row[0].ljust(widths[0])]
        cells += [cell.rjust(width) for cell, width in zip(row[1:], widths[1:])]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def summary(results: dict[str, list[Route]]) -> str:
    alike = [r for routes in results.values() for r in routes if r.speed_up]
    speed = geometric_mean([t.cast(float, r.speed_up) for r in alike])
    cut = geometric_mean([r.cut for r in alike if r.cut is not None])
    return (
        f"bench-apps: {len(results)} apps, {len(alike)} routes,"
        f" geomean speed-up {speed:.2f}x, framework CPU cut {cut:.2f}x"
    )


# --- downloading, installing, setting up ---------------------------------------


def fetch(corpus: types.ModuleType, app: App) -> Path:
    """The app's release file from the cache, else from PyPI; sha256 checked."""
    files = CACHE / "files"
    path = files / app.file
    if not path.exists():
        download = CACHE / "download"
        shutil.rmtree(download, ignore_errors=True)
        spec = f"{app.name}=={app.version}"
        kind = "--only-binary" if app.wheel else "--no-binary"
        got = corpus.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps"]
            + [kind, ":all:", "-d", download, spec]
        )
        found = download / app.file
        if got.returncode != 0 or not found.exists():
            raise SetupError(
                f"could not download {app.file}:\n{corpus.tail(got.stderr)}"
            )
        files.mkdir(parents=True, exist_ok=True)
        found.rename(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != app.sha256:
        path.unlink()
        raise SetupError(f"{app.file} has sha256 {digest}, not {app.sha256}")
    return path


def wanted(app: App, release: Path | None, base: list[str]) -> list[str]:
    """The requirements: the app (from PyPI, or its downloaded ``release``
    file) with its extras, Flask and flaskrs's own, and the app's others."""
    extras = f"[{','.join(app.extras)}]" if app.extras else ""
    if release is None:
        first = f"{app.name}{extras}=={app.version}"
    else:
        first = f"{release}{extras}"
    return [first, *base, *app.requires]


def override_args(app: App, work: Path) -> list[str]:
    if not app.overrides:
        return []
    path = work / f"{app.key}-overrides.txt"
    path.write_text("\n".join(app.overrides) + "\n")
    return ["--override", str(path)]


def lock_pins(corpus: types.ModuleType, uv: Path, app: App, base: list[str]) -> None:
    """Resolve the app's requirements into benches/apps/pins/NAME.txt."""
    PINS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        got = corpus.run(
            [uv, "pip", "compile", "-", "-q", "-o", app.pins]
            + ["--python", sys.executable, "--no-header", "--annotation-style", "line"]
            + override_args(app, Path(work)),
            input="\n".join(wanted(app, None, base)) + "\n",
            env=corpus.uv_env(),
        )
    if got.returncode != 0:
        raise SetupError(f"could not resolve {app.name}:\n{corpus.tail(got.stderr)}")


def install(
    corpus: types.ModuleType,
    uv: Path,
    app: App,
    release: Path,
    wheel: Path,
    base: list[str],
    work: Path,
) -> Path:
    if not app.pins.exists():
        raise SetupError(
            f"no {app.pins.name}: run benches/bench_apps.py --lock {app.key}"
        )
    venv = work / "venv"
    got = corpus.run(
        [uv, "venv", "-q", "--python", sys.executable, venv], env=corpus.uv_env()
    )
    python = venv / "bin" / "python"
    if got.returncode == 0:
        got = corpus.run(
            [uv, "pip", "install", "-q", "--python", python, "-c", app.pins]
            + override_args(app, work)
            + [*wanted(app, release, base), wheel],
            env=corpus.uv_env(),
        )
    if got.returncode != 0:
        raise SetupError(f"could not install {app.name}:\n{corpus.tail(got.stderr)}")
    return python


def app_env(data: Path) -> dict[str, str]:
    # FLASK_APP and the like, or the alias switch, would change what runs.
    drop = ("FLASK", "VIRTUAL_ENV")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(BENCH_APP_DIR=str(data), PYTHONDONTWRITEBYTECODE="1")
    return env


_SETUP = (
    "import importlib, json, sys;"
    " values = importlib.import_module(sys.argv[1]).setup();"
    " open(sys.argv[2], 'w').write(json.dumps(values))"
)


def set_up(corpus: types.ModuleType, app: App, python: Path, data: Path) -> Path:
    """Run the entry's setup() on real Flask; the requests file filled in."""
    data.mkdir(parents=True)
    values_file = data.parent / f"{app.key}-values.json"
    env = {**app_env(data), "BENCH_APP_SETUP": "1"}
    got = corpus.run([python, "-c", _SETUP, app.entry, values_file], cwd=APPS, env=env)
    if got.returncode != 0:
        raise SetupError(f"{app.entry}.setup() failed:\n{corpus.tail(got.stderr, 20)}")
    values = json.loads(values_file.read_text())
    template = string.Template((APPS / app.requests).read_text())
    requests = data.parent / f"{app.key}-requests.txt"
    requests.write_text(template.substitute(values))
    return requests


def bench(
    corpus: types.ModuleType,
    app: App,
    python: Path,
    data: Path,
    requests: Path,
    seconds: float,
) -> tuple[int, str]:
    """``flaskrs bench --profile`` on the app: its exit status and stdout."""
    got = corpus.run(
        [python, "-m", "flaskrs._bench", "--app", f"{app.entry}:app"]
        + ["--requests", requests, "--seconds", seconds, "--profile"],
        cwd=APPS,
        env=app_env(data),
    )
    if got.returncode not in (0, 1) or "route " not in got.stdout:
        raise SetupError(f"flaskrs bench failed:\n{corpus.tail(got.stderr, 30)}")
    return got.returncode, got.stdout


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("apps", nargs="*", help="only these (default: all of the lock)")
    ap.add_argument(
        "--wheel", type=Path, help="bench this flaskrs wheel, built already"
    )
    ap.add_argument("--seconds", type=float, help="per route and framework")
    ap.add_argument("--lock", action="store_true", help="write benches/apps/pins/ anew")
    ap.add_argument("--keep", action="store_true", help="keep the venvs and data")
    args = ap.parse_args()

    corpus = corpus_run()
    settings, apps = load_lock(LOCK.read_text())
    chosen = [a for a in apps if not args.apps or {a.name, a.key} & set(args.apps)]
    if len(chosen) < len(set(args.apps)):
        print(f"bench-apps: not all of {args.apps} are in the lock", file=sys.stderr)
        return 2
    seconds = args.seconds or settings["seconds"]
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="flaskrs-bench-apps-"))
    try:
        uv = corpus.uv_binary(settings["uv"])
        base = corpus.base_requirements(settings)
        if args.lock:
            for app in chosen:
                lock_pins(corpus, uv, app, base)
                print(f"bench-apps: wrote {app.pins.relative_to(ROOT)}")
            return 0
        wheel = (
            args.wheel.resolve() if args.wheel else corpus.build_wheel(work / "wheel")
        )
    except (corpus.RunnerError, SetupError) as exc:
        print(f"bench-apps: {exc}", file=sys.stderr)
        return 2

    status = 0
    results: dict[str, list[Route]] = {}
    for app in chosen:
        title = f"{app.name} {app.version}: {app.kind}"
        print(f"\n== {title}", flush=True)
        here = work / app.key
        try:
            release = fetch(corpus, app)
            python = install(corpus, uv, app, release, wheel, base, here)
            requests = set_up(corpus, app, python, here / "data")
            code, output = bench(corpus, app, python, here / "data", requests, seconds)
        except SetupError as exc:
            print(f"   ERROR {exc}", flush=True)
            status = 2
            continue
        print(output, flush=True)
        routes = parse_bench(output)
        unexplained = explain(app, routes, output)
        if unexplained:
            print(f"bench-apps: {app.name}: answered differently on flaskrs:")
            print("\n".join(unexplained), flush=True)
            status = max(status, 1)
        elif code != 0 and not parse_disagreements(output):
            print(f"bench-apps: {app.name}: the bench failed, its reason is above")
            status = max(status, 1)
        names = header_names(requests.read_text())
        for route, headers in zip(routes, names):
            route.label = label_with_headers(route.label, headers)
        results[app.name] = routes
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)

    print(
        "\nfw: the framework's share of the CPU (flask or flaskrs, and werkzeug,"
        " with the stdlib, itsdangerous, blinker and markupsafe work they call);"
        " ceiling: Flask's time over its time outside the framework;"
        " fw cut: (flask us x fw flask) / (flaskrs us x fw flaskrs)."
    )
    for app in chosen:
        if app.name in results:
            print()
            print(table(f"{app.name} {app.version}", results[app.name]))
            for route in results[app.name]:
                if route.note:
                    print(f"  {route.label}: body not compared, {route.note}")
    minutes, secs = divmod(int(time.monotonic() - started), 60)
    kept = f", kept in {work}" if args.keep else ""
    print(f"\nbench-apps: ran in {minutes} min {secs} s{kept}")
    if status == 1:
        print("bench-apps: some requests were answered differently (above)")
    if results:
        print(summary(results))
    return status


if __name__ == "__main__":
    sys.exit(main())
