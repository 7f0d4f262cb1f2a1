"""The one question the app asks of its session interface beyond Flask's hooks:
is this the stock cookie interface (``SessionInterface._is_stock_cookie``)?

Only then does flaskrs open the session on first use and work out the cookie
from the configuration; every other interface, including any subclass of the
cookie interface, must see Flask's calls in Flask's order. The differential
tests record the calls a subclass sees and compare them with Flask's.
"""

from __future__ import annotations

import contextlib
import time
import types
import typing as t

import flask
import pytest

import flaskrs
import flaskrs.sessions as ours

# The interface methods an override of which takes the app off the stock path:
# those that decide, which must be called as often as in Flask, and getters of
# settings, which Flask calls on every save and flaskrs only when it writes a
# cookie (the responses must be the same).
DECISIONS = [
    "open_session",
    "save_session",
    "get_signing_serializer",
    "should_set_cookie",
    "get_expiration_time",
    "is_null_session",
]
GETTERS = ["get_cookie_name", "get_cookie_path", "get_cookie_samesite"]
HOOKS = DECISIONS + GETTERS


def _recording_subclass(fw: types.ModuleType, hook: str, log: list[str]) -> type[t.Any]:
    # A subclass of the framework's cookie interface whose ``hook`` logs its
    # calls and then does what the framework's does.
    base = fw.sessions.SecureCookieSessionInterface

    def override(self: t.Any, *args: t.Any) -> t.Any:
        log.append(hook)
        return getattr(super(cls, self), hook)(*args)

    cls = type("Recording", (base,), {hook: override})
    return cls


class _RecordingSerializer:
    # The framework's tagged JSON, logging each use.
    def __init__(self, fw: types.ModuleType, log: list[str]) -> None:
        self.inner = fw.json.tag.TaggedJSONSerializer()
        self.log = log

    def dumps(self, value: t.Any) -> str:
        if value != {}:
            # (itsdangerous probes a serializer with dumps({}) each time it
            # builds a signer: Flask twice per request, flaskrs once a key.)
            self.log.append(f"dumps {value!r}")
        return self.inner.dumps(value)  # type: ignore[no-any-return]

    def loads(self, value: str) -> t.Any:
        self.log.append(f"loads {value!r}")
        return self.inner.loads(value)


def test_the_stock_interface_is_stock() -> None:
    assert flaskrs.Flask.session_interface._is_stock_cookie() is True
    assert ours.SecureCookieSessionInterface()._is_stock_cookie() is True
    # Its memos, set by use, do not count as changes.
    app = flaskrs.Flask(__name__)
    app.secret_key = "secret"
    interface = ours.SecureCookieSessionInterface()
    app.session_interface = interface

    @app.get("/")
    def write() -> str:
        flaskrs.session["n"] = 1
        return ""

    assert app.test_client().get("/").headers["Set-Cookie"]
    assert interface._signer_memo is not None
    assert interface._settings_memo is not None
    assert interface._is_stock_cookie() is True


def test_other_interfaces_are_not() -> None:
    assert ours.SessionInterface()._is_stock_cookie() is False
    # Not even a subclass that changes nothing: it may change anything later.
    sub = type("Sub", (ours.SecureCookieSessionInterface,), {})
    assert sub()._is_stock_cookie() is False


@pytest.mark.parametrize("hook", HOOKS)
def test_a_replaced_hook_is_not_stock(hook: str) -> None:
    assert _recording_subclass(flaskrs, hook, [])()._is_stock_cookie() is False
    interface = ours.SecureCookieSessionInterface()
    setattr(interface, hook, getattr(interface, hook))
    assert interface._is_stock_cookie() is False


def test_a_custom_serializer_is_not_stock(monkeypatch: pytest.MonkeyPatch) -> None:
    serializer = _RecordingSerializer(flaskrs, [])
    sub = type("Sub", (ours.SecureCookieSessionInterface,), {"serializer": serializer})
    assert sub()._is_stock_cookie() is False
    interface = ours.SecureCookieSessionInterface()
    interface.serializer = serializer  # type: ignore[assignment]
    assert interface._is_stock_cookie() is False
    # Replaced on the class itself.
    monkeypatch.setattr(ours.SecureCookieSessionInterface, "serializer", serializer)
    assert ours.SecureCookieSessionInterface()._is_stock_cookie() is False


@contextlib.contextmanager
def _frozen_clock() -> t.Iterator[None]:
    # The signing time is in the cookie: both apps sign at the same second.
    real = time.time
    time.time = lambda: 1_700_000_000.25
    try:
        yield
    finally:
        time.time = real


def _app(fw: types.ModuleType, interface: t.Any) -> t.Any:
    app = fw.Flask("stock_app")
    app.secret_key = "secret"
    app.session_interface = interface

    @app.get("/none")
    def none() -> str:
        return "none"

    @app.get("/read")
    def read() -> str:
        return repr(dict(fw.session))

    @app.get("/write")
    def write() -> str:
        fw.session["n"] = fw.session.get("n", 0) + 1
        return "write"

    @app.get("/permanent")
    def permanent() -> str:
        fw.session.permanent = True
        return "permanent"

    return app


SET = "Set-Cookie"

# Each path twice: once without the cookie, once with the cookie the earlier
# requests left in the client.
PATHS = ["/none", "/read", "/write", "/none", "/read", "/permanent", "/none"]


def _run(app: t.Any, log: list[str], calls: bool = True) -> list[t.Any]:
    client = app.test_client()
    seen = []
    for path in PATHS:
        del log[:]
        with _frozen_clock():
            response = client.get(path)
        seen.append(
            (
                path,
                response.get_data(),
                sorted(response.headers.getlist("Vary")),
                # The cookies without their expiry date (read from datetime).
                [c.split("; Expires")[0] for c in response.headers.getlist(SET)],
                list(log) if calls else None,
            )
        )
    return seen


@pytest.mark.parametrize("hook", HOOKS)
def test_a_subclass_sees_flasks_calls(hook: str) -> None:
    theirs: list[str] = []
    mine: list[str] = []
    calls = hook in DECISIONS
    flask_app = _app(flask, _recording_subclass(flask, hook, theirs)())
    app = _app(flaskrs, _recording_subclass(flaskrs, hook, mine)())
    assert _run(app, mine, calls) == _run(flask_app, theirs, calls)
    if not calls:
        assert mine


def test_a_custom_serializer_sees_flasks_calls() -> None:
    theirs: list[str] = []
    mine: list[str] = []
    flask_interface = flask.sessions.SecureCookieSessionInterface()
    flask_interface.serializer = _RecordingSerializer(flask, theirs)  # type: ignore[assignment]
    interface = ours.SecureCookieSessionInterface()
    interface.serializer = _RecordingSerializer(flaskrs, mine)  # type: ignore[assignment]
    assert _run(_app(flaskrs, interface), mine) == _run(
        _app(flask, flask_interface), theirs
    )
