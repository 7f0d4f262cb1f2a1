"""Logging for applications: ``app.logger`` and the handler it starts with."""

from __future__ import annotations

import logging
import sys
import typing as t

from werkzeug.local import LocalProxy

from .globals import request

if t.TYPE_CHECKING:  # pragma: no cover
    from .sansio.app import App


def _pick_error_stream() -> t.TextIO:
    # During a request, the server's ``wsgi.errors`` stream: servers send it
    # to their error log, which is where an operator looks for app errors.
    if not request:
        return sys.stderr

    stream: t.TextIO = request.environ["wsgi.errors"]
    return stream


#: A stream that is the current request's ``wsgi.errors`` inside a request
#: and :data:`sys.stderr` elsewhere. Give it to your own
#: :class:`logging.StreamHandler`, or name it
#: ``ext://flaskrs.logging.wsgi_errors_stream`` in a logging config dict/file.
wsgi_errors_stream = t.cast(t.TextIO, LocalProxy(_pick_error_stream))


def _propagation_chain(logger: logging.Logger) -> t.Iterator[logging.Logger]:
    # ``logger`` and then each ancestor a record logged on it reaches, up to
    # the first one that stops propagation.
    node: logging.Logger | None = logger

    while node is not None:
        yield node
        node = node.parent if node.propagate else None


def has_level_handler(logger: logging.Logger) -> bool:
    """Return whether a record at ``logger``'s effective level would be
    handled: some handler of the logger, or of an ancestor the record
    propagates to, has a level no higher than that."""
    threshold = logger.getEffectiveLevel()
    return any(
        handler.level <= threshold
        for node in _propagation_chain(logger)
        for handler in node.handlers
    )


def _make_default_handler() -> logging.StreamHandler[t.TextIO]:
    handler = logging.StreamHandler(wsgi_errors_stream)
    layout = "[%(asctime)s] %(levelname)s in %(module)s: %(message)s"
    handler.setFormatter(logging.Formatter(layout))
    return handler


#: The handler given to the app's logger when nothing else would display its
#: records. It writes to :data:`wsgi_errors_stream`. Take it off with
#: ``app.logger.removeHandler(default_handler)`` to route output elsewhere.
default_handler = _make_default_handler()


def create_logger(app: App) -> logging.Logger:
    """Set up and return the logger called ``app.name``.

    Debug mode lowers the level of a logger that has none of its own to
    ``DEBUG``. :data:`default_handler` is attached only when no existing
    handler would handle the logger's records, so logging configured before
    the app exists is respected.
    """
    logger = logging.getLogger(app.name)
    unset = logger.level == logging.NOTSET

    if unset and app.debug:
        logger.setLevel(logging.DEBUG)

    if has_level_handler(logger):
        return logger

    logger.addHandler(default_handler)
    return logger
