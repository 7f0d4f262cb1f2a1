"""The part of the application object that blueprints also have: routing
decorators, the hook and handler registries, and the static/template
folder settings. Nothing here touches a request or a context global.

Every registry is a dict whose keys are ``None`` for the object itself or
a blueprint's name; extensions are known to read and extend them in place,
so their layout is part of the public surface.
"""

from __future__ import annotations

import importlib.util
import os
import pathlib
import sys
import typing as t
from collections import defaultdict
from functools import partial
from functools import update_wrapper

from jinja2 import BaseLoader
from jinja2 import FileSystemLoader
from werkzeug.exceptions import default_exceptions
from werkzeug.exceptions import HTTPException
from werkzeug.utils import cached_property

from .. import typing as ft
from ..helpers import get_root_path
from ..templating import _default_template_ctx_processor

if t.TYPE_CHECKING:  # pragma: no cover
    from click import Group

_sentinel: t.Any = object()  # a default that stands in for any type

# One type variable does for every decorator here: each hands back the
# callable it was given, whatever its precise signature. The narrower ones
# are Flask's names, which typed extensions import from this module.
F = t.TypeVar("F", bound=t.Callable[..., t.Any])
T_after_request = t.TypeVar("T_after_request", bound=ft.AfterRequestCallable[t.Any])
T_before_request = t.TypeVar("T_before_request", bound=ft.BeforeRequestCallable)
T_error_handler = t.TypeVar("T_error_handler", bound=ft.ErrorHandlerCallable)
T_teardown = t.TypeVar("T_teardown", bound=ft.TeardownCallable)
T_template_context_processor = t.TypeVar(
    "T_template_context_processor", bound=ft.TemplateContextProcessorCallable
)
T_url_defaults = t.TypeVar("T_url_defaults", bound=ft.URLDefaultCallable)
T_url_value_preprocessor = t.TypeVar(
    "T_url_value_preprocessor", bound=ft.URLValuePreprocessorCallable
)
T_route = t.TypeVar("T_route", bound=ft.RouteCallable)


def setupmethod(f: F) -> F:
    """Guard a configuration method: once the app has begun serving, a
    change would reach some requests and not others, so the call fails."""
    label = f.__name__

    def guarded(self: Scaffold, *args: t.Any, **kwargs: t.Any) -> t.Any:
        self._check_setup_finished(label)
        return f(self, *args, **kwargs)

    return t.cast(F, update_wrapper(guarded, f))


# Registries holding one list of callables per owner key.
_LIST_REGISTRIES = (
    "before_request_funcs",
    "after_request_funcs",
    "teardown_request_funcs",
    "template_context_processors",
    "url_value_preprocessors",
    "url_default_functions",
)


def _nested_handler_table() -> defaultdict[t.Any, t.Any]:
    return defaultdict(dict)


def registering(register: t.Callable[[t.Any], object]) -> t.Callable[[F], F]:
    """A decorator that passes the decorated callable to ``register`` and
    returns it unchanged; the building block of every decorator-style
    setup method."""

    def attach(f: F) -> F:
        register(f)
        return f

    return attach


def _owned_hook(registry: str, label: str, doc: str) -> t.Callable[..., t.Any]:
    """Build a decorator method that files its argument under ``None`` in
    the registry attribute named ``registry``."""

    def register(self: Scaffold, f: F) -> F:
        getattr(self, registry).setdefault(None, []).append(f)
        return f

    register.__name__ = label
    register.__qualname__ = f"Scaffold.{label}"
    register.__doc__ = doc
    return setupmethod(register)


def _verb_route(verb: str) -> t.Callable[..., t.Any]:
    """Build the ``route`` shortcut that fixes the method list to
    ``[verb]``."""

    def shortcut(
        self: Scaffold, rule: str, **options: t.Any
    ) -> t.Callable[[ft.RouteCallable], ft.RouteCallable]:
        return self._method_route(verb, rule, options)

    shortcut.__name__ = verb.lower()
    shortcut.__qualname__ = f"Scaffold.{shortcut.__name__}"
    shortcut.__doc__ = f"Shorthand for ``route(rule, methods=[{verb!r}])``."
    return setupmethod(shortcut)


class _TrimmedPath:
    """A path setting kept without trailing separators in ``_<name>``;
    reading it goes through ``resolve(owner, stored)``."""

    def __init__(self, strip: str, resolve: t.Callable[[t.Any, t.Any], t.Any]):
        self.strip = strip
        self.resolve = resolve

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = f"_{name}"
        self.__doc__ = self.resolve.__doc__

    def __get__(self, obj: t.Any, owner: type | None = None) -> t.Any:
        if obj is None:
            return self
        return self.resolve(obj, getattr(obj, self.slot))

    def __set__(self, obj: t.Any, value: t.Any) -> None:
        if value is not None:
            value = os.fspath(value).rstrip(self.strip)
        setattr(obj, self.slot, value)


def _absolute_static_folder(owner: Scaffold, stored: str | None) -> str | None:
    """The static folder as an absolute path (``None`` when unset)."""
    return None if stored is None else os.path.join(owner.root_path, stored)


def _effective_static_url_path(owner: Scaffold, stored: str | None) -> str | None:
    """The static route's URL prefix; unless set, ``/`` plus the static
    folder's name."""
    if stored is not None:
        return stored
    folder = owner.static_folder
    if folder is None:
        return None
    return f"/{os.path.basename(folder)}".rstrip("/")


class Scaffold:
    """What ``App`` and ``Blueprint`` have in common: view and hook
    registration, error handlers, static and template folders."""

    if t.TYPE_CHECKING:  # pragma: no cover
        # Flask and Blueprint make it lazily, with a cached_property, which
        # may override a property but not a plain attribute declaration.
        @property
        def cli(self) -> Group: ...

    name: str
    _static_folder: str | None = None
    _static_url_path: str | None = None

    static_folder = _TrimmedPath(r"\/", _absolute_static_folder)
    static_url_path = _TrimmedPath("/", _effective_static_url_path)

    def __init__(
        self,
        import_name: str,
        static_folder: str | os.PathLike[str] | None = None,
        static_url_path: str | None = None,
        template_folder: str | os.PathLike[str] | None = None,
        root_path: str | None = None,
    ) -> None:
        self.import_name = import_name
        self.static_folder = static_folder
        self.static_url_path = static_url_path
        self.template_folder = template_folder
        self.root_path = (
            root_path if root_path is not None else get_root_path(import_name)
        )

        self.view_functions: dict[str, ft.RouteCallable] = {}
        self.error_handler_spec: dict[
            ft.AppOrBlueprintKey,
            dict[int | None, dict[type[Exception], ft.ErrorHandlerCallable]],
        ] = defaultdict(_nested_handler_table)
        for registry in _LIST_REGISTRIES:
            setattr(self, registry, defaultdict(list))
        self.template_context_processors[None].append(_default_template_ctx_processor)

    if t.TYPE_CHECKING:  # pragma: no cover
        before_request_funcs: dict[ft.AppOrBlueprintKey, list[ft.BeforeRequestCallable]]
        after_request_funcs: dict[
            ft.AppOrBlueprintKey, list[ft.AfterRequestCallable[t.Any]]
        ]
        teardown_request_funcs: dict[ft.AppOrBlueprintKey, list[ft.TeardownCallable]]
        template_context_processors: dict[
            ft.AppOrBlueprintKey, list[ft.TemplateContextProcessorCallable]
        ]
        url_value_preprocessors: dict[
            ft.AppOrBlueprintKey, list[ft.URLValuePreprocessorCallable]
        ]
        url_default_functions: dict[ft.AppOrBlueprintKey, list[ft.URLDefaultCallable]]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"

    def _check_setup_finished(self, f_name: str) -> None:
        raise NotImplementedError

    @property
    def has_static_folder(self) -> bool:
        """Whether a static folder is configured."""
        return self._static_folder is not None

    @cached_property
    def jinja_loader(self) -> BaseLoader | None:
        """A Jinja file system loader over ``template_folder`` (``None``
        when there is no template folder)."""
        folder = self.template_folder
        if folder is None:
            return None
        return FileSystemLoader(os.path.join(self.root_path, folder))

    # Routing -------------------------------------------------------------

    def _method_route(
        self, method: str, rule: str, options: dict[str, t.Any]
    ) -> t.Callable[[T_route], T_route]:
        """What ``get``, ``post``... do: ``route`` with ``methods=[method]``
        (giving ``methods`` too is an error)."""
        if "methods" in options:
            raise TypeError("Use the 'route' decorator to use the 'methods' argument.")
        return self.route(rule, methods=[method], **options)

    get = _verb_route("GET")
    post = _verb_route("POST")
    put = _verb_route("PUT")
    delete = _verb_route("DELETE")
    patch = _verb_route("PATCH")

    @setupmethod
    def route(self, rule: str, **options: t.Any) -> t.Callable[[F], F]:
        """Decorate a view to serve ``rule``; ``options`` go to
        ``add_url_rule`` (``endpoint``, ``methods``, ``Rule`` options)."""
        return registering(
            lambda view: self.add_url_rule(
                rule, options.pop("endpoint", None), view, **options
            )
        )

    @setupmethod
    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: ft.RouteCallable | None = None,
        provide_automatic_options: bool | None = None,
        **options: t.Any,
    ) -> None:
        raise NotImplementedError

    @setupmethod
    def endpoint(self, endpoint: str) -> t.Callable[[F], F]:
        """Decorate the view function of an already routed ``endpoint``."""
        return registering(partial(self.view_functions.__setitem__, endpoint))

    # Hooks ---------------------------------------------------------------

    before_request = _owned_hook(
        "before_request_funcs",
        "before_request",
        "Call ``f()`` ahead of every view; a value other than ``None`` is\n"
        "taken as the response and the view does not run.",
    )
    after_request = _owned_hook(
        "after_request_funcs",
        "after_request",
        "Call ``f(response)`` on every response; it returns the response\n"
        "to send (the same or another).",
    )
    teardown_request = _owned_hook(
        "teardown_request_funcs",
        "teardown_request",
        "Call ``f(error)`` as the request context goes away; ``error`` is\n"
        "the exception nothing handled, or ``None``.",
    )
    context_processor = _owned_hook(
        "template_context_processors",
        "context_processor",
        "Merge the dict ``f()`` returns into each template's context.",
    )
    url_value_preprocessor = _owned_hook(
        "url_value_preprocessors",
        "url_value_preprocessor",
        "Call ``f(endpoint, view_args)`` once the URL matched, before the\n"
        "``before_request`` functions; it may edit ``view_args``.",
    )
    url_defaults = _owned_hook(
        "url_default_functions",
        "url_defaults",
        "Call ``f(endpoint, values)`` while a URL is built; it may add to\n``values``.",
    )

    # Error handlers ------------------------------------------------------

    @setupmethod
    def errorhandler(
        self, code_or_exception: type[Exception] | int
    ) -> t.Callable[[F], F]:
        """Decorate a handler for a status code or an exception class."""
        return registering(partial(self.register_error_handler, code_or_exception))

    @setupmethod
    def register_error_handler(
        self,
        code_or_exception: type[Exception] | int,
        f: ft.ErrorHandlerCallable,
    ) -> None:
        """The non-decorator form of ``errorhandler``."""
        key_class, key_code = self._get_exc_class_and_code(code_or_exception)
        self.error_handler_spec[None][key_code][key_class] = f

    @staticmethod
    def _get_exc_class_and_code(
        exc_class_or_code: type[Exception] | int,
    ) -> tuple[type[Exception], int | None]:
        """Normalise a handler key to ``(exception class, status code or
        None)``, rejecting what cannot be handled."""
        target: t.Any = exc_class_or_code
        if isinstance(target, int):
            target = default_exceptions.get(target)
            if target is None:
                raise ValueError(_unknown_code_msg.format(exc_class_or_code))
        if isinstance(target, Exception):
            raise TypeError(_instance_key_msg.format(target))
        if not issubclass(target, Exception):
            raise ValueError(_not_exception_msg.format(target.__name__))
        code = target.code if issubclass(target, HTTPException) else None
        return target, code


_unknown_code_msg = (
    "'{}' is not a recognized HTTP error code."
    " Use a subclass of HTTPException with that code instead."
)
_instance_key_msg = (
    "{!r} is an instance, not a class. Handlers can only be"
    " registered for Exception classes or HTTP error codes."
)
_not_exception_msg = (
    "'{}' is not a subclass of Exception. Handlers"
    " can only be registered for Exception classes or HTTP error codes."
)


def _endpoint_from_view_func(view_func: ft.RouteCallable | None) -> str:
    """A view's endpoint when none is given: its ``__name__``."""
    assert view_func is not None, "expected view func if endpoint is not provided."
    return view_func.__name__


def _is_within(path: str | os.PathLike[str], base: str) -> bool:
    return pathlib.PurePath(path).is_relative_to(base)


def _namespace_folder(root_locations: list[str], import_name: str) -> str:
    """For a namespace package, which may span several folders: the one
    that holds ``import_name``."""
    spec = importlib.util.find_spec(import_name)
    inner = spec.submodule_search_locations if spec is not None else None
    if not inner:
        return root_locations[0]
    common = os.path.commonpath(inner)
    return next(place for place in root_locations if _is_within(common, place))


def _find_package_path(import_name: str) -> str:
    """The folder in which the top-level module or package of
    ``import_name`` sits; the working directory if it cannot be found."""
    top = import_name.split(".", 1)[0]
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        return os.getcwd()
    locations = spec.submodule_search_locations
    if not locations:
        # A plain module, which has an origin.
        return os.path.dirname(t.cast(str, spec.origin))
    if spec.origin in (None, "namespace"):
        return os.path.dirname(_namespace_folder(list(locations), import_name))
    # A regular package: ``<folder>/<package>/__init__.py``.
    return os.path.dirname(os.path.dirname(spec.origin))


def find_package(import_name: str) -> tuple[str | None, str]:
    """Locate the package of ``import_name`` as ``(prefix, folder)``;
    ``prefix`` is the interpreter prefix it is installed under (directly or
    via a site-packages folder), else ``None``."""
    folder = _find_package_path(import_name)
    prefix = os.path.abspath(sys.prefix)
    if _is_within(folder, prefix):
        return prefix, folder

    here = pathlib.PurePath(folder)
    if here.name.lower() != "site-packages":
        return None, folder
    lib = here.parent
    # prefix/Lib/site-packages on Windows, prefix/lib/pythonX.Y/site-packages
    # elsewhere.
    if lib.name.lower() == "lib":
        return str(lib.parent), folder
    if lib.parent.name.lower() == "lib":
        return str(lib.parent.parent), folder
    return str(lib), folder
