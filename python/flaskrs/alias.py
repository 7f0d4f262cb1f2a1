"""Make ``import flask`` load flaskrs, so that Flask extensions run unchanged.

Put this line at the top of the program's entry point, before anything
imports ``flask``::

    import flaskrs.alias  # noqa: F401

From then on ``flask`` and every ``flask.X`` submodule (``flask.sessions``,
``flask.json.provider``, ``flask.sansio.app``, ...) are the flaskrs module
objects themselves: ``sys.modules["flask.sessions"] is flaskrs.sessions``,
also for a submodule first imported later. The installed distributions are
left alone: ``importlib.metadata.version("flask")`` still answers for the
real Flask, ``importlib.metadata.version("flaskrs")`` for flaskrs.

For a program one cannot edit, run it through this module::

    python -m flaskrs.alias script.py [args...]
    python -m flaskrs.alias -m package.module [args...]
    python -m flaskrs.alias -c "code" [args...]

or set ``FLASKRS_AS_FLASK=1`` in its environment: a start-up hook installed
with flaskrs (``_flaskrs_as_flask.pth``) then turns the alias on at the first
``import flask`` of every Python process of that environment, servers'
workers and subprocesses included.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import runpy
import sys
import types
import typing as t

__all__ = ["AliasError", "enable", "is_enabled"]

_ALIAS = "flask"
_TARGET = "flaskrs"

# What the import system writes on a module it loads. The aliased module keeps
# the values it got as a flaskrs module, so that its relative imports, its
# ``__file__`` and ``importlib.reload`` go on naming flaskrs.
_IMPORT_ATTRS = (
    "__name__",
    "__loader__",
    "__package__",
    "__spec__",
    "__path__",
    "__file__",
    "__cached__",
)

_MISSING = object()


class AliasError(RuntimeError):
    """The alias cannot be turned on in this process any more."""


def _target_name(fullname: str) -> str:
    return _TARGET + fullname[len(_ALIAS) :]


def _is_alias_name(name: str) -> bool:
    return name == _ALIAS or name.startswith(_ALIAS + ".")


def _is_flaskrs_module(module: object) -> bool:
    name = getattr(module, "__name__", None)
    return isinstance(name, str) and (name == _TARGET or name.startswith(_TARGET + "."))


class _AliasLoader(importlib.abc.Loader):
    """Hands the import system the flaskrs module instead of a new one."""

    def __init__(self, target: str) -> None:
        self.target = target
        self._saved: dict[str, object] = {}

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = importlib.import_module(self.target)
        self._saved = {attr: vars(module).get(attr, _MISSING) for attr in _IMPORT_ATTRS}
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        # The flaskrs module already ran; only undo what the import system
        # wrote on it for the ``flask.X`` spec.
        namespace = vars(module)
        for attr, value in self._saved.items():
            if value is _MISSING:
                namespace.pop(attr, None)
            else:
                namespace[attr] = value
        self._saved = {}


class _AliasFinder(importlib.abc.MetaPathFinder):
    """Answers for ``flask`` and ``flask.*`` with the flaskrs modules."""

    # Lets a second copy of this module (``python -m flaskrs.alias`` runs one
    # as ``__main__``) recognise a finder the other copy installed.
    flaskrs_alias = True

    def find_spec(
        self,
        fullname: str,
        path: t.Sequence[str] | None = None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if not _is_alias_name(fullname):
            return None
        target_name = _target_name(fullname)
        try:
            target_spec = importlib.util.find_spec(target_name)
        except ModuleNotFoundError:
            target_spec = None
        if target_spec is None:
            # No such flaskrs module: the import fails with the ``flask.X``
            # name, and nothing of the real Flask is ever loaded instead.
            raise ModuleNotFoundError(
                f"No module named {fullname!r} (flaskrs, which the flask alias"
                f" imports instead of Flask, has no {target_name!r})",
                name=fullname,
            )
        if fullname.rpartition(".")[2] == "__main__":
            # ``python -m flask`` reads this module's code to run it as
            # ``__main__``; importing the flaskrs one here would run it now.
            return importlib.util.spec_from_file_location(fullname, target_spec.origin)
        spec = importlib.machinery.ModuleSpec(
            fullname,
            _AliasLoader(target_name),
            origin=target_spec.origin,
            is_package=target_spec.submodule_search_locations is not None,
        )
        if target_spec.submodule_search_locations is not None:
            spec.submodule_search_locations = list(
                target_spec.submodule_search_locations
            )
        return spec


def _installed_finder() -> object | None:
    for finder in sys.meta_path:
        if getattr(finder, "flaskrs_alias", False):
            return finder
    return None


def is_enabled() -> bool:
    """Whether ``import flask`` loads flaskrs in this process."""
    return _installed_finder() is not None


def enable() -> None:
    """Make ``flask`` and ``flask.*`` resolve to the flaskrs modules.

    Calling it again does nothing. It raises :class:`AliasError` if the real
    Flask (or any ``flask.*`` module that is not flaskrs's) is already
    imported: two ``Flask`` classes in one process is the bug this prevents.
    """
    if is_enabled():
        return
    foreign = sorted(
        name
        for name, module in list(sys.modules.items())
        if _is_alias_name(name) and not _is_flaskrs_module(module)
    )
    if foreign:
        # Sorted, so the package itself comes first when it is among them.
        name = foreign[0]
        module = sys.modules.get(name)
        where = getattr(module, "__file__", None) or repr(module)
        raise AliasError(
            "flaskrs.alias: the real Flask is already imported"
            f" (sys.modules[{name!r}] is {where}), so 'import flask' can no"
            " longer be made to load flaskrs. Import flaskrs.alias before"
            " anything imports flask: as the first line of the entry point, or"
            " run the program with 'python -m flaskrs.alias script.py' or"
            " 'python -m flaskrs.alias -m module'."
        )
    sys.meta_path.insert(0, _AliasFinder())
    # The FLASKRS_AS_FLASK switch's finder only waits for this; ours answers
    # for every flask name from now on.
    sys.meta_path[:] = [
        f for f in sys.meta_path if not getattr(f, "flaskrs_switch", False)
    ]


_USAGE = """\
usage: python -m flaskrs.alias script.py [args...]
       python -m flaskrs.alias -m module [args...]
       python -m flaskrs.alias -c code [args...]

Runs a Python program with 'import flask' (and every 'flask.X') loading
flaskrs, like 'python script.py', 'python -m module' or 'python -c code'.
"""


def _main(argv: list[str]) -> int:
    if not argv:
        sys.stderr.write(_USAGE)
        return 2
    if argv[0] in ("-h", "--help"):
        sys.stdout.write(_USAGE)
        return 0
    enable()
    first = argv[0]
    if first in ("-m", "-c") and len(argv) < 2:
        sys.stderr.write(f"flaskrs.alias: {first} needs an argument\n\n{_USAGE}")
        return 2
    if first == "-m":
        # Like ``python -m``: the module is looked up from the working
        # directory, which is already sys.path[0] for ``python -m flaskrs.alias``.
        sys.argv = [argv[1], *argv[2:]]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
    elif first == "-c":
        sys.argv = ["-c", *argv[2:]]
        main = types.ModuleType("__main__")
        sys.modules["__main__"] = main
        code = compile(argv[1], "<string>", "exec")
        exec(code, vars(main))
    elif first.startswith("-"):
        sys.stderr.write(f"flaskrs.alias: unknown option {first!r}\n\n{_USAGE}")
        return 2
    else:
        # Like ``python script.py``: the script's folder comes first on
        # sys.path instead of the working directory.
        sys.argv = list(argv)
        sys.path[0] = os.path.dirname(os.path.abspath(first))
        runpy.run_path(first, run_name="__main__")
    return 0


if __name__ == "__main__":
    # This copy runs as ``__main__``; the importable ``flaskrs.alias`` is the
    # one that must own the alias, so that a later ``import flaskrs.alias`` in
    # the program finds it enabled and leaves it be.
    from flaskrs.alias import _main as _alias_main

    sys.exit(_alias_main(sys.argv[1:]))
else:
    enable()
