"""Application settings.

:class:`Config` is the ``app.config`` dict: a plain ``dict`` plus loaders that
fill it from Python files, data files, objects, mappings and environment
variables. :class:`ConfigAttribute` mirrors one setting as an attribute of the
application class (``app.secret_key`` is ``app.config["SECRET_KEY"]``).
"""

from __future__ import annotations

import errno
import json
import os
import types
import typing as t

from werkzeug.utils import import_string

if t.TYPE_CHECKING:
    import typing_extensions as te

    from .sansio.app import App

T = t.TypeVar("T")

# ``silent=True`` excuses "the file is not there" and nothing else: a file that
# exists but cannot be read is still an error worth seeing. For Python files a
# path running through a regular file (ENOTDIR) also counts as absent.
_ABSENT_PYFILE = frozenset({errno.ENOENT, errno.EISDIR, errno.ENOTDIR})
_ABSENT_DATAFILE = frozenset({errno.ENOENT, errno.EISDIR})

# Returned by Config._read_settings_file when a silent load found no file.
_NOT_FOUND: t.Any = object()


class ConfigAttribute(t.Generic[T]):
    """A descriptor standing for ``instance.config[name]``.

    Getting the attribute on an application reads the setting, optionally
    through ``get_converter`` (``permanent_session_lifetime`` turns seconds
    into a :class:`~datetime.timedelta` that way); setting it writes the value
    as given. Looked up on the class, the descriptor is returned unchanged.
    """

    def __init__(
        self, name: str, get_converter: t.Callable[[t.Any], T] | None = None
    ) -> None:
        self.__name__ = name
        self.get_converter = get_converter

    @t.overload
    def __get__(self, obj: None, owner: type[App] | None = None) -> te.Self: ...

    @t.overload
    def __get__(self, obj: App, owner: type[App] | None = None) -> T: ...

    def __get__(self, obj: App | None, owner: type[App] | None = None) -> T | te.Self:
        if obj is None:
            return self

        convert = self.get_converter
        stored = obj.config[self.__name__]
        return stored if convert is None else convert(stored)

    def __set__(self, obj: App, value: t.Any) -> None:
        obj.config[self.__name__] = value


class Config(dict[str, t.Any]):
    """The settings of an application, as a ``dict``.

    The ``from_*`` loaders only ever copy upper-case names, which leaves a
    settings file free to use lower-case names for scratch values. File names
    that are not absolute are taken relative to :attr:`root_path`.

    :param root_path: the directory relative file names start from, normally
        the application's root path.
    :param defaults: the starting contents.
    """

    def __init__(
        self,
        root_path: str | os.PathLike[str],
        defaults: dict[str, t.Any] | None = None,
    ) -> None:
        self.root_path = root_path
        super().__init__()

        if defaults:
            self.update(defaults)

    # -- loaders ---------------------------------------------------------

    def from_envvar(self, variable_name: str, silent: bool = False) -> bool:
        """Run :meth:`from_pyfile` on the file the environment variable
        ``variable_name`` points to.

        :param silent: when the variable is unset or empty, or names a file
            that does not exist, return ``False`` rather than raise.
        :return: whether a file was loaded.
        :raises RuntimeError: the variable is unset or empty and ``silent`` is
            false.
        """
        location = os.environ.get(variable_name, "")

        if location:
            return self.from_pyfile(location, silent=silent)

        if silent:
            return False

        raise RuntimeError(
            f"The environment variable {variable_name!r} is not set"
            " and as such configuration could not be"
            " loaded. Set this variable and make it"
            " point to a configuration file"
        )

    def from_prefixed_env(
        self, prefix: str = "FLASK", *, loads: t.Callable[[str], t.Any] = json.loads
    ) -> bool:
        """Copy the environment variables called ``{prefix}_SOMETHING`` into
        ``self["SOMETHING"]``, visiting them in sorted order.

        Values go through ``loads`` (JSON parsing by default) so numbers,
        booleans and lists arrive typed; a value it rejects is stored as the
        original string. ``__`` in a name descends into nested dicts, making
        them as needed: ``FLASK_CACHE__TIMEOUT=30`` sets
        ``self["CACHE"]["TIMEOUT"] = 30``.

        :return: ``True``.
        """
        lead = f"{prefix}_"
        wanted = sorted(name for name in os.environ if name.startswith(lead))

        for env_name in wanted:
            text = os.environ[env_name]

            try:
                value = loads(text)
            except Exception:
                # Most variables are plain words; keeping the text is the norm.
                value = text

            *branch, leaf = env_name[len(lead) :].split("__")
            _descend(self, branch)[leaf] = value

        return True

    def from_pyfile(
        self, filename: str | os.PathLike[str], silent: bool = False
    ) -> bool:
        """Run a Python settings file and keep its upper-case globals.

        The file executes as the body of a new module called ``config`` (its
        ``__file__`` is the resolved path), which :meth:`from_object` then
        reads.

        :param filename: an absolute path, or one relative to
            :attr:`root_path`.
        :param silent: return ``False`` instead of raising if the file does
            not exist.
        :return: whether the file was loaded.
        :raises OSError: reading failed; ``strerror`` is prefixed with
            "Unable to load configuration file".
        """

        def execute(handle: t.IO[bytes], path: str) -> types.ModuleType:
            namespace = types.ModuleType("config")
            namespace.__file__ = path
            exec(compile(handle.read(), path, "exec"), namespace.__dict__)
            return namespace

        module = self._read_settings_file(
            filename, execute, binary=True, absent_ok=silent, absent=_ABSENT_PYFILE
        )

        if module is _NOT_FOUND:
            return False

        self.from_object(module)
        return True

    def from_object(self, obj: object | str) -> None:
        """Copy every upper-case attribute of ``obj``.

        ``obj`` may be any object with attributes (module, class, instance),
        or a dotted import path to one, like ``"settings.Staging"``. Names are
        found with :func:`dir` and read with :func:`getattr`, so inherited
        class attributes and properties are included.

        :raises werkzeug.utils.ImportStringError: the import path is wrong.
        """
        source = import_string(obj) if isinstance(obj, str) else obj
        self._copy_upper(dir(source), lambda name: getattr(source, name))

    def from_file(
        self,
        filename: str | os.PathLike[str],
        load: t.Callable[[t.IO[t.Any]], t.Mapping[str, t.Any]],
        silent: bool = False,
        text: bool = True,
    ) -> bool:
        """Parse a data file with ``load`` and apply the resulting mapping
        with :meth:`from_mapping`.

        Any loader taking an open file works: ``json.load``,
        ``tomllib.load`` (with ``text=False``), a YAML loader, and so on.

        :param filename: an absolute path, or one relative to
            :attr:`root_path`.
        :param load: receives the open file, returns a mapping.
        :param silent: return ``False`` instead of raising if the file does
            not exist.
        :param text: open in text mode (the default) or binary mode.
        :return: whether the file was loaded.
        """
        data = self._read_settings_file(
            filename,
            lambda handle, _path: load(handle),
            binary=not text,
            absent_ok=silent,
            absent=_ABSENT_DATAFILE,
        )

        if data is _NOT_FOUND:
            return False

        return self.from_mapping(data)

    def from_mapping(
        self, mapping: t.Mapping[str, t.Any] | None = None, **kwargs: t.Any
    ) -> bool:
        """Copy the upper-case entries of ``mapping`` and of the keyword
        arguments; a name given both ways takes the keyword's value.

        :return: ``True``.
        """
        combined = dict(mapping or (), **kwargs)
        self._copy_upper(combined, combined.__getitem__)
        return True

    # -- queries ---------------------------------------------------------

    def get_namespace(
        self, namespace: str, lowercase: bool = True, trim_namespace: bool = True
    ) -> dict[str, t.Any]:
        """Collect the settings whose names begin with ``namespace`` (say
        ``"MAIL_"``) into a new dict, handy as keyword arguments::

            smtp = SMTP(**app.config.get_namespace("MAIL_"))

        :param lowercase: lower-case the names in the result.
        :param trim_namespace: strip ``namespace`` from the names in the
            result.
        """
        skip = len(namespace) if trim_namespace else 0

        def rename(name: str) -> str:
            short = name[skip:]
            return short.lower() if lowercase else short

        return {
            rename(name): value
            for name, value in self.items()
            if name.startswith(namespace)
        }

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {dict.__repr__(self)}>"

    # -- internals -------------------------------------------------------

    def _copy_upper(
        self, names: t.Iterable[str], fetch: t.Callable[[str], t.Any]
    ) -> None:
        # What from_object and from_mapping share: keep the upper-case names
        # only, and fetch a value for those alone (reading an attribute may
        # run a property, which lower-case names must not trigger).
        for name in names:
            if name.isupper():
                self[name] = fetch(name)

    def _read_settings_file(
        self,
        filename: str | os.PathLike[str],
        consume: t.Callable[[t.Any, str], t.Any],
        *,
        binary: bool,
        absent_ok: bool,
        absent: frozenset[int],
    ) -> t.Any:
        # The one place both file loaders open files: resolve the name, let
        # ``consume`` read the open file, and turn I/O failures (including
        # ones raised while consuming) into either _NOT_FOUND or a labelled
        # error.
        path = os.path.join(self.root_path, filename)

        try:
            with open(path, "rb" if binary else "r") as handle:
                return consume(handle, path)
        except OSError as error:
            if absent_ok and error.errno in absent:
                return _NOT_FOUND

            error.strerror = f"Unable to load configuration file ({error.strerror})"
            raise


def _descend(root: t.Any, branch: list[str]) -> t.Any:
    # Follow ``branch`` down nested dicts from ``root``, adding empty dicts for
    # the steps that do not exist yet, and return the innermost one.
    node = root

    for step in branch:
        try:
            node = node[step]
        except KeyError:
            fresh: dict[str, t.Any] = {}
            node[step] = fresh
            node = fresh

    return node
