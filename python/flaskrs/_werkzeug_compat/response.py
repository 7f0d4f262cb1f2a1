"""Werkzeug's ``Response``: its constructor for a plain body, and its WSGI
call for a buffered or streamed body, filling the headers' list directly."""

from __future__ import annotations

import typing as t
from functools import lru_cache

from werkzeug.datastructures import Headers
from werkzeug.sansio.response import Response as _SansIOResponse
from werkzeug.urls import iri_to_uri
from werkzeug.utils import get_content_type
from werkzeug.wrappers import Response as ResponseBase
from werkzeug.wrappers.response import _iter_encoded
from werkzeug.wsgi import ClosingIterator

from .._core import EncodedBody
from . import names_used

if t.TYPE_CHECKING:  # pragma: no cover
    from _typeshed.wsgi import StartResponse
    from _typeshed.wsgi import WSGIEnvironment


def _setter(cls: type, name: str) -> t.Any:
    return getattr(vars(cls).get(name), "fset", None)


def response_shape_is_known() -> bool:
    """Whether Werkzeug's response keeps its headers as a list in
    ``Headers._list``, and its constructor, status setters and WSGI call are
    the Werkzeug 3.1 ones (by the names they use) that ``FastResponse`` and
    ``set_status_code`` reproduce."""
    return (
        isinstance(getattr(Headers(), "_list", None), list)
        and names_used(ResponseBase.__init__)
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
        and names_used(_SansIOResponse.__init__)
        == {
            "Headers",
            "default_mimetype",
            "default_status",
            "get_content_type",
            "headers",
            "isinstance",
            "status",
        }
        and names_used(_setter(_SansIOResponse, "status_code")) == {"status"}
        and names_used(_setter(_SansIOResponse, "status"))
        == {"_clean_status", "_status", "_status_code"}
        and names_used(ResponseBase.set_data)
        == {
            "automatically_set_content_length",
            "encode",
            "headers",
            "isinstance",
            "len",
            "response",
            "str",
        }
        and names_used(ResponseBase.get_app_iter)
        == {
            "ClosingIterator",
            "close",
            "direct_passthrough",
            "iter_encoded",
            "response",
            "status_code",
        }
        and names_used(ResponseBase.iter_encoded) == {"_iter_encoded", "response"}
        and names_used(_iter_encoded) == {"encode", "isinstance", "str"}
        and names_used(ClosingIterator.__init__)
        == {
            "Callable",
            "_callbacks",
            "_next",
            "bytes",
            "callable",
            "cast",
            "getattr",
            "insert",
            "iter",
            "list",
            "next",
            "partial",
            "t",
        }
        and names_used(ClosingIterator.__next__) == {"_next"}
        and names_used(ClosingIterator.close) == {"_callbacks"}
        and names_used(ResponseBase.get_wsgi_response)
        == {"get_app_iter", "get_wsgi_headers", "status", "to_wsgi_list"}
        and names_used(ResponseBase.get_wsgi_headers)
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


FAST_RESPONSE = response_shape_is_known()

# Response statuses whose body or length headers Werkzeug changes.
SPECIAL_STATUS = frozenset({204, 304})

# mimetype -> Content-Type header value, and status code -> status line, for
# the constructor's fast path. Few distinct values are used in practice;
# the bound guards against an app that makes up new ones per request.
_CONTENT_TYPES: dict[str, str] = {}
_STATUS_LINES: dict[int, str] = {}
_CACHE_BOUND = 64


def content_type_for(mimetype: str | None) -> str | None:
    """The Content-Type Werkzeug's constructor sets for ``mimetype``;
    ``None`` when Werkzeug should decide."""
    if mimetype is None:
        return None
    ctype = _CONTENT_TYPES.get(mimetype)
    # Werkzeug refuses header values with line breaks: left to it.
    if ctype is None and len(_CONTENT_TYPES) < _CACHE_BOUND and mimetype.isprintable():
        ctype = _CONTENT_TYPES[mimetype] = get_content_type(mimetype, "utf-8")
    return ctype


def status_line(code: int) -> str | None:
    """The status line Werkzeug's ``status_code`` setter stores for
    ``code``; ``None`` when Werkzeug should decide."""
    line = _STATUS_LINES.get(code)
    if line is None and 100 <= code <= 999 and len(_STATUS_LINES) < _CACHE_BOUND:
        line = _STATUS_LINES[code] = ResponseBase._clean_status(None, code)[0]  # type: ignore[arg-type]
    return line


def set_status_code(response: ResponseBase, code: object) -> bool:
    """``response.status_code = code`` for a number and the class registered
    with ``fast_class``: what the setter stores, without its parsing. False,
    and nothing done, otherwise."""
    if type(code) is not int or type(response) is not _FAST_CLASS or not FAST_RESPONSE:
        return False
    line = _STATUS_LINES.get(code) or status_line(code)
    if line is None:
        return False
    response._status = line
    response._status_code = code
    return True


# Redirects of an app go to a few URLs over and over.
_iri_to_uri = lru_cache(maxsize=256)(iri_to_uri)

# The one class whose instances take the fast paths (see fast_class).
_FAST_CLASS: type[FastResponse] | None = None


def fast_class(cls: type[FastResponse]) -> None:
    """Let instances of exactly ``cls`` take the fast paths of
    ``FastResponse``; its subclasses, which may override what the paths
    skip, take Werkzeug's."""
    global _FAST_CLASS
    _FAST_CLASS = cls


class FastResponse(ResponseBase):
    """Werkzeug's ``Response`` with a shorter constructor for a text or
    bytes body with no other argument (what most views return), and a
    shorter WSGI call for a plain buffered or streamed response; anything
    else takes Werkzeug's own, as does any class but the one registered
    with ``fast_class``."""

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
            and self.__class__ is _FAST_CLASS
            and FAST_RESPONSE
        ):
            # What Werkzeug's constructor does for these cases, without the
            # validation that constant headers do not need.
            if mimetype is None:
                mimetype = self.default_mimetype
            ctype = _CONTENT_TYPES.get(mimetype) or content_type_for(mimetype)  # type: ignore[arg-type]
            if status is None:
                status = self.default_status
            line = (
                _STATUS_LINES.get(status) or status_line(status)
                if status.__class__ is int
                else None
            )
            body_type = response.__class__
            if ctype is not None and line is not None:
                headers_obj = Headers.__new__(Headers)
                if body_type is str or body_type is bytes:
                    if self.automatically_set_content_length:
                        data: bytes = (
                            response.encode()  # type: ignore[union-attr]
                            if body_type is str
                            else response  # type: ignore[assignment]
                        )
                        headers_obj._list = [
                            ("Content-Type", ctype),
                            ("Content-Length", str(len(data))),
                        ]
                        # _fast_fill, written out: most responses come here.
                        self.headers = headers_obj
                        self._status = line
                        self._status_code = status  # type: ignore[assignment]
                        self.direct_passthrough = False
                        self._on_close = []
                        self.response = [data]
                        return
                # Werkzeug's annotation of a body leaves out bytearray, which
                # it accepts.
                elif body_type is not bytearray:  # type: ignore[comparison-overlap]
                    # An iterable body is kept as given (a generator
                    # streams); no body is an empty one.
                    headers_obj._list = [("Content-Type", ctype)]
                    self._fast_fill(
                        headers_obj,
                        line,
                        status,  # type: ignore[arg-type]
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
            type(self) is _FAST_CLASS
            and type(body) is list
            and len(body) == 1
            and type(body[0]) is bytes
            and not self._on_close
            and status >= 200
            and status not in SPECIAL_STATUS
            and FAST_RESPONSE
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
            type(self) is _FAST_CLASS
            and not isinstance(body, (list, tuple))
            and not self.direct_passthrough
            and status >= 200
            and status not in SPECIAL_STATUS
            and FAST_RESPONSE
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
                return EncodedBody(body, self.close)
        return super().__call__(environ, start_response)
