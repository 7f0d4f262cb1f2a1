"""The app that every WSGI row of ``benches/bench_servers.py`` serves.

It is written against ``import flask`` only, as a user's app is: the bench
serves this same module once on the real Flask and once with
``FLASKRS_AS_FLASK=1`` in the server's environment, so flaskrs is measured
through the switch it ships, not through an app rewritten for it.
``/framework`` answers ``flask.__name__``, which the bench checks before it
believes a row.
"""

from __future__ import annotations

import typing as t

import flask

app = flask.Flask(__name__)
# A fixed key: the bench signs one session cookie and sends it to every
# server, and Flask and flaskrs must both accept it.
app.secret_key = "bench-servers-secret"

bp = flask.Blueprint("bp", __name__, url_prefix="/bp")


@app.context_processor
def site() -> dict[str, t.Any]:
    return {"site_name": "bench"}


@app.route("/framework")
def framework() -> str:
    return flask.__name__


@app.route("/")
def hello() -> str:
    return "Hello, World!"


@app.route("/json")
def json_get() -> dict[str, t.Any]:
    return {"message": "Hello, World!", "ok": True, "items": [1, 2, 3]}


@app.route("/echo", methods=["POST"])
def echo() -> flask.Response:
    return flask.jsonify(flask.request.get_json())


@app.route("/user/<int:id>")
def user(id: int) -> dict[str, t.Any]:
    return {"id": id, "name": f"user{id}"}


@app.route("/session")
def session() -> dict[str, t.Any]:
    # A read and a write: the cookie is verified, then signed again.
    count = flask.session.get("count", 0) + 1
    flask.session["count"] = count
    return {"count": count}


@app.route("/page")
def page() -> str:
    items = [{"name": f"item {i}", "price": i * 1.5} for i in range(10)]
    return flask.render_template("page.html", title="Products", items=items)


@app.route("/stream")
def stream() -> flask.Response:
    def chunks() -> t.Iterator[str]:
        for i in range(10):
            yield f"chunk {i}\n"

    return flask.Response(chunks(), mimetype="text/plain")


@bp.before_request
def before() -> None:
    flask.g.greeting = "Hello from the blueprint"


@bp.after_request
def after(response: flask.Response) -> flask.Response:
    response.headers["X-Blueprint"] = "bp"
    return response


@bp.route("/hello")
def bp_hello() -> str:
    return t.cast(str, flask.g.greeting)


app.register_blueprint(bp)
