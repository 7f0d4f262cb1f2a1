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
            line = f"{template[0]}{value}{template[1]}"
            limit = response.max_cookie_size
            # Over the limit, Werkzeug's method gives its warning.
            if not limit or len(line) <= limit:
                headers.append(("Set-Cookie", line))
                return
    response.set_cookie(key, value, **attributes)


def vary_on_cookie(response: Response) -> None:
    """``response.vary.add("Cookie")``."""
    headers = _plain_headers(response)
    if headers is not None:
        present = [v for k, v in headers if k.lower() == "vary"]
        if not present:
            headers.append(("Vary", "Cookie"))
            return
        if present == ["Cookie"]:
            return
    response.vary.add("Cookie")
