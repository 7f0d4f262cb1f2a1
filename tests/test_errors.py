"""Error handlers, HTTP exceptions, propagation and trapping."""

from __future__ import annotations

import typing as t

import flask
import pytest
from werkzeug.exceptions import BadRequest
from werkzeug.exceptions import Forbidden
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import InternalServerError
from werkzeug.exceptions import NotFound
from werkzeug.routing import RequestRedirect

import flaskrs


class ParentError(Exception):
    pass


class ChildError(ParentError):
    pass


def test_handler_by_code_and_class(app, fw) -> None:  # noqa: ANN001
    app.config["TESTING"] = False

    @app.errorhandler(404)
    def not_found(e):
        return f"nf {type(e).__name__}", 404

    @app.errorhandler(ParentError)
    def parent(e):
        return "parent", 500

    @app.errorhandler(ChildError)
    def child(e):
        return "child", 500

    @app.get("/child")
    def raise_child():
        raise ChildError

    @app.get("/parent")
    def raise_parent():
        raise ParentError

    @app.get("/abort")
    def abort():
        fw.abort(404)

    client = app.test_client()
    assert client.get("/missing").data == b"nf NotFound"
    assert client.get("/abort").data == b"nf NotFound"
    assert client.get("/child").data == b"child"
    assert client.get("/parent").data == b"parent"


def test_http_exception_class_handler(app, fw) -> None:  # noqa: ANN001
    @app.errorhandler(HTTPException)
    def any_http(e):
        return f"{e.code} {e.name}", e.code

    app.add_url_rule("/", "x", lambda: fw.abort(403))
    client = app.test_client()
    assert client.get("/").data == b"403 Forbidden"
    assert client.post("/").data == b"405 Method Not Allowed"


def test_code_handler_before_class_handler(app, fw) -> None:  # noqa: ANN001
    app.register_error_handler(HTTPException, lambda e: ("class", 400))
    app.register_error_handler(Forbidden, lambda e: ("code", 403))
    app.add_url_rule("/", "x", lambda: fw.abort(403))
    assert app.test_client().get("/").data == b"code"


def test_unhandled_error_is_500_and_logged(app, fw, caplog) -> None:  # noqa: ANN001
    app.config["TESTING"] = False

    @app.get("/")
    def view():
        raise ValueError("boom")

    response = app.test_client().get("/")
    assert response.status_code == 500
    assert b"Internal Server Error" in response.data
    assert "Exception on / [GET]" in caplog.text


def test_500_handler_sees_original(app, fw) -> None:  # noqa: ANN001
    app.config["TESTING"] = False
    seen = []

    @app.errorhandler(500)
    def server_error(e):
        seen.append(type(e.original_exception))
        return "handled 500", 500

    app.add_url_rule("/", "x", lambda: 1 / 0)
    assert app.test_client().get("/").data == b"handled 500"
    assert seen == [ZeroDivisionError]


@pytest.mark.parametrize("key", ["TESTING", "PROPAGATE_EXCEPTIONS", "DEBUG"])
def test_propagation(fw, key: str) -> None:  # noqa: ANN001
    app = fw.Flask("tests_app")
    app.config[key] = True
    app.add_url_rule("/", "x", lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        app.test_client().get("/")


def test_propagate_false_overrides_testing(fw) -> None:  # noqa: ANN001
    app = fw.Flask("tests_app")
    app.config.update(TESTING=True, PROPAGATE_EXCEPTIONS=False)
    app.add_url_rule("/", "x", lambda: 1 / 0)
    assert app.test_client().get("/").status_code == 500


def test_trap_http_exceptions(fw) -> None:  # noqa: ANN001
    app = fw.Flask("tests_app")
    app.config["TRAP_HTTP_EXCEPTIONS"] = True
    app.testing = True
    app.add_url_rule("/", "x", lambda: fw.abort(404))
    with pytest.raises(NotFound):
        app.test_client().get("/")


def test_trap_bad_request_errors(fw) -> None:  # noqa: ANN001
    app = fw.Flask("tests_app")
    app.testing = True

    @app.get("/")
    def view():
        return fw.request.args["missing"]

    # Not trapped: a 400 naming nothing.
    assert app.test_client().get("/").status_code == 400
    app.config["TRAP_BAD_REQUEST_ERRORS"] = True
    with pytest.raises(BadRequest):
        app.test_client().get("/")


def test_debug_traps_missing_key(fw) -> None:  # noqa: ANN001
    app = fw.Flask("tests_app")
    app.debug = True
    app.add_url_rule("/", "x", lambda: fw.request.form["k"], methods=["POST"])
    with pytest.raises(KeyError):
        app.test_client().post("/")


def test_got_request_exception_signal(app, fw) -> None:  # noqa: ANN001
    app.config["TESTING"] = False
    received = []

    def listener(sender, exception):  # noqa: ANN001, ANN202
        received.append((sender, type(exception)))

    app.add_url_rule("/", "x", lambda: 1 / 0)
    with fw.got_request_exception.connected_to(listener, app):
        app.test_client().get("/")
    assert received == [(app, ZeroDivisionError)]


def test_error_in_handler_of_error(app, fw) -> None:  # noqa: ANN001
    app.config["TESTING"] = False

    @app.errorhandler(500)
    def broken(e):
        raise RuntimeError("handler failed")

    app.add_url_rule("/", "x", lambda: 1 / 0)
    # The handler's own failure is not handled again: it reaches the server.
    with pytest.raises(RuntimeError):
        app.test_client().get("/")


def test_invalid_registration(fw) -> None:  # noqa: ANN001
    app = fw.Flask("tests_app")
    with pytest.raises(ValueError, match="not a recognized HTTP error code"):
        app.register_error_handler(999, lambda e: "")
    with pytest.raises(TypeError, match="instance, not a class"):
        app.register_error_handler(ValueError(), lambda e: "")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not a subclass of Exception"):
        app.register_error_handler(int, lambda e: "")  # type: ignore[arg-type]


def test_routing_redirect_not_handled(app, fw) -> None:  # noqa: ANN001
    app.register_error_handler(RequestRedirect, lambda e: ("handled", 200))
    app.add_url_rule("/dir/", "d", lambda: "dir")
    response = app.test_client().get("/dir")
    assert response.status_code == 308
    assert response.headers["Location"].endswith("/dir/")


def test_bad_input_is_4xx(app, fw) -> None:  # noqa: ANN001
    app.config["TESTING"] = False

    @app.post("/json")
    def json_view():
        return fw.jsonify(fw.request.json)

    client = app.test_client()
    assert (
        client.post(
            "/json", data=b"\xff\xfe", content_type="application/json"
        ).status_code
        == 400
    )
    assert (
        client.post("/json", data="[", content_type="application/json").status_code
        == 400
    )
    assert client.get("/%ff%fe").status_code == 404
    assert InternalServerError.code == 500


class Teapot(HTTPException):
    code = 418
    description = "short and stout"

    def get_headers(self, environ=None, scope=None):  # noqa: ANN001, ANN201
        return [("Content-Type", "text/plain"), ("X-Spout", "1")]


def error_app(fw: t.Any) -> t.Any:
    app = fw.Flask("a")

    @app.route("/only-get")
    def only_get() -> str:
        return "x"

    @app.route("/abort/<int:code>", methods=["GET", "HEAD", "POST"])
    def abort_with(code: int) -> str:
        fw.abort(code)

    @app.route("/said", methods=["GET", "HEAD", "POST"])
    def said() -> str:
        fw.abort(404, description="<b>nothing</b> here")

    @app.route("/teapot", methods=["GET", "HEAD", "POST"])
    def teapot() -> str:
        raise Teapot()

    return app


@pytest.mark.parametrize("method", ["GET", "HEAD", "POST"])
@pytest.mark.parametrize(
    "path", ["/missing", "/only-get", "/abort/400", "/abort/410", "/said", "/teapot"]
)
def test_unhandled_http_errors_answer_as_flask(method: str, path: str) -> None:
    answers = []
    for fw in (flaskrs, flask):
        response = error_app(fw).test_client().open(path, method=method)
        headers = response.headers.to_wsgi_list()
        # Werkzeug lists allowed methods in a set's order, which varies.
        headers = [
            (k, ", ".join(sorted(v.split(", "))) if k == "Allow" else v)
            for k, v in headers
        ]
        answers.append((response.status, headers, response.get_data()))
    assert answers[0] == answers[1]
