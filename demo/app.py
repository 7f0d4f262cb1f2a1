"""The feature card's patterns with flaskrs in place of flask, behind a
landing page at ``/`` (templates/index.html) that says what flaskrs is and
links to each of them: "Application + Routes + Responses" (``/``,
``/echo``, ``/submit``), "Flash
Messages" (under ``/flash``), "Session Management" (``/login``,
``/profile``, ``/logout``; ``/status`` shows that ``in`` marks the session
accessed), "Blueprints" (``/api/health``, ``/api/links``), "Templates +
Namespacing" and blueprint static files (``/admin/``,
``/admin/static/admin.css``), "Streaming" (``/stream``) and "Files and
Resources" (``/app-resource``, ``/assets/bp-resource``, ``/download``), and
the card's right way to answer errors (app-level 404/405: a page, JSON
under ``/api/``). The app's static folder holds the pages' stylesheet and
the icon browsers ask for at ``/favicon.ico``.

Run it with ``python demo/app.py`` (serves on http://127.0.0.1:5000 in debug
mode); ``--host`` and ``--port`` (or ``FLASKRS_DEMO_HOST`` and
``FLASKRS_DEMO_PORT``) choose another address.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from typing import NamedTuple

import flaskrs
from flaskrs import abort
from flaskrs import Blueprint
from flaskrs import flash
from flaskrs import Flask
from flaskrs import get_flashed_messages
from flaskrs import jsonify
from flaskrs import redirect
from flaskrs import render_template
from flaskrs import request
from flaskrs import send_file
from flaskrs import session
from flaskrs import stream_with_context
from flaskrs import url_for

app = Flask(__name__)
# Sessions and flashed messages live in a cookie signed with this key. The
# demo's default is for local use only: set FLASKRS_DEMO_SECRET elsewhere.
app.secret_key = os.environ.get("FLASKRS_DEMO_SECRET", "flaskrs-demo-only")


class Route(NamedTuple):
    """One rule of the URL map, as the landing page lists it."""

    rule: str
    methods: list[str]
    endpoint: str
    # Where the page links to: GET routes without arguments only.
    href: str | None


def url_map_routes() -> list[Route]:
    """Every rule of ``app.url_map`` by path, with its link built by
    ``url_for`` where one can be built without arguments."""
    routes = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        href = None
        if "GET" in methods and not rule.arguments:
            href = url_for(rule.endpoint)
        routes.append(Route(rule.rule, methods, rule.endpoint, href))
    return routes


@app.get("/")
def index() -> str:
    # The landing page: what flaskrs is, a link to each feature, the routes.
    return render_template(
        "index.html",
        routes=url_map_routes(),
        username=session.get("username"),
        user_id=session.get("user_id"),
    )


@app.get("/favicon.ico")
def favicon() -> flaskrs.wrappers.Response:
    # Browsers ask for /favicon.ico by themselves, pages or not: a 404 there
    # would be a console error on every JSON or text answer.
    return app.send_static_file("favicon.ico")


@app.post("/echo")
def echo() -> tuple[dict[str, Any], int]:
    data = request.get_json(silent=True) or {}
    if "message" not in data:
        abort(400, description="Missing 'message'")
    return jsonify(received=data["message"]), 200


@app.post("/submit")
def submit() -> flaskrs.wrappers.Response:
    # Flask 3.1.3: redirect() defaults to 302 unless code is provided.
    return redirect(url_for("index"))


@app.post("/flash/submit")
def flash_submit() -> flaskrs.wrappers.Response:
    # Stored in the session, shown by the next request that reads them.
    flash("Form submitted successfully!")
    flash("Warning: check your input", "warning")
    return redirect(url_for("flash_index"))


@app.get("/flash/")
def flash_index() -> str:
    messages = get_flashed_messages(with_categories=True)
    return render_template("flash.html", messages=messages)


@app.post("/login")
def login() -> flaskrs.wrappers.Response:
    session["user_id"] = 123
    session["username"] = "alice"
    # The cookie then outlives the browser session (PERMANENT_SESSION_LIFETIME).
    session.permanent = True
    return redirect(url_for("index"))


@app.get("/profile")
def profile() -> str | tuple[str, int]:
    user_id = session.get("user_id")
    if user_id is None:
        return "Not logged in", 401
    return f"User ID: {user_id}"


@app.post("/logout")
def logout() -> flaskrs.wrappers.Response:
    session.clear()
    return redirect(url_for("index"))


@app.get("/status")
def status() -> str:
    # `in` reads the session: the response varies by cookie (Vary: Cookie).
    if "user_id" in session:
        return "Logged in"
    return "Not logged in"


api = Blueprint("api", __name__, url_prefix="/api")


@api.get("/health")
def health() -> tuple[flaskrs.wrappers.Response, int]:
    return jsonify(status="ok"), 200


@api.get("/links")
def links() -> dict[str, str]:
    # ".health": this blueprint's endpoint, without naming the blueprint.
    return {"health": url_for(".health", _external=False)}


# With a url_prefix its static files are reachable (/admin/static/...);
# without one the app's own /static would shadow them.
admin = Blueprint(
    "admin",
    __name__,
    url_prefix="/admin",
    static_folder="admin_static",
    static_url_path="/static",
)


@admin.get("/")
def dashboard() -> str:
    # Namespaced under templates/admin/, so no app template can shadow it.
    return render_template("admin/index.html")


assets = Blueprint("assets", __name__, url_prefix="/assets")


@assets.get("/bp-resource")
def bp_resource() -> str:
    # Relative to the blueprint's root_path.
    with assets.open_resource("resources/notes.txt", mode="r") as f:
        return f.readline().strip()


@app.get("/app-resource")
def app_resource() -> str:
    # Relative to the application's root_path (this file's folder).
    with app.open_resource("resources/notes.txt", mode="r") as f:
        return f.readlines()[1].strip()


@app.get("/download")
def download() -> flaskrs.wrappers.Response:
    path = Path(__file__).resolve()
    return send_file(path, as_attachment=True, download_name=path.name)


@app.get("/stream")
def stream() -> Iterator[str]:
    @stream_with_context
    def generate() -> Iterator[str]:
        # The request is still there while the body is being sent.
        for n in range(1, 4):
            yield f"line {n} of {request.path}\n"

    return generate()


@app.errorhandler(404)
@app.errorhandler(405)
def handle_errors(ex: Any) -> Any:
    # A blueprint's own 404 handler would never see unknown URLs: app level.
    if request.path.startswith("/api/"):
        return jsonify(error=str(ex)), ex.code
    # The exception's own response keeps its status and headers (Allow on
    # a 405); the body becomes the demo's page.
    response = ex.get_response()
    response.set_data(render_template("error.html", error=ex))
    return response


app.register_blueprint(api)
app.register_blueprint(admin)
app.register_blueprint(assets)


def _address() -> tuple[str, int]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--host", default=os.environ.get("FLASKRS_DEMO_HOST", "127.0.0.1")
    )
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("FLASKRS_DEMO_PORT", "5000"))
    )
    args = parser.parse_args()
    return args.host, args.port


if __name__ == "__main__":
    # Prefer: `flask --app app run --debug`
    host, port = _address()
    app.run(host=host, port=port, debug=True)
