"""``flaskrs._werkzeug_compat``: each shorter path against the Werkzeug (or
Flask, or ``inspect``) method it reproduces, on generated inputs; each
check of Werkzeug's shape true on the installed Werkzeug; and a Werkzeug
method replaced (as a patched or different Werkzeug would have it) turns
its path off, so that Werkzeug's own method answers."""

from __future__ import annotations

import asyncio
import functools
import inspect
import io
import re
import typing as t

import flask.cli
import pytest
import werkzeug.utils
from hypothesis import example
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from werkzeug.exceptions import default_exceptions
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import RequestedRangeNotSatisfiable
from werkzeug.routing import Map
from werkzeug.routing import Rule
from werkzeug.sansio.http import parse_cookie
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request as WerkzeugRequest
from werkzeug.wrappers import Response as WerkzeugResponse
from werkzeug.wsgi import get_content_length

import flaskrs
from flaskrs._werkzeug_compat import code
from flaskrs._werkzeug_compat import errors
from flaskrs._werkzeug_compat import request as compat_request
from flaskrs._werkzeug_compat import response as compat_response
from flaskrs._werkzeug_compat.routing import builder_arguments
from flaskrs.wrappers import Request
from flaskrs.wrappers import Response

EXAMPLES = settings(max_examples=200, deadline=None)

latin1 = st.text(alphabet=st.characters(max_codepoint=255), max_size=12)


def wsgi_answer(
    response: t.Any, method: str = "GET"
) -> tuple[str, list[tuple[str, str]], bytes]:
    seen: dict[str, t.Any] = {}

    def start_response(status: str, headers: t.Any, exc_info: t.Any = None) -> None:
        seen["status"], seen["headers"] = status, headers

    env = EnvironBuilder(method=method).get_environ()
    body = b"".join(response(env, start_response))
    return seen["status"], list(seen["headers"]), body


def outcome(make: t.Callable[[], t.Any]) -> t.Any:
    """What ``make`` gives, or the type of what it raises."""
    try:
        return make()
    except Exception as e:
        return type(e)


class PlainResponse(WerkzeugResponse):
    """Werkzeug's response with flaskrs's class settings, and none of its
    paths."""

    default_mimetype = "text/html"
    autocorrect_location_header = False


# The shape checks ------------------------------------------------------


def test_shape_checks_hold_on_installed_werkzeug() -> None:
    # A Werkzeug release that fails one of these turns a fast path off:
    # the pin in pyproject.toml and the checks are then to be revisited.
    assert compat_response.response_shape_is_known()
    assert compat_request.request_init_is_known()
    assert compat_request.body_shape_is_known()
    assert compat_request.multidict_of_lists()
    assert errors.http_errors_shape_is_known()
    assert compat_response.FAST_RESPONSE
    assert compat_request.FAST_REQUEST_INIT
    assert compat_request.FAST_BODY
    assert compat_request.MULTIDICT_OF_LISTS
    assert errors.FAST_HTTP_ERRORS
    rule = Rule("/<a>", endpoint="a")
    Map([rule])
    assert builder_arguments(rule) == (["a"], [])


def _replaced(monkeypatch: pytest.MonkeyPatch, cls: type, name: str) -> list[int]:
    """Replace ``cls.name`` with a function that calls the original and
    counts the calls (what a patched Werkzeug method looks like)."""
    original = getattr(cls, name)
    calls: list[int] = []

    @functools.wraps(original)
    def counted(*args: t.Any, **kwargs: t.Any) -> t.Any:
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(cls, name, counted)
    return calls


def test_replaced_response_method_turns_response_paths_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = _replaced(monkeypatch, WerkzeugResponse, "get_app_iter")
    assert not compat_response.response_shape_is_known()
    monkeypatch.setattr(compat_response, "FAST_RESPONSE", False)
    ours = Response("body", 201)
    assert wsgi_answer(ours) == wsgi_answer(PlainResponse("body", 201))
    assert calls  # Werkzeug's WSGI call answered


def test_replaced_request_init_turns_constructor_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = _replaced(monkeypatch, WerkzeugRequest, "__init__")
    assert not compat_request.request_init_is_known()
    monkeypatch.setattr(compat_request, "FAST_REQUEST_INIT", False)
    env = EnvironBuilder(path="/a", query_string="b=1").get_environ()
    ours = Request(env)
    assert calls
    assert (ours.path, ours.query_string, ours.server) == (
        "/a",
        b"b=1",
        ("localhost", 80),
    )
    assert "path" in vars(ours)  # set by Werkzeug's constructor


def test_replaced_get_json_turns_body_paths_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = _replaced(monkeypatch, WerkzeugRequest, "get_json")
    assert not compat_request.body_shape_is_known()
    monkeypatch.setattr(compat_request, "FAST_BODY", False)
    env = EnvironBuilder(method="POST", json={"a": 1}).get_environ()
    assert Request(env).get_json() == {"a": 1}
    assert calls


def test_replaced_get_response_turns_error_path_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = _replaced(monkeypatch, HTTPException, "get_response")
    assert not errors.http_errors_shape_is_known()
    monkeypatch.setattr(errors, "FAST_HTTP_ERRORS", False)
    env = EnvironBuilder().get_environ()
    assert (
        errors.http_exception_response(default_exceptions[404](), env, Response) is None
    )
    app = flaskrs.Flask(__name__)

    @app.route("/")
    def missing() -> t.NoReturn:
        flaskrs.abort(404)

    assert app.test_client().get("/").status_code == 404
    assert calls  # the exception was run as a WSGI app


def test_subclasses_take_werkzeugs_paths() -> None:
    class Sub(Response):
        pass

    class SubRequest(Request):
        pass

    assert Sub("x")._status_code == 200
    assert errors.redirect_response("/a", 302, Sub) is None
    assert not compat_response.set_status_code(Sub("x"), 201)
    env = EnvironBuilder(headers={"Cookie": "a=1"}).get_environ()
    sub = SubRequest(env)
    assert sub.cookies["a"] == "1"
    assert compat_request.first_cookie(sub, "a") == "1"


def test_builder_arguments_of_a_rule_without_builder() -> None:
    assert builder_arguments(Rule("/unbound", endpoint="x")) is None


# The response ----------------------------------------------------------

bodies = st.none() | st.text(max_size=20) | st.binary(max_size=20)
statuses = st.none() | st.integers(100, 999) | st.sampled_from([200, 204, 304, 302])
mimetypes = st.none() | st.sampled_from(
    ["text/plain", "application/json", "text/html; charset=latin1", "image/png", "a\nb"]
)
header_lists = st.none() | st.lists(
    st.sampled_from(
        [
            ("X-A", "1"),
            ("Location", "/ü page"),
            ("location", "/a b"),
            ("Content-Location", "/é"),
            ("Content-Length", "3"),
        ]
    ),
    max_size=3,
)


@EXAMPLES
@given(
    body=bodies | st.lists(st.binary(max_size=4), max_size=3).map(iter),
    status=statuses,
    mimetype=mimetypes,
    headers=header_lists,
    method=st.sampled_from(["GET", "HEAD"]),
)
def test_response_init_and_call_match_werkzeug(
    body: t.Any, status: int | None, mimetype: str | None, headers: t.Any, method: str
) -> None:
    chunks = list(body) if hasattr(body, "__next__") else None

    def make(cls: type[WerkzeugResponse]) -> t.Any:
        given_body = iter(chunks) if chunks is not None else body
        return outcome(lambda: cls(given_body, status, headers, mimetype))

    ours, theirs = make(Response), make(PlainResponse)
    if isinstance(theirs, type):
        assert ours is theirs
        return
    assert list(ours.headers) == list(theirs.headers)
    assert ours.status == theirs.status
    assert outcome(lambda: wsgi_answer(ours, method)) == outcome(
        lambda: wsgi_answer(theirs, method)
    )


@EXAMPLES
@given(code_=st.integers(0, 1200))
def test_status_line_matches_werkzeug(code_: int) -> None:
    line = compat_response.status_line(code_)
    if line is not None:
        assert line == WerkzeugResponse(status=code_).status


@EXAMPLES
@given(code_=st.integers(0, 1200) | st.sampled_from(["201 X", 201.0, True]))
def test_set_status_code_matches_werkzeugs_setter(code_: t.Any) -> None:
    ours, theirs = Response("x"), PlainResponse("x")
    if compat_response.set_status_code(ours, code_):
        theirs.status_code = code_
        assert (ours.status, ours.status_code) == (theirs.status, theirs.status_code)


@EXAMPLES
@given(mimetype=st.text(max_size=20) | mimetypes)
def test_content_type_matches_werkzeug(mimetype: str | None) -> None:
    ctype = compat_response.content_type_for(mimetype)
    if ctype is not None:
        assert ctype == WerkzeugResponse(mimetype=mimetype).headers["Content-Type"]


# HTTP errors and redirects ----------------------------------------------


class Teapot(HTTPException):
    code = 418
    description = "short and stout"


class Headed(HTTPException):
    code = 429

    def get_headers(self, environ: t.Any = None, scope: t.Any = None) -> t.Any:
        return [*super().get_headers(environ, scope), ("Retry-After", "3")]


class Bodied(HTTPException):
    code = 400

    def get_body(self, environ: t.Any = None, scope: t.Any = None) -> str:
        return "<p>custom</p>"


class Moving(HTTPException):
    code = 301

    def get_headers(self, environ: t.Any = None, scope: t.Any = None) -> t.Any:
        return [("Content-Type", "text/plain"), ("Location", "/é")]


exception_classes = st.sampled_from(
    [*default_exceptions.values(), Teapot, Headed, Bodied, Moving]
)


@EXAMPLES
@given(
    cls=exception_classes,
    description=st.none() | st.text(max_size=12),
    method=st.sampled_from(["GET", "HEAD", "POST"]),
    response_class=st.sampled_from([Response, PlainResponse]),
)
# Found by hypothesis: a 416 whose first argument (the length) has a newline.
@example(
    cls=RequestedRangeNotSatisfiable,
    description="\n",
    method="GET",
    response_class=Response,
)
def test_http_exception_response_matches_force_type(
    cls: type[HTTPException],
    description: str | None,
    method: str,
    response_class: type[WerkzeugResponse],
) -> None:
    e = cls(description) if description is not None else cls()
    env = EnvironBuilder(method=method).get_environ()
    try:
        theirs = response_class.force_type(e, dict(env))  # type: ignore[arg-type]
    except ValueError as refused:
        # Werkzeug refuses some headers the argument makes (416's first
        # argument is the length, which goes into Content-Range): so must we.
        with pytest.raises(type(refused), match=re.escape(str(refused))):
            errors.http_exception_response(e, env, response_class)
        return
    ours = errors.http_exception_response(e, env, response_class)
    if ours is None:
        return
    assert type(ours) is type(theirs)
    assert (ours.status, list(ours.headers)) == (theirs.status, list(theirs.headers))
    assert ours.get_data() == theirs.get_data()
    assert wsgi_answer(ours, method) == wsgi_answer(theirs, method)


@EXAMPLES
@given(
    location=st.text(max_size=16) | st.sampled_from(["/a", "/ü?x=<b>", "http://é.x/"]),
    code_=st.sampled_from([301, 302, 303, 305, 307, 308]),
)
def test_redirect_matches_werkzeug(location: str, code_: int) -> None:
    ours = errors.redirect_response(location, code_, Response)
    if ours is None:
        return
    theirs = werkzeug.utils.redirect(location, code_, Response)
    assert (ours.status, list(ours.headers)) == (theirs.status, list(theirs.headers))
    assert ours.get_data() == theirs.get_data()
    assert wsgi_answer(ours) == wsgi_answer(theirs)


# The request -----------------------------------------------------------


@EXAMPLES
@given(
    fields=st.fixed_dictionaries(
        {},
        optional={
            "REQUEST_METHOD": st.sampled_from(["get", "POST", "", "pAtCh"]),
            "wsgi.url_scheme": st.sampled_from(["http", "https"]),
            "SERVER_NAME": latin1,
            "SERVER_PORT": st.sampled_from(["80", "x", "", "8080"]),
            "SCRIPT_NAME": latin1,
            "PATH_INFO": latin1,
            "QUERY_STRING": latin1,
            "REMOTE_ADDR": latin1,
            "HTTP_X_A": latin1,
            "CONTENT_TYPE": latin1,
        },
    ),
    populate=st.booleans(),
    shallow=st.booleans(),
)
def test_request_init_matches_werkzeug(
    fields: dict[str, str], populate: bool, shallow: bool
) -> None:
    ours_env, theirs_env = dict(fields), dict(fields)
    ours = Request(ours_env, populate, shallow)
    theirs = WerkzeugRequest(theirs_env, populate, shallow)
    for name in (
        "method",
        "scheme",
        "server",
        "root_path",
        "path",
        "query_string",
        "remote_addr",
        "shallow",
    ):
        assert getattr(ours, name) == getattr(theirs, name), name
    assert list(ours.headers) == list(theirs.headers)
    assert (ours_env.get("werkzeug.request") is ours) == (
        theirs_env.get("werkzeug.request") is theirs
    )


@EXAMPLES
@given(declared=st.text(max_size=30) | st.sampled_from(["application/x+json; a=b"]))
def test_is_json_matches_werkzeug(declared: str) -> None:
    env = {"CONTENT_TYPE": declared}
    assert compat_request.declares_json(env) == WerkzeugRequest(env).is_json


@EXAMPLES
@given(
    raw=st.none() | st.text(alphabet="0123456789 +-x٣", max_size=6),
    chunked=st.booleans(),
)
def test_declared_length_matches_werkzeug(raw: str | None, chunked: bool) -> None:
    env: dict[str, t.Any] = {}
    if raw is not None:
        env["CONTENT_LENGTH"] = raw
    if chunked:
        env["HTTP_TRANSFER_ENCODING"] = "chunked"
    assert compat_request.declared_length(env) == get_content_length(env)


@EXAMPLES
@given(header=st.none() | st.text(alphabet=' =;ab"\t\\é,', max_size=24))
def test_cookies_match_parse_cookie(header: str | None) -> None:
    pairs = compat_request.plain_cookie_pairs(header)
    if pairs is not None:
        assert pairs == list(parse_cookie(header).items(multi=True))
    env = {} if header is None else {"HTTP_COOKIE": header}
    ours = Request(dict(env))
    theirs = WerkzeugRequest(dict(env))
    assert compat_request.first_cookie(ours, "a") == theirs.cookies.get("a")
    assert list(ours.cookies.items(multi=True)) == list(
        theirs.cookies.items(multi=True)
    )


@EXAMPLES
@given(
    body=st.binary(max_size=30) | st.sampled_from([b'{"a": [1]}', b"[1", b"\xff"]),
    declared=st.sampled_from(["exact", "less", "more", None]),
    content_type=st.sampled_from(["application/json", "text/plain", ""]),
    silent=st.booleans(),
)
def test_body_reads_match_werkzeug(
    body: bytes, declared: str | None, content_type: str, silent: bool
) -> None:
    length = {"exact": len(body), "less": max(len(body) - 2, 0), "more": len(body) + 3}

    def env() -> dict[str, t.Any]:
        e = {"REQUEST_METHOD": "POST", "CONTENT_TYPE": content_type}
        e["wsgi.input"] = io.BytesIO(body)  # type: ignore[assignment]
        if declared is not None:
            e["CONTENT_LENGTH"] = str(length[declared])
        return e

    def seen(request: t.Any) -> tuple[t.Any, ...]:
        return (
            outcome(lambda: request.get_json(silent=silent)),
            outcome(request.get_data),
            outcome(request.stream.read),
        )

    app = flaskrs.Flask(__name__)
    with app.app_context():
        # Werkzeug's on_json_loading_failed, not Flask's message-hiding one.
        assert seen(Request(env())) == seen(WerkzeugRequest(env()))


# Routing and code objects ------------------------------------------------


@EXAMPLES
@given(
    names=st.lists(st.sampled_from("abcdef"), min_size=1, max_size=4, unique=True),
    defaulted=st.sets(st.sampled_from("abcdefg"), max_size=3),
)
def test_builder_arguments_match_werkzeugs_build(
    names: list[str], defaulted: set[str]
) -> None:
    defaults = {name: "d" for name in defaulted if name not in names[:1]}
    rule = Rule(
        "/" + "/".join(f"<{n}>" for n in names), endpoint="e", defaults=defaults
    )
    Map([rule])
    arguments = builder_arguments(rule)
    assert arguments is not None
    required, optional = arguments
    assert set(required) == rule.arguments - set(defaults)
    assert set(optional) == set(defaults)
    values = {name: f"v{name}" for name in required}
    assert rule._build_unknown(*values.values()) == rule.build(values)


def _sync() -> None: ...


async def _async() -> None: ...


def _marked() -> None: ...


_marked._is_coroutine_marker = object()  # type: ignore[attr-defined]


class _Callable:
    def __call__(self) -> None: ...

    def method(self) -> None: ...


CALLABLES = [
    _sync,
    _async,
    _marked,
    lambda: None,
    functools.partial(_async),
    functools.partial(_sync),
    _Callable(),
    _Callable().method,
    _Callable,
    len,
    asyncio.sleep,
]


@pytest.mark.parametrize("func", CALLABLES)
def test_plainly_sync_agrees_with_inspect(func: t.Any) -> None:
    if code.plainly_sync(func):
        assert not inspect.iscoroutinefunction(func)
    if func is _sync:
        assert code.plainly_sync(func)


def _no_arguments() -> None: ...


def _raises_inside(*args: t.Any) -> None:
    raise TypeError("inside")


def _calls_badly(*args: t.Any) -> None:
    _no_arguments(*args)


@pytest.mark.parametrize("func", [_no_arguments, _raises_inside, _calls_badly])
def test_ran_in_matches_flask(func: t.Any) -> None:
    try:
        func(1)
    except TypeError:
        ours = flaskrs.cli._called_with_wrong_args(func)
        assert ours == flask.cli._called_with_wrong_args(func)
    else:  # pragma: no cover
        pytest.fail("expected a TypeError")


@pytest.mark.parametrize("func", [_Callable, len])
def test_ran_in_without_code(func: t.Any) -> None:
    # Flask raises AttributeError here (it reads f.__code__); with no code of
    # its own, the callable cannot have raised from inside.
    try:
        func(1)
    except TypeError:
        assert flaskrs.cli._called_with_wrong_args(func)


# The streamed body ----------------------------------------------------


class _Text(str):
    def encode(self, *args: t.Any, **kwargs: t.Any) -> bytes:
        return b"<" + str(self).encode("latin-1", "replace") + b">"


class _Failing(Exception):
    pass


stream_items = st.one_of(
    st.binary(max_size=4),
    st.text(max_size=4),
    st.text(max_size=3).map(_Text),
    st.just("\ud800"),
    st.just(_Failing),
    st.integers(0, 3),
    st.just(bytearray(b"ba")),
)


def _stream_run(
    make_body: t.Callable[[t.Any, t.Callable[[], None]], t.Any],
    items: list[t.Any],
    steps: list[str],
) -> list[t.Any]:
    """Drive a body made from a generator over ``items`` through ``steps``
    (``next`` or ``close``), recording what each step gave and what ran."""
    events: list[t.Any] = []

    def source() -> t.Iterator[t.Any]:
        events.append("started")
        try:
            for item in items:
                if item is _Failing:
                    raise _Failing("item")
                yield item
        finally:
            events.append("finalized")

    inner = source()

    def close() -> None:
        events.append("response closed")
        inner.close()

    body = make_body(inner, close)
    events.append(("iter is self", iter(body) is body))
    for step in steps:
        if step == "next":
            try:
                events.append(("item", next(body)))
            except StopIteration:
                events.append("stop")
            except Exception as e:
                events.append((type(e).__name__, str(e)))
        else:
            body.close()
    return events


@EXAMPLES
@given(
    items=st.lists(stream_items, max_size=5),
    steps=st.lists(st.sampled_from(["next", "next", "close"]), max_size=9),
)
def test_encoded_body_matches_closing_iterator(
    items: list[t.Any], steps: list[str]
) -> None:
    from werkzeug.wrappers.response import _iter_encoded
    from werkzeug.wsgi import ClosingIterator

    from flaskrs._core import EncodedBody

    ours = _stream_run(EncodedBody, items, steps)
    theirs = _stream_run(
        lambda inner, close: ClosingIterator(_iter_encoded(inner), close), items, steps
    )
    assert ours == theirs


def test_streamed_response_is_werkzeugs_answer() -> None:
    def chunks() -> t.Iterator[t.Any]:
        yield "é"
        yield b"\xff"
        yield _Text("x")

    for cls in (Response, PlainResponse):
        answer = wsgi_answer(cls(chunks()))
        assert answer[2] == "é".encode() + b"\xff<x>"
    assert wsgi_answer(Response(chunks())) == wsgi_answer(PlainResponse(chunks()))
