"""Text and JSON helpers shared by the request, routing and session modules.

A leaf: it imports only the standard library, so any module of the package
can use it without an import cycle.
"""

from __future__ import annotations

import typing as t
from json import JSONDecoder
from json import loads as _stdlib_loads

# The C scanner json.loads ends in (an attribute typeshed leaves out).
_scan_json: t.Callable[[str, int], tuple[t.Any, int]] = JSONDecoder().scan_once  # type: ignore[attr-defined]
_JSON_SPACE = " \t\n\r"


def wsgi_text(value: str) -> str:
    """A WSGI environ string (latin-1 code points standing for bytes) as
    the UTF-8 text it carries, broken bytes replaced."""
    if value.isascii():
        return value
    return value.encode("latin1").decode("utf-8", "replace")


def loads_text(text: str) -> t.Any:
    """``json.loads(text)``, straight to json's C scanner when the text is a
    JSON value with nothing but whitespace after it; anything else, and
    every error, goes to ``json.loads`` itself."""
    if text and text[0] not in _JSON_SPACE:
        try:
            value, end = _scan_json(text, 0)
        except (ValueError, StopIteration):
            pass
        else:
            if end == len(text) or not text[end:].strip(_JSON_SPACE):
                return value
    return _stdlib_loads(text)
