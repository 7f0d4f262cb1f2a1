"""Helpers for the tests that start a real server as a subprocess."""

from __future__ import annotations

import http.client
import http.cookiejar
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pypi_reachable() -> bool:
    """Whether pip could reach PyPI: a test that installs from it skips, with
    the reason, only where it cannot."""
    try:
        with socket.create_connection(("pypi.org", 443), timeout=5):
            return True
    except OSError:
        return False


def stop_group(process: subprocess.Popen[bytes], timeout: float) -> str:
    """Stop a server started with ``start_new_session=True`` and return
    what it printed. The whole process group gets SIGTERM (a reloader or
    an arbiter runs the server in children), SIGKILL if it outlives
    ``timeout``."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        output = process.communicate(timeout=timeout)[0]
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output = process.communicate()[0]
    return output.decode(errors="replace")


def start_server(
    cmd: list[str],
    env: dict[str, str] | None = None,
    cwd: object = None,
) -> subprocess.Popen[bytes]:
    """Start a server in a process group of its own (for ``stop_group``),
    unbuffered, its output collected."""
    return subprocess.Popen(
        cmd,
        env=dict(env if env is not None else os.environ, PYTHONUNBUFFERED="1"),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float) -> None:
    """Return once something accepts connections on ``port``; fail the test
    if ``process`` exits first (with what it printed) or after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            printed = process.communicate()[0]
            output = printed.decode(errors="replace") if printed else ""
            pytest.fail(f"the server exited with {process.returncode}:\n{output}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"nothing accepted connections on port {port} within {timeout} s")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirect is under test, not followed (following it would also read,
    # and so consume, flashed messages before the test does).
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Client:
    """A urllib opener with a cookie jar: the cookies are whatever the server
    set, as a browser would keep them. Redirects are returned, not followed.
    ``request`` answers ``(status, headers, body)``; the headers are the
    response's message, read case-insensitively (``headers["Content-Type"]``
    finds a server's lowercase ``content-type``)."""

    def __init__(self, base: str, timeout: float = 10) -> None:
        self.base = base
        self.timeout = timeout
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect
        )

    def request(
        self,
        path: str,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
        method: str | None = None,
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        req = urllib.request.Request(
            self.base + path, data=data, headers=headers or {}, method=method
        )
        try:
            with self.opener.open(req, timeout=self.timeout) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as e:
            # Cookies of a 3xx or 4xx answer are stored before this is raised.
            with e:
                return e.code, e.headers, e.read()


def check_flash_crosses_the_redirect_once(base: str) -> None:
    """The demo's flash form behind a real server: the messages flashed by
    a POST show on the page it redirects to, once."""
    client = Client(base)
    assert b'class="none"' in client.request("/flash/")[2]

    status, headers, _ = client.request("/flash/submit", b"")
    assert (status, headers["Location"]) == (302, "/flash/")

    status, _, body = client.request("/flash/")
    page = body.decode()
    assert status == 200
    assert '<li class="message">Form submitted successfully!</li>' in page
    assert '<li class="warning">Warning: check your input</li>' in page
    # Read once: the next page, with the cookie the last one rewrote, has none.
    assert b'class="none"' in client.request("/flash/")[2]


def check_demo_answers(base: str) -> None:
    """The demo app behind a real server: its pages answer, its JSON API
    answers JSON built by flaskrs (a blueprint's ``url_for``), a session
    cookie set by one request is read by the next."""
    client = Client(base)
    status, _, body = client.request("/")
    assert status == 200 and b"<h1>flaskrs</h1>" in body  # the landing page
    status, headers, body = client.request("/api/health")
    assert (status, headers["Content-Type"]) == (200, "application/json")
    assert json.loads(body) == {"status": "ok"}
    status, _, body = client.request("/api/links")
    assert (status, json.loads(body)) == (200, {"health": "/api/health"})
    assert client.request("/profile")[::2] == (401, b"Not logged in")
    assert client.request("/login", b"")[0] == 302
    assert client.request("/profile")[::2] == (200, b"User ID: 123")


def serve_demo_with(
    flaskrs_command: Path, demo_app: Path, env: dict[str, str], cwd: Path
) -> None:
    """Serve ``demo_app`` with an installed ``flaskrs run`` on loopback, check
    its answers over HTTP (``check_demo_answers``), and that the server
    said where it ran."""
    port = free_port()
    server = start_server(
        [str(flaskrs_command), "--app", str(demo_app), "run", "--port", str(port)],
        env=env,
        cwd=cwd,
    )
    try:
        wait_for_port(port, server, timeout=30)
        check_demo_answers(f"http://127.0.0.1:{port}")
    finally:
        output = stop_group(server, timeout=15)
    assert f"Running on http://127.0.0.1:{port}" in output, output


def granian_wsgi_command(
    granian: list[str], port: int, target: str, *options: str
) -> list[str]:
    """Granian serving the WSGI app ``target`` on loopback at ``port`` with
    one worker, and any further ``options``."""
    return [
        *granian,
        "--interface",
        "wsgi",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        *options,
        target,
    ]


def check_echo_json(client: Client, message: str) -> None:
    """The demo's JSON echo: a JSON body's message comes back as JSON, and a
    body without one is a 400 that names what is missing."""
    status, headers, body = client.request(
        "/echo",
        json.dumps({"message": message}).encode(),
        {"Content-Type": "application/json"},
    )
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"received": message}

    status, _, body = client.request(
        "/echo", b'{"other": 1}', {"Content-Type": "application/json"}
    )
    assert status == 400
    assert b"Missing &#39;message&#39;" in body
