"""The demo app under Granian, the Rust HTTP server the README's "Serving in
production" section recommends: started as a user would start it
(``granian --interface wsgi demo.app:app``, one worker, on loopback) and
driven over real HTTP, its sessions, JSON, streamed body, static files and
errors.

Granian comes from requirements-dev.txt (pinned as in
benches/requirements-servers.txt). Without it these tests fail, they do not
skip: CI must not pass by serving nothing.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from serving import check_echo_json
from serving import check_flash_crosses_the_redirect_once
from serving import Client
from serving import free_port
from serving import granian_wsgi_command
from serving import start_server
from serving import stop_group
from serving import wait_for_port

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "demo"
STREAM = [f"line {n} of /stream\n".encode() for n in (1, 2, 3)]


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, int]]:
    if importlib.util.find_spec("granian") is None:
        pytest.fail(
            f"granian is not installed in {sys.prefix}: it comes from"
            " requirements-dev.txt (`make build` installs it)"
        )
    port = free_port()
    cmd = granian_wsgi_command(
        [sys.executable, "-m", "granian"],
        port,
        "demo.app:app",
        "--runtime-threads",
        "1",
        "--blocking-threads",
        "1",
    )
    # The demo imports flaskrs itself; the switch must not matter here.
    env = {k: v for k, v in os.environ.items() if k != "FLASKRS_AS_FLASK"}
    proc = start_server(cmd, env=env, cwd=REPO)
    try:
        wait_for_port(port, proc, timeout=30)
        yield f"http://127.0.0.1:{port}", port
    finally:
        output = stop_group(proc, timeout=30)
    # No request raised in the worker (a crash shows up here, not only as a
    # 500), and the worker was a process of its own.
    assert "Traceback" not in output, output
    assert "Spawning worker-1" in output, output


@pytest.fixture
def base(server: tuple[str, int]) -> str:
    return server[0]


def test_index_is_served_by_granian(base: str) -> None:
    status, headers, body = Client(base).request("/")
    assert status == 200 and b"<h1>flaskrs</h1>" in body  # the landing page
    assert headers["Server"] == "granian"
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Content-Length"] == str(len(body))


def test_session_cookie_carries_the_login(base: str) -> None:
    client = Client(base)
    status, _, body = client.request("/profile")
    assert (status, body) == (401, b"Not logged in")
    assert len(client.jar) == 0

    status, headers, _ = client.request("/login", b"")
    assert (status, headers["Location"]) == (302, "/")
    assert [c.name for c in client.jar] == ["session"]

    # The cookie set by /login is what the later requests are seen by.
    status, _, body = client.request("/profile")
    assert (status, body) == (200, b"User ID: 123")
    status, headers, body = client.request("/status")
    assert (status, body) == (200, b"Logged in")
    assert headers["Vary"] == "Cookie"
    # Another client, without the cookie, is not logged in.
    assert Client(base).request("/profile")[0] == 401

    status, headers, _ = client.request("/logout", b"")
    assert (status, headers["Location"]) == (302, "/")
    status, _, body = client.request("/profile")
    assert (status, body) == (401, b"Not logged in")


def test_flashed_messages_cross_the_redirect_once(base: str) -> None:
    check_flash_crosses_the_redirect_once(base)


def test_json_routes(base: str) -> None:
    client = Client(base)
    status, headers, body = client.request("/api/health")
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"status": "ok"}

    check_echo_json(client, "héllo ✓")


def _raw_get(port: int, path: str) -> tuple[bytes, dict[str, str], bytes]:
    """One HTTP/1.1 GET on a socket of its own: the status line, the headers
    (lowercase names) and the body as sent, chunk framing included."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        received = b""
        while True:
            data = sock.recv(65536)
            if not data:
                break
            received += data
    head, sep, body = received.partition(b"\r\n\r\n")
    assert sep, received
    status_line, *lines = head.split(b"\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    return status_line, headers, body


def _chunks(body: bytes) -> list[bytes]:
    """The chunks of a chunked body, checking its framing on the way."""
    chunks = []
    while True:
        size_line, sep, body = body.partition(b"\r\n")
        assert sep, "a chunk size line without its CRLF"
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            # No trailers: the last chunk, then the empty line.
            assert body == b"\r\n", body
            return chunks
        chunk, body = body[:size], body[size:]
        assert len(chunk) == size and body.startswith(b"\r\n"), body
        body = body[2:]
        chunks.append(chunk)


def test_streamed_response_arrives_in_chunks_in_order(
    server: tuple[str, int],
) -> None:
    base, port = server
    status_line, headers, body = _raw_get(port, "/stream")
    assert status_line == b"HTTP/1.1 200 OK"
    # A generator's length is unknown: no Content-Length, chunked instead.
    assert headers["transfer-encoding"] == "chunked"
    assert "content-length" not in headers
    # Granian writes each item of the WSGI iterable as a chunk of its own,
    # so the body is sent as the view yields it, not gathered first.
    assert _chunks(body) == STREAM

    # And through urllib, which undoes the framing.
    status, _, body = Client(base).request("/stream")
    assert (status, body) == (200, b"".join(STREAM))


def test_static_file_and_revalidation(base: str) -> None:
    client = Client(base)
    path = DEMO / "admin_static" / "admin.css"
    status, headers, body = client.request("/admin/static/admin.css")
    assert status == 200
    assert body == path.read_bytes()
    assert headers["Content-Type"] == "text/css; charset=utf-8"
    assert headers["Content-Length"] == str(path.stat().st_size)
    etag = headers["ETag"]
    last_modified = headers["Last-Modified"]
    assert etag and last_modified

    # The same ETag back: not modified, and no body.
    status, headers, body = client.request(
        "/admin/static/admin.css", headers={"If-None-Match": etag}
    )
    assert (status, body) == (304, b"")
    assert headers["ETag"] == etag
    status, _, body = client.request(
        "/admin/static/admin.css", headers={"If-Modified-Since": last_modified}
    )
    assert (status, body) == (304, b"")
    # Another ETag: the file again.
    status, _, body = client.request(
        "/admin/static/admin.css", headers={"If-None-Match": '"other"'}
    )
    assert (status, body) == (200, path.read_bytes())


def test_send_file_download(base: str) -> None:
    status, headers, body = Client(base).request("/download")
    assert status == 200
    assert headers["Content-Disposition"] == "attachment; filename=app.py"
    assert body == (DEMO / "app.py").read_bytes()


def test_not_found_and_method_not_allowed(base: str) -> None:
    client = Client(base)
    status, headers, body = client.request("/nope")
    assert status == 404
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert b"<h1>Not Found</h1>" in body

    # Under /api/ the demo answers errors in JSON.
    status, headers, body = client.request("/api/nope")
    assert status == 404
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body)["error"].startswith("404 Not Found")
    status, headers, body = client.request("/api/health", b"")
    assert status == 405
    assert json.loads(body)["error"].startswith("405 Method Not Allowed")
    # The app's own /static holds the pages' stylesheet, not the admin's.
    assert client.request("/static/admin.css")[0] == 404
