"""``flaskrs.routing``: Werkzeug's Map API on the Rust router, checked
against Werkzeug's own ``Map`` as the oracle, and bad input."""

from __future__ import annotations

import typing as t

import pytest
from werkzeug import routing as wz
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.exceptions import NotFound
from werkzeug.test import create_environ

from flaskrs import routing as rs


@pytest.fixture(params=["werkzeug", "flaskrs"])
def mod(request: pytest.FixtureRequest) -> t.Any:
    """The routing module under test; Werkzeug's is the oracle."""
    return wz if request.param == "werkzeug" else rs


def test_rules_stay_werkzeug_rules() -> None:
    url_map = rs.Map([rs.Rule("/a/<int:n>", endpoint="a")])
    (rule,) = url_map.iter_rules()
    assert type(rule) is wz.Rule
    assert rule.map is url_map
    endpoint, values = url_map.bind("h").match("/a/3")
    assert (endpoint, values) == ("a", {"n": 3})
    assert url_map.bind("h").match("/a/3", return_rule=True)[0] is rule


def test_rule_subclass_is_kept() -> None:
    class TaggedRule(wz.Rule):
        tag = "mine"

    url_map = rs.Map([TaggedRule("/t", endpoint="t")])
    rule, _ = url_map.bind("h").match("/t", return_rule=True)
    assert isinstance(rule, TaggedRule) and rule.tag == "mine"


@pytest.mark.parametrize(
    "bad",
    ["/<int:a", "/<int(3:a>", "/<int(x=)>", "no-slash", "/<a>/<a>", "/<nope:a>"],
)
def test_malformed_rules_fail_as_in_werkzeug(bad: str) -> None:
    with pytest.raises(Exception) as theirs:
        wz.Map([wz.Rule(bad, endpoint="x")])
    with pytest.raises(Exception) as ours:
        rs.Map([rs.Rule(bad, endpoint="x")])
    assert type(ours.value) is type(theirs.value)
    assert str(ours.value) == str(theirs.value)


def test_malformed_rule_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="malformed url rule"):
        rs.Map().add(rs.Rule("/<int:a", endpoint="x"))


def test_methods_head_options_and_405(mod: t.Any) -> None:
    url_map = mod.Map(
        [
            mod.Rule("/r", endpoint="get", methods=["GET"]),
            mod.Rule("/r", endpoint="post", methods=["POST"]),
        ]
    )
    a = url_map.bind("h")
    assert a.match("/r", "HEAD") == ("get", {})
    assert a.match("/r", "post") == ("post", {})
    with pytest.raises(MethodNotAllowed) as e:
        a.match("/r", "DELETE")
    assert sorted(e.value.valid_methods or []) == ["GET", "HEAD", "POST"]
    assert sorted(a.allowed_methods("/r")) == ["GET", "HEAD", "POST"]
    assert a.test("/r") and not a.test("/nothing")


def test_strict_slashes_redirect_is_308(mod: t.Any) -> None:
    url_map = mod.Map([mod.Rule("/dir/", endpoint="d")])
    with pytest.raises(wz.RequestRedirect) as e:
        url_map.bind("h", query_args="a=1").match("/dir")
    assert e.value.code == 308
    assert e.value.new_url == "http://h/dir/?a=1"


def test_merge_slashes(mod: t.Any) -> None:
    url_map = mod.Map([mod.Rule("/a/b", endpoint="ab")])
    with pytest.raises(wz.RequestRedirect) as e:
        url_map.bind("h").match("/a//b")
    assert e.value.new_url == "http://h/a/b"
    url_map.merge_slashes = False
    url_map.add(mod.Rule("/c", endpoint="c"))
    with pytest.raises(NotFound):
        url_map.bind("h").match("/a//b")


def test_defaults_redirect_to_and_build_only(mod: t.Any) -> None:
    url_map = mod.Map(
        [
            mod.Rule("/page/", endpoint="page", defaults={"n": 1}),
            mod.Rule("/page/<int:n>", endpoint="page"),
            mod.Rule("/old/<int:n>", redirect_to="/page/<n>"),
            mod.Rule("/fn/<int:n>", redirect_to=lambda _a, n: f"/page/{n + 1}"),
            mod.Rule("/ext", endpoint="ext", build_only=True),
        ]
    )
    a = url_map.bind("h")
    assert a.match("/page/") == ("page", {"n": 1})
    with pytest.raises(wz.RequestRedirect) as e:
        a.match("/page/1")
    assert e.value.new_url == "http://h/page/"
    with pytest.raises(wz.RequestRedirect) as e:
        a.match("/old/4")
    assert e.value.new_url == "http://h/page/4"
    with pytest.raises(wz.RequestRedirect) as e:
        a.match("/fn/4")
    assert e.value.new_url == "http://h/page/5"
    with pytest.raises(NotFound):
        a.match("/ext")
    assert a.build("ext") == "/ext"
    assert a.build("page", {"n": 1}) == "/page/"
    assert a.build("page", {"n": 2}) == "/page/2"


def test_build_query_anchor_scheme_and_multidict(mod: t.Any) -> None:
    url_map = mod.Map([mod.Rule("/u/<name>", endpoint="u")])
    a = url_map.bind("example.org", "/app")
    values = MultiDict([("name", "ä b"), ("tag", "x"), ("tag", "y&z")])
    assert a.build("u", values) == "/app/u/%C3%A4%20b?tag=x&tag=y%26z"
    assert (
        a.build("u", {"name": "n"}, force_external=True, url_scheme="https")
        == "https://example.org/app/u/n"
    )
    assert a.build("u", {"name": "n", "q": None}) == "/app/u/n"
    with pytest.raises(wz.BuildError):
        a.build("u", {})
    with pytest.raises(wz.BuildError):
        a.build("missing")


def test_converter_map_options(mod: t.Any) -> None:
    url_map = mod.Map(strict_slashes=False, default_subdomain="www")
    url_map.add(mod.Rule("/s/", endpoint="s"))
    assert url_map.converters["int"] is wz.IntegerConverter
    assert url_map.default_subdomain == "www"
    assert url_map.bind("h", subdomain="www").match("/s") == ("s", {})


def test_websocket_rules(mod: t.Any) -> None:
    url_map = mod.Map([mod.Rule("/ws", endpoint="ws", websocket=True)])
    assert url_map.bind("h", url_scheme="ws").match("/ws") == ("ws", {})
    with pytest.raises(wz.WebsocketMismatch):
        url_map.bind("h").match("/ws")
    assert url_map.bind("h").build("ws") == "ws://h/ws"


class TwoLetters(wz.BaseConverter):
    """A converter written in Python: its regex runs in Rust, its
    to_python and to_url are called back."""

    regex = "[a-z]{2}"
    weight = 80

    def to_python(self, value: str) -> str:
        if value == "zz":
            raise wz.ValidationError()
        return value.upper()

    def to_url(self, value: str) -> str:
        return value.lower()


class Rest(wz.BaseConverter):
    regex = "[a-z/]+"
    part_isolating = False


def test_custom_converters(mod: t.Any) -> None:
    url_map = mod.Map(
        [
            mod.Rule("/c/<two:code>", endpoint="code"),
            mod.Rule("/c/<name>", endpoint="name"),
            mod.Rule("/r/<rest:tail>/end", endpoint="rest"),
        ],
        converters={"two": TwoLetters, "rest": Rest},
    )
    a = url_map.bind("h")
    assert a.match("/c/ab") == ("code", {"code": "AB"})
    # A ValidationError from to_python ends the match with a 404.
    with pytest.raises(NotFound):
        a.match("/c/zz")
    assert a.match("/c/abc") == ("name", {"name": "abc"})
    assert a.match("/r/a/b/end") == ("rest", {"tail": "a/b"})
    assert a.build("code", {"code": "XY"}) == "/c/xy"


# Paths as a WSGI server hands them over: latin-1 code points for bytes.
BAD_PATHS = [
    "/%",
    "/%zz/%4",
    "/a%00b",
    "/\x00",
    "/\xff\xfe",
    "/\xc3(",
    "/" + "a" * 65536,
    "/" + "%ff" * 20000,
    "/" + "/" * 5000,
    "/a/" + "x/" * 10000,
]


@pytest.mark.parametrize("path", BAD_PATHS, ids=range(len(BAD_PATHS)))
def test_bad_paths_give_404_or_redirect(path: str) -> None:
    url_map = rs.Map(
        [
            rs.Rule("/", endpoint="root"),
            rs.Rule("/a/", endpoint="a"),
            rs.Rule("/a/<path:rest>", endpoint="rest"),
            rs.Rule("/<int:n>", endpoint="n"),
        ]
    )
    environ = create_environ()
    environ["PATH_INFO"] = path
    adapter = url_map.bind_to_environ(environ)
    try:
        adapter.match()
    except (NotFound, wz.RequestRedirect):
        pass
    except HTTPException as e:  # pragma: no cover - the failure message
        pytest.fail(f"{type(e).__name__} for a bad path")


def test_bad_paths_agree_with_werkzeug() -> None:
    def make(module: t.Any) -> t.Any:
        rules = [module.Rule("/a/<path:rest>", endpoint="r")]
        return module.Map([*rules, module.Rule("/", endpoint="x")])

    theirs, ours = make(wz), make(rs)
    for path in BAD_PATHS:
        environ = create_environ()
        environ["PATH_INFO"] = path
        results = []
        for url_map in (theirs, ours):
            try:
                results.append(url_map.bind_to_environ(environ).match())
            except HTTPException as e:
                results.append(type(e).__name__)
        assert results[0] == results[1], path[:40]


HOSTS = ["Example.COM", "ä.example.com", "a..b", "x" * 70 + ".com", "ex.com:80"]
HOSTS += ["sub.example.com", "xn--zz.com", "\udcff"]


@pytest.mark.filterwarnings("ignore:Current server name")
@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize("server_name", [None, "example.com", "EXAMPLE.com:80"])
@pytest.mark.parametrize("subdomain", [None, ""])
def test_bind_to_environ_hosts_as_in_werkzeug(
    host: str, server_name: str | None, subdomain: str | None
) -> None:
    def bound(module: t.Any) -> t.Any:
        url_map = module.Map(
            [
                module.Rule("/", endpoint="root"),
                module.Rule("/", endpoint="sub", subdomain="<x>"),
            ]
        )
        environ = create_environ("/", "http://localhost/")
        environ["HTTP_HOST"] = host
        try:
            adapter = url_map.bind_to_environ(environ, server_name, subdomain)
            return adapter.server_name, adapter.subdomain, adapter.match("/")
        except HTTPException as e:
            return type(e).__name__

    assert bound(rs) == bound(wz)


def test_repeated_builds_follow_the_adapter_and_the_rules() -> None:
    """The same build on adapters that differ, repeated, and again after
    the endpoint gained a rule, answers as Werkzeug does."""

    def adapters(module: t.Any) -> tuple[t.Any, list[t.Any]]:
        url_map = module.Map([module.Rule("/p/<int:n>", endpoint="p")])
        return url_map, [
            url_map.bind("example.org"),
            url_map.bind("example.org", "/app"),
            url_map.bind("other.org", url_scheme="https"),
            url_map.bind("example.org", subdomain="api"),
        ]

    (theirs, their_adapters), (ours, our_adapters) = adapters(wz), adapters(rs)
    calls = [
        ("p", {"n": 3}),
        ("p", {"n": 3, "q": "x y"}),
        ("p", {"n": "3"}),
        ("p", {"n": 3, "q": None}),
        ("p", {"q": "x", "n": 3}),
    ]
    for _ in range(2):
        for a, b in zip(their_adapters, our_adapters):
            for endpoint, values in calls:
                for external in (False, True):
                    assert b.build(endpoint, values, force_external=external) == (
                        a.build(endpoint, values, force_external=external)
                    )
    # A new rule for the endpoint, preferred by Werkzeug's build order.
    for url_map, module in ((theirs, wz), (ours, rs)):
        # More arguments: built first, with m from its default.
        url_map.add(
            module.Rule("/first/<int:n>/<int:m>", endpoint="p", defaults={"m": 1})
        )
    built = their_adapters[0].build("p", {"n": 3})
    assert built == "/first/3/1"
    assert our_adapters[0].build("p", {"n": 3}) == built


class Counting(wz.BaseConverter):
    """A converter whose URL text changes from call to call."""

    calls = 0

    def to_url(self, value: t.Any) -> str:
        Counting.calls += 1
        return f"{value}-{Counting.calls}"


def test_python_converters_are_asked_on_every_build() -> None:
    url_map = rs.Map(
        [rs.Rule("/c/<count:v>", endpoint="c")], converters={"count": Counting}
    )
    adapter = url_map.bind("h")
    assert adapter.build("c", {"v": "a"}) != adapter.build("c", {"v": "a"})


def test_values_of_other_types_build_as_werkzeug_does() -> None:
    class Text(str):
        pass

    results = []
    for module in (wz, rs):
        adapter = module.Map([module.Rule("/v/<v>", endpoint="v")]).bind("h")
        results.append(
            [
                adapter.build("v", {"v": value})
                for value in (True, 1, "1", Text("1"), 1.5, b"x")
            ]
        )
    assert results[0] == results[1]


class Nested(wz.BaseConverter):
    """A converter that builds another URL of the same map while its own
    URL is being built."""

    adapter: t.Any = None

    def to_url(self, value: t.Any) -> str:
        inner = Nested.adapter.build("plain", {"v": f"{value}x"})
        return f"{value}{inner.count('/')}"


def test_a_converter_may_build_urls_while_one_is_built(mod: t.Any) -> None:
    url_map = mod.Map(
        [
            mod.Rule("/plain/<v>/deep", endpoint="plain"),
            mod.Rule("/n/<nested:v>/tail", endpoint="n"),
        ],
        converters={"nested": Nested},
    )
    Nested.adapter = url_map.bind("h", "/app")
    assert Nested.adapter.build("n", {"v": "ab", "q": 1}) == "/app/n/ab4/tail?q=1"
    assert Nested.adapter.build("plain", {"v": "z"}) == "/app/plain/z/deep"
