"""The application object: routes, methods, hooks and the WSGI path."""

from __future__ import annotations

import types
import warnings

import flask
import pytest

import flaskrs


def build(fw):  # noqa: ANN001, ANN201
    app = fw.Flask("tests_app")

    @app.route("/")
    def index():
        return "index"

    @app.get("/users/<int:uid>")
    def user(uid):
        return f"user {uid} {type(uid).__name__}"

    @app.post("/items")
    def create():
        return "created", 201

    @app.put("/items/<name>")
    def put(name):
        return f"put {name}"

    @app.delete("/items/<name>")
    def delete(name):
        return "", 204

    @app.patch("/items/<name>")
    def patch(name):
        return f"patch {name}"

    @app.route("/both", methods=["GET", "POST"])
    def both():
        return fw.request.method

    return app


REQUESTS = [
    ("GET", "/"),
    ("HEAD", "/"),
    ("OPTIONS", "/"),
    ("GET", "/users/42"),
    ("GET", "/users/x"),
    ("POST", "/items"),
    ("GET", "/items"),
    ("PUT", "/items/a"),
    ("DELETE", "/items/a"),
    ("PATCH", "/items/a"),
    ("POST", "/both"),
    ("GET", "/both"),
    ("DELETE", "/both"),
    ("GET", "/missing"),
    ("GET", "/users/42/"),
]


@pytest.mark.parametrize(("method", "path"), REQUESTS)
def test_same_answers_as_flask(method: str, path: str) -> None:
    ours = build(flaskrs).test_client().open(path, method=method)
    theirs = build(flask).test_client().open(path, method=method)
    assert ours.status_code == theirs.status_code
    assert ours.get_data() == theirs.get_data()
    # Allow lists a set of methods: its order carries no meaning.
    assert set(ours.allow) == set(theirs.allow)
    ours.headers.pop("Allow", None)
    theirs.headers.pop("Allow", None)
    assert dict(ours.headers) == dict(theirs.headers)


def test_constructor_attributes(fw) -> None:  # noqa: ANN001
    app = fw.Flask(
        "tests_app",
        static_url_path="/assets",
        static_folder="public",
        template_folder="tpl",
        instance_path="/tmp/instance-x",
        root_path="/srv/app",
    )
    assert app.import_name == "tests_app"
    assert app.name == "tests_app"
    assert app.static_url_path == "/assets"
    assert app.static_folder == "/srv/app/public"
    assert app.template_folder == "tpl"
    assert app.instance_path == "/tmp/instance-x"
    assert app.root_path == "/srv/app"
    assert [r.rule for r in app.url_map.iter_rules()] == ["/assets/<path:filename>"]
    assert isinstance(app.extensions, dict) and not app.extensions


def test_relative_instance_path_is_refused(fw) -> None:  # noqa: ANN001
    with pytest.raises(ValueError, match="absolute"):
        fw.Flask("tests_app", instance_path="relative")


def test_add_url_rule_and_endpoint_decorator(fw) -> None:  # noqa: ANN001
    app = fw.Flask("tests_app")
    app.add_url_rule("/a", "alpha")

    @app.endpoint("alpha")
    def alpha():
        return "A"

    assert app.view_functions["alpha"] is alpha
    assert app.test_client().get("/a").data == b"A"


def test_overwriting_endpoint_is_an_error(fw) -> None:  # noqa: ANN001
    app = fw.Flask("tests_app")

    @app.route("/a")
    def view():
        return ""

    def other():
        return ""

    with pytest.raises(AssertionError, match="overwriting"):
        app.add_url_rule("/b", "view", other)


def test_methods_as_string_is_refused(fw) -> None:  # noqa: ANN001
    app = fw.Flask("tests_app")
    with pytest.raises(TypeError, match="list of strings"):
        app.add_url_rule("/", "x", lambda: "", methods="GET")


def test_route_router_classes() -> None:
    assert flaskrs.Flask.url_map_class is flaskrs.routing.Map
    assert flaskrs.Flask.url_rule_class is flaskrs.routing.Rule
    assert isinstance(flaskrs.Flask("x").url_map, flaskrs.routing.Map)


def test_hooks_order_and_registries(fw) -> None:  # noqa: ANN001
    app = fw.Flask("tests_app")
    calls = []

    @app.url_value_preprocessor
    def pre(endpoint, values):
        calls.append(("pre", endpoint, dict(values or {})))

    @app.before_request
    def before():
        calls.append("before")

    @app.after_request
    def after_1(response):
        calls.append("after_1")
        return response

    @app.after_request
    def after_2(response):
        calls.append("after_2")
        return response

    @app.teardown_request
    def teardown(exc):
        calls.append(("teardown", exc))

    @app.teardown_appcontext
    def teardown_app(exc):
        calls.append(("teardown_app", exc))

    @app.get("/<int:n>")
    def view(n):
        calls.append("view")
        return str(n)

    assert app.before_request_funcs == {None: [before]}
    assert app.after_request_funcs[None] == [after_1, after_2]
    assert app.test_client().get("/3").data == b"3"
    assert calls == [
        ("pre", "view", {"n": 3}),
        "before",
        "view",
        "after_2",
        "after_1",
        ("teardown", None),
        ("teardown_app", None),
    ]


def test_before_request_can_answer(fw) -> None:  # noqa: ANN001
    app = fw.Flask("tests_app")

    @app.before_request
    def stop():
        return "stopped", 403

    @app.get("/")
    def view():
        raise AssertionError("not reached")

    response = app.test_client().get("/")
    assert (response.status_code, response.data) == (403, b"stopped")


def test_registry_changed_directly_after_first_request(fw) -> None:  # noqa: ANN001
    # Extensions append to the plain dicts; a cached fast path must see it.
    app = fw.Flask("tests_app")

    @app.get("/")
    def view():
        return "x"

    client = app.test_client()
    assert "X-Hook" not in client.get("/").headers

    def add_header(response):
        response.headers["X-Hook"] = "1"
        return response

    app.after_request_funcs.setdefault(None, []).append(add_header)
    assert client.get("/").headers["X-Hook"] == "1"


def test_setup_after_first_request_is_refused(fw) -> None:  # noqa: ANN001
    app = fw.Flask("tests_app")
    app.test_client().get("/")
    with pytest.raises(AssertionError, match="first request"):
        app.route("/late")(lambda: "")


def test_method_replaced_on_instance_is_used(fw) -> None:  # noqa: ANN001
    app = fw.Flask("tests_app")

    @app.get("/")
    def view():
        return "x"

    client = app.test_client()
    assert client.get("/").data == b"x"
    original = app.make_response

    def make_response(rv):
        response = original(rv)
        response.headers["X-Made"] = "here"
        return response

    app.make_response = make_response
    assert client.get("/").headers["X-Made"] == "here"


def test_subclass_override_is_used(fw) -> None:  # noqa: ANN001
    class App(fw.Flask):
        def dispatch_request(self):
            return "from subclass"

    app = App("tests_app")
    app.add_url_rule("/", "x", lambda: "from view")
    assert app.test_client().get("/").data == b"from subclass"


def test_async_view(fw) -> None:  # noqa: ANN001
    app = fw.Flask("tests_app")

    @app.get("/")
    async def view():
        return "async"

    assert app.test_client().get("/").data == b"async"


def test_wsgi_app_can_be_wrapped(fw) -> None:  # noqa: ANN001
    app = fw.Flask("tests_app")
    app.add_url_rule("/", "x", lambda: "inner")
    inner = app.wsgi_app

    def middleware(environ, start_response):
        environ["PATH_INFO"] = "/"
        return inner(environ, start_response)

    app.wsgi_app = middleware
    assert app.test_client().get("/anything").data == b"inner"


def test_run_is_ignored_under_the_cli(fw, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "true")
    # Would block if it started a server.
    assert fw.Flask("tests_app").run() is None


def test_version_is_deprecated_and_answers_as_flask() -> None:
    # Extensions comparing flask.__version__ with a minimum see Flask's.
    with pytest.deprecated_call():
        ours = flaskrs.__version__
    with pytest.deprecated_call():
        theirs = flask.__version__
    assert ours == theirs


def test_exported_names_match_flask() -> None:
    names = {
        n
        for n in dir(flask)
        if not n.startswith("_") and not isinstance(getattr(flask, n), types.ModuleType)
    } - {"annotations", "t"}
    missing = {n for n in names if not hasattr(flaskrs, n)}
    assert not missing
    assert flaskrs.AppContext is flaskrs.ctx.AppContext


def test_host_mismatch_warning_is_filtered_as_flasks(fw) -> None:  # noqa: ANN001
    # Filters written for Flask name the module the warning comes from.
    app = fw.Flask("a", subdomain_matching=True)
    app.config["SERVER_NAME"] = "dev.local"

    @app.route("/")
    def index() -> str:
        return "x"

    client = app.test_client()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UserWarning, match="Current server name"):
            client.get("/", "http://foo.localhost")
        warnings.filterwarnings(
            "ignore", "Current server name", UserWarning, "flask.app"
        )
        assert client.get("/", "http://foo.localhost").status_code == 404
