"""``flaskrs bench``: the user's own app timed on the real Flask and on flaskrs.

The measuring happens in :mod:`flaskrs._bench_worker`, run once per
framework in a fresh interpreter; this side reads the requests file, starts
the two runs one after the other (so they do not compete for the CPU),
checks that both answered alike and prints the comparison.
"""

from __future__ import annotations

import json
import math
import os
import sys
import typing as t

import click

_HELP = """\
Time the app on the real Flask and on flaskrs, and compare them.

The app (--app, as for the other commands) is loaded twice, each time in a
fresh process: once on the real Flask, and once on flaskrs through the flask
alias, so that its 'import flask' loads flaskrs (and on the Flask run, an
app that imports flaskrs gets the real Flask). Both get the same requests,
sent in process without a server; each request is warmed up, then repeated
for --seconds of CPU time. The table shows the median CPU time per request
in microseconds, the speed-up of flaskrs over Flask, and the geometric mean
of the speed-ups.

Both frameworks must answer each request with the same status and body. A
request answered differently is reported, left out of the mean, and makes
the exit status 1. (When a body changes from one call to the next, such as
a clock, only the status is compared.)

By default every GET route without URL arguments is requested. With
--requests FILE, each line of FILE is one request:

\b
    GET /path
    GET /search?q=word
    POST /echo {"message": "hi"}

a method, a path starting with '/' (with a query string if wanted) and,
optionally, a JSON body, sent with 'Content-Type: application/json'. Blank
lines and lines starting with '#' are skipped. Requests are independent: no
cookies are carried from one to the next.
"""

_FRAMEWORKS = ("flask", "flaskrs")

# Run by path, so that the Flask run does not import the flaskrs package; not
# as ``python path``, which would put this package's folder (with its
# ``json`` and ``typing``) first on sys.path. ``-c`` puts the working
# directory there, as the ``flask`` command has it.
_WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_bench_worker.py")
_START_WORKER = "import runpy, sys; runpy.run_path(sys.argv[1], run_name='__main__')"


def parse_requests(text: str, source: str) -> list[list[t.Any]]:
    """The requests of a ``--requests`` file, as the workers take them."""
    requests: list[list[t.Any]] = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 2)
        if len(parts) < 2 or not parts[0].isalpha() or not parts[1].startswith("/"):
            raise click.ClickException(
                f"{source}:{number}: expected 'METHOD /path [JSON body]', got {line!r}"
            )
        body = parts[2] if len(parts) == 3 else None
        if body is not None:
            try:
                json.loads(body)
            except ValueError as e:
                raise click.ClickException(
                    f"{source}:{number}: the body is not JSON ({e}): {body!r}"
                ) from e
        requests.append([parts[0].upper(), parts[1], body])
    return requests


def _run(
    framework: str,
    app: str | None,
    requests: list[list[t.Any]] | None,
    seconds: float,
) -> dict[str, t.Any]:
    # Imported here: ``import flaskrs`` loads the CLI, hence this module, and
    # subprocess (with signal) is a noticeable share of that import.
    import subprocess

    job = {"framework": framework, "app": app, "requests": requests, "seconds": seconds}
    # The worker's stderr is left to the terminal: its progress and whatever
    # the app prints show up as they happen.
    # Without the FLASKRS_AS_FLASK switch: under it the Flask run would import
    # flaskrs and compare flaskrs with itself.
    env = {k: v for k, v in os.environ.items() if k != "FLASKRS_AS_FLASK"}
    process = subprocess.run(
        [sys.executable, "-c", _START_WORKER, _WORKER],
        input=json.dumps(job),
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        report: dict[str, t.Any] = json.loads(process.stdout)
    except ValueError:
        raise click.ClickException(
            f"the {framework} run failed (exit status {process.returncode});"
            " its error is above"
        ) from None
    if "error" in report:
        raise click.ClickException(report["error"])
    return report


def _difference(on_flask: dict[str, t.Any], on_flaskrs: dict[str, t.Any]) -> str | None:
    """Why the two answers to one request disagree, or ``None``."""
    for framework, result in zip(_FRAMEWORKS, (on_flask, on_flaskrs)):
        if "error" in result:
            return f"raised on {framework}:\n{result['error'].rstrip()}"
    if on_flask["status"] != on_flaskrs["status"]:
        return (
            f"status {on_flask['status']!r} on flask,"
            f" {on_flaskrs['status']!r} on flaskrs"
        )
    if on_flask["varies"] or on_flaskrs["varies"]:
        return None
    if on_flask["sha256"] != on_flaskrs["sha256"]:
        return (
            f"body {on_flask['head']} ({on_flask['length']} bytes) on flask,"
            f" {on_flaskrs['head']} ({on_flaskrs['length']} bytes) on flaskrs"
        )
    return None


def _microseconds(result: dict[str, t.Any]) -> str:
    return f"{result['seconds'] * 1e6:.1f}" if "seconds" in result else "-"


def report(
    seconds: float, flask_run: dict[str, t.Any], flaskrs_run: dict[str, t.Any]
) -> bool:
    """Print the comparison; whether every request got the same answer."""
    click.echo(
        f"flask {flask_run['version']} vs flaskrs {flaskrs_run['version']}:"
        f" median CPU time per request, {seconds:g} s per route"
    )
    rows: list[tuple[str, str, str, str]] = []
    speed_ups: list[float] = []
    disagreements: list[str] = []
    notes: list[str] = []
    for request, on_flask, on_flaskrs in zip(
        flask_run["requests"], flask_run["results"], flaskrs_run["results"]
    ):
        label = f"{request[0]} {request[1]}"
        times = (_microseconds(on_flask), _microseconds(on_flaskrs))
        problem = _difference(on_flask, on_flaskrs)
        if problem is not None:
            disagreements.append(f"  {label}: {problem}")
            rows.append((label, *times, "DIFFERS"))
            continue
        if on_flask["varies"] or on_flaskrs["varies"]:
            notes.append(f"  {label}: the body changes between calls; status only")
        speed_up = on_flask["seconds"] / on_flaskrs["seconds"]
        speed_ups.append(speed_up)
        rows.append((label, *times, f"{speed_up:.2f}x"))

    width = max(len("route"), *(len(row[0]) for row in rows))
    click.echo(
        f"{'route':<{width}}  {'flask us':>10}  {'flaskrs us':>10}  {'speed-up':>8}"
    )
    for label, flask_us, flaskrs_us, speed_up in rows:
        click.echo(f"{label:<{width}}  {flask_us:>10}  {flaskrs_us:>10}  {speed_up:>8}")
    if notes:
        click.echo("compared on status only:")
        click.echo("\n".join(notes))
    if disagreements:
        click.echo(
            f"{len(disagreements)} of {len(rows)} requests answered differently"
            " on flask and flaskrs (left out of the mean):"
        )
        click.echo("\n".join(disagreements))
    if speed_ups:
        mean = math.exp(sum(map(math.log, speed_ups)) / len(speed_ups))
        routes = "route" if len(speed_ups) == 1 else "routes"
        click.echo(
            f"geometric mean speed-up: {mean:.2f}x over {len(speed_ups)} {routes}"
        )
    else:
        click.echo("geometric mean speed-up: none, no route answered alike")
    return not disagreements


def _app_from_group(ctx: click.Context) -> str | None:
    # Imported late: cli.py imports this module to register the command.
    from .cli import ScriptInfo

    info = ctx.find_object(ScriptInfo)
    if info is not None and info.app_import_path:
        return info.app_import_path
    # Run on its own (python -m flaskrs._bench) there is no group to have
    # read the variable.
    return os.environ.get("FLASK_APP") or None


@click.command(
    "bench", help=_HELP, short_help="Compare the app's speed on Flask and flaskrs."
)
@click.option(
    "-A",
    "--app",
    "app",
    metavar="IMPORT",
    help="The app, as the group's --app takes it (module, 'module:name',"
    " 'module:create_app()', or a .py file). Default: the group's --app.",
)
@click.option(
    "--requests",
    "requests_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Replay the requests listed in this file instead of the GET routes.",
)
@click.option(
    "--seconds",
    type=click.FloatRange(min=0, min_open=True),
    default=0.2,
    show_default=True,
    help="CPU time spent timing each request on each framework.",
)
@click.pass_context
def bench_command(
    ctx: click.Context, app: str | None, requests_file: str | None, seconds: float
) -> None:
    if app is None:
        app = _app_from_group(ctx)
    requests = None
    if requests_file is not None:
        with open(requests_file, encoding="utf-8") as f:
            requests = parse_requests(f.read(), requests_file)
        if not requests:
            raise click.ClickException(f"{requests_file} lists no request")

    flask_run = _run("flask", app, requests, seconds)
    if not flask_run["requests"]:
        raise click.ClickException(
            "the app has no GET route without URL arguments to request;"
            " list the requests in a file and pass it with --requests"
        )
    # The flaskrs run replays exactly what the Flask run did, whatever its
    # own url_map lists: a route it lacks then shows up as a difference.
    flaskrs_run = _run("flaskrs", app, flask_run["requests"], seconds)
    if not report(seconds, flask_run, flaskrs_run):
        ctx.exit(1)


if __name__ == "__main__":
    bench_command(prog_name="flaskrs bench")
