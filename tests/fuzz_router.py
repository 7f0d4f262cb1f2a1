"""A seeded random differential driver for flaskrs's router.

    python tests/fuzz_router.py --inputs 1000000 --seed 1

Generates rule tables (Werkzeug's rule syntax with built-in and custom
converters, the latter with regexes that only Python's ``re`` runs, odd
``to_python``/``to_url``, every ``Rule`` and ``Map`` option), builds each
on a ``werkzeug.routing.Map`` and on a ``flaskrs.routing.Map``, and asks
both the same questions: matches (paths near and far from the rules),
builds, live changes of rule and map attributes between requests, and,
for some tables, WSGI requests to a Flask app and a flaskrs app. Werkzeug
and Flask are the oracle (see ``routing_oracle.py`` for what is compared).

Counts: a panic (``pyo3_runtime.PanicException`` anywhere), a mismatch
(any differing answer, including a rule add one side accepts and the other
rejects), and an unexpected 500 (flaskrs raised something that is not an
HTTP exception, a redirect or a ``BuildError`` where the oracle answered
normally; each is counted as a mismatch too). The exit status is 1 when
any count is not zero, and the first failures of each kind print as
reproducers, shrunk to the rules they need.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
import typing as t
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from uuid import UUID

from routing_oracle import app_pair
from routing_oracle import apply_change
from routing_oracle import Bind
from routing_oracle import Build
from routing_oracle import build_pair
from routing_oracle import Change
from routing_oracle import classify
from routing_oracle import Conv
from routing_oracle import Match
from routing_oracle import MultiDict
from routing_oracle import Odd
from routing_oracle import Pair
from routing_oracle import RedirectFn
from routing_oracle import replay
from routing_oracle import reproducer
from routing_oracle import Request
from routing_oracle import RuleSpec
from routing_oracle import run_call
from routing_oracle import shrink
from routing_oracle import SortKey
from routing_oracle import Table

Rng = random.Random
Sampler = Callable[[Rng], str]
ValueMaker = Callable[[Rng], t.Any]

# --- alphabets -------------------------------------------------------------------

# Decimal digits of several Unicode versions (CPython 3.11 knows Unicode 14:
# Kawi and Nag Mundari, added in 15, are not digits to it), and numbers
# that are not decimal digits.
DIGITS = (
    "0123456789"
    "\u0660\u0664\u06f2\u0966\uff10\uff14\uff19"
    "\U00016ac1"  # Tangsa, Unicode 14
    "\U0001e4f0\U0001e4f1\U0001e4f9"  # Nag Mundari, Unicode 15
    "\U00011f51"  # Kawi, Unicode 15
    "\U0001fbf1"  # segmented digit, Unicode 13
    "\u00b2\u2460\u1369\u2167"
)
# Where Python's \s and other tables disagree: \x1c-\x1f are spaces to
# Python, U+180E was one before Unicode 6.3, U+200B and U+FEFF never were.
SPACES = (
    " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0"
    "\u1680\u180e\u2000\u2028\u2029\u200b\u3000\ufeff"
)
# Letters whose case folding is not ASCII's: Kelvin, long s, dotted and
# dotless i, sharp s, micro, the sigmas, a titlecase digraph, ligatures.
CASED = (
    "kK\u212asS\u017fiI\u0130\u0131\u00df\u1e9e"
    "\u00b5\u03bc\u03a3\u03c3\u03c2\u01c5\ufb00\u01f0"
)
# Characters on the border of \w: a combining mark, ZWNJ, superscript two,
# a Roman numeral, a connector punctuation, Unicode 15 letters and digits.
WORDY = (
    "aZ_\u00e9\u0301\u200c\u00b2\u2167\u65e5\u203f\u00b7-\u02c6"
    "\U0001e4f1\U00011f04\u0e33"
)
TEXT = "ab\u00e4\u65e5 -.%~+@:\n" + SPACES[:6]

STATIC_WORDS = [
    "a",
    "b",
    "users",
    "\u00e4",
    "\u65e5\u672c",
    "x y",
    "1",
    "42",
    "ab.c",
    "-",
    "%",
    "%41",
    "~",
    "K",
    "\u212a",
    "\u017f",
    "\u0130",
    "e\u0301",
    "a+b",
    "@",
    "x:y",
    "a>b",
    "?",
    "#",
    "\x1c",
    "\u2028",
]
# Rule text Werkzeug rejects as malformed, and one it accepts (its converter
# argument parser skips what it cannot read).
MALFORMED = ["<1bad>", "<a", "<>", "<a:>", "<a b>", "<int(:x>", "<int(x=):y>"]
VAR_NAMES = ["x", "y", "id", "name", "v0", "v1", "page"]
ENDPOINTS = ["e0", "e1", "e2", "e3", "e4"]
METHOD_SETS: list[tuple[str, ...] | str | None] = [
    None,
    None,
    None,
    ("GET",),
    ("GET",),
    ("POST",),
    ("GET", "POST"),
    ("put",),
    ("GET", "OPTIONS"),
    ("DELETE", "PATCH"),
]
REQUEST_METHODS = [
    "GET",
    "GET",
    "GET",
    "HEAD",
    "POST",
    "PUT",
    "DELETE",
    "OPTIONS",
    "PATCH",
    "get",
    "Post",
    "--",
    "M-SEARCH",
]
SUBDOMAIN_RULES = ["", "api", "<sub>", "<int:n>", "x.<sub>", "<string(length=3):s>"]
SUBDOMAINS = ["", "api", "foo", "x.api", "7", "a.b.c", "\u00e4pi", "API"]
HOST_RULES = [
    "example.com",
    "<h>.example.com",
    "api.example.com",
    "<string(length=3):h>.org",
    "example.com:8080",
]
HOSTS = [
    "example.com",
    "api.example.com",
    "foo.example.com",
    "abc.org",
    "example.com:8080",
    "EXAMPLE.COM",
]
SERVER_NAMES = ["example.com", "example.com", "example.com", "EXAMPLE.com"]
SCRIPT_NAMES: list[str | None] = [None, None, None, "/", "/app", "/app/", "/\u00e4"]
SCHEMES = ["http", "http", "http", "https", "ws", "wss"]
QUERY_ARGS: list[t.Any] = [
    "a=1&b=%C3%A4",
    {"q": "x y"},
    {"a": ["1", "2"]},
    MultiDict([("a", "1"), ("a", "2")]),
    "",
]


def pick_char(rng: Rng, alphabet: str) -> str:
    return alphabet[rng.randrange(len(alphabet))]


def repeat(rng: Rng, sampler: Sampler, low: int, high: int) -> str:
    return "".join(sampler(rng) for _ in range(rng.randint(low, high)))


def chars_of(alphabet: str) -> Sampler:
    return lambda rng: pick_char(rng, alphabet)


# --- converters and their regexes ------------------------------------------------


@dataclass
class Slot:
    """A variable in a rule: its text inside ``<...>``, and how to make a
    path segment for it and a value to build it from."""

    text: str
    name: str
    sample: Sampler
    value: ValueMaker


def sample_int(rng: Rng) -> str:
    roll = rng.random()
    if roll < 0.5:
        return str(rng.choice([0, 1, 5, 42, 50, 51, 7, 10**20]))
    if roll < 0.8:
        return repeat(rng, chars_of(DIGITS), 1, 3)
    return rng.choice(["007", "-3", "+3", "1_000", "0x1f", "", "1.5", "\u0664\u0662"])


def sample_float(rng: Rng) -> str:
    roll = rng.random()
    if roll < 0.6:
        return rng.choice(["1.5", "0.25", "42.0", "-0.5", "3.", ".5", "1e5", "1.5.2"])
    return f"{sample_int(rng)}.{sample_int(rng)}"


def sample_uuid(rng: Rng) -> str:
    text = str(UUID(int=rng.choice([0, 7, 2**128 - 1])))
    return rng.choice([text, text.upper(), text[:-1], text.replace("-", "")])


def sample_word(rng: Rng) -> str:
    if rng.random() < 0.6:
        return rng.choice(STATIC_WORDS)
    return repeat(rng, chars_of(TEXT + CASED + DIGITS + SPACES), 1, 4)


def sample_path(rng: Rng) -> str:
    return "/".join(sample_word(rng) for _ in range(rng.randint(1, 3)))


# Values of every type for building.
BUILD_VALUES: list[t.Any] = [
    "a",
    "\u00e4 b",
    "a/b",
    "%",
    "x",
    "?&=#",
    "",
    "\u65e5\u672c",
    "\u212a",
    0,
    1,
    42,
    -3,
    10**20,
    1.5,
    -0.25,
    True,
    None,
    UUID(int=7),
    Odd("odd/val"),
    ["a", "b"],
    ("a", "b"),
    b"raw",
]


def build_value(rng: Rng) -> t.Any:
    return BUILD_VALUES[rng.randrange(len(BUILD_VALUES))]


def typed_value(rng: Rng, sample: Sampler, convert: Callable[[str], t.Any]) -> t.Any:
    """Mostly what the converter's ``to_python`` would give, sometimes
    anything."""
    if rng.random() < 0.3:
        return build_value(rng)
    text = sample(rng)
    try:
        return convert(text)
    except ValueError:
        return text


# Built-in converters: the text before ``:name``, a segment sampler, and
# the type of the values it converts to.
BUILTINS: list[tuple[str, Sampler, Callable[[str], t.Any]]] = [
    ("", sample_word, str),
    ("string", sample_word, str),
    ("default", sample_word, str),
    ("string(minlength=2)", sample_word, str),
    ("string(length=2)", lambda rng: repeat(rng, chars_of(TEXT + CASED), 2, 2), str),
    ("string(maxlength=3)", sample_word, str),
    ("int", sample_int, int),
    ("int(signed=True)", sample_int, int),
    ("int(fixed_digits=3)", sample_int, int),
    ("int(min=5, max=50)", sample_int, int),
    ("float", sample_float, float),
    ("float(signed=True)", sample_float, float),
    ("uuid", sample_uuid, UUID),
    (
        "any(a, b, '\u00e4')",
        lambda rng: rng.choice(["a", "b", "\u00e4", "c", "A"]),
        str,
    ),
    ("any(x, 'y,z')", lambda rng: rng.choice(["x", "y,z", "y", "z"]), str),
    ("path", sample_path, str),
]
# Converters Werkzeug rejects when the rule is added (a bare ``any`` it
# accepts: an empty alternation).
BAD_BUILTINS = [
    "nope",
    "int(bogus=1)",
    "string(length='x')",
    "int(1, 2, 3, 4, 5)",
    "any",
]


@dataclass
class Atom:
    """A piece of a custom converter's regex and strings it may match."""

    regex: str
    sample: Sampler
    # Whether a quantifier may follow (it may not after a lookaround).
    quantifiable: bool = True


def portable_atoms() -> list[Atom]:
    """Regex pieces the Rust ``regex`` crate has too, though its Unicode
    tables (\\d, \\w, \\s, case folding) are not Python's."""
    return [
        Atom("[a-z]", chars_of("abxyzK\u212a")),
        Atom("[^/]", chars_of(TEXT)),
        Atom(r"\d", chars_of(DIGITS)),
        Atom(r"\w", chars_of(WORDY)),
        Atom(r"\s", chars_of(SPACES)),
        Atom(r"\S", chars_of("a-\u00e4" + SPACES[-4:])),
        Atom(r"\D", chars_of("a\u0660\U0001e4f1")),
        Atom(r"\W", chars_of("-\u0301\u00b2 ")),
        Atom(".", chars_of("a.\n\r")),
        Atom("[0-9a-f]", chars_of("09afAF\uff10")),
        Atom("x", chars_of("xX")),
        Atom("\u00e4", chars_of("\u00e4\u00c4")),
        Atom(r"\.", chars_of(".")),
        Atom(r"\u00e4", chars_of("\u00e4")),
        Atom(r"\x41", chars_of("Aa")),
        Atom(r"\U0001e4f1", chars_of("\U0001e4f1")),
        Atom(r"[\w-]", chars_of(WORDY)),
        Atom(r"[^\W\d]", chars_of(WORDY + DIGITS)),
        Atom(r"[\s\d]", chars_of(SPACES + DIGITS)),
        Atom("(?i:k)", chars_of("kK\u212a")),
        Atom("(?i:s)", chars_of("sS\u017f")),
        Atom("(?i:i)", chars_of("iI\u0130\u0131")),
        Atom("(?i:[a-z])", chars_of(CASED)),
        Atom("(?i:\u00df)", chars_of("\u00df\u1e9e")),
        Atom("(?i:\u03c3)", chars_of("\u03a3\u03c3\u03c2")),
        Atom("(?s:.)", chars_of("a\n")),
        Atom("(?:ab|a)", lambda rng: rng.choice(["ab", "a"])),
        Atom("[[:alpha:]]", chars_of("a:[]")),
        Atom("[a-]", chars_of("a-")),
    ]


def python_only_atoms() -> list[Atom]:
    """Regex pieces only Python's ``re`` runs."""
    atoms = [
        Atom("(?=a)", lambda rng: "", quantifiable=False),
        Atom("(?!x)", lambda rng: "", quantifiable=False),
        Atom("(?<=a)", lambda rng: "", quantifiable=False),
        Atom("(?<!b)", lambda rng: "", quantifiable=False),
        Atom(r"\b", lambda rng: "", quantifiable=False),
        Atom(r"\B", lambda rng: "", quantifiable=False),
        Atom("$", lambda rng: rng.choice(["", "\n"]), quantifiable=False),
        Atom(r"\Z", lambda rng: "", quantifiable=False),
        Atom(r"\A", lambda rng: "", quantifiable=False),
        Atom("^", lambda rng: "", quantifiable=False),
        Atom(r"(a)\2", lambda rng: rng.choice(["aa", "a"])),
        Atom("(?P<g>[ab])(?P=g)", lambda rng: rng.choice(["aa", "ab", "bb"])),
        Atom("(?P<g>a)?(?(g)b|c)", lambda rng: rng.choice(["ab", "c", "b"])),
        Atom(r"\N{DIGIT ONE}", chars_of("1\u0661")),
        Atom("(?a:\\w)", chars_of("a\u00e9_")),
        Atom("(?a:\\d)", chars_of("1\u0661")),
        Atom("(?x: a b )", lambda rng: rng.choice(["ab", "a b"])),
        Atom("(?u:\\w)", chars_of(WORDY)),
        Atom(r"[\d-z]", chars_of(DIGITS + "-z")),
    ]
    if sys.version_info >= (3, 11):
        atoms.append(Atom("(?>a+)", lambda rng: "a" * rng.randint(1, 3)))
        atoms.append(Atom("[a-z]++", lambda rng: "ab"))
        atoms.append(Atom("\\w?+", chars_of(WORDY)))
    return atoms


# Whole regexes that Python cannot compile, or that change the structure
# of Werkzeug's part regex: Werkzeug accepts them when the rule is added
# and compiles them when a match reaches them.
BROKEN_REGEXES = [
    "(",
    "[a",
    "*a",
    "a{2,1}",
    r"\p{L}",
    "(?P<x>a)(?P<x>b)",
    r"(a)\1",
    "a)(b",
    "a)|(b",
    "(?<=a+)b",
    "(?P<__werkzeug_0>a)",
    "(?(x)a|b)",
    "(?i)abc",
    "[^/]+(?i)",
    "(?P<g>[a-z]+)",
    "[a-z]+/[a-z]+",
    "",
]
QUANTIFIERS = [
    ("+", 1, 3),
    ("*", 0, 2),
    ("?", 0, 1),
    ("{1,3}", 1, 3),
    ("{2}", 2, 2),
    ("+?", 1, 2),
]
PORTABLE = portable_atoms()
PYTHON_ONLY = python_only_atoms()


def gen_atom(rng: Rng, python_only: bool) -> Atom:
    pool = PYTHON_ONLY if python_only else PORTABLE
    return pool[rng.randrange(len(pool))]


def gen_regex(rng: Rng) -> tuple[str, Sampler]:
    """A converter regex and a sampler of strings near it. At most one
    unbounded quantifier, so Python's backtracking stays polynomial on
    long segments."""
    if rng.random() < 0.12:
        regex = rng.choice(BROKEN_REGEXES)
        return regex, lambda rng: rng.choice(["a", "ab", "aa", "abc", "b", "a/b"])
    python_share = rng.choice([0.0, 0.0, 0.3, 0.6])
    pieces: list[tuple[str, Sampler]] = []
    unbounded = False
    for _ in range(rng.randint(1, 3)):
        atom = gen_atom(rng, rng.random() < python_share)
        regex, sample = atom.regex, atom.sample
        if atom.quantifiable and rng.random() < 0.6:
            suffix, low, high = QUANTIFIERS[rng.randrange(len(QUANTIFIERS))]
            if suffix in ("+", "*", "+?") and unbounded:
                suffix, low, high = "?", 0, 1
            unbounded = unbounded or suffix in ("+", "*", "+?")
            regex += suffix
            sample = quantified(atom.sample, low, high)
        pieces.append((regex, sample))
    regex = "".join(p for p, _ in pieces)
    samplers = [s for _, s in pieces]
    return regex, lambda rng: "".join(s(rng) for s in samplers)


def quantified(sample: Sampler, low: int, high: int) -> Sampler:
    return lambda rng: repeat(rng, sample, low, high)


def gen_converter(rng: Rng, name: str) -> tuple[Conv, Sampler]:
    """A custom converter class and a sampler of segments for it."""
    base = rng.choice(["base", "base", "base", "base", "int", "path"])
    regex: str | None
    if rng.random() < 0.15:
        regex, sample = (
            None,
            {"base": sample_word, "int": sample_int, "path": sample_path}[base],
        )
    else:
        regex, sample = gen_regex(rng)
    conv = Conv(
        name=name,
        regex=regex,
        base=base,
        weight=rng.choice([None, None, None, 10, 50, 100, 150, 250]),
        part_isolating=rng.choice([None, None, None, None, False, True]),
        to_python=rng.choice(
            ["", "", "", "upper", "reject_x", "length", "parts", "none", "lookup_error"]
        ),
        to_url=rng.choice(
            ["", "", "", "reject_x", "raw", "length", "join", "type_error"]
        ),
    )
    return conv, sample


# --- rules -----------------------------------------------------------------------


@dataclass
class Shape:
    """How a rule's path and domain are made of static text and slots, to
    generate requests near it and values to build it."""

    segments: list[list[str | Slot]]
    trailing_slash: bool
    domain: list[str | Slot] = field(default_factory=list)

    def slots(self) -> list[Slot]:
        pieces = [p for segment in self.segments for p in segment] + self.domain
        return [p for p in pieces if isinstance(p, Slot)]


@dataclass
class Fixture:
    """A generated table and what the generator knows about it."""

    table: Table
    shapes: list[Shape] = field(default_factory=list)
    samplers: dict[str, Sampler] = field(default_factory=dict)
    # Bindings reused by many calls: generating one costs more than a match.
    binds: list[Bind] = field(default_factory=list)


def gen_slot(rng: Rng, fixture: Fixture, used: list[str]) -> Slot:
    """A variable: a built-in or custom converter, a name (sometimes one
    the rule already has)."""
    name = rng.choice(used) if used and rng.random() < 0.05 else rng.choice(VAR_NAMES)
    used.append(name)
    if fixture.samplers and rng.random() < 0.45:
        conv_name = rng.choice(sorted(fixture.samplers))
        sample = fixture.samplers[conv_name]
        args = rng.choice(["", "", "", "(1)", "(n=2)", "('boom')"])
        return Slot(f"{conv_name}{args}:{name}", name, sample, typed(sample, str))
    if rng.random() < 0.02:
        text = rng.choice(BAD_BUILTINS)
        return Slot(f"{text}:{name}", name, sample_word, typed(sample_word, str))
    text, sample, convert = BUILTINS[rng.randrange(len(BUILTINS))]
    return Slot(
        f"{text}:{name}" if text else name, name, sample, typed(sample, convert)
    )


def typed(sample: Sampler, convert: Callable[[str], t.Any]) -> ValueMaker:
    return lambda rng: typed_value(rng, sample, convert)


def gen_segment(rng: Rng, fixture: Fixture, used: list[str]) -> list[str | Slot]:
    """One path segment: a static word, a variable, or a mix such as
    ``p-<int:x>`` or ``<a>.<b>`` (two converters in one segment)."""
    roll = rng.random()
    if roll < 0.45:
        return [rng.choice(STATIC_WORDS)]
    if roll < 0.8:
        return [gen_slot(rng, fixture, used)]
    if roll < 0.9:
        return [rng.choice(["p-", "x", ".", "\u00e4"]), gen_slot(rng, fixture, used)]
    return [
        gen_slot(rng, fixture, used),
        rng.choice(["-", ".", "_"]),
        gen_slot(rng, fixture, used),
    ]


def render(pieces: list[str | Slot]) -> str:
    return "".join(p if isinstance(p, str) else f"<{p.text}>" for p in pieces)


def gen_rule_text(rng: Rng, shape: Shape) -> str:
    text = "/" + "/".join(render(segment) for segment in shape.segments)
    if shape.segments and shape.trailing_slash:
        text += "/"
    roll = rng.random()
    if roll < 0.03:
        text = text.replace("/", "//", 1)
    elif roll < 0.05 and len(shape.segments) > 1:
        text = text.replace("/", "//", 2).replace("//", "/", 1)
    elif roll < 0.065:
        text += rng.choice(MALFORMED)
    elif roll < 0.07:
        text = text.lstrip("/")
    return text


def gen_methods(rng: Rng, websocket: bool) -> tuple[str, ...] | str | None:
    if rng.random() < 0.01:
        return "GET"
    if websocket:
        return rng.choice([None, ("GET",), ("GET", "OPTIONS"), ("POST",)])
    return rng.choice(METHOD_SETS)


def gen_defaults(rng: Rng, shape: Shape) -> dict[str, t.Any] | None:
    if rng.random() > 0.1:
        return None
    names = [s.name for s in shape.slots()]
    keys = [rng.choice(names)] if names and rng.random() < 0.5 else []
    keys.append(rng.choice(["page", "lang", "x"]))
    defaults: dict[str, t.Any] = {}
    for key in keys:
        slot = next((s for s in shape.slots() if s.name == key), None)
        defaults[key] = slot.value(rng) if slot else rng.choice([1, "en", None, "x y"])
    return defaults


def gen_redirect(rng: Rng, shape: Shape) -> str | RedirectFn | None:
    roll = rng.random()
    if roll > 0.06:
        return None
    if roll < 0.02:
        return RedirectFn(rng.choice(["join", "absolute", "query", "number"]))
    names = [s.name for s in shape.slots()]
    holes = "/".join(f"<{n}>" for n in names[:2])
    return rng.choice(
        [
            f"/moved/{holes}",
            f"moved/{holes}",
            "http://other.test/x",
            "../up",
            "/static",
            "/<nope>" if rng.random() < 0.2 else "/plain",
        ]
    )


def gen_domain(
    rng: Rng, fixture: Fixture
) -> tuple[str | None, str | None, list[str | Slot]]:
    """The rule's subdomain and host arguments, and the domain's shape."""
    table = fixture.table
    if table.host_matching:
        if rng.random() < 0.15:
            return None, None, []
        text = rng.choice(HOST_RULES)
        return None, text, [text]
    if table.uses_subdomains() or rng.random() < 0.05:
        if rng.random() < 0.4:
            return None, None, []
        return rng.choice(SUBDOMAIN_RULES), None, []
    return None, None, []


def gen_rule(rng: Rng, fixture: Fixture) -> tuple[RuleSpec, Shape]:
    used: list[str] = []
    segments = [
        gen_segment(rng, fixture, used)
        for _ in range(rng.choice([0, 1, 1, 2, 2, 3, 4]))
    ]
    shape = Shape(segments, trailing_slash=rng.random() < 0.3)
    subdomain, host, shape.domain = gen_domain(rng, fixture)
    websocket = rng.random() < 0.05
    spec = RuleSpec(
        rule=gen_rule_text(rng, shape),
        endpoint=rng.choice(ENDPOINTS),
        methods=gen_methods(rng, websocket),
        defaults=gen_defaults(rng, shape),
        subdomain=subdomain,
        host=host,
        build_only=rng.random() < 0.04,
        strict_slashes=rng.choice([None] * 8 + [True, False]),
        merge_slashes=rng.choice([None] * 10 + [True, False]),
        redirect_to=gen_redirect(rng, shape),
        alias=rng.random() < 0.03,
        websocket=websocket,
    )
    return spec, shape


def gen_companion(
    rng: Rng, spec: RuleSpec, shape: Shape
) -> tuple[RuleSpec, Shape] | None:
    """A rule that gives ``spec`` defaults (``/all/`` with ``page=1`` next
    to ``/all/<int:page>``) or an alias of it, same endpoint."""
    if not shape.segments or not isinstance(shape.segments[-1][0], Slot):
        return None
    last = shape.segments[-1][0]
    if rng.random() < 0.7:
        segments = shape.segments[:-1]
        companion_shape = Shape(segments, trailing_slash=True, domain=shape.domain)
        text = "/" + "".join(render(s) + "/" for s in segments)
        companion = RuleSpec(
            text,
            endpoint=spec.endpoint,
            defaults={last.name: last.value(rng)},
            methods=rng.choice([None, spec.methods]),
            subdomain=spec.subdomain,
            host=spec.host,
        )
        return companion, companion_shape
    alias_shape = Shape([["old"], *shape.segments], shape.trailing_slash, shape.domain)
    alias = RuleSpec(
        "/old" + spec.rule,
        endpoint=spec.endpoint,
        alias=True,
        methods=spec.methods,
        subdomain=spec.subdomain,
        host=spec.host,
    )
    return alias, alias_shape


def gen_map_options(rng: Rng) -> Table:
    return Table(
        rules=[],
        strict_slashes=rng.random() < 0.85,
        merge_slashes=rng.random() < 0.85,
        redirect_defaults=rng.random() < 0.85,
        sort_parameters=rng.random() < 0.15,
        sort_key=rng.choice(
            [None, None, None, SortKey("key"), SortKey("reversed"), SortKey("text")]
        ),
        host_matching=rng.random() < 0.1,
        default_subdomain=rng.choice([""] * 9 + ["api"]),
    )


def gen_table(rng: Rng) -> Fixture:
    fixture = Fixture(gen_map_options(rng))
    for i in range(rng.choice([0, 0, 1, 1, 2, 3])):
        conv, sample = gen_converter(rng, f"c{i}")
        fixture.table.converters.append(conv)
        fixture.samplers[conv.name] = sample
    for _ in range(rng.randint(1, 12)):
        spec, shape = gen_rule(rng, fixture)
        fixture.table.rules.append(spec)
        fixture.shapes.append(shape)
        if rng.random() < 0.12:
            extra = gen_companion(rng, spec, shape)
            if extra is not None:
                # Before or after the rule it completes.
                position = len(fixture.table.rules) - rng.randint(0, 1)
                fixture.table.rules.insert(position, extra[0])
                fixture.shapes.insert(position, extra[1])
    fixture.binds = [gen_bind(rng, fixture.table) for _ in range(8)]
    return fixture


# --- requests --------------------------------------------------------------------


def render_near(rng: Rng, shape: Shape) -> str:
    """A path for the shape's rule, its variables filled in with samples."""
    parts = []
    for segment in shape.segments:
        parts.append(
            "".join(p if isinstance(p, str) else p.sample(rng) for p in segment)
        )
    path = "/" + "/".join(parts)
    if parts and (
        shape.trailing_slash if rng.random() < 0.8 else not shape.trailing_slash
    ):
        path += "/"
    return path


def perturb(rng: Rng, path: str) -> str:
    """A path changed the way clients change paths."""
    roll = rng.randrange(14)
    if roll == 0:
        return path.replace("/", "//", 1) if rng.random() < 0.5 else "/" + path
    if roll == 1:
        return path[:-1] if path.endswith("/") else path + "/"
    if roll == 2:
        at = rng.randrange(len(path) + 1)
        return path[:at] + rng.choice(["%", "%2F", "%25", "\n", "%0a"]) + path[at:]
    if roll == 3:
        at = rng.randrange(len(path) + 1)
        return path[:at] + pick_char(rng, SPACES + CASED + DIGITS) + path[at:]
    if roll == 4:
        return path.upper() if rng.random() < 0.5 else path.lower()
    if roll == 5:
        return path + "/" + rng.choice("ab\u00e4") * rng.choice([64, 255, 1000])
    if roll == 6:
        return path + "/a" * rng.randint(20, 120)
    if roll == 7:
        return path.lstrip("/")
    if roll == 8:
        return ""
    if roll == 9:
        segments = path.split("/")
        del segments[rng.randrange(len(segments))]
        return "/".join(segments)
    if roll == 10:
        return path.replace("/", "///")
    if roll == 11:
        return path + "/" + rng.choice(STATIC_WORDS)
    if roll == 12:
        return path + rng.choice(["/.", "/..", "/./x", "?q=1", "#f"])
    return path.replace("a", "\u00e4").replace("1", "\u0661")


def gen_far_path(rng: Rng) -> str:
    return "/" + "/".join(sample_word(rng) for _ in range(rng.randint(0, 4)))


def gen_path(rng: Rng, fixture: Fixture) -> str:
    roll = rng.random()
    if roll < 0.75 and fixture.shapes:
        path = render_near(rng, rng.choice(fixture.shapes))
    elif roll < 0.9:
        words = [
            w
            for s in fixture.shapes
            for seg in s.segments
            for w in seg
            if isinstance(w, str)
        ]
        path = "/" + "/".join(
            rng.choice(words or STATIC_WORDS) for _ in range(rng.randint(1, 3))
        )
    else:
        path = gen_far_path(rng)
    for _ in range(rng.choice([0, 0, 0, 1, 1, 2])):
        path = perturb(rng, path)
    return path


def gen_bind(rng: Rng, table: Table) -> Bind:
    bind = Bind(
        server_name=rng.choice(SERVER_NAMES),
        script_name=rng.choice(SCRIPT_NAMES),
        url_scheme=rng.choice(SCHEMES),
        default_method=rng.choice(["GET", "GET", "GET", "POST"]),
        query_args=rng.choice(QUERY_ARGS) if rng.random() < 0.1 else None,
    )
    if table.host_matching:
        bind.server_name = rng.choice(HOSTS)
        if rng.random() < 0.02:
            bind.subdomain = "api"
    elif table.uses_subdomains() or rng.random() < 0.05:
        bind.subdomain = rng.choice([None, *SUBDOMAINS])
    if rng.random() < 0.01:
        bind.server_name = rng.choice(
            ["b\u00e4d..name", "xn--nxasmq6b.com", "\u00e9xample.com"]
        )
    return bind


def pick_bind(rng: Rng, fixture: Fixture) -> Bind:
    if rng.random() < 0.2:
        return gen_bind(rng, fixture.table)
    return replace(fixture.binds[rng.randrange(len(fixture.binds))])


def gen_match(rng: Rng, fixture: Fixture) -> Match:
    bind = pick_bind(rng, fixture)
    path: str | None = gen_path(rng, fixture)
    if rng.random() < 0.1:
        bind.path_info, path = path, None
    return Match(
        path=path,
        method=None if rng.random() < 0.3 else rng.choice(REQUEST_METHODS),
        bind=bind,
        return_rule=rng.random() < 0.2,
        query_args=rng.choice(QUERY_ARGS) if rng.random() < 0.1 else None,
        websocket=rng.choice([None] * 9 + [True, False]),
    )


def gen_build_values(rng: Rng, fixture: Fixture, endpoint: str) -> t.Any:
    """Values for the endpoint's variables (typed for their converters,
    or anything), unknown keys, Nones and lists; sometimes a MultiDict."""
    slots = [
        s
        for spec, shape in zip(fixture.table.rules, fixture.shapes)
        if spec.endpoint == endpoint
        for s in shape.slots()
    ]
    items: list[tuple[str, t.Any]] = []
    for slot in slots:
        if rng.random() < 0.85:
            items.append((slot.name, slot.value(rng)))
    for key in ("page", "lang", "x", "q", "\u00e4"):
        if rng.random() < 0.08:
            items.append((key, build_value(rng)))
    if rng.random() < 0.05:
        items.append(("many", [1, "a", None]))
    if rng.random() < 0.1:
        return MultiDict(items + [(k, v) for k, v in items if rng.random() < 0.3])
    if not items and rng.random() < 0.5:
        return None
    return dict(items)


def gen_build(rng: Rng, fixture: Fixture) -> Build:
    endpoints = [r.endpoint for r in fixture.table.rules]
    endpoint = rng.choice(endpoints) if rng.random() < 0.95 else "nope"
    return Build(
        endpoint=endpoint,
        values=gen_build_values(rng, fixture, endpoint),
        method=rng.choice([None] * 6 + ["GET", "POST", "HEAD", "get", "PUT"]),
        force_external=rng.random() < 0.15,
        append_unknown=rng.random() < 0.85,
        url_scheme=rng.choice([None] * 8 + ["https", "ws", "wss", "", "ftp"]),
        bind=pick_bind(rng, fixture),
    )


def gen_request(rng: Rng, fixture: Fixture) -> Request:
    """A WSGI request for the table's apps."""
    table = fixture.table
    if table.host_matching:
        host = rng.choice(HOSTS)
    elif table.uses_subdomains():
        host = rng.choice(
            ["example.com", "api.example.com", "x.api.example.com", "other.test"]
        )
    else:
        host = rng.choice(["example.com"] * 9 + ["localhost:5000"])
    query = rng.choice(["", "", "", "a=1", "q=%C3%A4&q=2"])
    return Request(
        path=gen_path(rng, fixture),
        method=rng.choice(REQUEST_METHODS).upper(),
        host=host,
        scheme=rng.choice(["http", "http", "https"]),
        query=query,
        script_name=rng.choice(["", "", "", "/app"]),
        websocket=rng.random() < 0.05,
    )


def gen_change(rng: Rng, fixture: Fixture) -> Change:
    """A live change of a rule or map attribute that Werkzeug reads when it
    matches or builds."""
    if rng.random() < 0.25:
        attr, value = rng.choice(
            [
                ("redirect_defaults", False),
                ("redirect_defaults", True),
                ("sort_parameters", True),
                ("sort_key", SortKey("reversed")),
                ("host_matching", not fixture.table.host_matching),
                ("merge_slashes", not fixture.table.merge_slashes),
                ("default_subdomain", "api"),
            ]
        )
        return Change(-1, attr, "set", value)
    target = rng.randrange(len(fixture.table.rules))
    names = [s.name for s in fixture.shapes[target].slots()] or ["x"]
    return rng.choice(
        [
            Change(
                target, "methods", "set", rng.choice([None, {"POST"}, {"GET", "HEAD"}])
            ),
            Change(target, "methods", "add", rng.choice(["POST", "PUT", "GET"])),
            Change(target, "methods", "discard", rng.choice(["GET", "HEAD", "POST"])),
            Change(target, "strict_slashes", "set", rng.random() < 0.5),
            Change(target, "merge_slashes", "set", rng.random() < 0.5),
            Change(target, "websocket", "set", rng.random() < 0.5),
            Change(target, "endpoint", "set", rng.choice(ENDPOINTS)),
            Change(target, "defaults", "set", rng.choice([None, {"page": 2}])),
            Change(target, "defaults", "update", {rng.choice(names): "d"}),
            Change(target, "defaults", "pop", rng.choice(names)),
            Change(
                target,
                "redirect_to",
                "set",
                rng.choice([None, "/moved", RedirectFn("join")]),
            ),
            Change(target, "alias", "set", rng.random() < 0.5),
            Change(target, "arguments", "add", rng.choice(["page", *names])),
            Change(target, "arguments", "discard", rng.choice(names)),
            Change(target, "build_only", "set", rng.random() < 0.5),
        ]
    )


# --- the driver ------------------------------------------------------------------


@dataclass
class Failure:
    kind: str
    table: Table
    changes: list[Change]
    call: Match | Build | Request | None
    expected: t.Any
    got: t.Any

    def signature(self) -> str:
        """What kind of failure this is, for the summary."""
        if self.call is None:
            first = next(
                (a, b) for a, b in zip(self.expected[1], self.got[1]) if a != b
            )
            return (
                f"{self.kind} add: Werkzeug {first[0]}, flaskrs {_digitless(first[1])}"
            )
        call = type(self.call).__name__
        detail = ""
        if self.expected[0] == self.got[0] in ("match", "rule"):
            same = self.expected[:-1] == self.got[:-1]
            detail = " (values differ)" if same else " (endpoint or rule differs)"
        return (
            f"{self.kind} {call}: {_brief(self.expected)} vs {_brief(self.got)}{detail}"
        )


def _digitless(text: str) -> str:
    """A message with its numbers blanked, so that panics at different
    indexes count as one kind."""
    return re.sub(r"[0-9]+", "N", text)[:70]


def _brief(outcome: t.Any) -> str:
    if isinstance(outcome, tuple) and outcome:
        if outcome[0] in ("error", "panic"):
            return f"{outcome[0]} {_digitless(str(outcome[1]))}"
        if outcome[0] == "http":
            return f"http {outcome[1]}"
        if outcome[0] == "response":
            return f"response {outcome[1]}"
        return str(outcome[0])
    return str(outcome)[:60]


@dataclass
class Summary:
    inputs: int = 0
    panics: int = 0
    mismatches: int = 0
    unexpected_500s: int = 0
    tables: int = 0
    seconds: float = 0.0
    failures: list[Failure] = field(default_factory=list)
    signatures: Counter[str] = field(default_factory=Counter)

    def record(self, failure: Failure, keep: int) -> None:
        if failure.kind == "panic":
            self.panics += 1
        else:
            self.mismatches += 1
            if failure.kind == "unexpected500":
                self.unexpected_500s += 1
        signature = failure.signature()
        if signature not in self.signatures and len(self.failures) < keep:
            self.failures.append(failure)
        self.signatures[signature] += 1

    @property
    def failed(self) -> int:
        return self.panics + self.mismatches + self.unexpected_500s

    def line(self, seed: int) -> str:
        return (
            f"router fuzz: {self.inputs} inputs, {self.panics} panics,"
            f" {self.mismatches} mismatches, {self.unexpected_500s} unexpected 500s"
            f" (seed {seed})"
        )


def check_adds(summary: Summary, pair: Pair, table: Table, keep: int) -> None:
    kind = classify(*pair.adds)
    if kind is not None:
        summary.record(Failure(kind, table, [], None, *pair.adds), keep)


def run_table(rng: Rng, summary: Summary, inputs: int, keep: int, apps: bool) -> None:
    """One table: ``inputs`` matches, builds, live changes and app requests."""
    fixture = gen_table(rng)
    table = fixture.table
    pair = build_pair(table)
    summary.tables += 1
    check_adds(summary, pair, table, keep)
    app_share = 0.1 if apps and rng.random() < 0.1 else 0.0
    change_points = set()
    if rng.random() < 0.1:
        change_points = {
            rng.randrange(1, max(2, inputs)) for _ in range(rng.randint(1, 2))
        }
    changes: list[Change] = []
    app_calls: list[Request] = []
    for i in range(inputs):
        if i in change_points:
            change = gen_change(rng, fixture)
            apply_change(pair.wz, change)
            apply_change(pair.rs, change)
            changes.append(change)
        if app_share and rng.random() < app_share:
            app_calls.append(gen_request(rng, fixture))
            continue
        call: Match | Build = (
            gen_match(rng, fixture) if rng.random() < 0.7 else gen_build(rng, fixture)
        )
        expected = run_call(pair.wz, call)
        got = run_call(pair.rs, call)
        kind = classify(expected, got)
        if kind is not None:
            summary.record(
                Failure(kind, table, list(changes), call, expected, got), keep
            )
    if app_calls:
        run_apps(summary, table, app_calls, keep)
    summary.inputs += inputs


def run_apps(summary: Summary, table: Table, calls: list[Request], keep: int) -> None:
    """The requests through a Flask app and a flaskrs app of the table."""
    flask_app, flaskrs_app = app_pair(table)
    for call in calls:
        expected = flask_app(call)
        got = flaskrs_app(call)
        kind = classify(expected, got)
        if kind is not None:
            summary.record(Failure(kind, table, [], call, expected, got), keep)


def report_failure(number: int, failure: Failure, out: t.TextIO) -> None:
    print(f"--- failure {number}: {failure.signature()}", file=out)
    table, changes, call = failure.table, failure.changes, failure.call
    print(f"expected: {failure.expected!r}", file=out)
    print(f"flaskrs:  {failure.got!r}", file=out)
    try:
        if classify(*replay(table, changes, call)) is not None:
            table, changes = shrink(table, changes, call)
        else:
            print("(does not fail on a fresh table: earlier calls matter)", file=out)
    except Exception as e:  # a reproducer that cannot be shrunk still prints
        print(f"(shrinking failed: {e!r})", file=out)
    print(reproducer(table, changes, call), file=out)


def run(
    inputs: int,
    seed: int,
    *,
    keep: int = 5,
    apps: bool = True,
    out: t.TextIO | None = None,
    progress: float = 10.0,
) -> Summary:
    """Generate and check ``inputs`` calls from ``seed``; print progress
    every ``progress`` seconds and the first ``keep`` failures of distinct
    kinds as reproducers."""
    out = out or sys.stdout
    rng = random.Random(seed)
    summary = Summary()
    start = last = time.perf_counter()
    with warnings.catch_warnings():
        # Werkzeug warns on every bind to a host outside SERVER_NAME.
        warnings.simplefilter("ignore")
        while summary.inputs < inputs:
            count = min(rng.randint(50, 400), inputs - summary.inputs)
            run_table(rng, summary, count, keep, apps)
            now = time.perf_counter()
            if now - last >= progress:
                last = now
                rate = summary.inputs / (now - start)
                print(
                    f"  {summary.inputs}/{inputs} inputs, {summary.tables} tables,"
                    f" {summary.panics}/{summary.mismatches}/{summary.unexpected_500s}"
                    f" panics/mismatches/500s, {rate:,.0f} inputs/s",
                    file=out,
                    flush=True,
                )
        summary.seconds = time.perf_counter() - start
        for number, failure in enumerate(summary.failures, 1):
            report_failure(number, failure, out)
    if summary.signatures:
        print("failure kinds (count, kind):", file=out)
        for signature, count in summary.signatures.most_common(40):
            print(f"  {count:8d}  {signature}", file=out)
    rate = summary.inputs / summary.seconds if summary.seconds else 0.0
    print(
        f"{summary.tables} tables, {summary.seconds:.1f} s, {rate:,.0f} inputs/s",
        file=out,
    )
    print(summary.line(seed), file=out, flush=True)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--show", type=int, default=5, help="reproducers to print")
    parser.add_argument("--no-apps", action="store_true", help="maps only")
    args = parser.parse_args(argv)
    summary = run(args.inputs, args.seed, keep=args.show, apps=not args.no_apps)
    return 1 if summary.failed else 0


if __name__ == "__main__":
    sys.exit(main())
