"""The native core of flaskrs (Rust, built with maturin)."""

from __future__ import annotations

import typing as t

from typing_extensions import disjoint_base

__all__ = [
    "AdapterCore",
    "Router",
    "Routes",
    "SessionSigner",
    "SignatureError",
    "__version__",
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

    While matching and building, the router calls back into Python only for
    what Werkzeug itself reads or calls at that moment: the rules'
    attributes, converters' ``to_python``/``to_url``, Python's ``re`` for the
    parts only it can match exactly, and the adapter's
    ``make_redirect_url``, ``make_alias_redirect_url`` and
    ``get_default_redirect`` (overridable, as in Werkzeug).
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
    """The fields of a ``MapAdapter`` and its ``match`` and ``build``."""

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
    def match(
        self,
        path_info: str | None = None,
        method: str | None = None,
        return_rule: bool = False,
        query_args: t.Any = None,
        websocket: bool | None = None,
    ) -> tuple[t.Any, dict[str, t.Any]]: ...
    def build(
        self,
        endpoint: t.Any,
        values: t.Mapping[str, t.Any] | None = None,
        method: str | None = None,
        force_external: bool = False,
        append_unknown: bool = True,
        url_scheme: str | None = None,
    ) -> str: ...

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
