"""calibre-web on a Calibre library made by ``setup``, for ``bench_apps.py``.

``BENCH_APP_DIR`` names the folder of the app's data: calibre-web's own
settings database (``app.db``, with its default administrator) and a Calibre
library (``library/metadata.db``) that ``setup`` creates from calibre-web's
models of Calibre's tables and fills with authors, tags, series and books.
``app`` is calibre-web's app as its ``main()`` builds it, without the web
server it would then start and without the updater's thread; ``setup``
logs the administrator in through the login form and hands the bench the
session cookie. Each run gets a copy of the data of its own (calibre-web
writes to its settings database as it answers).
"""

from __future__ import annotations

import datetime
import os
import re
import sys
import typing as t
from pathlib import Path

import bench_data

_UUID = "5b1f2c9e-0c8a-4d5e-9a57-00bench0libr"
# calibre-web's default administrator.
_ADMIN = {"username": "admin", "password": "admin123"}


def _folder() -> Path:
    return bench_data.folder()


def _create() -> t.Any:
    import calibreweb  # noqa: F401  (it puts its cps package on sys.path)
    import cps
    from cps import main

    cps.updater_thread.start = lambda: None
    cps.web_server.start = lambda: True
    argv = sys.argv
    sys.argv = ["cps", "-p", str(_folder() / "app.db")]
    try:
        main.main()
    except SystemExit as e:
        if e.code:
            raise
    finally:
        sys.argv = argv
    return cps.app


def _fill_library() -> Path:
    from cps import db
    from sqlalchemy import create_engine
    from sqlalchemy import text
    from sqlalchemy.orm import Session
    from sqlalchemy.pool import StaticPool

    library = _folder() / "library"
    library.mkdir()
    path = library / "metadata.db"
    # calibre-web's models name the tables of schema "calibre", as it
    # attaches the library: the same file as main and as "calibre".
    engine = create_engine(f"sqlite:///{path}", poolclass=StaticPool)
    with engine.begin() as connection:
        connection.execute(text(f"attach database '{path}' as calibre"))
        # As Calibre has it: series_index a REAL (calibre-web's model says
        # String, and its templates format it as a number).
        connection.execute(
            text(
                "CREATE TABLE calibre.books (id INTEGER PRIMARY KEY AUTOINCREMENT,"
                " title TEXT NOT NULL DEFAULT 'Unknown' COLLATE NOCASE,"
                " sort TEXT COLLATE NOCASE, timestamp TIMESTAMP,"
                " pubdate TIMESTAMP, series_index REAL NOT NULL DEFAULT 1.0,"
                " author_sort TEXT COLLATE NOCASE, path TEXT NOT NULL DEFAULT '',"
                " uuid TEXT, has_cover BOOL DEFAULT 0, last_modified TIMESTAMP)"
            )
        )
    db.Base.metadata.create_all(engine)
    when = datetime.datetime(2024, 3, 1, 12, 0, tzinfo=datetime.timezone.utc)
    with Session(engine) as session:
        session.add(db.Library_Id(uuid=_UUID))
        authors = [db.Authors(f"Author {n}", f"{n}, Author") for n in range(6)]
        tags = [db.Tags(name) for name in ("fiction", "history", "science", "poetry")]
        series = [db.Series(f"Series {n}", f"Series {n}") for n in range(3)]
        for number in range(40):
            author = authors[number % len(authors)]
            book = db.Books(
                f"Book {number}",
                f"Book {number}",
                author.sort,
                when + datetime.timedelta(days=number),
                when,
                float(1 + number % 4),
                when,
                f"{author.name}/Book {number} ({number + 1})",
                0,
                [author],
                [tags[number % 4], tags[(number + 1) % 4]],
            )
            book.uuid = f"00000000-0000-0000-0000-{number:012d}"
            book.series = [series[number % 3]]
            book.comments = [db.Comments(f"<p>About book {number}.</p>", 0)]
            session.add(book)
        session.commit()
    engine.dispose()
    return library


def setup() -> dict[str, str]:
    """The library, the settings pointing at it; the admin's session."""
    import cps

    library = _fill_library()
    cps.config.config_calibre_dir = str(library)
    cps.config.config_calibre_uuid = _UUID
    cps.config.save()
    client = cps.app.test_client()
    # The session is bound to the browser (session_protection "strong": its
    # address and User-Agent), and `flaskrs bench` sends neither.
    client.environ_base.clear()
    form = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    if form is None:
        raise RuntimeError("no CSRF token on the login page")
    answer = client.post("/login", data={**_ADMIN, "csrf_token": form[1]})
    cookie = client.get_cookie("session")
    if answer.status_code != 302 or cookie is None:
        raise RuntimeError(f"could not log in: {answer.status_code} {answer.text}")
    return {"session": cookie.value}


def _fresh() -> t.Any:
    bench_data.fresh_copy()
    return _create()


# At setup, the library is made after the app, and in the folder itself.
app = None
if "BENCH_APP_DIR" in os.environ:
    app = _create() if os.environ.get("BENCH_APP_SETUP") else _fresh()
