"""The translation of Python ``re`` patterns for the regex crate
(``rust/routing/pyregex.rs``) against Python's ``re`` itself.

Converter regexes are generated from a grammar covering every construct the
translator accepts and many it must refuse, joined into one part the way
Werkzeug joins them, and matched by both engines: wherever the translator
answers, the match and every converter's text must be Python's, on any text
when it says ``unicode_exact`` and on ASCII text otherwise.
``FLASKRS_FUZZ_EXAMPLES`` raises the number of examples for a long run.
"""

from __future__ import annotations

import functools
import os
import re
import warnings

import pytest
from hypothesis import event
from hypothesis import given
from hypothesis import HealthCheck
from hypothesis import settings
from hypothesis import strategies as st

from flaskrs import _core

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")

EXAMPLES = int(os.environ.get("FLASKRS_FUZZ_EXAMPLES", "2000"))
# Short texts: Python's backtracking is exponential on nested quantifiers.
MAX_TEXT = 12

# Characters whose meaning differs between Python's Unicode tables and the
# regex crate's, or between Python's ASCII and Unicode modes: new digits of
# Unicode 15 (U+1E4F0-9), the Mongolian vowel separator, the information
# separators \x1c-\x1f (str.isspace() but not White_Space), NEL, NBSP, the
# line separator, the Kelvin sign and long s (fold to k and s), dotted and
# dotless i, fullwidth and Arabic-Indic digits, combining marks.
UNICODE_TRAPS = (
    "\U0001e4f0\U0001e4f1\U0001e4f9\u180e\x1c\x1d\x1e\x1f\x85\xa0\u2028"
    "\u212a\u017f\u0130\u0131\uff11\u0661\u06f5\u0301\u0300\u00b2\u2167"
)
ASCII_TEXT = "abkszAKSZ_019-/.[]{}&~^\\ \t\n\x0b\x0c\r\x08\x00\x7f"
TEXT_CHARS = st.sampled_from(ASCII_TEXT + UNICODE_TRAPS + "é日ß")
# What a class's sample character is drawn from: all of ASCII and the traps.
ALPHABET = "".join(map(chr, range(128))) + UNICODE_TRAPS + "é日ßÉ"

LITERALS = [
    *"abckKsSzZA_019-/,:@=!%'\"<>~&`#]} ",
    *"é日ßÉ\u212a\u017f\u0130\u0131\U0001e4f1\u0301\t\n",
]
ESCAPES = [
    *(f"\\{c}" for c in ".-/\\{}[]()*+?|^$ &~#é\t\n"),
    *[r"\t", r"\n", r"\r", r"\f", r"\v", r"\a", r"\0", r"\07", r"\012", r"\101"],
    *[r"\177", r"\x41", r"\x2F", r"\x1c", r"\u00e9", r"\u212a", r"\U0001e4f1"],
]
CATEGORIES = [r"\d", r"\D", r"\w", r"\W", r"\s", r"\S"]
ASSERTIONS = ["^", r"\A", r"\Z", r"\b", "(?m:^)", "(?m:$)"]
# Syntax the translator must refuse (or Python rejects).
REFUSED_ATOMS = [
    "$",
    r"\B",
    r"\1",
    r"\12",
    r"\8",
    r"\400",
    r"\N{EM DASH}",
    r"\z",
    r"\G",
    r"\x4",
    r"\ud800",
    "(?P=n0)",
    "(?i)",
    "(?x)",
    "(?=a)",
    "(?!a)",
    "(?<=a)",
    "(?<!a)",
    "(?(1)a|b)",
    "(?>a*)",
    "(?#comment)",
    "(?#a\\)b)",
    "*",
    ")",
    "(",
    "[",
    "\\",
]
CLASS_ITEMS = [
    *"azAZ09_-]^[&/.é\u212a ",
    *["&&", "--", "~~", "||", "a-z", "A-Z", "0-9", "Z-a", "!-~", "%--", "a-c-e"],
    *CATEGORIES,
    *[r"\b", r"\]", r"\\", r"\-", r"\^", r"\[", r"\x41", r"\u00e9", r"\1"],
    *[r"\18", r"\177", r"\0", r"\n", r"\x00-\x7f", r"\x00-\U0010ffff"],
    *[r"\u0080-\uffff", r"a-\u00ff", r"\ud7ff-\ue000", r"\U0001e4f0-\U0001e4f9"],
]
# A category in a range, bad escapes, a reversed range.
REFUSED_CLASS_ITEMS = [r"\d-z", r"a-\w", "z-a", r"\A", r"\8", r"\N{EM DASH}", r"\ud800"]
QUANTIFIERS = [
    *["*", "+", "?", "{2}", "{0}", "{0,1}", "{1,3}", "{,2}", "{2,}", "{,}"],
    *["*?", "+?", "??", "{1,3}?", "{,}?", "{2}?"],
    # Literal braces in Python, not quantifiers.
    *["{}", "{1", "{a}", "{1,2,3}", "{,x}"],
]
# Possessive (Python 3.11), doubled, reversed or huge.
REFUSED_QUANTIFIERS = [
    "*+",
    "++",
    "?+",
    "{1,2}+",
    "**",
    "{2,1}",
    "{1001}",
    "{4294967295}",
]
GROUP_OPENERS = [
    *["(", "(?:", "(?P<n0>", "(?P<n1>", "(?P<n2>", "(?i:", "(?s:", "(?a:"],
    *["(?u:", "(?m:", "(?-i:", "(?ai:", "(?i-s:", "(?si:", "(?-x:", "(?ms:"],
    "(?a:(?u:",
]
REFUSED_GROUP_OPENERS = [
    *["(?x:", "(?L:", "(?au:", "(?-a:", "(?i-i:", "(?>", "(?=", "(?!", "(?<="],
    *["(?<!", "(?P<1>", "(?P<>"],
]


# A converter regex and a text it probably matches, built alongside: Python's
# own `from_regex` strategy walks all of Unicode for every negated class.
Piece = tuple[str, str]


def _class(items: list[str], negate: bool) -> str:
    return "[" + ("^" if negate else "") + "".join(items) + "]"


@functools.lru_cache(maxsize=4096)
def _single_chars(regex: str) -> tuple[str, ...]:
    """The characters of the alphabet that ``regex`` matches on their own."""
    compiled = _compiles(regex)
    if compiled is None:
        return ()
    return tuple(c for c in ALPHABET if compiled.fullmatch(c))


def _with_sample(regexes: st.SearchStrategy[str]) -> st.SearchStrategy[Piece]:
    return regexes.flatmap(
        lambda r: st.tuples(st.just(r), st.sampled_from(_single_chars(r) or ("",)))
    )


def _alternation(pieces: list[Piece]) -> st.SearchStrategy[Piece]:
    regex = "|".join(p[0] for p in pieces)
    return st.tuples(st.just(regex), st.sampled_from([p[1] for p in pieces]))


# Few letters, so that converters compete for the same characters: where
# greedy, lazy and alternation priorities decide the split.
NARROW_ATOMS = [
    *["a", "b", "[ab]", "[^a]", ".", "a?", "a*", "(?:a|b)", "(?:ab|a)", "(?:a|ab)"],
    *["(?:a|)", "(?:|b)", "(?:a?b?)", "(?:b|a*)", r"\b", "^"],
]
NARROW_QUANTIFIERS = ["*", "+", "?", "*?", "+?", "??", "{2}", "{0,2}", "{1,2}?", "{2,}"]


def _grammar(refused: bool, narrow: bool = False) -> st.SearchStrategy[Piece]:
    """Converter regexes; with ``refused``, also syntax to refuse; ``narrow``
    over two letters."""

    def choose(good: list[str], bad: list[str]) -> st.SearchStrategy[str]:
        return st.sampled_from(good + bad if refused else good)

    classes = st.builds(
        _class,
        st.lists(choose(CLASS_ITEMS, REFUSED_CLASS_ITEMS), min_size=1, max_size=4),
        st.booleans(),
    )
    if narrow:
        atoms = _with_sample(st.sampled_from(NARROW_ATOMS))
        quantifiers = st.sampled_from(NARROW_QUANTIFIERS)
        openers = st.sampled_from(["(?:", "("])
    else:
        atoms = _with_sample(
            st.one_of(
                st.sampled_from(LITERALS),
                st.sampled_from(ESCAPES),
                st.sampled_from(CATEGORIES),
                st.just("."),
                classes,
                st.sampled_from(ASSERTIONS),
                *([st.sampled_from(REFUSED_ATOMS)] if refused else []),
            )
        )
        quantifiers = choose(QUANTIFIERS, REFUSED_QUANTIFIERS)
        openers = choose(GROUP_OPENERS, REFUSED_GROUP_OPENERS)

    def group(opener: str, body: Piece) -> Piece:
        return opener + body[0] + ")" * opener.count("("), body[1]

    def repeat(body: Piece, quantifier: str, times: int) -> Piece:
        return body[0] + quantifier, body[1] * times

    def concat(pieces: list[Piece]) -> Piece:
        return "".join(p[0] for p in pieces), "".join(p[1] for p in pieces)

    def grow(inner: st.SearchStrategy[Piece]) -> st.SearchStrategy[Piece]:
        repeats = st.builds(repeat, inner, quantifiers, st.integers(0, 3))
        return st.one_of(
            st.builds(group, openers, inner),
            # Nested repetition is where the engines could part.
            *([repeats] * (3 if narrow else 1)),
            st.lists(inner, min_size=2, max_size=4).map(concat),
            st.lists(inner, min_size=2, max_size=3).flatmap(_alternation),
        )

    return st.recursive(atoms, grow, max_leaves=8)


# (converters, statics) of one example: mostly patterns the translator should
# take, so that most examples compare matches; a quarter over two letters; a
# quarter also mixing in what it must refuse.
_wide = (_grammar(False), st.text(TEXT_CHARS, max_size=2))
GRAMMARS = [
    _wide,
    (_grammar(False, narrow=True), st.text(st.sampled_from("ab"), max_size=1)),
    _wide,
    (_grammar(True), st.text(TEXT_CHARS, max_size=2)),
]


def _compiles(pattern: str) -> re.Pattern[str] | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return re.compile(pattern)
        except (re.error, OverflowError, RecursionError):
            return None


def _werkzeug_part(converters: list[str], texts: list[str]) -> str:
    """The part regex Werkzeug builds for ``S0<c0>S1<c1>...Sn``."""
    out = re.escape(texts[0])
    for i, (regex, static) in enumerate(zip(converters, texts[1:])):
        out += f"(?P<__werkzeug_{i}>{regex}){re.escape(static)}"
    return out + r"\Z"


@st.composite
def _texts(draw: st.DrawFn, samples: list[str], texts: list[str]) -> list[str]:
    """The converters' samples between the statics, and variations of it:
    one character changed, the case swapped, random text."""
    base = texts[0] + "".join(
        s[:MAX_TEXT] + static for s, static in zip(samples, texts[1:])
    )
    out = [base]
    for _ in range(draw(st.integers(0, 3))):
        how = draw(
            st.sampled_from(["replace", "insert", "delete", "swapcase", "random", "ab"])
        )
        text = base
        i = draw(st.integers(0, len(text)))
        c = draw(TEXT_CHARS)
        if how == "replace":
            text = text[:i] + c + text[i + 1 :]
        elif how == "insert":
            text = text[:i] + c + text[i:]
        elif how == "delete":
            text = text[:i] + text[i + 1 :]
        elif how == "swapcase":
            text = text.swapcase()
        elif how == "ab":
            text = draw(st.text(st.sampled_from("ab"), max_size=6))
        else:
            text = draw(st.text(TEXT_CHARS, max_size=MAX_TEXT))
        out.append(text)
    return [text[: 2 * MAX_TEXT] for text in out]


def _python_groups(compiled: re.Pattern[str], n: int, text: str) -> list[str] | None:
    m = compiled.match(text)
    return None if m is None else [m.group(f"__werkzeug_{i}") for i in range(n)]


def _check_refusal(pattern: str) -> bool:
    """Whether ``pattern`` translates; anything Python rejects must be refused."""
    translated = _core.pyregex_translate(pattern)
    if _compiles(pattern) is None:
        assert translated is None, (pattern, translated)
    return translated is not None


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.filter_too_much,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(data=st.data())
def test_translation_matches_python_re(data: st.DataObject) -> None:
    patterns, statics = data.draw(st.sampled_from(GRAMMARS), label="grammar")
    k = data.draw(st.integers(1, 3), label="converters")
    pieces = [data.draw(patterns, label=f"c{i}") for i in range(k)]
    converters = [regex for regex, _ in pieces]
    texts = [data.draw(statics, label=f"s{i}") for i in range(k + 1)]
    if not all([_check_refusal(c) for c in converters]):
        event("refused")
        return
    whole = _werkzeug_part(converters, texts)
    compiled = _compiles(whole)
    if compiled is None:
        # Each converter alone compiles, together they do not (a group name
        # used twice).
        event("part rejected by re")
        return
    samples = [sample for _, sample in pieces]
    for text in data.draw(_texts(samples, texts), label="texts"):
        probe = _core.pyregex_probe(converters, texts, text)
        assert probe is not None, "the regex crate refused a translation"
        unicode_exact, end_sensitive, groups = probe
        if not (unicode_exact or text.isascii()):
            event("skipped: non-ASCII text, ASCII-exact translation")
            continue
        expected = _python_groups(compiled, k, text)
        event("compared: match" if expected is not None else "compared: no match")
        if not text.isascii():
            event("compared: non-ASCII text")
        assert groups == expected, (converters, texts, text, _translations(converters))
        # The whole part, `re.escape` output and named groups included.
        whole_probe = _core.pyregex_probe([whole], ["", ""], text)
        if whole_probe is not None:
            m = compiled.match(text)
            assert whole_probe[2] == (None if m is None else [m.group(0)]), whole
        _check_prefix_matching(converters, text, data)


def _check_prefix_matching(
    converters: list[str], text: str, data: st.DataObject
) -> None:
    """A converter that is not end-sensitive matches a text exactly when it
    matches that text as the prefix of a longer one."""
    for regex in converters:
        translated = _core.pyregex_translate(regex)
        assert translated is not None
        _, unicode_exact, end_sensitive = translated
        if end_sensitive:
            continue
        rest = data.draw(st.text(TEXT_CHARS, min_size=1, max_size=2), label="rest")
        if not (unicode_exact or (text + rest).isascii()):
            continue
        alone = re.fullmatch(regex, text) is not None
        as_prefix = (
            re.match(f"(?:{regex}){re.escape(rest)}\\Z", text + rest) is not None
        )
        assert alone == as_prefix, (regex, text, rest)


def _translations(converters: list[str]) -> list[tuple[str, bool, bool] | None]:
    return [_core.pyregex_translate(c) for c in converters]


@settings(max_examples=EXAMPLES // 2, deadline=None)
@given(
    st.text(
        st.sampled_from("ab\\[]()^-?*+{},0123|.$:PiIsxa<>=!#dwDbBuxU8é"), max_size=14
    )
)
def test_any_text_is_answered_without_panicking(pattern: str) -> None:
    _check_refusal(pattern)
    translated = _core.pyregex_translate(pattern)
    if translated is not None:
        assert _core.pyregex_probe([pattern], ["", ""], "") is not None


# Real-world converter regexes: (regex, unicode_exact).
REAL_WORLD = [
    ("[a-z]+", True),
    ("[^/]+", True),
    ("[^/]{2,8}", True),
    ("[0-9a-f]{24}", True),
    (
        "[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}",
        True,
    ),
    ("(?:en|de|fr)", True),
    ("[A-Za-z0-9_-]+", True),
    (".+", True),
    ("[^/].*?", True),
    ("-?[0-9]+", True),
    ("(?a:\\d+)", True),
    ("[a-z0-9]+(?:-[a-z0-9]+)*", True),
    ("v[0-9]+(?:\\.[0-9]+){0,2}", True),
    ("(?i:[a-z]+)", False),
    ("\\w+", False),
    ("\\d+", False),
    ("-?\\d+", False),
    ("\\d+\\.\\d+", False),
    ("\\d{4}-\\d{2}-\\d{2}", False),
    ("[\\w-]+", False),
    ("\\S+", False),
]


@pytest.mark.parametrize(("regex", "unicode_exact"), REAL_WORLD)
def test_real_world_converters_translate(regex: str, unicode_exact: bool) -> None:
    translated = _core.pyregex_translate(regex)
    assert translated is not None
    assert translated[1] is unicode_exact
    assert translated[2] is False


# Cases where the engines' defaults differ; each must be bridged or refused.
TRAPS: list[tuple[str, str]] = [
    (r"\s", "\x1c"),
    (r"\s", "\x85"),
    (r"(?a:\s)", "\x1c"),
    (r"\d", "\U0001e4f1"),
    (r"\d", "\uff11"),
    (r"\w", "\u0301"),
    (r"\w", "\u00b2"),
    (r"(?i:k)", "\u212a"),
    (r"(?i:s)", "\u017f"),
    (r"(?i:i)", "\u0130"),
    (r"(?ai:k)", "\u212a"),
    (r"(?i:[Z-a])", "z"),
    (r"(?i:[Z-a])", "A"),
    (r"(?i:[^k])", "K"),
    (r"\b", ""),
    (r"a\b", "a"),
    (r"(?a:a\b)é", "aé"),
    (r"a{,2}", "aa"),
    (r"a{}", "a{}"),
    (r"a{,}", "aaa"),
    (r"[]a]+", "]a"),
    (r"[a&&b]+", "&&a"),
    (r"[\d-]+", "1-"),
    (r".", "\n"),
    (r"[^/]", "\n"),
    (r"(?s:.)", "\n"),
    (r"\0", "\x00"),
    (r"\101", "A"),
    (r"[\101]", "A"),
    (r"(?m:a$)", "a"),
]


@pytest.mark.parametrize(("regex", "text"), TRAPS)
def test_traps_are_bridged_or_refused(regex: str, text: str) -> None:
    probe = _core.pyregex_probe([regex], ["", ""], text)
    assert probe is not None, regex
    unicode_exact, _, groups = probe
    m = re.match(f"(?:{regex})\\Z", text)
    expected = None if m is None else [m.group(0)]
    if unicode_exact or text.isascii():
        assert groups == expected
    else:
        # Where Python's and the crate's tables differ the translation must
        # not claim exactness.
        assert not unicode_exact


@pytest.mark.parametrize(
    "regex",
    [
        "$",
        r"a$",
        r"\B",
        r"(?a:\B)",
        r"(?:a*)*",
        r"(?:a|)+",
        r"(?i:é)",
        r"(?i)a",
        r"\1",
        "a*+",
    ],
)
def test_refused(regex: str) -> None:
    assert _core.pyregex_translate(regex) is None


def test_probe_checks_its_arguments() -> None:
    with pytest.raises(ValueError):
        _core.pyregex_probe(["a"], ["x"], "a")


def test_lazy_and_alternation_split_like_python() -> None:
    cases: list[tuple[list[str], str]] = [
        (["a+?", "a*"], "aaa"),
        (["a*?", "a+"], "aaa"),
        (["(?:a|ab)", "b*"], "abb"),
        (["(?:ab|a)", "b*"], "abb"),
        (["[^/].*?", "(?:/x)?"], "ab/x"),
        (["(?:a+?|b)+", "[ab]*"], "abab"),
        (["(?:a|b(?:c|))d", ".*"], "bd"),
    ]
    for converters, text in cases:
        statics = [""] * (len(converters) + 1)
        compiled = re.compile(_werkzeug_part(converters, statics))
        probe = _core.pyregex_probe(converters, statics, text)
        assert probe is not None
        assert probe[2] == _python_groups(compiled, len(converters), text)
        assert probe[2] is not None


def test_translation_text() -> None:
    assert _core.pyregex_translate(r"(?P<x>en|de)\Z") == (r"(?:en|de)\z", True, True)
