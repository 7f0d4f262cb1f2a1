"""Werkzeug's HTTP exceptions and redirects as responses: the response an
exception gives when run as a WSGI app, and ``werkzeug.utils.redirect``,
built without the round trip."""

from __future__ import annotations

import typing as t
from functools import lru_cache

from werkzeug.datastructures import Headers
from werkzeug.exceptions import HTTPException
from werkzeug.utils import redirect as _wz_redirect

from . import names_used
from . import response as _response
from .response import FAST_RESPONSE
from .response import SPECIAL_STATUS

if t.TYPE_CHECKING:  # pragma: no cover
    from _typeshed.wsgi import WSGIEnvironment
    from werkzeug.wrappers import Response

    _Resp = t.TypeVar("_Resp", bound=Response)


def http_errors_shape_is_known() -> bool:
    """Whether ``HTTPException.get_response`` and ``__call__`` are the
    Werkzeug 3.1 ones (by the names they use) that
    ``http_exception_response`` reproduces, on top of the response's own
    fast paths."""
    return (
        FAST_RESPONSE
        and names_used(HTTPException.get_response)
        == {
            "Response",
            "_get_environ",
            "code",
            "get_body",
            "get_headers",
            "response",
            "wrappers.response",
        }
        and names_used(HTTPException.__call__) == {"get_response"}
    )


FAST_HTTP_ERRORS = http_errors_shape_is_known()

# Headers that Werkzeug's WSGI call changes.
_HEADERS_CHANGED_BY_WSGI = frozenset({"location", "content-location", "content-length"})


@lru_cache(maxsize=256)
def default_error_body(code: int, description: str | None) -> bytes:
    """The HTML page Werkzeug makes for an HTTP error, encoded; kept
    because every 404 of an app has the same one."""
    exc = HTTPException(description)
    exc.code = code
    return exc.get_body().encode()


@lru_cache(maxsize=256)
def _redirect_page(location: str) -> bytes:
    """The body of Werkzeug's redirect response to ``location``."""
    return _wz_redirect(location).get_data()


def redirect_response(
    location: str, code: int, response_class: type[_Resp]
) -> _Resp | None:
    """``werkzeug.utils.redirect(location, code, response_class)``, with the
    page (which escapes the location) made once per location; ``None``
    when Werkzeug should make it."""
    if (
        response_class is not _response._FAST_CLASS
        or type(location) is not str
        or not location.isprintable()
        or not FAST_RESPONSE
    ):
        return None
    rv = response_class(_redirect_page(location), code, mimetype="text/html")
    rv.headers._list.append(("Location", location))
    return rv


def http_exception_response(
    e: HTTPException, environ: WSGIEnvironment, response_class: type[_Resp]
) -> _Resp | None:
    """What ``response_class.force_type(e, environ)`` gives (running the
    exception as a WSGI app), without the WSGI round trip; ``None`` when the
    exception customizes more than its body, headers or description."""
    cls = type(e)
    code = e.code
    if (
        not FAST_HTTP_ERRORS
        or cls.get_response is not HTTPException.get_response
        or cls.__call__ is not HTTPException.__call__
        or e.response is not None
        or code is None
        or code < 200
        or code in SPECIAL_STATUS
    ):
        return None
    description = e.description
    # The page is a function of the code and description alone.
    plain_page = (
        cls.get_body is HTTPException.get_body
        and cls.get_description is HTTPException.get_description
        and cls.name is HTTPException.name
        and (description is None or type(description) is str)
    )
    if (
        plain_page
        and cls.get_headers is HTTPException.get_headers
        and response_class is _response._FAST_CLASS
        and environ["REQUEST_METHOD"] != "HEAD"
    ):
        # Werkzeug's page with its one header, the HTML content type:
        # what a plain text/html response of these bytes carries.
        return response_class(default_error_body(code, description), code)
    header_list = e.get_headers(environ, None)
    has_type = False
    for key, _ in header_list:
        lower = key.lower()
        if lower == "content-type":
            has_type = True
        elif lower in _HEADERS_CHANGED_BY_WSGI:
            return None
    if not has_type:
        return None
    if plain_page:
        body = default_error_body(code, description)
    else:
        body = e.get_body(environ, None).encode()
    headers = Headers(header_list)
    headers["Content-Length"] = str(len(body))
    # Running it as a WSGI app answers HEAD with no body.
    content = [] if environ["REQUEST_METHOD"] == "HEAD" else [body]
    return response_class(content, code, headers)
