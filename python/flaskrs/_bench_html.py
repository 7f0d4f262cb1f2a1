"""``flaskrs bench --html``: the results as one self-contained HTML page.

Inline CSS and inline SVG only, no script and nothing fetched, so the file
can be mailed or attached to an issue and opened anywhere. Every string
that comes from the app or its environment (routes, package names) is
escaped.
"""

from __future__ import annotations

import math
import typing as t
import zlib
from html import escape

from ._bench import FRAMEWORK_PACKAGES
from ._bench import FRAMEWORKS
from ._bench import geometric_mean
from ._bench import HELPERS
from ._bench import Row
from ._bench import times

# Fixed colours for the packages every report has, so that two reports
# read alike; any other package gets one from _SPARE by a hash of its name.
_COLOURS = {
    "app": "#4e79a7",
    "flask": "#e15759",
    "flaskrs": "#f28e2b",
    "werkzeug": "#b07aa1",
    "jinja2": "#59a14f",
    "markupsafe": "#8cd17d",
    "itsdangerous": "#edc948",
    "click": "#86bcb6",
    "blinker": "#ff9da7",
    "stdlib": "#9c755f",
    "other": "#bab0ac",
}
_SPARE = ("#76b7b2", "#d37295", "#a0cbe8", "#ffbe7d", "#d4a6c8", "#499894", "#fabfd2")

_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 2em; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { padding: 2px 8px; border-bottom: 1px solid #ddd; text-align: right; }
th:first-child, td:first-child { text-align: left; font-family: monospace; }
svg text { font: 12px monospace; fill: #222; }
.legend span { display: inline-block; margin-right: 1em; }
.legend i { display: inline-block; width: 0.9em; height: 0.9em; margin-right: 0.3em;
  vertical-align: -0.1em; }
.note { color: #555; max-width: 60em; }
"""

_CHAR = 7.3  # width of a 12px monospace character, for laying out labels
_LONGEST_LABEL = 48
_BAR_WIDTH = 480
_ROW = 22


def _colour(package: str) -> str:
    return _COLOURS.get(package) or _SPARE[zlib.crc32(package.encode()) % len(_SPARE)]


def _short(label: str) -> str:
    return label if len(label) <= _LONGEST_LABEL else label[: _LONGEST_LABEL - 1] + "…"


def _label_width(rows: list[Row]) -> float:
    longest = max((len(row.label) for row in rows), default=5)
    return min(_LONGEST_LABEL, longest) * _CHAR + 12


def _route_label(row: Row, x: float, y: float) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="end">'
        f"<title>{escape(row.label)}</title>{escape(_short(row.label))}</text>"
    )


def _speed_up_chart(rows: list[Row]) -> str:
    """A bar per route for the measured speed-up, the ceiling as a mark."""
    left = _label_width(rows)
    measured = [row.speed_up for row in rows if row.speed_up is not None]
    ceilings = [
        c for row in rows if (c := row.ceiling) is not None and not math.isinf(c)
    ]
    top = max([1.0, *measured])
    # A ceiling far beyond the measured speed-ups would squash every bar:
    # such a ceiling is drawn at the edge, its value written out.
    top = max([top, *(c for c in ceilings if c <= 4 * top)]) * 1.05
    scale = _BAR_WIDTH / top
    height = _ROW * len(rows) + 30
    width = left + _BAR_WIDTH + 220
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}"'
        f' height="{height}" role="img" aria-label="speed-up per route">'
    ]
    for i, row in enumerate(rows):
        y = i * _ROW + 4
        parts.append(_route_label(row, left - 8, y + 13))
        if row.speed_up is None:
            parts.append(f'<text x="{left + 4:.1f}" y="{y + 13}">differs</text>')
            continue
        bar = min(row.speed_up, top) * scale
        parts.append(
            f'<rect x="{left:.1f}" y="{y}" width="{bar:.1f}" height="16"'
            ' fill="#4e79a7">'
            f"<title>measured {times(row.speed_up)}</title></rect>"
        )
        ceiling = row.ceiling
        text = f"{times(row.speed_up)}"
        if ceiling is not None:
            mark = left + min(ceiling, top) * scale
            parts.append(
                f'<line x1="{mark:.1f}" x2="{mark:.1f}" y1="{y - 2}" y2="{y + 18}"'
                ' stroke="#e15759" stroke-width="3">'
                f"<title>ceiling {times(ceiling)}</title></line>"
            )
            text += f" (ceiling {times(ceiling)})"
        parts.append(
            f'<text x="{left + max(bar, min(ceiling or 0, top) * scale) + 8:.1f}"'
            f' y="{y + 13}">{escape(text)}</text>'
        )
    # The 1x line: left of it flaskrs is slower.
    one = left + scale
    axis_y = _ROW * len(rows) + 4
    parts.append(
        f'<line x1="{one:.1f}" x2="{one:.1f}" y1="0" y2="{axis_y}" stroke="#222"'
        ' stroke-dasharray="3,3"/>'
        f'<text x="{one:.1f}" y="{axis_y + 16}" text-anchor="middle">1x</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def _shares_chart(rows: list[Row], packages: list[str]) -> str:
    """Two stacked bars per route: the shares on Flask and on flaskrs, the
    packages in the same order in every bar, so that bars compare."""
    profiled = [row for row in rows if row.flask_shares and row.flaskrs_shares]
    if not profiled:
        return ""
    left = _label_width(profiled) + 8 * _CHAR
    block = 3 * _ROW
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + _BAR_WIDTH + 20:.0f}"'
        f' height="{block * len(profiled) + 10}" role="img"'
        ' aria-label="share of CPU time per package">'
    ]
    for i, row in enumerate(profiled):
        y = i * block + 14
        parts.append(
            f'<text x="0" y="{y}"><title>{escape(row.label)}</title>'
            f"{escape(_short(row.label))}</text>"
        )
        for j, (framework, shares) in enumerate(
            zip(FRAMEWORKS, (row.flask_shares, row.flaskrs_shares))
        ):
            bar_y = y + 4 + j * 20
            parts.append(
                f'<text x="{left - 8:.1f}" y="{bar_y + 12}" text-anchor="end">'
                f"{framework}</text>"
            )
            x = left
            for package in packages:
                share = t.cast(dict[str, float], shares).get(package, 0.0)
                if share <= 0:
                    continue
                width = share * _BAR_WIDTH
                parts.append(
                    f'<rect x="{x:.2f}" y="{bar_y}" width="{width:.2f}" height="16"'
                    f' fill="{_colour(package)}"><title>{escape(package)}:'
                    f" {share * 100:.1f}%</title></rect>"
                )
                x += width
    parts.append("</svg>")
    return "".join(parts)


def _legend(packages: list[str]) -> str:
    return (
        '<p class="legend">'
        + "".join(
            f'<span><i style="background:{_colour(p)}"></i>{escape(p)}</span>'
            for p in packages
        )
        + "</p>"
    )


def _times_table(rows: list[Row]) -> str:
    lines = [
        "<table><tr><th>route</th><th>flask &micro;s</th><th>flaskrs &micro;s</th>"
        "<th>speed-up</th><th>ceiling</th><th>framework on flask</th>"
        "<th>framework on flaskrs</th></tr>"
    ]
    for row in rows:
        cells = [
            "-" if x is None else f"{x * 1e6:.1f}"
            for x in (row.flask_seconds, row.flaskrs_seconds)
        ]
        cells.append("differs" if row.speed_up is None else times(row.speed_up))
        ceiling = row.ceiling
        cells.append("-" if ceiling is None else times(ceiling))
        for framework in FRAMEWORKS:
            share = row.framework_share(framework)
            cells.append("-" if share is None else f"{share * 100:.1f}%")
        lines.append(
            f"<tr><td>{escape(row.label)}</td>"
            + "".join(f"<td>{cell}</td>" for cell in cells)
            + "</tr>"
        )
    lines.append("</table>")
    return "".join(lines)


def _shares_table(rows: list[Row], packages: list[str]) -> str:
    lines = [
        "<table><tr><th>route</th><th>on</th>"
        + "".join(f"<th>{escape(p)}</th>" for p in packages)
        + "</tr>"
    ]
    for row in rows:
        for framework, shares in zip(
            FRAMEWORKS, (row.flask_shares, row.flaskrs_shares)
        ):
            if not shares:
                continue
            lines.append(
                f"<tr><td>{escape(row.label)}</td><td>{framework}</td>"
                + "".join(
                    f"<td>{shares[p] * 100:.1f}</td>" if p in shares else "<td></td>"
                    for p in packages
                )
                + "</tr>"
            )
    lines.append("</table>")
    return "".join(lines)


def html_report(title: str, seconds: float, rows: list[Row]) -> str:
    """The page for the rows of one ``flaskrs bench`` run."""
    totals: dict[str, float] = {}
    for row in rows:
        for shares in (row.flask_shares, row.flaskrs_shares):
            for package, share in (shares or {}).items():
                totals[package] = totals.get(package, 0.0) + share
    packages = sorted(totals, key=lambda p: (-totals[p], p))
    framework = (
        "; ".join(
            f"{name}: {' + '.join(FRAMEWORK_PACKAGES[name])}" for name in FRAMEWORKS
        )
        + f"; with the work of {', '.join(HELPERS)} they call"
    )
    measured = [row.speed_up for row in rows if row.speed_up is not None]
    summary = "no route answered alike on both frameworks"
    if measured:
        summary = (
            f"geometric mean speed-up {times(geometric_mean(measured))}"
            f" over {len(measured)} routes"
        )
    body = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>flaskrs bench: {escape(title)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>flaskrs bench: {escape(title)}</h1>",
        f"<p>Median CPU time per request, {seconds:g} s per route; {summary}.</p>",
        "<h2>Speed-up per route</h2>",
        '<p class="note">The bar is the measured speed-up of flaskrs over Flask;'
        " the red mark is the ceiling, the speed-up the route would get if the"
        f" framework ({escape(framework)}) cost nothing: Flask's time divided by"
        " Flask's time outside the framework. The shares come from cProfile,"
        " whose cost per call weighs on code made of many small calls, so the"
        " ceiling is an estimate.</p>",
        _speed_up_chart(rows),
    ]
    if packages:
        body += [
            "<h2>Where the CPU time goes</h2>",
            '<p class="note">Share of self time per package, from a cProfile pass'
            " apart from the timing. A built-in function counts for the code that"
            " called it, except those of a package's own extension module.</p>",
            _legend(packages),
            _shares_chart(rows, packages),
        ]
    body += ["<h2>Times</h2>", _times_table(rows)]
    if packages:
        body += ["<h2>Shares in %</h2>", _shares_table(rows, packages)]
    body.append("</body></html>\n")
    return "\n".join(body)
