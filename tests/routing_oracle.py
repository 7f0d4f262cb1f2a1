"""Werkzeug and Flask as the oracle for flaskrs's router: data-only
descriptions of a rule table and of the calls made on it, the code that
turns them into a ``werkzeug.routing.Map`` and a ``flaskrs.routing.Map``
(or a Flask and a flaskrs app), and the comparison of what each answers.

Shared by ``fuzz_router.py`` (which generates the descriptions) and
``test_routing_hostile.py``. Everything here is plain data with an
``eval``-able ``repr``, so a failure prints as a reproducer::

    import sys; sys.path.insert(0, "tests")  # from the repository root
    from routing_oracle import *
    print(replay(Table(...), [], Match("/n/1")))

An outcome is a tuple whose first item says what happened:

- ``("match", endpoint, values)``, or ``("rule", index, rule text,
  endpoint, values)`` with ``return_rule``;
- ``("redirect", url, code)``; ``("http", code, name, valid_methods)``;
- ``("url", text)`` for a build; ``("builderror", endpoint, method)``;
- ``("response", status, location, allow, body, exception)`` from an app;
- ``("adds", answers)``: what each rule add answered ("ok" or the type of
  what it raised), for a table's construction;
- ``("error", exception type)``: anything else the call raised;
- ``("panic", message)``: a Rust panic (``pyo3_runtime.PanicException``,
  a ``BaseException``).
"""

from __future__ import annotations

import copy
import io
import logging
import typing as t
import warnings
from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from dataclasses import fields
from dataclasses import MISSING
from dataclasses import replace
from uuid import UUID

import flask
from werkzeug import routing as wz_routing
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.routing import BaseConverter
from werkzeug.routing import BuildError
from werkzeug.routing import IntegerConverter
from werkzeug.routing import PathConverter
from werkzeug.routing import RequestRedirect
from werkzeug.routing import Rule
from werkzeug.routing import ValidationError

import flaskrs
from flaskrs import routing as rs_routing

__all__ = [
    "Bind",
    "Build",
    "Change",
    "Conv",
    "MultiDict",
    "Odd",
    "RedirectFn",
    "Request",
    "RuleSpec",
    "SortKey",
    "Match",
    "Table",
    "UUID",
    "build_pair",
    "classify",
    "replay",
]

Outcome = tuple[t.Any, ...]

# Answers an application can give; anything else from flaskrs where
# Werkzeug gives one of these is an unexpected 500.
NORMAL_KINDS = frozenset({"match", "rule", "redirect", "http", "url", "builderror"})


# --- values with an eval-able repr -----------------------------------------------


def _short_repr(self: t.Any) -> str:
    """A dataclass's repr without the fields that have their default."""
    parts = []
    for f in fields(self):
        value = getattr(self, f.name)
        if f.default is not MISSING:
            default = f.default
        elif f.default_factory is not MISSING:
            default = f.default_factory()
        else:
            parts.append(repr(value))
            continue
        if type(value) is not type(default) or value != default:
            parts.append(f"{f.name}={value!r}")
    return f"{type(self).__name__}({', '.join(parts)})"


_T = t.TypeVar("_T")


def _printable(cls: type[_T]) -> type[_T]:
    cls.__repr__ = _short_repr  # type: ignore[assignment]
    return cls


@_printable
@dataclass(frozen=True, repr=False)
class Odd:
    """A value of a type no converter expects: ``str()`` gives its text."""

    text: str

    def __str__(self) -> str:
        return self.text


@_printable
@dataclass(frozen=True, repr=False)
class RedirectFn:
    """A callable ``redirect_to``, named so that it prints."""

    name: str

    def __call__(self, adapter: t.Any, **values: t.Any) -> t.Any:
        if self.name == "join":
            return "/to/" + "/".join(f"{k}-{values[k]}" for k in sorted(values))
        if self.name == "absolute":
            return "https://elsewhere.test/x?y=1"
        if self.name == "query":
            return "?only=query"
        if self.name == "number":
            return len(values)
        raise AssertionError(self.name)


@_printable
@dataclass(frozen=True, repr=False)
class SortKey:
    """A ``Map.sort_key``, named so that it prints."""

    name: str

    def __call__(self, item: tuple[str, t.Any]) -> t.Any:
        if self.name == "key":
            return item[0]
        if self.name == "reversed":
            return item[0][::-1]
        if self.name == "text":
            return str(item)
        raise AssertionError(self.name)


# --- custom converters -----------------------------------------------------------


def _py_upper(self: BaseConverter, value: str) -> t.Any:
    return value.upper()


def _py_reject_x(self: BaseConverter, value: str) -> t.Any:
    if "x" in value:
        raise ValidationError()
    return value


def _py_length(self: BaseConverter, value: str) -> t.Any:
    return len(value)


def _py_parts(self: BaseConverter, value: str) -> t.Any:
    return tuple(value.split("-"))


def _py_none(self: BaseConverter, value: str) -> t.Any:
    return None


def _py_lookup_error(self: BaseConverter, value: str) -> t.Any:
    if value[:1] in ("v", "V"):
        raise LookupError("converter failed")
    return value


def _url_reject_x(self: BaseConverter, value: t.Any) -> str:
    if "x" in str(value):
        raise ValidationError()
    return BaseConverter.to_url(self, value)


def _url_raw(self: BaseConverter, value: t.Any) -> str:
    return str(value)


def _url_length(self: BaseConverter, value: t.Any) -> t.Any:
    return len(str(value))


def _url_join(self: BaseConverter, value: t.Any) -> str:
    if isinstance(value, (tuple, list)):
        return "-".join(map(str, value))
    return BaseConverter.to_url(self, value)


def _url_type_error(self: BaseConverter, value: t.Any) -> str:
    if isinstance(value, int):
        raise TypeError("no numbers")
    return BaseConverter.to_url(self, value)


TO_PYTHON: dict[str, Callable[[BaseConverter, str], t.Any]] = {
    "upper": _py_upper,
    "reject_x": _py_reject_x,
    "length": _py_length,
    "parts": _py_parts,
    "none": _py_none,
    "lookup_error": _py_lookup_error,
}
TO_URL: dict[str, Callable[[BaseConverter, t.Any], t.Any]] = {
    "reject_x": _url_reject_x,
    "raw": _url_raw,
    "length": _url_length,
    "join": _url_join,
    "type_error": _url_type_error,
}
BASES: dict[str, type[BaseConverter]] = {
    "base": BaseConverter,
    "int": IntegerConverter,
    "path": PathConverter,
}


@_printable
@dataclass(frozen=True, repr=False)
class Conv:
    """A custom converter class registered under ``name``.

    ``regex``/``weight``/``part_isolating`` are class attributes when not
    None (else inherited from ``base``); ``to_python``/``to_url`` name a
    behaviour in ``TO_PYTHON``/``TO_URL`` ("" inherits the base's). The
    constructor takes any arguments and raises ``ValueError`` when one of
    them is ``"boom"``.
    """

    name: str
    regex: str | None = "[^/]+"
    base: str = "base"
    weight: int | None = None
    part_isolating: bool | None = None
    to_python: str = ""
    to_url: str = ""


def converter_class(conv: Conv) -> type[BaseConverter]:
    base = BASES[conv.base]

    def __init__(self: BaseConverter, map: t.Any, *args: t.Any, **kw: t.Any) -> None:
        if "boom" in args or "boom" in kw.values():
            raise ValueError("converter refused its arguments")
        base.__init__(self, map)

    namespace: dict[str, t.Any] = {"__init__": __init__}
    if conv.regex is not None:
        namespace["regex"] = conv.regex
    if conv.weight is not None:
        namespace["weight"] = conv.weight
    if conv.part_isolating is not None:
        namespace["part_isolating"] = conv.part_isolating
    if conv.to_python:
        namespace["to_python"] = TO_PYTHON[conv.to_python]
    if conv.to_url:
        namespace["to_url"] = TO_URL[conv.to_url]
    return type(f"Conv_{conv.name}", (base,), namespace)


# --- rule tables -----------------------------------------------------------------


@_printable
@dataclass(repr=False)
class RuleSpec:
    """The arguments of one ``Rule`` (``methods`` may be a bare string:
    Werkzeug rejects that)."""

    rule: str
    endpoint: t.Any = "e0"
    methods: tuple[str, ...] | str | None = None
    defaults: dict[str, t.Any] | None = None
    subdomain: str | None = None
    host: str | None = None
    build_only: bool = False
    strict_slashes: bool | None = None
    merge_slashes: bool | None = None
    redirect_to: str | RedirectFn | None = None
    alias: bool = False
    websocket: bool = False

    def kwargs(self) -> dict[str, t.Any]:
        """Keyword arguments for ``Rule`` (and Flask's ``add_url_rule``),
        with fresh copies of the mutable ones."""
        return {
            "endpoint": self.endpoint,
            "methods": self.methods,
            "defaults": copy.deepcopy(self.defaults),
            "subdomain": self.subdomain,
            "host": self.host,
            "build_only": self.build_only,
            "strict_slashes": self.strict_slashes,
            "merge_slashes": self.merge_slashes,
            "redirect_to": self.redirect_to,
            "alias": self.alias,
            "websocket": self.websocket,
        }

    def make(self) -> Rule:
        return Rule(self.rule, **self.kwargs())


@_printable
@dataclass(repr=False)
class Table:
    """A ``Map``'s options, its custom converters and its rules, added one
    by one in order."""

    rules: list[RuleSpec]
    converters: list[Conv] = field(default_factory=list)
    strict_slashes: bool = True
    merge_slashes: bool = True
    redirect_defaults: bool = True
    sort_parameters: bool = False
    sort_key: SortKey | None = None
    host_matching: bool = False
    default_subdomain: str = ""

    def map_kwargs(self) -> dict[str, t.Any]:
        return {
            "default_subdomain": self.default_subdomain,
            "strict_slashes": self.strict_slashes,
            "merge_slashes": self.merge_slashes,
            "redirect_defaults": self.redirect_defaults,
            "converters": {c.name: converter_class(c) for c in self.converters},
            "sort_parameters": self.sort_parameters,
            "sort_key": self.sort_key,
            "host_matching": self.host_matching,
        }

    def uses_subdomains(self) -> bool:
        return not self.host_matching and any(r.subdomain for r in self.rules)


@dataclass
class Built:
    """A map built from a table: the rule object of each table rule (None
    where adding it failed) and what each add answered."""

    map: t.Any
    rules: list[Rule | None]
    adds: list[str]


def _exception_name(e: BaseException) -> str:
    return f"{type(e).__module__}.{type(e).__qualname__}"


def is_panic(e: BaseException) -> bool:
    return type(e).__name__ == "PanicException"


def build_map(map_class: type, table: Table, skip: Iterable[int] = ()) -> Built:
    """``map_class`` with the table's rules added one by one; a rule whose
    construction or add raises is recorded and left out (the map must then
    be as it was before that add). Rules whose index is in ``skip`` are not
    offered at all."""
    skipped = set(skip)
    built = Built(map_class(**table.map_kwargs()), [], [])
    for i, spec in enumerate(table.rules):
        if i in skipped:
            built.rules.append(None)
            built.adds.append("skipped")
            continue
        try:
            rule = spec.make()
            built.map.add(rule)
        except Exception as e:
            built.rules.append(None)
            built.adds.append(_exception_name(e))
        except BaseException as e:
            if not is_panic(e):
                raise
            built.rules.append(None)
            built.adds.append(f"panic: {e}")
        else:
            built.rules.append(rule)
            built.adds.append("ok")
    return built


@dataclass
class Pair:
    """The same table on Werkzeug and on flaskrs, and what each add
    answered on each. When flaskrs rejects a rule Werkzeug accepts, the
    Werkzeug map is rebuilt without it: flaskrs's map must then behave as
    if the failed add never happened. When flaskrs accepts a rule Werkzeug
    rejects, flaskrs's map is rebuilt without it."""

    wz: Built
    rs: Built
    adds: tuple[Outcome, Outcome]


def build_pair(table: Table) -> Pair:
    wz = build_map(wz_routing.Map, table)
    rs = build_map(rs_routing.Map, table)
    adds = (("adds", tuple(wz.adds)), ("adds", tuple(rs.adds)))
    only_wz = [i for i, (a, b) in enumerate(zip(wz.adds, rs.adds)) if a == "ok" != b]
    only_rs = [i for i, (a, b) in enumerate(zip(wz.adds, rs.adds)) if b == "ok" != a]
    if only_wz:
        wz = build_map(wz_routing.Map, table, skip=only_wz)
    if only_rs:
        rs = build_map(rs_routing.Map, table, skip=only_rs)
    return Pair(wz, rs, adds)


# --- calls -----------------------------------------------------------------------


@_printable
@dataclass(repr=False)
class Bind:
    """``Map.bind``'s arguments."""

    server_name: str = "example.com"
    script_name: str | None = None
    subdomain: str | None = None
    url_scheme: str = "http"
    default_method: str = "GET"
    path_info: str | None = None
    query_args: t.Any = None

    def adapter(self, map: t.Any) -> t.Any:
        return map.bind(
            self.server_name,
            self.script_name,
            self.subdomain,
            self.url_scheme,
            self.default_method,
            self.path_info,
            self.query_args,
        )


@_printable
@dataclass(repr=False)
class Match:
    """``map.bind(...).match(path, method, return_rule, query_args,
    websocket)``."""

    path: str | None
    method: str | None = None
    bind: Bind = field(default_factory=Bind)
    return_rule: bool = False
    query_args: t.Any = None
    websocket: bool | None = None


@_printable
@dataclass(repr=False)
class Build:
    """``map.bind(...).build(endpoint, values, method, force_external,
    append_unknown, url_scheme)``."""

    endpoint: t.Any
    values: t.Any = None
    method: str | None = None
    force_external: bool = False
    append_unknown: bool = True
    url_scheme: str | None = None
    bind: Bind = field(default_factory=Bind)


@_printable
@dataclass(repr=False)
class Request:
    """One WSGI call of a Flask (or flaskrs) app built from the table."""

    path: str
    method: str = "GET"
    host: str = "example.com"
    scheme: str = "http"
    query: str = ""
    script_name: str = ""
    websocket: bool = False


@_printable
@dataclass(repr=False)
class Change:
    """A live change after the first requests: ``op`` is ``set`` (assign
    ``value``), ``add``/``discard`` (on a set) or ``update``/``pop`` (on a
    dict) of attribute ``attr`` of rule ``target`` (an index into the
    table's rules), or of the map when ``target`` is -1. A change of an
    attribute that is None, or of a rule that was not added, does nothing."""

    target: int
    attr: str
    op: str = "set"
    value: t.Any = None


def apply_change(built: Built, change: Change) -> None:
    obj = built.map if change.target < 0 else built.rules[change.target]
    if obj is None:
        return
    value = copy.deepcopy(change.value)
    if change.op == "set":
        setattr(obj, change.attr, value)
        return
    current = getattr(obj, change.attr)
    if current is None:
        return
    if change.op == "add":
        current.add(value)
    elif change.op == "discard":
        current.discard(value)
    elif change.op == "update":
        current.update(value)
    elif change.op == "pop":
        current.pop(value, None)
    else:
        raise AssertionError(change.op)


def canonical_values(values: t.Mapping[str, t.Any]) -> tuple[t.Any, ...]:
    return tuple(sorted((str(k), type(v).__name__, repr(v)) for k, v in values.items()))


def _failure(e: BaseException) -> Outcome:
    """The outcome of a call that raised."""
    if isinstance(e, RequestRedirect):
        return ("redirect", e.new_url, e.code)
    if isinstance(e, MethodNotAllowed):
        return ("http", 405, "MethodNotAllowed", frozenset(e.valid_methods or ()))
    if isinstance(e, HTTPException):
        return ("http", e.code, type(e).__name__, None)
    if isinstance(e, BuildError):
        return ("builderror", repr(e.endpoint), e.method)
    if isinstance(e, Exception):
        return ("error", _exception_name(e))
    if is_panic(e):
        return ("panic", str(e))
    raise e


def run_match(built: Built, call: Match) -> Outcome:
    try:
        adapter = call.bind.adapter(built.map)
        result = adapter.match(
            call.path, call.method, call.return_rule, call.query_args, call.websocket
        )
    except BaseException as e:
        return _failure(e)
    target, values = result
    if call.return_rule:
        index = next((i for i, r in enumerate(built.rules) if r is target), None)
        return (
            "rule",
            index,
            target.rule,
            repr(target.endpoint),
            canonical_values(values),
        )
    return ("match", repr(target), canonical_values(values))


def run_build(built: Built, call: Build) -> Outcome:
    try:
        adapter = call.bind.adapter(built.map)
        url = adapter.build(
            call.endpoint,
            call.values,
            call.method,
            call.force_external,
            call.append_unknown,
            call.url_scheme,
        )
    except BaseException as e:
        return _failure(e)
    return ("url", repr(url))


def run_call(built: Built, call: Match | Build) -> Outcome:
    if isinstance(call, Match):
        return run_match(built, call)
    return run_build(built, call)


def classify(expected: Outcome, got: Outcome) -> str | None:
    """None when flaskrs answered as Werkzeug/Flask did, else ``panic``,
    ``unexpected500`` (flaskrs failed where the oracle answered normally; it
    is a mismatch too) or ``mismatch``."""
    if got[0] == "panic" or (got[0] == "response" and got[5] == "panic"):
        return "panic"
    if got[0] == "adds" and any(a.startswith("panic") for a in got[1]):
        return "panic"
    if expected == got:
        return None
    if got[0] == "error" and expected[0] in NORMAL_KINDS:
        return "unexpected500"
    # Status 0: an exception escaped the app.
    if got[0] == "response" and got[1] in (0, 500) and expected[1] not in (0, 500):
        return "unexpected500"
    return "mismatch"


# --- apps ------------------------------------------------------------------------


class App:
    """A Flask or flaskrs app serving a table: every rule's view answers
    ``request.endpoint``, the view arguments, the rule and ``url_for`` of
    the endpoint with those arguments."""

    def __init__(self, module: t.Any, table: Table, skip: Iterable[int] = ()) -> None:
        self.module = module
        skipped = set(skip)
        subdomains = table.uses_subdomains()
        self.app = module.Flask(
            "routing_oracle_app",
            static_folder=None,
            host_matching=table.host_matching,
            subdomain_matching=subdomains,
        )
        self.app.logger.disabled = True
        if subdomains:
            self.app.config["SERVER_NAME"] = "example.com"
        url_map = self.app.url_map
        url_map.default_subdomain = table.default_subdomain
        url_map.strict_slashes = table.strict_slashes
        url_map.merge_slashes = table.merge_slashes
        url_map.redirect_defaults = table.redirect_defaults
        url_map.sort_parameters = table.sort_parameters
        url_map.sort_key = table.sort_key
        url_map.converters.update(table.map_kwargs()["converters"])
        self.adds: list[str] = []
        self.rules: list[Rule | None] = []
        self.error: str | None = None
        # A weak connection: the signal must not keep every app alive.
        module.got_request_exception.connect(self._record, self.app)
        view = self._view
        for i, spec in enumerate(table.rules):
            if i in skipped:
                self.adds.append("skipped")
                self.rules.append(None)
                continue
            options = spec.kwargs()
            del options["endpoint"]
            try:
                self.app.add_url_rule(spec.rule, spec.endpoint, view, **options)
            except Exception as e:
                self.adds.append(_exception_name(e))
                self.rules.append(None)
            except BaseException as e:
                if not is_panic(e):
                    raise
                self.adds.append(f"panic: {e}")
                self.rules.append(None)
            else:
                self.adds.append("ok")
                # Map.add appends the rule to its endpoint's list.
                self.rules.append(url_map._rules_by_endpoint[spec.endpoint][-1])

    def built(self) -> Built:
        """The app's map and rules, for ``apply_change``."""
        return Built(self.app.url_map, self.rules, self.adds)

    def _record(self, sender: t.Any, exception: BaseException, **kw: t.Any) -> None:
        self.error = _exception_name(exception)

    def _view(self, **kwargs: t.Any) -> str:
        request = self.module.request
        try:
            url = self.module.url_for(request.endpoint, **request.view_args)
        except Exception as e:
            url = f"<{_exception_name(e)}>"
        values = canonical_values(request.view_args)
        return f"{request.endpoint!r} {values} {request.url_rule.rule!r} {url}"

    def __call__(self, call: Request) -> Outcome:
        environ = wsgi_environ(call)
        started: list[t.Any] = []

        def start_response(
            status: str, headers: t.Any, exc_info: t.Any = None
        ) -> t.Any:
            started[:] = [status, headers]
            return lambda data: None

        self.error = None
        try:
            body_iter = self.app(environ, start_response)
            try:
                body = b"".join(body_iter)
            finally:
                close = getattr(body_iter, "close", None)
                if close is not None:
                    close()
        except BaseException as e:
            if is_panic(e):
                return ("response", 0, None, None, b"", "panic")
            if isinstance(e, Exception):
                return ("response", 0, None, None, b"", _exception_name(e))
            raise
        status = int(started[0].split(" ", 1)[0])
        headers = dict(started[1])
        allow = headers.get("Allow")
        allowed = None if allow is None else frozenset(allow.split(", "))
        return ("response", status, headers.get("Location"), allowed, body, self.error)


def wsgi_environ(call: Request) -> dict[str, t.Any]:
    """A WSGI environ for the request: text as latin-1 code points
    standing for its UTF-8 bytes, as a server passes it."""

    def wsgi(text: str) -> str:
        return text.encode("utf-8").decode("latin-1")

    environ: dict[str, t.Any] = {
        "REQUEST_METHOD": call.method,
        "SCRIPT_NAME": wsgi(call.script_name),
        "PATH_INFO": wsgi(call.path),
        "QUERY_STRING": wsgi(call.query),
        "SERVER_NAME": "example.com",
        "SERVER_PORT": "443" if call.scheme == "https" else "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": wsgi(call.host),
        "wsgi.url_scheme": call.scheme,
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if call.websocket:
        environ["HTTP_UPGRADE"] = "websocket"
        environ["HTTP_CONNECTION"] = "Upgrade"
    return environ


def app_pair(table: Table) -> tuple[App, App]:
    """A Flask app and a flaskrs app of the table, each rebuilt without the
    rules only it accepted (as ``build_pair`` does)."""
    oracle, ours = App(flask, table), App(flaskrs, table)
    pairs = list(enumerate(zip(oracle.adds, ours.adds)))
    only_oracle = [i for i, (a, b) in pairs if a == "ok" != b]
    only_ours = [i for i, (a, b) in pairs if b == "ok" != a]
    if only_oracle:
        oracle = App(flask, table, skip=only_oracle)
    if only_ours:
        ours = App(flaskrs, table, skip=only_ours)
    return oracle, ours


# --- replaying a failure ---------------------------------------------------------


Call = t.Union[Match, Build, Request, None]


def replay(table: Table, changes: list[Change], call: Call) -> tuple[Outcome, Outcome]:
    """What Werkzeug (or Flask) and flaskrs answer to ``call`` on a fresh
    pair of maps (apps) built from ``table``, after one request and the
    ``changes``; for no call, what they answered to each add."""
    with warnings.catch_warnings():
        # Werkzeug warns on every bind to a host outside SERVER_NAME.
        warnings.simplefilter("ignore")
        if isinstance(call, Request):
            wz_app, rs_app = app_pair(table)
            return wz_app(call), rs_app(call)
        pair = build_pair(table)
        if call is None:
            return pair.adds
        if changes:
            warm_up(pair)
            for change in changes:
                apply_change(pair.wz, change)
                apply_change(pair.rs, change)
        return run_call(pair.wz, call), run_call(pair.rs, call)


def warm_up(pair: Pair) -> None:
    """One match on each map, so each has compiled whatever it compiles on
    first use before a live change."""
    run_match(pair.wz, Match("/"))
    run_match(pair.rs, Match("/"))


def fails(table: Table, changes: list[Change], call: Call) -> bool:
    expected, got = replay(table, changes, call)
    return classify(expected, got) is not None


def shrink(
    table: Table, changes: list[Change], call: Call
) -> tuple[Table, list[Change]]:
    """A smaller table (and change list) on which ``call`` still fails:
    rules, converters and changes dropped one at a time while it does."""
    i = len(table.rules) - 1
    while i >= 0:
        rules = table.rules[:i] + table.rules[i + 1 :]
        kept = [_renumber(c, i) for c in changes if c.target != i]
        smaller = replace(table, rules=rules)
        if fails(smaller, kept, call):
            table, changes = smaller, kept
        i -= 1
    for conv in list(table.converters):
        used = any(
            f"{conv.name}:" in r.rule or f"{conv.name}(" in r.rule for r in table.rules
        )
        if not used:
            smaller = replace(
                table, converters=[c for c in table.converters if c != conv]
            )
            if fails(smaller, changes, call):
                table = smaller
    for change in list(changes):
        kept = [c for c in changes if c is not change]
        if fails(table, kept, call):
            changes = kept
    return table, changes


def _renumber(change: Change, removed: int) -> Change:
    if change.target > removed:
        return replace(change, target=change.target - 1)
    return change


def reproducer(table: Table, changes: list[Change], call: Call) -> str:
    lines = [
        "# from the repository root",
        "import sys; sys.path.insert(0, 'tests')",
        "from routing_oracle import *",
        "table = Table(",
        f"    rules={table.rules!r},",
    ]
    defaults = Table(rules=[])
    for name in (
        "converters",
        "strict_slashes",
        "merge_slashes",
        "redirect_defaults",
        "sort_parameters",
        "sort_key",
        "host_matching",
        "default_subdomain",
    ):
        value = getattr(table, name)
        if value != getattr(defaults, name):
            lines.append(f"    {name}={value!r},")
    lines.append(")")
    lines.append(f"changes = {changes!r}")
    lines.append(f"call = {call!r}")
    lines.append("werkzeug, flaskrs = replay(table, changes, call)")
    lines.append("print(werkzeug); print(flaskrs)")
    return "\n".join(lines)


# The apps' 500s are expected: keep their tracebacks out of the output.
logging.getLogger("routing_oracle_app").disabled = True
