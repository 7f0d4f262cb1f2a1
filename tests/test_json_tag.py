"""Tagged JSON: the output must be byte-identical to Flask's for any data, and
each side must load what the other wrote."""

from __future__ import annotations

import ast
import datetime
import pathlib
import subprocess
import sys
import typing as t
import uuid

import flask
import flask.json.tag
import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from markupsafe import Markup

import flaskrs
from flaskrs.json import tag as ours

# Keys that collide with tags, to exercise TagDict's escaping.
TAG_KEYS = [" t", " di", " b", " m", " u", " d", " t__", " di__", " x", ""]

datetimes = st.one_of(
    st.datetimes(min_value=datetime.datetime(1900, 1, 1)),
    st.datetimes(
        min_value=datetime.datetime(1900, 1, 2),
        timezones=st.sampled_from(
            [
                datetime.timezone.utc,
                datetime.timezone(datetime.timedelta(hours=5, minutes=30)),
                datetime.timezone(datetime.timedelta(hours=-8)),
            ]
        ),
    ),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(),
    st.binary(),
    st.text().map(Markup),
    st.uuids(),
    datetimes,
)
keys = st.one_of(st.text(), st.sampled_from(TAG_KEYS))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(keys, inner, max_size=4),
    ),
    max_leaves=20,
)


def typed(value: object) -> object:
    """A comparable form that tells tuples, lists, Markup and str apart."""
    if isinstance(value, dict):
        return ("dict", sorted((k, typed(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [typed(v) for v in value])
    return (type(value).__name__, repr(value))


@settings(max_examples=400, deadline=None)
@given(values)
def test_dumps_identical_outside_app_context(value: object) -> None:
    text = ours.TaggedJSONSerializer().dumps(value)
    assert text == flask.json.tag.TaggedJSONSerializer().dumps(value)


@settings(max_examples=200, deadline=None)
@given(values)
def test_dumps_identical_inside_app_context(value: object) -> None:
    # Inside an app context the app's provider applies: sorted keys.
    with flaskrs.Flask("a").app_context():
        text = ours.TaggedJSONSerializer().dumps(value)
    with flask.Flask("a").app_context():
        expected = flask.json.tag.TaggedJSONSerializer().dumps(value)
    assert text == expected


def _loaded_same(value: object) -> None:
    text = flask.json.tag.TaggedJSONSerializer().dumps(value)
    mine = ours.TaggedJSONSerializer().loads(text)
    theirs = flask.json.tag.TaggedJSONSerializer().loads(text)
    assert typed(mine) == typed(theirs)


@settings(max_examples=300, deadline=None)
@given(values)
def test_loads_like_flask(value: object) -> None:
    _loaded_same(value)


@pytest.mark.parametrize(
    "text",
    [
        '{" di":{" t__":1,"y":2}}',
        '{" t":[1,{" t":[]}]}',
        '{" zz":1}',
        '{" t":1,"x":2}',
        '[{" b":"YWI="},{" m":"<b>"},{" u":"00000000000000000000000000000003"}]',
        '{" d":"Thu, 02 Jan 2020 03:04:05 GMT"}',
    ],
)
def test_loads_handwritten(text: str) -> None:
    mine = ours.TaggedJSONSerializer().loads(text)
    theirs = flask.json.tag.TaggedJSONSerializer().loads(text)
    assert typed(mine) == typed(theirs)


class Html:
    def __html__(self) -> str:
        return "<p>"


@pytest.mark.parametrize(
    "value",
    [Html(), datetime.date(2020, 1, 2), float("nan"), {2: 3}, uuid.UUID(int=9)],
)
def test_odd_values_same_as_flask(value: object) -> None:
    assert ours.TaggedJSONSerializer().dumps(value) == (
        flask.json.tag.TaggedJSONSerializer().dumps(value)
    )


def test_unserializable_same_error() -> None:
    for serializer in (
        ours.TaggedJSONSerializer(),
        flask.json.tag.TaggedJSONSerializer(),
    ):
        with pytest.raises(TypeError, match="Object of type set is not JSON"):
            serializer.dumps({1, 2})


def test_tag_methods_directly() -> None:
    mine = ours.TaggedJSONSerializer()
    theirs = flask.json.tag.TaggedJSONSerializer()
    assert [type(t).__name__ for t in mine.order] == [
        type(t).__name__ for t in theirs.order
    ]
    assert list(mine.tags) == list(theirs.tags)
    assert ours.TagDict(mine).tag({"x": 1}) == {" di": {"x__": 1}}
    assert ours.PassDict(mine).tag({"x": (1,)}) == {"x": {" t": [1]}}
    assert mine.untag({" t": [1]}) == (1,)
    base = ours.JSONTag(mine)
    for method in (base.check, base.to_json, base.to_python):
        with pytest.raises(NotImplementedError):
            method(1)


def test_register_errors_and_order() -> None:
    class Again(ours.JSONTag):
        __slots__ = ()
        key = " t"

    serializer = ours.TaggedJSONSerializer()
    with pytest.raises(KeyError, match="Tag ' t' is already registered."):
        serializer.register(Again)
    serializer.register(Again, force=True, index=0)
    assert serializer.tags[" t"].__class__ is Again
    assert serializer.order[0].__class__ is Again

    class Keyless(ours.JSONTag):
        __slots__ = ()

    serializer.register(Keyless)
    assert isinstance(serializer.order[-1], Keyless)
    assert "" not in serializer.tags


def _with_upper_tag(module: t.Any) -> t.Any:
    """A serializer with an extra tag ahead of the stock ones, built the same
    way on either side."""

    class TagUpper(module.JSONTag):
        __slots__ = ()
        key = " U"

        def check(self, value: object) -> bool:
            return isinstance(value, str) and value.isupper()

        def to_json(self, value: str) -> str:
            return value.lower()

        def to_python(self, value: str) -> str:
            return value.upper()

    serializer = module.TaggedJSONSerializer()
    serializer.register(TagUpper, index=0)
    return serializer


@settings(max_examples=200, deadline=None)
@given(values)
def test_registered_tags_apply_at_any_depth(value: object) -> None:
    # Registering a tag must reach nested values too, as in Flask.
    text = _with_upper_tag(ours).dumps(value)
    assert text == _with_upper_tag(flask.json.tag).dumps(value)
    assert typed(_with_upper_tag(ours).loads(text)) == typed(
        _with_upper_tag(flask.json.tag).loads(text)
    )


def test_subclassed_serializer_tag_override_is_used_for_nested_values() -> None:
    seen = []

    class Recording(ours.TaggedJSONSerializer):
        __slots__ = ()

        def tag(self, value: object) -> object:
            seen.append(value)
            return super().tag(value)

    Recording().dumps({"a": [1, (2,)]})
    assert seen == [{"a": [1, (2,)]}, [1, (2,)], 1, (2,), 2]


def test_the_tag_module_is_there_once_flaskrs_is_imported() -> None:
    # Extensions written for Flask reach it as an attribute after ``import
    # flask``; the session module imports it, as in Flask, and the json
    # package itself does not (the tag module imports from the package).
    found = subprocess.run(
        [sys.executable, "-c", "import flaskrs; print(flaskrs.json.tag.__name__)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert found.stdout.strip() == "flaskrs.json.tag"
    package = ast.parse(pathlib.Path(flaskrs.json.__file__).read_text("utf-8"))
    imported = {
        alias.name
        for node in ast.walk(package)
        if isinstance(node, ast.ImportFrom) and node.level == 1 and not node.module
        for alias in node.names
    }
    assert "tag" not in imported
