"""What a bad session cookie costs a request, on Flask and on flaskrs.

The same app is written for each framework, with a route that reads the
session and one that never touches it, and is called straight through WSGI
with: no cookie, a valid cookie, 1.4 KB of garbage shaped like a cookie
(random base64 with two dots), an unsigned cookie of the same size whose
payload is zlib that would inflate to 1 MB, and the valid cookie with one
character of its payload changed. CPU time of this process, alternating
rounds, medians.

The last column is flaskrs's cost of each bad cookie over its cost of the
garbage one: a cookie that is not ours should cost about one signature
check, whatever it claims to hold. The goal is at most 2x for the unsigned
zlib cookie on both routes.

    python benches/bench_bad_cookies.py [--rounds 9] [--seconds 0.1]
"""

from __future__ import annotations

import argparse
import base64
import random
import statistics
import time
import typing as t
import zlib

import flask
from werkzeug.test import EnvironBuilder

import flaskrs

SECRET = "bench-secret"
ROUTES = ("/read", "/none")
GOAL = 2.0


def make_app(fw: t.Any) -> t.Any:
    app = fw.Flask("bad_cookies")
    app.secret_key = SECRET
    session = fw.session

    @app.get("/read")
    def read() -> str:
        return str(session.get("user_id"))

    @app.get("/none")
    def untouched() -> str:
        return "none"

    return app


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def cookies(app: t.Any) -> dict[str, str | None]:
    serializer = app.session_interface.get_signing_serializer(app)
    with app.app_context():
        valid = serializer.dumps({"user_id": 42, "username": "alice", "cart": [1, 2]})
    stamp = b64(int(time.time()).to_bytes(4, "big"))
    bomb = f".{b64(zlib.compress(bytes(1 << 20), 9))}.{stamp}.{'A' * 27}"
    rng = random.Random(0)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    noise = "".join(rng.choices(alphabet, k=len(bomb) - 35))
    garbage = f"{noise}.{stamp}.{'A' * 27}"
    at = len(valid) // 3
    tampered = valid[:at] + ("A" if valid[at] != "A" else "B") + valid[at + 1 :]
    return {
        "no cookie": None,
        "valid": valid,
        f"garbage {len(garbage) / 1000:.1f} KB": garbage,
        f"unsigned zlib {len(bomb) / 1000:.1f} KB -> 1 MB": bomb,
        "tampered": tampered,
    }


def _start(status: str, headers: t.Any, exc_info: t.Any = None) -> None:
    pass


def batch(app: t.Any, environ: dict[str, t.Any], count: int) -> float:
    """CPU seconds per request over ``count`` requests."""
    started = time.process_time()
    for _ in range(count):
        body = app.wsgi_app(environ.copy(), _start)
        b"".join(body)
        close = getattr(body, "close", None)
        if close is not None:
            close()
    return (time.process_time() - started) / count


def measure(
    apps: dict[str, t.Any], environ: dict[str, t.Any], rounds: int, seconds: float
) -> dict[str, float]:
    # Size each framework's batch to about `seconds`, then alternate.
    counts = {
        name: max(5, int(seconds / max(batch(app, environ, 5), 1e-7)))
        for name, app in apps.items()
    }
    times: dict[str, list[float]] = {name: [] for name in apps}
    order = list(apps)
    for _ in range(rounds):
        for name in order:
            times[name].append(batch(apps[name], environ, counts[name]))
        order.reverse()
    return {name: statistics.median(values) for name, values in times.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--seconds", type=float, default=0.1)
    args = parser.parse_args(argv)

    apps = {"flask": make_app(flask), "flaskrs": make_app(flaskrs)}
    samples = cookies(apps["flask"])
    garbage_name = next(name for name in samples if name.startswith("garbage"))
    zlib_name = next(name for name in samples if name.startswith("unsigned zlib"))
    width = max(len(name) for name in samples)
    print(
        f"{'route':7} {'cookie':{width}}  {'flask us':>9} {'flaskrs us':>11}"
        f"  {'flaskrs / garbage':>17}"
    )
    ratios = {}
    for route in ROUTES:
        base = EnvironBuilder(path=route).get_environ()
        results = {}
        for name, cookie in samples.items():
            environ = dict(base)
            if cookie is not None:
                environ["HTTP_COOKIE"] = f"session={cookie}"
            results[name] = measure(apps, environ, args.rounds, args.seconds)
        garbage = results[garbage_name]["flaskrs"]
        for name, result in results.items():
            bad = name not in ("no cookie", "valid")
            ratio = result["flaskrs"] / garbage
            if name == zlib_name:
                ratios[route] = ratio
            shown = f"{ratio:.2f}x" if bad else ""
            print(
                f"{route:7} {name:{width}}  {result['flask'] * 1e6:9.1f}"
                f" {result['flaskrs'] * 1e6:11.1f}  {shown:>17}"
            )
    met = all(ratio <= GOAL for ratio in ratios.values())
    spread = ", ".join(f"{route} {ratio:.2f}x" for route, ratio in ratios.items())
    print(
        f"goal: the unsigned zlib cookie costs at most {GOAL:g}x the garbage one: "
        f"{'met' if met else 'NOT met'} ({spread})"
    )
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
