"""Blueprints: prefixes, nesting, scoped hooks and handlers, compared with
Flask."""

from __future__ import annotations

import flask
import pytest

import flaskrs


def build(fw):  # noqa: ANN001, ANN201
    app = fw.Flask("tests_app")
    api = fw.Blueprint("api", __name__, url_prefix="/api")
    v1 = fw.Blueprint("v1", __name__, url_prefix="/v1")
    calls = []

    @api.before_request
    def api_before():
        calls.append(("api.before", fw.request.blueprints))

    @v1.after_request
    def v1_after(response):
        response.headers["X-V1"] = "1"
        return response

    @v1.errorhandler(404)
    def v1_not_found(e):
        return "v1 not found", 404

    @v1.get("/item/<int:n>")
    def item(n):
        if n == 0:
            fw.abort(404)
        return {"n": n, "self": fw.url_for(".item", n=n), "up": fw.url_for("api.index")}

    @api.get("/")
    def index():
        return "api index"

    @api.app_template_global()
    def shout(s):
        return s.upper()

    api.register_blueprint(v1)
    app.register_blueprint(api)
    app.register_blueprint(api, name="again", url_prefix="/again")
    return app, calls


PATHS = [
    "/api/",
    "/api/v1/item/3",
    "/api/v1/item/0",
    "/api/v1/nothing",
    "/again/v1/item/4",
]


@pytest.mark.parametrize("path", PATHS)
def test_same_as_flask(path: str) -> None:
    (ours, our_calls), (theirs, their_calls) = build(flaskrs), build(flask)
    a, b = ours.test_client().get(path), theirs.test_client().get(path)
    assert (a.status_code, a.get_data(), a.headers.get("X-V1")) == (
        b.status_code,
        b.get_data(),
        b.headers.get("X-V1"),
    )
    assert our_calls == their_calls


def test_registries_keyed_by_name(fw) -> None:  # noqa: ANN001
    app, _ = build(fw)
    assert set(app.blueprints) == {"api", "api.v1", "again", "again.v1"}
    assert "api" in app.before_request_funcs
    assert "api.v1" in app.after_request_funcs
    assert 404 in app.error_handler_spec["api.v1"]
    assert "api.v1.item" in app.view_functions
    assert app.jinja_env.globals["shout"]("x") == "X"


def test_name_conflict(fw) -> None:  # noqa: ANN001
    app = fw.Flask("tests_app")
    app.register_blueprint(fw.Blueprint("bp", __name__))
    with pytest.raises(ValueError, match="already registered"):
        app.register_blueprint(fw.Blueprint("bp", __name__))


def test_invalid_names(fw) -> None:  # noqa: ANN001
    with pytest.raises(ValueError):
        fw.Blueprint("a.b", __name__)
    with pytest.raises(ValueError):
        fw.Blueprint("", __name__)


def test_registered_twice_messages(fw) -> None:  # noqa: ANN001
    app = fw.Flask("tests_app")
    bp = fw.Blueprint("bp", __name__)
    app.register_blueprint(bp)
    with pytest.raises(ValueError) as same:
        app.register_blueprint(bp)
    assert str(same.value) == (
        "The name 'bp' is already registered for this blueprint."
        " Use 'name=' to provide a unique name."
    )

    parent = fw.Blueprint("parent", __name__)
    parent.register_blueprint(fw.Blueprint("child", __name__))
    app.blueprints["parent.child"] = bp
    with pytest.raises(ValueError) as nested:
        app.register_blueprint(parent)
    assert str(nested.value) == (
        "The name 'child' is already registered for a different blueprint"
        " 'parent.child'. Use 'name=' to provide a unique name."
    )


def test_setup_methods_locked_after_registration(fw) -> None:  # noqa: ANN001
    app = fw.Flask("tests_app")
    bp = fw.Blueprint("bp", __name__)
    app.register_blueprint(bp)
    with pytest.raises(AssertionError, match="blueprint 'bp'"):
        bp.route("/late")(lambda: "")
    with pytest.raises(AssertionError):
        bp.before_app_request(lambda: None)
    with pytest.raises(AssertionError):
        bp.record(lambda state: None)


def test_self_registration_and_dotted_endpoints(fw) -> None:  # noqa: ANN001
    bp = fw.Blueprint("bp", __name__)
    with pytest.raises(ValueError, match="on itself"):
        bp.register_blueprint(bp)
    with pytest.raises(ValueError, match="'endpoint' may not contain a dot"):
        bp.add_url_rule("/", "a.b")

    def view() -> str:
        return ""

    view.__name__ = "a.b"
    with pytest.raises(ValueError, match="'view_func' name may not contain a dot"):
        bp.add_url_rule("/", "fine", view)


def _rules(app) -> list[tuple[str, str, object]]:  # noqa: ANN001
    return sorted(
        (rule.rule, rule.endpoint, rule.subdomain) for rule in app.url_map.iter_rules()
    )


def _nested_app(fw):  # noqa: ANN001, ANN202
    app = fw.Flask("tests_app", subdomain_matching=True, static_folder=None)
    app.config["SERVER_NAME"] = "example.test"
    parent = fw.Blueprint("p", __name__, subdomain="api", url_prefix="/p/")
    children = [
        (fw.Blueprint("k", __name__, subdomain="v1", url_prefix="/k"), {}),
        (fw.Blueprint("k2", __name__), {"url_prefix": "/kk", "subdomain": "s"}),
        (fw.Blueprint("k3", __name__, url_prefix=""), {}),
        (fw.Blueprint("k4", __name__, url_prefix="/x/"), {"name": "renamed"}),
    ]
    for child, options in children:
        child.add_url_rule("/x", "x", lambda: "x")
        child.add_url_rule("", "empty", lambda: "e")
        parent.register_blueprint(child, **options)
    app.register_blueprint(parent)
    app.register_blueprint(parent, name="p2", url_prefix="", subdomain="")
    app.register_blueprint(parent, name="p3", url_defaults={"q": 1})
    return app


def test_nesting_prefixes_and_subdomains() -> None:
    assert _rules(_nested_app(flaskrs)) == _rules(_nested_app(flask))


def test_nested_registration_names(fw) -> None:  # noqa: ANN001
    app = _nested_app(fw)
    assert list(app.blueprints) == [
        "p",
        "p.k",
        "p.k2",
        "p.k3",
        "p.renamed",
        "p2",
        "p2.k",
        "p2.k2",
        "p2.k3",
        "p2.renamed",
        "p3",
        "p3.k",
        "p3.k2",
        "p3.k3",
        "p3.renamed",
    ]


def test_setup_state_subclass_and_record_once(fw) -> None:  # noqa: ANN001
    seen = []

    class State(fw.blueprints.BlueprintSetupState):
        def add_url_rule(self, rule, endpoint=None, view_func=None, **options):  # noqa: ANN001, ANN201
            seen.append(("rule", self.name, rule, sorted(options)))
            super().add_url_rule(rule, endpoint, view_func, **options)

    class BP(fw.Blueprint):
        def make_setup_state(self, app, options, first_registration=False):  # noqa: ANN001, ANN201
            return State(self, app, options, first_registration)

    bp = BP("bp", __name__, url_prefix="/bp", url_defaults={"d": 1})
    bp.record(lambda s: seen.append(("every", s.name, s.first_registration)))
    bp.record_once(lambda s: seen.append(("once", s.name)))
    bp.add_url_rule("/v", "view", lambda d: str(d))
    app = fw.Flask("tests_app")
    app.register_blueprint(bp)
    app.register_blueprint(bp, name="two", url_prefix="/two", url_defaults={"d": 2})
    assert seen == [
        ("every", "bp", True),
        ("once", "bp"),
        ("rule", "bp", "/v", ["provide_automatic_options"]),
        ("every", "two", False),
        ("rule", "two", "/v", ["provide_automatic_options"]),
    ]
    client = app.test_client()
    assert client.get("/bp/v").data == b"1"
    assert client.get("/two/v").data == b"2"


def test_app_wide_hooks_registered_once(fw) -> None:  # noqa: ANN001
    bp = fw.Blueprint("bp", __name__)
    calls = []

    @bp.before_app_request
    def before() -> None:
        calls.append("before")

    @bp.after_app_request
    def after(response):  # noqa: ANN001, ANN202
        calls.append("after")
        return response

    @bp.teardown_app_request
    def teardown(exc) -> None:  # noqa: ANN001
        calls.append("teardown")

    @bp.app_errorhandler(404)
    def missing(e):  # noqa: ANN001, ANN202
        return "app-wide 404", 404

    @bp.app_url_value_preprocessor
    def pre(endpoint, values) -> None:  # noqa: ANN001
        calls.append(("pre", endpoint))

    @bp.app_url_defaults
    def defaults(endpoint, values) -> None:  # noqa: ANN001
        values.setdefault("lang", "en")

    @bp.app_context_processor
    def extra() -> dict[str, str]:
        return {"who": "bp"}

    app = fw.Flask("tests_app")

    @app.get("/<lang>/")
    def page(lang: str) -> str:
        return fw.render_template_string("{{ who }} {{ url_for('page') }}")

    app.register_blueprint(bp)
    app.register_blueprint(bp, name="again")
    assert app.before_request_funcs[None] == [before]
    assert app.url_default_functions[None] == [defaults]

    client = app.test_client()
    assert client.get("/de/").data == b"bp /en/"
    assert calls == [("pre", "page"), "before", "after", "teardown"]
    assert client.get("/x/y/z").data == b"app-wide 404"


def test_app_template_helpers(fw) -> None:  # noqa: ANN001
    bp = fw.Blueprint("bp", __name__)
    bp.add_app_template_filter(str.upper, "up")
    bp.add_app_template_test(str.isdigit, "digits")
    bp.add_app_template_global(len, "size")

    @bp.app_template_filter()
    def rev(s: str) -> str:
        return s[::-1]

    app = fw.Flask("tests_app")
    app.register_blueprint(bp)
    with app.app_context():
        out = fw.render_template_string(
            "{{ 'ab'|up }} {{ 'ab'|rev }} {{ '12' is digits }} {{ size('abc') }}"
        )
    assert out == "AB ba True 3"


def test_error_handlers_scoped_and_copied(fw) -> None:  # noqa: ANN001
    bp = fw.Blueprint("bp", __name__)

    @bp.errorhandler(ZeroDivisionError)
    def zero(e):  # noqa: ANN001, ANN202
        return "bp zero", 500

    @bp.get("/div")
    def div() -> str:
        return str(1 / 0)

    app = fw.Flask("tests_app")

    @app.get("/div")
    def app_div() -> str:
        return str(1 / 0)

    app.register_blueprint(bp, url_prefix="/a")
    app.register_blueprint(bp, url_prefix="/b", name="b")
    assert app.error_handler_spec["bp"] is not app.error_handler_spec["b"]
    assert app.error_handler_spec["bp"][None][ZeroDivisionError] is zero
    client = app.test_client()
    assert client.get("/a/div").data == b"bp zero"
    assert client.get("/b/div").data == b"bp zero"
    assert client.get("/div").status_code == 500
    assert client.get("/div").data != b"bp zero"


def test_endpoint_decorator_is_not_prefixed(fw) -> None:  # noqa: ANN001
    bp = fw.Blueprint("bp", __name__)

    @bp.endpoint("plain")
    def plain() -> str:
        return "plain"

    app = fw.Flask("tests_app")
    app.add_url_rule("/plain", "plain")
    app.register_blueprint(bp)
    assert app.view_functions["plain"] is plain
    assert app.test_client().get("/plain").data == b"plain"


def test_cli_groups(fw) -> None:  # noqa: ANN001
    def make(**kwargs):  # noqa: ANN003, ANN202
        bp = fw.Blueprint("tools", __name__, **kwargs)

        @bp.cli.command("hello")
        def hello() -> None:
            print("hi")

        return bp

    default = fw.Flask("tests_app")
    default.register_blueprint(make())
    assert "tools" in default.cli.commands
    assert "hello" in default.cli.commands["tools"].commands

    flat = fw.Flask("tests_app")
    flat.register_blueprint(make(cli_group=None))
    assert "hello" in flat.cli.commands

    named = fw.Flask("tests_app")
    named.register_blueprint(make(), cli_group="other")
    assert "other" in named.cli.commands

    renamed = fw.Flask("tests_app")
    renamed.register_blueprint(make(), name="alias")
    assert "alias" in renamed.cli.commands

    empty = fw.Flask("tests_app")
    empty.register_blueprint(fw.Blueprint("none", __name__))
    assert "none" not in empty.cli.commands


def test_static_files_and_resources(fw, tmp_path) -> None:  # noqa: ANN001
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "a.txt").write_text("static text")
    (tmp_path / "data.txt").write_text("caf\u00e9", encoding="utf-8")
    bp = fw.Blueprint(
        "assets", __name__, static_folder="static", root_path=str(tmp_path)
    )
    app = fw.Flask("tests_app", static_folder=None)
    app.register_blueprint(bp, url_prefix="/assets")
    client = app.test_client()
    response = client.get("/assets/static/a.txt")
    assert response.data == b"static text"
    assert response.cache_control.max_age is None
    response.close()
    with app.test_request_context():
        assert fw.url_for("assets.static", filename="a.txt") == "/assets/static/a.txt"

    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 60
    response = client.get("/assets/static/a.txt")
    assert response.cache_control.max_age == 60
    response.close()

    with bp.open_resource("data.txt", "r") as f:
        assert f.read() == "caf\u00e9"
    with bp.open_resource("data.txt") as f:
        assert f.read() == "caf\u00e9".encode()
    with pytest.raises(ValueError, match="only be opened for reading"):
        bp.open_resource("data.txt", "w")

    bare = fw.Blueprint("bare", __name__)
    with pytest.raises(RuntimeError, match="'static_folder' must be set"):
        bare.send_static_file("a.txt")


def test_relative_url_for_in_nested_blueprint(fw) -> None:  # noqa: ANN001
    outer = fw.Blueprint("outer", __name__, url_prefix="/o")
    inner = fw.Blueprint("inner", __name__, url_prefix="/i")

    @inner.get("/")
    def index() -> str:
        return f"{fw.request.blueprint} {fw.url_for('.other')}"

    @inner.get("/other")
    def other() -> str:
        return ""

    outer.register_blueprint(inner)
    app = fw.Flask("tests_app")
    app.register_blueprint(outer)
    assert app.test_client().get("/o/i/").data == b"outer.inner /o/i/other"


def test_exported(fw) -> None:  # noqa: ANN001
    assert fw.Blueprint is fw.blueprints.Blueprint
    assert issubclass(fw.Blueprint, fw.sansio.blueprints.Blueprint)
    assert fw.blueprints.BlueprintSetupState is fw.sansio.blueprints.BlueprintSetupState
