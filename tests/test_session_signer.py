"""The Rust session signer against itsdangerous configured as Flask configures
it: the same cookies out, the same JSON and timestamp back in, and every bad
cookie refused with ``SignatureError`` of the right kind."""

from __future__ import annotations

import base64
import contextlib
import decimal
import hashlib
import hmac
import json
import time
import typing as t
import zlib
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import HealthCheck
from hypothesis import settings
from hypothesis import strategies as st
from itsdangerous import BadPayload
from itsdangerous import BadSignature
from itsdangerous import BadTimeSignature
from itsdangerous import SignatureExpired
from itsdangerous import Signer
from itsdangerous import TimestampSigner
from itsdangerous import URLSafeTimedSerializer

from flaskrs import _core
from flaskrs._core import SessionSigner
from flaskrs._core import SignatureError

SALT = "cookie-session"
NOW = 1_700_000_000
KEYS: list[str | bytes] = ["old-key", "dev-secret"]
SMALL = b'{"_fresh":true,"cart":[1,2,3],"user_id":123,"username":"alice"}'
SIGNER_KWARGS = {"key_derivation": "hmac", "digest_method": hashlib.sha1}
# Past this, itsdangerous cannot make a datetime of the timestamp.
MAX_DATETIME_TS = 253402300799

SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


class _Raw:
    """A serializer that hands the JSON bytes through unchanged."""

    @staticmethod
    def dumps(obj: t.Any) -> t.Any:
        return obj

    @staticmethod
    def loads(data: t.Any) -> t.Any:
        return data


@contextlib.contextmanager
def frozen(now: int) -> t.Iterator[None]:
    with mock.patch.object(time, "time", lambda: now):
        yield


def oracle(keys: t.Sequence[str | bytes]) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        list(keys), salt=SALT, serializer=_Raw, signer_kwargs=SIGNER_KWARGS
    )


def oracle_sign(keys: t.Sequence[str | bytes], payload: bytes, ts: int) -> str:
    with frozen(ts):
        cookie = oracle(keys).dumps(payload)
    assert isinstance(cookie, bytes)
    return cookie.decode("ascii")


def oracle_loads(
    keys: t.Sequence[str | bytes], cookie: str | bytes, max_age: int | None, now: int
) -> tuple[bytes, int]:
    with frozen(now):
        data, when = oracle(keys).loads(cookie, max_age=max_age, return_timestamp=True)
    return data, int(when.timestamp())


def sign_text(keys: t.Sequence[str | bytes], text: str) -> str:
    """Signs any text as the cookie's signature covers it, for cookies whose
    inner parts are broken on purpose."""
    signer = Signer(list(keys), salt=SALT, **SIGNER_KWARGS)
    return signer.sign(text).decode()


def oracle_kind(error: Exception) -> str:
    """The ``SignatureError.kind`` that matches an itsdangerous exception."""
    if isinstance(error, SignatureExpired):
        return "expired"
    if isinstance(error, BadPayload):
        return "payload"
    if isinstance(error, BadTimeSignature) and str(error) in (
        "timestamp missing",
        "Malformed timestamp",
    ):
        # "Malformed timestamp" raised from another error is a bad signature
        # whose timestamp itsdangerous could not turn into a datetime.
        return "signature" if error.__cause__ is not None else "timestamp"
    assert isinstance(error, BadSignature)
    return "signature"


def py_b64decode(text: bytes) -> bytes | None:
    """itsdangerous's ``base64_decode``: pad, then Python's lenient decoder."""
    try:
        return base64.urlsafe_b64decode(text + b"=" * (-len(text) % 4))
    except ValueError:
        return None


def refusal(
    signer: SessionSigner, cookie: t.Any, max_age: int | None = None, now: int = NOW
) -> SignatureError:
    with pytest.raises(SignatureError) as info:
        signer.unsign(cookie, max_age, now)
    return info.value


def compact(value: t.Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), sort_keys=True).encode()


def make(keys: t.Sequence[str | bytes] = KEYS) -> SessionSigner:
    return SessionSigner(keys, SALT)


# Payloads: small and large, compressible and not.
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=6)
        | st.dictionaries(st.text(max_size=10), inner, max_size=6)
    ),
    max_leaves=30,
)
repetitive = st.integers(0, 200).map(
    lambda n: compact({"items": [{"id": i, "name": "item"} for i in range(n)]})
)
noise = st.binary(max_size=3000).map(
    lambda b: compact({"blob": base64.b64encode(b).decode()})
)
payloads = st.one_of(json_values.map(compact), repetitive, noise)
secrets = st.text(max_size=40) | st.binary(max_size=70)
key_lists = st.lists(secrets, min_size=1, max_size=3)
timestamps = st.integers(0, MAX_DATETIME_TS)

# Bytes for zlib: JSON-like text, random bytes, and bytes from a few symbols.
json_like = st.text(alphabet='{}[]:,"abcdefgh0123456789 \\ué', max_size=5000).map(
    str.encode
)
few_symbols = st.lists(st.sampled_from(b"ab\x00{}"), max_size=5000).map(bytes)
zlib_inputs = st.one_of(json_like, st.binary(max_size=5000), few_symbols)


@SETTINGS
@given(payload=payloads, keys=key_lists, ts=timestamps)
def test_sign_matches_itsdangerous(payload: bytes, keys: list, ts: int) -> None:
    assert make(keys).sign(payload, ts) == oracle_sign(keys, payload, ts)


@SETTINGS
@given(data=zlib_inputs)
def test_payload_compression_matches_python_zlib(data: bytes) -> None:
    cookie = make().sign(data, NOW)
    assert cookie == oracle_sign(KEYS, data, NOW)
    python_z = zlib.compress(data)
    # rsplit: an empty payload leaves the cookie starting with "." too.
    payload = cookie.rsplit(".", 2)[0]
    if payload.startswith("."):
        assert py_b64decode(payload[1:].encode()) == python_z
    else:
        assert len(python_z) >= len(data) - 1
        assert py_b64decode(payload.encode()) == data


@SETTINGS
@given(
    payload=payloads,
    keys=key_lists,
    ts=timestamps,
    age=st.integers(0, 1000),
    slack=st.none() | st.integers(0, 1000),
    as_bytes=st.booleans(),
)
def test_unsign_itsdangerous_cookies(
    payload: bytes,
    keys: list,
    ts: int,
    age: int,
    slack: int | None,
    as_bytes: bool,
) -> None:
    cookie = oracle_sign(keys, payload, ts)
    max_age = None if slack is None else age + slack
    now = ts + age
    expected = oracle_loads(keys, cookie, max_age, now)
    got = make(keys).unsign(cookie.encode() if as_bytes else cookie, max_age, now)
    assert got == expected == (payload, ts)


@SETTINGS
@given(old=secrets, new=secrets, payload=payloads, ts=timestamps)
def test_fallback_keys(old: str | bytes, new: str | bytes, payload: bytes, ts: int):
    old_cookie = oracle_sign([old], payload, ts)
    assert make([old, new]).unsign(old_cookie, None, ts) == (payload, ts)
    # The newest (last) key signs.
    assert make([old, new]).sign(payload, ts) == oracle_sign([new], payload, ts)
    # HMAC pads keys with zeros, so b"" and b"\0" are the same key.
    if derived(old) != derived(new):
        assert refusal(make([new]), old_cookie).kind == "signature"


def derived(key: str | bytes) -> bytes:
    raw = key if isinstance(key, bytes) else key.encode()
    return hmac.new(raw, SALT.encode(), hashlib.sha1).digest()


def mutate(cookie: str, data: st.DataObject) -> str:
    chars = st.sampled_from("AQZaz09-_+/=.!~ é\x00")
    where = data.draw(st.integers(0, len(cookie)))
    action = data.draw(
        st.sampled_from(["delete", "insert", "replace", "truncate", "repeat"])
    )
    if action == "delete":
        return cookie[:where] + cookie[where + 1 :]
    if action == "insert":
        return cookie[:where] + data.draw(st.text(chars, max_size=5)) + cookie[where:]
    if action == "replace":
        return cookie[:where] + data.draw(chars) + cookie[where + 1 :]
    if action == "truncate":
        return cookie[:where]
    return cookie + cookie[where:]


@SETTINGS
@given(
    payload=payloads,
    ts=timestamps,
    as_bytes=st.booleans(),
    max_age=st.none() | st.integers(0, 100),
    data=st.data(),
)
def test_damaged_cookies_agree_with_itsdangerous(
    payload: bytes,
    ts: int,
    as_bytes: bool,
    max_age: int | None,
    data: st.DataObject,
) -> None:
    cookie = mutate(oracle_sign(KEYS, payload, ts), data)
    sent: str | bytes = cookie.encode() if as_bytes else cookie
    try:
        expected = oracle_loads(KEYS, sent, max_age, ts)
    except (BadSignature, BadPayload) as error:
        assert refusal(make(), sent, max_age, ts).kind == oracle_kind(error)
    else:
        assert make().unsign(sent, max_age, ts) == expected


sig_noise = st.text(alphabet="!~ é\x00=+/*", max_size=8)


@SETTINGS
@given(noise=st.lists(st.tuples(st.integers(0, 27), sig_noise), max_size=4))
def test_signature_decoding_is_as_lenient_as_python(noise: list) -> None:
    """Characters outside the alphabet in the signature are skipped by
    Python's decoder; whether the cookie still verifies must agree."""
    body, _, sig = oracle_sign(KEYS, SMALL, NOW).rpartition(".")
    for where, extra in noise:
        sig = sig[:where] + extra + sig[where:]
    cookie = f"{body}.{sig}"
    try:
        expected = oracle_loads(KEYS, cookie, None, NOW)
    except BadSignature as error:
        assert refusal(make(), cookie).kind == oracle_kind(error) == "signature"
    else:
        assert make().unsign(cookie, None, NOW) == expected


b64ish = st.text(alphabet="AQgwYZaz09-_+/=!é.", max_size=24)


@SETTINGS
@given(text=b64ish, compressed=st.booleans())
def test_payload_decoding_agrees_with_itsdangerous(text: str, compressed: bool):
    marked = ("." if compressed else "") + text.replace(".", "")
    cookie = sign_text(KEYS, f"{marked}.ZVPxAA")
    try:
        expected = oracle_loads(KEYS, cookie, None, NOW)
    except BadPayload:
        error = refusal(make(), cookie)
        assert (error.kind, error.timestamp) == ("payload", NOW)
    else:
        assert make().unsign(cookie, None, NOW) == expected


@SETTINGS
@given(text=b64ish)
def test_timestamp_decoding_agrees_with_python(text: str) -> None:
    ts_text = text.replace(".", "")
    cookie = sign_text(KEYS, f"e30.{ts_text}")
    raw = py_b64decode(ts_text.encode())
    # itsdangerous's bytes_to_int: an unsigned 64-bit big-endian integer,
    # so 8 bytes at most, leading zeros included.
    if raw is None or len(raw) > 8:
        error = refusal(make(), cookie)
        assert (error.kind, error.timestamp) == ("timestamp", None)
        with frozen(NOW), pytest.raises(BadTimeSignature, match="Malformed"):
            oracle(KEYS).loads(cookie)
        return
    number = int.from_bytes(raw, "big")
    assert make().unsign(cookie, None, NOW) == (b"{}", number)
    if number <= MAX_DATETIME_TS:
        assert oracle_loads(KEYS, cookie, None, NOW) == (b"{}", number)


def test_known_cookie() -> None:
    # What itsdangerous gave for SMALL under KEYS at NOW.
    cookie = (
        "eyJfZnJlc2giOnRydWUsImNhcnQiOlsxLDIsM10sInVzZXJfaWQiOjEy"
        "MywidXNlcm5hbWUiOiJhbGljZSJ9.ZVPxAA.3_rzGG97-N_1sJSrzqf3A_IcuLw"
    )
    assert make().sign(SMALL, NOW) == cookie
    assert make().unsign(cookie, 0, NOW) == (SMALL, NOW)


def test_timestamp_zero_and_largest() -> None:
    assert make().sign(b"{}", 0) == oracle_sign(KEYS, b"{}", 0)
    assert make().sign(b"{}", 0).split(".")[1] == ""
    assert make().unsign(make().sign(b"{}", 0), None, 5) == (b"{}", 0)
    top = 2**64 - 1
    assert make().sign(b"{}", top) == oracle_sign(KEYS, b"{}", top)
    assert make().unsign(make().sign(b"{}", top), None, 0) == (b"{}", top)


def test_expired() -> None:
    cookie = make().sign(SMALL, NOW)
    late = refusal(make(), cookie, max_age=10, now=NOW + 12)
    assert (late.kind, late.timestamp) == ("expired", NOW)
    assert str(late) == "Signature age 12 > 10 seconds"
    early = refusal(make(), cookie, max_age=10, now=NOW - 1)
    assert (early.kind, early.timestamp) == ("expired", NOW)
    assert str(early) == "Signature age -1 < 0 seconds"
    assert make().unsign(cookie, 10, NOW + 10) == (SMALL, NOW)
    # No max_age: no age check at all.
    assert make().unsign(cookie, None, 0) == (SMALL, NOW)


def test_tampered_truncated_and_wrong_key() -> None:
    cookie = make().sign(SMALL, NOW)
    body, _, sig = cookie.rpartition(".")
    flipped = ("B" if body[0] != "B" else "C") + body[1:]
    assert refusal(make(), f"{flipped}.{sig}").kind == "signature"
    other = "A" if sig[0] != "A" else "B"
    assert refusal(make(), f"{body}.{other}{sig[1:]}").kind == "signature"
    for end in range(len(cookie)):
        assert refusal(make(), cookie[:end]).kind == "signature"
    # The timestamp of a cookie that does not verify is not read at all.
    wrong = refusal(make(["another"]), cookie)
    assert (wrong.kind, wrong.timestamp) == ("signature", None)


@pytest.mark.parametrize(
    "cookie",
    [
        "",
        b"",
        ".",
        "..",
        "...",
        "a.b.c",
        "no separator",
        "é.é.é",
        "eyJ9.ZVPxAA.é",
        "\udc80.\udc80.\udc80",
        "\x00" * 100,
        "A" * 1_000_000,
        "A." * 500_000,
        b"\xff\xfe.\x80.\x00",
    ],
)
def test_garbage(cookie: str | bytes) -> None:
    assert refusal(make(), cookie, 10).kind == "signature"


def test_signed_without_timestamp_or_with_a_bad_one() -> None:
    missing = refusal(make(), sign_text(KEYS, "e30"))
    assert (missing.kind, missing.timestamp) == ("timestamp", None)
    bad = refusal(make(), sign_text(KEYS, "e30.A"))
    assert (bad.kind, bad.timestamp) == ("timestamp", None)
    too_long = refusal(make(), sign_text(KEYS, "e30." + "_" * 12))
    assert too_long.kind == "timestamp"


def test_bad_base64_and_bad_zlib() -> None:
    for text in ["e", ".e", "!!!e", "AAAAA"]:
        cookie = sign_text(KEYS, text + ".ZVPxAA")
        error = refusal(make(), cookie)
        assert (error.kind, error.timestamp) == ("payload", NOW), text
        with frozen(NOW), pytest.raises(BadPayload):
            oracle(KEYS).loads(cookie)
    not_zlib = "." + base64.urlsafe_b64encode(b"{}").decode().rstrip("=")
    assert refusal(make(), sign_text(KEYS, not_zlib + ".ZVPxAA")).kind == "payload"
    cut = base64.urlsafe_b64encode(zlib.compress(SMALL)[:-3]).decode().rstrip("=")
    assert refusal(make(), sign_text(KEYS, f".{cut}.ZVPxAA")).kind == "payload"


def compressed_cookie(z: bytes) -> str:
    body = base64.urlsafe_b64encode(z).decode().rstrip("=")
    with frozen(NOW):
        signer = TimestampSigner(KEYS, salt=SALT, **SIGNER_KWARGS)
        return signer.sign("." + body).decode("ascii")


def test_large_payloads_load_in_full_as_in_itsdangerous() -> None:
    """A payload that verifies was signed with our key: however far it
    inflates, it is loaded, as itsdangerous loads it."""
    big = b"[" + b" " * (8 << 20) + b"]"
    cookie = compressed_cookie(zlib.compress(big))
    assert len(cookie) < 20_000
    assert make().unsign(cookie, None, NOW) == oracle_loads(KEYS, cookie, None, NOW)


def test_forged_zlib_bomb_is_never_inflated() -> None:
    """100 MB of zeros in a ~100 KB cookie whose signature is not ours:
    refused before its payload is decoded."""
    packer = zlib.compressobj()
    chunk = bytes(1 << 20)
    z = b"".join(packer.compress(chunk) for _ in range(100)) + packer.flush()
    body, _, _ = compressed_cookie(z).rpartition(".")
    before = _core.session_inflations()
    error = refusal(make(), body + ".AAAAAAAAAAAAAAAAAAAAAAAAAAA")
    assert (error.kind, error.timestamp) == ("signature", None)
    assert _core.session_inflations() == before


def test_types_and_arguments() -> None:
    with pytest.raises(ValueError):
        SessionSigner([], SALT)
    with pytest.raises(TypeError):
        SessionSigner([1], SALT)  # type: ignore[list-item]
    with pytest.raises(TypeError):
        SessionSigner(KEYS, 3)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        make().unsign(123, None, NOW)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        make().sign("text", NOW)  # type: ignore[arg-type]
    # A lone key is one key, as itsdangerous takes it, not a list of letters.
    assert SessionSigner("dev-secret", SALT).sign(SMALL, NOW) == oracle_sign(
        ["dev-secret"], SMALL, NOW
    )
    assert SessionSigner((b"k",), b"cookie-session").sign(SMALL, NOW) == oracle_sign(
        [b"k"], SMALL, NOW
    )


def test_error_class() -> None:
    assert issubclass(SignatureError, ValueError)
    assert SignatureError.__module__ == "flaskrs._core"
    made = SignatureError("by hand")
    assert (made.kind, made.timestamp) == ("signature", None)


@settings(max_examples=200, deadline=None)
@given(
    value=st.dictionaries(
        st.text(max_size=5),
        st.none() | st.integers() | st.text(max_size=8) | st.tuples(st.integers()),
        max_size=4,
    ),
    sort_keys=st.booleans(),
)
def test_sign_value_is_sign_of_the_tagged_json(
    value: dict[str, t.Any], sort_keys: bool
) -> None:
    signer = SessionSigner(["old", "new"], "cookie-session")
    payload = _core.tagged_dumps(value, sort_keys)
    assert payload is not None
    cookie = signer.sign_value(value, sort_keys, 1_700_000_000)
    assert cookie == signer.sign(payload, 1_700_000_000)
    text, stamp = signer.unsign_text(cookie, None, 1_700_000_000)
    assert (text.encode(), stamp) == signer.unsign(cookie, None, 1_700_000_000)


def test_sign_value_leaves_other_types_to_python() -> None:
    signer = SessionSigner("k", "cookie-session")
    assert signer.sign_value({"d": decimal.Decimal(1)}, True, 0) is None


def test_unsign_text_refuses_a_payload_that_is_not_utf8() -> None:
    signer = SessionSigner("k", "cookie-session")
    cookie = signer.sign(b'"\xff"', 100)
    with pytest.raises(SignatureError) as caught:
        signer.unsign_text(cookie, None, 100)
    assert caught.value.kind == "payload"
    assert signer.unsign(cookie, None, 100)[0] == b'"\xff"'


@settings(max_examples=200, deadline=None)
@given(
    value=st.dictionaries(
        st.text(max_size=5),
        st.none()
        | st.integers()
        | st.floats(allow_nan=False)
        | st.text(max_size=8)
        | st.tuples(st.integers())
        | st.binary(max_size=4),
        max_size=4,
    ),
    sort_keys=st.booleans(),
)
def test_unsign_value_loads_what_sign_value_signed(
    value: dict[str, t.Any], sort_keys: bool
) -> None:
    signer = SessionSigner(["old", "new"], "cookie-session")
    cookie = signer.sign_value(value, sort_keys, NOW)
    assert cookie is not None
    loaded, stamp = signer.unsign_value(cookie, 60, NOW)
    text = signer.unsign_text(cookie, 60, NOW)[0]
    assert stamp == NOW
    assert loaded == _core.untag(json.loads(text)) == value


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b'{"a": 1}  \n', {"a": 1}),
        (b'{" t": [1, 2]}', (1, 2)),
        (b' {"a": 1}', "payload"),
        (b'{"a": 1} x', "payload"),
        (b"{", "payload"),
        (b"", "payload"),
        (b'{" u": "zz"}', ValueError),
    ],
)
def test_unsign_value_edges(payload: bytes, expected: t.Any) -> None:
    signer = SessionSigner("k", "cookie-session")
    cookie = signer.sign(payload, NOW)
    if expected == "payload":
        with pytest.raises(SignatureError) as caught:
            signer.unsign_value(cookie, None, NOW)
        assert caught.value.kind == "payload"
    elif isinstance(expected, type):
        with pytest.raises(expected):
            signer.unsign_value(cookie, None, NOW)
    else:
        assert signer.unsign_value(cookie, None, NOW)[0] == expected


# Lengths where the native compressor changes the zlib memory level it uses
# (each level's symbol buffer) and where hash chains can first grow long.
_LEVEL_EDGES = [33, 34, 35, 36, 253, 254, 255, 1021, 1022, 1023, 4093, 4094, 4095]


@pytest.mark.parametrize("length", _LEVEL_EDGES)
@pytest.mark.parametrize("symbols", [2, 5, 30, 256])
def test_compression_at_level_edges_matches_python_zlib(
    length: int, symbols: int
) -> None:
    import random

    rng = random.Random(length * 1000 + symbols)
    alphabet = bytes(rng.sample(range(256), symbols))
    for _ in range(5):
        data = bytes(rng.choice(alphabet) for _ in range(length))
        cookie = make().sign(data, NOW)
        assert cookie == oracle_sign(KEYS, data, NOW)
