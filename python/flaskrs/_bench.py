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
import re
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
cookies are carried from one to the next. A request's headers, such as a
logged-in session's cookie or a token, follow it on indented lines of their
own, one 'Name: value' a line:

\b
    GET /account
      Cookie: session=eyJ1c2VyIjoiYWRtaW4ifQ.Zx
      Accept-Language: de

With --profile, each request is then run again under cProfile, apart from
the timing, and a second table shows where its CPU time goes on each
framework: the share of self time spent in the app, in each installed
package (by distribution name), in the standard library and elsewhere
('other'). A built-in function counts for the code that called it, except
those of a package's own extension module (flaskrs's Rust core counts as
flaskrs). It also shows the ceiling: the speed-up the request would get if
the framework (flask or flaskrs, and werkzeug, with the standard library,
itsdangerous, blinker and markupsafe work they call) cost nothing, that is
Flask's time divided by Flask's time outside the framework, next to the
measured speed-up. The profile only gives shares; the times stay the
unprofiled ones.

With --html FILE, the results (and the profile, which --html turns on) are
also written to FILE as a self-contained HTML page with charts.
"""

FRAMEWORKS = ("flask", "flaskrs")
# The packages a ceiling assumes away: what switching frameworks replaces.
FRAMEWORK_PACKAGES = {
    "flask": ("flask", "werkzeug"),
    "flaskrs": ("flaskrs", "werkzeug"),
}
# For the framework's share, the time of these counts for their caller's:
# the standard library's json.dumps under jsonify, or itsdangerous signing
# Flask's session cookie, are the framework's work (the same functions
# called by the app are the app's). Jinja2 is not among them: rendering is
# the app's templates' work, and flaskrs renders with Jinja2 as Flask does.
HELPERS = ("stdlib", "itsdangerous", "blinker", "markupsafe")
# Shares below this are summed into "rest" in the text table.
_SMALLEST_SHOWN = 0.005
_MOST_SHOWN = 6


class Row(t.NamedTuple):
    """One request's results on both frameworks."""

    label: str
    #: CPU seconds per request, None when it raised.
    flask_seconds: float | None
    flaskrs_seconds: float | None
    #: None when the two answered differently.
    speed_up: float | None
    #: Each framework's share of self time per package (--profile), or None.
    flask_shares: dict[str, float] | None
    flaskrs_shares: dict[str, float] | None
    #: The same with the HELPERS' time counted for their callers.
    flask_on_behalf: dict[str, float] | None = None
    flaskrs_on_behalf: dict[str, float] | None = None

    def framework_share(self, framework: str) -> float | None:
        """The framework's share, with the helpers' work done for it."""
        shares = (
            self.flask_on_behalf if framework == "flask" else self.flaskrs_on_behalf
        )
        if not shares:
            return None
        return sum(shares.get(name, 0.0) for name in FRAMEWORK_PACKAGES[framework])

    @property
    def ceiling(self) -> float | None:
        """Flask's time over Flask's time outside the framework: the speed-up
        if the framework cost nothing."""
        share = self.framework_share("flask")
        if share is None:
            return None
        rest = 1.0 - share
        return math.inf if rest < 1e-9 else 1.0 / rest


# Run by path, so that the Flask run does not import the flaskrs package; not
# as ``python path``, which would put this package's folder (with its
# ``json`` and ``typing``) first on sys.path. ``-c`` puts the working
# directory there, as the ``flask`` command has it.
_WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_bench_worker.py")
_START_WORKER = "import runpy, sys; runpy.run_path(sys.argv[1], run_name='__main__')"


# An indented 'Name: value' line: a header of the request above it.
_HEADER = re.compile(r"\s+(?P<name>[!#$%&'*+.^_`|~0-9A-Za-z-]+):\s*(?P<value>.*)")


def parse_requests(text: str, source: str) -> list[list[t.Any]]:
    """The requests of a ``--requests`` file, as the workers take them:
    ``[method, path, json_text | None]``, with a fourth item, the list of
    ``[name, value]`` headers, when the file gives the request any."""
    requests: list[list[t.Any]] = []
    for number, raw in enumerate(text.splitlines(), 1):
        header = _HEADER.fullmatch(raw.rstrip())
        if header is not None:
            if not requests:
                raise click.ClickException(
                    f"{source}:{number}: a header before any request: {raw.strip()!r}"
                )
            if len(requests[-1]) == 3:
                requests[-1].append([])
            requests[-1][3].append([header["name"], header["value"]])
            continue
        line = raw.strip()
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
    profile: bool = False,
) -> dict[str, t.Any]:
    # Imported here: ``import flaskrs`` loads the CLI, hence this module, and
    # subprocess (with signal) is a noticeable share of that import.
    import subprocess

    job = {
        "framework": framework,
        "app": app,
        "requests": requests,
        "seconds": seconds,
        "profile": profile,
        "helpers": HELPERS,
    }
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
    for framework, result in zip(FRAMEWORKS, (on_flask, on_flaskrs)):
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


def geometric_mean(values: list[float]) -> float:
    return math.exp(sum(map(math.log, values)) / len(values))


def times(x: float) -> str:
    """A speed-up as the tables show it."""
    if math.isinf(x):
        return "inf"
    # A ceiling of 1923.80x says no more than 1924x.
    return f"{x:.0f}x" if x >= 100 else f"{x:.2f}x"


def compare(
    flask_run: dict[str, t.Any], flaskrs_run: dict[str, t.Any]
) -> tuple[list[Row], list[str], list[str]]:
    """The rows, the disagreements and the notes on bodies that vary."""
    rows: list[Row] = []
    disagreements: list[str] = []
    notes: list[str] = []
    for request, on_flask, on_flaskrs in zip(
        flask_run["requests"], flask_run["results"], flaskrs_run["results"]
    ):
        label = f"{request[0]} {request[1]}"
        problem = _difference(on_flask, on_flaskrs)
        speed_up = None
        if problem is not None:
            disagreements.append(f"  {label}: {problem}")
        else:
            if on_flask["varies"] or on_flaskrs["varies"]:
                notes.append(f"  {label}: the body changes between calls; status only")
            speed_up = on_flask["seconds"] / on_flaskrs["seconds"]
        profiles = [result.get("profile") or {} for result in (on_flask, on_flaskrs)]
        rows.append(
            Row(
                label,
                on_flask.get("seconds"),
                on_flaskrs.get("seconds"),
                speed_up,
                profiles[0].get("self"),
                profiles[1].get("self"),
                profiles[0].get("on_behalf"),
                profiles[1].get("on_behalf"),
            )
        )
    return rows, disagreements, notes


def _shares_text(shares: dict[str, float]) -> str:
    ranked = sorted(shares.items(), key=lambda item: (-item[1], item[0]))
    shown = [
        (name, share)
        for name, share in ranked[:_MOST_SHOWN]
        if share >= _SMALLEST_SHOWN
    ]
    rest = 1.0 - sum(share for _, share in shown)
    # Shown from 0.05% on, so that the line adds up to 100 as printed.
    if rest >= 0.0005:
        shown.append(("rest", rest))
    return "  ".join(f"{name} {share * 100:.1f}" for name, share in shown)


def _report_profile(rows: list[Row]) -> None:
    flask_framework, flaskrs_framework = (
        " + ".join(FRAMEWORK_PACKAGES[framework]) for framework in FRAMEWORKS
    )
    click.echo(
        "\nCPU share by package, in % of self time (cProfile, in a pass of its"
        f" own). Framework: {flask_framework} on flask, {flaskrs_framework}"
        f" on flaskrs, with the work of {', '.join(HELPERS)} they call."
        " Ceiling: the speed-up if Flask's framework cost nothing."
    )
    width = max(len(row.label) for row in rows)
    shares: dict[str, list[float]] = {framework: [] for framework in FRAMEWORKS}
    ceilings: list[float] = []
    speed_ups: list[float] = []
    for row in rows:
        ceiling = row.ceiling
        if ceiling is None or row.flaskrs_shares is None:
            click.echo(f"{row.label}: not profiled (it raised)")
            continue
        for framework in FRAMEWORKS:
            shares[framework].append(t.cast(float, row.framework_share(framework)))
        speed_up = "DIFFERS" if row.speed_up is None else times(row.speed_up)
        click.echo(
            f"{row.label:<{width}}  speed-up {speed_up}, ceiling {times(ceiling)}"
            f" (framework {shares['flask'][-1] * 100:.1f}% on flask,"
            f" {shares['flaskrs'][-1] * 100:.1f}% on flaskrs)"
        )
        click.echo(
            f"  flask    {_shares_text(t.cast(dict[str, float], row.flask_shares))}"
        )
        click.echo(f"  flaskrs  {_shares_text(row.flaskrs_shares)}")
        if row.speed_up is not None:
            ceilings.append(ceiling)
            speed_ups.append(row.speed_up)
    if ceilings:
        flask_share, flaskrs_share = (
            sum(shares[framework]) / len(shares[framework]) for framework in FRAMEWORKS
        )
        click.echo(
            f"overall: framework {flask_share * 100:.1f}% on flask,"
            f" {flaskrs_share * 100:.1f}% on flaskrs (mean over routes);"
            f" ceiling {times(geometric_mean(ceilings))},"
            f" measured {times(geometric_mean(speed_ups))} (geometric means)"
        )


def report(
    seconds: float, flask_run: dict[str, t.Any], flaskrs_run: dict[str, t.Any]
) -> tuple[bool, list[Row]]:
    """Print the comparison (and the profile, if there is one); whether every
    request got the same answer, and the rows."""
    click.echo(
        f"flask {flask_run['version']} vs flaskrs {flaskrs_run['version']}:"
        f" median CPU time per request, {seconds:g} s per route"
    )
    rows, disagreements, notes = compare(flask_run, flaskrs_run)
    width = max(len("route"), *(len(row.label) for row in rows))
    click.echo(
        f"{'route':<{width}}  {'flask us':>10}  {'flaskrs us':>10}  {'speed-up':>8}"
    )
    for row in rows:
        flask_us, flaskrs_us = (
            "-" if x is None else f"{x * 1e6:.1f}"
            for x in (row.flask_seconds, row.flaskrs_seconds)
        )
        speed_up = "DIFFERS" if row.speed_up is None else times(row.speed_up)
        click.echo(
            f"{row.label:<{width}}  {flask_us:>10}  {flaskrs_us:>10}  {speed_up:>8}"
        )
    if notes:
        click.echo("compared on status only:")
        click.echo("\n".join(notes))
    if disagreements:
        click.echo(
            f"{len(disagreements)} of {len(rows)} requests answered differently"
            " on flask and flaskrs (left out of the mean):"
        )
        click.echo("\n".join(disagreements))
    speed_ups = [row.speed_up for row in rows if row.speed_up is not None]
    if speed_ups:
        routes = "route" if len(speed_ups) == 1 else "routes"
        click.echo(
            f"geometric mean speed-up: {times(geometric_mean(speed_ups))} over"
            f" {len(speed_ups)} {routes}"
        )
    else:
        click.echo("geometric mean speed-up: none, no route answered alike")
    if any(row.flask_shares is not None for row in rows):
        _report_profile(rows)
    return not disagreements, rows


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
@click.option(
    "--profile",
    is_flag=True,
    help="Also show each request's share of CPU time per package, and the"
    " speed-up it would get if the framework cost nothing.",
)
@click.option(
    "--html",
    "html_file",
    type=click.Path(dir_okay=False, writable=True),
    help="Also write the results, with the profile, as an HTML page to this file.",
)
@click.pass_context
def bench_command(
    ctx: click.Context,
    app: str | None,
    requests_file: str | None,
    seconds: float,
    profile: bool,
    html_file: str | None,
) -> None:
    if app is None:
        app = _app_from_group(ctx)
    requests = None
    if requests_file is not None:
        with open(requests_file, encoding="utf-8") as f:
            requests = parse_requests(f.read(), requests_file)
        if not requests:
            raise click.ClickException(f"{requests_file} lists no request")

    # The page's charts of shares need the profile.
    profile = profile or html_file is not None
    flask_run = _run("flask", app, requests, seconds, profile)
    if not flask_run["requests"]:
        raise click.ClickException(
            "the app has no GET route without URL arguments to request;"
            " list the requests in a file and pass it with --requests"
        )
    # The flaskrs run replays exactly what the Flask run did, whatever its
    # own url_map lists: a route it lacks then shows up as a difference.
    flaskrs_run = _run("flaskrs", app, flask_run["requests"], seconds, profile)
    same, rows = report(seconds, flask_run, flaskrs_run)
    if html_file is not None:
        from ._bench_html import html_report

        page = html_report(
            f"flask {flask_run['version']} vs flaskrs {flaskrs_run['version']}",
            seconds,
            rows,
        )
        with open(html_file, "w", encoding="utf-8") as f:
            f.write(page)
        click.echo(f"wrote {html_file}")
    if not same:
        ctx.exit(1)


if __name__ == "__main__":
    bench_command(prog_name="flaskrs bench")
