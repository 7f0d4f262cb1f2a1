"""pytest plugin of corpus/run: each test's outcome, one JSON line as it ends.

A line per test as soon as it is known (not a report at the end) keeps the
outcomes of a run that the runner has to stop at its timeout. The last line
names the module that answered ``import flask``, so that a run meant for
flaskrs that ended up on the real Flask (or the reverse) is caught.
"""

from __future__ import annotations

import json
import os
import sys
import typing as t

import pytest

_PATH = os.environ.get("CORPUS_RESULTS", "")


def _write(record: dict[str, t.Any]) -> None:
    if _PATH:
        with open(_PATH, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")


def _message(report: pytest.TestReport | pytest.CollectReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        return f"{crash.message}\n  at {crash.path}:{crash.lineno}"
    # A module that did not load: pytest marks the exception's lines with "E".
    lines = str(report.longrepr).strip().splitlines()
    marked = [line[1:].strip() for line in lines if line.startswith("E ")]
    return "\n".join(marked[-5:] or lines[-5:])


_failed: set[str] = set()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.failed and report.nodeid not in _failed:
        _failed.add(report.nodeid)
        _write({"id": report.nodeid, "outcome": "failed", "message": _message(report)})
    elif report.when == "call" and report.passed:
        _write({"id": report.nodeid, "outcome": "passed"})
    elif report.skipped and report.when in ("setup", "call"):
        _write({"id": report.nodeid, "outcome": "skipped"})


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.failed:
        _write({"id": report.nodeid, "outcome": "error", "message": _message(report)})


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    flask = sys.modules.get("flask")
    _write({"flask": getattr(flask, "__name__", None)})
