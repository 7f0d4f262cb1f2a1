"""The least a WSGI app can do: the ceiling row of ``bench_servers.py``.

Served by the same Granian as the framework rows, its CPU per request is
what the server itself costs; the rest of a framework row is the framework.
"""

from __future__ import annotations

import typing as t

BODY = b"Hello, World!"
HEADERS = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", "13")]


def app(
    environ: dict[str, t.Any], start_response: t.Callable[..., t.Any]
) -> list[bytes]:
    start_response("200 OK", HEADERS)
    return [BODY]
