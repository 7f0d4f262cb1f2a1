"""Fixtures: most tests run once on flaskrs and once on the real Flask (the
oracle), so a difference in behaviour shows up as a failing pair."""

from __future__ import annotations

import importlib
import sys
import types

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # The oracle is the real Flask: with FLASKRS_AS_FLASK on, `flask` would be
    # flaskrs itself and every comparison would compare flaskrs with itself.
    flask = sys.modules.get("flask") or importlib.import_module("flask")
    if flask.__name__ != "flask":
        raise pytest.UsageError(
            "flaskrs's tests compare it with the real Flask: run them with"
            " FLASKRS_AS_FLASK unset (or 0)"
        )


@pytest.fixture(params=["flaskrs", "flask"])
def fw(request: pytest.FixtureRequest) -> types.ModuleType:
    """The framework module under test: flaskrs, or Flask as the oracle."""
    return importlib.import_module(request.param)


@pytest.fixture
def app(fw: types.ModuleType):  # noqa: ANN201
    application = fw.Flask("tests_app")
    application.config["TESTING"] = True
    return application


@pytest.fixture
def client(app):  # noqa: ANN001, ANN201
    return app.test_client()


def answer(response) -> tuple[int, dict[str, str], bytes]:  # noqa: ANN001
    """What a client sees of a response: status, headers and body."""
    return response.status_code, dict(response.headers), response.get_data()
