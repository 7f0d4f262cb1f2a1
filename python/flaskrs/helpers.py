"""Functions for views: URL building, redirects, aborts, files, streaming
and flashed messages. Each reaches the current app through the context."""

from __future__ import annotations

import importlib.util
import os
import sys
import typing as t
from datetime import datetime
from functools import cache
from functools import update_wrapper
from types import FunctionType

import werkzeug.utils
from werkzeug.exceptions import abort as _wz_abort
from werkzeug.utils import redirect as _wz_redirect
from werkzeug.wrappers import Response as BaseResponse

from .globals import _cv_app
from .globals import _cv_request
from .globals import _no_app_msg
from .globals import _no_req_msg
from .globals import current_app
from .globals import request
from .globals import request_ctx as request_ctx  # flask.helpers.request_ctx
from .globals import session
from .signals import message_flashed

if t.TYPE_CHECKING:  # pragma: no cover
    from .app import Flask
    from .wrappers import Response


def get_debug_flag() -> bool:
    """Whether ``FLASK_DEBUG`` asks for debug mode."""
    val = os.environ.get("FLASK_DEBUG")
    return bool(val and val.lower() not in {"0", "false", "no"})


def get_load_dotenv(default: bool = True) -> bool:
    """Whether to load dotenv files: ``FLASK_SKIP_DOTENV`` can turn it off."""
    val = os.environ.get("FLASK_SKIP_DOTENV")
    if not val:
        return default
    return val.lower() in ("0", "false", "no")


def stream_with_context(
    generator_or_function: t.Iterator[t.AnyStr] | t.Callable[..., t.Iterator[t.AnyStr]],
) -> t.Iterator[t.AnyStr] | t.Callable[[t.Iterator[t.AnyStr]], t.Iterator[t.AnyStr]]:
    """Keep the request context active while a streamed response's
    generator runs, after the view has returned. Also a decorator for a
    generator function."""
    if type(generator_or_function) is FunctionType:
        # Used as a decorator: a function is never iterable, so this is
        # the TypeError case below, without raising it on every request.
        return _streaming_each_call(generator_or_function)
    try:
        source = iter(t.cast("t.Iterator[t.AnyStr]", generator_or_function))
    except TypeError:
        # Not iterable yet: a function whose calls make the iterators.
        return _streaming_each_call(
            t.cast("t.Callable[..., t.Any]", generator_or_function)
        )
    # The contexts are looked up now, while the view runs, but entered
    # only once the server starts iterating: that may happen in another
    # context (an async view), and a context variable has to be reset in
    # the context that set it.
    req_ctx = _cv_request.get(None)
    if req_ctx is None:
        raise RuntimeError(
            "'stream_with_context' can only be used when a request"
            " context is active, such as in a view function."
        )
    return _replay_inside(_cv_app.get(), req_ctx, source)


def _streaming_each_call(func: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    def call_then_stream(*args: t.Any, **kwargs: t.Any) -> t.Any:
        return stream_with_context(func(*args, **kwargs))

    return update_wrapper(call_then_stream, func)


def _replay_inside(
    app_ctx: t.Any, req_ctx: t.Any, source: t.Iterator[t.AnyStr]
) -> t.Iterator[t.AnyStr]:
    """Iterate ``source`` with both contexts pushed again (the app's first,
    so the request context finds it), closing ``source`` before they are
    popped."""
    with app_ctx, req_ctx:
        closer = getattr(source, "close", None)
        try:
            yield from source
        finally:
            if closer is not None:
                closer()


def _active_app() -> Flask | None:
    """The app of the current app context, or ``None`` outside one."""
    ctx = _cv_app.get(None)
    return None if ctx is None else ctx.app


def _required_app() -> Flask:
    ctx = _cv_app.get(None)
    if ctx is None:
        raise RuntimeError(_no_app_msg)
    return ctx.app


def make_response(*args: t.Any) -> Response:
    """Turn a view's return value (or the arguments of one) into a response
    object, to add headers before returning it."""
    app = _required_app()
    if not args:
        return app.response_class()
    # One argument is the return value itself; several are its tuple.
    return app.make_response(args[0] if len(args) == 1 else args)


# The keyword-only options of url_for, in the order of the fast builder's
# positional parameters after the endpoint and the values.
_URL_OPTIONS = ("_anchor", "_method", "_scheme", "_external")


def url_for(
    endpoint: str,
    *,
    _anchor: str | None = None,
    _method: str | None = None,
    _scheme: str | None = None,
    _external: bool | None = None,
    **values: t.Any,
) -> str:
    """Build the URL of ``endpoint`` with the current app; see
    ``Flask.url_for``."""
    # A hot path: the context is looked up inline, not through a helper.
    ctx = _cv_app.get(None)
    if ctx is None:
        raise RuntimeError(_no_app_msg)
    app = ctx.app
    cls = type(app)
    if cls.url_for is cls._stock_url_for and "url_for" not in app.__dict__:
        # Nobody overrode Flask.url_for: straight to the builder it wraps.
        return app._url_for(endpoint, values, _anchor, _method, _scheme, _external)
    values.update(zip(_URL_OPTIONS, (_anchor, _method, _scheme, _external)))
    return app.url_for(endpoint, **values)


def redirect(
    location: str, code: int = 302, Response: type[BaseResponse] | None = None
) -> BaseResponse:
    """A redirect response to ``location``, made by the current app when
    there is one (``Response`` is then the app's business)."""
    ctx = _cv_app.get(None)  # inline: views redirect often
    if ctx is None:
        return _wz_redirect(location, code=code, Response=Response)
    return ctx.app.redirect(location, code=code)


def abort(code: int | BaseResponse, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
    """Raise the HTTP exception for ``code``, through the current app's
    ``aborter`` when there is one."""
    app = _active_app()
    raiser = _wz_abort if app is None else app.aborter
    raiser(code, *args, **kwargs)
    # An aborter that returned instead of raising: Werkzeug's raises.
    _wz_abort(code, *args, **kwargs)


def get_template_attribute(template_name: str, attribute: str) -> t.Any:
    """A macro or variable a template exports, to call from Python."""
    return getattr(current_app.jinja_env.get_template(template_name).module, attribute)


def flash(message: str, category: str = "message") -> None:
    """Keep a message in the session for the next request to show."""
    # Reassigned, not appended in place: a session that tracks changes
    # by assignment notices it.
    pending = session.get("_flashes", [])
    pending.append((category, message))
    session["_flashes"] = pending
    if message_flashed.receivers:
        app = _required_app()  # the object itself, as the signal's sender
        message_flashed.send(
            app, _async_wrapper=app.ensure_sync, message=message, category=category
        )


def _request_flashes() -> list[tuple[str, str]]:
    """The current request's flashed messages: moved out of the session on
    first use, then kept on the request context for the rest of it."""
    ctx = _cv_request.get(None)
    if ctx is None:
        raise RuntimeError(_no_req_msg)
    if ctx.flashes is None:
        store = ctx.session
        # No pop on a session without messages: a null session refuses it.
        ctx.flashes = store.pop("_flashes") if "_flashes" in store else []
    return ctx.flashes


def get_flashed_messages(
    with_categories: bool = False, category_filter: t.Iterable[str] = ()
) -> list[str] | list[tuple[str, str]]:
    """The flashed messages, taken from the session on the first call of a
    request and kept for the rest of it."""
    pairs = _request_flashes()
    if category_filter:
        pairs = [pair for pair in pairs if pair[0] in category_filter]
    if with_categories:
        return pairs
    return [pair[1] for pair in pairs]


def _prepare_send_file_kwargs(**kwargs: t.Any) -> dict[str, t.Any]:
    """``kwargs`` for one of Werkzeug's file senders, completed with what
    the current app and request decide: the max age (unless given), the
    request's environ, X-Sendfile, the response class, and the app's root
    for relative paths."""
    app = _required_app()
    if kwargs.get("max_age") is None:
        kwargs["max_age"] = app.get_send_file_max_age
    kwargs["environ"] = request.environ
    kwargs["use_x_sendfile"] = app.config["USE_X_SENDFILE"]
    kwargs["response_class"] = app.response_class
    kwargs["_root_path"] = app.root_path
    return kwargs


def send_file(
    path_or_file: os.PathLike[t.AnyStr] | str | t.IO[bytes],
    mimetype: str | None = None,
    as_attachment: bool = False,
    download_name: str | None = None,
    conditional: bool = True,
    etag: bool | str = True,
    last_modified: datetime | int | float | None = None,
    max_age: None | (int | t.Callable[[str | None], int | None]) = None,
) -> Response:
    """Send a file or file-like object; Werkzeug's ``send_file`` with the
    app's settings (relative paths from the app's root, X-Sendfile, the
    static max age)."""
    # The parameters are Werkzeug's, by the same names: passed on as they
    # are (nothing else is local yet).
    return t.cast(  # the app's response_class, passed on to Werkzeug
        "Response", werkzeug.utils.send_file(**_prepare_send_file_kwargs(**locals()))
    )


def send_from_directory(
    directory: os.PathLike[str] | str,
    path: os.PathLike[str] | str,
    **kwargs: t.Any,
) -> Response:
    """Send a file from ``directory``, refusing paths that leave it (a
    404)."""
    return t.cast(  # the app's response_class, passed on to Werkzeug
        "Response",
        werkzeug.utils.send_from_directory(
            directory, path, **_prepare_send_file_kwargs(**kwargs)
        ),
    )


def _spec_loader(import_name: str) -> t.Any:
    """The loader that would import ``import_name``, or ``None``."""
    try:
        spec = importlib.util.find_spec(import_name)
    except (ImportError, ValueError):
        return None
    return None if spec is None else spec.loader


def _module_filename(import_name: str) -> str | None:
    """Where the module's code is; ``None`` when no loader knows the name
    (a ``__main__`` run interactively, say)."""
    loaded = sys.modules.get(import_name)
    known: str | None = getattr(loaded, "__file__", None)
    if known is not None:
        return known
    loader = _spec_loader(import_name)
    if loader is None:
        return None
    ask_loader = getattr(loader, "get_filename", None)
    if ask_loader is not None:
        filename: str | None = ask_loader(import_name)
        return filename
    # A loader that cannot tell without running the module.
    imported = importlib.import_module(import_name)
    found: str | None = getattr(imported, "__file__", None)
    if found is None:
        raise RuntimeError(
            "No root path can be found for the provided module"
            f" {import_name!r}. This can happen because the module came"
            " from an import hook that does not provide file name"
            " information or because it's a namespace package. In this"
            " case the root path needs to be explicitly provided."
        )
    return found


def get_root_path(import_name: str) -> str:
    """The folder of a module or package, or the working directory when
    it cannot be found (an interactive session)."""
    filename = _module_filename(import_name)
    if filename is None:
        return os.getcwd()
    return os.path.dirname(os.path.abspath(filename))


@cache
def _split_blueprint_path(name: str) -> list[str]:
    """``"a.b.c"`` as ``["a.b.c", "a.b", "a"]``: a nested blueprint and its
    parents, innermost first."""
    parts = name.split(".")
    return [".".join(parts[:depth]) for depth in range(len(parts), 0, -1)]
