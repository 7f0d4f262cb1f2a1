"""The application object minus the request cycle: configuration, the URL
map, the registries, and the decisions that need no request (which error
handler applies, what to trap, URL defaults, URL build failures)."""

from __future__ import annotations

import logging
import os
import sys
import typing as t
import weakref
from datetime import timedelta
from itertools import chain as chain  # flask.sansio.app.chain, for callers

from werkzeug.exceptions import Aborter
from werkzeug.exceptions import BadRequest
from werkzeug.exceptions import BadRequestKeyError
from werkzeug.routing import BuildError
from werkzeug.sansio.response import Response as Response
from werkzeug.utils import cached_property
from werkzeug.utils import redirect as _wz_redirect

from .. import typing as ft
from ..config import Config
from ..config import ConfigAttribute
from ..ctx import _AppCtxGlobals
from ..helpers import _split_blueprint_path
from ..helpers import get_debug_flag
from ..json.provider import DefaultJSONProvider
from ..json.provider import JSONProvider
from ..logging import create_logger
from ..routing import Map
from ..routing import Rule
from ..templating import DispatchingJinjaLoader
from ..templating import Environment
from .scaffold import _endpoint_from_view_func
from .scaffold import find_package
from .scaffold import registering
from .scaffold import Scaffold
from .scaffold import setupmethod

if t.TYPE_CHECKING:  # pragma: no cover
    from werkzeug.wrappers import Response as BaseResponse

    from ..testing import FlaskClient
    from ..testing import FlaskCliRunner
    from .blueprints import Blueprint

F = t.TypeVar("F", bound=t.Callable[..., t.Any])
# Flask's names for the decorators' type variables, which typed extensions
# import from here.
T_shell_context_processor = t.TypeVar(
    "T_shell_context_processor", bound=ft.ShellContextProcessorCallable
)
T_teardown = t.TypeVar("T_teardown", bound=ft.TeardownCallable)
T_template_filter = t.TypeVar("T_template_filter", bound=ft.TemplateFilterCallable)
T_template_global = t.TypeVar("T_template_global", bound=ft.TemplateGlobalCallable)
T_template_test = t.TypeVar("T_template_test", bound=ft.TemplateTestCallable)

_SETUP_TOO_LATE = (
    "The setup method '{}' can no longer be called on the application. It"
    " has already handled its first request, any changes will not be"
    " applied consistently.\nMake sure all imports, decorators, functions,"
    " etc. needed to set up the application are done before running it."
)
_METHODS_AS_STRING = (
    "Allowed methods must be a list of strings, for"
    ' example: @app.route(..., methods=["POST"])'
)
_RELATIVE_INSTANCE_PATH = (
    "If an instance path is provided it must be absolute."
    " A relative path was given instead."
)
_ENDPOINT_TAKEN = (
    "View function mapping is overwriting an existing endpoint function: {}"
)
_APP_LISTS = (
    "url_build_error_handlers",
    "teardown_appcontext_funcs",
    "shell_context_processors",
)
_TEMPLATE_SUFFIXES_ESCAPED = (".html", ".htm", ".xml", ".xhtml", ".svg")


# Overloaded so that ``ConfigAttribute[timedelta]`` takes it: None stays None.
@t.overload
def _make_timedelta(value: timedelta | int) -> timedelta: ...
@t.overload
def _make_timedelta(value: None) -> None: ...
def _make_timedelta(value: timedelta | int | None) -> timedelta | None:
    """Read ``PERMANENT_SESSION_LIFETIME``: seconds become a timedelta."""
    if value is not None and not isinstance(value, timedelta):
        value = timedelta(seconds=value)
    return value


def _jinja_registrar(namespace: str, noun: str) -> tuple[t.Any, t.Any]:
    """The pair ``template_<noun>`` (decorator) / ``add_template_<noun>``
    (direct call) that files a callable in ``jinja_env.<namespace>``."""
    add_name = f"add_template_{noun}"

    def add(self: App, f: t.Callable[..., t.Any], name: str | None = None) -> None:
        getattr(self.jinja_env, namespace)[name or f.__name__] = f

    def decorate(self: App, name: str | None = None) -> t.Callable[[F], F]:
        return registering(lambda f: getattr(self, add_name)(f, name=name))

    add.__name__ = add_name
    add.__qualname__ = f"App.{add_name}"
    add.__doc__ = f"Make ``f`` the Jinja {noun} ``name`` (default: its name)."
    decorate.__name__ = f"template_{noun}"
    decorate.__qualname__ = f"App.template_{noun}"
    decorate.__doc__ = f"Decorator form of ``{add_name}``."
    return setupmethod(decorate), setupmethod(add)


def _list_hook(attr: str, label: str, doc: str) -> t.Any:
    """A setup method appending its argument to the list ``self.<attr>``."""

    def register(self: App, f: F) -> F:
        getattr(self, attr).append(f)
        return f

    register.__name__ = label
    register.__qualname__ = f"App.{label}"
    register.__doc__ = doc
    return setupmethod(register)


class App(Scaffold):
    """The central application object without the WSGI request cycle,
    which ``flaskrs.Flask`` adds on top."""

    # Collaborator classes a subclass may swap out.
    aborter_class = Aborter
    app_ctx_globals_class = _AppCtxGlobals
    config_class = Config
    json_provider_class: type[JSONProvider] = DefaultJSONProvider
    url_rule_class = Rule
    url_map_class = Map
    test_client_class: type[FlaskClient] | None = None
    test_cli_runner_class: type[FlaskCliRunner] | None = None
    jinja_environment = Environment
    jinja_options: dict[str, t.Any] = {}

    # Attributes that are views onto config keys.
    testing: ConfigAttribute[bool] = ConfigAttribute("TESTING")
    secret_key: ConfigAttribute[str | bytes | None] = ConfigAttribute("SECRET_KEY")
    permanent_session_lifetime: ConfigAttribute[timedelta] = ConfigAttribute(
        "PERMANENT_SESSION_LIFETIME",
        get_converter=_make_timedelta,
    )

    default_config: dict[str, t.Any]
    response_class: type[BaseResponse]

    def __init__(
        self,
        import_name: str,
        static_url_path: str | None = None,
        static_folder: str | os.PathLike[str] | None = "static",
        static_host: str | None = None,
        host_matching: bool = False,
        subdomain_matching: bool = False,
        template_folder: str | os.PathLike[str] | None = "templates",
        instance_path: str | None = None,
        instance_relative_config: bool = False,
        root_path: str | None = None,
    ) -> None:
        super().__init__(
            import_name, static_folder, static_url_path, template_folder, root_path
        )
        if instance_path is not None and not os.path.isabs(instance_path):
            raise ValueError(_RELATIVE_INSTANCE_PATH)
        self.instance_path = instance_path or self.auto_find_instance_path()

        self.config = self.make_config(instance_relative_config)
        self.aborter = self.make_aborter()
        self.json: JSONProvider = self.json_provider_class(self)

        # App-only registries; a blueprint's hooks land in the scaffold's
        # dicts instead.
        for attr in _APP_LISTS:
            setattr(self, attr, [])
        self.blueprints = {}
        self.extensions = {}

        self.url_map = self.url_map_class(host_matching=host_matching)
        self.subdomain_matching = subdomain_matching
        self._got_first_request = False

        if self.has_static_folder:
            self._route_static_files(static_host, host_matching)

    if t.TYPE_CHECKING:  # pragma: no cover
        url_build_error_handlers: list[
            t.Callable[[Exception, str, dict[str, t.Any]], str]
        ]
        teardown_appcontext_funcs: list[ft.TeardownCallable]
        shell_context_processors: list[ft.ShellContextProcessorCallable]
        blueprints: dict[str, Blueprint]
        extensions: dict[str, t.Any]

    def _route_static_files(self, static_host: str | None, host_matching: bool) -> None:
        assert bool(static_host) == host_matching, (
            "Invalid static_host/host_matching combination"
        )
        # The view holds the app weakly, so the URL map keeps no cycle
        # through it.
        # Typed loosely: serving files (send_static_file) is the Flask
        # subclass's business, which the sansio App does not know.
        app_ref: t.Callable[[], t.Any] = weakref.ref(self)

        def serve(**kw: t.Any) -> t.Any:
            return app_ref().send_static_file(**kw)

        self.add_url_rule(
            f"{self.static_url_path}/<path:filename>",
            endpoint="static",
            host=static_host,
            view_func=serve,
        )

    def _check_setup_finished(self, f_name: str) -> None:
        if self._got_first_request:
            raise AssertionError(_SETUP_TOO_LATE.format(f_name))

    @cached_property
    def name(self) -> str:
        """The import name; for a script run directly (``__main__``), the
        script's file name without extension."""
        if self.import_name != "__main__":
            return self.import_name
        script: str | None = getattr(sys.modules["__main__"], "__file__", None)
        if script is None:
            return "__main__"
        return os.path.splitext(os.path.basename(script))[0]

    @cached_property
    def logger(self) -> logging.Logger:
        """The app's ``logging`` logger, named like the app."""
        return create_logger(self)

    @cached_property
    def jinja_env(self) -> Environment:
        """The Jinja environment, built by ``create_jinja_environment`` on
        first access."""
        return self.create_jinja_environment()

    def create_jinja_environment(self) -> Environment:
        raise NotImplementedError()

    def make_config(self, instance_relative: bool = False) -> Config:
        """Build ``config`` from ``default_config`` (``DEBUG`` taken from
        the environment); relative file names in it resolve against the
        root path, or the instance path if ``instance_relative``."""
        base = self.instance_path if instance_relative else self.root_path
        return self.config_class(
            base, {**self.default_config, "DEBUG": get_debug_flag()}
        )

    def make_aborter(self) -> Aborter:
        """Build the callable behind ``abort``."""
        return self.aborter_class()

    def auto_find_instance_path(self) -> str:
        """Where the instance folder is when not given: next to the package,
        or under ``<prefix>/var`` for an installed package."""
        prefix, folder = find_package(self.import_name)
        if prefix is not None:
            return os.path.join(prefix, "var", f"{self.name}-instance")
        return os.path.join(folder, "instance")

    def create_global_jinja_loader(self) -> DispatchingJinjaLoader:
        """The Jinja loader searching the app's, then the blueprints',
        template folders."""
        return DispatchingJinjaLoader(self)

    def select_jinja_autoescape(self, filename: str | None) -> bool:
        """Autoescape string templates and HTML/XML/SVG files."""
        return filename is None or filename.endswith(_TEMPLATE_SUFFIXES_ESCAPED)

    @property
    def debug(self) -> bool:
        """Whether debug mode is on (the ``DEBUG`` config key)."""
        debug: bool = self.config["DEBUG"]
        return debug

    @debug.setter
    def debug(self, value: bool) -> None:
        self.config["DEBUG"] = value
        # An existing environment follows along, unless reloading was
        # configured explicitly; one built later reads DEBUG by itself.
        if "jinja_env" in vars(self) and self.config["TEMPLATES_AUTO_RELOAD"] is None:
            self.jinja_env.auto_reload = value

    @setupmethod
    def register_blueprint(self, blueprint: Blueprint, **options: t.Any) -> None:
        """Attach ``blueprint`` to the app; ``options`` (``url_prefix``,
        ``subdomain``, ``url_defaults``, ``name``...) override its own."""
        blueprint.register(self, options)

    def iter_blueprints(self) -> t.ValuesView[Blueprint]:
        """The attached blueprints, oldest first."""
        return self.blueprints.values()

    @setupmethod
    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: ft.RouteCallable | None = None,
        provide_automatic_options: bool | None = None,
        **options: t.Any,
    ) -> None:
        """Route ``rule`` to ``endpoint`` (and ``view_func``); ``options``
        are passed on to the rule class."""
        if endpoint is None:
            endpoint = _endpoint_from_view_func(view_func)
        methods, auto_options = self._rule_methods(
            view_func, options.pop("methods", None), provide_automatic_options
        )
        new_rule = self.url_rule_class(
            rule, methods=methods, endpoint=endpoint, **options
        )
        # Flask's own attribute, which Werkzeug's Rule does not declare.
        t.cast(t.Any, new_rule).provide_automatic_options = auto_options
        self.url_map.add(new_rule)
        if view_func is not None:
            views = self.view_functions
            previous = views.get(endpoint, view_func)
            if previous is not None and previous != view_func:
                raise AssertionError(_ENDPOINT_TAKEN.format(endpoint))
            views[endpoint] = view_func

    def _rule_methods(
        self,
        view_func: t.Any,
        asked: t.Iterable[str] | None,
        auto_options: bool | None,
    ) -> tuple[set[str], bool]:
        """The method set of a new rule and whether ``OPTIONS`` is answered
        automatically; view classes may declare ``methods``,
        ``required_methods`` and ``provide_automatic_options``."""
        if asked is None:
            asked = getattr(view_func, "methods", None) or ("GET",)
        if isinstance(asked, str):
            raise TypeError(_METHODS_AS_STRING)
        chosen = {verb.upper() for verb in asked}
        extra = set(getattr(view_func, "required_methods", ()))
        if auto_options is None:
            auto_options = getattr(view_func, "provide_automatic_options", None)
            if auto_options is None:
                auto_options = "OPTIONS" not in chosen and bool(
                    self.config["PROVIDE_AUTOMATIC_OPTIONS"]
                )
                if auto_options:
                    extra.add("OPTIONS")
        return chosen | extra, auto_options

    template_filter, add_template_filter = _jinja_registrar("filters", "filter")
    template_test, add_template_test = _jinja_registrar("tests", "test")
    template_global, add_template_global = _jinja_registrar("globals", "global")

    teardown_appcontext = _list_hook(
        "teardown_appcontext_funcs",
        "teardown_appcontext",
        "Call ``f(error)`` whenever an app context ends; ``error`` is the\n"
        "unhandled exception or ``None``.",
    )
    shell_context_processor = _list_hook(
        "shell_context_processors",
        "shell_context_processor",
        "Merge the dict ``f()`` returns into the ``flask shell`` namespace.",
    )

    def _find_error_handler(
        self, e: Exception, blueprints: list[str]
    ) -> ft.ErrorHandlerCallable | None:
        """The handler registered for ``e``, if any. Precedence: a handler
        for the status code beats one for a class; within that, the
        innermost blueprint beats outer ones and the app; within one owner,
        the closest class in the MRO wins."""
        exc_class, code = self._get_exc_class_and_code(type(e))
        spec = self.error_handler_spec
        # ``get`` everywhere: indexing the defaultdicts would add entries.
        owners = [table for table in map(spec.get, (*blueprints, None)) if table]
        if not owners:
            return None
        lineage = exc_class.__mro__
        for key in (code, None) if code is not None else (None,):
            for table in owners:
                by_class = table.get(key)
                if by_class:
                    found = next(
                        (h for h in map(by_class.get, lineage) if h is not None),
                        None,
                    )
                    if found is not None:
                        return found
        return None

    def trap_http_exception(self, e: Exception) -> bool:
        """Whether the HTTP exception ``e`` should propagate like other
        errors instead of being turned into its response."""
        config = self.config
        if config["TRAP_HTTP_EXCEPTIONS"]:
            return True
        trap_bad_request = config["TRAP_BAD_REQUEST_ERRORS"]
        if trap_bad_request is None:
            # Unset: debug mode traps a missing form key, so the key shows.
            return bool(self.debug) and isinstance(e, BadRequestKeyError)
        return bool(trap_bad_request) and isinstance(e, BadRequest)

    def should_ignore_error(self, error: BaseException | None) -> bool:
        """Return true to hide ``error`` from the teardown functions."""
        return False

    def redirect(self, location: str, code: int = 302) -> BaseResponse:
        """A redirect to ``location`` as a ``response_class`` instance."""
        return _wz_redirect(location, code=code, Response=self.response_class)

    def inject_url_defaults(self, endpoint: str, values: dict[str, t.Any]) -> None:
        """Run the ``url_defaults`` functions that apply to ``endpoint``
        (the app's, then its blueprints' from the outside in) on
        ``values``."""
        funcs = self.url_default_functions
        if not funcs:
            return
        owners: list[str | None] = [None]
        if "." in endpoint:
            owners += reversed(_split_blueprint_path(endpoint.rpartition(".")[0]))
        for owner in owners:
            if owner in funcs:
                for func in funcs[owner]:
                    func(endpoint, values)

    def handle_url_build_error(
        self, error: BuildError, endpoint: str, values: dict[str, t.Any]
    ) -> str:
        """Give each of ``url_build_error_handlers`` a chance to supply the
        URL; a handler may instead raise a ``BuildError``, which replaces
        the one passed to the next. With no URL, the last error is
        raised."""
        for fallback in self.url_build_error_handlers:
            try:
                url = fallback(error, endpoint, values)
            except BuildError as replacement:
                error = replacement
                continue
            if url is not None:
                return url
        if error is not sys.exc_info()[1]:
            raise error
        # It is the error being handled: a bare raise keeps its traceback.
        raise
