"""The Rust router against Werkzeug's own ``Map``, on generated rule tables
and requests: the same match, redirect, 404, 405 and the same built URLs."""

from __future__ import annotations

import os
import typing as t
import uuid

import pytest
from hypothesis import event
from hypothesis import given
from hypothesis import HealthCheck
from hypothesis import settings
from hypothesis import strategies as st
from werkzeug import routing as wz
from werkzeug.exceptions import HTTPException

from flaskrs import routing as rs

# Static words mix ASCII, unicode, characters that need quoting and ones
# that clash with converters' alphabets (digits, hex, dots).
WORDS = ["a", "b", "users", "ä", "日本", "x y", "1", "42", "ab.c", "-", "%", "~"]
CONVERTERS = [
    "{n}",
    "string:{n}",
    "string(minlength=2):{n}",
    "string(length=2):{n}",
    "int:{n}",
    "int(signed=True):{n}",
    "int(fixed_digits=3):{n}",
    "int(min=5, max=50):{n}",
    "float:{n}",
    "float(signed=True):{n}",
    "uuid:{n}",
    "any(a, b, 'ä'):{n}",
    "path:{n}",
]
METHODS = ["GET", "POST", "PUT", "DELETE"]
SEGMENT_TEXT = [
    "a",
    "b",
    "users",
    "ä",
    "%C3%A4",
    "日本",
    "x y",
    "x%20y",
    "1",
    "42",
    "007",
    "-3",
    "1.5",
    "-0.25",
    "ab.c",
    "",
    "%",
    "%zz",
    "%2F",
    "~",
    "\x00",
    str(uuid.UUID(int=7)),
    str(uuid.UUID(int=7)).upper(),
]


@st.composite
def rule_strings(draw: st.DrawFn) -> str:
    parts = []
    for i in range(draw(st.integers(0, 4))):
        if draw(st.booleans()):
            parts.append(draw(st.sampled_from(WORDS)))
        else:
            conv = draw(st.sampled_from(CONVERTERS)).format(n=f"v{i}")
            prefix = draw(st.sampled_from(["", "", "p-", "."]))
            parts.append(f"{prefix}<{conv}>")
    rule = "/" + "/".join(parts)
    if parts and draw(st.booleans()):
        rule += "/"
    return rule


class RuleSpec(t.NamedTuple):
    rule: str
    endpoint: str
    methods: tuple[str, ...] | None
    strict_slashes: bool | None
    websocket: bool
    defaults: dict[str, t.Any] | None

    def make(self, module: t.Any) -> t.Any:
        return module.Rule(
            self.rule,
            endpoint=self.endpoint,
            methods=self.methods,
            strict_slashes=self.strict_slashes,
            websocket=self.websocket,
            defaults=self.defaults,
        )


@st.composite
def rule_specs(draw: st.DrawFn, index: int) -> RuleSpec:
    methods = draw(
        st.none() | st.lists(st.sampled_from(METHODS), min_size=1, unique=True)
    )
    websocket = draw(st.booleans()) if draw(st.integers(0, 9)) == 0 else False
    defaults = None
    if draw(st.integers(0, 5)) == 0:
        defaults = {"page": draw(st.integers(1, 3))}
    return RuleSpec(
        rule=draw(rule_strings()),
        # Some endpoints are shared so that building has to choose.
        endpoint=f"e{draw(st.integers(0, index))}",
        methods=tuple(methods) if methods and not websocket else None,
        strict_slashes=draw(st.sampled_from([None, True, False])),
        websocket=websocket,
        defaults=defaults,
    )


@st.composite
def tables(draw: st.DrawFn) -> list[RuleSpec]:
    size = draw(st.integers(1, 8))
    return [draw(rule_specs(i)) for i in range(size)]


@st.composite
def paths(draw: st.DrawFn) -> str:
    segments = draw(st.lists(st.sampled_from(SEGMENT_TEXT), max_size=5))
    path = "/".join(segments)
    lead = draw(st.sampled_from(["/", "/", "//", ""]))
    tail = draw(st.sampled_from(["", "", "/", "//"]))
    return lead + path + tail


FILLERS = [*SEGMENT_TEXT, "5", "12", "a/b", "2.5", "a", "b", "ä"]


@st.composite
def paths_near(draw: st.DrawFn, rule: str) -> str:
    """A path written from a rule: each variable filled with text that may
    or may not suit its converter, slashes doubled or dropped at times."""
    out, rest = [], rule
    while "<" in rest:
        before, _, after = rest.partition("<")
        out.append(before)
        rest = after.partition(">")[2]
        out.append(draw(st.sampled_from(FILLERS)))
    out.append(rest)
    path = "".join(out)
    change = draw(st.sampled_from(["", "", "add /", "drop /", "drop /", "double"]))
    if change == "add /":
        path += "/"
    elif change == "drop /" and path.endswith("/"):
        path = path[:-1]
    elif change == "double":
        # The last slash: leading ones are stripped before matching.
        cut = path.rfind("/")
        path = path[:cut] + "/" + path[cut:]
    return path


def make_map(module: t.Any, specs: list[RuleSpec], **options: t.Any) -> t.Any:
    url_map = module.Map(**options)
    for spec in specs:
        url_map.add(spec.make(module))
    return url_map


def outcome(fn: t.Callable[..., t.Any], *args: t.Any, **kw: t.Any) -> tuple[t.Any, ...]:
    """What a caller sees of ``fn(*args, **kw)``: the result, or the
    exception's kind and details."""
    try:
        return ("ok", fn(*args, **kw))
    except wz.RequestRedirect as e:
        return ("redirect", e.new_url, e.code)
    except HTTPException as e:
        allowed = sorted(getattr(e, "valid_methods", None) or [])
        return (type(e).__name__, e.code, allowed)
    except wz.BuildError as e:
        return ("BuildError", e.endpoint, e.method)
    except Exception as e:  # noqa: BLE001 - the kind is what is compared
        return (type(e).__name__,)


def tables_agree(specs: list[RuleSpec], **options: t.Any) -> tuple[t.Any, t.Any]:
    """Both maps, or the same error from both when the table is invalid."""
    theirs = outcome(make_map, wz, specs, **options)
    ours = outcome(make_map, rs, specs, **options)
    assert theirs[0] == ours[0], (theirs, ours)
    if theirs[0] != "ok":
        assert theirs == ours
        return None, None
    return theirs[1], ours[1]


# `make fuzz` raises it (FLASKRS_FUZZ_EXAMPLES) for a long run.
SETTINGS = settings(
    max_examples=int(os.environ.get("FLASKRS_FUZZ_EXAMPLES", "400")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@SETTINGS
@given(
    specs=tables(),
    data=st.data(),
    merge_slashes=st.booleans(),
    strict_slashes=st.booleans(),
    websocket=st.booleans(),
)
def test_match_agrees(
    specs: list[RuleSpec],
    data: st.DataObject,
    merge_slashes: bool,
    strict_slashes: bool,
    websocket: bool,
) -> None:
    theirs, ours = tables_agree(
        specs, merge_slashes=merge_slashes, strict_slashes=strict_slashes
    )
    if theirs is None:
        return
    some_path = st.one_of(paths(), *(paths_near(spec.rule) for spec in specs))
    requests = data.draw(
        st.lists(
            st.tuples(some_path, st.sampled_from([*METHODS, "HEAD", "OPTIONS"])),
            min_size=1,
            max_size=8,
        )
    )
    scheme = "ws" if websocket else "http"
    a = theirs.bind("example.org", "/", url_scheme=scheme, query_args="q=1")
    b = ours.bind("example.org", "/", url_scheme=scheme, query_args="q=1")
    for path, method in requests:
        for return_rule in (False, True):
            expected = outcome(a.match, path, method, return_rule=return_rule)
            got = outcome(b.match, path, method, return_rule=return_rule)
            if return_rule and expected[0] == "ok":
                # Distinct Rule objects of two maps: compare what they are.
                expected = ("ok", (expected[1][0].rule, expected[1][1]))
                got = ("ok", (got[1][0].rule, got[1][1])) if got[0] == "ok" else got
            assert got == expected, (path, method)
            event(f"match: {expected[0]}")


value_for: dict[str, st.SearchStrategy[t.Any]] = {
    "text": st.sampled_from(["a", "ä", "x y", "a/b", "", "%", "?&=#", "日本"]),
    "int": st.integers(-5, 1200),
    "float": st.floats(-10, 10, allow_nan=False, width=32),
    "uuid": st.just(uuid.UUID(int=99)),
    "any": st.sampled_from(["a", "b", "ä", "c"]),
}


@SETTINGS
@given(
    specs=tables(),
    data=st.data(),
    method=st.sampled_from([None, *METHODS]),
    force_external=st.booleans(),
    append_unknown=st.booleans(),
    script_name=st.sampled_from(["/", "/app", "/ä/"]),
    sort_parameters=st.booleans(),
)
def test_build_agrees(
    specs: list[RuleSpec],
    data: st.DataObject,
    method: str | None,
    force_external: bool,
    append_unknown: bool,
    script_name: str,
    sort_parameters: bool,
) -> None:
    theirs, ours = tables_agree(specs, sort_parameters=sort_parameters)
    if theirs is None:
        return
    a = theirs.bind("example.org", script_name)
    b = ours.bind("example.org", script_name)
    names = sorted({f"v{i}" for i in range(4)} | {"page", "extra", "tags"})
    for spec in specs:
        values = {}
        for name in data.draw(st.lists(st.sampled_from(names), unique=True)):
            kind = data.draw(st.sampled_from(sorted(value_for)))
            values[name] = data.draw(value_for[kind])
        if data.draw(st.booleans()):
            values["tags"] = data.draw(st.lists(value_for["text"], max_size=3))
        args = (spec.endpoint, values, method, force_external, append_unknown)
        expected = outcome(a.build, *args)
        got = outcome(b.build, *args)
        assert got == expected, (spec.endpoint, values)
        # Again, on the same adapter: building leaves no state behind.
        assert outcome(b.build, *args) == expected, (spec.endpoint, values)
        event(f"build: {expected[0]}")


@pytest.mark.parametrize(
    ("host_matching", "rules", "host", "path"),
    [
        (False, [("/", "<sub>")], "x.example.org", "/"),
        (False, [("/", "api"), ("/", "")], "api.example.org", "/"),
        (False, [("/", "api")], "example.org", "/"),
        (True, [("/", "<h>.org"), ("/a", "example.org")], "example.org", "/a"),
        (True, [("/", "<h>.org")], "example.com", "/"),
        (True, [("/<int:n>", "<h>.org:8080")], "b.org:8080", "/3"),
    ],
)
def test_hosts_and_subdomains(
    host_matching: bool,
    rules: list[tuple[str, str]],
    host: str,
    path: str,
) -> None:
    def make(module: t.Any) -> t.Any:
        url_map = module.Map(host_matching=host_matching)
        for i, (rule, where) in enumerate(rules):
            key = "host" if host_matching else "subdomain"
            url_map.add(module.Rule(rule, endpoint=f"e{i}", **{key: where}))
        if host_matching:
            return url_map.bind(host)
        return url_map.bind("example.org", subdomain=host[: -len(".example.org")])

    a, b = make(wz), make(rs)
    assert outcome(b.match, path) == outcome(a.match, path)
    for i in range(len(rules)):
        for values in ({}, {"sub": "q", "h": "z", "n": 4}):
            assert outcome(b.build, f"e{i}", values) == outcome(
                a.build, f"e{i}", values
            )


# Converter regexes: ones the Rust router runs (some only on ASCII text),
# ones only Python's `re` runs exactly (lookarounds, backreferences to their
# own groups, `$`, `\B`, nullable repeats), and ones Python cannot compile.
CUSTOM_REGEXES = [
    r"[a-z]+",
    r"\d+",
    r"\w+",
    r"\s?\S+",
    r"(?i:k+)",
    r"[^/]{2,3}",
    r"(?:ab|a)(?:b|)",
    r"(?=[a-z])\w+",
    r"\w+(?<!x)",
    r"(a)\2?b*",
    r"[0-9]+$",
    r"\B\w",
    r"(?:a?)*b",
    r"\b\w+\b",
    r"(",
]
# Text where Python's tables and the regex crate's disagree: a digit of
# Unicode 15, the information separators, the Kelvin sign, long s, dotted I.
CUSTOM_TEXT = st.text(
    st.sampled_from("abkx01 _-\U0001e4f1\x1c\x1f\u212a\u017f\u0130é"),
    max_size=5,
)


def custom_map(module: t.Any, regexes: list[str], rules: list[str]) -> t.Any:
    converters = {
        f"c{i}": type(f"C{i}", (module.BaseConverter,), {"regex": regex})
        for i, regex in enumerate(regexes)
    }
    url_map = module.Map(converters=converters)
    for i, rule in enumerate(rules):
        url_map.add(module.Rule(rule, endpoint=f"e{i}"))
    return url_map


@SETTINGS
@given(data=st.data())
def test_custom_regexes_match_as_python_re(data: st.DataObject) -> None:
    regexes = data.draw(
        st.lists(st.sampled_from(CUSTOM_REGEXES), min_size=1, max_size=3)
    )
    names = [f"c{i}" for i in range(len(regexes))]
    segment = st.one_of(
        st.sampled_from(names).map(lambda c: f"<{c}:v>"),
        st.tuples(st.sampled_from(names), st.sampled_from(names)).map(
            lambda cs: f"<{cs[0]}:v>-<{cs[1]}:w>"
        ),
        st.sampled_from(["x", "<int:n>", "<v>"]),
    )
    rules = data.draw(
        st.lists(st.lists(segment, min_size=1, max_size=2), min_size=1, max_size=4)
    )
    rules = ["/" + "/".join(r) for r in rules]
    theirs = outcome(custom_map, wz, regexes, rules)
    ours = outcome(custom_map, rs, regexes, rules)
    assert theirs[0] == ours[0], (theirs, ours)
    if theirs[0] != "ok":
        return
    a = theirs[1].bind("example.org")
    b = ours[1].bind("example.org")
    # Segments shaped like the rules': static, one value, two values with a dash.
    path_segment = st.one_of(
        st.just("x"),
        CUSTOM_TEXT,
        st.tuples(CUSTOM_TEXT, CUSTOM_TEXT).map("-".join),
    )
    for path in data.draw(st.lists(st.lists(path_segment, max_size=2), max_size=6)):
        path = "/" + "/".join(path)
        got, expected = outcome(b.match, path), outcome(a.match, path)
        assert got == expected, (rules, regexes, path)
        event(f"custom: {expected[0]}")
