"""Config defaults and loaders, compared with Flask's."""

from __future__ import annotations

import importlib
import json
import os
from datetime import timedelta

import flask
import pytest

import flaskrs


def test_defaults_match_flask() -> None:
    assert dict(flaskrs.Flask.default_config) == dict(flask.Flask.default_config)
    assert dict(flaskrs.Flask("a").config) == dict(flask.Flask("a").config)


def test_config_attributes(fw) -> None:  # noqa: ANN001
    app = fw.Flask("tests_app")
    app.secret_key = "k"
    app.testing = True
    app.permanent_session_lifetime = 60
    assert app.config["SECRET_KEY"] == "k" and app.config["TESTING"] is True
    assert app.permanent_session_lifetime == timedelta(seconds=60)
    app.debug = True
    assert app.config["DEBUG"] is True


def test_debug_from_environment(fw, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("FLASK_DEBUG", "1")
    assert fw.Flask("tests_app").debug is True
    monkeypatch.setenv("FLASK_DEBUG", "false")
    assert fw.Flask("tests_app").debug is False


class Settings:
    SECRET = "s"
    lower = "ignored"


def test_from_object_and_mapping(fw) -> None:  # noqa: ANN001
    config = fw.Config("/")
    config.from_object(Settings)
    config.from_mapping({"A": 1, "b": 2}, C=3)
    assert {k: config[k] for k in ("SECRET", "A", "C")} == {
        "SECRET": "s",
        "A": 1,
        "C": 3,
    }
    assert "lower" not in config and "b" not in config
    config.from_object("json")  # modules by import name; no upper-case names
    assert set(config) == {"SECRET", "A", "C"}


def test_from_pyfile_and_file(fw, tmp_path) -> None:  # noqa: ANN001
    (tmp_path / "settings.py").write_text("VALUE = 40 + 2\nother = 1\n")
    (tmp_path / "settings.json").write_text(json.dumps({"J": [1], "j": 0}))
    config = fw.Config(tmp_path)
    assert config.from_pyfile("settings.py") is True
    assert config.from_file("settings.json", load=json.load) is True
    assert dict(config) == {"VALUE": 42, "J": [1]}
    assert config.from_pyfile("missing.py", silent=True) is False
    with pytest.raises(OSError, match="Unable to load configuration file"):
        config.from_pyfile("missing.py")


def test_from_envvar(fw, tmp_path, monkeypatch) -> None:  # noqa: ANN001
    (tmp_path / "c.py").write_text("X = 'y'\n")
    config = fw.Config(tmp_path)
    monkeypatch.delenv("TESTS_SETTINGS", raising=False)
    assert config.from_envvar("TESTS_SETTINGS", silent=True) is False
    with pytest.raises(RuntimeError, match="TESTS_SETTINGS"):
        config.from_envvar("TESTS_SETTINGS")
    monkeypatch.setenv("TESTS_SETTINGS", str(tmp_path / "c.py"))
    assert config.from_envvar("TESTS_SETTINGS") and config["X"] == "y"


def test_from_prefixed_env(fw, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("APPX_NUMBER", "12")
    monkeypatch.setenv("APPX_TEXT", "not json")
    monkeypatch.setenv("APPX_NESTED__INNER__LEAF", "true")
    config = fw.Config("/")
    config["NESTED"] = {"KEEP": 1}
    assert config.from_prefixed_env("APPX")
    assert config["NUMBER"] == 12 and config["TEXT"] == "not json"
    assert config["NESTED"] == {"KEEP": 1, "INNER": {"LEAF": True}}


def test_get_namespace(fw) -> None:  # noqa: ANN001
    config = fw.Config("/", {"IMG_PATH": "/p", "IMG_URL": "u", "OTHER": 1})
    assert config.get_namespace("IMG_") == {"path": "/p", "url": "u"}
    assert config.get_namespace("IMG_", lowercase=False, trim_namespace=False) == {
        "IMG_PATH": "/p",
        "IMG_URL": "u",
    }
    assert repr(config).startswith("<Config {")


@pytest.mark.parametrize(
    ("key", "value", "status"),
    [
        ("MAX_CONTENT_LENGTH", 10, 413),
        ("MAX_FORM_MEMORY_SIZE", 5, 413),
        ("MAX_FORM_PARTS", 1, 413),
    ],
)
def test_request_limits(fw, key, value, status) -> None:  # noqa: ANN001
    app = fw.Flask("tests_app")
    app.config[key] = value

    @app.post("/")
    def view():
        return str(len(fw.request.form))

    body = {"field": "x" * 20, "other": "y"}
    response = app.test_client().post(
        "/", data=body, content_type="multipart/form-data"
    )
    assert response.status_code == status


def test_trusted_hosts(fw) -> None:  # noqa: ANN001
    app = fw.Flask("tests_app")
    app.config["TRUSTED_HOSTS"] = ["good.example"]
    app.add_url_rule("/", "x", lambda: fw.request.host)
    client = app.test_client()
    assert client.get("/", base_url="http://good.example").data == b"good.example"
    assert client.get("/", base_url="http://evil.example").status_code == 400


@pytest.fixture(params=["flaskrs.config", "flask.config"])
def config_module(request: pytest.FixtureRequest):  # noqa: ANN201
    """The config module under test, or Flask's as the oracle."""
    return importlib.import_module(request.param)


def test_pyfile_errors_like_flask(config_module, tmp_path) -> None:  # noqa: ANN001
    (tmp_path / "file.py").write_text("A = 1\n")
    config = config_module.Config(tmp_path)
    for missing in ("nope.py", str(tmp_path), "file.py/inner.py"):
        assert config.from_pyfile(missing, silent=True) is False
        if not missing.startswith("file.py"):
            assert config.from_file(missing, json.load, silent=True) is False
        else:  # Flask forgives this one for Python files only
            with pytest.raises(NotADirectoryError, match="Unable to load"):
                config.from_file(missing, json.load, silent=True)
        with pytest.raises(OSError) as info:
            config.from_pyfile(missing)
        assert info.value.strerror.startswith("Unable to load configuration file (")
        assert info.value.filename == os.path.join(tmp_path, missing)
    with pytest.raises(RuntimeError, match="'UNSET_TESTS_VAR' is not set"):
        config.from_envvar("UNSET_TESTS_VAR")
    (tmp_path / "broken.py").write_text("import not_a_module_anywhere\n")
    with pytest.raises(ImportError):
        config.from_pyfile("broken.py", silent=True)


def test_pyfile_module_namespace(config_module, tmp_path) -> None:  # noqa: ANN001
    (tmp_path / "file.py").write_text(
        "NAME = __name__\nFILE = __file__\n_UNDER = 1\n__DUNDER = 2\nlower = 3\n"
    )
    config = config_module.Config(tmp_path)
    assert config.from_pyfile(tmp_path / "file.py") is True
    assert dict(config) == {
        "NAME": "config",
        "FILE": str(tmp_path / "file.py"),
        "_UNDER": 1,
        "__DUNDER": 2,
    }


def test_from_file_binary(config_module, tmp_path) -> None:  # noqa: ANN001
    (tmp_path / "c.toml").write_text('KEY = "v"\nlow = 1\n')
    config = config_module.Config(tmp_path)
    tomllib = pytest.importorskip("tomllib")
    assert config.from_file("c.toml", tomllib.load, text=False) is True
    assert dict(config) == {"KEY": "v"}


def test_prefixed_env_details(config_module, monkeypatch) -> None:  # noqa: ANN001
    for key in [k for k in os.environ if k.startswith("CFGT")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("CFGT_", "5")
    monkeypatch.setenv("CFGTX", "1")
    monkeypatch.setenv("CFGT_A__B__C", "[1]")
    monkeypatch.setenv("CFGT_A__D", "{bad")
    monkeypatch.setenv("CFGT_LOW_er", "null")
    config = config_module.Config("/")
    assert config.from_prefixed_env("CFGT", loads=json.loads) is True
    assert dict(config) == {
        "": 5,
        "A": {"B": {"C": [1]}, "D": "{bad"},
        "LOW_er": None,
    }
    config = config_module.Config("/", {"A": 5})
    with pytest.raises(TypeError):
        config.from_prefixed_env("CFGT")
    config = config_module.Config("/")
    config.from_prefixed_env("CFGT", loads=str.upper)
    assert config["A"] == {"B": {"C": "[1]"}, "D": "{BAD"}


def test_mapping_and_namespace_like_flask(config_module) -> None:  # noqa: ANN001
    config = config_module.Config("/", {"X_A": 1, "X_Bc": 2, "x_lower": 3, "Y": 4})
    assert config.from_mapping({"M": 1, "m": 2}, M=3, N=4) is True
    assert config.from_mapping() is True
    assert config["M"] == 3 and config["N"] == 4 and "m" not in config
    assert config.get_namespace("X_") == {"a": 1, "bc": 2}
    assert config.get_namespace("x_") == {"lower": 3}
    assert config.get_namespace("X_", trim_namespace=False) == {"x_a": 1, "x_bc": 2}
    assert repr(config_module.Config("/", {"A": 1})) == "<Config {'A': 1}>"

    class Sub(config_module.Config):
        pass

    assert repr(Sub("/")) == "<Sub {}>"
    with pytest.raises(ImportError):
        config.from_object("not_a_module_anywhere.settings")


def test_config_attribute(config_module) -> None:  # noqa: ANN001
    class Holder:
        name = config_module.ConfigAttribute("NAME")
        seconds = config_module.ConfigAttribute("SECONDS", get_converter=int)

        def __init__(self) -> None:
            self.config = {"NAME": "n", "SECONDS": "5"}

    holder = Holder()
    assert isinstance(Holder.name, config_module.ConfigAttribute)
    assert Holder.name.__name__ == "NAME"
    assert holder.name == "n" and holder.seconds == 5
    holder.seconds = "7"
    assert holder.config["SECONDS"] == "7" and holder.seconds == 7
    assert config_module.ConfigAttribute[int]("X").__name__ == "X"
