"""The pure parts of benches/bench_apps.py: the lock, the reading of
``flaskrs bench``'s report, the explained differences and the tables. No
download, no app: the bench itself is run by ``make bench-apps``."""

from __future__ import annotations

import math
import re
import string
from pathlib import Path
from types import ModuleType

import pytest

from bench_scripts import load_bench
from flaskrs._bench import parse_requests

ROOT = Path(__file__).resolve().parent.parent
APPS = ROOT / "benches" / "apps"

# A report of `flaskrs bench --profile`, cut down: three routes, one of
# which answered with another body on flaskrs.
REPORT = """\
flask 3.1.3 vs flaskrs 0.1.0: median CPU time per request, 0.3 s per route
route              flask us  flaskrs us  speed-up
GET /                 200.0        50.0     4.00x
GET /x?a=1        100.0        80.0     1.25x
GET /f/            300.0       100.0   DIFFERS
compared on status only:
  GET /x?a=1: the body changes between calls; status only
1 of 3 requests answered differently on flask and flaskrs (left out of the mean):
  GET /f/: body b'<form>' (10 bytes) on flask, b'<form>' (10 bytes) on flaskrs
geometric mean speed-up: 2.24x over 2 routes

CPU share by package, in % of self time (cProfile, in a pass of its own).
GET /  speed-up 4.00x, ceiling 5.00x (framework 80.0% on flask, 40.0% on flaskrs)
  flask    werkzeug 50.0  flask 30.0  app 20.0
  flaskrs  werkzeug 30.0  app 60.0  flaskrs 10.0
GET /x?a=1  speed-up 1.25x, ceiling inf (framework 100.0% on flask, 50.0% on flaskrs)
  flask    flask 100.0
  flaskrs  app 50.0  flaskrs 50.0
GET /f/  speed-up DIFFERS, ceiling 1.50x (framework 33.3% on flask, 25.0% on flaskrs)
  flask    app 66.7  flask 33.3
  flaskrs  app 75.0  flaskrs 25.0
overall: framework 71.1% on flask, 38.3% on flaskrs (mean over routes)
"""


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_bench("bench_apps")


def test_the_lock(bench: ModuleType) -> None:
    settings, apps = bench.load_lock((APPS / "apps.toml").read_text())
    assert settings["flask"] == "3.1.3"
    assert len(apps) >= 3
    for app in apps:
        assert re.fullmatch(r"[0-9a-f]{64}", app.sha256), app.name
        assert app.file.endswith((".whl", ".tar.gz")), app.name
        assert app.pins.exists(), f"{app.pins} is missing: bench_apps.py --lock"
        assert "\nflask==3.1.3 " in "\n" + app.pins.read_text()
        assert (APPS / f"{app.entry}.py").exists(), app.name
        # The requests file parses once its ${values} are filled in.
        template = (APPS / app.requests).read_text()
        filled = string.Template(template)
        text = filled.substitute(dict.fromkeys(filled.get_identifiers(), "x"))
        requests = parse_requests(text, app.requests)
        assert 8 <= len(requests) <= 20, app.name
        labels = {f"{r[0]} {r[1]}" for r in requests}
        assert set(app.per_process) <= labels, app.name


def test_the_lock_refuses_unknown_keys(bench: ModuleType) -> None:
    text = """\
[apps]
flask = "3.1.3"
werkzeug = "3.1.9"
uv = "0.13.9"
seconds = 0.2

[[app]]
name = "Some_App"
version = "1.0"
file = "some_app-1.0.tar.gz"
sha256 = "00"
kind = "k"
entry = "some_entry"
requests = "some.txt"
extras = ["server"]
"""
    settings, (app,) = bench.load_lock(text)
    assert settings["seconds"] == 0.2
    assert app.key == "some-app" and not app.wheel
    assert bench.wanted(app, None, ["flask==3.1.3"]) == [
        "Some_App[server]==1.0",
        "flask==3.1.3",
    ]
    assert bench.wanted(app, Path("/c/some_app-1.0.tar.gz"), [])[0] == (
        "/c/some_app-1.0.tar.gz[server]"
    )
    with pytest.raises(ValueError, match="unknown \\['setup'\\]"):
        bench.load_lock(text + 'setup = "x"\n')
    with pytest.raises(ValueError, match="no 'uv'"):
        bench.load_lock(text.replace('uv = "0.13.9"\n', ""))


def test_the_report_is_read(bench: ModuleType) -> None:
    routes = bench.parse_bench(REPORT)
    assert [r.label for r in routes] == ["GET /", "GET /x?a=1", "GET /f/"]
    first, second, third = routes
    assert (first.flask_us, first.flaskrs_us, first.speed_up) == (200.0, 50.0, 4.0)
    assert (first.flask_share, first.flaskrs_share, first.ceiling) == (0.8, 0.4, 5.0)
    # Flask's framework CPU, 160 us, over flaskrs's, 20 us.
    assert first.cut == pytest.approx(8.0)
    assert second.ceiling == math.inf
    assert second.cut == pytest.approx(2.5)
    assert third.speed_up is None
    assert bench.parse_disagreements(REPORT) == [
        (
            "GET /f/",
            "body b'<form>' (10 bytes) on flask, b'<form>' (10 bytes) on flaskrs",
        )
    ]


def test_a_difference_fails_unless_the_lock_explains_it(bench: ModuleType) -> None:
    settings, apps = bench.load_lock((APPS / "apps.toml").read_text())
    app = apps[0]
    app.per_process = {}
    routes = bench.parse_bench(REPORT)
    assert bench.explain(app, routes, REPORT) == [
        "  GET /f/: body b'<form>' (10 bytes) on flask, b'<form>' (10 bytes) on flaskrs"
    ]
    app.per_process = {"GET /f/": "a CSRF token"}
    assert bench.explain(app, routes, REPORT) == []
    assert routes[2].speed_up == pytest.approx(3.0)
    assert routes[2].note == "a CSRF token"
    # A different status is never explained away.
    status = REPORT.replace(
        "GET /f/: body b'<form>' (10 bytes) on flask, b'<form>' (10 bytes)",
        "GET /f/: status '200 OK' on flask, '500 INTERNAL SERVER ERROR'",
    )
    assert len(bench.explain(app, bench.parse_bench(status), status)) == 1


def test_tables_and_the_last_line(bench: ModuleType) -> None:
    routes = bench.parse_bench(REPORT)
    names = bench.header_names(
        "# c\nGET /\n  Cookie: a=b\n  X-Y: 1\nGET /a\n\nGET /b\n"
    )
    assert names == [["Cookie", "X-Y"], [], []]
    routes[0].label = bench.label_with_headers(routes[0].label, names[0])
    text = bench.table("demo 1.0", routes)
    lines = text.splitlines()
    assert lines[0] == "demo 1.0"
    assert lines[1].split() == [
        "route",
        "flask",
        "us",
        "flaskrs",
        "us",
        "speed-up",
        "fw",
        "flask",
        "fw",
        "flaskrs",
        "ceiling",
        "fw",
        "cut",
    ]
    assert lines[2].split() == [
        "GET",
        "/",
        "[Cookie,",
        "X-Y]",
        "200.0",
        "50.0",
        "4.00x",
        "80.0%",
        "40.0%",
        "5.00x",
        "8.00x",
    ]
    assert "DIFFERS" in lines[4]
    # Over the routes answered alike; an infinite ceiling is left out.
    assert lines[5].split() == ["geometric", "mean", "2.24x", "5.00x", "4.47x"]
    other = bench.parse_bench(REPORT)[:1]
    assert bench.summary({"demo": routes, "other": other}) == (
        "bench-apps: 2 apps, 3 routes, geomean speed-up 2.71x, framework CPU cut 5.43x"
    )
