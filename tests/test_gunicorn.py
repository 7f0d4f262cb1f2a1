"""The demo app behind gunicorn, a real pre-fork WSGI server: every request
crosses a socket, and the session lives only in the cookie the client sends
back, so two workers must agree on it."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from serving import check_echo_json
from serving import check_flash_crosses_the_redirect_once
from serving import Client
from serving import free_port
from serving import start_server
from serving import stop_group
from serving import wait_for_port

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "demo.app:app",
    ]
    proc = start_server(cmd, cwd=REPO)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_port(port, proc, timeout=30)
        yield base
    finally:
        # The arbiter stops its workers on SIGTERM; the group signal also
        # reaches a worker that is being respawned at that moment.
        output = stop_group(proc, timeout=30)
    # No worker died on the way (a crash shows up here, not as a 500 only).
    assert "Traceback" not in output, output
    assert "Booting worker" in output, output


def test_index_is_served_by_gunicorn(server: str) -> None:
    status, headers, body = Client(server).request("/")
    assert status == 200 and b"<h1>flaskrs</h1>" in body  # the landing page
    assert headers["Server"].startswith("gunicorn")
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Content-Length"] == str(len(body))


def test_echo_json(server: str) -> None:
    client = Client(server)
    check_echo_json(client, "héllo")
    assert client.request("/echo")[0] == 405


def test_session_lives_in_the_cookie(server: str) -> None:
    client = Client(server)
    assert client.request("/profile")[:1] == (401,)
    assert len(client.jar) == 0

    status, headers, _ = client.request("/login", b"")
    assert (status, headers["Location"]) == (302, "/")
    assert [c.name for c in client.jar] == ["session"]
    cookie = next(iter(client.jar))
    # session.permanent: the cookie has an expiry, so it outlives the browser.
    assert cookie.expires is not None and cookie.expires > time.time()

    # Several requests: with two workers some land on each, and every one
    # must accept the same signed cookie.
    for _ in range(6):
        status, headers, body = client.request("/profile")
        assert (status, body) == (200, b"User ID: 123")
    assert client.request("/status")[2] == b"Logged in"

    # Another client without the cookie is not logged in.
    assert Client(server).request("/profile")[0] == 401

    status, headers, _ = client.request("/logout", b"")
    assert (status, headers["Location"]) == (302, "/")
    status, _, body = client.request("/profile")
    assert (status, body) == (401, b"Not logged in")


def test_cookie_is_what_carries_the_login(server: str) -> None:
    client = Client(server)
    client.request("/login", b"")
    (cookie,) = list(client.jar)
    # A changed payload no longer matches its signature. (The first character
    # always changes the decoded bytes; the last might only touch padding bits.)
    value = cookie.value
    tampered = ("f" if value[0] != "f" else "g") + value[1:]
    other = Client(server)
    status, _, _ = other.request("/profile", headers={"Cookie": f"session={tampered}"})
    assert status == 401
    # The same value, replayed by hand, logs in.
    status, _, body = other.request(
        "/profile", headers={"Cookie": f"session={cookie.value}"}
    )
    assert (status, body) == (200, b"User ID: 123")


def test_flash_survives_the_redirect_once(server: str) -> None:
    check_flash_crosses_the_redirect_once(server)
