"""``Flask``, the WSGI application: the sans-IO ``App`` plus the request
cycle.

The request path is kept lean: hooks, signals and the session cost nothing
while none are registered or used, the URL map is bound and matched once
per request, and yet every stage is still a method reached through
``self`` so subclasses and extensions can override it.
"""

from __future__ import annotations

import collections.abc as cabc
import os
import sys
import typing as t
import weakref as weakref  # flask.app.weakref, for callers
from contextlib import closing
from datetime import timedelta
from inspect import iscoroutinefunction
from itertools import chain as chain  # flask.app.chain, for callers
from types import GeneratorType
from types import TracebackType
from urllib.parse import quote as _url_quote

import click
from werkzeug.datastructures import Headers
from werkzeug.datastructures import ImmutableDict
from werkzeug.exceptions import BadRequestKeyError
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import InternalServerError
from werkzeug.routing import BuildError
from werkzeug.routing import MapAdapter
from werkzeug.routing import RequestRedirect
from werkzeug.routing import RoutingException
from werkzeug.serving import is_running_from_reloader
from werkzeug.utils import cached_property
from werkzeug.wrappers import Response as BaseResponse
from werkzeug.wsgi import get_host as get_host  # flask.app.get_host, for callers

from . import cli
from . import typing as ft
from ._werkzeug_compat.code import plainly_sync
from ._werkzeug_compat.errors import http_exception_response
from ._werkzeug_compat.errors import redirect_response
from ._werkzeug_compat.response import set_status_code
from .ctx import AppContext
from .ctx import RequestContext
from .globals import _cv_app
from .globals import _cv_request
from .globals import current_app as current_app  # flask.app.current_app
from .globals import g
from .globals import request
from .globals import request_ctx as request_ctx  # flask.app.request_ctx
from .globals import session
from .helpers import get_debug_flag
from .helpers import get_flashed_messages
from .helpers import get_load_dotenv
from .helpers import send_from_directory
from .routing import MapAdapter as _RoutingAdapter
from .routing import Rule as Rule  # flask.app.Rule, for callers
from .sansio.app import _make_timedelta as _make_timedelta
from .sansio.app import App
from .sansio.scaffold import _sentinel
from .sessions import SecureCookieSessionInterface
from .sessions import SessionInterface
from .signals import appcontext_tearing_down
from .signals import got_request_exception
from .signals import request_finished
from .signals import request_started
from .signals import request_tearing_down
from .templating import Environment
from .wrappers import Request
from .wrappers import Response

if t.TYPE_CHECKING:  # pragma: no cover
    from _typeshed.wsgi import StartResponse
    from _typeshed.wsgi import WSGIEnvironment
    from click import Group

    from .testing import FlaskClient
    from .testing import FlaskCliRunner

# Flask's names for the decorators' type variables, which typed extensions
# import from here.
T_shell_context_processor = t.TypeVar(
    "T_shell_context_processor", bound=ft.ShellContextProcessorCallable
)
T_teardown = t.TypeVar("T_teardown", bound=ft.TeardownCallable)
T_template_filter = t.TypeVar("T_template_filter", bound=ft.TemplateFilterCallable)
T_template_global = t.TypeVar("T_template_global", bound=ft.TemplateGlobalCallable)
T_template_test = t.TypeVar("T_template_test", bound=ft.TemplateTestCallable)


def _config_defaults() -> ImmutableDict[str, t.Any]:
    """``Flask.default_config``, assembled by topic."""
    modes = dict(
        DEBUG=None,
        TESTING=False,
        PROPAGATE_EXCEPTIONS=None,
        TRAP_BAD_REQUEST_ERRORS=None,
        TRAP_HTTP_EXCEPTIONS=False,
        EXPLAIN_TEMPLATE_LOADING=False,
        TEMPLATES_AUTO_RELOAD=None,
    )
    signing = dict(SECRET_KEY=None, SECRET_KEY_FALLBACKS=None)
    cookie = {
        f"SESSION_COOKIE_{key}": value
        for key, value in dict(
            NAME="session",
            DOMAIN=None,
            PATH=None,
            HTTPONLY=True,
            SECURE=False,
            PARTITIONED=False,
            SAMESITE=None,
        ).items()
    }
    sessions = dict(
        PERMANENT_SESSION_LIFETIME=timedelta(days=31),
        SESSION_REFRESH_EACH_REQUEST=True,
        MAX_COOKIE_SIZE=4093,
    )
    urls = dict(
        SERVER_NAME=None,
        APPLICATION_ROOT="/",
        PREFERRED_URL_SCHEME="http",
        TRUSTED_HOSTS=None,
        PROVIDE_AUTOMATIC_OPTIONS=True,
    )
    limits = dict(
        MAX_CONTENT_LENGTH=None,
        MAX_FORM_MEMORY_SIZE=500_000,
        MAX_FORM_PARTS=1_000,
    )
    files = dict(USE_X_SENDFILE=False, SEND_FILE_MAX_AGE_DEFAULT=None)
    return ImmutableDict(
        {**modes, **signing, **cookie, **sessions, **urls, **limits, **files}
    )


# An adapter whose build is this one is built through its two halves.
_STOCK_BUILD = _RoutingAdapter.build

_BAD_RETURN = (
    "The view function did not return a valid response. The return type"
    " must be a string, dict, list, tuple with headers or status,"
    " Response instance, or WSGI callable, but it was a {}."
)
_BAD_TUPLE = (
    "The view function did not return a valid response tuple. The tuple"
    " must have the form (body, status, headers), (body, status), or"
    " (body, headers)."
)
_NO_RETURN = (
    "The view function for {!r} did not return a valid response. The"
    " function either returned None or ended without a return statement."
)
_NO_SERVER_NAME = (
    "Unable to build URLs outside an active request without 'SERVER_NAME'"
    " configured. Also configure 'APPLICATION_ROOT' and"
    " 'PREFERRED_URL_SCHEME' as needed."
)
_RUN_UNDER_CLI = (
    " * Ignoring a call to 'app.run()' that would block the current 'flask'"
    " CLI command.\n   Only call 'app.run()' in an 'if __name__ =="
    ' "__main__"\' guard.'
)
# Characters left as they are in a URL fragment.
_ANCHOR_SAFE = "%!#$&'()*+,/:;=?@"
# Things a two-item view tuple may carry as its second item, meaning
# headers rather than a status.
_HEADER_LIKE = (Headers, dict, tuple, list)
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_READ_MODES = frozenset({"r", "rt", "rb"})


def _asgiref_converter() -> t.Callable[
    [t.Callable[..., t.Any]], t.Callable[..., t.Any]
]:
    try:
        from asgiref.sync import async_to_sync
    except ImportError:
        raise RuntimeError(
            "Install Flask with the 'async' extra in order to use async views."
        ) from None
    return async_to_sync


def _split_view_tuple(rv: tuple[t.Any, ...]) -> tuple[t.Any, t.Any, t.Any]:
    """``(body, status, headers)`` from a view's tuple return value."""
    if len(rv) == 3:
        return rv
    if len(rv) != 2:
        raise TypeError(_BAD_TUPLE)
    body, extra = rv
    if isinstance(extra, _HEADER_LIKE):
        return body, None, extra
    return body, extra, None


def _outside_in(
    registry: dict[t.Any, list[t.Any]], blueprints: t.Sequence[str]
) -> t.Iterator[t.Any]:
    """The callables of ``registry`` for the app, then for each blueprint
    from the outermost to the innermost, each list in order."""
    for owner in (None, *reversed(blueprints)):
        if owner in registry:
            yield from registry[owner]


def _inside_out(
    registry: dict[t.Any, list[t.Any]], blueprints: t.Sequence[str]
) -> t.Iterator[t.Any]:
    """The reverse of ``_outside_in``: innermost blueprint first, the app
    last, each list backwards."""
    for owner in (*blueprints, None):
        if owner in registry:
            yield from reversed(registry[owner])


class Flask(App):
    """A WSGI application. Make one with the import name of its module or
    package (``Flask(__name__)``), attach views with ``route``, and hand it
    to any WSGI server."""

    default_config = _config_defaults()

    request_class: type[Request] = Request

    response_class: type[Response] = Response

    #: The session interface; Flask's signed cookie by default.
    session_interface: SessionInterface = SecureCookieSessionInterface()

    #: ``(session interface, may its session open lazily)``, remembered
    #: per app by ``_session_is_lazy``.
    _lazy_session_for: tuple[t.Any, bool] | None = None

    @cached_property
    def cli(self) -> Group:
        """The app's click command group (``flask`` sub-commands), built on
        first access."""
        group = cli.AppGroup()
        group.name = self.name
        return group

    # Files -----------------------------------------------------------------

    def get_send_file_max_age(self, filename: str | None) -> int | None:
        """Cache lifetime, in seconds, for files sent by ``send_file``:
        ``SEND_FILE_MAX_AGE_DEFAULT`` of the current app. ``None`` (the
        default) leaves browsers to revalidate conditionally."""
        configured: timedelta | int | None = _cv_app.get().app.config[
            "SEND_FILE_MAX_AGE_DEFAULT"
        ]
        if isinstance(configured, timedelta):
            return int(configured.total_seconds())
        return configured

    def send_static_file(self, filename: str) -> Response:
        """Serve ``filename`` from ``static_folder`` (the static route's
        view)."""
        if not self.has_static_folder:
            raise RuntimeError("'static_folder' must be set to serve static_files.")
        # Asked per file, so subclasses can vary it.
        return send_from_directory(
            t.cast(str, self.static_folder),
            filename,
            max_age=self.get_send_file_max_age(filename),
        )

    @staticmethod
    def _open_under(
        folder: str, resource: str, mode: str, encoding: str | None
    ) -> t.IO[t.AnyStr]:
        path = os.path.join(folder, resource)
        if "b" in mode:
            return open(path, mode)  # noqa: SIM115
        return open(path, mode, encoding=encoding)  # noqa: SIM115

    def open_resource(
        self, resource: str, mode: str = "rb", encoding: str | None = None
    ) -> t.IO[t.AnyStr]:
        """Open ``resource`` (relative to ``root_path``) for reading."""
        if mode not in _READ_MODES:
            raise ValueError("Resources can only be opened for reading.")
        return self._open_under(self.root_path, resource, mode, encoding)

    def open_instance_resource(
        self, resource: str, mode: str = "rb", encoding: str | None = "utf-8"
    ) -> t.IO[t.AnyStr]:
        """Open ``resource`` relative to ``instance_path``; writing is
        allowed here."""
        return self._open_under(self.instance_path, resource, mode, encoding)

    def redirect(self, location: str, code: int = 302) -> BaseResponse:
        """A redirect response made with the app's response class."""
        rv = redirect_response(location, code, self.response_class)
        return super().redirect(location, code) if rv is None else rv

    # Templates ---------------------------------------------------------------

    def create_jinja_environment(self) -> Environment:
        """Build the Jinja environment from ``jinja_options`` and install
        the globals templates rely on."""
        options = dict(self.jinja_options)
        options.setdefault("autoescape", self.select_jinja_autoescape)
        if "auto_reload" not in options:
            reload_setting = self.config["TEMPLATES_AUTO_RELOAD"]
            options["auto_reload"] = (
                self.debug if reload_setting is None else reload_setting
            )
        env = self.jinja_environment(self, **options)
        # In Flask's order, which templates see when they list the globals.
        env.globals.update(
            url_for=self.url_for,
            get_flashed_messages=get_flashed_messages,
            config=self.config,
            request=request,
            session=session,
            g=g,
        )
        env.policies["json.dumps_function"] = self.json.dumps
        return env

    def update_template_context(self, context: dict[str, t.Any]) -> None:
        """Fill ``context`` from the context processors of the app and of
        the current request's blueprints, without overriding what the
        caller passed."""
        req_ctx = _cv_request.get(None)
        blueprints = req_ctx.request.blueprints if req_ctx is not None else ()
        given = dict(context)
        for processor in _outside_in(self.template_context_processors, blueprints):
            context.update(self.ensure_sync(processor)())
        context.update(given)

    def make_shell_context(self) -> dict[str, t.Any]:
        """The ``flask shell`` namespace: ``app``, ``g``, then whatever the
        shell context processors contribute."""
        namespace: dict[str, t.Any] = {"app": self, "g": g}
        for contribute in self.shell_context_processors:
            namespace.update(contribute())
        return namespace

    # Routing -------------------------------------------------------------

    def create_url_adapter(self, request: Request | None) -> MapAdapter | None:
        """Bind the URL map. With a request, to its environ; without, to
        ``SERVER_NAME``/``APPLICATION_ROOT``/``PREFERRED_URL_SCHEME``, or
        ``None`` if ``SERVER_NAME`` is unset."""
        config = self.config
        url_map = self.url_map
        if request is None:
            if config["SERVER_NAME"] is None:
                return None
            return url_map.bind(
                config["SERVER_NAME"],
                script_name=config["APPLICATION_ROOT"],
                url_scheme=config["PREFERRED_URL_SCHEME"],
            )

        allowed_hosts = config["TRUSTED_HOSTS"]
        if allowed_hosts is not None:
            request.trusted_hosts = allowed_hosts
            # Reading ``host`` validates it: a bad one fails here, as a
            # routing error.
            request.host  # noqa: B018

        if url_map.host_matching:
            # Rules match the whole host; SERVER_NAME is irrelevant.
            return url_map.bind_to_environ(
                request.environ, server_name=None, subdomain=None
            )
        # Without subdomain matching every host gets the default
        # subdomain's rules.
        subdomain = (
            None if self.subdomain_matching else (url_map.default_subdomain or "")
        )
        return url_map.bind_to_environ(
            request.environ, server_name=config["SERVER_NAME"], subdomain=subdomain
        )

    def raise_routing_exception(self, request: Request) -> t.NoReturn:
        """Raise the routing error recorded on ``request``. In debug mode a
        redirect that a browser would follow without the form body becomes
        an explanatory error instead."""
        failure = request.routing_exception
        drops_body = (
            self.debug
            and isinstance(failure, RequestRedirect)
            and failure.code not in (307, 308)
            and request.method not in _SAFE_METHODS
        )
        if not drops_body:
            raise failure  # type: ignore[misc]  # not None: routing failed
        from .debughelpers import FormDataRoutingRedirect

        raise FormDataRoutingRedirect(request)

    # Development server and testing ----------------------------------------

    def _dev_server_address(
        self, host: str | None, port: int | None
    ) -> tuple[str, int]:
        """Host and port for ``run``: the arguments, else those of
        ``SERVER_NAME``, else ``127.0.0.1:5000``."""
        named_host, _, named_port = (self.config.get("SERVER_NAME") or "").partition(
            ":"
        )
        host = host or named_host or "127.0.0.1"
        if port or port == 0:
            return host, int(port)
        return host, int(named_port) if named_port else 5000

    def run(
        self,
        host: str | None = None,
        port: int | None = None,
        debug: bool | None = None,
        load_dotenv: bool = True,
        **options: t.Any,
    ) -> None:
        """Serve the app on Werkzeug's development server; never use it in
        production. Does nothing under ``flask run``, which already serves
        the app."""
        if os.environ.get("FLASK_RUN_FROM_CLI") == "true":
            if not is_running_from_reloader():
                click.secho(_RUN_UNDER_CLI, fg="red")
            return

        dotenv_debug = False
        if get_load_dotenv(load_dotenv):
            cli.load_dotenv()
            dotenv_debug = "FLASK_DEBUG" in os.environ
        # Precedence: the argument, then FLASK_DEBUG (it may come from the
        # dotenv files just loaded), then what the app had.
        if debug is not None:
            self.debug = bool(debug)
        elif dotenv_debug:
            self.debug = get_debug_flag()

        bind_host, bind_port = self._dev_server_address(host, port)
        for key in ("use_reloader", "use_debugger"):
            options.setdefault(key, self.debug)
        options.setdefault("threaded", True)
        cli.show_server_banner(self.debug, self.name)

        from werkzeug.serving import run_simple

        try:
            run_simple(bind_host, bind_port, self, **options)
        finally:
            # After a reload the app may be configured afresh.
            self._got_first_request = False

    def test_client(self, use_cookies: bool = True, **kwargs: t.Any) -> FlaskClient:
        """A client that sends requests to the app without a server
        (``test_client_class``, ``flaskrs.testing.FlaskClient`` by
        default)."""
        client_cls = self.test_client_class
        if client_cls is None:
            from .testing import FlaskClient

            client_cls = FlaskClient
        return client_cls(self, self.response_class, use_cookies=use_cookies, **kwargs)

    def test_cli_runner(self, **kwargs: t.Any) -> FlaskCliRunner:
        """A runner that invokes the app's CLI commands in tests."""
        runner_cls = self.test_cli_runner_class
        if runner_cls is None:
            from .testing import FlaskCliRunner

            runner_cls = FlaskCliRunner
        return runner_cls(self, **kwargs)

    # The request cycle ---------------------------------------------------

    def _session_is_lazy(self) -> bool:
        """Whether the session may be opened on first use and skipped when
        unused: the session interface's ``_is_stock_cookie()``, asked once
        per interface object (a new one assigned is asked again)."""
        interface = self.session_interface
        cached = self._lazy_session_for
        if cached is not None and cached[0] is interface:
            return cached[1]
        lazy = interface._is_stock_cookie()
        self._lazy_session_for = (interface, lazy)
        return lazy

    def _current_blueprints(self) -> list[str]:
        return _cv_request.get().request.blueprints

    def handle_http_exception(
        self, e: HTTPException
    ) -> HTTPException | ft.ResponseReturnValue:
        """Answer an HTTP exception with its registered handler, or with
        the exception itself (which is a response). Code-less exceptions
        and routing redirects bypass the handlers."""
        if e.code is None or isinstance(e, RoutingException):
            return e
        handler = self._find_error_handler(e, self._current_blueprints())
        return e if handler is None else self.ensure_sync(handler)(e)

    def handle_user_exception(
        self, e: Exception
    ) -> HTTPException | ft.ResponseReturnValue:
        """Answer an exception raised during dispatch: HTTP exceptions not
        trapped go to ``handle_http_exception``; any other goes to its
        handler, and propagates if it has none."""
        if isinstance(e, BadRequestKeyError) and (
            self.debug or self.config["TRAP_BAD_REQUEST_ERRORS"]
        ):
            e.show_exception = True

        if isinstance(e, HTTPException) and not self.trap_http_exception(e):
            return self.handle_http_exception(e)

        handler = self._find_error_handler(e, self._current_blueprints())
        if handler is not None:
            handled: HTTPException | ft.ResponseReturnValue = self.ensure_sync(handler)(
                e
            )
            return handled
        # This frame ends up in the traceback; dropping the local first
        # avoids a frame <-> exception cycle that only the GC would free.
        del e
        raise

    def _propagates_exceptions(self) -> bool:
        setting: bool | None = self.config["PROPAGATE_EXCEPTIONS"]
        if setting is None:
            return self.testing or self.debug
        return setting

    def handle_exception(self, e: Exception) -> Response:
        """Last stop for an exception nothing handled. When exceptions
        propagate (testing or debug mode) it is re-raised; otherwise it is
        logged and the response is a 500, through the 500 handler if one is
        registered."""
        exc_info = sys.exc_info()
        if got_request_exception.receivers:
            got_request_exception.send(
                self, _async_wrapper=self.ensure_sync, exception=e
            )
        if self._propagates_exceptions():
            if exc_info[1] is not e:
                raise e
            # Still the active exception: a bare raise keeps its traceback.
            raise

        self.log_exception(exc_info)
        wrapped = InternalServerError(original_exception=e)
        handler = self._find_error_handler(wrapped, self._current_blueprints())
        outcome: t.Any = (
            wrapped if handler is None else self.ensure_sync(handler)(wrapped)
        )
        return self.finalize_request(outcome, from_error_handler=True)

    def log_exception(
        self,
        exc_info: tuple[type, BaseException, TracebackType] | tuple[None, None, None],
    ) -> None:
        """Record an unhandled exception on ``app.logger``."""
        req = _cv_request.get().request
        self.logger.error(f"Exception on {req.path} [{req.method}]", exc_info=exc_info)

    def dispatch_request(self) -> ft.ResponseReturnValue:
        """Run the view the URL matched and return its raw return value."""
        req = _cv_request.get().request
        if req.routing_exception is not None:
            self.raise_routing_exception(req)
        rule: t.Any = req.url_rule
        # OPTIONS is answered for the view unless it opted out.
        if req.method == "OPTIONS" and getattr(
            rule, "provide_automatic_options", False
        ):
            return self.make_default_options_response()
        view = self.view_functions[rule.endpoint]
        # view_args is a dict once routing has succeeded, as checked above.
        # (No typing.cast here, a call on the hot path, to say it is not None.)
        rv: ft.ResponseReturnValue = self.ensure_sync(view)(**req.view_args)  # type: ignore[arg-type]
        return rv

    def full_dispatch_request(self) -> Response:
        """The whole request: signals, before-request hooks, the view,
        error handling, and the response with its after-request
        processing."""
        self._got_first_request = True
        try:
            if request_started.receivers:
                request_started.send(self, _async_wrapper=self.ensure_sync)
            early = self.preprocess_request()
            outcome = self.dispatch_request() if early is None else early
        except Exception as e:
            outcome = self.handle_user_exception(e)
        return self.finalize_request(outcome)

    def finalize_request(
        self,
        rv: ft.ResponseReturnValue | HTTPException,
        from_error_handler: bool = False,
    ) -> Response:
        """Turn ``rv`` into a response and post-process it. For an error
        handler's response, a failure during post-processing is logged
        and the response is sent regardless."""
        response = self.make_response(rv)
        try:
            response = self.process_response(response)
            if request_finished.receivers:
                request_finished.send(
                    self, _async_wrapper=self.ensure_sync, response=response
                )
        except Exception:
            if from_error_handler:
                self.logger.exception(
                    "Request finalizing failed with an error while handling an error"
                )
            else:
                raise
        return response

    def make_default_options_response(self) -> Response:
        """The automatic ``OPTIONS`` answer: empty, with ``Allow`` listing
        what the URL accepts."""
        # A request context that routed the request has its adapter.
        allowed = t.cast("MapAdapter", _cv_request.get().url_adapter).allowed_methods()
        response = self.response_class()
        response.allow.update(allowed)
        return response

    def ensure_sync(self, func: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        """``func``, or for a coroutine function a wrapper that runs it to
        completion (views, hooks and handlers may be ``async def``)."""
        if plainly_sync(func):
            return func
        return self.async_to_sync(func) if iscoroutinefunction(func) else func

    def async_to_sync(
        self, func: t.Callable[..., t.Coroutine[t.Any, t.Any, t.Any]]
    ) -> t.Callable[..., t.Any]:
        """Make a coroutine function callable synchronously, through
        asgiref (installed by the ``async`` extra)."""
        return _asgiref_converter()(func)

    def url_for(
        self,
        /,
        endpoint: str,
        *,
        _anchor: str | None = None,
        _method: str | None = None,
        _scheme: str | None = None,
        _external: bool | None = None,
        **values: t.Any,
    ) -> str:
        """The URL of ``endpoint`` with ``values`` (unknown ones go to the
        query string). In a request, relative unless ``_external``;
        outside one, absolute from ``SERVER_NAME``. A leading ``.`` names
        an endpoint of the current blueprint."""
        return self._url_for(endpoint, values, _anchor, _method, _scheme, _external)

    # flaskrs.url_for calls _url_for directly while url_for is this one.
    _stock_url_for = url_for

    def _url_for(
        self,
        endpoint: str,
        values: dict[str, t.Any],
        _anchor: str | None,
        _method: str | None,
        _scheme: str | None,
        _external: bool | None,
    ) -> str:
        # The body of url_for, which flaskrs.url_for calls directly (saving
        # a repacking of the keyword arguments) unless url_for is replaced.
        req_ctx = _cv_request.get(None)
        if req_ctx is None:
            app_ctx = _cv_app.get(None)
            adapter = (
                app_ctx.url_adapter
                if app_ctx is not None
                else self.create_url_adapter(None)
            )
            if adapter is None:
                raise RuntimeError(_NO_SERVER_NAME)
            # No request, no base URL: always absolute.
            external = True if _external is None else _external
        else:
            adapter = req_ctx.url_adapter
            if endpoint[:1] == ".":
                current = req_ctx.request.blueprint
                endpoint = endpoint[1:] if current is None else current + endpoint
            # Asking for a scheme implies an absolute URL.
            external = _scheme is not None if _external is None else _external

        if _scheme is not None and not external:
            raise ValueError("When specifying '_scheme', '_external' must be True.")
        if self.url_default_functions:
            self.inject_url_defaults(endpoint, values)

        try:
            # A request context has an adapter (Flask's contract): typed Any
            # here, not cast, a call at run time.
            native: t.Any = adapter
            url: str
            if type(native).build is _STOCK_BUILD:
                # MapAdapter.build, one frame shorter: the native build, and
                # build's own answer for anything but a URL.
                url = native._build(endpoint, values, _method, external, True, _scheme)
                if url.__class__ is not str:
                    url = native._built(
                        url, endpoint, values, _method, external, True, _scheme
                    )
            else:
                url = native.build(
                    endpoint, values, _method, external, url_scheme=_scheme
                )
        except BuildError as failure:
            # The fallback handlers see the special arguments among the
            # values, with ``_external`` as resolved above.
            extras = {"_anchor": _anchor, "_method": _method, "_scheme": _scheme}
            values.update(extras, _external=external)
            return self.handle_url_build_error(failure, endpoint, values)
        if _anchor is not None:
            url += "#" + _url_quote(_anchor, safe=_ANCHOR_SAFE)
        return url

    def make_response(self, rv: ft.ResponseReturnValue) -> Response:
        """Convert what a view returned into ``response_class``: text,
        bytes or an iterator is the body, a dict or list is JSON, a tuple
        adds a status and/or headers, and a response object or WSGI
        callable is coerced."""
        response_class = self.response_class
        # Fast exits for the two commonest returns.
        kind = type(rv)
        if kind is str:
            # (No typing.cast on this path: it is a call at run time.)
            return response_class(rv)  # type: ignore[arg-type]
        if kind is dict or kind is list:
            # JSONProvider.response is typed (as in Flask) with the sansio Response.
            return self.json.response(rv)  # type: ignore[return-value]
        if kind is GeneratorType:
            # A streamed body, the Iterator case below without the ABC check.
            return response_class(rv)  # type: ignore[arg-type]

        body: t.Any = rv
        status: t.Any = None
        headers: t.Any = None
        if kind is tuple:
            pair: tuple[t.Any, ...] = body
            if len(pair) == 2 and type(pair[1]) is int:
                body, status = pair
            else:
                body, status, headers = _split_view_tuple(pair)
        elif isinstance(rv, tuple):
            body, status, headers = _split_view_tuple(rv)

        if body is None:
            req_ctx = _cv_request.get(None)
            raise TypeError(
                _NO_RETURN.format(
                    req_ctx.request.endpoint if req_ctx is not None else None
                )
            )

        if isinstance(body, response_class):
            response = body
        elif isinstance(body, (str, bytes, bytearray, cabc.Iterator)):
            # The constructor picks a content type only when the headers
            # lack one, so status and headers go in here, and are done.
            # Werkzeug takes a bytearray body too; its annotation leaves it out.
            response = response_class(body, status=status, headers=headers)  # type: ignore[arg-type]
            status = headers = None
        elif isinstance(body, (dict, list)):
            response = self.json.response(body)  # type: ignore[assignment]  # as above
        else:
            response = self._coerce_response(body)

        if status is not None and not set_status_code(response, status):
            # A string status carries its phrase; a number gets the standard
            # one.
            textual = isinstance(status, (str, bytes, bytearray))
            setattr(response, "status" if textual else "status_code", status)
        if headers:
            response.headers.update(headers)
        return response

    def _coerce_response(self, body: t.Any) -> Response:
        """``make_response`` for other response objects, HTTP exceptions
        and WSGI callables."""
        if isinstance(body, HTTPException):
            quick = http_exception_response(
                body, _cv_request.get().request.environ, self.response_class
            )
            if quick is not None:
                return quick
        if not (isinstance(body, BaseResponse) or callable(body)):
            raise TypeError(_BAD_RETURN.format(type(body).__name__))
        try:
            return t.cast(
                Response,
                self.response_class.force_type(body, _cv_request.get().request.environ),
            )
        except TypeError as e:
            raise TypeError(
                f"{e}\n{_BAD_RETURN.format(type(body).__name__)}"
            ).with_traceback(sys.exc_info()[2]) from None

    def preprocess_request(self) -> ft.ResponseReturnValue | None:
        """Run the URL value preprocessors, then the ``before_request``
        functions (app first, then blueprints outward in); the first one
        to return a value answers the request."""
        preprocessors = self.url_value_preprocessors
        befores = self.before_request_funcs
        if not preprocessors and not befores:
            return None

        req = _cv_request.get().request
        blueprints = req.blueprints
        if preprocessors:
            for adjust in _outside_in(preprocessors, blueprints):
                adjust(req.endpoint, req.view_args)
        if befores:
            for hook in _outside_in(befores, blueprints):
                early: ft.ResponseReturnValue | None = self.ensure_sync(hook)()
                if early is not None:
                    return early
        return None

    def process_response(self, response: Response) -> Response:
        """Pass the response through the functions of
        ``after_this_request`` and ``after_request`` (innermost blueprint
        first, each list in reverse), then save the session."""
        ctx = _cv_request.get()

        for func in ctx._after_request_functions:
            response = self.ensure_sync(func)(response)

        afters = self.after_request_funcs
        if afters:
            for func in _inside_out(afters, ctx.request.blueprints):
                response = self.ensure_sync(func)(response)

        session = ctx._session_obj
        if session is None and (
            not self._session_is_lazy() or self._unused_session_may_save(ctx.request)
        ):
            session = ctx._session
        if session is not None:
            interface = self.session_interface
            if not interface.is_null_session(session):
                interface.save_session(self, session, response)

        return response

    def _unused_session_may_save(self, request: Request) -> bool:
        # An unused session still refreshes a permanent cookie, so it is
        # opened and saved when there is a cookie that may be one (the lazy
        # interface is the cookie interface).
        return "HTTP_COOKIE" in request.environ and (
            self.session_interface._unused_may_write(self, request)
        )

    def do_teardown_request(
        self,
        exc: BaseException | None = _sentinel,
    ) -> None:
        """Call the ``teardown_request`` functions (innermost blueprint
        first, each list in reverse) when the request context is popped."""
        if exc is _sentinel:
            exc = sys.exc_info()[1]
        registry = self.teardown_request_funcs
        if registry:
            blueprints = _cv_request.get().request.blueprints
            for func in _inside_out(registry, blueprints):
                self.ensure_sync(func)(exc)
        if request_tearing_down.receivers:
            request_tearing_down.send(self, _async_wrapper=self.ensure_sync, exc=exc)

    def do_teardown_appcontext(
        self,
        exc: BaseException | None = _sentinel,
    ) -> None:
        """Call the ``teardown_appcontext`` functions, newest first, when
        an app context is popped."""
        if exc is _sentinel:
            exc = sys.exc_info()[1]
        registered = self.teardown_appcontext_funcs
        if registered:
            for func in reversed(registered):
                self.ensure_sync(func)(exc)
        if appcontext_tearing_down.receivers:
            appcontext_tearing_down.send(self, _async_wrapper=self.ensure_sync, exc=exc)

    def app_context(self) -> AppContext:
        """A fresh app context (``with app.app_context(): ...``)."""
        return AppContext(self)

    def request_context(self, environ: WSGIEnvironment) -> RequestContext:
        """A fresh request context for ``environ``."""
        return RequestContext(self, environ)

    def test_request_context(self, *args: t.Any, **kwargs: t.Any) -> RequestContext:
        """A request context for a request described by the arguments of
        Werkzeug's ``EnvironBuilder`` (path, method, headers, data...)."""
        from .testing import EnvironBuilder

        with closing(EnvironBuilder(self, *args, **kwargs)) as builder:
            return self.request_context(builder.get_environ())

    def wsgi_app(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> cabc.Iterable[bytes]:
        """The WSGI application proper. ``__call__`` defers to it so that
        middleware can wrap it: ``app.wsgi_app = Middleware(app.wsgi_app)``."""
        ctx = self.request_context(environ)
        failure: BaseException | None = None
        try:
            try:
                ctx.push()
                response = self.full_dispatch_request()
            except BaseException as exc:
                failure = exc
                if not isinstance(exc, Exception):
                    raise
                response = self.handle_exception(exc)
            return response(environ, start_response)
        finally:
            keep_alive = environ.get("werkzeug.debug.preserve_context")
            if keep_alive is not None:
                # The debugger wants both contexts for its console.
                keep_alive(_cv_app.get())
                keep_alive(_cv_request.get())
            if failure is not None and self.should_ignore_error(failure):
                failure = None
            ctx.pop(failure)
            # The traceback references this frame: drop the exception.
            failure = None

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> cabc.Iterable[bytes]:
        return self.wsgi_app(environ, start_response)
