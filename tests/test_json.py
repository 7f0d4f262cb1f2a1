"""JSON helpers, the provider and tagged JSON."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import io
import json
import typing as t
import uuid

import flask
import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from markupsafe import Markup

import flaskrs
from flaskrs import _core
from flaskrs.json.tag import JSONTag
from flaskrs.json.tag import TaggedJSONSerializer


@dataclasses.dataclass
class Point:
    x: int
    y: int


VALUES = [
    {"b": 1, "a": [1, 2]},
    [1, "ü", None],
    datetime.datetime(2024, 1, 2, 3, 4, 5),
    datetime.date(2024, 1, 2),
    decimal.Decimal("1.50"),
    uuid.UUID(int=7),
    Point(1, 2),
    Markup("<b>x</b>"),
]


@pytest.mark.parametrize("value", VALUES)
def test_dumps_same_as_flask(value) -> None:  # noqa: ANN001
    assert flaskrs.json.dumps(value) == flask.json.dumps(value)
    with flaskrs.Flask("a").app_context():
        ours = flaskrs.json.dumps(value)
    with flask.Flask("a").app_context():
        theirs = flask.json.dumps(value)
    assert ours == theirs


def test_unserializable_raises(fw) -> None:  # noqa: ANN001
    with pytest.raises(TypeError, match="not JSON serializable"):
        fw.json.dumps(object())


def test_load_dump_loads(fw) -> None:  # noqa: ANN001
    out = io.StringIO()
    fw.json.dump({"a": 1}, out)
    assert fw.json.loads(out.getvalue()) == {"a": 1}
    assert fw.json.load(io.StringIO('[1, "x"]')) == [1, "x"]
    assert fw.json.loads(b'{"k": true}') == {"k": True}


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [((), {}), ((1,), {}), ((1, 2), {}), (({"a": 1},), {}), ((), {"b": 2, "a": 1})],
)
@pytest.mark.parametrize("debug", [False, True])
def test_jsonify(args, kwargs, debug) -> None:  # noqa: ANN001
    bodies = []
    for fw in (flaskrs, flask):
        app = fw.Flask("a")
        app.debug = debug
        with app.app_context():
            response = fw.jsonify(*args, **kwargs)
        assert response.mimetype == "application/json"
        bodies.append(response.get_data())
    assert bodies[0] == bodies[1]


def test_jsonify_refuses_args_and_kwargs(app, fw) -> None:  # noqa: ANN001
    with app.app_context(), pytest.raises(TypeError):
        fw.jsonify(1, a=2)


def test_custom_provider(fw) -> None:  # noqa: ANN001
    class Provider(fw.json.provider.DefaultJSONProvider):
        sort_keys = False
        ensure_ascii = False

        @staticmethod
        def default(o):  # noqa: ANN001, ANN205
            if isinstance(o, set):
                return sorted(o)
            raise TypeError

    class App(fw.Flask):
        json_provider_class = Provider

    app = App("a")

    @app.get("/")
    def view():
        return {"z": {3, 1}, "a": "é"}

    assert app.test_client().get("/").data == '{"z":[1,3],"a":"é"}\n'.encode()


def test_request_json(app, fw) -> None:  # noqa: ANN001
    @app.post("/")
    def view():
        return fw.jsonify(got=fw.request.get_json())

    client = app.test_client()
    assert client.post("/", json={"x": [1]}).get_json() == {"got": {"x": [1]}}
    assert (
        client.post("/", data="{bad", content_type="application/json").status_code
        == 400
    )


TAGGED = [
    {" t": "not a tag"},
    (1, 2, [3, (4,)]),
    b"\x00\xff",
    Markup("<i>m</i>"),
    uuid.UUID(int=1),
    datetime.datetime(2020, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc),
    {"nested": {"di": {" di": 1}}},
    [{"a": b"x"}],
]


@pytest.mark.parametrize("value", TAGGED)
def test_tagged_round_trip_and_bytes_match_flask(value) -> None:  # noqa: ANN001
    ours = TaggedJSONSerializer()
    theirs = flask.json.tag.TaggedJSONSerializer()
    text = ours.dumps(value)
    assert text == theirs.dumps(value)
    assert ours.loads(text) == value


def test_tag_registration() -> None:
    class TagSet(JSONTag):
        __slots__ = ()
        key = " s"

        def check(self, value):  # noqa: ANN001, ANN202
            return isinstance(value, frozenset)

        def to_json(self, value):  # noqa: ANN001, ANN202
            return sorted(value)

        def to_python(self, value):  # noqa: ANN001, ANN202
            return frozenset(value)

    serializer = TaggedJSONSerializer()
    serializer.register(TagSet, index=0)
    assert serializer.loads(serializer.dumps(frozenset({2, 1}))) == frozenset({1, 2})
    with pytest.raises(KeyError):
        serializer.register(TagSet)
    serializer.register(TagSet, force=True)


PROVIDER_CASES = [
    ((), {}),
    ((None,), {}),
    ((1, 2), {}),
    (({"b": [1, 2], "a": "é"},), {}),
    ((), {"z": decimal.Decimal("2.5"), "a": uuid.UUID(int=3)}),
    ((Point(1, 2), datetime.date(2024, 2, 3)), {}),
]


@pytest.mark.parametrize(("args", "kwargs"), PROVIDER_CASES)
@pytest.mark.parametrize(
    ("debug", "compact"),
    [(False, None), (True, None), (True, True), (False, False)],
)
def test_provider_response_like_flask(args, kwargs, debug, compact) -> None:  # noqa: ANN001
    # Our provider hosted by a real Flask app, so only the provider differs.
    app = flask.Flask("a")
    app.debug = debug
    answers = []
    for provider_class in (
        flaskrs.json.provider.DefaultJSONProvider,
        flask.json.provider.DefaultJSONProvider,
    ):
        provider = provider_class(app)
        provider.compact = compact
        response = provider.response(*args, **kwargs)
        answers.append((response.mimetype, response.get_data()))
    assert answers[0] == answers[1]


def test_provider_options_and_errors() -> None:
    app = flask.Flask("a")
    ours = flaskrs.json.provider.DefaultJSONProvider(app)
    theirs = flask.json.provider.DefaultJSONProvider(app)
    value = {"b": 1, "a": "é"}
    assert ours.dumps(value) == theirs.dumps(value)
    assert ours.dumps(value, sort_keys=False, indent=1) == theirs.dumps(
        value, sort_keys=False, indent=1
    )
    ours.ensure_ascii = theirs.ensure_ascii = False
    assert ours.dumps(value) == theirs.dumps(value)
    assert ours.loads(b'{"a": [1]}') == {"a": [1]}
    assert ours.load(io.BytesIO('{"a": "é"}'.encode("utf-16"))) == {"a": "é"}
    out = io.StringIO()
    ours.dump([1], out)
    assert out.getvalue() == "[1]"
    with pytest.raises(TypeError, match="either args or kwargs"):
        ours.response(1, a=2)
    ours.mimetype = "application/vnd.api+json"
    assert ours.response(1).mimetype == "application/vnd.api+json"
    assert flaskrs.json.provider.DefaultJSONProvider.default is not None
    with pytest.raises(TypeError, match="asdict"):
        ours.dumps(Point)


def test_base_provider() -> None:
    app = flask.Flask("a")
    base = flaskrs.json.provider.JSONProvider(app)
    for call in (lambda: base.dumps(1), lambda: base.loads("1")):
        with pytest.raises(NotImplementedError):
            call()

    class Upper(flaskrs.json.provider.JSONProvider):
        def dumps(self, obj, **kwargs):  # noqa: ANN001, ANN003, ANN202
            return str(obj).upper()

        def loads(self, s, **kwargs):  # noqa: ANN001, ANN003, ANN202
            return s.lower()

    provider = Upper(app)
    response = provider.response("abc")
    assert response.get_data() == b"ABC" and response.mimetype == "application/json"
    assert provider.load(io.StringIO("XY")) == "xy"
    assert provider._prepare_response_obj((1, 2), {}) == (1, 2)


@pytest.mark.parametrize("value", [*VALUES, {"b": 1, "a": 2}, "é"])
def test_module_functions_outside_app_context(value) -> None:  # noqa: ANN001
    assert flaskrs.json.dumps(value) == flask.json.dumps(value)
    assert flaskrs.json.dumps(value, indent=2) == flask.json.dumps(value, indent=2)
    ours, theirs = io.StringIO(), io.StringIO()
    flaskrs.json.dump(value, ours)
    flask.json.dump(value, theirs)
    assert ours.getvalue() == theirs.getvalue()
    text = flask.json.dumps(value)
    assert flaskrs.json.loads(text) == flask.json.loads(text)
    assert flaskrs.json.load(io.StringIO(text)) == flask.json.load(io.StringIO(text))


JSONABLE = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=6)
    | st.decimals(allow_nan=False, places=2)
    | st.uuids()
    | st.dates(),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=3) | st.integers(), inner, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=200, deadline=None)
@given(value=JSONABLE, ensure_ascii=st.booleans(), sort_keys=st.booleans())
def test_jsonify_bodies_as_flask(value, ensure_ascii, sort_keys) -> None:  # noqa: ANN001
    answers = []
    for fw in (flaskrs, flask):
        app = fw.Flask("a")
        app.json.ensure_ascii = ensure_ascii
        app.json.sort_keys = sort_keys
        with app.app_context():
            try:
                answers.append(fw.jsonify(value).get_data())
            except (TypeError, ValueError) as e:
                answers.append((type(e), str(e)))
    assert answers[0] == answers[1]


def test_jsonify_refuses_circular_data_as_flask() -> None:
    loop: list[t.Any] = [1]
    loop.append({"again": loop})
    errors = []
    for fw in (flaskrs, flask):
        with fw.Flask("a").app_context():
            with pytest.raises(ValueError) as caught:
                fw.jsonify(loop)
            # The encoder forgets the failed attempt: a second call fails alike.
            with pytest.raises(ValueError):
                fw.jsonify(loop)
            assert fw.jsonify([loop[0]]).get_data() == b"[1]\n"
            errors.append(str(caught.value))
    assert errors[0] == errors[1]


PLAIN = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**63 - 2, max_value=2**70)
    | st.floats()
    | st.text(max_size=6)
    | st.text(alphabet=st.characters(categories=["Cs", "Co", "So"]), max_size=3),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None)
@given(value=PLAIN, sort_keys=st.booleans())
def test_native_json_body_is_json_dumps(value, sort_keys) -> None:  # noqa: ANN001
    expected = json.dumps(value, separators=(",", ":"), sort_keys=sort_keys)
    assert _core.json_body(value, sort_keys) == f"{expected}\n".encode()


@pytest.mark.parametrize(
    "value",
    [
        decimal.Decimal("1.5"),
        [uuid.UUID(int=1)],
        {"a": datetime.date(2020, 1, 2)},
        {1: "int key"},
        Markup("<b>"),
        b"bytes",
        ["x" * 3, Point(1, 2)],
    ],
)
def test_native_json_body_leaves_other_types_to_python(value) -> None:  # noqa: ANN001
    assert _core.json_body(value, True) is None
