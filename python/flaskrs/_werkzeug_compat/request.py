"""Werkzeug's ``Request``: its constructor, body, JSON and cookies."""

from __future__ import annotations

import io
import typing as t
from json import loads as _stdlib_loads

from werkzeug.datastructures import EnvironHeaders
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.sansio.http import parse_cookie
from werkzeug.sansio.request import Request as _SansIORequest
from werkzeug.wrappers import Request as RequestBase
from werkzeug.wsgi import get_content_length
from werkzeug.wsgi import LimitedStream

from .._text import wsgi_text as _wsgi_text
from ..json.provider import DefaultJSONProvider as _DefaultProvider
from . import names_used
from . import parameters

if t.TYPE_CHECKING:  # pragma: no cover
    from _typeshed.wsgi import WSGIEnvironment


def request_init_is_known() -> bool:
    """Whether Werkzeug's request constructors are the Werkzeug 3.1 ones
    that ``FastRequest.__init__`` reproduces: same parameters, and the same
    names used (so no attribute was added)."""
    return (
        parameters(RequestBase.__init__)
        == ("self", "environ", "populate_request", "shallow")
        and names_used(RequestBase.__init__)
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
        and parameters(_SansIORequest.__init__)
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
        and names_used(_SansIORequest.__init__)
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


def body_shape_is_known() -> bool:
    """Whether Werkzeug's ``get_json`` and ``get_data`` are the Werkzeug 3.1
    ones (by the names they use) that ``FastRequest`` reproduces."""
    return names_used(RequestBase.get_json) == {
        "Ellipsis",
        "ValueError",
        "_cached_json",
        "get_data",
        "is_json",
        "json_module",
        "loads",
        "on_json_loading_failed",
    } and names_used(RequestBase.get_data) == {
        "_cached_data",
        "_load_form_data",
        "decode",
        "getattr",
        "read",
        "stream",
    }


def multidict_of_lists() -> bool:
    """Whether a ``MultiDict`` keeps each key's values as a list in the dict
    itself (Werkzeug 3), so they can be read without ``MultiDict.get``."""
    stored: object = dict.get(ImmutableMultiDict([("a", "b")]), "a")
    return stored == ["b"]


FAST_REQUEST_INIT = request_init_is_known()
FAST_BODY = body_shape_is_known()
MULTIDICT_OF_LISTS = multidict_of_lists()


def plain_cookie_pairs(header: str | None) -> list[tuple[str, str]] | None:
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


def first_cookie(request: RequestBase, name: str) -> str | None:
    """``request.cookies.get(name)``. Before the cookies are parsed, and for
    a header parsed plainly, the pair is looked up in the header: a request
    that only needs the session cookie does not build them all."""
    if request.__class__ is _FAST_CLASS and "cookies" not in request.__dict__:
        header = request.environ.get("HTTP_COOKIE")
        if not header:
            return None
        if _parsed_plainly(header):
            for found, value in _plain_pieces(header):
                if found == name:
                    return value
            return None
    cookies = request.cookies
    if type(cookies) is ImmutableMultiDict and MULTIDICT_OF_LISTS:
        # MultiDict.get answers a missing name by raising and catching a
        # BadRequestKeyError, an HTTP exception; the lists are read directly.
        values = dict.get(cookies, name)
        return values[0] if values else None
    return cookies.get(name)


def declares_json(environ: WSGIEnvironment) -> bool:
    """Werkzeug's ``is_json``: the mimetype (before any parameters, trimmed
    of spaces and tabs, lower-cased) is ``application/json`` or
    ``application/*+json``; read without parsing the parameters."""
    declared: str = environ.get("CONTENT_TYPE", "")
    mimetype = declared.partition(";")[0].strip(" \t").lower()
    return mimetype == "application/json" or (
        mimetype.startswith("application/") and mimetype.endswith("+json")
    )


def declared_length(environ: WSGIEnvironment) -> int | None:
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


def server_of(environ: WSGIEnvironment) -> tuple[str, int | None] | None:
    """The ``server`` field Werkzeug's constructor sets."""
    name = environ.get("SERVER_NAME")
    if name is None:
        return None
    try:
        port: int | None = int(environ.get("SERVER_PORT"))  # type: ignore[arg-type]
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


class computed_once(t.Generic[_T]):
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
    def __get__(self, obj: None, owner: type | None = None) -> computed_once[_T]: ...

    @t.overload
    def __get__(self, obj: object, owner: type | None = None) -> _T: ...

    def __get__(self, obj: object | None, owner: type | None = None) -> t.Any:
        if obj is None:
            return self
        value = obj.__dict__[self.name] = self.compute(obj)
        return value


# Bodies up to this size are read into memory when the stream is first used.
BUFFERED_BODY = 64 * 1024


def read_up_to(stream: t.IO[bytes], length: int, first: bytes) -> bytes:
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


# The one class whose instances take the fast paths (see fast_class), and
# how it decodes a JSON body for the default provider.
_FAST_CLASS: type[FastRequest] | None = None
_loads_body: t.Callable[[bytes], t.Any] = _stdlib_loads


def fast_class(
    cls: type[FastRequest], *, loads_body: t.Callable[[bytes], t.Any]
) -> None:
    """Let instances of exactly ``cls`` take the fast paths of
    ``FastRequest`` (its subclasses, which may override what the paths skip,
    take Werkzeug's), with ``get_json`` decoding by ``loads_body`` (which
    must answer as ``json.loads``) for the default JSON provider."""
    global _FAST_CLASS, _loads_body
    _FAST_CLASS = cls
    _loads_body = loads_body


class FastRequest(RequestBase):
    """Werkzeug's ``Request`` with a shorter constructor (the fields most
    requests never read are computed when first read, as Werkzeug computes
    them), a small body read at once, a shorter ``get_json`` and
    ``get_data``, and cookies parsed without ``parse_cookie`` when the
    header is plain. Only the class registered with ``fast_class`` takes
    the paths other than the constructor."""

    def __init__(
        self,
        environ: WSGIEnvironment,
        populate_request: bool = True,
        shallow: bool = False,
    ) -> None:
        if not FAST_REQUEST_INIT:
            super().__init__(environ, populate_request, shallow)
            return
        # Werkzeug's two constructors in one frame.
        self.method = environ.get("REQUEST_METHOD", "GET").upper()
        self.scheme = environ.get("wsgi.url_scheme", "http")
        self.environ = environ
        self.shallow = shallow
        if populate_request and not shallow:
            environ["werkzeug.request"] = self

    server = _EnvironField(server_of)
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

    @property
    def is_json(self) -> bool:
        """Whether the body is declared JSON: ``application/json`` or
        ``application/*+json``."""
        if self.__class__ is not _FAST_CLASS:
            return super().is_json
        return declares_json(self.environ)

    @computed_once
    def stream(self) -> t.IO[bytes]:
        """The body as a stream that stops at its ``Content-Length`` (see
        Werkzeug's ``Request.stream``).

        A small body with a declared length is read at once into memory,
        which costs less than Werkzeug's guarded stream and reads the same
        bytes; anything else takes Werkzeug's stream.
        """
        if self.__class__ is _FAST_CLASS:
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
        length = declared_length(env)
        if length is None or length > BUFFERED_BODY:
            return None
        limit = self.max_content_length
        if limit is not None and length > limit:
            raise RequestEntityTooLarge()
        stream = env["wsgi.input"]
        data = stream.read(length)
        if 0 < len(data) < length:
            data = read_up_to(stream, length, data)
        return data, length

    def get_data(  # type: ignore[override]
        self, cache: bool = True, as_text: bool = False, parse_form_data: bool = False
    ) -> bytes | str:
        """The whole body as bytes (or text with ``as_text``), kept for the
        next call unless ``cache`` is false; see Werkzeug's
        ``Request.get_data``."""
        if (
            self.__class__ is not _FAST_CLASS
            or not FAST_BODY
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
        if self.__class__ is not _FAST_CLASS or not FAST_BODY:
            return super().get_json(force, silent, cache)
        if cache:
            kept = self._cached_json[silent]
            if kept is not Ellipsis:
                return kept
        if not force and not declares_json(self.environ):
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
        # Typed as the json module by Werkzeug; Flask sets the app's provider.
        provider: t.Any = self.json_module
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

    @computed_once
    def cookies(self) -> ImmutableMultiDict[str, str]:
        """The request's cookies, parsed as Werkzeug parses them."""
        if self.__class__ is not _FAST_CLASS:
            return super().cookies
        # Werkzeug joins the environ's headers named Cookie: a WSGI environ
        # has one at most.
        header = self.environ.get("HTTP_COOKIE")
        pairs = plain_cookie_pairs(header)
        cls = self.dict_storage_class
        if pairs is None:
            return parse_cookie(header, cls=cls)  # type: ignore[return-value]
        if cls is ImmutableMultiDict and MULTIDICT_OF_LISTS:
            # What MultiDict's constructor builds from pairs, without its
            # isinstance checks against abstract classes.
            grouped: dict[str, list[str]] = {}
            for name, value in pairs:
                grouped.setdefault(name, []).append(value)
            found: ImmutableMultiDict[str, str] = ImmutableMultiDict()
            dict.update(found, grouped)
            return found
        return cls(pairs)  # type: ignore[return-value]
