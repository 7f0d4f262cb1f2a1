"""Blueprints without IO: a blueprint collects routes, hooks and handlers and
replays them on an app when it is registered there.

Everything a blueprint is told before registration is kept as a list of
deferred calls, each taking a ``BlueprintSetupState`` that knows the app and
the options of this one registration (prefix, subdomain, name). Registering
the same blueprint again, under another name, replays the list again.
"""

from __future__ import annotations

import os
import typing as t
from collections import defaultdict
from functools import partial
from functools import update_wrapper

from werkzeug.utils import cached_property

from .. import typing as ft
from .scaffold import _endpoint_from_view_func
from .scaffold import _sentinel
from .scaffold import F
from .scaffold import Scaffold
from .scaffold import setupmethod

if t.TYPE_CHECKING:  # pragma: no cover
    from .app import App

DeferredSetupFunction = t.Callable[["BlueprintSetupState"], None]
# Flask's names for the decorators' type variables, which typed extensions
# import from here.
T_after_request = t.TypeVar("T_after_request", bound=ft.AfterRequestCallable[t.Any])
T_before_request = t.TypeVar("T_before_request", bound=ft.BeforeRequestCallable)
T_error_handler = t.TypeVar("T_error_handler", bound=ft.ErrorHandlerCallable)
T_teardown = t.TypeVar("T_teardown", bound=ft.TeardownCallable)
T_template_context_processor = t.TypeVar(
    "T_template_context_processor", bound=ft.TemplateContextProcessorCallable
)
T_template_filter = t.TypeVar("T_template_filter", bound=ft.TemplateFilterCallable)
T_template_global = t.TypeVar("T_template_global", bound=ft.TemplateGlobalCallable)
T_template_test = t.TypeVar("T_template_test", bound=ft.TemplateTestCallable)
T_url_defaults = t.TypeVar("T_url_defaults", bound=ft.URLDefaultCallable)
T_url_value_preprocessor = t.TypeVar(
    "T_url_value_preprocessor", bound=ft.URLValuePreprocessorCallable
)

# The per-name registries whose lists a registration copies into the app's,
# under the registered name.
_PER_NAME_LISTS = (
    "before_request_funcs",
    "after_request_funcs",
    "teardown_request_funcs",
    "url_default_functions",
    "url_value_preprocessors",
    "template_context_processors",
)


def _given_or(value: str | None, fallback: str | None) -> str | None:
    # An empty string is a choice (no prefix, the bare domain): only None
    # falls back.
    return fallback if value is None else value


def _nest(
    outer: str | None, inner: str | None, join: t.Callable[[str, str], str]
) -> str | None:
    """Combine a parent's and a child's prefix (or subdomain); either may
    be unset."""
    if outer is None:
        return inner
    if inner is None:
        return outer
    return join(outer, inner)


def _join_path(outer: str, inner: str) -> str:
    """Two URL path pieces with exactly one slash where they meet."""
    return f"{outer.rstrip('/')}/{inner.lstrip('/')}"


def _join_subdomain(outer: str, inner: str) -> str:
    # A nested blueprint's subdomain is a label under its parent's.
    return f"{inner}.{outer}"


class BlueprintSetupState:
    """What a deferred setup function sees of one registration of a
    blueprint on an app: the app, the blueprint, the options given to
    ``register_blueprint`` and the values resolved from them.

    ``Blueprint.make_setup_state`` makes it; subclass both to change how a
    blueprint's rules reach the app.
    """

    def __init__(
        self,
        blueprint: Blueprint,
        app: App,
        options: t.Any,
        first_registration: bool,
    ) -> None:
        # Resolved first: each registration option wins over the
        # blueprint's own value, and ``None`` means "not given".
        self.url_prefix = _given_or(options.get("url_prefix"), blueprint.url_prefix)
        self.subdomain = _given_or(options.get("subdomain"), blueprint.subdomain)
        #: Default view arguments for every rule of this registration.
        self.url_defaults: dict[str, t.Any] = {
            **blueprint.url_values_defaults,
            **dict(options.get("url_defaults") or ()),
        }
        #: The name registered, without the parents' names.
        self.name: str = options.get("name", blueprint.name)
        #: The dotted name of the parent blueprints, ``""`` at the top.
        self.name_prefix: str = options.get("name_prefix", "")

        #: Whether this is the blueprint's first registration on ``app``;
        #: ``record_once`` functions run only then.
        self.first_registration = first_registration
        self.options = options
        self.blueprint = blueprint
        self.app = app

    @property
    def _endpoint_prefix(self) -> str:
        if self.name_prefix:
            return f"{self.name_prefix}.{self.name}"
        return self.name

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: ft.RouteCallable | None = None,
        **options: t.Any,
    ) -> None:
        """Add a blueprint's rule to the app: under the URL prefix and the
        subdomain, with the registration's URL defaults, and with the
        endpoint named after the blueprint."""
        if self.url_prefix is not None:
            rule = _join_path(self.url_prefix, rule) if rule else self.url_prefix
        options.setdefault("subdomain", self.subdomain)
        if endpoint is None:
            endpoint = _endpoint_from_view_func(view_func)
        own_defaults = options.pop("defaults", None)
        defaults = {**self.url_defaults, **(own_defaults or {})}
        self.app.add_url_rule(
            rule,
            f"{self._endpoint_prefix}.{endpoint}",
            view_func,
            defaults=defaults,
            **options,
        )


class _FirstRegistrationOnly:
    """A deferred setup function that does nothing on the registrations of
    a blueprint after its first one on an app."""

    def __init__(self, func: DeferredSetupFunction) -> None:
        self.func = func
        update_wrapper(self, func)

    def __call__(self, state: BlueprintSetupState) -> None:
        if state.first_registration:
            self.func(state)


def _app_wide_hook(app_method: str, label: str, doc: str) -> t.Callable[..., t.Any]:
    """A blueprint decorator method that hands its function to the app's
    ``app_method`` on the blueprint's first registration there, so that
    it applies to the whole app rather than to the blueprint's views."""

    def register(self: Blueprint, f: F) -> F:
        self._on_app(app_method, f)
        return f

    register.__name__ = register.__qualname__ = label
    register.__doc__ = doc
    return setupmethod(register)


def _app_template_helpers(
    kind: str,
) -> tuple[t.Callable[..., t.Any], t.Callable[..., t.Any]]:
    """The decorator method ``app_template_<kind>`` and the plain method
    ``add_app_template_<kind>`` that register a Jinja filter, test or
    global on the app."""
    app_method = f"add_template_{kind}"

    def add(
        self: Blueprint, f: t.Callable[..., t.Any], name: str | None = None
    ) -> None:
        self._on_app(app_method, f, name)

    def decorate(self: Blueprint, name: str | None = None) -> t.Callable[[F], F]:
        return partial(_register_and_return, self, add, name)

    add.__name__ = add.__qualname__ = f"add_app_template_{kind}"
    add.__doc__ = (
        f"Register ``f`` as a Jinja {kind} of every app the blueprint is"
        " registered on, named ``name`` or after the function."
    )
    decorate.__name__ = decorate.__qualname__ = f"app_template_{kind}"
    decorate.__doc__ = (
        f"Register the decorated function as a Jinja {kind} of every app the"
        " blueprint is registered on, named ``name`` or after the function."
    )
    return setupmethod(decorate), setupmethod(add)


def _register_and_return(
    blueprint: Blueprint,
    add: t.Callable[..., None],
    name: str | None,
    f: F,
) -> F:
    add(blueprint, f, name)
    return f


class Blueprint(Scaffold):
    """A group of views, hooks, error handlers, templates and static files
    that an application (or another blueprint) takes in with
    ``register_blueprint``.

    Its endpoints are named ``"<name>.<endpoint>"`` on the app (with the
    parents' names in front for a nested blueprint), its request hooks and
    error handlers apply to its own views only, and the ``app_*`` methods
    register hooks that apply to the whole app.

    :param name: the blueprint's name: not empty and without dots.
    :param import_name: the blueprint's package, usually ``__name__``; it
        locates ``root_path``.
    :param static_folder: a folder of static files, served at
        ``static_url_path`` under the blueprint's prefix.
    :param static_url_path: the URL of the static files; by default the
        folder's name.
    :param template_folder: a folder of templates, searched after the
        app's own.
    :param url_prefix: a path put in front of every rule.
    :param subdomain: the subdomain of every rule.
    :param url_defaults: default view arguments for every rule.
    :param root_path: the folder that relative paths start from, when it
        cannot be found from ``import_name``.
    :param cli_group: the name of the ``flask`` command group of the
        blueprint's commands; ``None`` puts them in the app's group.
    """

    def __init__(
        self,
        name: str,
        import_name: str,
        static_folder: str | os.PathLike[str] | None = None,
        static_url_path: str | None = None,
        template_folder: str | os.PathLike[str] | None = None,
        url_prefix: str | None = None,
        subdomain: str | None = None,
        url_defaults: dict[str, t.Any] | None = None,
        root_path: str | None = None,
        cli_group: str | None = _sentinel,
    ) -> None:
        if not name:
            raise ValueError("'name' may not be empty.")
        if "." in name:
            raise ValueError("'name' may not contain a dot '.' character.")

        super().__init__(
            import_name, static_folder, static_url_path, template_folder, root_path
        )
        self.name = name
        #: The setup calls to replay on each registration, in order.
        self.deferred_functions: list[DeferredSetupFunction] = []
        #: ``(blueprint, options)`` of the nested blueprints.
        self._blueprints: list[tuple[Blueprint, dict[str, t.Any]]] = []
        self.url_prefix = url_prefix
        self.subdomain = subdomain
        self.url_values_defaults = {} if url_defaults is None else url_defaults
        self.cli_group = cli_group

    @setupmethod
    def record(self, func: DeferredSetupFunction) -> None:
        """Call ``func(state)`` on every registration of the blueprint, with
        the ``BlueprintSetupState`` of that registration."""
        self.deferred_functions.append(func)

    @setupmethod
    def record_once(self, func: DeferredSetupFunction) -> None:
        """Like ``record``, but only on the blueprint's first registration
        on each app."""
        self.record(_FirstRegistrationOnly(func))

    def _on_app(self, method: str, *args: t.Any) -> None:
        """Call the app's ``method`` with ``args`` when the blueprint is
        first registered on it."""
        self.record_once(lambda state: getattr(state.app, method)(*args))

    #: Set by the first registration: from then on the setup methods fail,
    #: as later changes would reach only later registrations.
    _got_registered_once = False

    def _check_setup_finished(self, f_name: str) -> None:
        if not self._got_registered_once:
            return
        raise AssertionError(
            f"The setup method '{f_name}' can no longer be called on the blueprint"
            f" '{self.name}'. It has already been registered at least once, any"
            " changes will not be applied consistently.\n"
            "Make sure all imports, decorators, functions, etc. needed to set up"
            " the blueprint are done before registering it."
        )

    def make_setup_state(
        self, app: App, options: dict[str, t.Any], first_registration: bool = False
    ) -> BlueprintSetupState:
        """The state that the deferred functions of one registration get;
        override to use a ``BlueprintSetupState`` subclass."""
        return BlueprintSetupState(self, app, options, first_registration)

    @setupmethod
    def register_blueprint(self, blueprint: Blueprint, **options: t.Any) -> None:
        """Nest ``blueprint`` in this one: it is registered, with ``options``,
        each time this one is, under this one's name, prefix and subdomain.
        """
        if blueprint is self:
            raise ValueError("Cannot register a blueprint on itself")
        self._blueprints.append((blueprint, options))

    def register(self, app: App, options: dict[str, t.Any]) -> None:
        """Replay the blueprint on ``app``; ``app.register_blueprint`` calls
        this. ``options`` are those given there, which take precedence over
        the blueprint's own (``name``, ``url_prefix``, ``subdomain``,
        ``url_defaults``, ``cli_group``)."""
        name = self._claim_name(app, options)
        first_registration = all(bp is not self for bp in app.blueprints.values())
        # Registered before the state is made, so a make_setup_state
        # override already sees the blueprint on the app.
        app.blueprints[name] = self
        self._got_registered_once = True
        state = self.make_setup_state(app, options, first_registration)

        self._add_static_route(state)
        self._merge_blueprint_funcs(app, name)
        for deferred in self.deferred_functions:
            deferred(state)
        self._add_commands(app, name, options)

        for child, child_options in self._blueprints:
            child.register(
                app, self._options_for_child(state, name, child, child_options)
            )

    def _add_static_route(self, state: BlueprintSetupState) -> None:
        # The static folder's route comes first, as the app's does.
        url_path = self.static_url_path
        if self.static_folder is None or url_path is None:
            return
        state.add_url_rule(
            url_path + "/<path:filename>",
            "static",
            # The Flask-side Blueprint's method; the sansio one lacks it.
            t.cast(t.Any, self).send_static_file,
        )

    def _claim_name(self, app: App, options: dict[str, t.Any]) -> str:
        """The dotted name this registration uses on ``app``, checked to be
        free there."""
        own_name = options.get("name", self.name)
        prefix = options.get("name_prefix", "")
        name = f"{prefix}.{own_name}".lstrip(".")
        if name in app.blueprints:
            whose = "this" if app.blueprints[name] is self else "a different"
            full = "" if name == own_name else f" '{name}'"
            raise ValueError(
                f"The name '{own_name}' is already registered for {whose}"
                f" blueprint{full}. Use 'name=' to provide a unique name."
            )
        return name

    def _merge_blueprint_funcs(self, app: App, name: str) -> None:
        """Put the blueprint's hooks, handlers and views in the app's
        registries, keyed by the registered name (a key of the blueprint's
        own, other than ``None``, goes below that name)."""

        def key_for(key: str | None) -> str:
            return name if key is None else f"{name}.{key}"

        for key, by_code in self.error_handler_spec.items():
            # Copies, so that registrations under other names stay apart.
            app.error_handler_spec[key_for(key)] = defaultdict(
                dict, {code: dict(handlers) for code, handlers in by_code.items()}
            )

        app.view_functions.update(self.view_functions)

        for attr in _PER_NAME_LISTS:
            target = getattr(app, attr)
            for key, funcs in getattr(self, attr).items():
                target.setdefault(key_for(key), []).extend(funcs)

    def _add_commands(self, app: App, name: str, options: dict[str, t.Any]) -> None:
        """Add the blueprint's ``flask`` commands to the app's: in a group
        named after the blueprint, or ``cli_group``, or (``cli_group=None``)
        directly."""
        group = self._existing_cli()
        if group is None or not group.commands:
            return
        group_name = options.get("cli_group", self.cli_group)
        if group_name is None:
            app.cli.commands.update(group.commands)
            return
        group.name = name if group_name is _sentinel else group_name
        app.cli.add_command(group)

    def _existing_cli(self) -> t.Any:
        # A lazily made group that was never touched has no commands;
        # reading it here would make one (and import click) for nothing.
        if isinstance(getattr(type(self), "cli", None), cached_property):
            return vars(self).get("cli")
        return getattr(self, "cli", None)

    @staticmethod
    def _options_for_child(
        state: BlueprintSetupState,
        name: str,
        child: Blueprint,
        options: dict[str, t.Any],
    ) -> dict[str, t.Any]:
        """The options a nested blueprint is registered with: its own,
        under the parent's subdomain, URL prefix and name."""
        resolved = dict(options)
        subdomain = _nest(
            state.subdomain,
            _given_or(options.get("subdomain"), child.subdomain),
            _join_subdomain,
        )
        if subdomain is not None:
            resolved["subdomain"] = subdomain
        url_prefix = _nest(
            state.url_prefix,
            _given_or(options.get("url_prefix"), child.url_prefix),
            _join_path,
        )
        if url_prefix is not None:
            resolved["url_prefix"] = url_prefix
        resolved["name_prefix"] = name
        return resolved

    @setupmethod
    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: ft.RouteCallable | None = None,
        provide_automatic_options: bool | None = None,
        **options: t.Any,
    ) -> None:
        """Add a rule to every app the blueprint is registered on, with the
        endpoint ``"<name>.<endpoint>"``. The endpoint and the view's name
        may not contain dots, which separate the blueprint names."""
        if endpoint and "." in endpoint:
            raise ValueError("'endpoint' may not contain a dot '.' character.")
        if view_func and "." in getattr(view_func, "__name__", ""):
            raise ValueError("'view_func' name may not contain a dot '.' character.")
        options["provide_automatic_options"] = provide_automatic_options
        self.record(partial(_add_rule, rule, endpoint, view_func, options))

    @setupmethod
    def app_errorhandler(self, code: type[Exception] | int) -> t.Callable[[F], F]:
        """``errorhandler`` for errors anywhere in the app, not only in the
        blueprint's views."""
        return partial(_handle_on_app, self, code)

    before_app_request = _app_wide_hook(
        "before_request",
        "before_app_request",
        "``before_request`` for every request of the app, not only the blueprint's.",
    )
    after_app_request = _app_wide_hook(
        "after_request",
        "after_app_request",
        "``after_request`` for every request of the app, not only the blueprint's.",
    )
    teardown_app_request = _app_wide_hook(
        "teardown_request",
        "teardown_app_request",
        "``teardown_request`` for every request of the app, not only the blueprint's.",
    )
    app_context_processor = _app_wide_hook(
        "context_processor",
        "app_context_processor",
        "``context_processor`` for every template the app renders, not only"
        " in the blueprint's requests.",
    )
    app_url_value_preprocessor = _app_wide_hook(
        "url_value_preprocessor",
        "app_url_value_preprocessor",
        "``url_value_preprocessor`` for every endpoint of the app.",
    )
    app_url_defaults = _app_wide_hook(
        "url_defaults",
        "app_url_defaults",
        "``url_defaults`` for every endpoint of the app.",
    )

    app_template_filter, add_app_template_filter = _app_template_helpers("filter")
    app_template_test, add_app_template_test = _app_template_helpers("test")
    app_template_global, add_app_template_global = _app_template_helpers("global")


def _add_rule(
    rule: str,
    endpoint: str | None,
    view_func: ft.RouteCallable | None,
    options: dict[str, t.Any],
    state: BlueprintSetupState,
) -> None:
    # The deferred form of ``Blueprint.add_url_rule``.
    state.add_url_rule(rule, endpoint, view_func, **options)


def _handle_on_app(blueprint: Blueprint, code: type[Exception] | int, f: F) -> F:
    # The decorator that ``Blueprint.app_errorhandler`` returns.
    blueprint._on_app("register_error_handler", code, f)
    return f
