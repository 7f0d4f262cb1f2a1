"""The test client, the test request context and the CLI runner."""

from __future__ import annotations

import click
import pytest


def test_client_base_url_from_config(app, fw) -> None:  # noqa: ANN001
    app.config.update(
        SERVER_NAME="example.org", APPLICATION_ROOT="/app", PREFERRED_URL_SCHEME="https"
    )
    app.add_url_rule("/x", "x", lambda: fw.request.url)
    assert app.test_client().get("/x").data == b"https://example.org/app/x"


def test_client_json_and_redirects(app, fw) -> None:  # noqa: ANN001
    @app.post("/echo")
    def echo():
        return fw.request.get_json()

    @app.get("/go")
    def go():
        return fw.redirect(fw.url_for("target"))

    @app.get("/target")
    def target():
        return "arrived"

    client = app.test_client()
    assert client.post("/echo", json={"a": [1]}).json == {"a": [1]}
    response = client.get("/go", follow_redirects=True)
    assert response.data == b"arrived"
    assert [r.status_code for r in response.history] == [302]


def test_session_transaction(app, fw) -> None:  # noqa: ANN001
    app.secret_key = "secret"
    app.add_url_rule("/", "x", lambda: str(fw.session.get("user")))
    client = app.test_client()
    with client.session_transaction() as session:
        session["user"] = "ann"
    assert client.get("/").data == b"ann"
    with client.session_transaction() as session:
        assert session["user"] == "ann"


def test_session_transaction_needs_cookies(app) -> None:  # noqa: ANN001
    with pytest.raises(TypeError, match="Cookies are disabled"):
        with app.test_client(use_cookies=False).session_transaction():
            pass


def test_nested_client_use_is_refused(app) -> None:  # noqa: ANN001
    client = app.test_client()
    with client:
        with pytest.raises(RuntimeError, match="nest"):
            with client:
                pass


def test_custom_client_class(app, fw) -> None:  # noqa: ANN001
    class Client(fw.testing.FlaskClient):
        def __init__(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN204
            self.token = kwargs.pop("token")
            super().__init__(*args, **kwargs)

    app.test_client_class = Client
    assert app.test_client(token="t").token == "t"


def test_cli_runner(app, fw) -> None:  # noqa: ANN001
    @app.cli.command("hello")
    @click.option("--name", default="world")
    def hello(name):
        click.echo(f"hello {name} from {fw.current_app.name}")

    result = app.test_cli_runner().invoke(args=["hello", "--name", "x"])
    assert result.exit_code == 0
    assert result.output == "hello x from tests_app\n"


def test_environ_base_defaults(app, fw) -> None:  # noqa: ANN001
    import importlib.metadata

    app.add_url_rule("/", "x", lambda: fw.request.headers["User-Agent"])
    client = app.test_client()
    version = importlib.metadata.version("werkzeug")
    assert client.environ_base == {
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_USER_AGENT": f"Werkzeug/{version}",
    }
    assert client.get("/").text == f"Werkzeug/{version}"
    client.environ_base["HTTP_USER_AGENT"] = "Changed"
    assert client.get("/").text == "Changed"


def test_builder_subdomain_scheme_and_base_url(app, fw) -> None:  # noqa: ANN001
    app.config["SERVER_NAME"] = "example.com"
    builder = fw.testing.EnvironBuilder(
        app, "/p?q=1", subdomain="api", url_scheme="ftp"
    )
    assert builder.base_url == "ftp://api.example.com/"
    assert (builder.path, builder.query_string) == ("/p", "q=1")

    # A full URL as the path brings its own scheme and host.
    builder = fw.testing.EnvironBuilder(app, "https://other.org:8/x")
    assert builder.base_url == "https://other.org:8/"

    with pytest.raises(AssertionError, match="Cannot pass"):
        fw.testing.EnvironBuilder(app, base_url="http://x", subdomain="a")


def test_builder_json_uses_app_provider(app, fw) -> None:  # noqa: ANN001
    app.json.sort_keys = False
    builder = fw.testing.EnvironBuilder(app, json={"b": 1, "a": 2})
    assert builder.content_type == "application/json"
    assert builder.input_stream.read() == b'{"b": 1, "a": 2}'


def test_open_accepts_builder_environ_and_request(app, fw) -> None:  # noqa: ANN001
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Request

    app.add_url_rule("/", "x", lambda: fw.request.remote_addr or "-")
    client = app.test_client()
    builder = EnvironBuilder("/")
    assert client.open(builder).text == "127.0.0.1"
    assert "REMOTE_ADDR" not in (builder.environ_base or {})  # left unchanged
    assert client.open(builder.get_environ()).text == "127.0.0.1"
    assert client.open(Request(EnvironBuilder("/").get_environ())).text == "127.0.0.1"


def test_with_client_keeps_last_request(app, fw) -> None:  # noqa: ANN001
    app.add_url_rule("/<name>", "x", lambda name: name)
    client = app.test_client()

    with client:
        client.get("/first")
        client.get("/second?q=1")
        assert fw.request.path == "/second"
        assert fw.request.args["q"] == "1"

    assert not fw.has_request_context()
    client.get("/third")
    assert not fw.has_request_context()


def test_session_transaction_without_secret(app) -> None:  # noqa: ANN001
    with pytest.raises(RuntimeError, match="Session backend did not open"):
        with app.test_client().session_transaction():
            pass
