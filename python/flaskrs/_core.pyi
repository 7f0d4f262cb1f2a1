"""The native core of flaskrs (Rust, built with maturin)."""

from __future__ import annotations

import typing as t

from typing_extensions import disjoint_base

__all__ = [
    "AdapterCore",
    "BuildMiss",
    "EncodedBody",
    "Fallback",
    "Matched",
    "NoMatch",
    "Router",
    "Routes",
    "SessionSigner",
    "SignatureError",
    "SlashRedirect",
    "Stale",
    "__version__",
    "bind_environ",
    "json_body",
    "pyregex_probe",
    "pyregex_translate",
    "session_inflations",
    "tagged_dumps",
    "template_call",
    "template_getattr",
    "template_output",
    "untag",
]
__version__: str

@t.final
class Router:
    """One compiled, immutable form of a ``flaskrs.routing.Map``'s rules.

    ``views`` has ``(rule, plain, first_of_endpoint, plan)`` for every rule
    (``plain``: its attributes can be read from its ``__dict__``; ``plan``:
    how its builder goes, or None to ask the rule); ``matched`` has ``(view
    index, parts)`` for the rules that match, in the order added, each part
    ``(content, final, static, suffixed, weight rank)``; ``endpoints`` maps
    each endpoint to its view indices in build order; ``map_attrs`` is the
    map's ``__dict__`` when its attributes can be read there.

    While matching and building, the only Python code the router runs is
    the converter hooks (see ``AdapterCore``).
    """

    def __new__(
        cls,
        views: list[tuple[t.Any, bool, bool, tuple[t.Any, ...] | None]],
        matched: list[tuple[int, list[tuple[str, bool, bool, bool, int]]]],
        endpoints: dict[t.Any, list[int]],
        map_attrs: dict[str, t.Any] | None,
    ) -> Router: ...
    @property
    def python_transitions(self) -> int:
        """How many transitions only Python's ``re`` matches."""

@t.final
class Routes:
    """Where a map keeps its current ``Router``, shared with its adapters."""

    router: Router | None
    def __new__(cls) -> Routes: ...

@disjoint_base
class AdapterCore:
    """The fields of a ``MapAdapter`` and its ``match`` and ``build`` as
    data: ``_match`` answers ``(rule or endpoint, values)`` and ``_build``
    the URL, or one of the outcomes below, which ``flaskrs.routing.MapAdapter``
    turns into Werkzeug's exceptions and calls.

    The converter hooks, the only Python code run during ``_match`` and
    ``_build``, each with no native borrow held (a hook may match, build or
    add rules): ``to_python`` and ``to_url`` of converters other than
    Werkzeug's own (and ``format(value, "")`` of a ``to_url`` result that
    is not a str), and Python's ``re`` (``re.compile``, ``Pattern.match``,
    ``Match.groupdict``/``groups``) for a converter regex the Rust ``regex``
    crate does not match exactly. The rules' and the map's attributes are
    read from their instance dicts; what only Python can read is answered
    ``Fallback`` before any hook runs (or ``Matched`` after a match's
    converters ran).
    """

    map: t.Any
    server_name: str
    script_name: str
    subdomain: str | None
    url_scheme: str
    path_info: str
    default_method: str
    query_args: t.Any
    websocket: bool
    def __new__(
        cls,
        map: t.Any,
        server_name: str,
        script_name: str,
        subdomain: str | None,
        url_scheme: str,
        path_info: str,
        default_method: str,
        query_args: t.Any = None,
        routes: Routes | None = None,
    ) -> AdapterCore: ...
    def _match(
        self,
        path_info: str | None = None,
        method: str | None = None,
        return_rule: bool = False,
        websocket: bool | None = None,
    ) -> (
        tuple[t.Any, dict[str, t.Any]]
        | Stale
        | Fallback
        | NoMatch
        | SlashRedirect
        | Matched
    ): ...
    def _build(
        self,
        endpoint: t.Any,
        values: t.Mapping[str, t.Any] | None = None,
        method: str | None = None,
        force_external: bool = False,
        append_unknown: bool = True,
        url_scheme: str | None = None,
    ) -> str | Stale | Fallback | BuildMiss: ...

_A = t.TypeVar("_A", bound=AdapterCore)

def bind_environ(
    cls: type[_A],
    map: t.Any,
    routes: Routes,
    host_matching: bool,
    environ: t.Any,
    server_name: str | None,
    subdomain: str | None,
    host_binding: t.Callable[..., tuple[str, str | None, str, str | None]],
) -> _A | None:
    """``cls(map, ...)`` as ``Map.bind_to_environ`` makes it for a plain WSGI
    environ, or None when the Python path must answer (an environ that is not
    a dict, a value that is not an ASCII str, a host outside the configured
    server name)."""

# What `_match` and `_build` answer when it is not the plain answer.

@t.final
class Stale:
    """The map changed since its router was compiled: ``map.update()``, then
    ask again."""

@t.final
class Fallback:
    """Werkzeug's own ``match``/``build`` answers (only Python can read the
    input or a rule); given before any converter hook ran."""

@t.final
class NoMatch:
    """No rule took the path: 405 when ``have_match_for`` is given, else
    400 for a websocket mismatch, else 404."""

    @property
    def have_match_for(self) -> set[str] | None: ...
    @property
    def websocket_mismatch(self) -> bool: ...

@t.final
class SlashRedirect:
    """Redirect to ``path`` (percent-encoded): a slash added or merged."""

    @property
    def path(self) -> str: ...

@t.final
class Matched:
    """A rule matched and its converters ran; the rest of Werkzeug's match
    (defaults when not ``defaults_merged``, alias and default redirects,
    ``redirect_to``) is Python's."""

    @property
    def rule(self) -> t.Any: ...
    @property
    def values(self) -> dict[str, t.Any]: ...
    @property
    def defaults_merged(self) -> bool: ...
    @property
    def domain_path(self) -> str: ...
    @property
    def method(self) -> str: ...

@t.final
class BuildMiss:
    """No rule of the endpoint builds with the values; ``values`` are the
    ones ``BuildError`` reports."""

    @property
    def values(self) -> dict[str, t.Any]: ...

# Session cookie signing (itsdangerous's format, as Flask configures it).

class SignatureError(ValueError):
    """A session cookie was refused; ``kind`` says why."""

    kind: t.Literal["signature", "timestamp", "expired", "payload"]
    timestamp: int | None

@t.final
class SessionSigner:
    """Signs and verifies Flask's session cookie as itsdangerous does."""

    def __new__(
        cls,
        secret_keys: str | bytes | t.Iterable[str | bytes],
        salt: str | bytes,
    ) -> SessionSigner: ...
    def sign(self, payload: bytes, timestamp: int) -> str: ...
    def sign_value(
        self, value: t.Any, sort_keys: bool, timestamp: int
    ) -> str | None: ...
    def unsign(
        self, cookie: str | bytes, max_age: int | None, now: int
    ) -> tuple[bytes, int]: ...
    def unsign_text(
        self, cookie: str | bytes, max_age: int | None, now: int
    ) -> tuple[str, int]: ...
    def unsign_value(
        self, cookie: str | bytes, max_age: int | None, now: int
    ) -> tuple[t.Any, int]: ...
    def signed_payload_contains(
        self, cookie: str | bytes, max_age: int | None, now: int, needle: bytes
    ) -> bool: ...

def session_inflations() -> int:
    """How many session payloads the native zlib has inflated in this process."""

# Tagged JSON (the session payload).

def tagged_dumps(value: t.Any, sort_keys: bool) -> bytes | None:
    """Flask's tagged JSON text of ``value``, or None outside the fast types."""

def json_body(value: t.Any, sort_keys: bool) -> bytes | None:
    """Compact ASCII JSON of ``value`` and a newline, or None outside the
    fast types."""

def untag(value: t.Any) -> t.Any:
    """``value`` (from ``json.loads``) with its tagged objects loaded."""

# A streamed response's body, as handed to the server.

@t.final
class EncodedBody:
    """``ClosingIterator(response.iter_encoded(), response.close)`` in one
    object: the body's items, ``str`` encoded as UTF-8, from the first
    ``next()``; ``close()`` calls ``close``."""

    def __new__(
        cls, body: t.Iterable[t.Any], close: t.Callable[[], t.Any]
    ) -> EncodedBody: ...
    def __iter__(self) -> EncodedBody: ...
    def __next__(self) -> t.Any: ...
    def close(self) -> None: ...

# The runtime of templates compiled by the app's Jinja environment.

def template_output(value: t.Any) -> str:
    """The text ``markupsafe.escape(value)`` stands for, as template output."""

def template_getattr(environment: t.Any, obj: t.Any, name: str) -> t.Any:
    """``environment.getattr(obj, name)`` of the app's environment."""

def template_call(
    context: t.Any, obj: t.Any, /, *args: t.Any, **kwargs: t.Any
) -> t.Any:
    """``context.call(obj, *args, **kwargs)`` of the app's template context."""

# Python `re` patterns in the regex crate's syntax (for the differential tests).

def pyregex_translate(pattern: str) -> tuple[str, bool, bool] | None:
    """``(regex_crate_pattern, unicode_exact, end_sensitive)``, or None when
    the pattern is refused."""

def pyregex_probe(
    converters: list[str], statics: list[str], text: str
) -> tuple[bool, bool, list[str] | None] | None:
    """Matches ``text`` against ``^S0(C0)S1...Sn\\z`` of the translated
    converters and literal statics: None when a converter is refused,
    else ``(unicode_exact, end_sensitive, group_texts_or_None)``."""
