"""The app logger and its default handler, compared with Flask's."""

from __future__ import annotations

import importlib
import io
import itertools
import logging
import sys
import types
import typing as t

import flask
import flask.logging
import pytest

import flaskrs
import flaskrs.logging as ours

_names = itertools.count()


@pytest.fixture
def name() -> t.Iterator[str]:
    """A fresh logger name, cleaned up afterwards."""
    logger_name = f"tests_logging_{next(_names)}"
    yield logger_name
    logger = logging.getLogger(logger_name)
    logger.handlers.clear()
    logger.setLevel(logging.NOTSET)


def fake_app(name: str, debug: bool) -> t.Any:
    return types.SimpleNamespace(name=name, debug=debug)


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("preset_level", [None, logging.ERROR])
@pytest.mark.parametrize("own_handler_level", [None, logging.DEBUG, logging.CRITICAL])
def test_create_logger_like_flask(
    name: str,
    debug: bool,
    preset_level: int | None,
    own_handler_level: int | None,
) -> None:
    outcomes = []
    for module in (ours, flask.logging):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.setLevel(preset_level or logging.NOTSET)
        if own_handler_level is not None:
            handler = logging.NullHandler()
            handler.setLevel(own_handler_level)
            logger.addHandler(handler)
        result = module.create_logger(fake_app(name, debug))
        assert result is logger
        outcomes.append(
            (
                logger.level,
                [
                    "default" if h is module.default_handler else h.level
                    for h in logger.handlers
                ],
            )
        )
    assert outcomes[0] == outcomes[1]


def test_has_level_handler_follows_propagation(name: str) -> None:
    parent = logging.getLogger(name)
    child = logging.getLogger(f"{name}.child")
    handler = logging.NullHandler()
    handler.setLevel(logging.WARNING)
    parent.addHandler(handler)
    try:
        for level, propagate in itertools.product(
            [logging.DEBUG, logging.WARNING, logging.ERROR], [True, False]
        ):
            child.setLevel(level)
            child.propagate = propagate
            assert ours.has_level_handler(child) == flask.logging.has_level_handler(
                child
            )
    finally:
        child.propagate = True
        child.setLevel(logging.NOTSET)


def test_default_handler_format() -> None:
    formatter = ours.default_handler.formatter
    assert formatter is not None
    assert formatter._fmt == flask.logging.default_handler.formatter._fmt
    assert ours.default_handler.stream is ours.wsgi_errors_stream


def test_errors_stream_outside_request(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = io.StringIO()
    monkeypatch.setattr(sys, "stderr", fake)
    assert ours.wsgi_errors_stream._get_current_object() is fake
    ours.wsgi_errors_stream.write("x")
    assert fake.getvalue() == "x"


def test_errors_stream_in_request() -> None:
    stream = io.StringIO()
    app = flaskrs.Flask("tests_app")
    with app.test_request_context(environ_overrides={"wsgi.errors": stream}):
        assert ours.wsgi_errors_stream._get_current_object() is stream


def test_app_logger_logs_to_request_stream(fw: types.ModuleType) -> None:
    stream = io.StringIO()
    app = fw.Flask(f"tests_logging_app_{fw.__name__}")

    @app.get("/")
    def view():
        app.logger.error("boom %d", 1)
        return ""

    # pytest's log capture handler makes create_logger skip the default
    # handler; attach it by hand to see where it writes.
    handler = importlib.import_module(f"{fw.__name__}.logging").default_handler
    app.logger.addHandler(handler)
    try:
        app.test_client().get("/", errors_stream=stream)
    finally:
        app.logger.removeHandler(handler)
    assert "ERROR in test_logging: boom 1" in stream.getvalue()
    assert app.logger.name == app.name
