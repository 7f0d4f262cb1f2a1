"""The feature card's first pattern, "Application + Routes + Responses",
with flaskrs in place of flask.

Run it with ``python demo/app.py`` (serves on http://127.0.0.1:5000 in debug
mode); ``--host`` and ``--port`` (or ``FLASKRS_DEMO_HOST`` and
``FLASKRS_DEMO_PORT``) choose another address.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

import flaskrs
from flaskrs import abort
from flaskrs import Flask
from flaskrs import jsonify
from flaskrs import redirect
from flaskrs import request
from flaskrs import url_for

app = Flask(__name__)


@app.get("/")
def index() -> str:
    return "OK"


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
