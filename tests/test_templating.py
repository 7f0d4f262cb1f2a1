"""Templates: the app's Jinja environment, the dispatching loader and the
render and stream functions, on flaskrs and on Flask."""

from __future__ import annotations

import importlib
import types
import typing as t
from pathlib import Path

import jinja2
import jinja2.nodes
import jinja2.runtime
import markupsafe
import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from jinja2 import TemplateNotFound
from markupsafe import Markup


def templating(fw: types.ModuleType) -> types.ModuleType:
    return importlib.import_module(f"{fw.__name__}.templating")


def write(folder: Path, name: str, text: str) -> None:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def tapp(fw: types.ModuleType, tmp_path: Path):  # noqa: ANN201
    """An app whose template folder is a fresh temporary folder."""
    write(tmp_path / "templates", "hello.html", "Hello {{ name }}!")
    app = fw.Flask("tests_app", root_path=str(tmp_path))
    app.config["TESTING"] = True
    return app


def test_render_template_and_string(tapp, fw) -> None:  # noqa: ANN001
    with tapp.app_context():
        assert fw.render_template("hello.html", name="<b>") == "Hello &lt;b&gt;!"
        assert fw.render_template_string("{{ 1 + x }}", x=2) == "3"
        # Strings are escaped like HTML templates.
        assert fw.render_template_string("{{ s }}", s="<i>") == "&lt;i&gt;"


def test_template_list_picks_first_existing(tapp, fw) -> None:  # noqa: ANN001
    with tapp.app_context():
        out = fw.render_template(["missing.html", "hello.html"], name="x")
        assert out == "Hello x!"

        with pytest.raises(TemplateNotFound):
            fw.render_template("missing.html")


def test_default_context_has_request_session_g(tapp, fw) -> None:  # noqa: ANN001
    tapp.secret_key = "secret"

    @tapp.route("/<word>")
    def view(word: str) -> str:
        fw.g.word = word
        fw.session["seen"] = "yes"
        return fw.render_template_string(
            "{{ request.path }} {{ g.word }} {{ session.seen }} {{ config.TESTING }}"
        )

    assert tapp.test_client().get("/hi").data == b"/hi hi yes True"


def test_default_processor_outside_request(tapp, fw) -> None:  # noqa: ANN001
    processor = templating(fw)._default_template_ctx_processor
    assert processor() == {}

    with tapp.app_context():
        assert set(processor()) == {"g"}

    with tapp.test_request_context():
        # The session stays out: reading it would mark it accessed.
        assert set(processor()) == {"g", "request"}


def test_context_processor_and_explicit_values(tapp, fw) -> None:  # noqa: ANN001
    @tapp.context_processor
    def extra() -> dict[str, str]:
        return {"who": "processor", "other": "o"}

    with tapp.test_request_context():
        # A value passed to the render call wins over a processor's.
        out = fw.render_template_string("{{ who }} {{ other }}", who="caller")
        assert out == "caller o"


def test_environment_and_loader_types(tapp, fw) -> None:  # noqa: ANN001
    module = templating(fw)
    env = tapp.jinja_env
    assert isinstance(env, module.Environment)
    assert env.app is tapp
    assert isinstance(env.loader, module.DispatchingJinjaLoader)
    assert env.loader.app is tapp


def test_environment_keeps_given_loader(tapp, fw) -> None:  # noqa: ANN001
    from jinja2 import DictLoader

    loader = DictLoader({"a": "b"})
    env = templating(fw).Environment(tapp, loader=loader)
    assert env.loader is loader
    assert env.get_template("a").render() == "b"


def test_blueprint_templates_after_app(fw, tmp_path: Path) -> None:  # noqa: ANN001
    write(tmp_path / "app_t", "shared.html", "app")
    write(tmp_path / "one_t", "shared.html", "one")
    write(tmp_path / "one_t", "only_one.html", "one-only")
    write(tmp_path / "two_t", "only_one.html", "two")
    write(tmp_path / "two_t", "only_two.html", "two-only")

    app = fw.Flask("tests_app", root_path=str(tmp_path), template_folder="app_t")
    one = fw.Blueprint("one", __name__, template_folder=str(tmp_path / "one_t"))
    two = fw.Blueprint("two", __name__, template_folder=str(tmp_path / "two_t"))
    app.register_blueprint(one)
    app.register_blueprint(two)

    with app.app_context():
        assert fw.render_template("shared.html") == "app"
        # Blueprints are searched in the order they were registered.
        assert fw.render_template("only_one.html") == "one-only"
        assert fw.render_template("only_two.html") == "two-only"

    names = app.jinja_env.loader.list_templates()
    assert sorted(names) == ["only_one.html", "only_two.html", "shared.html"]


def test_loader_without_any_folder(fw) -> None:  # noqa: ANN001
    app = fw.Flask("tests_app", template_folder=None)

    with app.app_context(), pytest.raises(TemplateNotFound):
        fw.render_template("x.html")

    assert app.jinja_env.loader.list_templates() == []


def test_stream_template_keeps_request(tapp, fw) -> None:  # noqa: ANN001
    write(Path(tapp.root_path) / "templates", "s.html", "{{ request.args.q }}-{{ n }}")

    @tapp.route("/s")
    def stream():
        return fw.stream_template("s.html", n=1)

    @tapp.route("/ss")
    def stream_string():
        return fw.stream_template_string(
            "{% for i in r %}{{ i }}{% endfor %}", r=range(3)
        )

    client = tapp.test_client()
    assert client.get("/s?q=z").data == b"z-1"
    assert client.get("/ss").data == b"012"


def test_stream_outside_request_is_plain_iterator(tapp, fw) -> None:  # noqa: ANN001
    with tapp.app_context():
        stream = fw.stream_template_string("{{ a }}{{ b }}", a=1, b=2)
        assert "".join(stream) == "12"


def test_signals_carry_template_and_context(tapp, fw) -> None:  # noqa: ANN001
    seen: list[tuple[str, object, str, object]] = []

    def before(sender, template, context):  # noqa: ANN001, ANN202
        seen.append(("before", sender, template.name, context["name"]))

    def after(sender, template, context):  # noqa: ANN001, ANN202
        seen.append(("after", sender, template.name, context["name"]))

    with fw.before_render_template.connected_to(before, tapp):
        with fw.template_rendered.connected_to(after, tapp), tapp.app_context():
            fw.render_template("hello.html", name="n")
            "".join(fw.stream_template("hello.html", name="s"))

    assert seen == [
        ("before", tapp, "hello.html", "n"),
        ("after", tapp, "hello.html", "n"),
        ("before", tapp, "hello.html", "s"),
        ("after", tapp, "hello.html", "s"),
    ]


def test_explain_template_loading_still_finds(tapp, fw) -> None:  # noqa: ANN001
    tapp.config["EXPLAIN_TEMPLATE_LOADING"] = True

    with tapp.app_context():
        assert fw.render_template("hello.html", name="e") == "Hello e!"

        with pytest.raises(TemplateNotFound):
            fw.render_template("nope.html")


def test_template_filter_and_global(tapp, fw) -> None:  # noqa: ANN001
    @tapp.template_filter()
    def shout(s: str) -> str:
        return s.upper()

    @tapp.template_global()
    def answer() -> int:
        return 42

    with tapp.app_context():
        assert fw.render_template_string("{{ 'a'|shout }}{{ answer() }}") == "A42"


@pytest.mark.parametrize(
    "source",
    [
        "{{ d.name }}",
        "{{ d.items }}",
        "{{ d.missing }}",
        "{{ d.missing is defined }}",
        "{{ d.keys()|list }}",
        "{{ d.get('name') }}",
        "{{ d.__class__ }}",
        "{{ x.name }}",
        "{{ x.other }}",
        "{% for i in [d, d] %}{{ i.name }}{{ loop.cycle('a', 'b') }}{% endfor %}",
    ],
)
def test_attribute_lookup_in_templates_as_flask(source: str) -> None:
    import flask

    import flaskrs

    class Thing:
        name = "thing"

    # One dict for both: the repr of its bound methods shows its address.
    d = {"name": "<n>", "items": 1}
    answers = []
    for fw in (flaskrs, flask):
        with fw.Flask("a").app_context():
            answers.append(fw.render_template_string(source, d=d, x=Thing()))
    assert answers[0] == answers[1]


class _Html:
    def __html__(self) -> str:
        return "<i>kept</i>"


@settings(max_examples=300, deadline=None)
@given(
    value=st.text()
    | st.integers()
    | st.floats()
    | st.booleans()
    | st.none()
    | st.text().map(Markup)
    | st.just(_Html())
    | st.lists(st.text(max_size=3), max_size=2)
)
def test_template_escape_is_markupsafes(value: object) -> None:
    from flaskrs._template_runtime import _escape

    ours = _escape(value)
    assert type(ours) is Markup
    assert ours == markupsafe.escape(value)


def test_templates_escape_output_as_flask() -> None:
    import flask

    import flaskrs

    source = "{{ a }}|{{ b }}|{{ c }}|{{ d }}|{{ e }}|{{ f }}"
    values = {
        "a": "<&'\">",
        "b": 1.5,
        "c": 10**30,
        "d": Markup("<b>"),
        "e": _Html(),
        "f": True,
    }
    answers = []
    for fw in (flaskrs, flask):
        with fw.Flask("a").app_context():
            answers.append(fw.render_template_string(source, **values))
    assert answers[0] == answers[1]


class _Greeter:
    prefix = "hi "

    def greet(self, who: str) -> str:
        return self.prefix + who

    @jinja2.pass_context
    def __call__(self, context: jinja2.runtime.Context, key: str) -> str:
        return f"{key}={context.get(key)}"


@jinja2.pass_context
def _lookup(context: jinja2.runtime.Context, key: str) -> str:
    return f"{key}={context.get(key)}"


@jinja2.pass_eval_context
def _autoescaping(eval_ctx: jinja2.nodes.EvalContext) -> str:
    return f"autoescape={eval_ctx.autoescape}"


@jinja2.pass_environment
def _env_kind(env: jinja2.Environment) -> str:
    return f"sandboxed={env.sandboxed}"


def _stop() -> str:
    raise StopIteration


def _own_call(key: str) -> str:
    return "plain"


# A function given its own __call__ is called the way Jinja decides.
_own_call.__call__ = _lookup  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "source",
    [
        "{{ greeter.greet('<a>') }}",
        "{{ greeter('who') }}",
        "{{ lookup('who') }}",
        "{% for who in ['x', 'y'] %}{{ lookup('who') }}{% endfor %}",
        "{% set who = 'set' %}{{ lookup('who') }}",
        "{{ autoescaping() }}",
        "{{ env_kind() }}",
        "{{ stop() is defined }}|{{ stop() }}",
        "{{ own_call('who') }}",
        "{{ ','.join(['a', '<b>']) }}",
        "{{ range(3)|list }}|{{ len([1, 2]) }}",
        "{% for i in 'ab' %}{{ loop.cycle(1, 2) }}{{ loop.index }}{% endfor %}",
        "{% macro m(x) %}[{{ x }}]{% endmacro %}{{ m('<m>') }}",
        "{{ greeter.greet(who='k') }}",
        "{{ dict(obj=1, context=2, args=3)|dictsort }}",
        "{% for i in [1] %}{{ dict(obj=i, _x=2)|dictsort }}{% endfor %}",
    ],
)
def test_calls_in_templates_as_flask(source: str) -> None:
    import flask

    import flaskrs

    values = {
        "greeter": _Greeter(),
        "lookup": _lookup,
        "autoescaping": _autoescaping,
        "env_kind": _env_kind,
        "stop": _stop,
        "own_call": _own_call,
        "len": len,
        "who": "<outer>",
    }
    answers = []
    for fw in (flaskrs, flask):
        with fw.Flask("a").app_context():
            answers.append(fw.render_template_string(source, **values))
    assert answers[0] == answers[1]


def test_template_globals_resolve_as_flask(tmp_path: Path) -> None:
    import flask

    import flaskrs

    write(tmp_path / "templates", "g.html", "{{ a }}|{{ b }}|{{ c }}|{{ d }}")
    answers = []
    for fw in (flaskrs, flask):
        app = fw.Flask("a", root_path=str(tmp_path))
        app.jinja_env.globals.update(a="env-a", b="env-b", c="env-c")
        with app.app_context():
            template = app.jinja_env.get_template("g.html", globals={"b": "tpl-b"})
            # Globals added after loading still reach the template.
            app.jinja_env.globals["d"] = "late-d"
            first = template.render(c="var-c")
            context = template.new_context({"c": 1})
            answers.append(
                (
                    first,
                    list(context.parent),
                    [context.parent[name] for name in "abcd"],
                    sorted(context.globals_keys),
                    template.render(),
                    fw.render_template("g.html", a="view-a"),
                )
            )
    assert answers[0] == answers[1]
    with pytest.raises(TypeError):
        template.render({1: "not a name"})


class _Item:
    def __init__(self, name: str) -> None:
        self.name = name

    @property
    def broken(self) -> str:
        raise ValueError("a property that fails")

    def __getitem__(self, key: str) -> str:
        return f"item[{key}]"


_CORPUS = [
    "{{ s }}|{{ n }}|{{ f }}|{{ big }}|{{ b }}|{{ none }}|{{ m }}|{{ h }}|{{ lst }}",
    "{{ s|safe }}{{ s|e }}{{ s|upper }}{{ m|lower }}{{ '%s'|format(s) }}",
    "{% autoescape false %}{{ s }}{{ m }}{% endautoescape %}{{ s }}",
    "{% set x %}<{{ s }}>{% endset %}{{ x }}|{{ x|length }}",
    "{% macro m2(a) %}<{{ a }}>{{ caller() if caller }}{% endmacro %}"
    "{{ m2(s) }}{% call m2('c') %}[{{ s }}]{% endcall %}",
    "{% filter upper %}{{ s }}&{% endfilter %}",
    "{% for i in lst recursive %}{{ loop.index }}{{ loop.cycle('a', s) }}"
    "{{ loop.changed(i) }}{{ loop.previtem }}{% if i is iterable %}"
    "{{ loop(i) }}{% endif %}{% endfor %}",
    "{% set ns = namespace(t=0) %}{% for i in [1, 2, 3] %}"
    "{% set ns.t = ns.t + i %}{{ lookup('i') }}{% endfor %}{{ ns.t }}",
    "{{ obj.name }}{{ obj.missing }}{{ obj['k'] }}{{ obj.missing is defined }}",
    "{{ d.items }}{{ d.keys()|list }}{{ d.name }}{{ d['name'] }}{{ d.nope }}",
    "{{ undefined_thing }}{{ undefined_thing is defined }}",
    "{{ [s, m]|join(',') }}{{ s ~ m }}{{ (s ~ m)|length }}",
    "{{ range(3)|map('string')|join }}{{ lst|selectattr('real')|list }}",
    "{{ dict(a=s).a }}{{ cycler('x', 'y').next() }}{{ joiner(',')() }}",
    "{% for k, v in d|dictsort %}{{ k }}={{ v }};{% endfor %}",
    "{% if n > 1 %}{{ n * f }}{% else %}{{ -n }}{% endif %}",
    "{% with a = s %}{{ a }}{% endwith %}{{ s.startswith('<') }}",
    "{{ url_for('page', q=s) }}{{ config.TESTING }}{{ g.get('x', s) }}",
]


@pytest.mark.parametrize("source", _CORPUS)
def test_template_corpus_renders_as_flask(source: str) -> None:
    import flask

    import flaskrs

    values = {
        "s": "<a & 'b' \"c\">",
        "n": 3,
        "f": 2.5,
        "big": 10**40,
        "b": True,
        "none": None,
        "m": Markup("<i>safe</i>"),
        "h": _Html(),
        "lst": [1, [2, 3], 4],
        "obj": _Item("<obj>"),
        "d": {"name": "<d>", "items": "shadowed"},
        "lookup": _lookup,
    }
    answers = []
    for fw in (flaskrs, flask):
        app = fw.Flask("a")
        app.config["TESTING"] = True
        app.add_url_rule("/page", "page", lambda: "")
        with app.test_request_context():
            whole = fw.render_template_string(source, **values)
            streamed = "".join(fw.stream_template_string(source, **values))
            answers.append((whole, streamed))
    assert answers[0] == answers[1]
    assert answers[0][0] == answers[0][1]


def test_template_errors_as_flask() -> None:
    import flask

    import flaskrs

    for fw in (flaskrs, flask):
        with fw.Flask("a").app_context():
            with pytest.raises(ValueError, match="a property that fails"):
                fw.render_template_string("{{ obj.broken }}", obj=_Item("x"))
            with pytest.raises(TypeError):
                fw.render_template_string("{{ f(1, 2) }}", f=len)


def test_environment_overrides_are_honoured() -> None:
    import jinja2.runtime

    import flaskrs
    from flaskrs.templating import Environment

    calls = []

    class LoggingContext(jinja2.runtime.Context):
        def call(__self, __obj, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202, N805
            calls.append("call")
            return super().call(__obj, *args, **kwargs)

    class MyEnvironment(Environment):
        context_class = LoggingContext

        def getattr(self, obj: t.Any, attribute: str) -> t.Any:
            calls.append(attribute)
            return super().getattr(obj, attribute)

    class MyFlask(flaskrs.Flask):
        jinja_environment = MyEnvironment

    app = MyFlask("a")
    with app.app_context():
        out = flaskrs.render_template_string(
            "{{ d.k }}{{ f() }}", d={"k": "<v>"}, f=lambda: 1
        )
    assert out == "&lt;v&gt;1"
    assert calls == ["k", "call"]


@pytest.mark.parametrize("kind", ["async", "sandboxed"])
def test_async_and_sandboxed_environments_render_as_flask(kind: str) -> None:
    import flask
    from jinja2.sandbox import SandboxedEnvironment

    import flaskrs

    source = (
        "{% for i in items %}{{ loop.cycle('a', 'b') }}{{ i.name }}{{ f(i) }}"
        "{% endfor %}{{ m }}{{ f.__globals__ is defined }}"
    )
    answers = []
    for fw in (flaskrs, flask):
        app = fw.Flask("a")
        if kind == "async":
            app.jinja_options = {"enable_async": True}
        else:

            class Sandboxed(fw.templating.Environment, SandboxedEnvironment):  # type: ignore[name-defined, misc]
                pass

            app.jinja_environment = Sandboxed
        with app.app_context():
            answers.append(
                fw.render_template_string(
                    source,
                    items=[{"name": "<x>"}, {"name": "y"}],
                    f=lambda i: str(i).upper(),
                    m=Markup("<b>"),
                )
            )
    assert answers[0] == answers[1]
