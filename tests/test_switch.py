"""``FLASKRS_AS_FLASK=1``: the start-up hook that turns the flask alias on in
every Python process of the environment, for programs that are not changed.

Each test runs a tiny app that imports ``flask`` and says which framework it
got, in fresh processes started the way a user would start them (pytest,
gunicorn, Granian, the ``flask`` command, a subprocess of a subprocess),
once with the variable set and, as the control, once without it, where the
same app runs on the real Flask. This process imports the real Flask for the
other tests, so nothing here runs in it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import textwrap
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from serving import free_port
from serving import granian_wsgi_command
from serving import start_server
from serving import stop_group
from serving import wait_for_port

VARIABLE = "FLASKRS_AS_FLASK"
BIN = Path(sys.executable).parent
SITE_PACKAGES = Path(sysconfig.get_paths()["platlib"])
HOOK = SITE_PACKAGES / "_flaskrs_as_flask.pth"

# The app under test, unchanged between the runs: only the environment
# differs. ``framework`` is the module that defines the Flask class it got.
APP = """
import os
import sys

import flask

app = flask.Flask(__name__)


@app.route("/")
def index():
    return flask.jsonify(
        framework=flask.Flask.__module__,
        flask_module=sys.modules["flask"].__name__,
        pid=os.getpid(),
    )


@app.cli.command("which")
def which():
    print("framework:", flask.Flask.__module__)
"""

ON = {"value": "1", "framework": "flaskrs.app"}
OFF = {"value": None, "framework": "flask.app"}
RUNS = pytest.mark.parametrize("case", [ON, OFF], ids=["on", "off"])


def env(value: str | None, **extra: str) -> dict[str, str]:
    """This environment, with the variable set to ``value`` (None: unset),
    and nothing else that could choose an app or a path behind the test's
    back."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in (VARIABLE, "PYTHONPATH") and not k.startswith("FLASK_")
    }
    if value is not None:
        clean[VARIABLE] = value
    clean.update(extra)
    return clean


def write(directory: Path, name: str, source: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))
    return path


def run(
    cmd: list[str], cwd: Path, value: str | None, **extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd,
        cwd=cwd,
        env=env(value, **extra),
        capture_output=True,
        text=True,
        timeout=120,
    )


def python(
    cwd: Path, value: str | None, *args: str, **extra: str
) -> subprocess.CompletedProcess[str]:
    done = run([sys.executable, *args], cwd, value, **extra)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.fixture(scope="module", autouse=True)
def _hook_installed() -> None:
    if not HOOK.is_file():
        pytest.fail(
            f"{HOOK} is missing: the start-up hook is installed by"
            " `make build` (maturin develop), or by installing the wheel"
        )


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    write(tmp_path, "app.py", APP)
    return tmp_path


def get_json(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200
        answer: dict[str, Any] = json.loads(response.read())
        return answer


# -- The hook itself ----------------------------------------------------------


def test_the_pth_file_is_one_import_line() -> None:
    lines = [
        line
        for line in HOOK.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    # site executes a line only if it starts with "import"; anything else
    # would be taken for a directory to add to sys.path.
    assert len(lines) == 1, lines
    assert lines[0].startswith("import ")
    assert f'os.environ.get("{VARIABLE}")' in lines[0]
    assert (SITE_PACKAGES / "_flaskrs_as_flask.py").is_file()


SHOW_START = """
import json
import sys

modules = sorted(sys.modules)
print(json.dumps([modules, [type(f).__name__ for f in sys.meta_path]]))
"""


def test_unset_loads_nothing_and_on_loads_only_the_hook(tmp_path: Path) -> None:
    unset_modules, unset_finders = json.loads(
        python(tmp_path, None, "-c", SHOW_START).stdout
    )
    empty = json.loads(python(tmp_path, "", "-c", SHOW_START).stdout)
    on_modules, on_finders = json.loads(python(tmp_path, "1", "-c", SHOW_START).stdout)
    assert "_flaskrs_as_flask" not in unset_modules
    assert empty == [unset_modules, unset_finders]
    # On, the hook is the one module more at start-up: flaskrs (and with it
    # Werkzeug and Jinja) waits for the first import of flask.
    assert set(on_modules) - set(unset_modules) == {"_flaskrs_as_flask"}
    assert "_SwitchFinder" not in unset_finders
    assert "_SwitchFinder" in on_finders


@pytest.mark.parametrize(
    ("value", "module", "warns"),
    [
        ("1", "flaskrs", False),
        ("true", "flaskrs", False),
        (" Yes ", "flaskrs", False),
        ("ON", "flaskrs", False),
        (None, "flask", False),
        ("", "flask", False),
        ("0", "flask", False),
        ("false", "flask", False),
        ("off", "flask", False),
        ("2", "flask", True),
        ("flaskrs", "flask", True),
    ],
)
def test_values(tmp_path: Path, value: str | None, module: str, warns: bool) -> None:
    done = python(tmp_path, value, "-c", "import flask; print(flask.__name__)")
    assert done.stdout.strip() == module
    if warns:
        # One line, once, even where site runs the .pth file twice.
        (line,) = done.stderr.splitlines()
        assert line == (
            f"flaskrs: {VARIABLE}={value!r} is not one of 1/true/yes/on or"
            " 0/false/no/off; 'import flask' loads the real Flask"
        )
    else:
        assert done.stderr == ""


def test_the_first_flask_import_hands_over_to_the_alias(tmp_path: Path) -> None:
    code = """
        import importlib.metadata
        import sys

        def finders():
            return [type(f).__name__ for f in sys.meta_path]

        assert "_SwitchFinder" in finders(), finders()
        assert "flaskrs" not in sys.modules
        from flask.sessions import SecureCookieSessionInterface
        import flask
        import flaskrs
        import flaskrs.alias

        assert flask is flaskrs
        assert sys.modules["flask.sessions"] is flaskrs.sessions
        assert SecureCookieSessionInterface.__module__ == "flaskrs.sessions"
        assert flaskrs.alias.is_enabled()
        # The switch stepped aside for the alias's own finder.
        assert "_SwitchFinder" not in finders(), finders()
        assert finders().count("_AliasFinder") == 1, finders()
        # The installed distributions are left alone.
        print(importlib.metadata.version("flask"))
    """
    done = python(tmp_path, "1", "-c", textwrap.dedent(code))
    assert done.stdout.strip() == "3.1.3"
    assert done.stderr == ""


def test_the_line_and_the_switch_together(tmp_path: Path) -> None:
    code = """
        import sys

        import flaskrs.alias
        import flask
        import flaskrs

        assert flask is flaskrs
        names = [type(f).__name__ for f in sys.meta_path]
        assert "_SwitchFinder" not in names and names.count("_AliasFinder") == 1
    """
    python(tmp_path, "1", "-c", textwrap.dedent(code))
    python(tmp_path, "1", "-m", "flaskrs.alias", "-c", textwrap.dedent(code))


def test_a_sitecustomize_that_imports_flask_gets_flaskrs(tmp_path: Path) -> None:
    # site runs sitecustomize after the .pth files, so the switch is there.
    custom = tmp_path / "custom"
    write(custom, "sitecustomize.py", "import flask\nEARLY = flask.__name__\n")
    code = "import sitecustomize, flask; print(sitecustomize.EARLY, flask.__name__)"
    on = python(tmp_path, "1", "-c", code, PYTHONPATH=str(custom))
    assert on.stdout.split() == ["flaskrs", "flaskrs"]
    off = python(tmp_path, None, "-c", code, PYTHONPATH=str(custom))
    assert off.stdout.split() == ["flask", "flask"]


def test_real_flask_imported_by_an_earlier_pth_file(tmp_path: Path) -> None:
    """The one way to import flask before the hook: a .pth file that site
    reads first. Said on stderr; the process goes on on the real Flask."""
    site_dir = tmp_path / "site"
    # A path line (site-packages, where flask is) and an import line; named
    # to sort before the hook, which is copied in unchanged.
    write(site_dir, "00_early.pth", f"{SITE_PACKAGES}\nimport flask\n")
    (site_dir / HOOK.name).write_text(HOOK.read_text())
    code = """
        import site
        import sys

        site.addsitedir(sys.argv[1])
        import flask

        print(flask.__name__, flask.Flask.__module__)
        print([type(f).__name__ for f in sys.meta_path])
    """
    # -S: no site-packages at start-up, so that the copy in site_dir is the
    # only hook that runs.
    done = python(tmp_path, "1", "-S", "-c", textwrap.dedent(code), str(site_dir))
    framework, finders = done.stdout.splitlines()
    assert framework == "flask flask.app"
    assert "_SwitchFinder" not in finders
    (line,) = done.stderr.splitlines()
    assert line.startswith(
        f"flaskrs: {VARIABLE} is set, but the real Flask was imported before"
        " flaskrs's start-up hook ran (flask from "
    )
    assert line.endswith("; this process runs on the real Flask")


def test_a_failing_hook_is_reported_not_raised(tmp_path: Path) -> None:
    code = """
        import os
        import sys

        import _flaskrs_as_flask as hook

        def broken(value):
            raise OSError("simulated")

        hook.setting = broken
        os.environ["FLASKRS_AS_FLASK"] = "1"
        hook.install()
        print(hook.is_installed())
    """
    done = python(tmp_path, None, "-c", textwrap.dedent(code))
    assert done.stdout.strip() == "False"
    assert done.stderr == (
        f"flaskrs: {VARIABLE}: the start-up hook failed (OSError('simulated'));"
        " flask is not aliased\n"
    )


def test_a_broken_flaskrs_fails_the_flask_import_not_startup(tmp_path: Path) -> None:
    """The error belongs to the program that imports flask, and it is never
    quietly replaced by the real Flask; other programs start as usual."""
    broken = tmp_path / "broken"
    write(broken, "flaskrs/__init__.py", "raise ImportError('flaskrs is broken')\n")
    python(tmp_path, "1", "-c", "print('ok')", PYTHONPATH=str(broken))
    code = """
        try:
            import flask
        except ImportError as e:
            print("ImportError:", e)
        else:
            print("imported", flask.__name__)
        try:
            import flask
        except ImportError as e:
            print("ImportError:", e)
    """
    done = python(tmp_path, "1", "-c", textwrap.dedent(code), PYTHONPATH=str(broken))
    assert done.stdout.splitlines() == ["ImportError: flaskrs is broken"] * 2
    assert done.stderr == ""


# -- Programs started the usual way ---------------------------------------------


APP_TESTS = """
import flask

from app import app


def test_index(early):
    response = app.test_client().get("/")
    assert response.status_code == 200
    assert response.json["framework"] == flask.Flask.__module__
    print("ran on:", response.json["framework"], "early:", early)
"""

# A plugin that pytest loads before it collects anything, importing flask at
# its top as pytest plugins for Flask do.
APP_CONFTEST = """
import flask
import pytest

EARLY = flask.Flask.__module__


@pytest.fixture
def early():
    return EARLY
"""


@RUNS
def test_pytest_runs_the_apps_own_tests(app_dir: Path, case: dict[str, Any]) -> None:
    write(app_dir, "test_app.py", APP_TESTS)
    write(app_dir, "conftest.py", APP_CONFTEST)
    cmd = [str(BIN / "pytest"), "-q", "-s", "-p", "no:cacheprovider", "test_app.py"]
    done = run(cmd, app_dir, case["value"])
    assert done.returncode == 0, done.stdout + done.stderr
    framework = case["framework"]
    assert f"ran on: {framework} early: {framework}" in done.stdout
    assert "1 passed" in done.stdout


def serve(
    cmd: list[str], app_dir: Path, value: str | None, port: int
) -> tuple[dict[str, Any], int, str]:
    """Start a server, ask it once, stop it: the answer, the server's own
    pid, and what it printed."""
    server = start_server(cmd, env=env(value), cwd=app_dir)
    try:
        wait_for_port(port, server, timeout=30)
        answer = get_json(f"http://127.0.0.1:{port}/")
    finally:
        output = stop_group(server, timeout=30)
    assert "Traceback" not in output, output
    return answer, server.pid, output


@RUNS
def test_gunicorn_serves_the_app(app_dir: Path, case: dict[str, Any]) -> None:
    port = free_port()
    cmd = [
        str(BIN / "gunicorn"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "app:app",
    ]
    answer, pid, output = serve(cmd, app_dir, case["value"], port)
    assert answer["framework"] == case["framework"]
    assert answer["flask_module"] == case["framework"].partition(".")[0]
    # A worker answered, not the arbiter.
    assert answer["pid"] != pid
    assert "Booting worker" in output


@RUNS
def test_granian_serves_the_app(app_dir: Path, case: dict[str, Any]) -> None:
    port = free_port()
    cmd = granian_wsgi_command([str(BIN / "granian")], port, "app:app")
    answer, pid, output = serve(cmd, app_dir, case["value"], port)
    assert answer["framework"] == case["framework"]
    # A worker process answered, not the main one.
    assert answer["pid"] != pid
    assert "Spawning worker" in output


@RUNS
def test_the_flask_command(app_dir: Path, case: dict[str, Any]) -> None:
    # The real Flask's console script, ``from flask.cli import main``.
    script = BIN / "flask"
    assert "from flask.cli import main" in script.read_text()
    which = run([str(script), "--app", "app", "which"], app_dir, case["value"])
    assert which.returncode == 0, which.stdout + which.stderr
    assert which.stdout == f"framework: {case['framework']}\n"

    routes = run([str(script), "--app", "app", "routes"], app_dir, case["value"])
    assert routes.returncode == 0, routes.stdout + routes.stderr
    assert "index" in routes.stdout and " /" in routes.stdout

    version = run([str(script), "--version"], app_dir, case["value"])
    assert ("(flaskrs " in version.stdout) == (case is ON), version.stdout

    module = run(
        [sys.executable, "-m", "flask", "--app", "app", "which"], app_dir, case["value"]
    )
    assert module.stdout == f"framework: {case['framework']}\n", module.stderr


CHILD = """
import os
import subprocess
import sys

import flask

print("child", flask.__name__, flush=True)
code = "import flask; print('grandchild', flask.__name__)"
subprocess.run([sys.executable, "-c", code], check=True)
# A child can switch it off for its own children.
env = dict(os.environ, FLASKRS_AS_FLASK="0")
subprocess.run([sys.executable, "-c", code], check=True, env=env)
"""

PARENT = """
import subprocess
import sys

subprocess.run([sys.executable, "child.py"], check=True)
"""


@RUNS
def test_a_grandchild_is_aliased(tmp_path: Path, case: dict[str, Any]) -> None:
    write(tmp_path, "child.py", CHILD)
    write(tmp_path, "parent.py", PARENT)
    done = python(tmp_path, case["value"], "parent.py")
    module = case["framework"].partition(".")[0]
    assert done.stdout.splitlines() == [
        f"child {module}",
        f"grandchild {module}",
        "grandchild flask",
    ]
