"""The context variables and the proxies that reach the current app and
request through them."""

from __future__ import annotations

import typing as t
from contextvars import ContextVar

from werkzeug.local import LocalProxy

if t.TYPE_CHECKING:  # pragma: no cover
    from .app import Flask
    from .ctx import _AppCtxGlobals
    from .ctx import AppContext
    from .ctx import RequestContext
    from .sessions import SessionMixin
    from .wrappers import Request

# Both messages share their opening; they differ in what was needed.
_UNBOUND_TEMPLATE = (
    "Working outside of {kind} context.\n\n"
    "This typically means that you attempted to use functionality that needed\n"
    "{advice}"
)
_no_app_msg = _UNBOUND_TEMPLATE.format(
    kind="application",
    advice="the current application. To solve this, set up an application context\n"
    "with app.app_context(). See the documentation for more information.",
)
_no_req_msg = _UNBOUND_TEMPLATE.format(
    kind="request",
    advice="an active HTTP request. Consult the documentation on testing for\n"
    "information about how to avoid this problem.",
)

# One variable per kind of context; "flask." names, as Flask's own.
_cv_app: ContextVar[AppContext] = ContextVar("flask.app_ctx")
_cv_request: ContextVar[RequestContext] = ContextVar("flask.request_ctx")


class _ContextProxy(LocalProxy[t.Any]):
    """Werkzeug's ``LocalProxy`` over a context variable, with a shorter
    way to plain attributes (``request.args``, ``g.user``...), the most
    frequent use of a proxy, and to items (``session["user"]``): one method
    call reaches the object, where ``LocalProxy`` goes through a
    descriptor, a closure and a partial."""

    __slots__ = ("_cv", "_cv_field", "_cv_message")

    def __init__(self, var: ContextVar[t.Any], field: str | None, message: str):
        super().__init__(var, field, unbound_message=message)
        object.__setattr__(self, "_cv", var)
        object.__setattr__(self, "_cv_field", field)
        object.__setattr__(self, "_cv_message", message)

    def _cv_target(self) -> t.Any:
        try:
            target = self._cv.get()
        except LookupError:
            raise RuntimeError(self._cv_message) from None
        field = self._cv_field
        return target if field is None else getattr(target, field)

    # The three most used ways in are written out, a frame less each.

    def __getattr__(self, name: str) -> t.Any:
        try:
            target = self._cv.get()
        except LookupError:
            raise RuntimeError(self._cv_message) from None
        field = self._cv_field
        return getattr(target if field is None else getattr(target, field), name)

    # ``g.user = ...``: LocalProxy's own way goes through a descriptor.
    def __setattr__(self, name: str, value: t.Any) -> None:
        try:
            target = self._cv.get()
        except LookupError:
            raise RuntimeError(self._cv_message) from None
        field = self._cv_field
        setattr(target if field is None else getattr(target, field), name, value)

    # Item access is what ``session`` is mostly used for.
    def __getitem__(self, key: t.Any) -> t.Any:
        try:
            target = self._cv.get()
        except LookupError:
            raise RuntimeError(self._cv_message) from None
        field = self._cv_field
        return (target if field is None else getattr(target, field))[key]

    def __setitem__(self, key: t.Any, value: t.Any) -> None:
        try:
            target = self._cv.get()
        except LookupError:
            raise RuntimeError(self._cv_message) from None
        field = self._cv_field
        (target if field is None else getattr(target, field))[key] = value

    def __delitem__(self, key: t.Any) -> None:
        del self._cv_target()[key]

    def __contains__(self, key: t.Any) -> bool:
        return key in self._cv_target()


# Shown by repr() of an unbound proxy, as for Werkzeug's own proxies.
_ContextProxy.__name__ = _ContextProxy.__qualname__ = "LocalProxy"


def _reach(var: ContextVar[t.Any], field: str | None = None) -> t.Any:
    """A proxy to what ``var`` holds (or to its attribute ``field``),
    failing with the message for that kind of context."""
    message = _no_app_msg if var is _cv_app else _no_req_msg
    return _ContextProxy(var, field, message)


app_ctx: AppContext = _reach(_cv_app)
current_app: Flask = _reach(_cv_app, "app")
g: _AppCtxGlobals = _reach(_cv_app, "g")

request_ctx: RequestContext = _reach(_cv_request)
request: Request = _reach(_cv_request, "request")
session: SessionMixin = _reach(_cv_request, "session")
