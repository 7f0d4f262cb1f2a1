"""Shorter ways to the two headers a session adds to most responses:
``Set-Cookie`` for the session cookie and ``Vary: Cookie``. Each falls back
to Werkzeug's own method whenever the response is not the plain case it
knows, so the headers are always those Werkzeug would write."""

from __future__ import annotations

import re
import typing as t
from functools import lru_cache

from werkzeug.datastructures import Headers
from werkzeug.http import dump_cookie
from werkzeug.sansio.response import Response as _SansIOResponse

if t.TYPE_CHECKING:  # pragma: no cover
    from werkzeug.sansio.response import Response

# Characters a signed session value is made of (URL-safe base64 and dots):
# Werkzeug writes such a value unquoted.
_PLAIN_VALUE = re.compile(r"[A-Za-z0-9_.\-]*")
# Stands for the value in a cookie header written once per set of
# attributes; made of characters Werkzeug never quotes.
_MARK = "Flaskrs-Cookie-Value-Mark"

_base_set_cookie = _SansIOResponse.set_cookie
_base_vary = _SansIOResponse.vary


def _plain_headers(response: Response) -> list[tuple[str, str]] | None:
    # The header list of a response whose headers and cookie/vary methods
    # are Werkzeug's, or None.
    headers = response.headers
    cls = type(response)
    if (
        type(headers) is not Headers
        or cls.set_cookie is not _base_set_cookie
        or cls.vary is not _base_vary
    ):
        return None
    found = getattr(headers, "_list", None)
    return found if type(found) is list else None


@lru_cache(maxsize=64)
def _cookie_template(
    key: str,
    path: str | None,
    domain: str | None,
    secure: bool,
    httponly: bool,
    samesite: str | None,
    partitioned: bool,
) -> tuple[str, str] | None:
    # Werkzeug's header around a placeholder value: the text before and
    # after it, or None if the placeholder does not come out verbatim.
    written = dump_cookie(
        key,
        _MARK,
        path=path,
        domain=domain,
        secure=secure,
        httponly=httponly,
        samesite=samesite,
        partitioned=partitioned,
    )
    before, mark, after = written.partition(_MARK)
    if not mark or _MARK in after:
        return None
    return before, after


def _cookie_line(
    response: Response, template: tuple[str, str], value: str
) -> str | None:
    # The Set-Cookie line for `value` in `template`, or None when it is
    # over the response's limit (Werkzeug's method then gives its warning).
    line = f"{template[0]}{value}{template[1]}"
    limit = response.max_cookie_size
    return None if limit and len(line) > limit else line


def _vary_missing(headers: list[tuple[str, str]]) -> bool | None:
    # Whether plain headers lack Vary (True), already say exactly
    # "Vary: Cookie" (False), or hold other Vary values for Werkzeug's
    # header set to merge with (None).
    present = [v for k, v in headers if k.lower() == "vary"]
    if not present:
        return True
    return False if present == ["Cookie"] else None


def set_session_cookie(
    response: Response, key: str, value: str, attributes: dict[str, t.Any]
) -> None:
    """``response.set_cookie(key, value, **attributes)`` for a cookie
    without expiry."""
    headers = _plain_headers(response)
    if headers is not None and _PLAIN_VALUE.fullmatch(value):
        try:
            # Positional: an lru_cache key of keywords costs more to build.
            template = _cookie_template(
                key,
                attributes["path"],
                attributes["domain"],
                attributes["secure"],
                attributes["httponly"],
                attributes["samesite"],
                attributes["partitioned"],
            )
        except (TypeError, KeyError):
            # Unhashable attributes: Werkzeug's method below says what is wrong.
            template = None
        if template is not None:
            line = _cookie_line(response, template, value)
            if line is not None:
                headers.append(("Set-Cookie", line))
                return
    response.set_cookie(key, value, **attributes)


def vary_on_cookie(response: Response) -> None:
    """``response.vary.add("Cookie")``."""
    headers = _plain_headers(response)
    if headers is not None:
        missing = _vary_missing(headers)
        if missing is not None:
            if missing:
                headers.append(("Vary", "Cookie"))
            return
    response.vary.add("Cookie")


def write_cookie_and_vary(
    response: Response, template: tuple[str, str], token: str, accessed: bool
) -> bool:
    """``set_session_cookie`` with its template already made, and
    ``vary_on_cookie`` (first if the session was ``accessed``, after the
    cookie otherwise, as the session interface orders them), in one pass
    over a response with Werkzeug's plain headers; False, with nothing
    written, for any other response. The token of an itsdangerous URL-safe
    serializer needs no quoting, so it is not checked."""
    headers = _plain_headers(response)
    if headers is None:
        return False
    line = _cookie_line(response, template, token)
    missing = _vary_missing(headers)
    if line is None or missing is None:
        return False
    if accessed and missing:
        headers.append(("Vary", "Cookie"))
    headers.append(("Set-Cookie", line))
    if not accessed and missing:
        headers.append(("Vary", "Cookie"))
    return True
