"""Testing support handed out by the app: ``app.test_client()`` gives a
:class:`FlaskClient`, ``app.test_request_context()`` builds its environ with
:class:`EnvironBuilder`, and ``app.test_cli_runner()`` gives a
:class:`FlaskCliRunner`.
"""

from __future__ import annotations

import importlib.metadata
import typing as t
from contextlib import closing
from contextlib import contextmanager
from contextlib import ExitStack
from copy import copy
from types import TracebackType
from urllib.parse import urlsplit

import werkzeug.test
from click.testing import CliRunner
from click.testing import Result
from werkzeug.test import Client
from werkzeug.wrappers import Request as BaseRequest

from .cli import ScriptInfo
from .sessions import SessionMixin

if t.TYPE_CHECKING:  # pragma: no cover
    from _typeshed.wsgi import WSGIEnvironment
    from werkzeug.test import TestResponse

    from .app import Flask


def _base_url_from_config(
    app: Flask, path: str, subdomain: str | None, url_scheme: str | None
) -> tuple[str, str]:
    """Derive ``(base_url, path)`` from the app's configuration.

    A ``path`` that is a full URL brings its own scheme and host; only its
    path and query string remain as the path.
    """
    config = app.config
    target = urlsplit(path)
    server = config.get("SERVER_NAME") or "localhost"
    if url_scheme is None:
        url_scheme = config["PREFERRED_URL_SCHEME"]

    scheme = target.scheme or url_scheme
    host = target.netloc or (f"{subdomain}.{server}" if subdomain else server)
    root = config["APPLICATION_ROOT"].lstrip("/")
    local = target.path

    if target.query:
        joiner = b"?" if isinstance(local, bytes) else "?"
        local = local + joiner + target.query

    return f"{scheme}://{host}/{root}", local


class EnvironBuilder(werkzeug.test.EnvironBuilder):
    """Werkzeug's environ builder, with the URL defaults and the JSON
    serializer taken from a Flask app.

    :param app: The app supplying ``SERVER_NAME``, ``APPLICATION_ROOT``,
        ``PREFERRED_URL_SCHEME`` and the JSON provider.
    :param path: Path to request, relative to the base URL. A full URL is
        allowed; its scheme and host then replace the configured ones.
    :param base_url: Explicit base URL. When given, ``subdomain`` and
        ``url_scheme`` must not be.
    :param subdomain: Subdomain put in front of the configured server name.
    :param url_scheme: Scheme to use instead of ``PREFERRED_URL_SCHEME``.
    :param json: A value sent as the JSON body, serialized by ``app.json``.
    :param args: More positional arguments for Werkzeug's builder.
    :param kwargs: More keyword arguments for Werkzeug's builder.
    """

    def __init__(
        self,
        app: Flask,
        path: str = "/",
        base_url: str | None = None,
        subdomain: str | None = None,
        url_scheme: str | None = None,
        *args: t.Any,
        **kwargs: t.Any,
    ) -> None:
        self.app = app

        if base_url is None:
            base_url, path = _base_url_from_config(app, path, subdomain, url_scheme)
        elif subdomain or url_scheme:
            raise AssertionError(
                'Cannot pass "subdomain" or "url_scheme" with "base_url".'
            )

        super().__init__(path, base_url, *args, **kwargs)

    def json_dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        """Serialize with the app's JSON provider, so a test sends exactly
        what the app itself would produce."""
        return self.app.json.dumps(obj, **kwargs)


_werkzeug_version = ""


def _get_werkzeug_version() -> str:
    """Werkzeug's version, for the clients' ``User-Agent``; looked up once,
    as reading package metadata touches the file system."""
    global _werkzeug_version
    if not _werkzeug_version:
        _werkzeug_version = importlib.metadata.version("werkzeug")
    return _werkzeug_version


# The environ key under which the app hands over the contexts it is about to
# pop, for ``with client:`` to push again; Werkzeug's debugger shares it.
_PRESERVE_KEY = "werkzeug.debug.preserve_context"


class FlaskClient(Client):
    """A Werkzeug test client that knows about Flask's contexts.

    Inside ``with client:`` the contexts of the last request are kept pushed
    until the next request or the end of the block, so ``request``,
    ``session`` and ``g`` can be inspected after a call.

    ``environ_base`` holds environ values every request starts from
    (``REMOTE_ADDR`` and a Werkzeug ``User-Agent`` by default); it may be
    changed after the client is made.
    """

    application: Flask

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.preserve_context = False
        # Contexts the app handed over during the current request, and the
        # stack that keeps the previous request's pushed.
        self._new_contexts: list[t.ContextManager[t.Any]] = []
        self._context_stack = ExitStack()
        self.environ_base: dict[str, t.Any] = {
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_USER_AGENT": f"Werkzeug/{_get_werkzeug_version()}",
        }

    @contextmanager
    def session_transaction(
        self, *args: t.Any, **kwargs: t.Any
    ) -> t.Iterator[SessionMixin]:
        """Give the session stored in the client's cookies to a ``with``
        block, and store it back into the cookies when the block ends, so a
        test can arrange or check session state without a request.

        The arguments go to :meth:`~flask.Flask.test_request_context`, for
        session interfaces that look at the request.

        :raises TypeError: if the client does not keep cookies.
        :raises RuntimeError: if the session interface opens no session,
            for example because no secret key is set.
        """
        if self._cookies is None:
            raise TypeError(
                "Cookies are disabled. Create a client with 'use_cookies=True'."
            )

        app = self.application
        sessions = app.session_interface
        req_ctx = app.test_request_context(*args, **kwargs)
        environ = req_ctx.request.environ
        self._add_cookies_to_wsgi(environ)

        with req_ctx:
            session = sessions.open_session(app, req_ctx.request)

        if session is None:
            raise RuntimeError("Session backend did not open a session.")

        yield session

        if not sessions.is_null_session(session):
            self._store_session(req_ctx, session)

    def _store_session(self, req_ctx: t.Any, session: SessionMixin) -> None:
        """Let the session interface write ``session`` into a response,
        and take the cookies from it."""
        app = self.application
        carrier = app.response_class()

        with req_ctx:
            app.session_interface.save_session(app, session, carrier)

        request = req_ctx.request
        self._update_cookies_from_response(
            request.host.partition(":")[0],
            request.path,
            carrier.headers.getlist("Set-Cookie"),
        )

    def _copy_environ(self, other: WSGIEnvironment) -> WSGIEnvironment:
        """``other`` on top of ``environ_base``, plus, inside ``with
        client:``, the hook through which the app hands over the contexts to
        keep. ``other`` itself is left unchanged."""
        merged = dict(self.environ_base)
        merged.update(other)

        if self.preserve_context:
            merged[_PRESERVE_KEY] = self._new_contexts.append

        return merged

    def _request_from_builder_args(
        self, args: tuple[t.Any, ...], kwargs: dict[str, t.Any]
    ) -> BaseRequest:
        """The request that this module's :class:`EnvironBuilder` makes of
        the arguments of :meth:`open`, on top of ``environ_base``.
        ``kwargs["environ_base"]`` is replaced by the merged environ."""
        kwargs["environ_base"] = self._copy_environ(kwargs.get("environ_base", {}))

        # Closing frees files the builder opened for form uploads.
        with closing(EnvironBuilder(self.application, *args, **kwargs)) as builder:
            return builder.get_request()

    def _build_request(
        self, args: tuple[t.Any, ...], kwargs: dict[str, t.Any]
    ) -> BaseRequest:
        """Turn the arguments of :meth:`open` into a request, never changing
        a builder, environ or request the caller passed in."""
        first = args[0] if args else None

        if isinstance(first, werkzeug.test.EnvironBuilder):
            given = copy(first)
            given.environ_base = self._copy_environ(
                t.cast("WSGIEnvironment", given.environ_base or {})
            )
            return given.get_request()

        if isinstance(first, dict):
            from_environ = EnvironBuilder.from_environ(
                first, app=self.application, environ_base=self._copy_environ({})
            )
            return from_environ.get_request()

        if isinstance(first, BaseRequest):
            request = copy(first)
            request.environ = self._copy_environ(request.environ)
            return request

        return self._request_from_builder_args(args, kwargs)

    def open(
        self,
        *args: t.Any,
        buffered: bool = False,
        follow_redirects: bool = False,
        **kwargs: t.Any,
    ) -> TestResponse:
        """Send a request and return the response, as Werkzeug's client
        does.

        The first argument may also be an environ builder, an environ dict
        or a request; otherwise the arguments build a request with this
        module's :class:`EnvironBuilder`. ``response.json`` decodes with the
        app's JSON provider.
        """
        request = self._build_request(args, kwargs)
        # The previous request's contexts go before this one starts.
        self._context_stack.close()
        response = super().open(
            request, follow_redirects=follow_redirects, buffered=buffered
        )
        # Werkzeug types json_module as the json module; the app's provider
        # has the loads/dumps it needs.
        response.json_module = self.application.json  # type: ignore[assignment]
        # Requests made to follow redirects pass through here as well; the
        # contexts they handed over are all pushed together.
        for context in self._new_contexts:
            self._context_stack.enter_context(context)
        self._new_contexts.clear()
        return response

    # ``with client:`` switches context keeping on for the block. One block
    # at a time: an inner one would end the outer one's keeping early.

    def __enter__(self) -> FlaskClient:
        if self.preserve_context:
            raise RuntimeError("Cannot nest client invocations")

        self.preserve_context = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.preserve_context = False
        self._context_stack.close()


class FlaskCliRunner(CliRunner):
    """A Click :class:`~click.testing.CliRunner` for an app's commands; see
    :meth:`Flask.test_cli_runner`."""

    def __init__(self, app: Flask, **kwargs: t.Any) -> None:
        self.app = app
        super().__init__(**kwargs)

    # Flask's signature: ``cli`` is optional here, not in Click's.
    def invoke(  # type: ignore[override]
        self, cli: t.Any = None, args: t.Any = None, **kwargs: t.Any
    ) -> Result:
        """Invoke a command in an isolated environment, as
        :meth:`CliRunner.invoke` does.

        :param cli: The command to run; defaults to the app's ``app.cli``.
        :param args: The arguments, as a list of strings.
        :param kwargs: Passed to Click. Unless ``obj`` is among them, a
            :class:`~flask.cli.ScriptInfo` that returns this app is used.
        """
        if "obj" not in kwargs:
            app = self.app
            kwargs["obj"] = ScriptInfo(create_app=lambda: app)

        return super().invoke(self.app.cli if cli is None else cli, args, **kwargs)
