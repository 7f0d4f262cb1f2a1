"""``flaskrs bench``: the user's app timed on the real Flask and on flaskrs.

Each run starts two interpreters of its own, so most tests run the command
as a program (``python -m flaskrs._bench``) and read its real stdout and
stderr; one goes through the command group, as ``flaskrs --app X bench``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from html.parser import HTMLParser
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from flaskrs._bench import bench_command
from flaskrs._bench import parse_requests
from flaskrs.cli import FlaskGroup

ROOT = Path(__file__).resolve().parent.parent

DEMO_ROUTES = [
    "/",
    "/flash/",
    "/profile",
    "/status",
    "/api/health",
    "/api/links",
    "/admin/",
    "/stream",
    "/app-resource",
    "/assets/bp-resource",
    "/download",
    "/favicon.ico",
]

SECONDS = "0.02"


def bench(
    *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flaskrs._bench", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )


def row(label: str) -> str:
    """A table row of a request both frameworks answered alike."""
    return rf"(?m)^{re.escape(label)} +\d+\.\d +\d+\.\d +\d+\.\d\dx$"


def write_app(folder: Path, framework: str) -> Path:
    # The module the app was built from differs under the alias, and on the
    # Flask run even for an app written against flaskrs.
    path = folder / "differing.py"
    path.write_text(
        textwrap.dedent(
            f"""\
            import {framework} as fw

            app = fw.Flask(__name__)

            @app.get("/same")
            def same():
                return "same"

            @app.get("/module")
            def module():
                return fw.Flask.__module__

            @app.post("/say")
            def say():
                return fw.Flask.__module__ + " says " + fw.request.json["m"]
            """
        )
    )
    return path


def test_demo_routes_agree() -> None:
    result = bench("--app", "demo/app.py", "--seconds", SECONDS)
    assert result.returncode == 0, result.stdout + result.stderr
    for route in DEMO_ROUTES:
        assert re.search(row(f"GET {route}"), result.stdout), route
    assert "DIFFERS" not in result.stdout
    assert re.search(
        rf"(?m)^geometric mean speed-up: \d+\.\d\dx over {len(DEMO_ROUTES)} routes$",
        result.stdout,
    )
    # Progress, so that a long run is visibly alive.
    n = len(DEMO_ROUTES)
    assert f"flask: route 1/{n} GET " in result.stderr
    assert f"flaskrs: route {n}/{n} GET " in result.stderr


def test_requests_file_with_a_json_post(tmp_path: Path) -> None:
    requests = tmp_path / "requests.txt"
    requests.write_text('# the demo\n\nPOST /echo {"message": "hi"}\nGET /status?x=1\n')
    result = bench(
        "--app", "demo/app.py", "--requests", str(requests), "--seconds", SECONDS
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(row("POST /echo"), result.stdout)
    assert re.search(row("GET /status?x=1"), result.stdout)
    assert "over 2 routes" in result.stdout
    assert "route 1/2 POST /echo" in result.stderr


@pytest.mark.parametrize("framework", ["flask", "flaskrs"])
def test_a_differing_route_is_reported(tmp_path: Path, framework: str) -> None:
    app = write_app(tmp_path, framework)
    result = bench("--app", str(app), "--seconds", SECONDS)
    assert result.returncode == 1, result.stdout + result.stderr
    assert re.search(row("GET /same"), result.stdout)
    assert re.search(r"(?m)^GET /module .* DIFFERS$", result.stdout)
    assert "1 of 2 requests answered differently" in result.stdout
    assert (
        "GET /module: body b'flask.app' (9 bytes) on flask,"
        " b'flaskrs.app' (11 bytes) on flaskrs"
    ) in result.stdout
    assert "geometric mean speed-up: " in result.stdout
    assert "over 1 route\n" in result.stdout


def test_the_switch_does_not_reach_the_flask_run(tmp_path: Path) -> None:
    # Under FLASKRS_AS_FLASK=1 in the user's shell, the baseline must still be
    # the real Flask, or the table compares flaskrs with itself.
    app = write_app(tmp_path, "flask")
    result = bench(
        "--app", str(app), "--seconds", SECONDS, env={"FLASKRS_AS_FLASK": "1"}
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "b'flask.app' (9 bytes) on flask" in result.stdout
    assert "b'flaskrs.app' (11 bytes) on flaskrs" in result.stdout


def test_the_json_body_reaches_both_frameworks(tmp_path: Path) -> None:
    app = write_app(tmp_path, "flask")
    requests = tmp_path / "requests.txt"
    requests.write_text('POST /say {"m": "hi"}\n')
    result = bench("--app", str(app), "--requests", str(requests), "--seconds", SECONDS)
    assert result.returncode == 1
    assert "b'flask.app says hi'" in result.stdout
    assert "b'flaskrs.app says hi'" in result.stdout
    assert "geometric mean speed-up: none, no route answered alike" in result.stdout


def test_headers_reach_both_frameworks(tmp_path: Path) -> None:
    # A logged-in session's cookie and a token, given on indented lines. An
    # anonymous request gets the framework's module name, which differs.
    app = tmp_path / "headers.py"
    app.write_text(
        textwrap.dedent(
            """\
            import flask

            app = flask.Flask(__name__)
            app.secret_key = "not secret"

            @app.get("/who")
            def who():
                token = flask.request.headers.get("Authorization")
                if "user" not in flask.session or token is None:
                    return flask.Flask.__module__
                return f"{flask.session['user']} {token}"

            @app.post("/login")
            def login():
                flask.session["user"] = flask.request.json["user"]
                return "ok"
            """
        )
    )
    # The cookie that POST /login {"user": "ann"} sets, made by the app.
    made = subprocess.run(
        [
            sys.executable,
            "-c",
            "import headers; c = headers.app.test_client();"
            " c.post('/login', json={'user': 'ann'});"
            " print(c.get_cookie('session').value)",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    requests = tmp_path / "requests.txt"
    requests.write_text(
        f"GET /who\n  Cookie: session={made.stdout.strip()}\n"
        "  Authorization: Bearer t0k\n"
        # Not carried over to the next request.
        "GET /who?again\n"
    )
    result = bench("--app", str(app), "--requests", str(requests), "--seconds", SECONDS)
    assert result.returncode == 1, result.stdout + result.stderr
    assert re.search(row("GET /who"), result.stdout)
    assert "GET /who?again: body b'flask.app' (9 bytes) on flask" in result.stdout
    assert "over 1 route\n" in result.stdout


def test_missing_real_flask(tmp_path: Path) -> None:
    shadow = tmp_path / "flask"
    shadow.mkdir()
    (shadow / "__init__.py").write_text("raise ImportError('no Flask here')\n")
    result = bench("--app", "demo/app.py", env={"PYTHONPATH": str(tmp_path)})
    assert result.returncode == 1
    assert (
        "Error: the real Flask is not installed: pip install flask==3.1.3"
        in result.stderr
    )
    assert "flaskrs: loading" not in result.stderr


def test_app_that_cannot_be_loaded() -> None:
    result = bench("--app", "no_such_module_here")
    assert result.returncode == 1
    assert "could not load the app on flask" in result.stderr


def test_through_the_command_group(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The group sets it for the app's sake; later tests must not inherit it.
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "")
    monkeypatch.delenv("FLASK_RUN_FROM_CLI")
    app = tmp_path / "hello.py"
    app.write_text(
        "import flask\napp = flask.Flask(__name__)\n"
        "@app.get('/hello')\ndef hello():\n    return 'hello'\n"
    )
    group = FlaskGroup(name="flaskrs")
    group.add_command(bench_command)
    result = CliRunner().invoke(
        group, ["--app", str(app), "bench", "--seconds", SECONDS]
    )
    assert result.exit_code == 0, result.output
    assert re.search(row("GET /hello"), result.output)
    assert "over 1 route\n" in result.output


def test_requests_file_errors() -> None:
    assert parse_requests("get /a\n  # no\nPUT /b [1, 2]\n", "f") == [
        ["GET", "/a", None],
        ["PUT", "/b", "[1, 2]"],
    ]
    assert parse_requests(
        "GET /a\n  Cookie: s=1; t=2\n\tX-Token:  ab:c \n# c\nGET /b\n", "f"
    ) == [
        ["GET", "/a", None, [["Cookie", "s=1; t=2"], ["X-Token", "ab:c"]]],
        ["GET", "/b", None],
    ]
    for text, message in [
        ("  Cookie: a=b\nGET /\n", "f:1: a header before any request"),
        ("/a\n", "f:1: expected 'METHOD /path [JSON body]'"),
        ("\nGET a\n", "f:2: expected"),
        ('POST /a {"m": }\n', "f:1: the body is not JSON"),
    ]:
        with pytest.raises(click.ClickException, match=re.escape(message)):
            parse_requests(text, "f")


def shares_lines(stdout: str) -> dict[str, list[dict[str, float]]]:
    """The per-package shares of --profile's table, by framework."""
    found: dict[str, list[dict[str, float]]] = {"flask": [], "flaskrs": []}
    for framework, text in re.findall(r"(?m)^  (flaskrs|flask) +(.*)$", stdout):
        pairs = re.findall(r"(\S+) (\d+\.\d)", text)
        found[framework].append({name: float(share) for name, share in pairs})
    return found


def test_profile_of_the_demo() -> None:
    result = bench("--app", "demo/app.py", "--seconds", SECONDS, "--profile")
    assert result.returncode == 0, result.stdout + result.stderr
    # The timing table is still there, unprofiled.
    assert re.search(row("GET /"), result.stdout)
    assert (
        "Framework: flask + werkzeug on flask, flaskrs + werkzeug on flaskrs, with"
        " the work of stdlib, itsdangerous, blinker, markupsafe they call."
    ) in result.stdout
    shares = shares_lines(result.stdout)
    for framework in ("flask", "flaskrs"):
        assert len(shares[framework]) == len(DEMO_ROUTES), result.stdout
        for line in shares[framework]:
            assert sum(line.values()) == pytest.approx(100, abs=0.6), line
    named = {name for line in shares["flaskrs"] for name in line}
    assert {"flaskrs", "werkzeug", "app"} <= named
    assert "flaskrs" not in {name for line in shares["flask"] for name in line}
    assert {"flask", "werkzeug"} <= {name for line in shares["flask"] for name in line}
    ceilings = re.findall(r"ceiling (\d+(?:\.\d\d)?|inf)x?", result.stdout)
    assert len(ceilings) == len(DEMO_ROUTES) + 1
    assert all(float(ceiling) >= 1 for ceiling in ceilings)
    assert re.search(
        r"(?m)^overall: framework \d+\.\d% on flask, \d+\.\d% on flaskrs .*;"
        r" ceiling \d+(\.\d\d)?x, measured \d+\.\d\dx",
        result.stdout,
    )


def test_profile_names_a_package_the_app_calls(tmp_path: Path) -> None:
    # A package of its own next to the app: the app's folder does not make
    # it part of the app.
    package = tmp_path / "busywork"
    package.mkdir()
    (package / "__init__.py").write_text(
        "def churn():\n    return sum(i * i for i in range(30000))\n"
    )
    app = tmp_path / "calls.py"
    app.write_text(
        "import flask\nimport busywork\napp = flask.Flask(__name__)\n"
        "@app.get('/churn')\ndef churn():\n    return str(busywork.churn())\n"
    )
    result = bench("--app", str(app), "--seconds", SECONDS, "--profile")
    assert result.returncode == 0, result.stdout + result.stderr
    shares = shares_lines(result.stdout)
    for framework in ("flask", "flaskrs"):
        [line] = shares[framework]
        # Most of the route's time, on either framework.
        assert line["busywork"] > 50, result.stdout


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_report(tmp_path: Path) -> None:
    requests = tmp_path / "requests.txt"
    requests.write_text("GET /status?q=<b>&x='1'\nGET /\n")
    page = tmp_path / "report.html"
    result = bench(
        "--app",
        "demo/app.py",
        "--requests",
        str(requests),
        "--seconds",
        SECONDS,
        "--html",
        str(page),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # --html brings the profile along.
    assert "CPU share by package" in result.stdout
    assert f"wrote {page}" in result.stdout
    text = page.read_text(encoding="utf-8")
    assert "GET /status?q=&lt;b&gt;&amp;x=&#x27;1&#x27;" in text
    assert "<b>" not in text
    parser = Tags()
    parser.feed(text)
    parser.close()
    assert parser.tags.count("svg") == 2
    assert "b" not in parser.tags and "script" not in parser.tags
    assert "GET /status?q=<b>&x='1'" in parser.text
    for package in ("flaskrs", "werkzeug", "flask"):
        assert package in parser.text


def test_html_escapes_package_names() -> None:
    from flaskrs._bench import Row
    from flaskrs._bench_html import html_report

    shares = {"<script>x</script>": 0.5, "flask": 0.3, "werkzeug": 0.2}
    rows = [
        Row(
            "GET /&",
            2e-5,
            1e-5,
            2.0,
            shares,
            {"flaskrs": 1.0},
            shares,
            {"flaskrs": 1.0},
        )
    ]
    page = html_report("flask <1> vs flaskrs", 0.1, rows)
    assert "<script" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
    assert "flask &lt;1&gt; vs flaskrs" in page and "GET /&amp;" in page
    # Flask's framework is half its time here: the ceiling is 2x.
    assert rows[0].ceiling == pytest.approx(2.0)
    assert "(ceiling 2.00x)" in page


def test_shares_follow_callers(tmp_path: Path) -> None:
    import json
    import runpy
    import types

    import flask.app

    worker_path = ROOT / "python" / "flaskrs" / "_bench_worker.py"
    worker = runpy.run_path(str(worker_path))
    app = types.SimpleNamespace(import_name="myapp.views", root_path=str(tmp_path))
    packages = worker["_Packages"](app)
    # pstats' shape: function -> (calls, calls, self, total, {caller: (...)})
    loop = (str(worker_path), 1, "call")
    framework = (flask.app.__file__, 1, "wsgi_app")
    view = (str(tmp_path / "myapp" / "views.py"), 1, "view")
    dumps = (json.__file__, 1, "dumps")
    length = ("~", 0, "<built-in method builtins.len>")
    stats = {
        loop: (1, 1, 3.0, 8.0, {}),
        framework: (1, 1, 1.0, 5.0, {loop: (1, 1, 1.0, 5.0)}),
        view: (1, 1, 1.0, 2.0, {framework: (1, 1, 1.0, 2.0)}),
        dumps: (2, 2, 2.0, 2.0, {framework: (1, 1, 1.5, 1.5), view: (1, 1, 0.5, 0.5)}),
        length: (1, 1, 0.5, 0.5, {view: (1, 1, 0.5, 0.5)}),
    }
    # The loop's own time is nobody's; len() is the view's.
    assert packages.shares(stats) == pytest.approx(
        {"flask": 1 / 4.5, "app": 1.5 / 4.5, "stdlib": 2 / 4.5}
    )
    # json.dumps works for whoever called it.
    assert packages.shares(stats, {"stdlib"}) == pytest.approx(
        {"flask": 2.5 / 4.5, "app": 2 / 4.5}
    )
