"""Werkzeug's ``Map``/``MapAdapter`` API on the Rust router.

``Map`` and ``MapAdapter`` subclass Werkzeug's, so code written against
``app.url_map`` keeps working: rules stay Werkzeug ``Rule`` objects (bound by
``Rule.bind`` as usual), converters stay Python classes, and Werkzeug's own
``NotFound``, ``MethodNotAllowed``, ``RequestRedirect`` and ``BuildError`` are
raised.

The map keeps its rules as Werkzeug does; the first match or build after a
change compiles them (``_compile``) from Werkzeug's own description of each
rule (``Rule._parts``, ``_trace`` and its compiled builder) into an
immutable ``Router`` that ``flaskrs._core`` matches and builds with. The
router reads a rule's attributes when Werkzeug does, so changing a rule
after the first request takes effect as it does on Werkzeug.
"""

from __future__ import annotations

import re
import sys
import threading
import typing as t
import warnings
from functools import lru_cache
from urllib.parse import quote
from urllib.parse import urljoin

from werkzeug.exceptions import BadHost
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.exceptions import NotFound
from werkzeug.routing import AnyConverter as AnyConverter
from werkzeug.routing import BaseConverter as BaseConverter
from werkzeug.routing import BuildError as BuildError
from werkzeug.routing import FloatConverter as FloatConverter
from werkzeug.routing import IntegerConverter as IntegerConverter
from werkzeug.routing import Map as _WerkzeugMap
from werkzeug.routing import MapAdapter as _WerkzeugMapAdapter
from werkzeug.routing import PathConverter as PathConverter
from werkzeug.routing import RequestRedirect as RequestRedirect
from werkzeug.routing import Rule as Rule
from werkzeug.routing import RuleFactory as RuleFactory
from werkzeug.routing import UnicodeConverter as UnicodeConverter
from werkzeug.routing import UUIDConverter as UUIDConverter
from werkzeug.routing import ValidationError as ValidationError
from werkzeug.routing import WebsocketMismatch as WebsocketMismatch
from werkzeug.wsgi import get_host

from ._core import AdapterCore
from ._core import bind_environ
from ._core import BuildMiss
from ._core import Fallback
from ._core import Matched
from ._core import NoMatch
from ._core import Router
from ._core import Routes
from ._core import SlashRedirect
from ._core import Stale
from ._text import wsgi_text as _wsgi_text
from ._werkzeug_compat.routing import builder_arguments

if t.TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment
    from werkzeug.wrappers.request import Request

    _MatchOutcome = t.Union[
        tuple[t.Any, dict[str, t.Any]], Stale, Fallback, NoMatch, SlashRedirect, Matched
    ]

# safe = https://url.spec.whatwg.org/#url-path-segment-string
_PATH_SAFE = "!$&'()*+,/:;=@"


@lru_cache(maxsize=256)
def _server_name(server_name: str) -> str:
    """The server name lower-cased, its host IDNA-encoded, its port kept."""
    # Host headers come from clients: the cache is bounded.
    host, sep, port = server_name.lower().partition(":")
    return f"{host.encode('idna').decode('ascii')}{sep}{port}"


class Map(_WerkzeugMap):
    """Werkzeug's ``Map``, matched and built by the Rust router.

    Rules are bound and kept exactly as Werkzeug keeps them (Werkzeug's own
    matcher included, which answers for paths the Rust router cannot take);
    the first match or build after a change compiles them into a new
    ``Router`` from Werkzeug's own description of each rule.
    """

    def __init__(
        self,
        rules: t.Iterable[RuleFactory] | None = None,
        default_subdomain: str = "",
        strict_slashes: bool = True,
        merge_slashes: bool = True,
        redirect_defaults: bool = True,
        converters: t.Mapping[str, type[BaseConverter]] | None = None,
        sort_parameters: bool = False,
        sort_key: t.Callable[[t.Any], t.Any] | None = None,
        host_matching: bool = False,
    ) -> None:
        #: The rules that match, in the order added, each with the parts it
        #: had then (Werkzeug's matcher keeps those, whatever happens to the
        #: rule later).
        self._matched_rules: list[tuple[Rule, list[t.Any]]] = []
        #: The compiled rules (``_routes.router``, None after a change), shared
        #: with the adapters. A router is replaced, never changed, so a match
        #: in progress keeps the one it started with.
        self._routes = Routes()
        self._changes = 0
        # Reentrant: user code run while compiling may add rules itself.
        self._change_lock = threading.RLock()
        super().__init__(
            rules,
            default_subdomain=default_subdomain,
            strict_slashes=strict_slashes,
            merge_slashes=merge_slashes,
            redirect_defaults=redirect_defaults,
            converters=converters,
            sort_parameters=sort_parameters,
            sort_key=sort_key,
            host_matching=host_matching,
        )

    def add(self, rulefactory: RuleFactory) -> None:
        for rule in rulefactory.get_rules(self):
            # Werkzeug's checks: a rule they refuse leaves the map as it was.
            rule.bind(self)
            with self._change_lock:
                if not rule.build_only:
                    self._matcher.add(rule)
                    self._matched_rules.append((rule, rule._parts))
                self._rules_by_endpoint.setdefault(rule.endpoint, []).append(rule)
                self._remap = True
                self._changes += 1
                self._routes.router = None

    def update(self) -> None:
        routes = self._routes
        if routes.router is not None:
            return
        with self._change_lock:
            while routes.router is None:
                super().update()
                changes = self._changes
                compiled = _compile(self)
                if changes == self._changes:
                    routes.router = compiled

    def bind(
        self,
        server_name: str,
        script_name: str | None = None,
        subdomain: str | None = None,
        url_scheme: str = "http",
        default_method: str = "GET",
        path_info: str | None = None,
        query_args: t.Mapping[str, t.Any] | str | None = None,
    ) -> MapAdapter:
        if self.host_matching:
            if subdomain is not None:
                raise RuntimeError("host matching enabled and a subdomain was provided")
        elif subdomain is None:
            subdomain = self.default_subdomain
        try:
            server_name = _server_name(server_name)
        except UnicodeError as e:
            raise BadHost() from e
        return MapAdapter(
            self,
            server_name,
            "/" if script_name is None else script_name,
            subdomain,
            url_scheme,
            "/" if path_info is None else path_info,
            default_method,
            query_args,
            self._routes,
        )

    def bind_to_environ(
        self,
        environ: WSGIEnvironment | Request,
        server_name: str | None = None,
        subdomain: str | None = None,
    ) -> MapAdapter:
        # Werkzeug's behaviour, once per request: in one native call for a
        # plain environ, else below.
        adapter = bind_environ(
            MapAdapter,
            self,
            self._routes,
            self.host_matching,
            environ,
            server_name,
            subdomain,
            _host_binding,
        )
        if adapter is not None:
            return adapter
        # Any: an environ's values are, and a WSGIEnvironment annotation makes
        # mypy pick getattr's dict overload, refusing the Request default.
        env: t.Any = (
            environ if type(environ) is dict else getattr(environ, "environ", environ)
        )
        upgrade = env.get("HTTP_UPGRADE")
        encoded, subdomain, scheme, mismatch = _host_binding(
            self.host_matching,
            env["wsgi.url_scheme"],
            env.get("HTTP_HOST"),
            env.get("SERVER_NAME"),
            env.get("SERVER_PORT"),
            upgrade,
            None if upgrade is None else env.get("HTTP_CONNECTION"),
            server_name,
            subdomain,
        )
        if mismatch is not None:
            # Werkzeug warns on every bind, so the warning is not cached.
            _warn_from_caller(mismatch)
        # WSGI strings are latin-1 code points; ASCII ones need no decoding.
        script_name = env.get("SCRIPT_NAME")
        if script_name is None:
            script_name = "/"
        elif not script_name.isascii():
            script_name = _wsgi_text(script_name)
        path_info = env.get("PATH_INFO")
        if path_info is None:
            path_info = "/"
        elif not path_info.isascii():
            path_info = _wsgi_text(path_info)
        query = env.get("QUERY_STRING")
        if query is not None and not query.isascii():
            query = _wsgi_text(query)
        return MapAdapter(
            self,
            encoded,
            script_name,
            subdomain,
            scheme,
            path_info,
            env["REQUEST_METHOD"],
            query,
            self._routes,
        )


@lru_cache(maxsize=512)
def _host_binding(
    host_matching: bool,
    scheme: str,
    http_host: str | None,
    wsgi_name: str | None,
    wsgi_port: str | None,
    upgrade: str | None,
    connection: str | None,
    server_name: str | None,
    subdomain: str | None,
) -> tuple[str, str | None, str, str | None]:
    """What ``bind_to_environ`` derives from the request's host headers and
    its arguments: the server name to bind (IDNA-encoded), the subdomain,
    the scheme (``ws``/``wss`` for a WebSocket upgrade), and the warning
    to give when the host is not under ``server_name``. Every request of a
    site asks the same: one cached lookup (bounded, since clients choose
    the Host header). A bad host raises ``BadHost``, which is not cached."""
    env = {"wsgi.url_scheme": scheme}
    for key, value in (
        ("HTTP_HOST", http_host),
        ("SERVER_NAME", wsgi_name),
        ("SERVER_PORT", wsgi_port),
    ):
        if value is not None:
            env[key] = value
    current = get_host(env).lower()
    if upgrade is not None and _is_websocket_upgrade(upgrade, connection or ""):
        scheme = "wss" if scheme == "https" else "ws"

    given = server_name is not None
    if server_name is None:
        server_name = current
    else:
        server_name = server_name.lower()
        # get_host() leaves out the scheme's default port.
        if scheme in {"http", "ws"} and server_name.endswith(":80"):
            server_name = server_name[:-3]
        elif scheme in {"https", "wss"} and server_name.endswith(":443"):
            server_name = server_name[:-4]

    mismatch = None
    if host_matching:
        if subdomain is not None:
            raise RuntimeError("host matching enabled and a subdomain was provided")
    elif subdomain is None:
        subdomain, mismatch = _subdomain(current, server_name)

    try:
        encoded = _server_name(server_name if given else current)
    except UnicodeError as e:
        raise BadHost() from e
    return encoded, subdomain, scheme, mismatch


def _warn_from_caller(message: str) -> None:
    """``warnings.warn(message, stacklevel=2)`` from ``bind_to_environ``,
    except that a caller in a flaskrs module is named as its Flask
    counterpart (``flaskrs.app`` as ``flask.app``): Werkzeug's warning comes
    from Flask's code in a Flask app, and filters written for it, such as
    ``filterwarnings("ignore", ..., module="flask.app")``, keep applying."""
    frame = sys._getframe(2)
    module = frame.f_globals.get("__name__", "<string>")
    if module == "flaskrs" or module.startswith("flaskrs."):
        module = "flask" + module[len("flaskrs") :]
    warnings.warn_explicit(
        message,
        UserWarning,
        frame.f_code.co_filename,
        frame.f_lineno,
        module=module,
        registry=frame.f_globals.setdefault("__warningregistry__", {}),
        module_globals=frame.f_globals,
    )


def _is_websocket_upgrade(upgrade: str, connection: str) -> bool:
    return upgrade.lower() == "websocket" and any(
        v.strip() == "upgrade" for v in connection.lower().split(",")
    )


def _subdomain(wsgi_server_name: str, server_name: str) -> tuple[str, str | None]:
    """The part of the request's host before the configured server name,
    and the warning to give when the host is not under it."""
    current = wsgi_server_name.split(".")
    configured = server_name.split(".")
    if current[-len(configured) :] != configured:
        # An unknown subdomain matches nothing: a 404, not an error.
        return "<invalid>", (
            f"Current server name {wsgi_server_name!r} doesn't match configured"
            f" server name {server_name!r}"
        )
    return ".".join(filter(None, current[: -len(configured)])), None


class MapAdapter(AdapterCore, _WerkzeugMapAdapter):
    """Werkzeug's ``MapAdapter`` with ``match`` and ``build`` in Rust.

    The native base holds the adapter's fields and answers with data: a
    match's ``(rule, values)`` and a built URL come back as they are, and
    anything else as an outcome that this class turns into Werkzeug's
    exceptions, calling the overridable methods Werkzeug calls
    (``make_redirect_url``, ``make_alias_redirect_url``,
    ``get_default_redirect``...). Where only Python can answer (a rule
    class that builds its own way, attributes that are properties, a path
    with lone surrogates...), Werkzeug's own ``match`` or ``build`` does.
    """

    # The native base takes the arguments; object's __init__ accepts and
    # ignores them without a Python frame. (Hidden from the checker, for
    # which it would make the constructor Any.)
    if not t.TYPE_CHECKING:
        __init__ = object.__init__

    def match(
        self,
        path_info: str | None = None,
        method: str | None = None,
        return_rule: bool = False,
        query_args: t.Mapping[str, t.Any] | str | None = None,
        websocket: bool | None = None,
    ) -> tuple[t.Any, t.Mapping[str, t.Any]]:
        found = self._match(path_info, method, return_rule, websocket)
        if found.__class__ is tuple:
            return found
        return self._match_outcome(
            found, path_info, method, return_rule, query_args, websocket
        )

    def _match_outcome(
        self,
        found: _MatchOutcome,
        path_info: str | None,
        method: str | None,
        return_rule: bool,
        query_args: t.Mapping[str, t.Any] | str | None,
        websocket: bool | None,
    ) -> tuple[t.Any, t.Mapping[str, t.Any]]:
        """Werkzeug's answer to a match the native core did not finish."""
        if isinstance(found, Stale):
            self.map.update()
            found = self._match(path_info, method, return_rule, websocket)
        if isinstance(found, tuple):
            return found
        # Still stale: another thread changed the map again in between (or an
        # overridden update() compiles nothing). Werkzeug's own match reads
        # the map as it is now, which is the answer either way.
        if isinstance(found, (Fallback, Stale)):
            return _WerkzeugMapAdapter.match(  # type: ignore[call-overload, no-any-return]
                self, path_info, method, return_rule, query_args, websocket
            )
        if query_args is None:
            query_args = self.query_args or {}
        if isinstance(found, NoMatch):
            if found.have_match_for:
                raise MethodNotAllowed(valid_methods=list(found.have_match_for))
            if found.websocket_mismatch:
                raise WebsocketMismatch()
            raise NotFound()
        if isinstance(found, SlashRedirect):
            raise RequestRedirect(self.make_redirect_url(found.path, query_args))
        rule, values = found.rule, found.values
        if not found.defaults_merged and rule.defaults:
            values.update(rule.defaults)
        if rule.alias and rule.map.redirect_defaults:
            raise RequestRedirect(
                self.make_alias_redirect_url(
                    found.domain_path, rule.endpoint, values, found.method, query_args
                )
            )
        if self.map.redirect_defaults:
            url = self.get_default_redirect(rule, found.method, values, query_args)
            if url is not None:
                raise RequestRedirect(url)
        if rule.redirect_to is not None:
            raise RequestRedirect(self._redirect_to_url(rule, values))
        return (rule if return_rule else rule.endpoint), values

    def _redirect_to_url(self, rule: Rule, values: dict[str, t.Any]) -> str:
        """Where ``rule.redirect_to`` sends a request that matched it."""
        target = rule.redirect_to
        if isinstance(target, str):
            target = _PLACEHOLDER.sub(
                lambda m: rule._converters[m.group(1)].to_url(values[m.group(1)]),
                target,
            )
        else:
            assert target is not None  # only asked for a rule that redirects
            target = target(self, **values)
        netloc = self.server_name
        if self.subdomain:
            netloc = f"{self.subdomain}.{netloc}"
        base = f"{self.url_scheme or 'http'}://{netloc}{self.script_name}"
        url: str = urljoin(base, target)
        return url

    def build(
        self,
        endpoint: t.Any,
        values: t.Mapping[str, t.Any] | None = None,
        method: str | None = None,
        force_external: bool = False,
        append_unknown: bool = True,
        url_scheme: str | None = None,
    ) -> str:
        url = self._build(
            endpoint, values, method, force_external, append_unknown, url_scheme
        )
        if url.__class__ is str:
            return url
        return self._built(
            url, endpoint, values, method, force_external, append_unknown, url_scheme
        )

    def _built(
        self,
        url: t.Any,
        endpoint: t.Any,
        values: t.Mapping[str, t.Any] | None,
        method: str | None,
        force_external: bool,
        append_unknown: bool,
        url_scheme: str | None,
    ) -> str:
        """What ``build`` answers for what ``_build`` answered other than a
        URL. ``Flask.url_for`` calls ``_build`` and this itself, a frame
        shorter, when ``build`` is this class's."""
        if isinstance(url, Stale):
            self.map.update()
            url = self._build(
                endpoint, values, method, force_external, append_unknown, url_scheme
            )
        if isinstance(url, str):
            return url
        if isinstance(url, BuildMiss):
            raise BuildError(endpoint, url.values, method, self)
        return _WerkzeugMapAdapter.build(
            self, endpoint, values, method, force_external, append_unknown, url_scheme
        )


# `redirect_to` placeholders, as Werkzeug substitutes them.
_PLACEHOLDER = re.compile(r"<([^>]+)>")


# The rule attributes Werkzeug reads while matching and building.
_LIVE_ATTRIBUTES = (
    "methods",
    "websocket",
    "strict_slashes",
    "merge_slashes",
    "defaults",
    "alias",
    "redirect_to",
    "endpoint",
    "arguments",
    "_converters",
    "map",
)


# The map attributes Werkzeug reads while matching and building.
_LIVE_MAP_ATTRIBUTES = (
    "host_matching",
    "redirect_defaults",
    "_matcher",
    "sort_parameters",
)


_plain_classes: dict[tuple[type, tuple[str, ...]], bool] = {}


def _reads_plainly(cls: type, names: tuple[str, ...] = _LIVE_ATTRIBUTES) -> bool:
    """Whether an object of this class has the attributes ``names`` in its
    instance dict whenever it has them at all: no data descriptor of those
    names and no ``__getattribute__`` of its own."""
    key = (cls, names)
    found = _plain_classes.get(key)
    if found is None:
        getter: object = cls.__getattribute__  # compared by identity only
        found = _plain_classes[key] = (
            getter is object.__getattribute__
            and getattr(cls, "__getattr__", None) is None
        )
        for name in names if found else ():
            for klass in cls.__mro__:
                if name in klass.__dict__:
                    kind = type(klass.__dict__[name])
                    if hasattr(kind, "__set__") or hasattr(kind, "__delete__"):
                        found = _plain_classes[key] = False
                    break
    return found


def _build_plan(rule: Rule) -> tuple[t.Any, ...] | None:
    """How Werkzeug's builder for ``rule`` goes, for the native router to
    follow: the domain and path as ``(is_variable, text)`` steps with static
    text already quoted, the names the builder takes as arguments (those it
    needs first) and how many it needs, and whether the class encodes query
    strings its own way. None when the rule must be asked itself (a class
    that builds its own way, or a variable whose default Werkzeug wrote into
    the builder)."""
    cls = type(rule)
    if (
        cls.build is not Rule.build
        or cls.suitable_for is not Rule.suitable_for
        or cls._compile_builder is not Rule._compile_builder
    ):
        return None
    arguments = builder_arguments(rule)
    if arguments is None:
        return None
    required, optional = arguments
    domain: list[tuple[bool, str]] = []
    path: list[tuple[bool, str]] = []
    steps = domain
    for is_dynamic, data in rule._trace:
        if data == "|" and steps is domain:
            steps = path
            continue
        if not is_dynamic:
            steps.append((False, quote(data, safe=_PATH_SAFE)))
            continue
        if data not in required:
            # Its default was written into the builder.
            return None
        steps.append((True, data))
    python_query = cls._encode_query_vars is not Rule._encode_query_vars
    return domain, path, [*required, *optional], len(required), python_query


def _weight_ranks(weights: list[t.Any]) -> list[int]:
    """Each weight's rank in Werkzeug's order of dynamic transitions; equal
    weights share a rank."""
    order = sorted(range(len(weights)), key=weights.__getitem__)
    ranks = [0] * len(weights)
    rank = 0
    for n, i in enumerate(order):
        if n and weights[i] != weights[order[n - 1]]:
            rank += 1
        ranks[i] = rank
    return ranks


def _compile(url_map: Map) -> Router:
    """The native router of ``url_map``'s rules as they are now."""
    views: list[tuple[t.Any, ...]] = []
    index: dict[int, int] = {}
    endpoints: dict[t.Any, list[int]] = {}

    def view(rule: Rule, first: bool) -> int:
        found = index.get(id(rule))
        if found is None:
            found = index[id(rule)] = len(views)
            views.append((rule, _reads_plainly(type(rule)), first, _build_plan(rule)))
        return found

    for endpoint, rules in url_map._rules_by_endpoint.items():
        endpoints[endpoint] = [view(r, i == 0) for i, r in enumerate(rules)]

    dynamic = [
        part.weight
        for _, parts in url_map._matched_rules
        for part in parts
        if not part.static
    ]
    ranks = iter(_weight_ranks(dynamic))
    matched = [
        (
            view(rule, False),
            [
                (
                    part.content,
                    part.final,
                    part.static,
                    part.suffixed,
                    0 if part.static else next(ranks),
                )
                for part in parts
            ],
        )
        for rule, parts in url_map._matched_rules
    ]
    plain = _reads_plainly(type(url_map), _LIVE_MAP_ATTRIBUTES)
    return Router(views, matched, endpoints, url_map.__dict__ if plain else None)
