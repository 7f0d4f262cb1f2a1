"""View return values to responses, helpers that make responses, URLs,
and the fast response paths compared with Werkzeug's."""

from __future__ import annotations

import io

import flask
import pytest
from werkzeug.wrappers import Response as WerkzeugResponse

import flaskrs


def wsgi_answer(response, environ=None):  # noqa: ANN001, ANN201
    """Call a response as a WSGI app: (status, headers, body)."""
    seen = {}

    def start_response(status, headers, exc_info=None):  # noqa: ANN001, ANN202
        seen["status"], seen["headers"] = status, headers

    env = {"REQUEST_METHOD": "GET", "SERVER_NAME": "localhost", "SERVER_PORT": "80"}
    env.update(environ or {})
    env.setdefault("wsgi.url_scheme", "http")
    body = b"".join(response(env, start_response))
    return seen["status"], seen["headers"], body


RESPONSES = [
    lambda cls: cls("text"),
    lambda cls: cls(b"bytes"),
    lambda cls: cls("created", 201),
    lambda cls: cls("moved", 302, headers={"Location": "/ü page"}),
    lambda cls: cls("x", mimetype="text/plain"),
    lambda cls: cls("", 204),
    lambda cls: cls("ab", headers=[("X-A", "1")]),
    lambda cls: cls(iter([b"a", b"b"])),
    lambda cls: cls("not modified", 304),
    lambda cls: cls("lower", 301, headers=[("location", "/a b")]),
    lambda cls: cls("twice", 302, headers=[("Location", "/a"), ("Location", "/b")]),
    lambda cls: cls("where", headers=[("Content-Location", "/é")]),
    lambda cls: cls([b"a", "b"]),
]


@pytest.mark.parametrize("make", RESPONSES)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_response_matches_werkzeug(make, method: str) -> None:  # noqa: ANN001
    class Plain(WerkzeugResponse):
        default_mimetype = "text/html"
        autocorrect_location_header = False

    ours = make(flaskrs.Response)
    reference = make(Plain)
    assert list(ours.headers) == list(reference.headers)
    assert ours.status == reference.status
    env = {"REQUEST_METHOD": method}
    assert wsgi_answer(ours, env) == wsgi_answer(reference, env)


def test_response_subclass_hooks_are_honoured() -> None:
    class Custom(flaskrs.Response):
        def get_wsgi_headers(self, environ):  # noqa: ANN001, ANN202
            headers = super().get_wsgi_headers(environ)
            headers["X-Custom"] = "1"
            return headers

    assert ("X-Custom", "1") in wsgi_answer(Custom("x"))[1]


def test_on_close_is_called() -> None:
    closed = []
    response = flaskrs.Response("x")
    response.call_on_close(lambda: closed.append(True))
    iterable = response({"REQUEST_METHOD": "GET"}, lambda s, h: None)
    iterable.close()
    assert closed == [True]


def build(fw):  # noqa: ANN001, ANN201
    app = fw.Flask("tests_app")

    @app.get("/str")
    def text():
        return "hello"

    @app.get("/bytes")
    def raw():
        return b"\x00raw"

    @app.get("/dict")
    def mapping():
        return {"b": 1, "a": [1, 2]}

    @app.get("/list")
    def sequence():
        return [1, "two"]

    @app.get("/tuple3")
    def triple():
        return "t", 202, {"X-T": "3"}

    @app.get("/tuple-headers")
    def with_headers():
        return "h", [("X-H", "1")]

    @app.get("/tuple-status-text")
    def status_text():
        return "s", "299 Custom"

    @app.get("/generator")
    def gen():
        return (c for c in ["a", "b", "c"])

    @app.get("/response")
    def response():
        return fw.Response("r", 203, mimetype="text/plain")

    @app.get("/werkzeug")
    def werkzeug_response():
        return WerkzeugResponse("w", 200)

    @app.get("/wsgi")
    def wsgi():
        def application(environ, start_response):
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"wsgi app"]

        return application

    @app.get("/make")
    def make():
        response = fw.make_response("m", 201)
        response.headers["X-M"] = "1"
        return response

    @app.get("/make-empty")
    def make_empty():
        return fw.make_response()

    @app.get("/redirect")
    def redirect():
        return fw.redirect(fw.url_for("text"))

    @app.get("/redirect-301")
    def redirect_301():
        return fw.redirect("/elsewhere", 301)

    @app.get("/abort")
    def abort():
        fw.abort(418)

    @app.get("/abort-response")
    def abort_response():
        fw.abort(fw.Response("custom abort", 409))

    @app.get("/none")
    def none():
        return None

    @app.get("/bad-type")
    def bad_type():
        return 1.5

    @app.get("/bad-tuple")
    def bad_tuple():
        return "a", 200, {}, "extra"

    @app.get("/u/<int:n>")
    def user(n):
        return str(n)

    @app.get("/urls")
    def urls():
        return [
            fw.url_for("user", n=3),
            fw.url_for("user", n=3, q="a b", _anchor="top x"),
            fw.url_for("user", n=3, _external=True),
            fw.url_for("user", n=3, _scheme="https", _external=True),
            fw.url_for("user", n=3, _method="GET"),
            fw.url_for("static", filename="app.css"),
        ]

    return app


PATHS = [
    "/str",
    "/bytes",
    "/dict",
    "/list",
    "/tuple3",
    "/tuple-headers",
    "/tuple-status-text",
    "/generator",
    "/response",
    "/werkzeug",
    "/wsgi",
    "/make",
    "/make-empty",
    "/redirect",
    "/redirect-301",
    "/abort",
    "/abort-response",
    "/none",
    "/bad-type",
    "/bad-tuple",
    "/urls",
]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_return_values_like_flask(path: str, method: str) -> None:
    ours = build(flaskrs).test_client().open(path, method=method)
    theirs = build(flask).test_client().open(path, method=method)
    assert ours.status == theirs.status
    assert ours.get_data() == theirs.get_data()
    assert sorted(ours.headers.items()) == sorted(theirs.headers.items())


def test_invalid_return_raises_in_testing(fw) -> None:  # noqa: ANN001
    app = build(fw)
    app.testing = True
    with pytest.raises(TypeError, match="did not return a valid response"):
        app.test_client().get("/none")


def test_url_for_outside_request(fw) -> None:  # noqa: ANN001
    app = build(fw)
    with app.app_context(), pytest.raises(RuntimeError, match="SERVER_NAME"):
        fw.url_for("user", n=1)
    app.config.update(
        SERVER_NAME="example.com",
        APPLICATION_ROOT="/root",
        PREFERRED_URL_SCHEME="https",
    )
    with app.app_context():
        assert fw.url_for("user", n=1) == "https://example.com/root/u/1"


def test_url_for_scheme_needs_external(app, fw) -> None:  # noqa: ANN001
    app.add_url_rule("/", "x", lambda: "")
    with app.test_request_context(), pytest.raises(ValueError, match="_external"):
        fw.url_for("x", _scheme="https", _external=False)


def test_url_defaults_and_build_error_handler(app, fw) -> None:  # noqa: ANN001
    @app.get("/<lang>/page")
    def page(lang):
        return lang

    @app.url_defaults
    def add_lang(endpoint, values):
        if endpoint == "page":
            values.setdefault("lang", "en")

    def fallback(error, endpoint, values):
        return f"/fallback/{endpoint}"

    app.url_build_error_handlers.append(fallback)
    with app.test_request_context():
        assert fw.url_for("page") == "/en/page"
        assert fw.url_for("nowhere") == "/fallback/nowhere"
    app.url_build_error_handlers.clear()
    with (
        app.test_request_context(),
        pytest.raises(Exception, match="Could not build url"),
    ):
        fw.url_for("nowhere")


def test_send_file_and_static(fw, tmp_path) -> None:  # noqa: ANN001
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "a.txt").write_text("static text")
    app = fw.Flask("tests_app", root_path=str(tmp_path))

    @app.get("/file")
    def file():
        return fw.send_file(
            io.BytesIO(b"data"), mimetype="text/plain", download_name="d.txt"
        )

    @app.get("/dir/<path:name>")
    def from_dir(name):
        return fw.send_from_directory(tmp_path / "static", name)

    client = app.test_client()
    assert client.get("/static/a.txt").data == b"static text"
    assert client.get("/static/missing.txt").status_code == 404
    response = client.get("/file")
    assert response.data == b"data" and response.mimetype == "text/plain"
    assert client.get("/dir/a.txt").data == b"static text"
    assert client.get("/dir/../secret").status_code == 404
