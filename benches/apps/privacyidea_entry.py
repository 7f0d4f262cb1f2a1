"""privacyIDEA on SQLite, for ``bench_apps.py``.

``BENCH_APP_DIR`` names the folder of the app's data. ``setup`` writes a
configuration (SQLite database, keys and logs in that folder), creates the
tables, an administrator, a realm of users from a file, and a few tokens,
all through privacyIDEA's own ``pi-manage`` and API, then logs the
administrator in and hands the bench its token. ``app`` is privacyIDEA
built from that configuration, on a copy of the data of its own (it writes
an audit row for each request).
"""

from __future__ import annotations

import os
import subprocess
import sys
import typing as t
from pathlib import Path

import bench_data

_PASSWORD = "bench-admin-password"
_USERS = [
    ("alice", "1000", "Alice Adams"),
    ("bob", "1001", "Bob Brown"),
    ("carol", "1002", "Carol Clark"),
    ("dave", "1003", "Dave Davis"),
]


def _folder() -> Path:
    return bench_data.folder()


def _configure() -> None:
    """Write pi.cfg, with the paths of the data folder."""
    folder = _folder()
    config = folder / "pi.cfg"
    os.environ["PRIVACYIDEA_CONFIGFILE"] = str(config)
    config.write_text(
        f"""\
SQLALCHEMY_DATABASE_URI = "sqlite:///{folder / "privacyidea.sqlite"}"
SECRET_KEY = "bench-secret-key-of-at-least-thirty-two-bytes"
PI_PEPPER = "bench-pepper"
PI_ENCFILE = "{folder / "enckey"}"
PI_AUDIT_KEY_PRIVATE = "{folder / "private.pem"}"
PI_AUDIT_KEY_PUBLIC = "{folder / "public.pem"}"
PI_LOGFILE = "{folder / "privacyidea.log"}"
PI_LOGLEVEL = 30
SUPERUSER_REALM = ["super"]
""",
        encoding="utf-8",
    )


def _manage(*args: str) -> None:
    manage = Path(sys.executable).with_name("pi-manage")
    subprocess.run([str(manage), *args], check=True, capture_output=True)


def setup() -> dict[str, str]:
    """Create the database and its rows; the administrator's token."""
    _configure()
    _manage("setup", "create_enckey")
    _manage("setup", "create_audit_keys")
    _manage("setup", "create_tables")
    _manage("admin", "add", "admin", "-p", _PASSWORD)
    users = _folder() / "users.passwd"
    users.write_text(
        "".join(
            f"{name}:x:{uid}:{uid}:{full},,,:/home/{name}:/bin/sh\n"
            for name, uid, full in _USERS
        ),
        encoding="utf-8",
    )
    client = _create().test_client()
    answer = client.post(
        "/auth", json={"username": "admin", "password": _PASSWORD}
    ).get_json()
    token = answer["result"]["value"]["token"]
    headers = {"Authorization": token}
    steps: list[tuple[str, str, dict[str, t.Any]]] = [
        (
            "POST",
            "/resolver/files",
            {"type": "passwdresolver", "fileName": str(users)},
        ),
        ("POST", "/realm/bench", {"resolvers": "files"}),
        ("POST", "/system/setDefault", {"DefaultMaxFailCount": "10"}),
    ]
    for number, (name, _, _) in enumerate(_USERS):
        steps.append(
            (
                "POST",
                "/token/init",
                {
                    "type": "hotp",
                    "genkey": True,
                    "serial": f"HOTP{number:04d}",
                    "user": name,
                    "realm": "bench",
                    "description": f"token of {name}",
                },
            )
        )
    # A static password token: /validate/check accepts it again and again
    # without counting up (an HOTP token's counter, or its fail counter,
    # would change the answers between the Flask and the flaskrs run).
    steps.append(
        (
            "POST",
            "/token/init",
            {"type": "spass", "pin": "bench-pin", "serial": "SPASS0001"}
            | {"user": "alice", "realm": "bench"},
        )
    )
    steps.append(
        (
            "POST",
            "/policy/bench-user",
            {"scope": "user", "action": "enable, disable", "active": True},
        )
    )
    for method, path, body in steps:
        response = client.open(path, method=method, json=body, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(
                f"{method} {path}: {response.status_code} {response.text}"
            )
    return {"token": token}


def _create() -> t.Any:
    _configure()
    from privacyidea.app import create_app

    return create_app("production", silent=True)


def _fresh() -> t.Any:
    bench_data.fresh_copy()
    return _create()


# At setup, setup() builds the app once the configuration is written.
app = None
if "BENCH_APP_DIR" in os.environ and not os.environ.get("BENCH_APP_SETUP"):
    app = _fresh()
