"""Application and request contexts.

A context is made current by pushing it, which sets a context variable
(``_cv_app`` or ``_cv_request``) that the ``current_app``, ``g``,
``request`` and ``session`` proxies read. Both kinds share the bookkeeping
in ``_ContextStack``: every push leaves a frame (the variable's reset token
and, for a request, the app context it had to push too), and every pop
consumes one, so a context can be pushed more than once.
"""

from __future__ import annotations

import contextvars
import sys
import typing as t
from functools import update_wrapper
from types import TracebackType

from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request as _RequestBase

from . import typing as ft
from .globals import _cv_app
from .globals import _cv_request
from .signals import appcontext_popped
from .signals import appcontext_pushed

if t.TYPE_CHECKING:  # pragma: no cover
    from _typeshed.wsgi import WSGIEnvironment
    from werkzeug.routing import MapAdapter

    from .app import Flask
    from .sessions import SessionMixin
    from .wrappers import Request

_base_close = _RequestBase.close

# Default for ``exc`` arguments meaning "whatever exception is being
# handled right now", distinct from an explicit ``None``.
_sentinel: t.Any = object()  # typed Any: a default for typed parameters

F = t.TypeVar("F", bound=t.Callable[..., t.Any])


class _AppCtxGlobals:
    """``g``: a plain attribute namespace scoped to one app context, with a
    few dict-like helpers."""

    def __getattr__(self, name: str) -> t.Any:
        # Reached only for missing attributes; name the attribute.
        raise AttributeError(name)

    def __delattr__(self, name: str) -> None:
        # Only the namespace's own names can go; the error names the name.
        namespace = vars(self)
        if name not in namespace:
            raise AttributeError(name)
        del namespace[name]

    def get(self, name: str, default: t.Any | None = None) -> t.Any:
        """Like ``getattr(g, name, default)``."""
        return vars(self).get(name, default)

    def pop(self, name: str, default: t.Any = _sentinel) -> t.Any:
        """Delete the attribute and return its value; without a default, a
        missing name raises ``KeyError``."""
        namespace = vars(self)
        return (
            namespace.pop(name)
            if default is _sentinel
            else namespace.pop(name, default)
        )

    def setdefault(self, name: str, default: t.Any = None) -> t.Any:
        """Like ``dict.setdefault`` on the attributes."""
        return vars(self).setdefault(name, default)

    def __contains__(self, item: str) -> bool:
        return item in vars(self)

    def __iter__(self) -> t.Iterator[str]:
        return iter(vars(self))

    def __repr__(self) -> str:
        active = _cv_app.get(None)
        if active is None:
            return object.__repr__(self)
        return f"<flask.g of '{active.app.name}'>"


def _active_request_ctx(caller: str) -> RequestContext:
    found = _cv_request.get(None)
    if found is None:
        raise RuntimeError(
            f"'{caller}' can only be used when a request context is active,"
            " such as in a view function."
        )
    return found


def after_this_request(
    f: ft.AfterRequestCallable[t.Any],
) -> ft.AfterRequestCallable[t.Any]:
    """Have ``f(response)`` process this request's response only."""
    _active_request_ctx("after_this_request")._after_request_functions.append(f)
    return f


def copy_current_request_context(f: F) -> F:
    """Bind ``f`` to a copy of the current request context, pushed around
    each call; for work handed to a greenlet or thread."""
    snapshot = _active_request_ctx("copy_current_request_context").copy()

    def run_in_snapshot(*args: t.Any, **kwargs: t.Any) -> t.Any:
        with snapshot:
            return snapshot.app.ensure_sync(f)(*args, **kwargs)

    return t.cast(F, update_wrapper(run_in_snapshot, f))


def has_request_context() -> bool:
    """True inside a request context (a request is being handled)."""
    return _cv_request.get(None) is not None


def has_app_context() -> bool:
    """True inside an application context."""
    return _cv_app.get(None) is not None


class _ContextStack:
    """Push/pop bookkeeping shared by both context kinds."""

    _kind: t.ClassVar[str]

    # A push appends to ``_cv_tokens`` the token from setting the kind's
    # context variable to ``self`` (a request context pairs it with the app
    # context it pushed, or None); a pop takes the last one and resets the
    # variable with it. Flask keeps the same list under the same name, which
    # code that inspects nesting reads. Both are written out in the
    # subclasses, as they run on every request.

    def _wrong_pop(self, was_current: t.Any) -> t.NoReturn:
        raise AssertionError(
            f"Popped wrong {self._kind} context. ({was_current!r} instead of {self!r})"
        )

    def push(self) -> None:
        raise NotImplementedError

    def pop(self, exc: BaseException | None = _sentinel) -> None:
        raise NotImplementedError

    def __enter__(self) -> t.Self:
        self.push()
        return self

    def __exit__(
        self,
        exc_type: type | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Teardown gets the exception that ended the block, if any.
        self.pop(exc_value)


class _LazyURLAdapter:
    """``AppContext.url_adapter``: built on first read, then cached in the
    instance dict (which takes precedence over this non-data
    descriptor)."""

    def __get__(self, obj: AppContext | None, owner: type | None = None) -> t.Any:
        if obj is None:
            return self
        adapter = obj.__dict__["url_adapter"] = obj.app.create_url_adapter(None)
        return adapter


class AppContext(_ContextStack):
    """The context ``current_app`` and ``g`` resolve in; pushed for each
    request, or explicitly through ``app.app_context()``."""

    _kind = "app"

    #: Builds URLs without a request, from ``SERVER_NAME``. Lazy, since
    #: a request context carries its own adapter.
    if t.TYPE_CHECKING:  # pragma: no cover
        url_adapter: MapAdapter | None
    else:
        url_adapter = _LazyURLAdapter()

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.g: _AppCtxGlobals = app.app_ctx_globals_class()
        self._cv_tokens: list[contextvars.Token[AppContext]] = []

    def push(self) -> None:
        """Make this context the current one."""
        self._cv_tokens.append(_cv_app.set(self))
        if appcontext_pushed.receivers:
            appcontext_pushed.send(self.app, _async_wrapper=self.app.ensure_sync)

    def pop(self, exc: BaseException | None = _sentinel) -> None:
        """Restore the previously current context. The pop matching the
        first push runs the app's teardown functions."""
        try:
            if len(self._cv_tokens) == 1:
                self.app.do_teardown_appcontext(
                    sys.exc_info()[1] if exc is _sentinel else exc
                )
        finally:
            was_current = _cv_app.get()
            _cv_app.reset(self._cv_tokens.pop())
        if was_current is not self:
            self._wrong_pop(was_current)
        if appcontext_popped.receivers:
            appcontext_popped.send(self.app, _async_wrapper=self.app.ensure_sync)


class RequestContext(_ContextStack):
    """The context ``request`` and ``session`` resolve in. It owns the
    request object, the URL adapter bound to it and the request's one-off
    after-request functions; pushing it also pushes an app context if this
    app's is not already current.

    With the stock cookie session interface the session is opened on first
    use; a custom interface has ``open_session`` called at push time, since
    it may rely on that.
    """

    _kind = "request"

    # Defaults kept on the class so that building a context per request
    # assigns as little as possible.
    #: Messages read by ``get_flashed_messages`` during this request.
    flashes: list[tuple[str, str]] | None = None
    _session_obj: SessionMixin | None = None
    _matched = False
    #: The URL map bound to this request; stays ``None`` if binding
    #: failed.
    url_adapter: MapAdapter | None = None

    def __init__(
        self,
        app: Flask,
        environ: WSGIEnvironment,
        request: Request | None = None,
        session: SessionMixin | None = None,
    ) -> None:
        self.app = app
        req = app.request_class(environ) if request is None else request
        req.json_module = app.json
        self.request: Request = req
        try:
            self.url_adapter = app.create_url_adapter(req)
        except HTTPException as error:
            # A bad host: reported when the request is dispatched.
            req.routing_exception = error
        if session is not None:
            self._session_obj = session
        self._after_request_functions: list[ft.AfterRequestCallable[t.Any]] = []
        self._cv_tokens: list[
            tuple[contextvars.Token[RequestContext], AppContext | None]
        ] = []

    # The session -------------------------------------------------------

    def _open_session(self) -> SessionMixin:
        app = self.app
        interface = app.session_interface
        opened = interface.open_session(app, self.request)
        if opened is None:
            opened = interface.make_null_session(app)
        self._session_obj = opened
        return opened

    def _get_session(self) -> SessionMixin:
        # Reading it this way leaves ``accessed`` alone, which is what
        # extensions peeking at the session want.
        found = self._session_obj
        return self._open_session() if found is None else found

    def _set_session(self, value: SessionMixin | None) -> None:
        self._session_obj = value

    _session = property(_get_session, _set_session)

    @property
    def session(self) -> SessionMixin:
        """This request's session; reading it marks it accessed, so the
        response gets ``Vary: Cookie``."""
        current = self._session_obj
        if current is None:
            current = self._open_session()
        current.accessed = True
        return current

    # Matching and copying ------------------------------------------------

    def copy(self) -> RequestContext:
        """Another context over the same request and session, for use in
        another greenlet or thread."""
        return type(self)(
            self.app,
            environ=self.request.environ,
            request=self.request,
            # Opening it now makes the two contexts share one session.
            session=self._get_session(),
        )

    def match_request(self) -> None:
        """Match the URL and record the rule and view arguments on the
        request; a failure is recorded too, to be raised at dispatch."""
        req = self.request
        try:
            # The adapter is there (Flask's contract), and view_args is a dict
            # (MapAdapter.match's Mapping is one); no cast on this path.
            req.url_rule, req.view_args = self.url_adapter.match(  # type: ignore[union-attr,assignment]
                return_rule=True
            )
        except HTTPException as error:
            req.routing_exception = error

    # Push and pop --------------------------------------------------------

    def push(self) -> None:
        """Make this the current request context; the current app context
        becomes this app's (pushing one if needed)."""
        app = self.app
        active = _cv_app.get(None)
        implicit: AppContext | None = None
        if active is None or active.app is not app:
            implicit = app.app_context()
            implicit.push()
        self._cv_tokens.append((_cv_request.set(self), implicit))

        if self._session_obj is None and not app._session_is_lazy():
            self._open_session()

        # Converters may need the app context, so match only now, and only
        # on the first push.
        if not self._matched and self.url_adapter is not None:
            self._matched = True
            self.match_request()

    @staticmethod
    def _close_request(req: Request) -> None:
        closer = getattr(req, "close", None)
        if closer is not None:
            closer()

    def pop(self, exc: BaseException | None = _sentinel) -> None:
        """Reverse ``push``. The pop matching the first push runs the
        request teardown functions and closes the request."""
        outermost = len(self._cv_tokens) == 1
        try:
            if outermost:
                if exc is _sentinel:
                    exc = sys.exc_info()[1]
                self.app.do_teardown_request(exc)
                req = self.request
                # Werkzeug's own ``close`` only closes uploaded files, which
                # exist once ``files`` was parsed: otherwise skip the call.
                if "files" in req.__dict__ or type(req).close is not _base_close:
                    self._close_request(req)
        finally:
            was_current = _cv_request.get()
            token, implicit = self._cv_tokens.pop()
            _cv_request.reset(token)
            if outermost:
                # The environ points back at the request: cut the cycle.
                was_current.request.environ["werkzeug.request"] = None
            if implicit is not None:
                implicit.pop(exc)
            if was_current is not self:
                self._wrong_pop(was_current)

    def __repr__(self) -> str:
        req = self.request
        return f"<{type(self).__name__} {req.url!r} [{req.method}] of {self.app.name}>"
