"""The ``flask`` command line.

Three parts live here:

* *discovery*: turning ``--app`` / ``FLASK_APP`` (or nothing at all) into an
  application object (:func:`locate_app` and the functions it uses);
* the Click plumbing: :class:`ScriptInfo`, :class:`AppGroup` and
  :class:`FlaskGroup`, with the group-wide ``--app``, ``--debug``,
  ``--env-file`` and ``--version`` options;
* the built-in ``run``, ``shell`` and ``routes`` commands.
"""

from __future__ import annotations

import ast
import collections.abc as cabc  # noqa: F401  # flask.cli.cabc, for callers
import importlib as importlib  # flask.cli.importlib; .metadata: see get_version
import inspect
import os
import platform
import re
import sys
import traceback
import typing as t
from functools import update_wrapper
from operator import itemgetter as itemgetter  # flask.cli.itemgetter, for callers
from pathlib import Path
from types import ModuleType

import click
from click.core import ParameterSource
from werkzeug.serving import is_running_from_reloader
from werkzeug.serving import run_simple
from werkzeug.utils import import_string

from ._werkzeug_compat.code import ran_in
from .globals import _cv_app
from .globals import current_app as current_app  # flask.cli.current_app, for callers
from .helpers import get_debug_flag
from .helpers import get_load_dotenv

if t.TYPE_CHECKING:  # pragma: no cover
    from _typeshed.wsgi import StartResponse
    from _typeshed.wsgi import WSGIEnvironment

    from .app import Flask

F = t.TypeVar("F", bound=t.Callable[..., t.Any])

# ``--version`` reports this as the Flask version, since it is the release
# whose behaviour flaskrs follows; flaskrs's own version is shown beside it.
_FLASK_COMPAT_VERSION = "3.1.3"


class NoAppException(click.UsageError):
    """Raised if an application cannot be found or loaded."""


def _flask_type() -> type[Flask]:
    # Imported late: the app module imports this one.
    from .app import Flask

    return Flask


def _active_app() -> Flask | None:
    """The app whose context is pushed, or ``None``."""
    app_ctx = _cv_app.get(None)
    return None if app_ctx is None else app_ctx.app


# == Discovery ================================================================
#
# locate_app(module, reference)
#   1. import the module (prepare_import turns a file path into its name);
#   2. with a reference ("name" or "name(literals)"), resolve it:
#      find_app_by_string;
#   3. without one, try the well-known spellings: find_best_app.
#
# Factories are only called when their signature accepts the arguments;
# a TypeError from inside a factory is the factory's own bug and propagates.


def _binding_error(
    func: t.Callable[..., t.Any], args: t.Sequence[t.Any], kwargs: dict[str, t.Any]
) -> TypeError | None:
    """The error ``func(*args, **kwargs)`` would fail with before its body
    runs, or ``None`` if the arguments fit."""
    try:
        # The function's own signature, not that of what it may wrap: a
        # wrapper's body runs first, so it decides what the call accepts.
        signature = inspect.signature(func, follow_wrapped=False)
    except (TypeError, ValueError):  # nothing to check against
        return None

    try:
        signature.bind(*args, **kwargs)
    except TypeError as e:
        return e

    return None


def _called_with_wrong_args(f: t.Callable[..., t.Any]) -> bool:
    """While a ``TypeError`` raised by calling ``f`` is being handled: whether
    the call itself failed (the traceback never reached ``f``'s code) rather
    than something inside ``f``."""
    # Passed on without a local here: the traceback references this frame.
    return not ran_in(f, sys.exc_info()[2])


def _try_conventional_names(module: ModuleType) -> Flask | None:
    flask_type = _flask_type()

    for attribute in ("app", "application"):
        value = getattr(module, attribute, None)

        if isinstance(value, flask_type):
            return value

    return None


def _try_sole_instance(module: ModuleType) -> Flask | None:
    flask_type = _flask_type()
    found = [obj for obj in module.__dict__.values() if isinstance(obj, flask_type)]

    if len(found) > 1:
        mod = module.__name__
        raise NoAppException(
            f"Detected multiple Flask applications in module '{mod}'."
            f" Use '{mod}:name' to specify the correct one."
        )

    return found[0] if found else None


def _try_factories(module: ModuleType) -> Flask | None:
    flask_type = _flask_type()
    mod = module.__name__

    for attribute in ("create_app", "make_app"):
        factory = getattr(module, attribute, None)

        if not inspect.isfunction(factory):
            continue

        refused = _binding_error(factory, (), {})

        if refused is not None:
            raise NoAppException(
                f"Detected factory '{attribute}' in module '{mod}', but could"
                f" not call it without arguments. Use '{mod}:{attribute}(args)'"
                " to specify arguments."
            ) from refused

        made = factory()

        if isinstance(made, flask_type):
            return made

    return None


_BEST_APP_STEPS = (_try_conventional_names, _try_sole_instance, _try_factories)


def find_best_app(module: ModuleType) -> Flask:
    """Pick the application out of a module named without ``:name``.

    The steps, first hit wins: an app stored as ``app`` or ``application``;
    the one app among all module attributes (several is an error); the
    result of calling ``create_app`` or ``make_app`` with no arguments.

    :raises NoAppException: when no step finds an app, or a step meets
        something ambiguous.
    """
    for step in _BEST_APP_STEPS:
        found = step(module)

        if found is not None:
            return found

    mod = module.__name__
    raise NoAppException(
        f"Failed to find Flask application or factory in module '{mod}'."
        f" Use '{mod}:name' to specify one."
    )


class _Reference(t.NamedTuple):
    """A parsed ``name`` or ``name(arg, key=arg)`` app reference."""

    name: str
    args: list[t.Any]
    kwargs: dict[str, t.Any]


def _parse_reference(text: str) -> _Reference:
    unparsable = NoAppException(
        f"Failed to parse {text!r} as an attribute name or function call."
    )

    try:
        node = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        raise unparsable from None

    if isinstance(node, ast.Name):
        return _Reference(node.id, [], {})

    if not isinstance(node, ast.Call):
        raise unparsable

    callee = node.func

    if not isinstance(callee, ast.Name):
        raise NoAppException(f"Function reference must be a simple name: {text!r}.")

    # ``*spread`` shows up as a Starred node and ``**spread`` as a keyword
    # without a name; neither is a literal.
    try:
        positional = list(map(ast.literal_eval, node.args))
        named = {}

        for keyword in node.keywords:
            if keyword.arg is not None:
                named[keyword.arg] = ast.literal_eval(keyword.value)
    except ValueError:
        raise NoAppException(
            f"Failed to parse arguments as literal values: {text!r}."
        ) from None

    return _Reference(callee.id, positional, named)


def find_app_by_string(module: ModuleType, app_name: str) -> Flask:
    """Resolve the ``name`` part of ``module:name``.

    ``name`` is either an attribute of the module or a call of one of its
    functions with literal arguments, e.g. ``create_app('dev', debug=True)``.
    A bare function name is called with no arguments.

    :raises NoAppException: for unparsable text, a missing attribute, a
        factory that refuses the arguments, or a non-app result.
    """
    ref = _parse_reference(app_name)
    mod = module.__name__

    try:
        target = getattr(module, ref.name)
    except AttributeError as e:
        raise NoAppException(
            f"Failed to find attribute {ref.name!r} in {mod!r}."
        ) from e

    if inspect.isfunction(target):
        refused = _binding_error(target, ref.args, ref.kwargs)

        if refused is not None:
            raise NoAppException(
                f"The factory {app_name!r} in module {mod!r} could not be called"
                " with the specified arguments."
            ) from refused

        target = target(*ref.args, **ref.kwargs)

    if not isinstance(target, _flask_type()):
        raise NoAppException(
            f"A valid Flask application was not obtained from '{mod}:{app_name}'."
        )

    return target


def prepare_import(path: str) -> str:
    """Work out the dotted module name for a file or package path, and make
    it importable by putting the folder above its top package first on
    ``sys.path``.

    ``a/b/c.py`` is ``a.b.c`` when ``a`` and ``a/b`` are packages, and
    ``a/b/__init__.py`` or ``a/b`` is ``a.b``. A dotted name without a ``.py``
    suffix comes back unchanged.
    """
    location = os.path.realpath(path)

    if location.endswith(".py"):
        location = location[:-3]

    folder, leaf = os.path.split(location)

    if leaf == "__init__":
        folder, leaf = os.path.split(folder)

    names = [leaf]

    # Climb while the folder is itself a package.
    while os.path.exists(os.path.join(folder, "__init__.py")):
        parent, package = os.path.split(folder)

        if parent == folder:
            break

        names.insert(0, package)
        folder = parent

    if sys.path[0] != folder:
        sys.path.insert(0, folder)

    return ".".join(names)


def _import_or_none(module_name: str) -> ModuleType | None:
    """Import a module; ``None`` if it does not exist at all. An ImportError
    raised while running the module's code becomes a NoAppException with the
    traceback."""
    try:
        __import__(module_name)
    except ImportError:
        _, _, tb = sys.exc_info()

        # Failing in this frame means the module was not found; a deeper
        # traceback means it was found and something inside it failed.
        if tb is not None and tb.tb_next is not None:
            raise NoAppException(
                f"While importing {module_name!r}, an ImportError was raised:"
                f"\n\n{traceback.format_exc()}"
            ) from None

        return None

    return sys.modules[module_name]


@t.overload
def locate_app(
    module_name: str, app_name: str | None, raise_if_not_found: t.Literal[True] = True
) -> Flask: ...


@t.overload
def locate_app(
    module_name: str, app_name: str | None, raise_if_not_found: t.Literal[False] = ...
) -> Flask | None: ...


def locate_app(
    module_name: str, app_name: str | None, raise_if_not_found: bool = True
) -> Flask | None:
    """Import ``module_name`` and return the application in it.

    :param app_name: The ``name`` of ``module:name``; ``None`` searches the
        module with :func:`find_best_app`.
    :param raise_if_not_found: With ``False`` a module that does not exist
        gives ``None``; errors raised inside an existing module still
        propagate.
    """
    module = _import_or_none(module_name)

    if module is None:
        if raise_if_not_found:
            raise NoAppException(f"Could not import {module_name!r}.")

        return None

    if app_name is None:
        return find_best_app(module)

    return find_app_by_string(module, app_name)


# A colon that starts a Windows drive path ("C:\\", "C:/") does not separate
# the module from the app name.
_REFERENCE_SEPARATOR = re.compile(r":(?![\\/])")

_NO_APP_FOUND = (
    "Could not locate a Flask application. Use the 'flask --app' option,"
    " 'FLASK_APP' environment variable, or a 'wsgi.py' or 'app.py' file in the"
    " current directory."
)


class ScriptInfo:
    """State shared by the commands of one ``flask`` invocation: where the
    application comes from, and the application once loaded. Click hands it
    to commands as the context object; :class:`FlaskGroup` creates it, and
    code invoking commands by other means can create its own.

    :param app_import_path: The ``--app`` value: ``module:name``, a file
        path, or ``None`` to look for ``wsgi.py`` and then ``app.py``.
    :param create_app: A callable that returns the application; when given,
        the import path is not used.
    :param set_debug_flag: On load, set ``app.debug`` from ``FLASK_DEBUG``.
    :param load_dotenv_defaults: Whether ``.flaskenv`` and ``.env`` are read;
        ``FLASK_SKIP_DOTENV`` overrides a ``True`` here.

    Commands and extensions may keep their own values in :attr:`data`.
    """

    def __init__(
        self,
        app_import_path: str | None = None,
        create_app: t.Callable[..., Flask] | None = None,
        set_debug_flag: bool = True,
        load_dotenv_defaults: bool = True,
    ) -> None:
        # FLASK_SKIP_DOTENV may veto reading the default files.
        self.load_dotenv_defaults = get_load_dotenv(load_dotenv_defaults)
        self.set_debug_flag = set_debug_flag
        # Where the app comes from: create_app wins over app_import_path.
        self.create_app = create_app
        self.app_import_path = app_import_path
        self.data: dict[t.Any, t.Any] = {}
        self._loaded_app: Flask | None = None

    def _app_loaders(self) -> t.Iterator[t.Callable[[], Flask | None]]:
        """Callables that each may produce the app, in the order to try
        them. Only the first source that is configured takes part."""
        if self.create_app is not None:
            yield self.create_app
        elif self.app_import_path:
            module_part, name_part = self._split_import_path()
            yield lambda: locate_app(prepare_import(module_part), name_part)
        else:
            for default_file in ("wsgi.py", "app.py"):
                # Bound per iteration; prepare_import runs only when this
                # candidate is reached.
                def default_candidate(f: str = default_file) -> Flask | None:
                    return locate_app(prepare_import(f), None, raise_if_not_found=False)

                yield default_candidate

    def _split_import_path(self) -> tuple[str, str | None]:
        text = t.cast(str, self.app_import_path)
        match = _REFERENCE_SEPARATOR.search(text)

        if match is None:
            return text, None

        return text[: match.start()], text[match.end() :]

    def load_app(self) -> Flask:
        """Return the application, loading it on the first call.

        :raises NoAppException: if no application can be found.
        """
        if self._loaded_app is None:
            for load in self._app_loaders():
                app = load()

                if app is not None:
                    break
            else:
                raise NoAppException(_NO_APP_FOUND)

            # Setting it here, not in the server, makes every command see
            # the same debug value that ``run`` would use.
            if self.set_debug_flag:
                app.debug = get_debug_flag()

            self._loaded_app = app

        return self._loaded_app


pass_script_info = click.make_pass_decorator(ScriptInfo, ensure=True)
"""Decorator passing the invocation's :class:`ScriptInfo` as the first
argument of a command callback."""


def with_appcontext(f: F) -> F:
    """Make a command callback run with an application context pushed.

    Without an active context, the app is loaded from the
    :class:`ScriptInfo` and its context is pushed for the rest of the Click
    context's life, which covers subcommands. Commands of ``app.cli`` and
    blueprint groups get this already.
    """

    def in_app_context(*args: t.Any, **kwargs: t.Any) -> t.Any:
        click_ctx = click.get_current_context()

        if _cv_app.get(None) is None:
            info = click_ctx.ensure_object(ScriptInfo)
            click_ctx.with_resource(info.load_app().app_context())

        return click_ctx.invoke(f, *args, **kwargs)

    return t.cast(F, update_wrapper(in_app_context, f))


class AppGroup(click.Group):
    """A Click group for application commands, the type of ``app.cli``.

    Commands declared through :meth:`command` run inside an app context
    (see :func:`with_appcontext`); pass ``with_appcontext=False`` to opt
    out. Nested groups made with :meth:`group` are app groups as well.
    Not to be confused with :class:`FlaskGroup`, the ``flask`` command.
    """

    # Flask's signature: no bare ``@group.command`` overload as Click's has.
    def command(  # type: ignore[override]
        self, *args: t.Any, **kwargs: t.Any
    ) -> t.Callable[[t.Callable[..., t.Any]], click.Command]:
        """Declare a command, like :meth:`click.Group.command`, whose
        callback gets an app context unless ``with_appcontext=False``."""
        push_context = kwargs.pop("with_appcontext", True)
        declare = super().command

        def register(f: t.Callable[..., t.Any]) -> click.Command:
            cmd: click.Command = declare(*args, **kwargs)(f)

            if push_context and cmd.callback is not None:
                cmd.callback = with_appcontext(cmd.callback)

            return cmd

        return register


# ``AppGroup.group()`` makes app groups unless told otherwise with ``cls``.
AppGroup.group_class = AppGroup


# == The flask command's own options ========================================
#
# All three are eager and hidden from the command callbacks: they act on the
# environment and the ScriptInfo before any subcommand is looked up. The
# env file is processed first because it may supply FLASK_APP and
# FLASK_DEBUG for the other two.


def _import_dotenv() -> ModuleType | None:
    try:
        import dotenv
    except ImportError:
        return None

    return dotenv


def _env_file_callback(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> str | None:
    if value is not None and _import_dotenv() is None:
        raise click.BadParameter(
            "python-dotenv must be installed to load an env file.",
            ctx=ctx,
            param=param,
        )

    # Without python-dotenv and with no file named, load_dotenv only prints
    # a hint when it sees env files lying around.
    defaults = ctx.obj.load_dotenv_defaults

    if defaults or value is not None:
        load_dotenv(value, load_defaults=defaults)

    return value


def _set_app(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> str | None:
    if value is not None:
        ctx.ensure_object(ScriptInfo).app_import_path = value

    return value


_IMPLICIT_SOURCES = frozenset((ParameterSource.DEFAULT, ParameterSource.DEFAULT_MAP))


def _set_debug(ctx: click.Context, param: click.Parameter, value: bool) -> bool | None:
    # Only a flag the user actually gave (on the command line or through
    # FLASK_DEBUG itself) counts; the flag's default must leave FLASK_DEBUG
    # alone. The app reads the variable when it is loaded.
    if ctx.get_parameter_source(param.name) in _IMPLICIT_SOURCES:
        return None

    os.environ["FLASK_DEBUG"] = "1" if value else "0"
    return value


_env_file_option = click.Option(
    ["-e", "--env-file"],
    type=click.Path(exists=True, dir_okay=False),
    is_eager=True,
    expose_value=False,
    callback=_env_file_callback,
    help=(
        "A dotenv file whose variables are loaded before the app. They win"
        " over '.env' and '.flaskenv' but not over variables already in the"
        " environment. Needs python-dotenv."
    ),
)

_app_option = click.Option(
    ["-A", "--app"],
    metavar="IMPORT",
    is_eager=True,
    expose_value=False,
    callback=_set_app,
    help=(
        "Where to find the application: 'module:name', with the module as an"
        " import name or a file path. ':name' may be left out for app,"
        " application, create_app or make_app, and may be a call such as"
        " 'create_app(\"dev\")'."
    ),
)

_debug_option = click.Option(
    ["--debug/--no-debug"],
    expose_value=False,
    callback=_set_debug,
    help="Turn debug mode on or off (sets FLASK_DEBUG).",
)


def get_version(ctx: click.Context, param: click.Parameter, value: t.Any) -> None:
    """Callback of ``--version``: print the versions of Python, Flask (with
    flaskrs) and Werkzeug, then end the program."""
    if ctx.resilient_parsing or not value:
        return

    # Imported here: importlib.metadata takes longer to import than this
    # whole module, and only --version and the plugin commands need it.
    from importlib import metadata

    try:
        flaskrs_version = metadata.version("flaskrs")
    except metadata.PackageNotFoundError:
        flaskrs_version = "unknown"

    report = [
        f"Python {platform.python_version()}",
        f"Flask {_FLASK_COMPAT_VERSION} (flaskrs {flaskrs_version})",
        f"Werkzeug {metadata.version('werkzeug')}",
    ]
    click.echo("\n".join(report), color=ctx.color)
    ctx.exit()


version_option = click.Option(
    ["--version"],
    is_flag=True,
    is_eager=True,
    expose_value=False,
    callback=get_version,
    help="Print the Python, Flask and Werkzeug versions and exit.",
)


def _report_error(text: str) -> None:
    click.secho(text, err=True, fg="red")


def _plugin_entry_points() -> t.Iterable[t.Any]:
    """Entry points registered under ``flask.commands``."""
    from importlib import metadata

    try:
        return metadata.entry_points(group="flask.commands")
    except TypeError:  # pragma: no cover
        # Python 3.9: no selection by keyword; a dict of groups instead.
        return metadata.entry_points().get("flask.commands", ())


class FlaskGroup(AppGroup):
    """The ``flask`` command, also usable as the base of a custom script.

    On top of :class:`AppGroup` it has the ``--env-file``, ``--app``,
    ``--debug`` and (optionally) ``--version`` options, the built-in
    commands, commands that installed packages register under the
    ``flask.commands`` entry point group, and the loaded app's ``app.cli``
    commands.

    :param add_default_commands: Include ``run``, ``shell`` and ``routes``.
    :param create_app: Callable returning the app; replaces ``--app``.
    :param add_version_option: Include ``--version``.
    :param load_dotenv: Read ``.env`` and ``.flaskenv`` from the working
        directory or its parents (an ``--env-file`` is read regardless).
    :param set_debug_flag: Set ``app.debug`` from ``FLASK_DEBUG`` on load.
    """

    def __init__(
        self,
        add_default_commands: bool = True,
        create_app: t.Callable[..., Flask] | None = None,
        add_version_option: bool = True,
        load_dotenv: bool = True,
        set_debug_flag: bool = True,
        **extra: t.Any,
    ) -> None:
        own_params = [_env_file_option, _app_option, _debug_option]

        if add_version_option:
            own_params.append(version_option)

        settings = extra.setdefault("context_settings", {})
        # Lets every option be set as FLASK_<NAME> (FLASK_APP, FLASK_RUN_PORT).
        settings.setdefault("auto_envvar_prefix", "FLASK")
        extra["params"] = [*(extra.get("params") or ()), *own_params]
        super().__init__(**extra)

        self.create_app = create_app
        self.load_dotenv = load_dotenv
        self.set_debug_flag = set_debug_flag
        self._loaded_plugin_commands = False

        if add_default_commands:
            for builtin in (run_command, shell_command, routes_command):
                self.add_command(builtin)

    def _load_plugin_commands(self) -> None:
        if self._loaded_plugin_commands:
            return

        for entry_point in _plugin_entry_points():
            self.add_command(entry_point.load(), entry_point.name)

        self._loaded_plugin_commands = True

    def _app_for(self, ctx: click.Context, *, report_all: bool) -> Flask | None:
        """The app, or ``None`` after printing why it could not be loaded.
        Only a NoAppException is reported unless ``report_all`` is set."""
        try:
            return ctx.ensure_object(ScriptInfo).load_app()
        except NoAppException as e:
            _report_error(f"Error: {e.format_message()}\n")
        except Exception:
            if not report_all:
                raise

            _report_error(f"{traceback.format_exc()}\n")

        return None

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        self._load_plugin_commands()
        found = super().get_command(ctx, name)

        if found is not None:
            return found

        app = self._app_for(ctx, report_all=False)

        if app is None:
            return None

        # Push the app's context once, here, so that the app's commands and
        # their parameter callbacks all run inside it.
        if _active_app() is not app:
            ctx.with_resource(app.app_context())

        return app.cli.get_command(ctx, name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_plugin_commands()
        names = set(super().list_commands(ctx))
        # A broken app must not hide the built-in commands from --help, so
        # any error is printed rather than raised.
        app = self._app_for(ctx, report_all=True)

        if app is not None:
            names.update(app.cli.list_commands(ctx))

        return sorted(names)

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: t.Any,
    ) -> click.Context:
        # Seen by app.run(), which then leaves serving to the run command.
        os.environ["FLASK_RUN_FROM_CLI"] = "true"
        caller_has_obj = "obj" in extra or "obj" in self.context_settings
        return super().make_context(
            info_name,
            args,
            parent=parent,
            **(extra if caller_has_obj else {**extra, "obj": self._new_script_info()}),
        )

    def _new_script_info(self) -> ScriptInfo:
        """The context object for an invocation, set up from this group's
        own arguments."""
        return ScriptInfo(
            create_app=self.create_app,
            set_debug_flag=self.set_debug_flag,
            load_dotenv_defaults=self.load_dotenv,
        )

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args:
            wants_help = len(args) == 1 and args[0] in self.get_help_option_names(ctx)
        else:
            wants_help = self.no_args_is_help

        # Click prints help while parsing, before eager options are handled.
        # Handle the env file and --app/FLASK_APP first so that the help can
        # list the app's commands.
        if wants_help:
            for option in (_env_file_option, _app_option):
                option.handle_parse_result(ctx, {}, [])

        return super().parse_args(ctx, args)


# == Dotenv files and the server banner ======================================


def _dotenv_sources(
    dotenv: ModuleType, path: str | os.PathLike[str] | None, load_defaults: bool
) -> t.Iterator[str | os.PathLike[str]]:
    """The files to read, lowest precedence first."""
    if load_defaults:
        for default_name in (".flaskenv", ".env"):
            # Searched for from the working directory upwards.
            located = dotenv.find_dotenv(default_name, usecwd=True)

            if located:
                yield located

    if path is not None and os.path.isfile(path):
        yield path


def _path_is_ancestor(path: str, other: str) -> bool:
    """Whether the path ``other`` lies under ``path`` (or is ``path``),
    judged on the strings alone: nothing is resolved on disk."""
    rest = other[len(path) :].lstrip(os.sep)
    return os.path.join(path, rest) == other


_DOTENV_MISSING_TIP = (
    " * Tip: There are .env files present. Install python-dotenv to use them."
)


def load_dotenv(
    path: str | os.PathLike[str] | None = None, load_defaults: bool = True
) -> bool:
    """Put the variables of dotenv files into ``os.environ``.

    Precedence, strongest first: variables already in the environment, the
    file at ``path``, ``.env``, ``.flaskenv``. The two default files are the
    nearest ones found from the working directory upwards.

    Needs python-dotenv; without it nothing is loaded, and a hint is printed
    if there seem to be files it would have read.

    :param path: An extra file to read; ignored if it does not exist.
    :param load_defaults: Whether to read ``.flaskenv`` and ``.env``.
    :return: ``True`` if the files defined at least one variable.
    """
    dotenv = _import_dotenv()

    if dotenv is None:
        if path or any(map(os.path.isfile, (".env", ".flaskenv"))):
            click.secho(_DOTENV_MISSING_TIP, err=True, fg="yellow")

        return False

    merged = {
        name: value
        for source in _dotenv_sources(dotenv, path, load_defaults)
        for name, value in dotenv.dotenv_values(source, encoding="utf-8").items()
    }

    os.environ.update(
        {
            name: value
            for name, value in merged.items()
            if value is not None and name not in os.environ
        }
    )
    return bool(merged)


def show_server_banner(debug: bool, app_import_path: str | None) -> None:
    """Announce the served app and the debug mode. Printed by the outer
    process only, not again by the reloader's worker process."""
    if is_running_from_reloader():
        return

    lines = []

    if app_import_path is not None:
        lines.append(f"Serving Flask app '{app_import_path}'")

    if debug is not None:
        lines.append(f"Debug mode: {'on' if debug else 'off'}")

    for line in lines:
        click.echo(f" * {line}")


# == Parameter types and checks for ``run`` ==================================


def _ssl_context_type() -> type | None:
    """:class:`ssl.SSLContext`, or ``None`` if Python lacks SSL support."""
    try:
        import ssl
    except ImportError:
        return None

    return ssl.SSLContext


# Recent Click types ParamType as a generic (8.5 here); the runtime class is
# subclassed as it is, as Flask does.
if t.TYPE_CHECKING:  # pragma: no cover
    _ParamType = click.ParamType[t.Any, t.Any]
else:
    _ParamType = click.ParamType


class CertParamType(_ParamType):
    """Type of ``run --cert``. Accepts, tried in this order, the path of an
    existing certificate file, the word ``adhoc`` (a throwaway certificate;
    needs the cryptography package), or the import name of an
    :class:`ssl.SSLContext` object.
    """

    name = "path"

    def __init__(self) -> None:
        # Tried first; a value it rejects may still be "adhoc" or an import name.
        self.path_type = click.Path(exists=True, dir_okay=False, resolve_path=True)

    def convert(
        self, value: t.Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> t.Any:
        context_type = _ssl_context_type()

        if context_type is None:
            self.fail(
                'Using "--cert" requires Python to be compiled with SSL support.',
                param,
                ctx,
            )

        try:
            return self.path_type(value, param, ctx)
        except click.BadParameter as e:
            # Kept for the end: if nothing else fits, "file not found" is
            # the most helpful thing to say.
            not_a_file = e

        word = click.STRING(value, param, ctx).lower()

        if word == "adhoc":
            self._require_cryptography(param, ctx)
            return word

        imported = import_string(word, silent=True)

        if isinstance(imported, context_type):
            return imported

        raise not_a_file

    def _require_cryptography(
        self, param: click.Parameter | None, ctx: click.Context | None
    ) -> None:
        try:
            import cryptography  # noqa: F401
        except ImportError:
            self.fail(
                "Using ad-hoc certificates requires the cryptography library.",
                param,
                ctx,
            )


def _cert_kind(cert: t.Any) -> str | None:
    """Classify a converted ``--cert`` value: ``None`` (not given),
    ``"adhoc"``, ``"context"`` or ``"file"``."""
    if not cert:
        return None

    if cert == "adhoc":
        return "adhoc"

    context_type = _ssl_context_type()

    if context_type is not None and isinstance(cert, context_type):
        return "context"

    return "file"


# What a --key value means for each kind of --cert: an error message, or
# None when the pair is fine.
_KEY_GIVEN_PROBLEMS = {
    None: '"--cert" must also be specified.',
    "adhoc": 'When "--cert" is "adhoc", "--key" is not used.',
    "context": 'When "--cert" is an SSLContext object, "--key" is not used.',
    "file": None,
}


def _validate_key(ctx: click.Context, param: click.Parameter, value: t.Any) -> t.Any:
    """Callback of ``run --key``. A certificate file needs a key; the other
    kinds of ``--cert`` take none. When both are given, the ``cert``
    parameter is replaced by the ``(cert, key)`` pair Werkzeug expects."""
    cert = ctx.params.get("cert")
    kind = _cert_kind(cert)

    if value is None:
        if kind == "file":
            raise click.BadParameter('Required when using "--cert".', ctx, param)

        return None

    problem = _KEY_GIVEN_PROBLEMS[kind]

    if problem is not None:
        raise click.BadParameter(problem, ctx, param)

    ctx.params["cert"] = (cert, value)
    return value


class SeparatedPathType(click.Path):
    """Like :class:`click.Path`, but the value is a list of paths joined by
    :data:`os.pathsep`; each one is validated on its own."""

    def convert(
        self, value: t.Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> t.Any:
        return [
            click.Path.convert(self, piece, param, ctx)
            for piece in self.split_envvar_value(value)
        ]


# == Built-in commands =========================================================


def _error_app(error: BaseException) -> t.Callable[..., t.Any]:
    """A stand-in WSGI app for an app that failed to load under the
    reloader: each request re-raises the error (so the debugger shows it)
    while the reloader waits for the code to be fixed."""

    def respond(environ: WSGIEnvironment, start_response: StartResponse) -> t.Any:
        raise error from None

    return respond


def _serve(
    info: ScriptInfo,
    host: str,
    port: int,
    reload: bool | None,
    debugger: bool | None,
    with_threads: bool,
    cert: t.Any,
    extra_files: list[str] | None,
    exclude_patterns: list[str] | None,
) -> None:
    app: t.Any

    try:
        app = info.load_app()
    except Exception as e:
        # In the first process, fail normally. In the reloader's worker,
        # exiting would stop the reloading, so keep serving the error.
        if not is_running_from_reloader():
            raise e from None

        traceback.print_exc()
        app = _error_app(e)

    debug = get_debug_flag()
    show_server_banner(debug, info.app_import_path)
    run_simple(
        host,
        port,
        app,
        use_reloader=debug if reload is None else reload,
        use_debugger=debug if debugger is None else debugger,
        threaded=with_threads,
        ssl_context=cert,
        extra_files=extra_files,
        exclude_patterns=exclude_patterns,
    )


# The options of ``run``, in help order: (declarations, settings).
_RUN_OPTIONS: list[tuple[tuple[str, ...], dict[str, t.Any]]] = [
    (
        ("--host", "-h"),
        {"default": "127.0.0.1", "help": "Address of the interface to listen on."},
    ),
    (
        ("--port", "-p"),
        {"default": 5000, "type": int, "help": "TCP port to listen on."},
    ),
    (
        ("--cert",),
        {
            "type": CertParamType(),
            "is_eager": True,
            "help": (
                "Serve HTTPS with this certificate: a file, 'adhoc', or the"
                " import name of an ssl.SSLContext."
            ),
        },
    ),
    (
        ("--key",),
        {
            "type": click.Path(exists=True, dir_okay=False, resolve_path=True),
            "callback": _validate_key,
            "expose_value": False,
            "help": "Private key file belonging to a '--cert' certificate file.",
        },
    ),
    (
        ("--reload/--no-reload",),
        {
            "default": None,
            "help": "Restart when code changes. Defaults to on in debug mode.",
        },
    ),
    (
        ("--debugger/--no-debugger",),
        {
            "default": None,
            "help": "Show the interactive debugger on errors. Defaults to on in"
            " debug mode.",
        },
    ),
    (
        ("--with-threads/--without-threads",),
        {"default": True, "help": "Handle each request in its own thread."},
    ),
    (
        ("--extra-files",),
        {
            "default": None,
            "type": SeparatedPathType(),
            "help": (
                "More files whose changes restart the server, joined by"
                f" {os.path.pathsep!r}."
            ),
        },
    ),
    (
        ("--exclude-patterns",),
        {
            "default": None,
            "type": SeparatedPathType(),
            "help": (
                "fnmatch patterns of files whose changes do not restart the"
                f" server, joined by {os.path.pathsep!r}."
            ),
        },
    ),
]

run_command = click.Command(
    "run",
    callback=pass_script_info(_serve),
    params=[
        _debug_option,
        *[click.Option(list(decls), **settings) for decls, settings in _RUN_OPTIONS],
    ],
    short_help="Start the development server.",
    help=(
        "Serve the app with Werkzeug's development server, for local work"
        " only: it is not built for production traffic, security or speed."
        "\n\nWith '--debug' the reloader and the debugger are switched on."
    ),
)


def _shell_namespace(app: Flask) -> dict[str, t.Any]:
    """Variables for the shell: what ``PYTHONSTARTUP`` defines (the plain
    interpreter runs it, :mod:`code` does not), then the app's shell
    context."""
    namespace: dict[str, t.Any] = {}
    startup = os.environ.get("PYTHONSTARTUP") or ""

    if os.path.isfile(startup):
        compiled = compile(Path(startup).read_text(), startup, "exec")
        exec(compiled, namespace)

    return {**namespace, **app.make_shell_context()}


def _prepare_interactive(namespace: dict[str, t.Any]) -> None:
    """Run the site module's interactive hook (history, tab completion) as
    the plain interpreter would, with completion over ``namespace``."""
    hook = getattr(sys, "__interactivehook__", None)

    if hook is None:
        return

    try:
        import readline
        import rlcompleter
    except ImportError:
        pass
    else:
        readline.set_completer(rlcompleter.Completer(namespace).complete)

    hook()


def _shell() -> None:
    import code

    app = t.cast("Flask", _active_app())
    namespace = _shell_namespace(app)
    _prepare_interactive(namespace)
    code.interact(
        banner="\n".join(
            (
                f"Python {sys.version} on {sys.platform}",
                f"App: {app.import_name}",
                f"Instance: {app.instance_path}",
            )
        ),
        local=namespace,
    )


shell_command = click.Command(
    "shell",
    callback=with_appcontext(_shell),
    short_help="Open a Python shell with the app loaded.",
    help=(
        "Start an interactive Python shell inside an app context. Its"
        " namespace holds what the app's shell context processors provide,"
        " handy for quick maintenance tasks."
    ),
)


def _route_table(
    rules: list[t.Any], all_methods: bool, host_matching: bool
) -> tuple[list[str], list[str], list[list[str]]]:
    """Headers, sort names and rows for ``routes``."""
    skipped = set() if all_methods else {"HEAD", "OPTIONS"}

    def domain_of(rule: t.Any) -> str:
        return (rule.host if host_matching else rule.subdomain) or ""

    columns: list[tuple[str, str, t.Callable[[t.Any], str]]] = [
        ("Endpoint", "endpoint", lambda rule: rule.endpoint),
        (
            "Methods",
            "methods",
            lambda rule: ", ".join(sorted(set(rule.methods or ()) - skipped)),
        ),
    ]

    if any(map(domain_of, rules)):
        columns.append(("Host" if host_matching else "Subdomain", "domain", domain_of))

    columns.append(("Rule", "rule", lambda rule: rule.rule))
    headers = [title for title, _, _ in columns]
    sort_names = [name for _, name, _ in columns]
    rows = [[cell(rule) for _, _, cell in columns] for rule in rules]
    return headers, sort_names, rows


def _routes(sort: str, all_methods: bool) -> None:
    url_map = t.cast("Flask", _active_app()).url_map
    rules = list(url_map.iter_rules())

    if not rules:
        click.echo("No routes were registered.")
        return

    # Imported here, as only this command needs it: the flask package
    # imports this module.
    from ._shadowing import AUTOMATIC_METHODS
    from ._shadowing import shadow_note
    from ._shadowing import shadowed_rules

    headers, sort_names, rows = _route_table(rules, all_methods, url_map.host_matching)
    shadowed = shadowed_rules(url_map)
    skipped = set() if all_methods else AUTOMATIC_METHODS
    notes = [
        shadow_note(rule, shadowed[id(rule)], lambda m: m not in skipped)
        if id(rule) in shadowed
        else ""
        for rule in rules
    ]

    # Only with something to say: otherwise the table is exactly Flask's.
    if any(notes):
        headers.append("Note")

        for row, note in zip(rows, notes):
            row.append(note)

    # "match" is the map's own order; so is "domain" when no rule has one.
    if sort in sort_names:
        position = sort_names.index(sort)
        rows.sort(key=lambda row: row[position])

    widths = [max(map(len, column)) for column in zip(headers, *rows)]
    rulers = ["-" * width for width in widths]

    for cells in (headers, rulers, *rows):
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(cells, widths)))


routes_command = click.Command(
    "routes",
    callback=with_appcontext(_routes),
    params=[
        click.Option(
            ["--sort", "-s"],
            type=click.Choice(("endpoint", "methods", "domain", "rule", "match")),
            default="endpoint",
            help=(
                "Column to order the table by; 'match' lists the routes in"
                " the order requests are matched against them."
            ),
        ),
        click.Option(
            ["--all-methods"],
            is_flag=True,
            help="Include the automatic HEAD and OPTIONS methods.",
        ),
    ],
    short_help="List the app's routes.",
    help="List every URL rule of the app with its endpoint and methods.",
)


cli = FlaskGroup(
    name="flask",
    help=(
        "Management commands for Flask applications.\n\n"
        "The application is found through the '--app' option, the"
        " 'FLASK_APP' environment variable, or a 'wsgi.py' or 'app.py' file"
        " in the working directory."
    ),
)


def main() -> None:
    """Entry point of the ``flask`` console script."""
    # flaskrs's own command, on the `flaskrs` program only: a FlaskGroup of
    # the user's does not gain it. Added here rather than at import, which
    # ``import flask`` pays for.
    from ._bench import bench_command

    cli.add_command(bench_command)
    cli.main()


if __name__ == "__main__":
    main()
