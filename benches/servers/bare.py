"""The least a WSGI app can do: the ceiling row of ``bench_servers.py``.

Served by the same Granian as the framework rows, its CPU per request is
what the server itself costs; the rest of a framework row is the framework.
``/stream`` is the streamed route's ceiling (the server's cost per chunk),
anything else the hello route's.
"""

from __future__ import annotations

import typing as t

BODY = b"Hello, World!"
HEADERS = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", "13")]
# The stream route's answer: ten chunks, no length, so the server sends each
# as it comes (what the framework rows' /stream sends).
STREAM_HEADERS = [("Content-Type", "text/plain; charset=utf-8")]


def _chunks() -> t.Iterator[bytes]:
    for i in range(10):
        yield f"chunk {i}\n".encode()


def app(
    environ: dict[str, t.Any], start_response: t.Callable[..., t.Any]
) -> t.Iterable[bytes]:
    if environ.get("PATH_INFO") == "/stream":
        start_response("200 OK", STREAM_HEADERS)
        return _chunks()
    start_response("200 OK", HEADERS)
    return [BODY]
