"""Werkzeug's Request and Response with the app's settings: size limits
from the config, the app's JSON provider, the matched route."""

from __future__ import annotations

import io
import typing as t
from functools import lru_cache
from json import loads as _stdlib_loads

from werkzeug.datastructures import EnvironHeaders
from werkzeug.datastructures import Headers
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import BadRequest
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.sansio.http import parse_cookie
from werkzeug.sansio.request import Request as _SansIORequest
from werkzeug.sansio.response import Response as _SansIOResponse
from werkzeug.urls import iri_to_uri
from werkzeug.utils import get_content_type
from werkzeug.wrappers import Request as RequestBase
from werkzeug.wrappers import Response as ResponseBase
from werkzeug.wsgi import ClosingIterator
from werkzeug.wsgi import get_content_length
from werkzeug.wsgi import LimitedStream

from . import json
from ._text import loads_text as _loads_text
from ._text import wsgi_text as _wsgi_text
from .globals import _cv_app
from .globals import current_app as current_app  # flask.wrappers.current_app
from .helpers import _split_blueprint_path
from .json.provider import DefaultJSONProvider as _DefaultProvider

if t.TYPE_CHECKING:  # pragma: no cover
    from _typeshed.wsgi import StartResponse
    from _typeshed.wsgi import WSGIEnvironment
    from werkzeug.routing import Rule


def _names(func: t.Any) -> set[str]:
    return set(func.__code__.co_names)


# The response fast paths below reproduce what these Werkzeug 3.1 methods do
# and fill a Headers object's list directly. They are off (Werkzeug's own
# code runs) if a Werkzeug version stores headers another way or changes
# these methods (by the names they use).
_FAST_RESPONSE = (
    isinstance(getattr(Headers(), "_list", None), list)
    and _names(ResponseBase.__init__)
    == {
        "__init__",
        "_on_close",
        "bytearray",
        "bytes",
        "direct_passthrough",
        "isinstance",
        "response",
        "set_data",
        "str",
        "super",
    }
    and _names(_SansIOResponse.__init__)
    == {
        "Headers",
        "default_mimetype",
        "default_status",
        "get_content_type",
        "headers",
        "isinstance",
        "status",
    }
    and _names(ResponseBase.set_data)
    == {
        "automatically_set_content_length",
        "encode",
        "headers",
        "isinstance",
        "len",
        "response",
        "str",
    }
    and _names(ResponseBase.get_app_iter)
    == {
        "ClosingIterator",
        "close",
        "direct_passthrough",
        "iter_encoded",
        "response",
        "status_code",
    }
    and _names(ResponseBase.get_wsgi_response)
    == {"get_app_iter", "get_wsgi_headers", "status", "to_wsgi_list"}
    and _names(ResponseBase.get_wsgi_headers)
    == {
        "Headers",
        "autocorrect_location_header",
        "automatically_set_content_length",
        "get_current_url",
        "headers",
        "iri_to_uri",
        "is_sequence",
        "iter_encoded",
        "lower",
        "remove",
        "remove_entity_headers",
        "status_code",
        "str",
        "sum",
        "urljoin",
    }
)

# mimetype -> Content-Type header value, and status code -> status line, for
# the constructor's fast path. Few distinct values are used in practice;
# the bound guards against an app that makes up new ones per request.
_CONTENT_TYPES: dict[str | None, str] = {}  # None (no mimetype) just misses
_STATUS_LINES: dict[int, str] = {}
_CACHE_BOUND = 64


def _content_type(mimetype: str | None) -> str | None:
    if mimetype is None:
        return None
    ctype = _CONTENT_TYPES.get(mimetype)
    # Werkzeug refuses header values with line breaks: left to it.
    if ctype is None and len(_CONTENT_TYPES) < _CACHE_BOUND and mimetype.isprintable():
        ctype = _CONTENT_TYPES[mimetype] = get_content_type(mimetype, "utf-8")
    return ctype


def _status_line(code: int) -> str | None:
    line = _STATUS_LINES.get(code)
    if line is None and 100 <= code <= 999 and len(_STATUS_LINES) < _CACHE_BOUND:
        # _clean_status does not read self.
        line = _STATUS_LINES[code] = ResponseBase._clean_status(None, code)[0]  # type: ignore[arg-type]
    return line


# Redirects of an app go to a few URLs over and over.
_iri_to_uri = lru_cache(maxsize=256)(iri_to_uri)

# Response statuses whose body or length headers Werkzeug changes.
_SPECIAL_STATUS = frozenset({204, 304})


def _werkzeug_request_init_is_known() -> bool:
    """Whether Werkzeug's request constructors are the ones this module's
    shorter constructor reproduces (Werkzeug 3.1): same parameters, and the
    same names used (so no attribute was added). Otherwise Werkzeug's own
    constructor runs."""
    wsgi_init = RequestBase.__init__.__code__
    sansio_init = _SansIORequest.__init__.__code__
    return (
        wsgi_init.co_varnames[: wsgi_init.co_argcount]
        == ("self", "environ", "populate_request", "shallow")
        and set(wsgi_init.co_names)
        == {
            "super",
            "__init__",
            "get",
            "_get_server",
            "_wsgi_decoding_dance",
            "encode",
            "EnvironHeaders",
            "environ",
            "shallow",
        }
        and sansio_init.co_varnames[: sansio_init.co_argcount]
        == (
            "self",
            "method",
            "scheme",
            "server",
            "root_path",
            "path",
            "query_string",
            "headers",
            "remote_addr",
        )
        and set(sansio_init.co_names)
        == {
            "upper",
            "method",
            "scheme",
            "server",
            "rstrip",
            "root_path",
            "lstrip",
            "path",
            "query_string",
            "headers",
            "remote_addr",
        }
    )


_FAST_REQUEST_INIT = _werkzeug_request_init_is_known()

# Request.get_json and get_data below take a shorter path for the exact
# Request class while Werkzeug's methods are the 3.1 ones they reproduce
# (same names used); otherwise Werkzeug's own run.
_FAST_BODY = _names(RequestBase.get_json) == {
    "Ellipsis",
    "ValueError",
    "_cached_json",
    "get_data",
    "is_json",
    "json_module",
    "loads",
    "on_json_loading_failed",
} and _names(RequestBase.get_data) == {
    "_cached_data",
    "_load_form_data",
    "decode",
    "getattr",
    "read",
    "stream",
}


# MultiDict keeps each key's values as a list in the dict itself (Werkzeug 3).
_MULTIDICT_OF_LISTS = dict.get(
    t.cast("dict[str, list[str]]", ImmutableMultiDict([("a", "b")])), "a"
) == ["b"]


def _plain_cookie_pairs(header: str | None) -> list[tuple[str, str]] | None:
    """What Werkzeug's ``parse_cookie`` finds in a Cookie header without
    quotes, backslashes or tabs (what browsers send): ``name=value`` pairs
    between semicolons, spaces around them ignored, a bare name taken with
    an empty value, and pieces that are not a pair (an empty name, a space
    inside) skipped. ``None`` for any other header, which Werkzeug then
    parses itself."""
    if not header:
        return []
    if not _parsed_plainly(header):
        return None
    return list(_plain_pieces(header))


def _parsed_plainly(header: str) -> bool:
    return '"' not in header and "\\" not in header and "\t" not in header


def _plain_pieces(header: str) -> t.Iterator[tuple[str, str]]:
    # The pairs of a header that _parsed_plainly accepts, in order.
    for piece in header.split(";"):
        name, eq, value = piece.strip(" ").partition("=")
        if eq:
            name = name.rstrip(" ")
            value = value.lstrip(" ")
        if name and " " not in name and " " not in value:
            yield name, value


def first_cookie(request: Request, name: str) -> str | None:
    """``request.cookies.get(name)``. Before the cookies are parsed, and for
    a header parsed plainly, the pair is looked up in the header: a request
    that only needs the session cookie does not build them all."""
    if request.__class__ is Request and "cookies" not in request.__dict__:
        header = request.environ.get("HTTP_COOKIE")
        if not header:
            return None
        if _parsed_plainly(header):
            for found, value in _plain_pieces(header):
                if found == name:
                    return value
            return None
    cookies = request.cookies
    if type(cookies) is ImmutableMultiDict and _MULTIDICT_OF_LISTS:
        # MultiDict.get answers a missing name by raising and catching a
        # BadRequestKeyError, an HTTP exception; the lists are read directly.
        values = dict.get(cookies, name)
        return values[0] if values else None
    return cookies.get(name)


def _declares_json(environ: WSGIEnvironment) -> bool:
    """Werkzeug's ``is_json``: the mimetype (before any parameters, trimmed
    of spaces and tabs, lower-cased) is ``application/json`` or
    ``application/*+json``; read without parsing the parameters."""
    declared: str = environ.get("CONTENT_TYPE", "")
    mimetype = declared.partition(";")[0].strip(" \t").lower()
    return mimetype == "application/json" or (
        mimetype.startswith("application/") and mimetype.endswith("+json")
    )


def _declared_length(environ: WSGIEnvironment) -> int | None:
    """``get_content_length``, with a plain run of digits (what clients
    send) read without Werkzeug's general parsing."""
    raw = environ.get("CONTENT_LENGTH")
    if (
        type(raw) is str
        and raw.isdigit()
        and raw.isascii()
        and "HTTP_TRANSFER_ENCODING" not in environ
    ):
        return int(raw)
    return get_content_length(environ)


def _server(environ: WSGIEnvironment) -> tuple[str, int | None] | None:
    name = environ.get("SERVER_NAME")
    if name is None:
        return None
    try:
        given: t.Any = environ.get("SERVER_PORT")  # None raises TypeError
        port: int | None = int(given)
    except (TypeError, ValueError):
        # A unix socket has no port.
        port = None
    return name, port


class _EnvironField:
    """A request field that the fast constructor leaves unset: computed
    from the environ on first read and stored on the instance, which then
    shadows this (non-data) descriptor. Werkzeug's own constructor sets the
    field on the instance directly."""

    def __init__(self, compute: t.Callable[[WSGIEnvironment], t.Any]) -> None:
        self.compute = compute

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: t.Any, owner: type | None = None) -> t.Any:
        if obj is None:
            return self
        value = self.compute(obj.environ)
        obj.__dict__[self.name] = value
        return value


_T = t.TypeVar("_T")


class _computed_once(t.Generic[_T]):
    """``cached_property`` without a Python call on every read: Werkzeug's
    is a data descriptor, so each ``request.cookies`` ran its ``__get__``;
    this one stores the value in the instance dict, which then answers
    reads by itself. Setting and deleting work on that dict."""

    def __init__(self, compute: t.Callable[[t.Any], _T]) -> None:
        self.compute = compute
        self.__doc__ = compute.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @t.overload
    def __get__(self, obj: None, owner: type | None = None) -> _computed_once[_T]: ...

    @t.overload
    def __get__(self, obj: object, owner: type | None = None) -> _T: ...

    def __get__(self, obj: object | None, owner: type | None = None) -> t.Any:
        if obj is None:
            return self
        value = obj.__dict__[self.name] = self.compute(obj)
        return value


class _AppLimit:
    """A size limit of the request, from the first that has one: a value
    assigned on this request, the app's config key, and (outside an app
    context) Werkzeug's class default. A value assigned is kept under the
    name with a leading underscore, whose class default is ``None``."""

    def __init__(self, config_key: str) -> None:
        self.config_key = config_key

    def __set_name__(self, owner: type, name: str) -> None:
        self.owner = owner
        self.name = name
        self.own = "_" + name

    def __get__(self, obj: t.Any, owner: type | None = None) -> t.Any:
        if obj is None:
            return self
        # The class says None unless a subclass sets its own limit there.
        assigned = getattr(obj, self.own)
        if assigned is not None:
            return assigned
        ctx = _cv_app.get(None)
        if ctx is not None:
            return ctx.app.config[self.config_key]
        return getattr(super(self.owner, obj), self.name)

    def __set__(self, obj: t.Any, value: int | None) -> None:
        setattr(obj, self.own, value)


class Request(RequestBase):
    """The request object: Werkzeug's, plus what routing found and the
    limits set in the app's config."""

    json_module: t.Any = json

    #: The rule that matched, or ``None`` when matching failed.
    url_rule: Rule | None = None

    #: The matched URL values, or ``None`` when matching failed.
    view_args: dict[str, t.Any] | None = None

    #: The exception matching raised (a 404, 405, redirect...), raised
    #: again when the request is dispatched.
    routing_exception: HTTPException | None = None

    def __init__(
        self,
        environ: WSGIEnvironment,
        populate_request: bool = True,
        shallow: bool = False,
    ) -> None:
        if not _FAST_REQUEST_INIT:
            super().__init__(environ, populate_request, shallow)
            return
        # Werkzeug's two constructors in one frame. The fields most requests
        # never read are computed from the environ when first read (the
        # _EnvironField attributes below), as Werkzeug computes them.
        self.method = environ.get("REQUEST_METHOD", "GET").upper()
        self.scheme = environ.get("wsgi.url_scheme", "http")
        self.environ = environ
        self.shallow = shallow
        if populate_request and not shallow:
            environ["werkzeug.request"] = self

    server = _EnvironField(_server)
    root_path = _EnvironField(
        lambda env: _wsgi_text(env.get("SCRIPT_NAME") or "").rstrip("/")
    )
    path = _EnvironField(
        lambda env: "/" + _wsgi_text(env.get("PATH_INFO") or "").lstrip("/")
    )
    query_string = _EnvironField(
        lambda env: env.get("QUERY_STRING", "").encode("latin1")
    )
    headers = _EnvironField(EnvironHeaders)
    remote_addr = _EnvironField(lambda env: env.get("REMOTE_ADDR"))

    # What was assigned to the limits below, on the request or a subclass.
    _max_content_length: int | None = None
    _max_form_memory_size: int | None = None
    _max_form_parts: int | None = None

    #: The largest body accepted.
    max_content_length = _AppLimit("MAX_CONTENT_LENGTH")
    #: The largest non-file form field.
    max_form_memory_size = _AppLimit("MAX_FORM_MEMORY_SIZE")
    #: The most multipart parts parsed.
    max_form_parts = _AppLimit("MAX_FORM_PARTS")

    @property
    def is_json(self) -> bool:
        """Whether the body is declared JSON: ``application/json`` or
        ``application/*+json``."""
        if self.__class__ is not Request:
            return super().is_json
        return _declares_json(self.environ)

    @_computed_once
    def stream(self) -> t.IO[bytes]:
        """The body as a stream that stops at its ``Content-Length`` (see
        Werkzeug's ``Request.stream``).

        A small body with a declared length is read at once into memory,
        which costs less than Werkzeug's guarded stream and reads the same
        bytes; anything else takes Werkzeug's stream.
        """
        if self.__class__ is Request:
            read = self._small_body()
            if read is not None:
                data, length = read
                if len(data) == length:
                    return io.BytesIO(data)
                # The client sent less than it declared: reading raises
                # ClientDisconnected, as Werkzeug's stream does.
                return t.cast(t.IO[bytes], LimitedStream(io.BytesIO(data), length))
        return super().stream

    def _small_body(self) -> tuple[bytes, int] | None:
        """The body read at once with its declared length, when one is
        declared and small enough to buffer; ``None`` (and nothing read)
        otherwise."""
        env = self.environ
        if self.shallow or "wsgi.input_terminated" in env:
            return None
        length = _declared_length(env)
        if length is None or length > _BUFFERED_BODY:
            return None
        limit = self.max_content_length
        if limit is not None and length > limit:
            raise RequestEntityTooLarge()
        stream = env["wsgi.input"]
        data = stream.read(length)
        if 0 < len(data) < length:
            data = _read_up_to(stream, length, data)
        return data, length

    # Werkzeug's overloads (on a Literal as_text) are for its callers; one
    # body serves both here, and passes a plain bool on.
    def get_data(  # type: ignore[override]
        self, cache: bool = True, as_text: bool = False, parse_form_data: bool = False
    ) -> bytes | str:
        """The whole body as bytes (or text with ``as_text``), kept for the
        next call unless ``cache`` is false; see Werkzeug's
        ``Request.get_data``."""
        if (
            self.__class__ is not Request
            or not _FAST_BODY
            or as_text
            or parse_form_data
        ):
            return super().get_data(cache, as_text, parse_form_data)  # type: ignore[call-overload, no-any-return]
        data: bytes | None = self.__dict__.get("_cached_data")
        if data is None:
            data = self.stream.read()
            if cache:
                self._cached_data = data
        return data

    def get_json(
        self, force: bool = False, silent: bool = False, cache: bool = True
    ) -> t.Any | None:
        """The body decoded as JSON by the app's provider; see Werkzeug's
        ``Request.get_json`` for ``force``, ``silent`` and ``cache``."""
        if self.__class__ is not Request or not _FAST_BODY:
            return super().get_json(force, silent, cache)
        if cache:
            kept = self._cached_json[silent]
            if kept is not Ellipsis:
                return kept
        if not force and not _declares_json(self.environ):
            return None if silent else self.on_json_loading_failed(None)
        fields = self.__dict__
        data: bytes | None = fields.get("_cached_data")
        if data is None:
            read = None if "stream" in fields else self._small_body()
            if read is not None and len(read[0]) == read[1]:
                # What get_data() does, without the stream in between: the
                # stream is left at its end, as reading it would leave it.
                data = read[0]
                fields["stream"] = io.BytesIO()
            else:
                if read is not None:
                    fields["stream"] = LimitedStream(io.BytesIO(read[0]), read[1])
                data = self.stream.read()
            if cache:
                self._cached_data = data
        provider = self.json_module
        # The default provider's loads is json.loads itself.
        loads = (
            _loads_body
            if type(provider) is _DefaultProvider
            or getattr(type(provider), "loads", None) is _DefaultProvider.loads
            else provider.loads
        )
        try:
            value = loads(data)
        except ValueError as e:
            if not silent:
                value = self.on_json_loading_failed(e)
                if cache:
                    self._cached_json = (value, self._cached_json[1])
                return value
            if cache:
                self._cached_json = (self._cached_json[0], None)
            return None
        if cache:
            self._cached_json = (value, value)
        return value

    @_computed_once
    def cookies(self) -> ImmutableMultiDict[str, str]:
        """The request's cookies, parsed as Werkzeug parses them."""
        if self.__class__ is not Request:
            return super().cookies
        # Werkzeug joins the environ's headers named Cookie: a WSGI environ
        # has one at most.
        header = self.environ.get("HTTP_COOKIE")
        pairs = _plain_cookie_pairs(header)
        cls = self.dict_storage_class
        # Werkzeug types parse_cookie's result as a MultiDict, whatever cls is.
        if pairs is None:
            return parse_cookie(header, cls=cls)  # type: ignore[return-value]
        if cls is ImmutableMultiDict and _MULTIDICT_OF_LISTS:
            # What MultiDict's constructor builds from pairs, without its
            # isinstance checks against abstract classes.
            grouped: dict[str, list[str]] = {}
            for name, value in pairs:
                grouped.setdefault(name, []).append(value)
            found: ImmutableMultiDict[str, str] = ImmutableMultiDict()
            dict.update(found, grouped)
            return found
        return cls(pairs)  # type: ignore[return-value]

    @property
    def endpoint(self) -> str | None:
        """The endpoint of the matched rule, or ``None``."""
        rule = self.url_rule
        return None if rule is None else rule.endpoint

    @property
    def blueprint(self) -> str | None:
        """The dotted name of the blueprint the endpoint belongs to."""
        name = self.endpoint
        if name is None:
            return None
        owner, dot, _ = name.rpartition(".")
        return owner if dot else None

    @property
    def blueprints(self) -> list[str]:
        """The current blueprint and its parents, innermost first."""
        if self.__class__ is Request:
            # blueprint and endpoint are this class's own: read through at
            # once (the app asks for this in every request with hooks).
            rule = self.url_rule
            if rule is None:
                return []
            owner, dot, _ = rule.endpoint.rpartition(".")
            return _split_blueprint_path(owner) if dot else []
        owner = self.blueprint
        return [] if owner is None else _split_blueprint_path(owner)

    def _load_form_data(self) -> None:
        super()._load_form_data()
        if _app_in_debug():
            # Reading a file field of a form sent without multipart
            # encoding then explains the mistake instead of a bare KeyError.
            from .debughelpers import _watch_file_lookups

            _watch_file_lookups(self)

    def on_json_loading_failed(self, e: ValueError | None) -> t.Any:
        try:
            return super().on_json_loading_failed(e)
        except BadRequest as detailed:
            # The parser's message may quote the body: shown in debug mode
            # only, a plain 400 otherwise.
            if _app_in_debug():
                raise
            raise BadRequest() from detailed


# Bodies up to this size are read into memory when the stream is first used.
_BUFFERED_BODY = 64 * 1024


def _read_up_to(stream: t.IO[bytes], length: int, first: bytes) -> bytes:
    """``length`` bytes from ``stream`` after a short first read ``first``,
    or fewer if it ends first (a WSGI input may return short reads)."""
    parts = [first]
    missing = length - len(first)
    while missing:
        chunk = stream.read(missing)
        if not chunk:
            break
        parts.append(chunk)
        missing -= len(chunk)
    return b"".join(parts)


def _loads_body(data: bytes) -> t.Any:
    """``json.loads(data)`` for a body that starts with a JSON value in
    UTF-8 (what clients send), without its encoding detection; anything
    else goes to ``json.loads`` itself so the result and the exception are
    its own."""
    if data and data[0] < 0x80 and (len(data) == 1 or data[1]):
        # No BOM and no NUL in the first two bytes: json reads it as UTF-8.
        try:
            text = data.decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            pass
        else:
            return _loads_text(text)
    return _stdlib_loads(data)


def _app_in_debug() -> bool:
    ctx = _cv_app.get(None)
    return ctx is not None and bool(ctx.app.debug)


class Response(ResponseBase):
    """The response object: Werkzeug's with ``text/html`` by default and
    the cookie size limit from the app's config.

    A text or bytes body with no other argument (what most views return)
    and the WSGI call of a plain buffered response take a shorter path
    than Werkzeug's, with the same result; anything else, and any
    subclass, takes Werkzeug's own.
    """

    default_mimetype: str | None = "text/html"

    json_module = json

    autocorrect_location_header = False

    def __init__(
        self,
        response: t.Iterable[bytes] | bytes | t.Iterable[str] | str | None = None,
        status: int | str | None = None,
        headers: t.Any = None,
        mimetype: str | None = None,
        content_type: str | None = None,
        direct_passthrough: bool = False,
    ) -> None:
        if (
            headers is None
            and content_type is None
            and not direct_passthrough
            and self.__class__ is Response
            and _FAST_RESPONSE
        ):
            # What Werkzeug's constructor does for these cases, without the
            # validation that constant headers do not need.
            if mimetype is None:
                mimetype = self.default_mimetype
            ctype = _CONTENT_TYPES.get(mimetype) or _content_type(mimetype)
            if status is None:
                status = self.default_status
            status_line = (
                _STATUS_LINES.get(status) or _status_line(status)
                if status.__class__ is int
                else None
            )
            body_type: type = response.__class__
            if ctype is not None and status_line is not None:
                headers_obj = Headers.__new__(Headers)
                if body_type is str or body_type is bytes:
                    if self.automatically_set_content_length:
                        # (Narrowed by body_type, which mypy does not follow.)
                        data: bytes = (
                            response.encode() if body_type is str else response  # type: ignore[union-attr, assignment]
                        )
                        headers_obj._list = [
                            ("Content-Type", ctype),
                            ("Content-Length", str(len(data))),
                        ]
                        # _fast_fill, written out: most responses come here.
                        self.headers = headers_obj
                        self._status = status_line
                        self._status_code = status  # type: ignore[assignment]  # an int: status_line is set
                        self.direct_passthrough = False
                        self._on_close = []
                        self.response = [data]
                        return
                elif body_type is not bytearray:
                    # An iterable body is kept as given (a generator
                    # streams); no body is an empty one.
                    headers_obj._list = [("Content-Type", ctype)]
                    self._fast_fill(
                        headers_obj,
                        status_line,
                        status,  # type: ignore[arg-type]  # an int, as above
                        [] if response is None else response,
                    )
                    return
        super().__init__(
            response,
            status=status,
            headers=headers,
            mimetype=mimetype,
            content_type=content_type,
            direct_passthrough=direct_passthrough,
        )

    def _fast_fill(
        self, headers: Headers, status_line: str, status: int, body: t.Any
    ) -> None:
        self.headers = headers
        self._status = status_line
        self._status_code = status
        self.direct_passthrough = False
        self._on_close = []
        self.response = body

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> t.Iterable[bytes]:
        body = self.response
        status = self._status_code
        if (
            type(self) is Response
            and type(body) is list
            and len(body) == 1
            and type(body[0]) is bytes
            and not self._on_close
            and status >= 200
            and status not in _SPECIAL_STATUS
            and _FAST_RESPONSE
        ):
            # A buffered body and nothing to close: Werkzeug would copy the
            # headers, make Location a URI, and wrap the body in a closing
            # iterator with nothing to close.
            headers = self.headers._list
            if (
                len(headers) == 2
                and headers[1][0] == "Content-Length"
                and headers[0][0] == "Content-Type"
            ):
                # The two headers the constructor sets, and no others.
                start_response(self._status, headers[:])
                if environ["REQUEST_METHOD"] == "HEAD":
                    return []
                return body[:]
            has_length = False
            location_at = -1
            for i, (key, _) in enumerate(headers):
                lower = key.lower()
                if lower == "content-length":
                    has_length = True
                elif lower == "location" and location_at < 0:
                    location_at = i
                elif lower == "location" or lower == "content-location":
                    has_length = False
                    break
            if has_length and not self.autocorrect_location_header:
                headers = headers[:]
                if location_at >= 0:
                    headers[location_at] = (
                        "Location",
                        _iri_to_uri(headers[location_at][1]),
                    )
                start_response(self._status, headers)
                if environ["REQUEST_METHOD"] == "HEAD":
                    return []
                return [body[0]]
        elif (
            type(self) is Response
            and not isinstance(body, (list, tuple))
            and not self.direct_passthrough
            and status >= 200
            and status not in _SPECIAL_STATUS
            and _FAST_RESPONSE
        ):
            # A streamed body: Werkzeug would copy the headers unchanged
            # (no length to compute) unless there is a location to fix.
            headers = self.headers._list
            for key, _ in headers:
                lower = key.lower()
                if lower == "location" or lower == "content-location":
                    break
            else:
                start_response(self._status, headers[:])
                if environ["REQUEST_METHOD"] == "HEAD":
                    return ClosingIterator((), self.close)
                return ClosingIterator(self.iter_encoded(), self.close)
        return super().__call__(environ, start_response)

    @property  # Flask's read-only property over Werkzeug's attribute
    def max_cookie_size(self) -> int:  # type: ignore[override]
        """The app's ``MAX_COOKIE_SIZE``, Werkzeug's default outside an app
        context."""
        ctx = _cv_app.get(None)
        if ctx is not None:
            size: int = ctx.app.config["MAX_COOKIE_SIZE"]
            return size
        return super().max_cookie_size
