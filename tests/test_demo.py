"""The demo app: the card's first pattern, through the test client and
through the development server it starts with ``python demo/app.py``."""

from __future__ import annotations

import importlib.util
import json
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from serving import free_port
from serving import start_server
from serving import stop_group
from serving import wait_for_port

DEMO = Path(__file__).resolve().parent.parent / "demo" / "app.py"


@pytest.fixture(scope="module")
def demo():  # noqa: ANN201
    spec = importlib.util.spec_from_file_location("demo_app", DEMO)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    # Registered, as an import would, so the app finds its templates beside it.
    sys.modules["demo_app"] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def test_index(demo) -> None:  # noqa: ANN001
    response = demo.app.test_client().get("/")
    assert (response.status_code, response.data) == (200, b"OK")
    assert response.mimetype == "text/html"


def test_echo(demo) -> None:  # noqa: ANN001
    client = demo.app.test_client()
    response = client.post("/echo", json={"message": "hi"})
    assert response.status_code == 200
    assert response.get_json() == {"received": "hi"}
    missing = client.post("/echo", json={"other": 1})
    assert missing.status_code == 400
    assert b"Missing &#39;message&#39;" in missing.data
    # Not JSON at all: silent parsing gives {}, so the same clear 400.
    assert client.post("/echo", data="x", content_type="text/plain").status_code == 400
    assert client.get("/echo").status_code == 405


def test_submit_redirects_with_302(demo) -> None:  # noqa: ANN001
    response = demo.app.test_client().post("/submit")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def _request(
    url: str, data: bytes | None = None, headers: dict[str, str] | None = None
):  # noqa: ANN202
    req = urllib.request.Request(url, data=data, headers=headers or {})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req, timeout=5) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def test_served_by_app_run() -> None:
    port = free_port()
    proc = start_server([sys.executable, str(DEMO), "--port", str(port)])
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_port(port, proc, timeout=10)
        status, _, body = _request(f"{base}/")
        assert (status, body) == (200, b"OK")
        status, _, body = _request(
            f"{base}/echo",
            json.dumps({"message": "m"}).encode(),
            {"Content-Type": "application/json"},
        )
        assert status == 200 and json.loads(body) == {"received": "m"}
        status, headers, _ = _request(f"{base}/submit", b"")
        assert status == 302 and headers["Location"] == "/"
    finally:
        # The reloader runs the server in a child: stop_group stops both.
        output = stop_group(proc, timeout=10)
    assert "Debug mode: on" in output


def test_flash_messages_show_once_with_categories(demo) -> None:  # noqa: ANN001
    client = demo.app.test_client()
    assert b'class="none"' in client.get("/flash/").data
    response = client.post("/flash/submit")
    assert (response.status_code, response.headers["Location"]) == (302, "/flash/")
    page = client.get("/flash/").data.decode()
    assert '<li class="message">Form submitted successfully!</li>' in page
    assert '<li class="warning">Warning: check your input</li>' in page
    # Shown once: the next request finds none.
    assert b'class="none"' in client.get("/flash/").data


def test_session_login_profile_logout(demo) -> None:  # noqa: ANN001
    client = demo.app.test_client()
    assert client.get("/profile").status_code == 401
    response = client.post("/login")
    assert (response.status_code, response.headers["Location"]) == (302, "/")
    cookie = response.headers["Set-Cookie"]
    # Permanent: the cookie carries an expiry date.
    assert cookie.startswith("session=") and "Expires=" in cookie
    assert client.get("/profile").data == b"User ID: 123"
    assert client.get("/status").data == b"Logged in"
    client.post("/logout")
    assert client.get("/profile").status_code == 401


def test_membership_test_marks_the_session_accessed(demo) -> None:  # noqa: ANN001
    response = demo.app.test_client().get("/status")
    assert response.data == b"Not logged in"
    assert response.headers["Vary"] == "Cookie"


def test_blueprint_routes_and_relative_url_for(demo) -> None:  # noqa: ANN001
    client = demo.app.test_client()
    assert client.get("/api/health").get_json() == {"status": "ok"}
    assert client.get("/api/links").get_json() == {"health": "/api/health"}


def test_namespaced_template_and_blueprint_static(demo) -> None:  # noqa: ANN001
    client = demo.app.test_client()
    page = client.get("/admin/").data.decode()
    assert "Admin dashboard" in page
    assert 'href="/admin/static/admin.css"' in page
    css = client.get("/admin/static/admin.css")
    assert css.status_code == 200 and css.mimetype == "text/css"
    # The app has no /static of its own here: nothing is served there.
    assert client.get("/static/admin.css").status_code == 404


def test_stream_keeps_the_request_context(demo) -> None:  # noqa: ANN001
    response = demo.app.test_client().get("/stream")
    assert response.is_streamed
    assert response.data == b"".join(
        f"line {n} of /stream\n".encode() for n in (1, 2, 3)
    )


def test_files_and_resources(demo) -> None:  # noqa: ANN001
    client = demo.app.test_client()
    assert client.get("/assets/bp-resource").data.startswith(b"Read by the assets")
    assert client.get("/app-resource").data == b"Read by the app's open_resource."
    response = client.get("/download")
    assert response.headers["Content-Disposition"] == "attachment; filename=app.py"
    assert response.data == DEMO.read_bytes()
    response.close()


def test_errors_are_json_under_api_only(demo) -> None:  # noqa: ANN001
    client = demo.app.test_client()
    missing = client.get("/api/nope")
    assert missing.status_code == 404
    assert missing.get_json()["error"].startswith("404 Not Found")
    assert client.post("/api/health").get_json()["error"].startswith("405")
    other = client.get("/nope")
    assert other.status_code == 404 and other.mimetype == "text/html"
