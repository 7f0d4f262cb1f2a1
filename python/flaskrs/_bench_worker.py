"""One side of ``flaskrs bench``: load the app on one framework and time it.

The parent runs this file twice, once for the real Flask and once for
flaskrs, each in its own interpreter: the alias refuses to start once the
real Flask is imported, and a separate process keeps each run's imports,
caches and garbage out of the other's measurements. It is run by path, not
as ``flaskrs._bench_worker``, so that the Flask run never imports flaskrs:
there ``import flaskrs`` (an app written against flaskrs) loads the real
Flask instead.

It reads the job from stdin as JSON::

    {"framework": "flask" | "flaskrs", "app": "<--app value>" | null,
     "seconds": 0.2, "requests": [[method, path, json_text | null], ...] | null}

(``requests`` null: every GET route without arguments) and writes one JSON
object to stdout: ``{"error": "..."}`` when the app could not be loaded, else
the framework's version, the requests it replayed and one result for each.
Progress goes to stderr.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.metadata
import importlib.util
import io
import json
import logging
import os
import statistics
import sys
import time
import traceback
import types
import typing as t

# Each route's budget is spent in about this many timed batches, of which
# the median is reported: enough samples that a garbage collection or a
# scheduler hiccup in one batch does not move the result.
_BATCHES = 20
_MIN_BATCHES = 5
_MIN_WARMUP_CALLS = 3

Call = t.Callable[[], tuple[str, bytes]]


class _Failure(Exception):
    """Ends the run with a message for the user instead of results."""


class _FlaskrsIsFlask(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """On the Flask run, ``flaskrs`` and ``flaskrs.X`` are the ``flask``
    modules, so that an app importing flaskrs runs on the real Flask."""

    def __init__(self) -> None:
        self._specs: dict[str, t.Any] = {}

    def find_spec(
        self,
        fullname: str,
        path: t.Sequence[str] | None = None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != "flaskrs" and not fullname.startswith("flaskrs."):
            return None
        real = "flask" + fullname[len("flaskrs") :]
        if importlib.util.find_spec(real) is None:
            # Not None: the next finder would load the real flaskrs.
            raise ModuleNotFoundError(
                f"No module named {fullname!r} (on the Flask run of flaskrs"
                f" bench, flaskrs is Flask, which has no {real!r})",
                name=fullname,
            )
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = importlib.import_module("flask" + spec.name[len("flaskrs") :])
        # The import system overwrites __spec__ of the module it is handed;
        # the flask module keeps its own.
        self._specs[spec.name] = module.__spec__
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        module.__spec__ = self._specs.pop(t.cast(t.Any, module.__spec__).name)


def _load_app(framework: str, app_path: str | None) -> t.Any:
    if framework == "flaskrs":
        # Before anything imports flask, so that the app's ``import flask``
        # (and every extension's) loads flaskrs.
        alias = importlib.import_module("flaskrs.alias")
        alias.enable()
    try:
        flask = importlib.import_module("flask")
    except ImportError as e:
        if framework == "flaskrs":
            raise
        raise _Failure(
            "the real Flask is not installed: pip install flask==3.1.3"
            f"\n(import flask: {e})"
        ) from e
    if framework == "flask":
        if flask.__name__ != "flask":
            raise _Failure(
                "'import flask' loads flaskrs in this environment (is the"
                " flaskrs alias enabled by a sitecustomize or .pth file?), so"
                " the real Flask cannot be measured"
            )
        sys.meta_path.insert(0, _FlaskrsIsFlask())
    script_info = importlib.import_module("flask.cli").ScriptInfo
    try:
        app = script_info(app_import_path=app_path).load_app()
    except Exception as e:
        # A NoAppException is a click error with a message meant for the
        # user; anything else is the app's own failure, so show where.
        shown = getattr(e, "format_message", None)
        detail = shown() if shown is not None else traceback.format_exc()
        raise _Failure(f"could not load the app on {framework}: {detail}") from e
    return app


def default_requests(app: t.Any) -> list[list[t.Any]]:
    """A GET for each route that can be requested without inventing values."""
    requests: list[list[t.Any]] = []
    seen: set[str] = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.arguments or "GET" not in rule.methods:
            continue
        if rule.rule in seen:
            continue
        seen.add(rule.rule)
        requests.append(["GET", rule.rule, None])
    return requests


def _caller(app: t.Any, method: str, path: str, json_text: str | None) -> Call:
    from werkzeug.test import EnvironBuilder

    host = app.config.get("SERVER_NAME") or "localhost"
    options: dict[str, t.Any] = {}
    if json_text is not None:
        options["json"] = json.loads(json_text)
    builder = EnvironBuilder(
        path=path, method=method, base_url=f"http://{host}/", **options
    )
    try:
        template = builder.get_environ()
    finally:
        builder.close()
    body = template["wsgi.input"].read()

    def call() -> tuple[str, bytes]:
        # Apps mutate the environ and consume its input: a fresh copy each
        # time, as a server would hand over.
        environ = dict(template)
        environ["wsgi.input"] = io.BytesIO(body)
        status: list[str] = []
        written: list[bytes] = []

        def start_response(
            status_line: str, headers: t.Any, exc_info: t.Any = None
        ) -> t.Callable[[bytes], object]:
            status[:] = [status_line]
            return written.append

        result = app(environ, start_response)
        try:
            # Iterating is part of the work: streamed bodies run here.
            written.extend(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        return status[0], b"".join(written)

    return call


def _time(call: Call, seconds: float) -> tuple[float, int]:
    """Median CPU seconds per call, and how many calls were timed."""
    clock = time.process_time
    start = clock()
    calls = 0
    while calls < _MIN_WARMUP_CALLS or clock() - start < seconds / 10:
        call()
        calls += 1
    per_call = (clock() - start) / calls
    # Batches long enough for the clock's resolution, short enough that
    # there are many of them.
    batch = max(1, int(seconds / _BATCHES / per_call)) if per_call > 0 else 1000
    samples: list[float] = []
    deadline = clock() + seconds
    while len(samples) < _MIN_BATCHES or clock() < deadline:
        began = clock()
        for _ in range(batch):
            call()
        samples.append((clock() - began) / batch)
    return statistics.median(samples), batch * len(samples)


def _describe(status: str, body: bytes) -> dict[str, t.Any]:
    return {
        "status": status,
        "sha256": hashlib.sha256(body).hexdigest(),
        "length": len(body),
        "head": repr(body[:60]),
    }


def _measure(app: t.Any, request: list[t.Any], seconds: float) -> dict[str, t.Any]:
    method, path, json_text = request
    try:
        call = _caller(app, method, path, json_text)
        status, body = call()
        # Only the checked call may log: an erroring route would otherwise
        # print a traceback for every timed call.
        logging.disable(logging.CRITICAL)
        try:
            seconds_per_call, calls = _time(call, seconds)
            last_status, last_body = call()
        finally:
            logging.disable(logging.NOTSET)
    except Exception:
        return {"error": traceback.format_exc(limit=-3)}
    first = _describe(status, body)
    # A body that changes from call to call (a clock, a counter) cannot be
    # compared with the other framework's.
    first["varies"] = _describe(last_status, last_body) != first
    first["seconds"] = seconds_per_call
    first["calls"] = calls
    return first


def run(job: dict[str, t.Any]) -> dict[str, t.Any]:
    framework = job["framework"]
    app_path = job.get("app")
    print(f"{framework}: loading {app_path or 'wsgi.py or app.py'}", file=sys.stderr)
    app = _load_app(framework, app_path)
    requests = job.get("requests")
    if requests is None:
        requests = default_requests(app)
    results = []
    for number, request in enumerate(requests, 1):
        method, path, _ = request
        print(
            f"{framework}: route {number}/{len(requests)} {method} {path}",
            file=sys.stderr,
            flush=True,
        )
        results.append(_measure(app, request, job["seconds"]))
    return {
        "version": importlib.metadata.version(framework),
        "requests": requests,
        "results": results,
    }


def main() -> int:
    job = json.load(sys.stdin)
    # The report owns stdout; whatever the app prints, even from C code,
    # goes to stderr with the progress.
    report_stream = os.fdopen(os.dup(1), "w", encoding="utf-8")
    sys.stdout.flush()
    os.dup2(2, 1)
    try:
        report = run(job)
        code = 0
    except _Failure as e:
        report = {"error": str(e)}
        code = 1
    with report_stream:
        json.dump(report, report_stream)
    return code


if __name__ == "__main__":
    sys.exit(main())
