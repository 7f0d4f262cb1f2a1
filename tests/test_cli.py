"""The command line: finding the app, the groups, options and the built-in
commands, on flaskrs and on Flask (whose output is the reference)."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import types
import typing as t
import urllib.request
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from flaskrs._shadowing import shadowed_rules
from serving import free_port
from serving import wait_for_port


@pytest.fixture
def cli(fw: types.ModuleType) -> types.ModuleType:
    """The framework's ``cli`` module."""
    return importlib.import_module(f"{fw.__name__}.cli")


def unset(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    """Remove variables for the test, and again after it even if the code
    under test sets them (``delenv`` alone restores nothing for a variable
    that was absent)."""
    for name in names:
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # The group writes FLASK_DEBUG and FLASK_RUN_FROM_CLI into os.environ.
    names = ("FLASK_APP", "FLASK_DEBUG", "FLASK_RUN_FROM_CLI", "FLASK_SKIP_DOTENV")
    unset(monkeypatch, *names)


def module(name: str, **attrs: object) -> types.ModuleType:
    mod = types.ModuleType(name)
    vars(mod).update(attrs)
    return mod


def message(excinfo: pytest.ExceptionInfo) -> str:
    return excinfo.value.format_message()


# -- Finding the app ----------------------------------------------------------


def test_find_best_app_prefers_app_then_application(fw, cli) -> None:  # noqa: ANN001
    a, b = fw.Flask("a"), fw.Flask("b")
    assert cli.find_best_app(module("m", app=a, other=b)) is a
    assert cli.find_best_app(module("m", application=b, other=a)) is b
    assert cli.find_best_app(module("m", whatever=a, number=1)) is a


def test_find_best_app_errors(fw, cli) -> None:  # noqa: ANN001
    with pytest.raises(cli.NoAppException) as e:
        cli.find_best_app(module("m", x=fw.Flask("x"), y=fw.Flask("y")))
    assert message(e) == (
        "Detected multiple Flask applications in module 'm'."
        " Use 'm:name' to specify the correct one."
    )

    with pytest.raises(cli.NoAppException) as e:
        cli.find_best_app(module("m", x=1))
    assert message(e) == (
        "Failed to find Flask application or factory in module 'm'."
        " Use 'm:name' to specify one."
    )


def test_find_best_app_factories(fw, cli) -> None:  # noqa: ANN001
    def create_app():  # noqa: ANN202
        return 5  # not an app: make_app is tried next

    def make_app():  # noqa: ANN202
        return fw.Flask("made")

    assert cli.find_best_app(module("m", create_app=create_app, make_app=make_app))

    def needs_args(config):  # noqa: ANN001, ANN202
        return fw.Flask("x")

    with pytest.raises(cli.NoAppException) as e:
        cli.find_best_app(module("m", create_app=needs_args))
    assert message(e) == (
        "Detected factory 'create_app' in module 'm', but could not call it"
        " without arguments. Use 'm:create_app(args)' to specify arguments."
    )

    def broken():  # noqa: ANN202
        raise TypeError("from inside")

    # A TypeError from inside the factory is the factory's own bug.
    with pytest.raises(TypeError, match="from inside"):
        cli.find_best_app(module("m", create_app=broken))


def test_find_app_by_string(fw, cli) -> None:  # noqa: ANN001
    app = fw.Flask("x")

    def factory(name, debug=False):  # noqa: ANN001, ANN202
        made = fw.Flask(name)
        made.debug = debug
        return made

    mod = module("m", app=app, factory=factory, number=3)
    assert cli.find_app_by_string(mod, "app") is app
    made = cli.find_app_by_string(mod, " factory('n', debug=True) ")
    assert (made.name, made.debug) == ("n", True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a.b", "Failed to parse 'a.b' as an attribute name or function call."),
        ("f(", "Failed to parse 'f(' as an attribute name or function call."),
        ("1", "Failed to parse '1' as an attribute name or function call."),
        ("f()()", "Function reference must be a simple name: 'f()()'."),
        ("factory(x)", "Failed to parse arguments as literal values: 'factory(x)'."),
        (
            "factory(*[1])",
            "Failed to parse arguments as literal values: 'factory(*[1])'.",
        ),
        ("nope", "Failed to find attribute 'nope' in 'm'."),
        ("number", "A valid Flask application was not obtained from 'm:number'."),
        (
            "factory()",
            "The factory 'factory()' in module 'm' could not be called with the"
            " specified arguments.",
        ),
        (
            "factory(1, 2, 3)",
            "The factory 'factory(1, 2, 3)' in module 'm' could not be called with"
            " the specified arguments.",
        ),
    ],
)
def test_find_app_by_string_errors(fw, cli, text, expected) -> None:  # noqa: ANN001
    def factory(name, debug=False):  # noqa: ANN001, ANN202
        return fw.Flask(name)

    with pytest.raises(cli.NoAppException) as e:
        cli.find_app_by_string(module("m", factory=factory, number=3), text)
    assert message(e) == expected


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fw) -> Path:  # noqa: ANN001
    """A folder with a package ``pkg.sub`` holding app modules; sys.path
    and sys.modules are restored afterwards."""
    sub = tmp_path / "pkg" / "sub"
    sub.mkdir(parents=True)
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (sub / "__init__.py").write_text("")
    (sub / "mod.py").write_text(
        f"from {fw.__name__} import Flask\napp = Flask('sub')\n"
    )
    (sub / "badimport.py").write_text("import does_not_exist_anywhere\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [str(tmp_path), *sys.path])
    before = set(sys.modules)
    yield tmp_path
    for name in set(sys.modules) - before:
        if name.startswith("pkg"):
            del sys.modules[name]


def test_prepare_import(cli, project: Path) -> None:  # noqa: ANN001
    assert cli.prepare_import("pkg/sub/mod.py") == "pkg.sub.mod"
    assert sys.path[0] == str(project)
    assert cli.prepare_import("pkg/sub/__init__.py") == "pkg.sub"
    assert cli.prepare_import("pkg/sub") == "pkg.sub"
    assert cli.prepare_import("plain") == "plain"
    assert sys.path.count(str(project)) == 1


def test_locate_app(cli, project: Path) -> None:  # noqa: ANN001
    assert cli.locate_app("pkg.sub.mod", None).name == "sub"
    assert cli.locate_app("pkg.sub.mod", "app").name == "sub"
    assert cli.locate_app("no_such_module_x", None, raise_if_not_found=False) is None

    with pytest.raises(cli.NoAppException) as e:
        cli.locate_app("no_such_module_x", None)
    assert message(e) == "Could not import 'no_such_module_x'."

    # An ImportError from inside the module is shown with its traceback even
    # when a missing module would be ignored.
    with pytest.raises(cli.NoAppException) as e:
        cli.locate_app("pkg.sub.badimport", None, raise_if_not_found=False)
    text = message(e)
    assert text.startswith("While importing 'pkg.sub.badimport', an ImportError was")
    assert "does_not_exist_anywhere" in text


def test_script_info_import_path(fw, cli, project: Path, monkeypatch) -> None:  # noqa: ANN001
    info = cli.ScriptInfo(app_import_path="pkg/sub/mod.py:app")
    assert vars(info)["data"] == {}
    app = info.load_app()
    assert app.name == "sub"
    assert info.load_app() is app  # loaded once

    fresh = fw.Flask("fresh")
    monkeypatch.setenv("FLASK_DEBUG", "1")
    assert cli.ScriptInfo(app_import_path="pkg.sub.mod").load_app().debug is True
    info = cli.ScriptInfo(create_app=lambda: fresh, set_debug_flag=False)
    assert info.load_app().debug is False


def test_script_info_default_files(fw, cli, project: Path) -> None:  # noqa: ANN001
    with pytest.raises(cli.NoAppException) as e:
        cli.ScriptInfo().load_app()
    assert message(e) == (
        "Could not locate a Flask application. Use the 'flask --app' option,"
        " 'FLASK_APP' environment variable, or a 'wsgi.py' or 'app.py' file in"
        " the current directory."
    )


def test_script_info_create_app(fw, cli) -> None:  # noqa: ANN001
    app = fw.Flask("made")
    info = cli.ScriptInfo(create_app=lambda: app)
    assert info.load_app() is app
    assert cli.ScriptInfo(load_dotenv_defaults=False).load_dotenv_defaults is False


# -- Groups and the app context -----------------------------------------------------


def test_with_appcontext(fw, cli) -> None:  # noqa: ANN001
    app = fw.Flask("ctx_app")

    @click.command()
    @cli.with_appcontext
    def show() -> None:
        click.echo(fw.current_app.name)

    result = CliRunner().invoke(show, obj=cli.ScriptInfo(create_app=lambda: app))
    assert result.output == "ctx_app\n"


def test_app_group_wraps_commands(fw, cli) -> None:  # noqa: ANN001
    app = fw.Flask("grp_app")
    group = cli.AppGroup()

    @group.command()
    def inside() -> None:
        click.echo(fw.current_app.name)

    @group.command(with_appcontext=False)
    def outside() -> None:
        click.echo(str(bool(fw.current_app)))

    @group.group()
    def sub() -> None:
        pass

    @sub.command()
    def deep() -> None:
        click.echo(fw.current_app.name)

    assert isinstance(sub, cli.AppGroup)
    obj = cli.ScriptInfo(create_app=lambda: app)
    runner = CliRunner()
    assert runner.invoke(group, ["inside"], obj=obj).output == "grp_app\n"
    assert runner.invoke(group, ["outside"], obj=obj).output == "False\n"
    assert runner.invoke(group, ["sub", "deep"], obj=obj).output == "grp_app\n"


def routes_app(fw):  # noqa: ANN001, ANN201
    app = fw.Flask("routes_app")
    app.config["SERVER_NAME"] = "example.com"

    @app.route("/", methods=["GET", "POST"])
    def index() -> str:
        return ""

    @app.route("/zz/<int:x>", subdomain="api", methods=["PUT"])
    def zz(x: int) -> str:
        return ""

    @app.post("/a")
    def aaa() -> str:
        return ""

    return app


def flask_group(fw, cli, app, **kwargs):  # noqa: ANN001, ANN003, ANN201
    return cli.FlaskGroup(create_app=lambda: app, **kwargs)


def test_flask_group_runs_app_commands(fw, cli) -> None:  # noqa: ANN001
    app = fw.Flask("group_app")

    @app.cli.command("hello")
    @click.option("--name", default="you")
    def hello(name: str) -> None:
        click.echo(f"hello {name} from {fw.current_app.name}")

    group = flask_group(fw, cli, app)
    result = CliRunner().invoke(group, ["hello", "--name", "x"])
    assert result.output == "hello x from group_app\n"

    listing = CliRunner().invoke(group, ["--help"]).output
    for name in ("hello", "routes", "run", "shell"):
        assert f"  {name}" in listing


def test_flask_group_without_defaults(fw, cli) -> None:  # noqa: ANN001
    group = cli.FlaskGroup(add_default_commands=False, add_version_option=False)
    assert group.commands == {}
    assert "--version" not in [opt for p in group.params for opt in p.opts]


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["-s", "methods", "--all-methods"],
        ["-s", "match"],
        ["-s", "domain"],
        ["--sort", "rule"],
    ],
)
def test_routes_output(args: list[str]) -> None:
    """flaskrs prints exactly what Flask prints."""
    outputs = []

    for name in ("flaskrs", "flask"):
        fw = importlib.import_module(name)
        cli = importlib.import_module(f"{name}.cli")
        group = flask_group(fw, cli, routes_app(fw))
        result = CliRunner().invoke(group, ["routes", *args])
        assert result.exit_code == 0
        outputs.append(result.output)

    assert outputs[0] == outputs[1]
    assert "Subdomain" in outputs[0]


def test_routes_without_domains_and_empty(fw, cli) -> None:  # noqa: ANN001
    app = fw.Flask("r", static_folder=None)
    group = flask_group(fw, cli, app)
    assert (
        CliRunner().invoke(group, ["routes"]).output == "No routes were registered.\n"
    )

    app.add_url_rule("/x", "x", lambda: "")
    assert CliRunner().invoke(group, ["routes"]).output == (
        "Endpoint  Methods  Rule\n--------  -------  ----\nx         GET      /x  \n"
    )


def test_routes_host_matching(fw, cli) -> None:  # noqa: ANN001
    app = fw.Flask("h", host_matching=True, static_host="static.h")
    app.add_url_rule("/x", "x", lambda: "", host="h.com")
    output = CliRunner().invoke(flask_group(fw, cli, app), ["routes"]).output
    assert output.splitlines()[0].split() == ["Endpoint", "Methods", "Host", "Rule"]


def test_version(fw, cli) -> None:  # noqa: ANN001
    import platform

    result = CliRunner().invoke(cli.FlaskGroup(), ["--version"])
    assert result.exit_code == 0
    assert f"Python {platform.python_version()}\nFlask 3.1.3" in result.output
    assert "\nWerkzeug " in result.output


def test_app_option_and_errors(fw, cli, project: Path) -> None:  # noqa: ANN001
    runner = CliRunner()
    result = runner.invoke(cli.cli, ["--app", "pkg.sub.mod", "routes"])
    assert result.exit_code == 0
    assert "static" in result.output

    result = runner.invoke(cli.cli, ["--app", "no_such_module_y", "routes"])
    assert result.exit_code == 2
    assert "Error: Could not import 'no_such_module_y'." in result.output

    # An unknown command with a broken app: the loading error, then Click's.
    result = runner.invoke(cli.cli, ["--app", "no_such_module_y", "nope"])
    assert "Error: Could not import 'no_such_module_y'." in result.output
    assert "No such command 'nope'" in result.output


def test_app_from_environment(fw, cli, project: Path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("FLASK_APP", "pkg.sub.mod:app")
    result = CliRunner().invoke(cli.cli, ["routes"])
    assert result.exit_code == 0, result.output


def test_debug_option_sets_environment(fw, cli) -> None:  # noqa: ANN001
    app = fw.Flask("d")

    @app.cli.command("show")
    def show() -> None:
        click.echo(f"{os.environ.get('FLASK_DEBUG')} {fw.current_app.debug}")

    group = flask_group(fw, cli, app)
    assert CliRunner().invoke(group, ["--debug", "show"]).output == "1 True\n"
    assert CliRunner().invoke(group, ["--no-debug", "show"]).output == "0 False\n"
    assert os.environ["FLASK_RUN_FROM_CLI"] == "true"


def test_help_lists_app_commands_from_env_app(fw, cli, project, monkeypatch) -> None:  # noqa: ANN001
    (project / "withcmd.py").write_text(
        f"import click\nfrom {fw.__name__} import Flask\napp = Flask('w')\n"
        "@app.cli.command('special')\ndef special():\n    click.echo('s')\n"
    )
    monkeypatch.setenv("FLASK_APP", "withcmd")
    result = CliRunner().invoke(cli.cli, ["--help"])
    assert "  special" in result.output
    del sys.modules["withcmd"]


# -- Environment files -------------------------------------------------------------


def test_load_dotenv_precedence(cli, tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    (tmp_path / ".flaskenv").write_text("A=flaskenv\nB=flaskenv\n")
    (tmp_path / ".env").write_text("B=env\nC=env\n")
    (tmp_path / "custom.env").write_text("C=custom\nD=custom\n")
    sub = tmp_path / "sub"
    sub.mkdir()
    monkeypatch.chdir(sub)  # the files are found in parent folders

    unset(monkeypatch, *"ABCD")
    monkeypatch.setenv("A", "preset")
    assert cli.load_dotenv(tmp_path / "custom.env") is True
    values = {name: os.environ.get(name) for name in "ABCD"}
    assert values == {"A": "preset", "B": "env", "C": "custom", "D": "custom"}
    assert Path.cwd() == sub  # the working directory is not changed

    for name in "BCD":
        monkeypatch.delenv(name)

    assert cli.load_dotenv(tmp_path / "custom.env", load_defaults=False) is True
    assert os.environ.get("B") is None
    assert cli.load_dotenv("missing.env", load_defaults=False) is False


def test_env_file_option(fw, cli, tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.chdir(tmp_path)
    unset(monkeypatch, "FROM_FILE")
    (tmp_path / "vars.env").write_text("FROM_FILE=yes\n")
    app = fw.Flask("e")

    @app.cli.command("show")
    def show() -> None:
        click.echo(os.environ.get("FROM_FILE"))

    group = flask_group(fw, cli, app)
    result = CliRunner().invoke(group, ["-e", "vars.env", "show"])
    assert result.output == "yes\n"


# -- run ------------------------------------------------------------------------------


@pytest.fixture
def served(cli, monkeypatch) -> list:  # noqa: ANN001
    calls: list = []
    monkeypatch.setattr(cli, "run_simple", lambda *a, **k: calls.append((a, k)))
    return calls


def test_run_defaults_and_options(fw, cli, served) -> None:  # noqa: ANN001
    app = fw.Flask("served")
    group = flask_group(fw, cli, app)
    result = CliRunner().invoke(group, ["run"])
    assert result.output == " * Debug mode: off\n"
    (host, port, served_app), options = served.pop()
    assert (host, port, served_app) == ("127.0.0.1", 5000, app)
    assert options == {
        "use_reloader": False,
        "use_debugger": False,
        "threaded": True,
        "ssl_context": None,
        "extra_files": None,
        "exclude_patterns": None,
    }

    args = ["--debug", "run", "-h", "0.0.0.0", "-p", "80", "--no-reload"]
    args += ["--extra-files", f"a{os.pathsep}b", "--exclude-patterns", "*.x"]
    result = CliRunner().invoke(group, args)
    assert result.output == " * Debug mode: on\n"
    (host, port, _), options = served.pop()
    assert (host, port) == ("0.0.0.0", 80)
    assert options["use_reloader"] is False
    assert options["use_debugger"] is True
    assert options["extra_files"] == ["a", "b"]
    assert options["exclude_patterns"] == ["*.x"]


def test_run_banner_names_import_path(fw, cli, served, project: Path) -> None:  # noqa: ANN001
    result = CliRunner().invoke(cli.cli, ["--app", "pkg.sub.mod", "run"])
    assert result.output == " * Serving Flask app 'pkg.sub.mod'\n * Debug mode: off\n"


def test_run_cert_and_key(fw, cli, served, tmp_path: Path) -> None:  # noqa: ANN001
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.write_text("")
    key.write_text("")
    group = flask_group(fw, cli, fw.Flask("tls"))
    runner = CliRunner()

    result = runner.invoke(group, ["run", "--cert", str(cert), "--key", str(key)])
    assert result.exit_code == 0, result.output
    assert served.pop()[1]["ssl_context"] == (str(cert), str(key))

    result = runner.invoke(group, ["run", "--cert", str(cert)])
    assert "Invalid value for '--key': Required when using \"--cert\"." in result.output
    result = runner.invoke(group, ["run", "--key", str(key)])
    assert '"--cert" must also be specified.' in result.output
    result = runner.invoke(group, ["run", "--cert", "no_such_cert_file"])
    assert "File 'no_such_cert_file' does not exist." in result.output

    result = runner.invoke(group, ["run", "--cert", "ssl.create_default_context"])
    assert result.exit_code == 2  # a function, not an SSLContext


def test_cert_param_type_accepts_ssl_context(cli, monkeypatch) -> None:  # noqa: ANN001
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    holder = module("cert_holder_mod", context=context)
    monkeypatch.setitem(sys.modules, "cert_holder_mod", holder)
    converted = cli.CertParamType().convert("cert_holder_mod.context", None, None)
    assert converted is context


def test_separated_path_type(cli, tmp_path: Path) -> None:  # noqa: ANN001
    value = f"{tmp_path}{os.pathsep}{tmp_path / 'x'}"
    converted = cli.SeparatedPathType().convert(value, None, None)
    assert converted == [str(tmp_path), str(tmp_path / "x")]

    with pytest.raises(click.BadParameter):
        cli.SeparatedPathType(exists=True).convert(str(tmp_path / "x"), None, None)


def test_show_server_banner(cli, capsys) -> None:  # noqa: ANN001
    cli.show_server_banner(True, "thing")
    cli.show_server_banner(None, None)
    assert (
        capsys.readouterr().out == " * Serving Flask app 'thing'\n * Debug mode: on\n"
    )


def test_shell_context(fw, cli, monkeypatch) -> None:  # noqa: ANN001
    import code

    app = fw.Flask("sh")
    seen: dict = {}
    monkeypatch.setattr(code, "interact", lambda banner, local: seen.update(local))
    monkeypatch.delenv("PYTHONSTARTUP", raising=False)
    result = CliRunner().invoke(flask_group(fw, cli, app), ["shell"])
    assert result.exit_code == 0, result.output
    assert seen["app"] is app
    assert "g" in seen


def test_plugin_commands_from_entry_points(fw, cli, monkeypatch) -> None:  # noqa: ANN001
    import importlib.metadata

    @click.command()
    def plugged() -> None:
        click.echo("from a plugin")

    class EntryPoint:
        name = "plug"

        def load(self):  # noqa: ANN202
            return plugged

    def entry_points(**kwargs):  # noqa: ANN003, ANN202
        assert kwargs == {"group": "flask.commands"}
        return [EntryPoint()]

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)
    group = cli.FlaskGroup(create_app=lambda: fw.Flask("p"))
    assert CliRunner().invoke(group, ["plug"]).output == "from a plugin\n"
    assert "  plug" in CliRunner().invoke(group, ["--help"]).output


# -- The console scripts, run as programs ---------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
# Beside the interpreter running the tests: the virtualenv's scripts.
BIN = Path(sys.executable).parent


def script_env() -> dict[str, str]:
    """The environment without the FLASK_ variables the commands read."""
    return {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}


def test_serve_command_serves_the_demo(tmp_path: Path) -> None:
    """What `make serve` runs, from the repository root."""
    port = free_port()
    log_path = tmp_path / "server.log"

    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [BIN / "flaskrs", "--app", "demo/app.py", "run", "--port", str(port)],
            cwd=ROOT,
            env=script_env(),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

        try:
            wait_for_port(port, process, timeout=20)
            url = f"http://127.0.0.1:{port}/"

            with urllib.request.urlopen(url, timeout=10) as response:
                status, body = response.status, response.read()
        finally:
            process.terminate()

            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    log_text = log_path.read_text(errors="replace")
    assert status == 200, log_text
    assert b"<h1>flaskrs</h1>" in body  # the demo's landing page
    assert "Serving Flask app 'demo/app.py'" in log_text


@pytest.fixture
def broken_apps(tmp_path: Path) -> Path:
    """Modules that fail to give an app, each in its own way. They import
    no framework, so both commands load them alike."""
    files = {
        "noapp.py": "value = 1\n",
        "factory.py": "def create_app(config, debug):\n    return None\n",
        "raising.py": "def create_app():\n    raise TypeError('broken inside')\n",
        "badimport.py": "import does_not_exist_anywhere_xyz\n",
    }

    for name, text in files.items():
        (tmp_path / name).write_text(text)

    return tmp_path


def key_lines(output: str) -> list[str]:
    """What a message is about: Click's "Error:" lines and the last line
    (the exception, when a traceback is printed)."""
    lines = [line for line in output.splitlines() if line.strip()]
    return [line for line in lines if line.startswith("Error:")] + lines[-1:]


@pytest.mark.parametrize("command", ["routes", "run"])
@pytest.mark.parametrize(
    "app",
    [
        "nope_no_such_module",  # a missing module
        "noapp",  # a module without an app
        "factory:create_app(1,",  # a call that does not parse
        "factory",  # a factory that needs arguments
        "factory:create_app(1)",  # a factory called with the wrong arguments
        "raising",  # a factory whose own body raises TypeError
        "badimport",  # the module imports something missing
    ],
)
def test_bad_app_errors_match_flask(broken_apps: Path, app: str, command: str) -> None:
    processes = [
        subprocess.Popen(
            [BIN / program, "--app", app, command],
            cwd=broken_apps,
            env=script_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for program in ("flaskrs", "flask")
    ]
    (ours, code), (flasks, flask_code) = [
        (process.communicate(timeout=60)[0], process.returncode)
        for process in processes
    ]

    assert code == flask_code != 0, ours
    assert ("Traceback" in ours) == ("Traceback" in flasks), ours

    for line in key_lines(flasks):
        assert line in ours

    if "Traceback" not in flasks:
        assert ours.replace("flaskrs", "flask") == flasks


# -- routes: shadowed rules (flaskrs only) ---------------------------------------------


def view(**values: object) -> str:
    return ""


def unshadowed_app(fw):  # noqa: ANN001, ANN201
    """Rules that overlap without any of them being unreachable."""
    app = fw.Flask("unshadowed")
    app.add_url_rule("/u/<name>", "user", view)
    app.add_url_rule("/u/<int:uid>", "user_by_id", view)  # int is tried first
    app.add_url_rule("/s/<int(max=9):n>", "small", view)
    app.add_url_rule("/s/<int:n>", "number", view)  # takes 10 and above
    app.add_url_rule("/c/<any(q, r):x>", "choice", view)
    app.add_url_rule("/c/<x>", "anything", view)
    # A later rule can still come first: the walk order is not rule order.
    app.add_url_rule("/t/<any(q, r):x>", "t_choice", view)
    app.add_url_rule("/t/<x>/c", "t_any_c", view)
    app.add_url_rule("/t/<any(q, r):x>/c", "t_choice_c", view)
    # A GET view and a POST view on one URL overlap in OPTIONS only.
    app.add_url_rule("/form", "form", view)
    app.add_url_rule("/form", "form_post", view, methods=["POST"])
    app.add_url_rule("/files/<path:p>", "files", view, subdomain="cdn")
    app.add_url_rule("/files/<path:p>", "more_files", view, subdomain="www")
    return app


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--all-methods"],
        ["-s", "match"],
        ["-s", "rule", "--all-methods"],
        ["-s", "methods"],
        ["-s", "domain"],
    ],
)
def test_routes_without_shadowing_is_flasks_table(args: list[str]) -> None:
    outputs = []

    for name in ("flaskrs", "flask"):
        fw = importlib.import_module(name)
        cli = importlib.import_module(f"{name}.cli")
        group = flask_group(fw, cli, unshadowed_app(fw))
        result = CliRunner().invoke(group, ["routes", *args])
        assert result.exit_code == 0, result.output
        outputs.append(result.output)

    assert outputs[0] == outputs[1]
    assert "Note" not in outputs[0]


def shadowed_app():  # noqa: ANN201
    import flaskrs

    app = flaskrs.Flask("shadowed", static_folder=None)
    app.add_url_rule("/users/<name>", "user", view)
    app.add_url_rule("/users/<int:uid>", "user_by_id", view)
    app.add_url_rule("/users/<any(me, admin):who>", "special_user", view)
    app.add_url_rule("/items/<int:n>", "item", view, methods=["GET", "POST"])
    app.add_url_rule("/items/<int(max=9):n>", "small_item", view)
    methods = ["GET", "POST", "DELETE"]
    app.add_url_rule("/items/<int:k>", "item_delete", view, methods=methods)
    app.add_url_rule("/x", "x_get", view)
    app.add_url_rule("/x", "x_post", view, methods=["POST"])
    app.add_url_rule("/x", "x_again", view)
    return app


# For each shadowed endpoint: the endpoint that answers instead, the methods
# it takes over, and URLs the shadowed rule would match.
SHADOWED = {
    "special_user": ("user", ["GET"], ["/users/me", "/users/admin"]),
    "small_item": ("item", ["GET"], ["/items/0", "/items/9"]),
    "item_delete": ("item", ["GET", "POST"], ["/items/0", "/items/123"]),
    "x_again": ("x_get", ["GET"], ["/x"]),
}


def test_routes_marks_shadowed_rules() -> None:
    import flaskrs.cli

    group = flask_group(flaskrs, flaskrs.cli, shadowed_app())
    result = CliRunner().invoke(group, ["routes"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Endpoint      Methods            Rule                         Note                      ",  # noqa: E501
        "------------  -----------------  ---------------------------  --------------------------",  # noqa: E501
        "item          GET, POST          /items/<int:n>                                         ",  # noqa: E501
        "item_delete   DELETE, GET, POST  /items/<int:k>               GET, POST shadowed by item",  # noqa: E501
        "small_item    GET                /items/<int(max=9):n>        shadowed by item          ",  # noqa: E501
        "special_user  GET                /users/<any(me, admin):who>  shadowed by user          ",  # noqa: E501
        "user          GET                /users/<name>                                          ",  # noqa: E501
        "user_by_id    GET                /users/<int:uid>                                       ",  # noqa: E501
        "x_again       GET                /x                           shadowed by x_get         ",  # noqa: E501
        "x_get         GET                /x                                                     ",  # noqa: E501
        "x_post        POST               /x                                                     ",  # noqa: E501
    ]

    everything = CliRunner().invoke(group, ["routes", "--all-methods", "-s", "match"])
    header, _, *lines = everything.output.splitlines()
    column = header.index("Note")
    notes = {line.split()[0]: line[column:].rstrip() for line in lines}
    assert notes["item_delete"] == "GET, HEAD, OPTIONS, POST shadowed by item"
    assert notes["x_again"] == "shadowed by x_get"
    assert notes["x_post"] == ""  # OPTIONS only: automatic, not reported


def shadow_claims(url_map) -> dict[str, tuple[str, list[str]]]:  # noqa: ANN001
    """The marks as {shadowed endpoint: (answering endpoint, methods)}."""

    claims = {}
    shadowed = shadowed_rules(url_map)

    for rule in url_map.iter_rules():
        by = shadowed.get(id(rule), {})
        shown = sorted(set(by) - {"HEAD", "OPTIONS"})

        if shown:
            claims[rule.endpoint] = (by[shown[0]].endpoint, shown)

    return claims


def test_shadow_marks_hold_in_the_matchers() -> None:
    from werkzeug.routing import Map as WerkzeugMap

    app = shadowed_app()
    expected = {name: claim[:2] for name, claim in SHADOWED.items()}
    reference = WerkzeugMap([rule.empty() for rule in app.url_map.iter_rules()])
    assert shadow_claims(app.url_map) == expected
    assert shadow_claims(reference) == expected

    for url_map in (app.url_map, reference):
        adapter = url_map.bind("localhost")

        for answerer, methods, urls in SHADOWED.values():
            for url in urls:
                for method in methods:
                    assert adapter.match(url, method=method)[0] == answerer

    # What is not taken over still reaches the rule.
    assert app.url_map.bind("localhost").match("/items/5", "DELETE")[0] == "item_delete"


def test_shadow_marks_are_sound_on_random_maps() -> None:
    """No marked rule ever answers, for any URL tried, in Werkzeug's
    matcher or ours; and some rules do get marked."""
    import itertools
    import random
    import re
    import uuid

    from werkzeug.routing import Map as WerkzeugMap
    from werkzeug.routing import Rule

    from flaskrs.routing import Map

    segments = [
        *("a", "<v>", "<int:v>", "<int(max=5):v>", "<int(min=3):v>"),
        *("<any(q, r):v>", "<any(a, q):v>", "<string(length=1):v>", "<path:v>"),
        *("<v>.json", "<uuid:v>", "<float:v>", "<v>-<w>", "<int:v><int:w>"),
    ]
    values = ["q", "r", "a", "1", "3", "7", "12", "ab", "1.5", "x.json", "q/r"]
    values += ["3-4", str(uuid.UUID(int=5))]
    rng = random.Random(6)
    marks = 0

    def urls(text: str) -> t.Iterator[str]:
        parts = re.split(r"(<[^>]*>)", text)
        slots = [i for i, part in enumerate(parts) if part.startswith("<")]

        for chosen in itertools.product(values, repeat=len(slots)):
            for i, value in zip(slots, chosen):
                parts[i] = value
            yield "".join(parts)

    for _ in range(150):
        texts = []

        for _ in range(rng.randint(3, 7)):
            picked = rng.choices(segments, k=rng.randint(1, 2))
            named = [
                s.replace("v>", f"v{i}>").replace("w>", f"w{i}>")
                for i, s in enumerate(picked)
            ]
            texts.append("/" + "/".join(named) + rng.choice(["", "", "/"]))

        methods = [
            rng.choice([["GET"], ["POST"], ["GET", "POST"], None]) for _ in texts
        ]

        for map_type in (WerkzeugMap, Map):
            url_map = map_type(
                [
                    Rule(x, endpoint=f"e{i}", methods=m)
                    for i, (x, m) in enumerate(zip(texts, methods))
                ]
            )
            adapter = url_map.bind("localhost")
            shadowed = shadowed_rules(url_map)

            for rule in url_map.iter_rules():
                for method in shadowed.get(id(rule), {}):
                    marks += 1

                    for url in urls(rule.rule):
                        try:
                            answer = adapter.match(url, method, return_rule=True)[0]
                        except Exception:
                            continue

                        assert answer is not rule, (texts, rule, method, url)

    assert marks > 20
