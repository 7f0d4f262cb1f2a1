"""Werkzeug's ``Map``/``MapAdapter`` API on the Rust router.

``Map`` and ``MapAdapter`` subclass Werkzeug's, so code written against
``app.url_map`` keeps working: rules stay Werkzeug ``Rule`` objects (bound by
``Rule.bind`` as usual), converters stay Python classes, and Werkzeug's own
``NotFound``, ``MethodNotAllowed``, ``RequestRedirect`` and ``BuildError`` are
raised. Matching and building run in ``flaskrs._core``; this module only
handles what is rare: redirects, errors and bookkeeping.
"""

from __future__ import annotations

import sys
import typing as t
import warnings
from functools import lru_cache
from urllib.parse import quote
from urllib.parse import urljoin

from werkzeug.datastructures import MultiDict
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
from ._core import Router

if t.TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment
    from werkzeug.wrappers.request import Request

# safe = https://url.spec.whatwg.org/#url-path-segment-string
_PATH_SAFE = "!$&'()*+,/:;=@"


@lru_cache(maxsize=256)
def _server_name(server_name: str) -> str:
    """The server name lower-cased, its host IDNA-encoded, its port kept."""
    # Host headers come from clients: the cache is bounded.
    host, sep, port = server_name.lower().partition(":")
    return f"{host.encode('idna').decode('ascii')}{sep}{port}"


def _wsgi_text(value: str) -> str:
    """A WSGI environ string (latin-1 code points standing for bytes) as
    the UTF-8 text it carries, broken bytes replaced."""
    if value.isascii():
        return value
    return value.encode("latin1").decode("utf-8", "replace")


class Map(_WerkzeugMap):
    """Werkzeug's ``Map``, matched and built by the Rust router."""

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
        self._router = Router(merge_slashes, host_matching, sort_parameters)
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

    @property  # type: ignore[override]
    def merge_slashes(self) -> bool:
        return self._router.merge_slashes  # type: ignore[no-any-return]

    @merge_slashes.setter
    def merge_slashes(self, value: bool) -> None:
        self._router.merge_slashes = value

    @property
    def host_matching(self) -> bool:
        return self._router.host_matching  # type: ignore[no-any-return]

    @host_matching.setter
    def host_matching(self, value: bool) -> None:
        self._router.host_matching = value

    @property
    def sort_parameters(self) -> bool:
        return self._router.sort_parameters  # type: ignore[no-any-return]

    @sort_parameters.setter
    def sort_parameters(self, value: bool) -> None:
        self._router.sort_parameters = value

    def add(self, rulefactory: RuleFactory) -> None:
        for rule in rulefactory.get_rules(self):
            rule.bind(self)
            self._router.add(rule)
            self._rules_by_endpoint.setdefault(rule.endpoint, []).append(rule)
        self._remap = True

    def update(self) -> None:
        if not self._remap and not self._router.dirty:
            return
        with self._remap_lock:
            special = []
            for rules in self._rules_by_endpoint.values():
                rules.sort(key=lambda x: x.build_compare_key())
                for i, rule in enumerate(rules):
                    if (
                        rule.redirect_to is not None
                        or rule.alias
                        or any(r.provides_defaults_for(rule) for r in rules[:i])
                    ):
                        special.append(rule)
            self._router.finalize(self._rules_by_endpoint, special)
            self._remap = False

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
        )

    def bind_to_environ(
        self,
        environ: WSGIEnvironment | Request,
        server_name: str | None = None,
        subdomain: str | None = None,
    ) -> MapAdapter:
        # Werkzeug's behaviour, once per request: keep it lean.
        # mypy picks getattr's dict overload from the annotation: a false
        # positive for a dict | Request default.
        env: WSGIEnvironment = (
            environ if type(environ) is dict else getattr(environ, "environ", environ)  # type: ignore[arg-type]
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


class MapAdapter(AdapterCore, _WerkzeugMapAdapter):  # type: ignore[misc]
    """Werkzeug's ``MapAdapter`` with ``match`` and ``build`` in Rust.

    The native base takes the constructor's arguments and holds the
    adapter's fields; the methods below are the Rust side's way back into
    Python for redirects and errors.
    """

    # The native base takes the arguments; object's __init__ accepts and
    # ignores them without a Python frame.
    __init__ = object.__init__  # type: ignore[assignment]

    def _no_match(
        self, have_match_for: set[str], websocket_mismatch: bool
    ) -> t.NoReturn:
        if have_match_for:
            raise MethodNotAllowed(valid_methods=list(have_match_for))
        if websocket_mismatch:
            raise WebsocketMismatch()
        raise NotFound()

    def _redirect_path(self, path: str, query_args: t.Any) -> t.NoReturn:
        url = self.make_redirect_url(quote(path, safe=_PATH_SAFE), query_args or {})
        raise RequestRedirect(url)

    def _finish_match(
        self,
        rule: Rule,
        values: dict[str, t.Any],
        method: str,
        query_args: t.Any,
        return_rule: bool,
    ) -> tuple[t.Any, t.Mapping[str, t.Any]]:
        query_args = query_args or {}
        if self.map.redirect_defaults:
            if rule.alias:
                url = self.build(
                    rule.endpoint,
                    values,
                    method,
                    append_unknown=False,
                    force_external=True,
                )
                if query_args:
                    url += f"?{self.encode_query_args(query_args)}"
                raise RequestRedirect(url)
            target = self.get_default_redirect(rule, method, values, query_args)
            if target is not None:
                raise RequestRedirect(target)

        if rule.redirect_to is not None:
            if isinstance(rule.redirect_to, str):
                to = _placeholders(rule, values)
            else:
                to = rule.redirect_to(self, **values)
            netloc = (
                f"{self.subdomain}.{self.server_name}"
                if self.subdomain
                else self.server_name
            )
            base = f"{self.url_scheme or 'http'}://{netloc}{self.script_name}"
            raise RequestRedirect(urljoin(base, to))

        return (rule if return_rule else rule.endpoint), values

    def _build_error(
        self, endpoint: t.Any, values: dict[str, t.Any], method: str | None
    ) -> t.NoReturn:
        raise BuildError(endpoint, values, method, self)

    def _flatten_multidict(self, values: MultiDict[str, t.Any]) -> dict[str, t.Any]:
        # One value stays a value, several become a list (a query repeated).
        return {
            k: (v[0] if len(v) == 1 else v)
            for k, v in dict.items(values)
            if len(v) != 0
        }


def _placeholders(rule: Rule, values: t.Mapping[str, t.Any]) -> str:
    """A ``redirect_to`` string with each ``<name>`` filled in from the
    matched values through the rule's converter."""
    template = t.cast(str, rule.redirect_to)
    out: list[str] = []
    pos = 0
    while True:
        start = template.find("<", pos)
        end = template.find(">", start + 2) if start != -1 else -1
        if start == -1 or end == -1:
            out.append(template[pos:])
            return "".join(out)
        name = template[start + 1 : end]
        out.append(template[pos:start])
        out.append(rule._converters[name].to_url(values[name]))
        pos = end + 1
