"""Hostile session cookies: what a request pays for a cookie that is not
ours (one MAC, nothing decoded), and what a cookie of ours that cannot be
loaded gives (an empty session, never an error page). Flask is the oracle
wherever it answers sanely."""

from __future__ import annotations

import base64
import datetime
import hashlib
import types
import typing as t
import zlib

import flask
import pytest
from itsdangerous import BadData
from itsdangerous import BadSignature
from itsdangerous import BadTimeSignature
from itsdangerous import SignatureExpired
from itsdangerous import URLSafeTimedSerializer
from itsdangerous.signer import Signer

import flaskrs
from flaskrs._core import session_inflations

SECRET = "hostile-secret"
SALT = "cookie-session"
LIFETIME = 31 * 24 * 3600
# What datetime holds: 9999-12-31T23:59:59 UTC.
LAST_DATETIME = 253402300799


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def sign_text(text: str, key: str = SECRET) -> str:
    """``text`` (``payload.timestamp``) with the signature ``key`` gives it."""
    signer = Signer(key, salt=SALT, key_derivation="hmac", digest_method=hashlib.sha1)
    return signer.sign(text).decode()


def timestamp_text(stamp: int) -> str:
    return b64(stamp.to_bytes((stamp.bit_length() + 7) // 8, "big"))


def now() -> int:
    import time

    return int(time.time())


def payload_text(payload: bytes, compress: bool) -> str:
    return "." + b64(zlib.compress(payload)) if compress else b64(payload)


def signed(payload: bytes, stamp: int | None = None, compress: bool = False) -> str:
    stamp = now() if stamp is None else stamp
    return sign_text(f"{payload_text(payload, compress)}.{timestamp_text(stamp)}")


def forged(payload: bytes, compress: bool = True) -> str:
    """A cookie of the right shape whose signature is nobody's."""
    return f"{payload_text(payload, compress)}.{timestamp_text(now())}.{'A' * 27}"


# A payload that inflates to 1 MB from about 1 KB: 1.4 KB of cookie.
BOMB = b"\0" * (1 << 20)
PERMANENT = b'{"_permanent":true,"user":"alice","pad":"' + b"x" * 200 + b'"}'


def make_app(fw: types.ModuleType, **config: t.Any) -> t.Any:
    app = fw.Flask("hostile")
    app.secret_key = SECRET
    app.config.update(config)

    @app.get("/read")
    def read() -> str:
        return repr(sorted(fw.session.items()))

    @app.get("/none")
    def untouched() -> str:
        return "none"

    return app


def answer(app: t.Any, path: str, cookie: str) -> tuple[int, bytes, bool, bool]:
    client = app.test_client()
    client.set_cookie("session", cookie)
    response = client.get(path)
    return (
        response.status_code,
        response.data,
        "Set-Cookie" in response.headers,
        "Vary" in response.headers,
    )


EMPTY = {"/read": (200, b"[]", False, True), "/none": (200, b"none", False, False)}


# Cookies not ours: they must never reach zlib, on either route.
NOT_OURS = {
    "forged bomb": forged(BOMB),
    "forged small": forged(PERMANENT),
    "forged plain": forged(PERMANENT, compress=False),
    "wrong key": sign_text(
        f"{payload_text(BOMB, True)}.{timestamp_text(1_700_000_000)}", "other"
    ),
    "tampered": signed(PERMANENT, compress=True).replace(".", ".A", 1),
    "bomb in the timestamp": f"e30.{payload_text(BOMB, True)}.{'A' * 27}",
    "no signature": payload_text(BOMB, True) + ".ZVPxAA",
    "signature only": "." + "A" * 2000,
    # A signed cookie that has expired or is from the future is not loaded.
    "expired": signed(PERMANENT, now() - LIFETIME - 10, compress=True),
    "from the future": signed(PERMANENT, now() + 3600, compress=True),
}


@pytest.mark.parametrize("path", ["/read", "/none"])
@pytest.mark.parametrize("name", list(NOT_OURS))
def test_cookies_not_ours_are_never_inflated(name: str, path: str) -> None:
    cookie = NOT_OURS[name]
    app = make_app(flaskrs)
    before = session_inflations()
    assert answer(app, path, cookie) == EMPTY[path]
    assert session_inflations() == before
    # Flask gives the same answer, after decoding nothing either.
    assert answer(make_app(flask), path, cookie) == EMPTY[path]


@pytest.mark.parametrize("path", ["/read", "/none"])
@pytest.mark.parametrize("key", [SECRET, "fallback"])
def test_cookies_of_ours_are_inflated_and_loaded(key: str, path: str) -> None:
    text = f"{payload_text(PERMANENT, True)}.{timestamp_text(now())}"
    cookie = sign_text(text, key)
    app = make_app(flaskrs, SECRET_KEY_FALLBACKS=["fallback"])
    before = session_inflations()
    got = answer(app, path, cookie)
    assert session_inflations() > before
    oracle = make_app(flask, SECRET_KEY_FALLBACKS=["fallback"])
    assert got == answer(oracle, path, cookie)
    # A refreshed permanent session: the cookie is written again.
    assert got[2]


def test_a_plain_session_is_not_opened_by_a_route_that_does_not_use_it() -> None:
    cookie = signed(b'{"user":"alice","pad":"' + b"x" * 200 + b'"}', compress=True)
    assert answer(make_app(flaskrs), "/none", cookie) == EMPTY["/none"]
    assert answer(make_app(flask), "/none", cookie) == EMPTY["/none"]


def test_a_large_verified_payload_loads_as_in_flask() -> None:
    # 2 MB of session from a small cookie: ours, so loaded in full.
    payload = b'{"big":"' + b"y" * (2 << 20) + b'"}'
    cookie = signed(payload, compress=True)
    assert len(cookie) < 8000
    app = flaskrs.Flask("big")
    app.secret_key = SECRET
    app.add_url_rule("/", "v", lambda: str(len(flaskrs.session["big"])))
    assert answer(app, "/", cookie)[:2] == (200, b"2097152")


# Timestamps of cookies of ours that datetime cannot hold, or that are not
# the time of anything: Flask answers 500 for several of them.
HOSTILE_TIMES = {
    "2**63": 2**63,
    "2**64 - 1": 2**64 - 1,
    "past 64 bits": 2**80,
    "year 10000": LAST_DATETIME + 1,
    "2**40": 2**40,
    "zero": 0,
    "just in range but future": LAST_DATETIME,
}


@pytest.mark.parametrize("path", ["/read", "/none"])
@pytest.mark.parametrize("name", list(HOSTILE_TIMES))
def test_hostile_timestamps_give_an_empty_session(name: str, path: str) -> None:
    cookie = signed(PERMANENT, HOSTILE_TIMES[name], compress=True)
    assert answer(make_app(flaskrs), path, cookie) == EMPTY[path]
    flask_answer = answer(make_app(flask), path, cookie)
    assert flask_answer[0] == 500 or flask_answer == EMPTY[path]


@pytest.mark.parametrize("name", list(HOSTILE_TIMES))
@pytest.mark.parametrize("max_age", [None, LIFETIME, 10**30])
def test_loads_raises_only_bad_data_for_hostile_timestamps(
    name: str, max_age: int | None
) -> None:
    stamp = HOSTILE_TIMES[name]
    cookie = signed(b'{"a":1}', stamp)
    app = make_app(flaskrs)
    serializer = app.session_interface.get_signing_serializer(app)
    oracle = flask.sessions.SecureCookieSessionInterface().get_signing_serializer(
        make_app(flask)
    )
    for return_timestamp in (False, True):
        try:
            expected: t.Any = oracle.loads(
                cookie, max_age=max_age, return_timestamp=return_timestamp
            )
        except Exception as e:
            expected = e
        try:
            got: t.Any = serializer.loads(
                cookie, max_age=max_age, return_timestamp=return_timestamp
            )
        except BadData as e:
            got = e
        if not isinstance(expected, Exception):
            assert got == expected
        elif isinstance(expected, BadData):
            assert type(got) is type(expected)
        else:
            # itsdangerous's OverflowError or ValueError: ours is BadData.
            assert isinstance(got, BadTimeSignature), (expected, got)
            if isinstance(got, SignatureExpired):
                assert got.date_signed is None


def test_expired_errors_keep_their_date_when_datetime_holds_it() -> None:
    app = make_app(flaskrs)
    serializer = app.session_interface.get_signing_serializer(app)
    with pytest.raises(SignatureExpired) as caught:
        serializer.loads(signed(b"{}", 1_000), max_age=10)
    assert caught.value.date_signed == datetime.datetime.fromtimestamp(
        1_000, tz=datetime.timezone.utc
    )
    with pytest.raises(SignatureExpired) as caught:
        serializer.loads(signed(b"{}", 2**63), max_age=10)
    assert caught.value.date_signed is None


@pytest.mark.parametrize("salt", [None, SALT])
@pytest.mark.parametrize("max_age", [10.5, 10**30, LIFETIME])
def test_loads_takes_any_age_limit_as_itsdangerous(
    salt: str | None, max_age: t.Any
) -> None:
    app = make_app(flaskrs)
    serializer = app.session_interface.get_signing_serializer(app)
    oracle = URLSafeTimedSerializer(
        SECRET,
        salt=SALT,
        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1},
    )
    fresh = signed(b'{"a":1}')
    assert serializer.loads(fresh, max_age=max_age, salt=salt) == {"a": 1}
    assert oracle.loads(fresh, max_age=max_age) == {"a": 1}
    old = signed(b'{"a":1}', now() - 20)
    if max_age == 10.5:
        with pytest.raises(SignatureExpired):
            serializer.loads(old, max_age=max_age, salt=salt)
    with pytest.raises(BadTimeSignature):
        serializer.loads(signed(b"{}", 2**63), max_age=max_age, salt=salt)


def test_loads_unsafe_decodes_nothing_that_does_not_verify() -> None:
    app = make_app(flaskrs)
    serializer = app.session_interface.get_signing_serializer(app)
    before = session_inflations()
    assert serializer.loads_unsafe(forged(BOMB)) == (False, None)
    assert session_inflations() == before
    assert serializer.loads_unsafe(signed(PERMANENT, compress=True))[0] is True


def test_another_digest_gives_an_empty_session_for_hostile_timestamps() -> None:
    class Sha256(flaskrs.sessions.SecureCookieSessionInterface):
        digest_method = staticmethod(hashlib.sha256)

    app = make_app(flaskrs)
    app.session_interface = Sha256()
    signer = Signer(
        SECRET, salt=SALT, key_derivation="hmac", digest_method=hashlib.sha256
    )
    cookie = signer.sign(f"e30.{timestamp_text(2**63)}").decode()
    assert answer(app, "/read", cookie) == EMPTY["/read"]


def test_loads_with_a_salt_refuses_text_no_key_can_sign() -> None:
    app = make_app(flaskrs)
    serializer = app.session_interface.get_signing_serializer(app)
    with pytest.raises(BadSignature):
        serializer.loads("\udc80.\udc80.\udc80", salt=SALT)


def test_differential_fuzz_against_flask_finds_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """tests/fuzz_cookies.py at CI size; its output (reproducers for any
    failure) is shown when it fails."""
    import fuzz_cookies

    code = fuzz_cookies.main(["--inputs", "10000", "--seed", "13"])
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == (
        "cookie fuzz: 10000 inputs, 0 panics, 0 mismatches, 0 unexpected 500s (seed 13)"
    ), out
    assert code == 0
