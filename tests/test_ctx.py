"""App and request contexts, the proxies and their helpers."""

from __future__ import annotations

import typing as t

import pytest

import flaskrs
from flaskrs.globals import _cv_request


def test_proxies_outside_contexts(fw) -> None:  # noqa: ANN001
    assert not fw.has_app_context() and not fw.has_request_context()
    with pytest.raises(RuntimeError, match="application context"):
        fw.current_app.name  # noqa: B018
    with pytest.raises(RuntimeError, match="request context"):
        fw.request.path  # noqa: B018
    with pytest.raises(RuntimeError, match="application context"):
        fw.g.user = "nobody"
    with pytest.raises(RuntimeError, match="request context"):
        fw.request.extra = 1


def test_app_context(app, fw) -> None:  # noqa: ANN001
    with app.app_context() as ctx:
        assert fw.has_app_context() and not fw.has_request_context()
        assert fw.current_app._get_current_object() is app
        assert fw.globals.app_ctx._get_current_object() is ctx
        fw.g.x = 1
        assert "x" in fw.g and fw.g.get("x") == 1 and fw.g.pop("x") == 1
        fw.current_app.extra_attribute = "set through the proxy"
        assert app.extra_attribute == "set through the proxy"
        assert fw.g.setdefault("y", 2) == 2 and list(fw.g) == ["y"]
    # A new context has a new g.
    with app.app_context():
        assert "y" not in fw.g


def test_nested_app_contexts_of_two_apps(fw) -> None:  # noqa: ANN001
    one, two = fw.Flask("one"), fw.Flask("two")
    with one.app_context():
        with two.app_context():
            assert fw.current_app.name == "two"
        assert fw.current_app.name == "one"


def test_test_request_context(app, fw) -> None:  # noqa: ANN001
    @app.get("/p/<int:n>")
    def view(n):
        return ""

    with app.test_request_context("/p/4?q=a", headers={"X-A": "b"}) as ctx:
        assert fw.request.args["q"] == "a"
        assert fw.request.headers["X-A"] == "b"
        assert fw.request.endpoint == "view"
        assert fw.request.view_args == {"n": 4}
        assert fw.globals.request_ctx._get_current_object() is ctx
        assert fw.has_request_context() and fw.has_app_context()
        assert fw.url_for("view", n=5) == "/p/5"


def test_request_context_pushes_its_app_context(app, fw) -> None:  # noqa: ANN001
    ctx = app.test_request_context()
    ctx.push()
    try:
        assert fw.current_app._get_current_object() is app
    finally:
        ctx.pop()
    assert not fw.has_app_context()


def test_same_context_pushed_twice(app, fw) -> None:  # noqa: ANN001
    torn_down = []
    app.teardown_appcontext(torn_down.append)
    ctx = app.app_context()
    ctx.push()
    ctx.push()
    ctx.pop()
    # Only the outermost pop tears down.
    assert torn_down == [] and fw.has_app_context()
    ctx.pop()
    assert torn_down == [None] and not fw.has_app_context()


def test_teardown_receives_the_exception(app, fw) -> None:  # noqa: ANN001
    seen = []
    app.teardown_request(seen.append)
    app.teardown_appcontext(seen.append)
    error = ValueError("boom")
    with pytest.raises(ValueError):
        with app.test_request_context():
            raise error
    assert seen == [error, error]


def test_after_this_request(app, fw) -> None:  # noqa: ANN001
    @app.get("/")
    def view():
        @fw.after_this_request
        def add(response):
            response.headers["X-After"] = "yes"
            return response

        return "x"

    assert app.test_client().get("/").headers["X-After"] == "yes"
    with pytest.raises(RuntimeError):
        fw.after_this_request(lambda r: r)


def test_copy_current_request_context(app, fw) -> None:  # noqa: ANN001
    results = []

    @app.get("/")
    def view():
        @fw.copy_current_request_context
        def later():
            results.append((fw.request.path, fw.request.args["a"]))

        return later

    # Call the copied function after the request ended.
    with app.test_request_context("/?a=1"):
        func = view()
    func()
    assert results == [("/", "1")]


def test_stream_with_context(app, fw) -> None:  # noqa: ANN001
    @app.get("/")
    def view():
        def generate():
            yield "a"
            yield fw.request.args["x"]

        return fw.stream_with_context(generate())

    assert app.test_client().get("/?x=b").data == b"ab"


def test_client_preserves_context_in_with_block(app, fw) -> None:  # noqa: ANN001
    app.add_url_rule("/", "x", lambda: "x")
    with app.test_client() as client:
        client.get("/?k=v")
        assert fw.request.args["k"] == "v"
    assert not fw.has_request_context()


def test_session_untouched_does_no_work() -> None:
    app = flaskrs.Flask("tests_app")
    app.secret_key = "s"
    opened = []

    @app.get("/")
    def view():
        opened.append(_cv_request.get()._session_obj)
        return "x"

    response = app.test_client().get("/")
    assert opened == [None]
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.vary


def test_session_round_trip(app, fw) -> None:  # noqa: ANN001
    app.secret_key = "secret"

    @app.post("/set")
    def set_():
        fw.session["n"] = fw.request.form["n"]
        return "set"

    @app.get("/get")
    def get():
        return fw.session.get("n", "none")

    client = app.test_client()
    assert client.get("/get").data == b"none"
    client.post("/set", data={"n": "7"})
    response = client.get("/get")
    assert response.data == b"7"
    assert "Cookie" in response.vary


def test_session_read_by_extension_after_request(app, fw) -> None:  # noqa: ANN001
    app.secret_key = "secret"
    app.add_url_rule("/", "x", lambda: "x")
    with app.test_client() as client:
        client.get("/")
        session = fw.globals.request_ctx._session
        assert not session.accessed and not session.modified and not session


def test_no_secret_key_gives_null_session(app, fw) -> None:  # noqa: ANN001
    @app.get("/")
    def view():
        fw.session["x"] = 1
        return ""

    app.config["TESTING"] = False
    assert app.test_client().get("/").status_code == 500


@pytest.mark.parametrize("name", ["request", "session", "g", "current_app"])
def test_proxies_behave_as_flasks_outside_and_inside(name: str) -> None:
    import flask
    from werkzeug.local import LocalProxy

    seen = []
    for fw in (flaskrs, flask):
        proxy = getattr(fw, name)
        assert isinstance(proxy, LocalProxy)
        with pytest.raises(RuntimeError) as caught:
            proxy.anything  # noqa: B018
        seen.append((repr(proxy), bool(proxy), str(caught.value)))
        app = fw.Flask("a")
        app.secret_key = "k"
        with app.test_request_context("/?x=1"):
            target = proxy._get_current_object()
            if name == "g":
                proxy.seen = 1
                assert target.seen == 1 and "seen" in proxy
            elif name == "request":
                assert proxy.args["x"] == "1" and proxy.method == "GET"
            elif name == "current_app":
                assert proxy.name == "a" and proxy.config is target.config
            with pytest.raises(AttributeError):
                proxy.no_such_attribute  # noqa: B018
    assert seen[0] == seen[1]


def _item_operations(fw: t.Any) -> list[t.Any]:
    seen: list[t.Any] = []
    operations = [
        lambda: fw.session.__setitem__("a", 1),
        lambda: fw.session["a"],
        lambda: "a" in fw.session,
        lambda: fw.session.__delitem__("a"),
        lambda: "a" in fw.session,
        lambda: fw.session["a"],
        lambda: fw.request["x"],
        lambda: "x" in fw.g,
        lambda: fw.g["x"],
    ]
    for operation in operations:
        try:
            seen.append(("ok", operation()))
        except Exception as e:
            seen.append((type(e).__name__, str(e)))
    return seen


def test_proxy_items_as_flasks() -> None:
    import flask

    answers = []
    for fw in (flaskrs, flask):
        outside = _item_operations(fw)
        app = fw.Flask("a")
        app.secret_key = "k"
        with app.test_request_context():
            answers.append((outside, _item_operations(fw)))
    assert answers[0] == answers[1]


def _attribute_operations(fw: t.Any, calls: list[str]) -> list[t.Any]:
    """Attribute reads, writes and misses on every proxy, as outcomes."""
    seen: list[t.Any] = []
    names = ["request", "session", "g", "current_app"]
    operations: list[t.Callable[[], t.Any]] = []
    for name in names:
        proxy = getattr(fw, name)
        operations += [
            lambda p=proxy: p.no_such_attribute,
            lambda p=proxy: hasattr(p, "no_such_attribute"),
            lambda p=proxy: getattr(p, "no_such_attribute", "default"),
            lambda p=proxy: p.__class__.__name__,
            lambda p=proxy: type(p).__name__,
            lambda p=proxy: p.__doc__ is type(p._get_current_object()).__doc__,
            lambda p=proxy: "__module__" in dir(p),
            lambda p=proxy: p.__wrapped__ is p._get_current_object(),
            lambda p=proxy: callable(p),
            lambda p=proxy: bool(p),
            lambda p=proxy: not p,
            lambda p=proxy: delattr(p, "no_such_attribute"),
            lambda p=proxy: p.__no_such_dunder__,
        ]
    g = fw.g
    operations += [
        lambda: setattr(g, "user", "alice"),
        lambda: g.user,
        lambda: g.__dict__.get("user"),
        lambda: g.get("user"),
        lambda: delattr(g, "user"),
        lambda: hasattr(g, "user"),
        lambda: fw.request.args.get("x"),
        lambda: fw.request.__class__.__mro__[-1].__name__,
        lambda: fw.current_app.name,
        lambda: fw.request.failing,
        lambda: hasattr(fw.request, "failing"),
        lambda: len(calls),
    ]
    for operation in operations:
        try:
            seen.append(("ok", operation()))
        except Exception as e:
            seen.append((type(e).__name__, str(e)))
    return seen


def _request_class_counting(fw: t.Any, calls: list[str]) -> t.Any:
    class Request(fw.Request):  # type: ignore[name-defined,misc]
        @property
        def failing(self) -> t.Any:
            calls.append("failing")
            raise AttributeError("failing is not here")

    return Request


def test_proxy_attributes_as_flasks() -> None:
    """Attribute access, misses included, answers as through Flask's
    proxies, and asks the target once per access (a property that raises
    AttributeError runs once)."""
    import flask

    answers = []
    for fw in (flaskrs, flask):
        calls: list[str] = []
        Request = _request_class_counting(fw, calls)
        outside = _attribute_operations(fw, calls)
        app = fw.Flask("a")
        app.request_class = Request
        app.secret_key = "k"
        with app.test_request_context("/?x=1"):
            inside = _attribute_operations(fw, calls)
        answers.append((outside, inside, len(calls)))
    assert answers[0] == answers[1]
    assert answers[0][2] == 2
