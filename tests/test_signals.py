"""The framework's signals: same names, senders and arguments as Flask's."""

from __future__ import annotations

import flask
import pytest

import flaskrs

SIGNALS = [
    "template_rendered",
    "before_render_template",
    "request_started",
    "request_finished",
    "request_tearing_down",
    "got_request_exception",
    "appcontext_tearing_down",
    "appcontext_pushed",
    "appcontext_popped",
    "message_flashed",
]


@pytest.mark.parametrize("name", SIGNALS)
def test_signal_names(name: str) -> None:
    assert getattr(flaskrs.signals, name).name == getattr(flask.signals, name).name
    assert getattr(flaskrs, name) is getattr(flaskrs.signals, name)


def record(fw, app):  # noqa: ANN001, ANN201
    """Connect to every signal; return the list of (signal, kwargs names)."""
    events = []

    def make(name):  # noqa: ANN001, ANN202
        def receiver(sender, **kwargs):  # noqa: ANN001, ANN202
            assert sender is app
            events.append((name, sorted(kwargs)))

        return receiver

    receivers = [make(n) for n in SIGNALS]
    for name, receiver in zip(SIGNALS, receivers):
        getattr(fw, name).connect(receiver, app)
    return events, receivers


def scenario(fw):  # noqa: ANN001, ANN201
    app = fw.Flask("tests_app")
    app.secret_key = "k"

    @app.get("/")
    def index():
        fw.flash("hello")
        return fw.render_template_string("{{ 1 + 1 }}")

    @app.get("/fail")
    def fail():
        raise ValueError

    events, receivers = record(fw, app)
    client = app.test_client()
    client.get("/")
    client.get("/fail")
    return events


def test_signal_sequence_like_flask() -> None:
    assert scenario(flaskrs) == scenario(flask)


def test_no_receivers_no_cost() -> None:
    app = flaskrs.Flask("tests_app")
    app.add_url_rule("/", "x", lambda: "x")
    assert not flaskrs.request_started.receivers
    assert app.test_client().get("/").data == b"x"
