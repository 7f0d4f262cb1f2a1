"""The request body (``stream``, ``get_data``, ``is_json``, ``get_json``)
of ``flaskrs.wrappers.Request`` against Werkzeug's own ``Request``, which
reads every body through its guarded stream."""

from __future__ import annotations

import io
import json
import typing as t

import flask
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from werkzeug.exceptions import HTTPException
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request as WerkzeugRequest

import flaskrs
from flaskrs.wrappers import Request

CONTENT_TYPES = [
    "",
    "application/json",
    "Application/JSON",
    " application/json ; charset=utf-8",
    "\tapplication/vnd.api+json",
    "application/json-patch",
    "text/json",
    "application/x-www-form-urlencoded",
    'application/json; a="b;c"',
    "application/problem+json;q=1",
]
BODIES = [b"", b"{}", b'{"a": [1, 2]}', b"[1", b"\xff\xfe", "é".encode(), b"x" * 70000]


class ShortReads(io.BytesIO):
    """A WSGI input that returns at most 7 bytes a read, as sockets may."""

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0 or size > 7:
            size = 7
        return super().read(size)


def environ(
    body: bytes, declared: str | None, content_type: str, short: bool
) -> dict[str, t.Any]:
    env = EnvironBuilder(method="POST", content_type=content_type).get_environ()
    env.pop("CONTENT_LENGTH", None)
    if declared is not None:
        env["CONTENT_LENGTH"] = declared
    env["wsgi.input"] = (ShortReads if short else io.BytesIO)(body)
    return env


def seen(request: t.Any) -> tuple[t.Any, ...]:
    """What a view can observe of the body, errors included."""
    out: list[t.Any] = [request.is_json]
    for read in (
        lambda: request.get_json(silent=True),
        lambda: request.get_data(),
        lambda: request.stream.read(),
    ):
        try:
            out.append(read())
        except HTTPException as e:
            out.append(type(e).__name__)
    return tuple(out)


@settings(max_examples=300, deadline=None)
@given(
    body=st.sampled_from(BODIES) | st.binary(max_size=40),
    declared=st.sampled_from([None, "exact", "less", "more", "-1", "x", "0"]),
    content_type=st.sampled_from(CONTENT_TYPES),
    limit=st.sampled_from([None, 3, 100, 100_000]),
    short=st.booleans(),
)
def test_body_reads_as_in_werkzeug(
    body: bytes, declared: str, content_type: str, limit: int | None, short: bool
) -> None:
    length = {
        "exact": str(len(body)),
        "less": str(max(len(body) - 2, 0)),
        "more": str(len(body) + 5),
    }.get(declared, declared)

    class Limited(WerkzeugRequest):
        max_content_length = limit

    theirs = seen(Limited(environ(body, length, content_type, short)))
    app = flaskrs.Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = limit
    with app.app_context():
        ours = seen(Request(environ(body, length, content_type, short)))
    assert ours == theirs


def test_large_bodies_keep_werkzeugs_stream() -> None:
    body = b"x" * 70000
    request = Request(environ(body, str(len(body)), "text/plain", False))
    assert not isinstance(request.stream, io.BytesIO)
    assert request.get_data() == body


def test_small_body_is_buffered_once() -> None:
    request = Request(environ(b'{"a": 1}', "8", "application/json", False))
    assert isinstance(request.stream, io.BytesIO)
    assert request.get_json() == {"a": 1}
    assert request.stream.read() == b""
    assert request.get_data() == b'{"a": 1}'


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def json_bodies(draw: st.DrawFn) -> bytes:
    """JSON documents as clients send them, and the odd ones around them:
    other UTF encodings, a BOM, surrounding whitespace, trailing bytes,
    lone surrogates, truncation."""
    text = json.dumps(draw(JSON_VALUES), ensure_ascii=draw(st.booleans()))
    text = draw(st.sampled_from(["", " ", "\n\t"])) + text
    text += draw(st.sampled_from(["", " ", "\r\n", "x", "{}", '"\\ud800"']))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le"]))
    body = text.encode(encoding, "surrogatepass")
    if draw(st.booleans()):
        body = body[: draw(st.integers(0, len(body)))]
    return body


@settings(max_examples=300, deadline=None)
@given(body=json_bodies() | st.binary(max_size=12))
def test_get_json_answers_as_flask(body: bytes) -> None:

    answers = []
    for fw in (flaskrs, flask):
        app = fw.Flask(__name__)
        with app.test_request_context(
            method="POST", data=body, content_type="application/json"
        ):
            try:
                value: t.Any = fw.request.get_json()
            except HTTPException as e:
                value = (e.code, e.description)
            # NaN never equals itself; compare the JSON text instead.
            answers.append(json.dumps(value, sort_keys=True))
    assert answers[0] == answers[1]
