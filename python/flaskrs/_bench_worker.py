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
     "seconds": 0.2,
     "requests": [[method, path, json_text | null, [[name, value], ...]?], ...]
                 | null,
     "profile": false, "helpers": ["stdlib", ...]}

(``requests`` null: every GET route without arguments) and writes one JSON
object to stdout: ``{"error": "..."}`` when the app could not be loaded, else
the framework's version, the requests it replayed and one result for each.
With ``profile``, each result also has ``"profile"``: the share of the
route's CPU time spent in each package, from a profiled pass of its own
after the timed one, both by self time (``"self"``) and with the time of
the ``helpers`` packages counted for their callers (``"on_behalf"``).
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
import re
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
# A profiled pass makes at least this many calls, however slow the route:
# cProfile counts every call, so a few already give stable shares.
_MIN_PROFILED_CALLS = 20

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


def _caller(
    app: t.Any,
    method: str,
    path: str,
    json_text: str | None,
    headers: list[list[str]] | None = None,
) -> Call:
    from werkzeug.test import EnvironBuilder

    host = app.config.get("SERVER_NAME") or "localhost"
    options: dict[str, t.Any] = {}
    if json_text is not None:
        options["json"] = json.loads(json_text)
    builder = EnvironBuilder(
        path=path,
        method=method,
        base_url=f"http://{host}/",
        headers=[(name, value) for name, value in headers or ()],
        **options,
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


# A function as cProfile names it: (file, line, name); built-in functions
# have the file "~" and say their module, if any, in the name.
_Function = tuple[str, int, str]
_BUILTIN = re.compile(
    r"<built-in method (?P<function>[\w.]+)\.\w+>"
    r"|<method '\w+' of '(?P<type>[\w.]+)\.\w+' objects>"
)
# Time spent in the worker itself (the loop, the fake server's
# start_response) is nobody's and left out of the shares.
_HARNESS = "(harness)"


class _Packages:
    """Whose time a profiled function's self time is: the app's, a
    package's (by its distribution's name: ``werkzeug``, ``flask-cors``),
    the standard library's (``stdlib``) or, for a file none of these own,
    ``other``.

    A Python function belongs to the package of its file, found from the
    modules loaded (``__file__`` and, for packages, ``__path__``) and, for
    a file no module claims (a template, a module since removed), from where
    it lies: under the app's root path, in site-packages, or in the
    standard library. A built-in function of a package's own extension
    module (flaskrs's ``_core``, MarkupSafe's speedups) belongs to that
    package. Other built-ins (``len``, ``dict.get``, ``re.Pattern.match``)
    and code without a file (``<string>``) count for the code that called
    them: a ``str.join`` in Werkzeug is Werkzeug's work.
    """

    def __init__(self, app: t.Any) -> None:
        import sysconfig

        # The app's modules: its own package or module, wherever it lies.
        self._app = str(app.import_name).partition(".")[0]
        self._distributions = importlib.metadata.packages_distributions()
        self._harness = {os.path.abspath(__file__)}
        self._stdlib_names = set(getattr(sys, "stdlib_module_names", ()))
        self._stdlib_names.update(sys.builtin_module_names)
        # Directories claimed by a package or by the app, longest first so
        # that a package inside the app's folder is that package; None
        # marks a site-packages folder, whose next path part names a package.
        self._fixed: list[tuple[str, str | None]] = [(app.root_path, "app")]
        paths = sysconfig.get_paths()
        for key in ("stdlib", "platstdlib"):
            self._fixed.append((paths[key], "stdlib"))
        for key in ("purelib", "platlib"):
            self._fixed.append((paths[key], None))
        self._files: dict[str, str] = {}
        self._folders: list[tuple[str, str | None]] = []
        self._modules_seen = -1

    def _label(self, top: str) -> str:
        """The package of a top-level module name."""
        if top == self._app:
            return "app"
        if top in self._stdlib_names:
            return "stdlib"
        names = self._distributions.get(top, [])
        if len(names) == 1:
            # As pip and PyPI spell it (PEP 503): "Flask" is "flask".
            return re.sub(r"[-_.]+", "-", names[0]).lower()
        # A local package, or a namespace shared by several distributions.
        return top

    def _refresh(self) -> None:
        # Routes import lazily: look again whenever modules were added.
        modules = list(sys.modules.values())
        if len(modules) == self._modules_seen:
            return
        self._modules_seen = len(modules)
        folders = list(self._fixed)
        for module in modules:
            # By the module's own name, not its key: under the alias
            # sys.modules["flask"] is flaskrs, and on the Flask run
            # sys.modules["flaskrs"] is Flask.
            name = getattr(module, "__name__", None)
            file = getattr(module, "__file__", None)
            if not isinstance(name, str) or not isinstance(file, str):
                continue
            label = self._label(name.partition(".")[0])
            self._files[os.path.abspath(file)] = label
            path = getattr(module, "__path__", None)
            if "." not in name and path is not None:
                folders.extend((folder, label) for folder in path)
        self._folders = sorted(
            ((os.path.abspath(folder), label) for folder, label in folders),
            key=lambda item: len(item[0]),
            reverse=True,
        )

    def _of_file(self, file: str) -> str | None:
        if file.startswith("<frozen "):
            return "stdlib"
        if file.startswith("<") or file == "~":
            return None
        path = os.path.abspath(file)
        if path in self._harness:
            return _HARNESS
        label = self._files.get(path)
        if label is not None:
            return label
        for folder, owner in self._folders:
            if path.startswith(folder + os.sep):
                if owner is not None:
                    return owner
                top = path[len(folder) + 1 :].split(os.sep)[0]
                return self._label(top.partition(".")[0])
        return "other"

    def _own(self, function: _Function) -> str | None:
        """The package a function's self time belongs to, or None: its
        callers'."""
        file, _, name = function
        if file != "~":
            return self._of_file(file)
        found = _BUILTIN.fullmatch(name)
        if found is None:
            return None
        module_name = found.group("function") or found.group("type")
        module_file = getattr(sys.modules.get(module_name), "__file__", None)
        if not isinstance(module_file, str):
            # Built into the interpreter.
            return None
        label = self._of_file(module_file)
        return None if label == "stdlib" else label

    def _owner(
        self,
        function: _Function,
        stats: dict[_Function, t.Any],
        helpers: t.Container[str] = (),
    ) -> str:
        """The package of a function or, when it has none of its own or it
        is a helper's, of its busiest caller's."""
        seen = set()
        while function not in seen:
            seen.add(function)
            label = self._own(function)
            if label is not None and label not in helpers:
                return label
            callers: dict[_Function, t.Any] = stats.get(function, (0, 0, 0, 0, {}))[4]
            if not callers:
                # Called straight from the profiled loop, which cProfile
                # does not list as a caller.
                return _HARNESS
            function = max(callers, key=lambda caller: callers[caller][2])
        # Only callers already followed: recursion with no way out.
        return "other"

    def shares(
        self, stats: dict[_Function, t.Any], helpers: t.Container[str] = ()
    ) -> dict[str, float]:
        """Each package's share of the self time in ``pstats`` stats.

        The time of the ``helpers`` packages counts for their callers', as
        that of built-in functions does: with ``stdlib`` among them, the
        ``json.dumps`` of a framework's ``jsonify`` is the framework's time.
        """
        self._refresh()
        seconds: dict[str, float] = {}
        for function, (_, _, self_time, _, callers) in stats.items():
            label = self._own(function)
            if label is not None and label not in helpers:
                seconds[label] = seconds.get(label, 0.0) + self_time
                continue
            # Split among the callers by the time spent on behalf of each.
            spread = sum(timing[2] for timing in callers.values())
            if spread <= 0:
                label = self._owner(function, stats, helpers)
                seconds[label] = seconds.get(label, 0.0) + self_time
                continue
            for caller, timing in callers.items():
                label = self._owner(caller, stats, helpers)
                share = self_time * timing[2] / spread
                seconds[label] = seconds.get(label, 0.0) + share
        seconds.pop(_HARNESS, None)
        total = sum(seconds.values())
        if total <= 0:
            return {}
        return {label: value / total for label, value in seconds.items()}


def _profile(
    call: Call, seconds: float, packages: _Packages, helpers: list[str]
) -> dict[str, dict[str, float]]:
    """The share of each package in the self time of the calls, profiled
    apart from the timed pass (cProfile's cost per Python call would
    inflate the times, so only the shares are taken from it): as ``self``,
    and ``on_behalf``, with the ``helpers`` packages' time given to their
    callers."""
    import cProfile
    import pstats

    clock = time.process_time
    profiler = cProfile.Profile()
    calls = 0
    profiler.enable()
    try:
        deadline = clock() + seconds
        while calls < _MIN_PROFILED_CALLS or clock() < deadline:
            call()
            calls += 1
    finally:
        profiler.disable()
    stats: dict[_Function, t.Any] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    return {
        "self": packages.shares(stats),
        "on_behalf": packages.shares(stats, frozenset(helpers)),
    }


def _measure(
    app: t.Any,
    request: list[t.Any],
    seconds: float,
    packages: _Packages | None,
    helpers: list[str],
) -> dict[str, t.Any]:
    method, path, json_text, *headers = request
    shares = None
    try:
        call = _caller(app, method, path, json_text, *headers)
        status, body = call()
        # Only the checked call may log: an erroring route would otherwise
        # print a traceback for every timed call.
        logging.disable(logging.CRITICAL)
        try:
            seconds_per_call, calls = _time(call, seconds)
            last_status, last_body = call()
            if packages is not None:
                shares = _profile(call, seconds, packages, helpers)
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
    if shares is not None:
        first["profile"] = shares
    return first


def run(job: dict[str, t.Any]) -> dict[str, t.Any]:
    framework = job["framework"]
    app_path = job.get("app")
    print(f"{framework}: loading {app_path or 'wsgi.py or app.py'}", file=sys.stderr)
    app = _load_app(framework, app_path)
    requests = job.get("requests")
    if requests is None:
        requests = default_requests(app)
    packages = _Packages(app) if job.get("profile") else None
    results = []
    for number, request in enumerate(requests, 1):
        method, path = request[:2]
        print(
            f"{framework}: route {number}/{len(requests)} {method} {path}",
            file=sys.stderr,
            flush=True,
        )
        results.append(
            _measure(app, request, job["seconds"], packages, job.get("helpers", []))
        )
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
