"""The native tagged-JSON helpers against Flask's serializer: ``tagged_dumps``
writes Flask's exact bytes or declines with None, and ``untag`` on the parsed
JSON loads what Flask loads."""

from __future__ import annotations

import collections
import datetime
import decimal
import json
import math
import struct
import typing as t
import zoneinfo

import flask
import flask.json.tag
import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from markupsafe import Markup

from flaskrs._core import tagged_dumps
from flaskrs._core import untag

FLASK = flask.json.tag.TaggedJSONSerializer()
TAG_KEYS = [" t", " b", " m", " u", " d", " di", " t__", " di__", " x", ""]

# Surrogates included: a str may hold lone ones, which json escapes.
texts = st.text(st.characters(exclude_categories=()), max_size=12)
floats = st.one_of(
    st.floats(),
    st.sampled_from([math.nan, math.inf, -math.inf, -0.0, 1e16, 5e-324, 1e-5]),
)
timezones = st.sampled_from(
    [
        None,
        datetime.timezone.utc,
        datetime.timezone(datetime.timedelta(hours=5, minutes=30)),
        datetime.timezone(datetime.timedelta(hours=-8)),
    ]
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**200), max_value=2**200),
    floats,
    texts,
    st.binary(max_size=10),
    texts.map(Markup),
    st.uuids(),
    st.datetimes(min_value=datetime.datetime(1900, 1, 2), timezones=timezones),
)
keys = st.one_of(texts, st.sampled_from(TAG_KEYS))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(keys, inner, max_size=4),
        st.tuples(st.sampled_from(TAG_KEYS), inner).map(lambda kv: dict([kv])),
    ),
    max_leaves=20,
)


class Html:
    def __html__(self) -> str:
        return "<p>"


class SubStr(str):
    pass


class SubInt(int):
    pass


# Values Flask can dump that the native path leaves to Python.
outside = st.sampled_from(
    [
        Html(),
        datetime.date(2020, 1, 2),
        decimal.Decimal("1.5"),
        collections.OrderedDict(a=1),
        {1: 2},
        {SubStr("a"): 1},
        SubStr("a"),
        SubInt(3),
        type("SubMarkup", (Markup,), {})("<b>"),
        type("SubList", (list,), {})([1]),
        datetime.datetime(2020, 1, 2, tzinfo=zoneinfo.ZoneInfo("Europe/Paris")),
    ]
)


def flask_dumps(value: object, sort_keys: bool) -> bytes:
    if sort_keys:
        with flask.Flask(__name__).app_context():
            return FLASK.dumps(value).encode()
    return FLASK.dumps(value).encode()


def typed(value: object) -> object:
    """A comparable form that tells tuples from lists and Markup from str, in
    which NaN equals NaN (through its repr)."""
    if isinstance(value, dict):
        return ("dict", [(typed(k), typed(v)) for k, v in value.items()])
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [typed(v) for v in value])
    return (type(value).__name__, repr(value))


@settings(max_examples=500, deadline=None)
@given(values, st.booleans())
def test_dumps_like_flask(value: object, sort_keys: bool) -> None:
    assert tagged_dumps(value, sort_keys) == flask_dumps(value, sort_keys)


@settings(max_examples=300, deadline=None)
@given(values, outside, st.booleans())
def test_declines_outside_the_subset(
    value: object, odd: object, sort_keys: bool
) -> None:
    flask_dumps([value, odd], sort_keys)  # Flask can dump them all.
    assert tagged_dumps(odd, sort_keys) is None
    assert tagged_dumps([value, odd], sort_keys) is None
    assert tagged_dumps({"a": value, "b": (odd,)}, sort_keys) is None


@settings(max_examples=2000, deadline=None)
@given(st.integers(min_value=0, max_value=2**64 - 1))
def test_any_float_as_repr(bits: int) -> None:
    (number,) = struct.unpack("<d", struct.pack("<Q", bits))
    assert tagged_dumps(number, False) == json.dumps(number).encode()


@settings(max_examples=500, deadline=None)
@given(values)
def test_untag_loads_like_flask(value: object) -> None:
    text = FLASK.dumps(value)
    assert typed(untag(json.loads(text))) == typed(FLASK.loads(text))


def test_untag_keeps_untagged_values() -> None:
    plain = {"a": [1, {"b": "c"}], "d": None}
    assert untag(plain) is plain
    tagged = {"a": [1, {" t": []}], "d": None}
    assert untag(tagged) == {"a": [1, ()], "d": None}
    assert tagged == {"a": [1, {" t": []}], "d": None}


@pytest.mark.parametrize(
    "text",
    [
        '{" u":"zz"}',
        '{" u":5}',
        '{" b":5}',
        '{" b":"e"}',
        '{" t":5}',
        '{" d":5}',
        '{" di":{}}',
        '{" di":5}',
        '{" di":"abc"}',
        '{" di":[]}',
        '{" di":["ab"]}',
        '{" di":[[1]]}',
        '{" di":{" t":["abc"]}}',
        '{" di":{" d":"zz"}}',
        '{" di":{" b":""}}',
        '[1,{"x":{" t":1}}]',
    ],
)
def test_untag_bad_contents_raise_like_flask(text: str) -> None:
    with pytest.raises(BaseException) as flask_error:
        FLASK.loads(text)
    with pytest.raises(flask_error.type):
        untag(json.loads(text))


@pytest.mark.parametrize(
    "text",
    [
        '{" di":{"a":1,"b":2}}',
        '{" t":"ab"}',
        '{" t":{"a":1}}',
        '{" m":5}',
        '{" m":null}',
        '{" d":"zz"}',
        '{" b":"e!A=="}',
        '{" t":1,"x":2}',
        '{" zz":1}',
    ],
)
def test_untag_odd_contents_like_flask(text: str) -> None:
    assert typed(untag(json.loads(text))) == typed(FLASK.loads(text))


def nested(depth: int, inner: t.Any = 0) -> t.Any:
    for _ in range(depth):
        inner = [inner]
    return inner


def test_deep_and_circular() -> None:
    deep = nested(10000)
    assert tagged_dumps(deep, False) is None
    try:
        assert untag(deep) == deep
    except RecursionError:
        pass
    loop: list[object] = []
    loop.append(loop)
    assert tagged_dumps(loop, True) is None
    cycle: dict[str, object] = {}
    cycle["a"] = [cycle]
    assert tagged_dumps(cycle, False) is None
    # Flask's own limit is lower than these.
    assert tagged_dumps(nested(150), False) == flask_dumps(nested(150), False)
    text = json.dumps(nested(150, {" t": []}))
    assert typed(untag(json.loads(text))) == typed(nested(150, ()))
