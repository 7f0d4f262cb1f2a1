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

from page_links import Page
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


# The landing page's feature sections (their ids) and the links in them that
# answer an error on purpose, marked so with data-expect-status.
FEATURES = [
    "blueprints",
    "templates",
    "sessions",
    "streaming",
    "files",
    "json",
    "errors",
]
ERROR_LINKS = {"/no-such-page": 404, "/api/no-such-endpoint": 404}


def test_index_is_the_landing_page(demo) -> None:  # noqa: ANN001
    response = demo.app.test_client().get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.content_type == "text/html; charset=utf-8"
    html = response.data.decode()
    page = Page(html)
    assert page.title.startswith("Flask 3.1.3, with a Rust core")
    assert "<h1>flaskrs</h1>" in html
    assert "A drop-in replacement for Flask 3.1.3" in html
    for words in ("URL matching", "<code>url_for</code>", "session-cookie signing"):
        assert words in html
    # Both ways to switch.
    assert "from flaskrs import Flask" in html
    assert "FLASKRS_AS_FLASK=1 gunicorn app:app" in html
    for feature in FEATURES:
        assert f'<div class="card" id="{feature}">' in html
    # Self-contained: nothing is loaded from another host.
    assert "http://" not in html.replace("http://localhost/echo", "")
    assert "https://" not in html and " src=" not in html
    assert not any(h.startswith(("//", "http:", "https:")) for h, _ in page.links)


def check_links(client, answers: dict[str, int]) -> None:  # noqa: ANN001
    """Every link of the landing page answers 200 through ``client``, but
    for those in ``answers`` (path to status) and the error examples, which
    are all the links marked with data-expect-status."""
    page = Page(client.get("/").data.decode())
    paths = {href.split("#")[0] or "/" for href, _ in page.links}
    # A link to every GET route without arguments, the stylesheets and the
    # error examples, at least.
    assert {
        "/",
        "/favicon.ico",
        "/static/demo.css",
        "/admin/static/admin.css",
        "/download",
    } <= paths
    assert set(ERROR_LINKS) | set(answers) <= paths
    marked = {}
    for href, attributes in page.links:
        path = href.split("#")[0] or "/"
        assert path.startswith("/"), href
        if "data-expect-status" in attributes:
            marked[path] = int(attributes["data-expect-status"] or 0)
        response = client.get(path)
        expected = marked.get(path) or answers.get(path, 200)
        assert response.status_code == expected, href
        assert response.data, href
        response.close()
    assert marked == ERROR_LINKS


def test_every_link_on_the_landing_page_answers(demo) -> None:  # noqa: ANN001
    client = demo.app.test_client()
    # Logged out, /profile says so with a 401; logged in, it is a 200 too.
    check_links(client, {"/profile": 401})
    client.post("/login")
    check_links(client, {})


def test_landing_page_forms_post_to_routes(demo) -> None:  # noqa: ANN001
    client = demo.app.test_client()
    page = Page(client.get("/").data.decode())
    actions = [form["action"] for form in page.forms]
    # Logged out: the login form, and the flash form.
    assert actions == ["/login", "/flash/submit"]
    assert all(form["method"] == "post" for form in page.forms)
    response = client.post("/login")
    assert (response.status_code, response.headers["Location"]) == (302, "/")
    html = client.get("/").data.decode()
    assert "Logged in as alice</span> (user 123)" in html
    assert [form["action"] for form in Page(html).forms] == ["/logout", "/flash/submit"]
    client.post("/logout")
    assert "Not logged in." in client.get("/").data.decode()


def test_landing_page_escapes_what_it_shows(demo) -> None:  # noqa: ANN001
    client = demo.app.test_client()
    with client.session_transaction() as session:
        session["username"] = "<b>mallory</b>"
    html = client.get("/").data.decode()
    assert "Logged in as &lt;b&gt;mallory&lt;/b&gt;" in html
    assert "<b>mallory</b>" not in html


def _rules(app) -> list[tuple[str, str, str]]:  # noqa: ANN001
    rows = []
    for rule in app.url_map.iter_rules():
        methods = sorted(m for m in rule.methods if m not in ("HEAD", "OPTIONS"))
        rows.append((rule.rule, ", ".join(methods), rule.endpoint))
    return sorted(rows)


def test_routes_list_matches_the_url_map(demo) -> None:  # noqa: ANN001
    with demo.app.test_request_context():
        links = {
            rule.endpoint: demo.url_for(rule.endpoint)
            for rule in demo.app.url_map.iter_rules()
            if "GET" in rule.methods and not rule.arguments
        }
    rows = Page(demo.app.test_client().get("/").data.decode()).rows
    listed = [
        (rule, methods, endpoint) for (rule, _), (methods, _), (endpoint, _) in rows
    ]
    assert listed == _rules(demo.app)
    assert len(listed) == len(list(demo.app.url_map.iter_rules())) > 15
    # A link exactly for the GET routes without arguments, built by url_for.
    linked = {endpoint: href for (_, href), _, (endpoint, _) in rows if href}
    assert linked == links
    assert linked["index"] == "/" and linked["api.health"] == "/api/health"
    assert "static" not in linked and "login" not in linked


def test_error_pages(demo) -> None:  # noqa: ANN001
    client = demo.app.test_client()
    missing = client.get("/no-such-page")
    assert (missing.status_code, missing.mimetype) == (404, "text/html")
    assert b"<h1>Not Found</h1>" in missing.data
    assert Page(missing.data.decode()).title.startswith("404 Not Found")
    # A 405 keeps the exception's Allow header under the demo's page.
    wrong = client.get("/echo")
    assert wrong.status_code == 405 and set(wrong.headers["Allow"].split(", ")) == {
        "OPTIONS",
        "POST",
    }
    assert b"<h1>Method Not Allowed</h1>" in wrong.data


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
        assert status == 200 and b"<h1>flaskrs</h1>" in body
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
    # The app's own /static holds the pages' stylesheet, not the admin's.
    assert client.get("/static/admin.css").status_code == 404
    assert client.get("/static/demo.css").mimetype == "text/css"
    # Asked for by browsers on every page: a real icon, not a 404.
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.data.startswith(b"\0\0\1\0")
    assert icon.data == (DEMO.parent / "static" / "favicon.ico").read_bytes()
    icon.close()


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
