"""Sessions: the session classes, the interface's settings, and cookies that are
byte-identical to Flask's at the same clock.

The interfaces are compared two ways: plugged into a real Flask app (ours
against Flask's own interface), and as each framework's default in a whole app.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import time
import types
import typing as t
import uuid

import flask
import flask.sessions
import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from itsdangerous import URLSafeTimedSerializer
from markupsafe import Markup

import flaskrs
import flaskrs.sessions as ours
from test_json_tag import typed
from test_json_tag import values as tag_values

NOW = 1_700_000_000.25


class _FrozenDatetime(datetime.datetime):
    @classmethod
    def now(cls, tz: datetime.tzinfo | None = None) -> _FrozenDatetime:
        return cls.fromtimestamp(NOW, tz)


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stop the clocks the signer and the expiry date read."""
    monkeypatch.setattr(time, "time", lambda: NOW)
    monkeypatch.setattr(ours, "datetime", _FrozenDatetime)
    monkeypatch.setattr(flask.sessions, "datetime", _FrozenDatetime)


@contextlib.contextmanager
def _frozen_clock() -> t.Iterator[None]:
    # Hypothesis runs many examples per test, so no function-scoped fixture.
    real = time.time
    time.time = lambda: NOW
    try:
        yield
    finally:
        time.time = real


def make_app(fw: types.ModuleType, interface: t.Any, **config: t.Any) -> t.Any:
    app = fw.Flask("tests_app")
    app.secret_key = "secret"
    app.config.update(config)
    if interface is not None:
        app.session_interface = interface
    session = fw.session

    @app.get("/set")
    def set_values():
        session["n"] = 1
        session["data"] = {
            "t": (1, b"\x00"),
            "m": Markup("<b>"),
            "u": uuid.UUID(int=5),
            "d": datetime.datetime(2020, 1, 2, 3, 4, 5),
            " t": [1],
        }
        return "set"

    @app.get("/read")
    def read():
        return repr(session.get("data"))

    @app.get("/contains")
    def contains():
        return str("n" in session)

    @app.get("/nothing")
    def nothing():
        return "x"

    @app.get("/permanent")
    def permanent():
        session.permanent = True
        session["p"] = "é"
        return "p"

    @app.get("/big-permanent")
    def big_permanent():
        # Long enough to be compressed in the cookie.
        session.permanent = True
        session["big"] = "ab" * 300
        return "b"

    @app.get("/not-permanent")
    def not_permanent():
        session.permanent = False
        return "n"

    @app.get("/clear")
    def clear():
        session.clear()
        return "c"

    @app.get("/vary/<kind>")
    def vary(kind: str):
        # A Vary header of the view's own, before the session adds Cookie.
        session["v"] = kind
        headers = {"Vary": kind} if kind != "none" else {}
        return "v", headers

    @app.get("/mutate-inside")
    def mutate_inside():
        session.setdefault("items", [])
        session["items"].append(1)
        return "m"

    return app


def script(app: t.Any) -> list[tuple[int, list[tuple[str, str]], bytes]]:
    """Walk through the views with one client; return every response."""
    client = app.test_client()
    seen = []
    for path in [
        "/nothing",
        "/read",
        "/set",
        "/read",
        "/contains",
        "/nothing",
        "/mutate-inside",
        "/permanent",
        # Not using the session: a permanent cookie is still refreshed.
        "/nothing",
        "/read",
        "/big-permanent",
        "/nothing",
        "/not-permanent",
        "/nothing",
        "/clear",
        "/read",
        "/clear",
        "/vary/Accept-Encoding",
        "/vary/Cookie",
        "/vary/cookie",
        "/vary/none",
    ]:
        response = client.get(path)
        seen.append(
            (response.status_code, list(response.headers.items()), response.data)
        )
    return seen


CONFIGS = [
    {},
    {"SESSION_COOKIE_SAMESITE": "Lax", "SESSION_COOKIE_SECURE": True},
    {"SESSION_COOKIE_PARTITIONED": True, "SESSION_COOKIE_SECURE": True},
    {"SESSION_COOKIE_DOMAIN": "example.test", "SESSION_COOKIE_PATH": "/p"},
    {"APPLICATION_ROOT": "/root", "SESSION_COOKIE_NAME": "s"},
    {"SESSION_COOKIE_HTTPONLY": False, "SESSION_REFRESH_EACH_REQUEST": False},
    {"PERMANENT_SESSION_LIFETIME": 60},
]


class _FlaskTaggedInterface(ours.SecureCookieSessionInterface):
    # Our tagged JSON follows *our* app context's provider, which a Flask app
    # does not push; test_json_tag compares the tagged JSON itself.
    serializer = flask.sessions.session_json_serializer


@pytest.mark.parametrize("config", CONFIGS)
def test_cookies_identical_in_flask_app(frozen: None, config: dict[str, t.Any]) -> None:
    mine = script(make_app(flask, _FlaskTaggedInterface(), **config))
    theirs = script(
        make_app(flask, flask.sessions.SecureCookieSessionInterface(), **config)
    )
    assert mine == theirs


@pytest.mark.parametrize("config", CONFIGS)
def test_cookies_identical_as_default(frozen: None, config: dict[str, t.Any]) -> None:
    assert script(make_app(flaskrs, None, **config)) == script(
        make_app(flask, None, **config)
    )


def _reconfigured(app: t.Any) -> list[t.Any]:
    """Responses while the settings change between requests: each change
    must show in the very next response."""
    client = app.test_client()
    seen = []

    def get(path: str) -> None:
        response = client.get(path)
        seen.append((list(response.headers.items()), response.data))

    get("/set")
    app.config["SESSION_COOKIE_SAMESITE"] = "Strict"
    get("/set")
    # Key rotation with the fallback list changed in place.
    fallbacks: list[str] = []
    app.config["SECRET_KEY_FALLBACKS"] = fallbacks
    get("/read")
    app.secret_key = "rotated"
    fallbacks.append("secret")
    get("/read")
    fallbacks.clear()
    get("/read")
    get("/set")
    app.config["SESSION_COOKIE_NAME"] = "other"
    get("/read")
    app.config["PERMANENT_SESSION_LIFETIME"] = 5
    get("/permanent")
    app.config["SESSION_REFRESH_EACH_REQUEST"] = False
    get("/nothing")
    # A hook given to the instance is called from then on.
    app.session_interface.get_cookie_domain = lambda app: "hook.test"
    get("/set")
    del app.session_interface.get_cookie_domain
    get("/set")
    return seen


def test_bad_cookie_setting_fails_only_when_writing_as_flask() -> None:
    outcomes = []
    for fw in (flaskrs, flask):
        app = make_app(fw, None)
        app.testing = True
        client = app.test_client()
        client.get("/set")
        app.config["SESSION_COOKIE_SAMESITE"] = "Sometimes"
        # The cookie is read, nothing is written: no error.
        nothing = client.get("/nothing")
        with pytest.raises(ValueError) as raised:
            client.get("/set")
        outcomes.append((nothing.status_code, nothing.data, str(raised.value)))
    assert outcomes[0] == outcomes[1]


def test_bad_lifetime_fails_only_with_a_cookie_as_flask() -> None:
    outcomes = []
    for fw in (flaskrs, flask):
        app = make_app(fw, None, PERMANENT_SESSION_LIFETIME="a month")
        app.testing = True
        client = app.test_client()
        # No cookie: the lifetime is not needed.
        read = client.get("/read")
        app.config["PERMANENT_SESSION_LIFETIME"] = 60
        client.get("/set")
        app.config["PERMANENT_SESSION_LIFETIME"] = "a month"
        with pytest.raises(TypeError) as raised:
            client.get("/read")
        outcomes.append((read.status_code, read.data, type(raised.value)))
    assert outcomes[0] == outcomes[1]


def test_setting_changes_apply_at_once(frozen: None) -> None:
    assert _reconfigured(make_app(flaskrs, None)) == _reconfigured(
        make_app(flask, None)
    )


def signer(key: str, *, salt: str = "cookie-session") -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        key,
        salt=salt,
        serializer=flask.sessions.session_json_serializer,
        signer_kwargs={"key_derivation": "hmac", "digest_method": "sha1"},
    )


@pytest.mark.parametrize(
    ("cookie", "expected"),
    [
        (signer("secret").dumps({"a": (1,)}), "(1,)"),
        (signer("old").dumps({"a": 2}), "2"),
        (signer("older").dumps({"a": 3}), "3"),
        (signer("unknown").dumps({"a": 4}), "None"),
        (signer("secret", salt="other").dumps({"a": 5}), "None"),
        ("garbage", "None"),
        ("a.b.c", "None"),
        ("", "None"),
    ],
)
def test_open_session(cookie: str, expected: str) -> None:
    app = flask.Flask("tests_app")
    app.secret_key = "secret"
    app.config["SECRET_KEY_FALLBACKS"] = ["older", "old"]
    app.session_interface = ours.SecureCookieSessionInterface()

    @app.get("/")
    def view():
        return repr(flask.session.get("a"))

    client = app.test_client()
    client.set_cookie("session", cookie)
    assert client.get("/").data.decode() == expected


def test_expired_cookie_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    cookie = signer("secret").dumps({"a": 1})
    app = flask.Flask("tests_app")
    app.secret_key = "secret"
    app.config["PERMANENT_SESSION_LIFETIME"] = 10
    app.session_interface = ours.SecureCookieSessionInterface()
    app.add_url_rule("/", "v", lambda: repr(flask.session.get("a")))
    client = app.test_client()
    client.set_cookie("session", cookie)
    assert client.get("/").data == b"1"
    later = time.time() + 11
    monkeypatch.setattr(time, "time", lambda: later)
    assert client.get("/").data == b"None"


def test_valid_signature_bad_payload_gives_empty_session() -> None:
    # Flask answers 500 here; an undecodable session is only lost.
    bad = URLSafeTimedSerializer("secret", salt="cookie-session")
    cookie = bad.dumps({" b": "not base64!"}, salt="cookie-session")
    app = flask.Flask("tests_app")
    app.secret_key = "secret"
    app.session_interface = ours.SecureCookieSessionInterface()
    app.add_url_rule("/", "v", lambda: repr(dict(flask.session)))
    client = app.test_client()
    client.set_cookie("session", cookie)
    assert client.get("/").data == b"{}"


def test_signing_serializer_settings() -> None:
    interface = ours.SecureCookieSessionInterface()
    app = flask.Flask("tests_app")
    assert interface.get_signing_serializer(app) is None
    app.secret_key = "k"
    app.config["SECRET_KEY_FALLBACKS"] = ["a", "b"]
    mine = interface.get_signing_serializer(app)
    theirs = flask.sessions.SecureCookieSessionInterface().get_signing_serializer(app)
    assert mine is not None and theirs is not None
    assert mine.secret_keys == theirs.secret_keys == [b"a", b"b", b"k"]
    assert mine.salt == theirs.salt
    assert mine.signer_kwargs["key_derivation"] == "hmac"
    assert mine.signer_kwargs["digest_method"]().name == "sha1"
    assert mine.serializer is ours.session_json_serializer
    assert isinstance(mine.serializer, flaskrs.json.tag.TaggedJSONSerializer)
    # A changed key is seen at once, despite the cache.
    app.secret_key = "k2"
    again = interface.get_signing_serializer(app)
    assert again is not None and again.secret_keys[-1] == b"k2"
    app.config["SECRET_KEY_FALLBACKS"] = None
    app.secret_key = None
    assert interface.get_signing_serializer(app) is None


def test_interface_getters_like_flask() -> None:
    app = flask.Flask("tests_app")
    mine = ours.SecureCookieSessionInterface()
    theirs = flask.sessions.SecureCookieSessionInterface()
    getters = [name for name in dir(theirs) if name.startswith("get_cookie_")]
    assert getters == [name for name in dir(mine) if name.startswith("get_cookie_")]
    for config in [{}, {"SESSION_COOKIE_DOMAIN": ""}, {"SESSION_COOKIE_DOMAIN": False}]:
        app.config.update(config)
        for name in getters:
            assert getattr(mine, name)(app) == getattr(theirs, name)(app), name
    app.config["SERVER_NAME"] = "example.test"
    assert mine.get_cookie_domain(app) == theirs.get_cookie_domain(app)
    assert mine.pickle_based is False
    assert mine.salt == "cookie-session" and mine.key_derivation == "hmac"


def test_should_set_cookie_and_expiry() -> None:
    app = flask.Flask("tests_app")
    interface = ours.SessionInterface()
    session = ours.SecureCookieSession()
    assert not interface.should_set_cookie(app, session)
    assert interface.get_expiration_time(app, session) is None
    session.permanent = True
    assert session.modified and interface.should_set_cookie(app, session)
    expires = interface.get_expiration_time(app, session)
    assert expires is not None and expires.tzinfo is not None
    now = datetime.datetime.now(datetime.timezone.utc)
    expected = now + datetime.timedelta(days=31)
    assert abs((expected - expires).total_seconds()) < 5
    loaded = ours.SecureCookieSession({"_permanent": True})
    assert interface.should_set_cookie(app, loaded)
    app.config["SESSION_REFRESH_EACH_REQUEST"] = False
    assert not interface.should_set_cookie(app, loaded)


def test_session_classes() -> None:
    session = ours.SecureCookieSession({"a": 1})
    assert (session.new, session.modified, session.accessed) == (False, False, False)
    assert session.permanent is False
    # Reading does not mark anything: the request context tracks access.
    assert session["a"] == 1 and "a" in session and len(session) == 1
    assert not session.modified and not session.accessed
    session.permanent = "yes"
    assert session["_permanent"] is True and session.modified
    assert isinstance(session, ours.SessionMixin)
    assert ours.SessionMixin.modified is True


def test_session_changes_call_on_update_as_flask() -> None:
    seen = []
    for fw in (ours, flask.sessions):
        session = fw.SecureCookieSession({"a": 1})
        session["b"] = 2
        changed = session.modified
        calls: list[dict[str, t.Any]] = []
        session.modified = False
        session.on_update = lambda s, calls=calls: calls.append(dict(s))
        session["c"] = 3
        session.update(d=4)
        session.on_update = None
        session["e"] = 5
        seen.append((changed, session.modified, calls, dict(session)))
    assert seen[0] == seen[1]


@pytest.mark.parametrize(
    "operation",
    [
        lambda s: s.__setitem__("a", 1),
        lambda s: s.__delitem__("a"),
        lambda s: s.clear(),
        lambda s: s.pop("a"),
        lambda s: s.popitem(),
        lambda s: s.update({}),
        lambda s: s.setdefault("a"),
        lambda s: setattr(s, "permanent", True),
    ],
)
def test_null_session_refuses_changes(operation: t.Callable[[t.Any], t.Any]) -> None:
    messages = []
    for module in (ours, flask.sessions):
        null = module.SessionInterface().make_null_session(None)
        with pytest.raises(RuntimeError) as info:
            operation(null)
        messages.append(str(info.value))
    assert messages[0] == messages[1]
    assert "no secret key was set" in messages[0]


def test_null_session_reads() -> None:
    interface = ours.SessionInterface()
    null = interface.make_null_session(None)
    assert interface.is_null_session(null)
    assert not interface.is_null_session(ours.SecureCookieSession())
    assert null.get("a") is None and null.permanent is False and not null
    assert repr(null) == "<NullSession {}>"


def test_base_interface_is_abstract() -> None:
    with pytest.raises(NotImplementedError):
        ours.SessionInterface().open_session(None, None)
    with pytest.raises(NotImplementedError):
        ours.SessionInterface().save_session(None, None, None)


# Cookies the real Flask 3.1.3 wrote at NOW; they pin the format for any
# future signer, with or without Flask installed.
VECTORS = [
    ("secret", {"n": 1}, "eyJuIjoxfQ.ZVPxAA.-Q0vjvExA3yrIpSRYx3HW5bZXRY"),
    (
        "secret",
        {"user_id": 123, "username": "alice", "_permanent": True},
        "eyJfcGVybWFuZW50Ijp0cnVlLCJ1c2VyX2lkIjoxMjMsInVzZXJuYW1lIjoiYWxpY2UifQ"
        ".ZVPxAA.36c8ihM3GZVE9HYpdzyKD6x3Hs0",
    ),
    (
        b"\x00bytes-key",
        {
            "t": (1, b"\x00\xff"),
            "m": Markup("<b>"),
            "u": uuid.UUID(int=5),
            "d": datetime.datetime(2020, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
            " t": [1],
            "é": "ü",
        },
        ".eJyrVlIoUbKKNozVUUpRsqpWUgCSSiEZpToKBkYKXol5CkYGRgYKBsZWBiZWBqYK7r4hSrU6"
        "SrlgpUBSySbJDiRQAhYAm6QDZCQBZRwDLGyVamOBkqVgSSCpZIAfmIKMiik1MEi1BCoGMdKS"
        "lWoBjFYm5w.ZVPxAA.kpPg0hQEcXxGMJT6RO4d4iHWEpQ",
    ),
    (
        "secret",
        {"big": "x" * 200},
        ".eJyrVkrKTFeyUqoYJkCpFgBptWCt.ZVPxAA.1I8hUS_qanWc8DfFzyN4w1T-w4c",
    ),
    (
        "secret",
        {"_flashes": [("message", "hello")]},
        "eyJfZmxhc2hlcyI6W3siIHQiOlsibWVzc2FnZSIsImhlbGxvIl19XX0"
        ".ZVPxAA.K6F7rtUWnV4drbWbOZwXbsJcSOE",
    ),
]


@pytest.mark.parametrize(("key", "data", "cookie"), VECTORS)
def test_frozen_cookie_vectors(
    frozen: None, key: str | bytes, data: dict[str, t.Any], cookie: str
) -> None:
    app = flaskrs.Flask("vectors")
    app.secret_key = key
    interface = ours.SecureCookieSessionInterface()
    with app.app_context():
        serializer = interface.get_signing_serializer(app)
        assert serializer is not None
        assert serializer.dumps(data) == cookie
        assert serializer.loads(cookie, max_age=60) == data


@settings(max_examples=200, deadline=None)
@given(data=st.dictionaries(st.text(), tag_values, max_size=5))
def test_random_sessions_sign_like_flask(data: dict[str, t.Any]) -> None:
    cookies = []
    for fw, interface in (
        (flaskrs, ours.SecureCookieSessionInterface()),
        (flask, flask.sessions.SecureCookieSessionInterface()),
    ):
        app = fw.Flask("random")
        app.secret_key = "s3cret"
        with app.app_context():
            serializer = interface.get_signing_serializer(app)
            assert serializer is not None
            with _frozen_clock():
                cookies.append(serializer.dumps(data))
    assert cookies[0] == cookies[1]
    mine = ours.SecureCookieSessionInterface()
    app = flaskrs.Flask("random")
    app.secret_key = "s3cret"
    with app.app_context(), _frozen_clock():
        serializer = mine.get_signing_serializer(app)
        assert serializer is not None
        mine_loaded = serializer.loads(cookies[1])
    theirs = flask.sessions.SecureCookieSessionInterface()
    app = flask.Flask("random")
    app.secret_key = "s3cret"
    with app.app_context(), _frozen_clock():
        serializer = theirs.get_signing_serializer(app)
        assert serializer is not None
        # Not always ``data``: datetimes come back whole-second and UTC.
        assert typed(mine_loaded) == typed(serializer.loads(cookies[1]))


def _raw_cookie(payload: bytes, *, compress: bool = False) -> str:
    """A session cookie signed with the app's key around any payload bytes,
    as itsdangerous would sign it."""
    import base64
    import zlib

    from itsdangerous import TimestampSigner

    body = zlib.compress(payload) if compress else payload
    text = base64.urlsafe_b64encode(body).rstrip(b"=")
    if compress:
        text = b"." + text
    signer = TimestampSigner(
        "secret",
        salt="cookie-session",
        key_derivation="hmac",
        digest_method=hashlib.sha1,
    )
    return signer.sign(text).decode()


def _session_after(cookie: str) -> tuple[int, bytes]:
    app = flaskrs.Flask("bad_input")
    app.secret_key = "secret"
    app.add_url_rule("/", "v", lambda: repr(dict(flaskrs.session)))
    client = app.test_client()
    client.set_cookie("session", cookie)
    response = client.get("/")
    return response.status_code, response.data


GOOD = signer("secret").dumps({"user": "alice", "n": [1, 2, 3]})


@pytest.mark.parametrize(
    "cookie",
    [
        GOOD[:-1],
        GOOD[: len(GOOD) // 2],
        GOOD.replace(".", "!", 1),
        "é" + GOOD,
        "x" * 100_000,
        "." * 50,
        _raw_cookie(b"not json"),
        _raw_cookie(b"\xff\xfe"),
        _raw_cookie(b'{" u": "zz"}'),
        _raw_cookie(b"0" * 50_000_000, compress=True),  # a zlib bomb
        _raw_cookie(b"x", compress=False)[:-3] + "AAA",
    ],
    ids=range(11),
)
@pytest.mark.filterwarnings("ignore:The 'session' cookie is too large")
def test_bad_cookies_give_an_empty_session(cookie: str) -> None:
    assert _session_after(cookie) == (200, b"{}")


def test_unusual_but_valid_json_payloads_load_as_in_flask() -> None:
    # json.loads takes surrounding whitespace: so does the session.
    for payload in (b' {"a": 1}', b'{"a": 1}\n', b'\t{"a": 1}'):
        assert _session_after(_raw_cookie(payload)) == (200, b"{'a': 1}")


@pytest.mark.parametrize("payload", [b'{" t": [1]}', b"[1, 2]", b"3", b"null"])
def test_signed_payloads_that_are_not_mappings_give_an_empty_session(
    payload: bytes,
) -> None:
    # Flask answers 500 (it builds the session from whatever was signed).
    assert _session_after(_raw_cookie(payload)) == (200, b"{}")


@settings(max_examples=200, deadline=None)
@given(position=st.integers(0, len(GOOD) - 1), char=st.characters(codec="ascii"))
def test_any_tampering_gives_an_empty_session_or_the_same_one(
    position: int, char: str
) -> None:
    tampered = GOOD[:position] + char + GOOD[position + 1 :]
    status, body = _session_after(tampered)
    assert status == 200
    # Python's base64 decoding skips stray characters in the signature, so
    # a few edits there still verify, as they do in Flask.
    assert body in (b"{}", b"{'user': 'alice', 'n': [1, 2, 3]}")
