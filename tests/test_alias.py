"""The ``flask`` alias (``import flaskrs.alias``, ``python -m flaskrs.alias``).

This process imports the real Flask as the oracle of the other tests, and the
alias refuses to start once it has, so each test runs its program in a fresh
interpreter.
"""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SUBMODULES = [
    "app",
    "blueprints",
    "cli",
    "config",
    "ctx",
    "debughelpers",
    "globals",
    "helpers",
    "json",
    "json.provider",
    "json.tag",
    "logging",
    "sansio",
    "sansio.app",
    "sansio.blueprints",
    "sansio.scaffold",
    "sessions",
    "signals",
    "templating",
    "testing",
    "typing",
    "views",
    "wrappers",
]


def write(directory: Path, name: str, source: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))
    return path


def python(
    cwd: Path, *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


def run_script(tmp_path: Path, source: str, *args: str) -> str:
    script = write(tmp_path, "prog.py", source)
    return python(tmp_path, str(script), *args).stdout


def test_flask_names_are_the_flaskrs_modules(tmp_path: Path) -> None:
    out = run_script(
        tmp_path,
        f"""
        import flaskrs.alias

        import importlib
        import importlib.metadata
        import sys

        import flask
        import flask.json.provider
        import flask.sessions
        from flask import Flask, session

        import flaskrs
        import flaskrs.json.provider
        import flaskrs.sessions

        assert flask is flaskrs
        assert Flask is flaskrs.Flask and session is flaskrs.session
        assert flask.sessions is flaskrs.sessions
        assert sys.modules["flask.sessions"] is flaskrs.sessions
        assert flask.json.provider is flaskrs.json.provider
        assert sys.modules["flask.json.provider"] is flaskrs.json.provider
        assert flask.json.provider.DefaultJSONProvider.__module__ == (
            "flaskrs.json.provider"
        )

        # Each name is the flaskrs module, also when ``flask.X`` is where it
        # is first imported.
        first_time = []
        for name in {SUBMODULES!r}:
            if "flaskrs." + name not in sys.modules:
                first_time.append(name)
            module = importlib.import_module("flask." + name)
            assert module is sys.modules["flaskrs." + name], name
            assert sys.modules["flask." + name] is module, name
            assert module.__name__ == "flaskrs." + name, name
        assert first_time, "every submodule was loaded before the alias asked"

        from flask.cli import AppGroup
        from flask.globals import _cv_app
        from flask.sessions import SessionMixin
        from flask.views import MethodView

        assert AppGroup is flaskrs.cli.AppGroup
        assert _cv_app is flaskrs.globals._cv_app
        assert SessionMixin is flaskrs.sessions.SessionMixin
        assert MethodView is flaskrs.views.MethodView

        # A submodule flaskrs lacks fails; the real Flask is not loaded.
        try:
            import flask.no_such_module
        except ModuleNotFoundError as e:
            assert e.name == "flask.no_such_module", e.name
        else:
            raise AssertionError("flask.no_such_module imported")
        for name, module in list(sys.modules.items()):
            if name == "flask" or name.startswith("flask."):
                assert module.__name__.startswith("flaskrs"), (name, module)

        # The app still works, and names its modules as flaskrs.
        app = Flask(__name__)
        app.secret_key = "k"

        @app.route("/")
        def index():
            session["n"] = session.get("n", 0) + 1
            return flask.jsonify(n=session["n"])

        client = app.test_client()
        assert client.get("/").json == {{"n": 1}}
        assert client.get("/").json == {{"n": 2}}

        print(importlib.metadata.version("flask"))
        print(importlib.metadata.version("flaskrs"))
        print(flask.__file__)
        """,
    )
    flask_version, flaskrs_version, flask_file = out.split()
    assert flask_version == importlib.metadata.version("flask")
    assert flaskrs_version == importlib.metadata.version("flaskrs")
    assert Path(flask_file).parent.name == "flaskrs"


def test_enabling_after_the_real_flask_fails_clearly(tmp_path: Path) -> None:
    out = run_script(
        tmp_path,
        """
        import sys

        import flask.json

        try:
            import flaskrs.alias
        except RuntimeError as e:
            print(type(e).__name__)
            print(e)
        else:
            raise AssertionError("the alias was turned on over the real Flask")

        # Nothing half done: no finder, and flask is still the real one.
        assert not any(
            getattr(finder, "flaskrs_alias", False) for finder in sys.meta_path
        )
        assert flask.__name__ == "flask"
        import flask.sessions

        assert flask.sessions.__name__ == "flask.sessions"

        # Asking again gives the same answer.
        try:
            import flaskrs.alias
        except RuntimeError as e:
            print(e)
        """,
    )
    kind, message, again = out.splitlines()
    assert kind == "AliasError"
    assert "already imported" in message
    assert "sys.modules['flask'] is " in message
    assert "python -m flaskrs.alias" in message
    assert again == message


def test_enabling_twice_is_harmless(tmp_path: Path) -> None:
    run_script(
        tmp_path,
        """
        import sys

        # flaskrs itself is not the real Flask: importing it first is fine.
        import flaskrs

        import flaskrs.alias
        import flaskrs.alias

        flaskrs.alias.enable()
        flaskrs.alias.enable()
        assert flaskrs.alias.is_enabled()
        finders = [f for f in sys.meta_path if getattr(f, "flaskrs_alias", False)]
        assert len(finders) == 1, finders

        import flask

        flaskrs.alias.enable()
        assert flask is flaskrs
        """,
    )


SHOW = """
import sys

import flask
import flaskrs

print(flask is flaskrs, __name__, sys.argv[1:], sys.path[0])
"""


def test_switch_runs_a_script(tmp_path: Path) -> None:
    write(tmp_path, "app/prog.py", SHOW)
    done = python(tmp_path, "-m", "flaskrs.alias", "app/prog.py", "a", "-m")
    assert done.stdout.split() == [
        "True",
        "__main__",
        "['a',",
        "'-m']",
        str(tmp_path / "app"),
    ]
    assert done.stderr == ""


def test_switch_runs_a_module(tmp_path: Path) -> None:
    write(tmp_path, "pkg/__init__.py", "")
    write(tmp_path, "pkg/mod.py", SHOW)
    done = python(tmp_path, "-m", "flaskrs.alias", "-m", "pkg.mod", "x")
    assert done.stdout.split() == ["True", "__main__", "['x']", str(tmp_path)]
    assert done.stderr == ""


def test_switch_runs_code(tmp_path: Path) -> None:
    code = "import sys, flask, flaskrs; print(flask is flaskrs, sys.argv)"
    done = python(tmp_path, "-m", "flaskrs.alias", "-c", code, "y")
    assert done.stdout.split() == ["True", "['-c',", "'y']"]


def test_switch_runs_the_flask_command(tmp_path: Path) -> None:
    done = python(tmp_path, "-m", "flaskrs.alias", "-m", "flask", "--version")
    assert "flaskrs" in done.stdout


def test_switch_and_the_line_together(tmp_path: Path) -> None:
    write(
        tmp_path,
        "prog.py",
        """
        import sys

        import flaskrs.alias
        import flask
        import flaskrs

        assert flask is flaskrs
        finders = [f for f in sys.meta_path if getattr(f, "flaskrs_alias", False)]
        assert len(finders) == 1, finders
        sys.exit(3)
        """,
    )
    done = python(tmp_path, "-m", "flaskrs.alias", "prog.py", check=False)
    assert done.returncode == 3, done.stderr


@pytest.mark.parametrize(
    ("args", "code"), [((), 2), (("-x",), 2), (("-m",), 2), (("--help",), 0)]
)
def test_switch_usage(tmp_path: Path, args: tuple[str, ...], code: int) -> None:
    done = python(tmp_path, "-m", "flaskrs.alias", *args, check=False)
    assert done.returncode == code
    assert "usage: python -m flaskrs.alias" in done.stdout + done.stderr


EXTENSIONS_APP = """
import flaskrs.alias

import re
import sys

import flask
import flaskrs
from flask import Flask, redirect, render_template_string, request, url_for
from flask_login import (
    LoginManager,
    UserMixin,
    current_user,
    login_required,
    login_user,
    logout_user,
)
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFProtect
from wtforms import StringField
from wtforms.validators import DataRequired

assert flask.Flask is flaskrs.Flask
assert sys.modules["flask"] is flaskrs

app = Flask(__name__)
app.config.update(
    SECRET_KEY="not so secret",
    SQLALCHEMY_DATABASE_URI="sqlite:///" + sys.argv[1],
)
login_manager = LoginManager(app)
login_manager.login_view = "login"
db = SQLAlchemy(app)
csrf = CSRFProtect(app)


class User(UserMixin):
    def __init__(self, user_id):
        self.id = user_id


@login_manager.user_loader
def load_user(user_id):
    return User(user_id)


class Note(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    text = db.Column(db.String(80), nullable=False)


class NoteForm(FlaskForm):
    text = StringField("text", validators=[DataRequired()])


@app.route("/login", methods=["GET", "POST"])
@csrf.exempt
def login():
    if request.method == "POST":
        login_user(User(request.form["name"]), remember=True)
        return redirect(request.args.get("next") or "/")
    return "log in"


@app.route("/logout")
def logout():
    logout_user()
    return "bye"


@app.route("/me")
@login_required
def me():
    return render_template_string("user={{ current_user.id }}")


@app.route("/notes", methods=["GET", "POST"])
@login_required
def notes():
    form = NoteForm()
    if form.validate_on_submit():
        db.session.add(Note(text=form.text.data))
        db.session.commit()
        return redirect(url_for("notes"))
    items = db.session.execute(db.select(Note).order_by(Note.id)).scalars()
    return render_template_string(
        "<form method=post>{{ form.csrf_token }}{{ form.text }}</form>"
        "<ul>{% for n in items %}<li>{{ n.text }}</li>{% endfor %}</ul>",
        form=form,
        items=items,
    )


@app.route("/notes/<int:note_id>")
def note(note_id):
    return db.get_or_404(Note, note_id).text


with app.app_context():
    db.create_all()

client = app.test_client()

# Flask-Login
r = client.get("/me")
assert r.status_code == 302 and r.location == "/login?next=%2Fme", r.location
r = client.post("/login?next=/me", data={"name": "ada"})
assert r.status_code == 302 and r.location == "/me", (r.status_code, r.location)
assert client.get_cookie("remember_token") is not None
r = client.get("/me")
assert (r.status_code, r.text) == (200, "user=ada"), (r.status_code, r.text)
with app.test_request_context():
    assert not current_user.is_authenticated

# The remember-me cookie alone logs the user in again.
other = app.test_client()
other.set_cookie("remember_token", client.get_cookie("remember_token").value)
r = other.get("/me")
assert (r.status_code, r.text) == (200, "user=ada"), (r.status_code, r.text)

# Flask-WTF: a post without the token is refused, with it is accepted.
r = client.get("/notes")
assert r.status_code == 200, r.status_code
match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', r.text)
assert match, r.text
token = match.group(1)
r = client.post("/notes", data={"text": "no token"})
assert r.status_code == 400 and b"CSRF token is missing" in r.data, r.data
r = client.post("/notes", data={"text": "bad token", "csrf_token": token + "x"})
assert r.status_code == 400 and b"CSRF token is invalid" in r.data, r.data
r = client.post("/notes", data={"text": "first", "csrf_token": token})
assert r.status_code == 302 and r.location == "/notes", (r.status_code, r.data)
r = client.post("/notes", data={"text": "second", "csrf_token": token})
assert r.status_code == 302, r.status_code
r = client.get("/notes")
assert "<ul><li>first</li><li>second</li></ul>" in r.text, r.text

# Flask-SQLAlchemy
with app.app_context():
    texts = [n.text for n in db.session.execute(db.select(Note)).scalars()]
    assert texts == ["first", "second"], texts
    db.session.add(Note(text="third"))
    db.session.commit()
    assert Note.query.filter_by(text="third").one().id == 3
assert client.get("/notes/3").text == "third"
assert client.get("/notes/9").status_code == 404

client.get("/logout")
assert client.get("/me").status_code == 302
print("extensions ok")
"""


def test_real_extensions_run_on_flaskrs(tmp_path: Path) -> None:
    out = run_script(tmp_path, EXTENSIONS_APP, str(tmp_path / "app.sqlite"))
    assert out.strip() == "extensions ok"
