"""Which rules of a URL map can never answer: what ``flaskrs routes`` notes
beside them (beyond Flask's command)."""

from __future__ import annotations

import re
import typing as t
import uuid
from collections import Counter

from werkzeug.routing import AnyConverter
from werkzeug.routing import BaseConverter
from werkzeug.routing import FloatConverter
from werkzeug.routing import IntegerConverter
from werkzeug.routing import Map
from werkzeug.routing import parse_converter_args
from werkzeug.routing import Rule
from werkzeug.routing import UnicodeConverter
from werkzeug.routing import UUIDConverter

# == Shadowed routes (flaskrs only) ===========================================
#
# ``routes`` notes a rule that some other rule always answers for first.
# The claim rests on one property of Werkzeug's matcher: it walks the rules
# in a fixed order that does not depend on the URL (static parts before
# dynamic ones, converters by weight, ties by the order their parts were
# first added) and returns the first rule that matches both the URL and
# the method. The rule order alone does not give that walk order: a rule
# added later can come first when an even earlier rule created its part.
# So the order is asked of the matcher itself, with one example URL that
# rule B accepts: if rule A answers it, A comes before B. If A also
# provably accepts every URL B does, the matcher never reaches B for that
# method. Proving "accepts every URL" is done on the rule text, for the
# cases below; anything else is left unmarked.

_RULE_VARIABLE = re.compile(
    r"<(?:(?P<converter>[a-zA-Z_][a-zA-Z0-9_]*)(?:\((?P<args>.*?)\))?:)?"
    r"(?P<name>[a-zA-Z_][a-zA-Z0-9_]*)>"
)

# Asked for when a rule accepts every method: only another rule that also
# accepts every method answers it.
_ANY_METHOD = "FLASKRS-SHADOW-PROBE"

# Methods Flask and Werkzeug add on their own; overlapping only on those is
# how a GET view and a POST view share a URL, not a mistake worth a note.
AUTOMATIC_METHODS = frozenset(("HEAD", "OPTIONS"))

_SAMPLE_TEXTS = ("x", "1", "a", "0", "1.0", "ab", "q", str(uuid.UUID(int=1)))

# A default ``string`` accepts any non-empty segment; a converter of one of
# these exact classes only ever accepts non-empty text without a slash
# (``string`` only with a positive minimum length, ``any`` only when no
# choice is empty or holds a slash).
_SLASH_FREE = (IntegerConverter, FloatConverter, UUIDConverter)
_STRING_MIN_LENGTH = re.compile(r"\[\^/\]\{([1-9][0-9]*)(?:,[0-9]*)?\}")


class _Slot(t.NamedTuple):
    """A converter of a rule, with the arguments it was written with."""

    converter: BaseConverter
    args: tuple[t.Any, ...]
    kwargs: dict[str, t.Any]


class _Pattern(t.NamedTuple):
    """Rule text split into the static pieces around its converters:
    ``statics[i]`` comes before ``slots[i]``, ``statics[-1]`` ends it."""

    statics: list[str]
    slots: list[_Slot]


class _Shape(t.NamedTuple):
    domain: _Pattern
    path: _Pattern


def _parse_pattern(url_map: t.Any, text: str) -> _Pattern | None:
    """``None`` for text this parser is not sure to read as Werkzeug does."""
    statics: list[str] = []
    slots: list[_Slot] = []
    position = 0

    for variable in _RULE_VARIABLE.finditer(text):
        statics.append(text[position : variable.start()])
        converter_type = url_map.converters.get(variable["converter"] or "default")

        if converter_type is None:
            return None

        raw = variable["args"]
        args, kwargs = ((), {}) if raw is None else parse_converter_args(raw)
        converter = converter_type(url_map, *args, **kwargs)
        slots.append(_Slot(converter, tuple(args), dict(kwargs)))
        position = variable.end()

    statics.append(text[position:])

    if any("<" in piece or ">" in piece for piece in statics):
        return None

    return _Pattern(statics, slots)


def _rule_shape(url_map: t.Any, rule: t.Any) -> _Shape | None:
    try:
        domain = _parse_pattern(url_map, _rule_domain(url_map, rule))
        path = _parse_pattern(url_map, rule.rule)
    except Exception:  # arguments the converter refuses, and the like
        return None

    if domain is None or path is None:
        return None

    return _Shape(domain, path)


def _rule_domain(url_map: t.Any, rule: t.Any) -> str:
    if url_map.host_matching:
        return rule.host or ""

    subdomain: str | None = rule.subdomain
    if subdomain is None:
        return url_map.default_subdomain or ""

    return subdomain


def _converter_state(converter: BaseConverter) -> dict[str, t.Any] | None:
    try:
        state = dict(vars(converter))
    except TypeError:  # __slots__: nothing to compare
        return None

    state.pop("map", None)
    return state


def _same_converter(a: BaseConverter, b: BaseConverter) -> bool:
    if type(a) is not type(b) or a.regex != b.regex:
        return False

    state = _converter_state(a)
    return state is not None and state == _converter_state(b)


def _range_covers(a: BaseConverter, b: BaseConverter) -> bool:
    """Two numeric converters that differ only in ``min``/``max``, ``a``'s
    range holding ``b``'s. Equal regexes split a URL the same way, and the
    bounds are the only check on the value that differs."""
    if type(a) is not type(b) or type(a) not in (IntegerConverter, FloatConverter):
        return False

    state_a, state_b = _converter_state(a), _converter_state(b)

    if a.regex != b.regex or state_a is None or state_b is None:
        return False

    bounds = ("min", "max")
    low_a, high_a = (state_a.pop(name, None) for name in bounds)
    low_b, high_b = (state_b.pop(name, None) for name in bounds)

    if state_a != state_b:
        return False

    low_ok = low_a is None or (low_b is not None and low_a <= low_b)
    high_ok = high_a is None or (high_b is not None and high_a >= high_b)
    return low_ok and high_ok


def _is_default_string(url_map: t.Any, converter: BaseConverter) -> bool:
    return type(converter) is UnicodeConverter and _same_converter(
        converter, UnicodeConverter(url_map)
    )


def _slash_free(slot: _Slot) -> bool:
    converter = slot.converter
    kind = type(converter)

    if kind is UnicodeConverter:
        return _STRING_MIN_LENGTH.fullmatch(converter.regex) is not None

    if kind is AnyConverter:
        return not slot.kwargs and all(
            isinstance(item, str) and item and "/" not in item for item in slot.args
        )

    return kind in _SLASH_FREE


def _same_pattern(a: _Pattern, b: _Pattern) -> bool:
    return a.statics == b.statics and all(
        _same_converter(x.converter, y.converter) for x, y in zip(a.slots, b.slots)
    )


def _covers(url_map: t.Any, a: t.Any, sa: _Shape, b: t.Any, sb: _Shape) -> bool:
    """Whether rule ``a`` accepts every URL that rule ``b`` accepts.

    Same domain, same slash handling, same static text, and at each
    converter either the same converter, a numeric one with a wider range,
    or a default ``string`` where ``b`` has a converter that only takes
    slash-free text. The last case needs the URL's segments to line up the
    same way for both rules: every converter of ``b`` slash-free, and the
    wider one alone in its segment.
    """
    settings = ("websocket", "strict_slashes", "merge_slashes")

    if any(getattr(a, name) != getattr(b, name) for name in settings):
        return False

    if len(sa.domain.slots) != len(sb.domain.slots) or not _same_pattern(
        sa.domain, sb.domain
    ):
        return False

    statics = sb.path.statics

    if len(sa.path.slots) != len(sb.path.slots) or sa.path.statics != statics:
        return False

    widened = []

    for index, (x, y) in enumerate(zip(sa.path.slots, sb.path.slots)):
        if _same_converter(x.converter, y.converter):
            continue

        if _range_covers(x.converter, y.converter):
            continue

        if _is_default_string(url_map, x.converter):
            widened.append(index)
            continue

        return False

    if not widened:
        return True

    if not all(map(_slash_free, sb.path.slots)):
        return False

    last = len(statics) - 1
    return all(
        statics[i].endswith("/")
        and (statics[i + 1].startswith("/") or (i + 1 == last and not statics[i + 1]))
        for i in widened
    )


def _sample(slot: _Slot) -> str | None:
    """A piece of URL the converter accepts, or ``None`` if none is found."""
    converter = slot.converter

    for value in (*slot.args, *slot.kwargs.values(), *_SAMPLE_TEXTS):
        texts = [str(value)]

        try:
            texts.insert(0, converter.to_url(value))
        except Exception:
            pass

        for text in texts:
            if not text.isprintable() or any(c in text for c in "?#%"):
                continue

            if re.fullmatch(converter.regex, text) is None:
                continue

            try:
                converter.to_python(text)
            except Exception:
                continue

            return text

    return None


def _fill(pattern: _Pattern) -> str | None:
    pieces = [pattern.statics[0]]

    for slot, static in zip(pattern.slots, pattern.statics[1:]):
        sample = _sample(slot)

        if sample is None:
            return None

        pieces += [sample, static]

    return "".join(pieces)


def _bind(url_map: t.Any, domain: str, websocket: bool) -> t.Any:
    scheme = "ws" if websocket else "http"

    if url_map.host_matching:
        return url_map.bind(domain, url_scheme=scheme)

    return url_map.bind("localhost", subdomain=domain, url_scheme=scheme)


def _accepts_alone(url_map: t.Any, rule: t.Any, domain: str, path: str) -> bool:
    """Whether ``rule`` matches the example by itself: in a map of its own,
    without the defaults and redirects that only concern its endpoint."""
    domain_option: dict[str, t.Any] = {
        "host" if url_map.host_matching else "subdomain": _rule_domain(url_map, rule)
    }
    solo = Map(
        [
            Rule(
                rule.rule,
                endpoint="probe",
                methods=rule.methods,
                strict_slashes=rule.strict_slashes,
                merge_slashes=rule.merge_slashes,
                websocket=rule.websocket,
                **domain_option,
            )
        ],
        default_subdomain=url_map.default_subdomain,
        converters=url_map.converters,
        redirect_defaults=False,
        host_matching=url_map.host_matching,
    )
    method = min(rule.methods) if rule.methods else _ANY_METHOD
    endpoint, _ = _bind(solo, domain, rule.websocket).match(path, method=method)
    matched: bool = endpoint == "probe"
    return matched


def _static_text(shape: _Shape) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return tuple(shape.domain.statics), tuple(shape.path.statics)


def shadowed_rules(url_map: t.Any) -> dict[int, dict[str, t.Any]]:
    """For each shadowed rule (by ``id``), the methods some other rule
    always answers for, each with that rule."""
    rules = [rule for rule in url_map.iter_rules() if not rule.build_only]
    shapes = {id(rule): _rule_shape(url_map, rule) for rule in rules}
    texts = Counter(map(_static_text, filter(None, shapes.values())))
    found: dict[int, dict[str, t.Any]] = {}

    for rule in rules:
        shape = shapes[id(rule)]

        # Covering needs the same static text: a rule alone with its text
        # has nothing to check, which spares most rules the probing below.
        if shape is None or texts[_static_text(shape)] < 2:
            continue

        try:
            domain, path = _fill(shape.domain), _fill(shape.path)

            if domain is None or path is None:
                continue

            if not _accepts_alone(url_map, rule, domain, path):
                continue

            adapter = _bind(url_map, domain, rule.websocket)
        except Exception:
            continue

        methods = sorted(rule.methods) if rule.methods is not None else [_ANY_METHOD]

        for method in methods:
            try:
                answer, _ = adapter.match(path, method=method, return_rule=True)
            except Exception:  # not found, a redirect, an error: no claim
                continue

            other = shapes.get(id(answer))

            if answer is rule or other is None:
                continue

            if _covers(url_map, answer, other, rule, shape):
                found.setdefault(id(rule), {})[method] = answer

    return found


def shadow_note(
    rule: t.Any, by: dict[str, t.Any], shown: t.Callable[[str], bool]
) -> str:
    """The Note cell: ``shadowed by a`` when no method is left to the rule,
    else the shadowed methods per rule (``GET shadowed by a``); nothing for
    an overlap in the automatic methods only."""
    accepted = set(rule.methods) if rule.methods is not None else {_ANY_METHOD}
    endpoints: dict[str, list[str]] = {}

    for method in sorted(by):
        endpoints.setdefault(str(by[method].endpoint), []).append(method)

    if accepted <= set(by):
        return f"shadowed by {', '.join(endpoints)}"

    if set(by) <= AUTOMATIC_METHODS:
        return ""

    return "; ".join(
        f"{', '.join(filter(shown, methods))} shadowed by {endpoint}"
        for endpoint, methods in endpoints.items()
        if any(map(shown, methods))
    )
