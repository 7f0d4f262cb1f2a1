"""The context variables and the proxies that reach the current app and
request through them."""

from __future__ import annotations

import threading
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
    """Werkzeug's ``LocalProxy`` over a context variable; each proxy is an
    instance of its own subclass, made by ``_reach``, whose methods hold
    the variable in a closure."""

    __slots__ = ()


_object_getattribute = object.__getattribute__


def _reach(var: ContextVar[t.Any], field: str | None = None) -> t.Any:
    """A proxy to what ``var`` holds (or to its attribute ``field``),
    failing with the message for that kind of context.

    Attribute reads are the most frequent use of a proxy (``request.args``,
    ``g.user``, ``current_app.config``), so the proxy answers them in
    ``__getattribute__``, not, as ``LocalProxy`` does, in ``__getattr__``:
    before Python 3.12, reaching ``__getattr__`` first builds and throws
    away an ``AttributeError`` for the name missing on the proxy, which
    costs more than the rest of the read. Names the proxy's class has
    (``_get_current_object``, ``__class__``, ``__doc__``...) are looked up
    on the proxy as before. Items (``session["user"]``) are written out
    too, a frame shorter than ``LocalProxy``'s descriptor and partial.
    """
    message = _no_app_msg if var is _cv_app else _no_req_msg

    def current() -> t.Any:
        try:
            target = var.get()
        except LookupError:
            raise RuntimeError(message) from None
        return target if field is None else getattr(target, field)

    # An AttributeError of the target, raised by __getattribute__, makes
    # Python call __getattr__ with the same name object; this hands the
    # error over, so the target is not asked twice.
    missed = threading.local()

    class Proxy(_ContextProxy):
        __slots__ = ()

        def __getattribute__(self, name: str) -> t.Any:
            if name in own:
                return _object_getattribute(self, name)
            try:
                target = var.get()
            except LookupError:
                raise RuntimeError(message) from None
            if field is not None:
                target = getattr(target, field)
            try:
                return getattr(target, name)
            except AttributeError as error:
                missed.last = (name, error)
                raise

        def __getattr__(self, name: str) -> t.Any:
            last = missed.__dict__.pop("last", None)
            if last is not None and last[0] is name:
                raise last[1]
            # A name of the proxy's class that was missing on the proxy:
            # LocalProxy then asks the target.
            return getattr(current(), name)

        def __setattr__(self, name: str, value: t.Any) -> None:
            setattr(current(), name, value)

        def __delattr__(self, name: str) -> None:
            delattr(current(), name)

        def __getitem__(self, key: t.Any) -> t.Any:
            try:
                target = var.get()
            except LookupError:
                raise RuntimeError(message) from None
            return (target if field is None else getattr(target, field))[key]

        def __setitem__(self, key: t.Any, value: t.Any) -> None:
            try:
                target = var.get()
            except LookupError:
                raise RuntimeError(message) from None
            (target if field is None else getattr(target, field))[key] = value

        def __delitem__(self, key: t.Any) -> None:
            del current()[key]

        def __contains__(self, key: t.Any) -> bool:
            return key in current()

        # ``if not g:``, as extensions (Flask-Babel on every gettext) check
        # for a context; unbound is False, as for LocalProxy.
        def __bool__(self) -> bool:
            try:
                target = var.get()
            except LookupError:
                return False
            return bool(target if field is None else getattr(target, field))

    # A class without a docstring has __doc__ = None of its own, which
    # would hide LocalProxy's, the target's docstring.
    Proxy.__doc__ = LocalProxy.__dict__["__doc__"]
    own = frozenset(name for klass in Proxy.__mro__ for name in vars(klass))
    # Shown by repr() of an unbound proxy, as for Werkzeug's own proxies.
    Proxy.__name__ = Proxy.__qualname__ = "LocalProxy"
    Proxy.__module__ = LocalProxy.__module__
    return Proxy(var, field, unbound_message=message)


app_ctx: AppContext = _reach(_cv_app)
current_app: Flask = _reach(_cv_app, "app")
g: _AppCtxGlobals = _reach(_cv_app, "g")

request_ctx: RequestContext = _reach(_cv_request)
request: Request = _reach(_cv_request, "request")
session: SessionMixin = _reach(_cv_request, "session")
