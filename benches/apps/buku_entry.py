"""bukuserver (buku's web interface, on Flask-Admin) on SQLite, for
``bench_apps.py``.

``BENCH_APP_DIR`` names the folder of the app's data: ``setup`` fills a
bookmarks database there through buku's own API (without fetching the
pages: no network), and ``app`` is bukuserver on it, with a fixed secret
key (so that a session cookie made at setup is valid on both runs) and
without fetching titles of bookmarks added through it.
"""

from __future__ import annotations

import os
import typing as t
from pathlib import Path

_SECRET = "bench-secret-key"
_SITES = [
    ("https://docs.python.org/3/", "Python documentation", "python,docs"),
    ("https://flask.palletsprojects.com/", "Flask", "python,flask,web"),
    ("https://werkzeug.palletsprojects.com/", "Werkzeug", "python,wsgi,web"),
    ("https://www.rust-lang.org/", "Rust", "rust,language"),
    ("https://pyo3.rs/", "PyO3 user guide", "rust,python"),
    ("https://www.sqlite.org/docs.html", "SQLite documentation", "sqlite,docs"),
    ("https://jinja.palletsprojects.com/", "Jinja", "python,templates,web"),
]


def _database() -> Path:
    return Path(os.environ["BENCH_APP_DIR"]) / "bookmarks.db"


def setup() -> dict[str, str]:
    """Fill the database; a session cookie with a message flashed in it."""
    from buku import BukuDb

    db = BukuDb(dbfile=str(_database()))
    for number in range(60):
        url, title, tags = _SITES[number % len(_SITES)]
        db.add_rec(
            f"{url}?page={number}",
            f"{title} {number}",
            f",{tags},page{number % 5},",
            f"bookmark number {number}",
            fetch=False,
        )
    db.close()
    # A cookie as the browser holds it after adding a bookmark: the flashed
    # message waits in the session for the next page, which shows it.
    app = _create()
    with app.test_request_context("/"):
        import flask

        flask.flash("Record was successfully created.", "success")
        session = dict(flask.session)
    serializer = app.session_interface.get_signing_serializer(app)
    return {"flashed": serializer.dumps(session)}


def _create() -> t.Any:
    os.environ["BUKUSERVER_SECRET_KEY"] = _SECRET
    os.environ["BUKUSERVER_AUTOFETCH"] = "false"
    os.environ["BUKUSERVER_DB_FILE"] = str(_database())
    from bukuserver.server import create_app

    return create_app()


app = _create() if "BENCH_APP_DIR" in os.environ else None
