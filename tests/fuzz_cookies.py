"""Differential fuzzing of the session cookie: flaskrs against Flask 3.1.3.

    python tests/fuzz_cookies.py --inputs 1000000 --seed 1

Each input is a ``Cookie`` header, drawn from a seeded generator: cookies
Flask itself signed (random sessions of every tagged type, with the current
or a fallback key), those cookies damaged in every way, cookies signed with
a wrong key or not at all (zlib bombs among them), cookies signed with our
key but hostile inside (broken base64, zlib, UTF-8 or JSON, unknown or
broken tags, deep nesting, timestamps out of any range), several session
cookies in one header, and text that is not ASCII. The header goes to the
same app written once for each framework (same configuration and secret) on
three routes: one that shows the session, one that never touches it, and
one that writes it. Status, body, ``Set-Cookie`` (without its ``Expires``,
which follows the wall clock) and ``Vary`` must agree, except that where
Flask cannot load a cookie of ours (it answers 500) or loads a payload that
is not a JSON object, flaskrs must answer exactly as for a request with no
cookie. Any 500 from flaskrs is a failure, and so is any ``PanicException``
out of the native core.

Flask's time is the oracle's (100-250 us a request, against 10-40 us for
flaskrs), so its answers are inferred where that is sound, and the
inferences are checked against Flask itself for one input in
``MODEL_CHECK_EVERY``: a header whose session cookie is missing or signed by
no key (checked as itsdangerous checks it) gets Flask's answer without a
cookie; on ``/none`` Flask's answer follows from its ``/read`` one (it opens
the same session either way and only ``accessed`` differs, so ``Vary`` comes
only with a cookie). flaskrs answers every route asked, which is ``/read``
and ``/none`` for every input and ``/write`` for one in ``WRITE_EVERY``.
Each framework serves a batch of inputs in turn: switching between them on
every request costs each its warm caches. The clock is frozen, so every
input replays exactly: ``--only INDEX``.
"""

from __future__ import annotations

import argparse
import base64
import collections
import datetime
import hashlib
import hmac
import random
import re
import sys
import time
import typing as t
import uuid
import warnings
import zlib
from unittest import mock

import flask
from itsdangerous import BadData
from itsdangerous.encoding import base64_decode
from markupsafe import Markup
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.sansio.http import parse_cookie
from werkzeug.test import EnvironBuilder

import flaskrs

SECRET = "fuzz-secret"
FALLBACKS = ["fuzz-old"]
SALT = "cookie-session"
NOW = 1_700_000_000
LIFETIME = 31 * 24 * 3600
LAST_DATETIME = 253_402_300_799
ROUTES = ("/read", "/none", "/write")
WRITE_EVERY = 16
BATCH = 200
POOL = 1000
MODEL_CHECK_EVERY = 16

# (status, body, Set-Cookie headers without Expires, Vary)
Answer = tuple[int, bytes, tuple[str, ...], t.Optional[str]]


# The apps ---------------------------------------------------------------


class Recorder:
    """Stands in for ``app.log_exception``: keeps the last error quietly."""

    def __init__(self) -> None:
        self.last: BaseException | None = None

    def __call__(self, exc_info: t.Any) -> None:
        self.last = exc_info[1]


def make_app(fw: t.Any, refresh: bool) -> t.Any:
    app = fw.Flask("fuzz")
    app.config.update(
        SECRET_KEY=SECRET,
        SECRET_KEY_FALLBACKS=FALLBACKS,
        SESSION_REFRESH_EACH_REQUEST=refresh,
    )
    session = fw.session

    @app.get("/read")
    def read() -> str:
        return repr(dict(session))

    @app.get("/none")
    def untouched() -> str:
        return "none"

    @app.get("/write")
    def write() -> str:
        session["w"] = "x"
        return repr(dict(session))

    app.log_exception = Recorder()
    # Flask also logs its own failure to save the session of a request that
    # failed to open it.
    app.logger.disabled = True
    return app


_EXPIRES = re.compile(r"; Expires=[^;]*")


def _start(status: str, headers: list[tuple[str, str]], exc_info: t.Any = None) -> None:
    _started[:] = [status, headers]


_started: list[t.Any] = []


def call(app: t.Any, environ: dict[str, t.Any]) -> Answer:
    """The app's answer to ``environ``, straight through WSGI."""
    body = app.wsgi_app(environ, _start)
    try:
        data = b"".join(body)
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()
    status, headers = _started
    cookies = []
    vary = None
    for name, value in headers:
        if name == "Set-Cookie":
            cookies.append(_EXPIRES.sub("", value))
        elif name == "Vary":
            vary = value
    return int(status[:3]), data, tuple(cookies), vary


class Pair:
    """One configuration, served by each framework."""

    def __init__(self, refresh: bool) -> None:
        self.flask = make_app(flask, refresh)
        self.ours = make_app(flaskrs, refresh)
        self.environs = {
            route: EnvironBuilder(path=route).get_environ() for route in ROUTES
        }
        # What flaskrs must answer for a cookie it cannot load: what it
        # answers with no cookie, which must be what Flask answers then.
        self.empty = {}
        for route, environ in self.environs.items():
            ours = call(self.ours, dict(environ))
            theirs = call(self.flask, dict(environ))
            if ours != theirs:
                raise AssertionError(f"no cookie, {route}: {ours} != {theirs}")
            self.empty[route] = ours
        self.flask_answers: dict[tuple[str, str], Answer] = {}

    def environ(self, route: str, header: str) -> dict[str, t.Any]:
        environ = self.environs[route].copy()
        if header:
            environ["HTTP_COOKIE"] = header
        return environ

    def flask_answer(self, route: str, header: str) -> Answer:
        key = (route, header)
        found = self.flask_answers.get(key)
        if found is None:
            if len(self.flask_answers) > 100_000:
                self.flask_answers.clear()
            found = self.flask_answers[key] = call(
                self.flask, self.environ(route, header)
            )
        return found


def none_from_read(read: Answer) -> Answer:
    """Flask's answer on the route that does not touch the session, from
    its answer on the one that reads it (see the module's docstring)."""
    status, _, cookies, _ = read
    if status != 200:
        return read
    return 200, b"none", cookies, "Cookie" if cookies else None


# Cookie building blocks ---------------------------------------------------


def below(rng: random.Random, n: int) -> int:
    """``rng.randrange(n)``, at a fifth of the cost (a few dozen draws go
    into every input)."""
    return int(rng.random() * n)


def pick(rng: random.Random, seq: t.Sequence[t.Any]) -> t.Any:
    return seq[int(rng.random() * len(seq))]


def derive(secret: str) -> bytes:
    """itsdangerous's "hmac" key derivation, as Flask configures it."""
    return hmac.new(secret.encode(), SALT.encode(), hashlib.sha1).digest()


_KEY = derive(SECRET)
_FALLBACK_KEY = derive(FALLBACKS[0])
_WRONG_KEY = derive("not-the-secret")
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def sign(text: str, key: bytes = _KEY) -> str:
    """``text`` (``payload.timestamp``) signed as itsdangerous signs it."""
    tag = hmac.new(key, text.encode(), hashlib.sha1)
    return f"{text}.{b64(tag.digest())}"


def ts_text(stamp: int) -> str:
    return b64(stamp.to_bytes((stamp.bit_length() + 7) // 8, "big"))


def packed(payload: bytes, compress: bool | None = None) -> str:
    """The payload part: compressed when that is shorter, as itsdangerous
    does, unless ``compress`` says otherwise."""
    z = zlib.compress(payload)
    if compress is None:
        compress = len(z) < len(payload) - 1
    return "." + b64(z) if compress else b64(payload)


# Session contents -------------------------------------------------------

_TEXTS = ["", "a", "alice", "é", "\u2603", "\U0001f600", " t", " di", "_permanent"]
_TEXTS += ["<b>", '"', "\\", "\x00", "\ud7ff", "x" * 300, "\n\t", "\u2028"]
_KEYS = ["user", "cart", "_fresh", "_id", " t", " b", " m", " u", " d", " di"]
_KEYS += ["_permanent", "", "é", "csrf_token", "a b", "0"]


def text(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return pick(rng, _TEXTS)
    size = below(rng, 12)
    return "".join(
        chr(pick(rng, (rng.randrange(32, 127), below(rng, 0x10000))))
        for _ in range(size)
    )


def scalar(rng: random.Random) -> t.Any:
    kind = below(rng, 13)
    if kind == 0:
        return None
    if kind == 1:
        return rng.random() < 0.5
    if kind == 2:
        return rng.randrange(-1000, 1000)
    if kind == 3:
        return pick(rng, [2**63, -(2**64), 10**30, 2**53 + 1])
    if kind == 4:
        return pick(rng, [0.5, -0.0, 1e308, 1e-300, float("inf"), 3.14])
    if kind == 5:
        return bytes(below(rng, 256) for _ in range(below(rng, 20)))
    if kind == 6:
        return Markup(text(rng))
    if kind == 7:
        return uuid.UUID(int=rng.getrandbits(128))
    if kind == 8:
        seconds = rng.randrange(0, 4_000_000_000)
        return datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc)
    return text(rng)


def value(rng: random.Random, depth: int = 0) -> t.Any:
    roll = rng.random()
    if depth > 2 or roll < 0.6:
        return scalar(rng)
    size = below(rng, 4)
    if roll < 0.7:
        return [value(rng, depth + 1) for _ in range(size)]
    if roll < 0.8:
        return tuple(value(rng, depth + 1) for _ in range(size))
    return contents(rng, depth + 1, size)


def contents(rng: random.Random, depth: int = 0, size: int | None = None) -> dict:
    size = below(rng, 6) if size is None else size
    found = {}
    for _ in range(size):
        key = pick(rng, _KEYS) if rng.random() < 0.6 else text(rng)
        found[key] = value(rng, depth)
    if depth == 0 and rng.random() < 0.3:
        found["_permanent"] = pick(rng, [True, True, False, 1, 0, "", "x", []])
    return found


# Generators -------------------------------------------------------------


class Source:
    """Everything the generators share: the oracle's serializers and a few
    costly cookies made once per run."""

    def __init__(self, seed: int) -> None:
        rng = random.Random(seed)
        self.signing_app = flask.Flask("fuzz_signing")
        self.signing_app.config.update(SECRET_KEY=SECRET)
        interface = self.signing_app.session_interface
        self.serializer = interface.get_signing_serializer(self.signing_app)
        self.fallback = []
        for key in FALLBACKS:
            other = flask.Flask("fuzz_fallback")
            other.config.update(SECRET_KEY=key)
            self.fallback.append(interface.get_signing_serializer(other))
        # 1 MB of zeros (and of other bytes) in a cookie of about 1.4 KB.
        self.bombs = [
            packed(bytes([byte]) * (1 << 20), compress=True)
            for byte in (0, ord("0"), ord("["))
        ]
        self.big = packed(b'{"big":"' + b"y" * (2 << 20) + b'"}', compress=True)
        # Cookies and payloads Flask wrote, for the generators that damage
        # them: signing costs more than the rest of an input's generation.
        self.valid = [self.sign(contents(rng)) for _ in range(POOL)]
        self.payloads = [packed(self.payload(contents(rng))) for _ in range(POOL)]

    def sign(self, session: dict, key: int = -1) -> str:
        serializer = self.serializer if key < 0 else self.fallback[key]
        with self.signing_app.app_context():
            return serializer.dumps(session)  # type: ignore[no-any-return]

    def payload(self, session: dict) -> bytes:
        with self.signing_app.app_context():
            return self.serializer.serializer.dumps(session).encode()


def gen_valid(rng: random.Random, src: Source) -> str:
    return src.sign(contents(rng))


def gen_fallback(rng: random.Random, src: Source) -> str:
    return src.sign(contents(rng), key=below(rng, len(FALLBACKS)))


def gen_mutated(rng: random.Random, src: Source) -> str:
    cookie = pick(rng, src.valid)
    for _ in range(1 + int(rng.random() < 0.3)):
        cookie = mutate(rng, cookie)
    return cookie


def mutate(rng: random.Random, cookie: str) -> str:
    at = rng.randrange(len(cookie) + 1)
    kind = below(rng, 11)
    if kind == 0:  # one character changed
        return cookie[:at] + pick(rng, B64 + ".=+/!~ é") + cookie[at + 1 :]
    if kind == 1:  # one bit flipped
        if not cookie:
            return cookie
        at = min(at, len(cookie) - 1)
        return (
            cookie[:at] + chr(ord(cookie[at]) ^ (1 << below(rng, 7))) + cookie[at + 1 :]
        )
    if kind == 2:
        return cookie[:at]
    if kind == 3:
        return cookie[at:]
    if kind == 4:  # a piece repeated
        end = rng.randrange(at, len(cookie) + 1)
        return cookie[:end] + cookie[at:end] + cookie[end:]
    if kind == 5:  # base64 garbage inserted
        junk = "".join(pick(rng, B64) for _ in range(rng.randrange(1, 40)))
        return cookie[:at] + junk + cookie[at:]
    if kind == 6:  # a dot moved
        dots = [i for i, c in enumerate(cookie) if c == "."]
        if not dots:
            return cookie
        gone = pick(rng, dots)
        rest = cookie[:gone] + cookie[gone + 1 :]
        at = rng.randrange(len(rest) + 1)
        return rest[:at] + "." + rest[at:]
    if kind == 7:  # extra dots
        return cookie[:at] + "." * rng.randrange(1, 4) + cookie[at:]
    if kind == 8:  # padding or stray characters Python's base64 skips
        return cookie[:at] + pick(rng, ["=", "==", "!", "*", "\t"]) + cookie[at:]
    if kind == 9:  # another signature
        body = cookie.rpartition(".")[0]
        size = pick(rng, [27, 27, 26, 28, 0, 40])
        return body + "." + "".join(pick(rng, B64) for _ in range(size))
    end = at + rng.randrange(1, 8)  # a few letters in the other case
    return cookie[:at] + cookie[at:end].swapcase() + cookie[end:]


def gen_bomb(rng: random.Random, src: Source) -> str:
    bomb = pick(rng, src.bombs)
    stamp = ts_text(NOW - below(rng, 100))
    roll = below(rng, 4)
    if roll == 0:
        return f"{bomb}.{stamp}.{'A' * 27}"
    if roll == 1:
        return sign(f"{bomb}.{stamp}", _WRONG_KEY)
    if roll == 2:
        return f"{bomb}.{stamp}"
    # Valid but for one character of the signature.
    good = sign(f"{bomb}.{stamp}")
    return good[:-1] + ("A" if good[-1] != "A" else "B")


def gen_tampered(rng: random.Random, src: Source) -> str:
    body, _, sig = pick(rng, src.valid).rpartition(".")
    at = below(rng, len(sig)) if sig else 0
    return f"{body}.{sig[:at]}{pick(rng, B64)}{sig[at + 1 :]}"


def gen_wrong_key(rng: random.Random, src: Source) -> str:
    return sign(f"{pick(rng, src.payloads)}.{ts_text(NOW)}", _WRONG_KEY)


def _hostile_payload(rng: random.Random, src: Source) -> str:
    kind = below(rng, 14)
    if kind in (9, 10) and rng.random() < 0.99:
        # Megabytes to inflate and parse, on both sides: rare.
        kind = 12
    if kind == 0:  # not base64
        junk = "".join(pick(rng, B64 + "!*~=") for _ in range(rng.randrange(1, 60)))
        return pick(rng, ["", "."]) + junk
    if kind == 1:  # not zlib, or zlib cut or damaged
        z = bytearray(zlib.compress(src.payload(contents(rng, size=2)) + b" " * 50))
        how = below(rng, 4)
        if how == 0:
            return "." + b64(bytes(below(rng, 256) for _ in range(below(rng, 30))))
        if how == 1:
            return "." + b64(bytes(z[: below(rng, len(z))]))
        if how == 2 and z:
            z[below(rng, len(z))] ^= 1 << below(rng, 8)
            return "." + b64(bytes(z))
        return "." + b64(bytes(z) + b"trailing bytes")
    if kind == 2:  # JSON that is not JSON
        raw = pick(
            rng, [b"{", b"not json", b"{'a': 1}", b'{"a":1}x', b"", b"\xef\xbb\xbf{}"]
        )
        return packed(raw, compress=rng.random() < 0.5)
    if kind == 3:  # not UTF-8
        raw = pick(
            rng, [b'{"a":"\xff"}', b"\xff\xfe", b'{"\xc3":1}', b'{"a":"\xed\xa0\x80"}']
        )
        return packed(raw, compress=rng.random() < 0.5)
    if kind == 4:  # JSON that is not an object
        raw = pick(
            rng,
            [
                b"[]",
                b"null",
                b"3",
                b'"ab"',
                b"[1, 2]",
                b'[["a", 1]]',
                b'[["a", 1], ["b", [2]]]',
                b"[[1, 2]]",
                b'["ab", "cd"]',
                b'{" t": [["a", 1]]}',
                b'{" t": [1]}',
                b"true",
                b'{" b": "YQ=="}',
                b'{" m": "x"}',
                b'[["_permanent", true], ["a", 1]]',
            ],
        )
        return packed(raw, compress=rng.random() < 0.5)
    if kind == 5:  # unknown or broken tags
        raw = pick(
            rng,
            [
                b'{" zz": 1}',
                b'{"a": {" zz": 1}}',
                b'{"a": {" t": 5}}',
                b'{"a": {" u": "zz"}}',
                b'{"a": {" d": "garbage"}}',
                b'{"a": {" b": "!!"}}',
                b'{"a": {" b": 5}}',
                b'{"a": {" m": 5}}',
                b'{"a": {" di": 5}}',
                b'{"a": {" di": {}}}',
                b'{"a": {" di": {"x": 1, "y": 2}}}',
                b'{"a": {" u": 5}}',
                b'{"a": {" d": 5}}',
                b'{"a": {" t": [1], " u": "zz"}}',
                b'{"a": [{" b": "YQ"}]}',
                b'{"a": {" d": ""}}',
                b'{"a": {" t": "ab"}}',
                b'{"a": {" t": {"k": 1}}}',
                b'{"a": {" di": {"k__": 1}}}',
            ],
        )
        return packed(raw, compress=rng.random() < 0.5)
    if kind == 6:  # deep nesting: loadable and saveable by both, or by neither
        depth = pick(rng, [rng.randrange(20, 120), rng.randrange(3000, 30000)])
        opener, closer = pick(
            rng, [(b"[", b"]"), (b'{"a":', b"}"), (b'{" t":[', b"]}")]
        )
        raw = b'{"deep":' + opener * depth + b"1" + closer * depth + b"}"
        return packed(raw)
    if kind == 7:  # surrounding whitespace and odd spellings
        raw = pick(
            rng,
            [
                b' {"a": 1}',
                b'{"a": 1}\n',
                b'\t{"a":1} ',
                b'{"a":1,"a":2}',
                b'{"a":1e400}',
                b'{"a":-0}',
                b'{"a":NaN}',
                b'{"a":"\\ud800"}',
                b'{"a":"\\u00e9"}',
                b'{"_permanent":true}',
                b"{}",
            ],
        )
        return packed(raw, compress=rng.random() < 0.5)
    if kind == 8:  # claims compression it does not have, or the reverse
        raw = src.payload(contents(rng, size=3))
        if rng.random() < 0.5:
            return "." + b64(raw)
        return b64(zlib.compress(raw))
    if kind == 9:
        return pick(rng, src.bombs)
    if kind == 10:
        return src.big
    if kind == 11:  # an empty payload, or dots where there should be none
        return pick(rng, ["", ".", "..", ".e30", "e30.", "."])
    return pick(rng, src.payloads)


def _hostile_time(rng: random.Random) -> str:
    kind = below(rng, 12)
    if kind == 0:
        return ts_text(
            pick(rng, [2**63, 2**64 - 1, 2**40, LAST_DATETIME + 1, LAST_DATETIME])
        )
    if kind == 1:
        return ts_text(pick(rng, [2**64, 2**80, 2**200]))
    if kind == 2:
        return ""  # zero
    if kind == 3:  # expired, by a little or a lot
        return ts_text(NOW - LIFETIME - pick(rng, [1, 2, 1000, NOW - LIFETIME]))
    if kind == 4:  # from the future
        return ts_text(NOW + pick(rng, [1, 60, 10**6]))
    if kind == 5:  # at the very edge of the lifetime
        return ts_text(NOW - LIFETIME + pick(rng, [-1, 0, 1]))
    if kind == 6:  # leading zero bytes
        return "AAAA" * rng.randrange(1, 4) + ts_text(NOW)
    if kind == 7:  # not base64
        return pick(rng, ["A", "!", "AAAAA", "ZVPx!AA", "====", "é"])
    return ts_text(NOW - below(rng, LIFETIME))


def gen_hostile_inside(rng: random.Random, src: Source) -> str:
    payload = _hostile_payload(rng, src)
    if rng.random() < 0.3:
        stamp = _hostile_time(rng)
    else:
        stamp = ts_text(NOW - below(rng, 1000))
    if rng.random() < 0.1:
        # The same, with a fallback key, or as text the signature covers
        # without a timestamp at all.
        if rng.random() < 0.5:
            return sign(f"{payload}.{stamp}", _FALLBACK_KEY)
        return sign(payload)
    return sign(f"{payload}.{stamp}")


def gen_hostile_time(rng: random.Random, src: Source) -> str:
    return sign(f"{pick(rng, src.payloads)}.{_hostile_time(rng)}")


def gen_garbage(rng: random.Random, src: Source) -> str:
    alphabet = pick(rng, [B64, B64 + ".", ".", "A.", "\x00\x01.", "=.-_", B64 + ".=!é"])
    size = pick(rng, [0, 1, 2, 3, 27, 100, below(rng, 3000)])
    return "".join(rng.choices(alphabet, k=size))


GENERATORS: list[tuple[int, t.Callable[[random.Random, Source], str]]] = [
    (14, gen_valid),
    (5, gen_fallback),
    (22, gen_mutated),
    (2, gen_bomb),
    (8, gen_tampered),
    (4, gen_wrong_key),
    (24, gen_hostile_inside),
    (8, gen_hostile_time),
    (5, gen_garbage),
]
_TOTAL = sum(weight for weight, _ in GENERATORS)


def draw_cookie(rng: random.Random, src: Source) -> str:
    roll = below(rng, _TOTAL)
    for weight, generator in GENERATORS:
        if roll < weight:
            return generator(rng, src)
        roll -= weight
    raise AssertionError("weights")


_NOT_ASCII = ["é", "\x80", "\xff", "Ã©", "\u00a0", "â\x82¬", "\x7f"]


def header(rng: random.Random, src: Source) -> str:
    """The whole ``Cookie`` header: usually one session cookie, sometimes
    with others, several session cookies, quotes or text that is not
    ASCII (as WSGI gives it: each byte as one character)."""
    values = [draw_cookie(rng, src)]
    roll = rng.random()
    if roll < 0.05:
        values += [draw_cookie(rng, src) for _ in range(rng.randrange(1, 3))]
    elif roll < 0.09:
        at = rng.randrange(len(values[0]) + 1)
        values[0] = values[0][:at] + pick(rng, _NOT_ASCII) + values[0][at:]
    pieces = []
    for cookie in values:
        if rng.random() < 0.03:
            cookie = '"' + cookie.replace('"', '\\"') + '"'
        pieces.append(f"session={cookie}")
    roll = rng.random()
    if roll < 0.08:
        pieces.insert(
            0, pick(rng, ["a=1", "theme=dark", 'x="y;z"', "Session=abc", "=x"])
        )
    elif roll < 0.12:
        pieces.append(pick(rng, ["b=2", "session", "k=v; ", "c=\xe9"]))
    if roll > 0.99:
        return ""
    return pick(rng, ["; ", ";"]).join(pieces)


# The run ----------------------------------------------------------------


class Failure(t.NamedTuple):
    kind: str
    index: int
    route: str
    header: str
    flask: Answer | None
    ours: Answer | None
    error: str


class Report:
    def __init__(self) -> None:
        self.inputs = 0
        self.panics = 0
        self.mismatches = 0
        self.unexpected_500s = 0
        self.failures: list[Failure] = []
        # What Flask made of the inputs, to show what the run covered.
        self.outcomes: collections.Counter[str] = collections.Counter()

    @property
    def failed(self) -> int:
        return self.panics + self.mismatches + self.unexpected_500s

    def add(self, failure: Failure) -> None:
        if failure.kind == "panic":
            self.panics += 1
        elif failure.kind == "unexpected 500":
            self.unexpected_500s += 1
        else:
            self.mismatches += 1
        if len(self.failures) < 50:
            self.failures.append(failure)


def _is_panic(error: BaseException) -> bool:
    return type(error).__name__ == "PanicException"


def _session_is_not_a_dict(src: Source, header: str) -> bool:
    """Whether the first session cookie verifies, for Flask, and holds a
    payload that is not a JSON object (flaskrs loads no such session)."""
    token = parse_cookie(header, cls=ImmutableMultiDict).get("session")
    if not token:
        return False
    with src.signing_app.app_context():
        serializer = flask.sessions.URLSafeTimedSerializer(
            [*FALLBACKS, SECRET],
            salt=SALT,
            serializer=flask.sessions.session_json_serializer,
            signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1},
        )
        try:
            loaded = serializer.loads(token, max_age=LIFETIME)
        except Exception:
            return False
    return type(loaded) is not dict


class Case(t.NamedTuple):
    """One input and the routes it takes."""

    index: int
    header: str
    pair: Pair
    routes: tuple[str, ...]
    # Whether Flask itself answers where its answer is otherwise inferred.
    check_model: bool


def draw_case(index: int, seed: int, src: Source, pairs: list[Pair]) -> Case:
    rng = random.Random(seed * 1_000_003 + index)
    text = header(rng, src)
    pair = pairs[0] if rng.random() < 0.9 else pairs[1]
    routes = ROUTES if below(rng, WRITE_EVERY) == 0 else ROUTES[:2]
    return Case(index, text, pair, routes, below(rng, MODEL_CHECK_EVERY) == 0)


_DERIVED = [derive(key) for key in [SECRET, *FALLBACKS]]


def not_ours(header: str) -> bool:
    """Whether Flask finds no session cookie in ``header`` (read as its
    ``request.cookies`` reads the header), or one that no
    key signed (itsdangerous's check: the text after the last dot, through
    its base64 decoder, is the HMAC of the text before it). Flask then
    answers as it does with no cookie at all."""
    token = parse_cookie(header, cls=ImmutableMultiDict).get("session")
    if not token:
        return True
    try:
        raw = token.encode("utf-8")
    except UnicodeError:
        # itsdangerous fails on it its own way: Flask answers.
        return False
    signed, dot, sig = raw.rpartition(b".")
    if not dot:
        return True
    try:
        tag = base64_decode(sig)
    except BadData:
        return True
    return not any(
        hmac.compare_digest(hmac.new(key, signed, hashlib.sha1).digest(), tag)
        for key in _DERIVED
    )


def flask_answers(case: Case, report: Report) -> dict[str, Answer]:
    """Flask's answers on the case's routes: asked of Flask, or inferred
    (see the module's docstring) and then, for one case in
    ``MODEL_CHECK_EVERY``, checked against Flask's own."""
    pair, text = case.pair, case.header
    if not_ours(text):
        report.outcomes["no cookie signed by a key"] += 1
        answers = {route: pair.empty[route] for route in case.routes}
    else:
        answers = {"/read": pair.flask_answer("/read", text)}
        answers["/none"] = none_from_read(answers["/read"])
        status, body = answers["/read"][:2]
        if status == 500:
            report.outcomes["Flask 500"] += 1
        elif body == pair.empty["/read"][1]:
            report.outcomes["signed, empty session"] += 1
        else:
            report.outcomes["session loaded"] += 1
        if "/write" in case.routes:
            answers["/write"] = pair.flask_answer("/write", text)
    if not case.check_model:
        return answers
    report.outcomes["inferences checked"] += 1
    real = {route: pair.flask_answer(route, text) for route in case.routes}
    for route, answer in real.items():
        if answer != answers[route]:
            report.add(
                Failure(
                    "oracle model", case.index, route, text, answer, answers[route], ""
                )
            )
    return real


def our_answers(case: Case) -> dict[str, Answer | BaseException]:
    answers: dict[str, Answer | BaseException] = {}
    app = case.pair.ours
    for route in case.routes:
        app.log_exception.last = None
        try:
            answers[route] = call(app, case.pair.environ(route, case.header))
        except BaseException as error:
            if not isinstance(error, Exception) and not _is_panic(error):
                raise
            answers[route] = error
        else:
            if answers[route][0] == 500 and app.log_exception.last is not None:
                answers[route] = app.log_exception.last
    return answers


def compare(
    case: Case,
    theirs: dict[str, Answer],
    ours: dict[str, Answer | BaseException],
    src: Source,
    report: Report,
) -> None:
    for route, got in ours.items():
        expected = theirs[route]
        if isinstance(got, BaseException) or got[0] == 500:
            kind = "panic" if _is_panic(got) else "unexpected 500"  # type: ignore[arg-type]
            shown = got if not isinstance(got, BaseException) else None
            report.add(
                Failure(
                    kind, case.index, route, case.header, expected, shown, repr(got)
                )
            )
            continue
        if got == expected:
            continue
        if expected[0] == 500 or _session_is_not_a_dict(src, case.header):
            if got == case.pair.empty[route]:
                continue
        report.add(
            Failure("mismatch", case.index, route, case.header, expected, got, "")
        )


def _short(text: str, limit: int = 400) -> str:
    shown = repr(text)
    if len(shown) <= limit:
        return shown
    return f"{shown[:limit]}... ({len(text)} characters)"


def show(failure: Failure, seed: int) -> str:
    return "\n".join(
        [
            f"  #{failure.index} {failure.kind} on {failure.route} "
            f"(replay: --seed {seed} --only {failure.index})",
            f"    Cookie: {_short(failure.header)}",
            f"    flask:   {_short(repr(failure.flask))}",
            f"    flaskrs: {_short(repr(failure.ours))}",
            *([f"    error:   {failure.error}"] if failure.error else []),
        ]
    )


def fuzz(
    inputs: int,
    seed: int,
    only: int | None = None,
    progress: t.Callable[[str], None] | None = None,
) -> Report:
    report = Report()
    started = time.perf_counter()
    frozen = float(NOW)
    with mock.patch.object(time, "time", lambda: frozen), warnings.catch_warnings():
        # Werkzeug warns about cookies past 4 KB; some of these are.
        warnings.simplefilter("ignore")
        src = Source(seed)
        pairs = [Pair(refresh=True), Pair(refresh=False)]
        indexes = list(range(inputs)) if only is None else [only]
        step = max(BATCH, inputs // 10)
        for start in range(0, len(indexes), BATCH):
            # In batches, one framework at a time: switching between the two
            # on every request costs each of them its warm caches.
            cases = [
                draw_case(i, seed, src, pairs) for i in indexes[start : start + BATCH]
            ]
            expected = [flask_answers(case, report) for case in cases]
            got = [our_answers(case) for case in cases]
            for case, theirs, ours in zip(cases, expected, got):
                compare(case, theirs, ours, src, report)
            report.inputs += len(cases)
            if progress is not None and report.inputs % step < BATCH:
                elapsed = time.perf_counter() - started
                progress(
                    f"  {report.inputs} inputs, {elapsed:.1f} s: {report.panics} "
                    f"panics, {report.mismatches} mismatches, "
                    f"{report.unexpected_500s} unexpected 500s"
                )
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--inputs", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", type=int, help="replay the input of this index")
    parser.add_argument("--show", type=int, default=5, help="failures to print")
    args = parser.parse_args(argv)

    def say(line: str) -> None:
        print(line, flush=True)

    started = time.perf_counter()
    report = fuzz(args.inputs, args.seed, args.only, say)
    say("  " + ", ".join(f"{n} {what}" for what, n in sorted(report.outcomes.items())))
    for failure in report.failures[: args.show]:
        say(show(failure, args.seed))
    say(f"  ({time.perf_counter() - started:.1f} s)")
    say(
        f"cookie fuzz: {report.inputs} inputs, {report.panics} panics, "
        f"{report.mismatches} mismatches, {report.unexpected_500s} unexpected 500s "
        f"(seed {args.seed})"
    )
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
