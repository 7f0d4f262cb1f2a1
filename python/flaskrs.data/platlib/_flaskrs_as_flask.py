"""``FLASKRS_AS_FLASK=1``: the flask alias of flaskrs for every process.

The file ``_flaskrs_as_flask.pth``, installed beside this module at the root of
site-packages, imports it at interpreter start-up when the variable is set and
not empty, and calls :func:`install`. The variable is inherited, so a server's
workers, a test runner's subprocesses and any grandchild get the alias too.

The values, stripped and in any case:

- unset, empty: nothing at all happens (the ``.pth`` line only looks the
  variable up; this module is not even imported);
- ``0``, ``false``, ``no``, ``off``: off, silently (to switch it off in a
  child whose parent had it on);
- ``1``, ``true``, ``yes``, ``on``: on;
- anything else: off, with one line on stderr saying so.

"On" imports nothing of flaskrs at start-up: it puts a small finder first on
``sys.meta_path``, and the first ``import flask`` (or ``flask.X``) of the
process turns the real alias on (``flaskrs.alias``) and loads flaskrs. A
process that never imports flask pays one cheap miss per new import.

This runs inside ``site``, before any code of the program: whatever goes
wrong here is reported on stderr and the process goes on without the alias,
since an exception in a start-up hook would break every Python process of
the environment. The one thing that can come first is another ``.pth`` file
of the environment that imports the real Flask; the process then runs on the
real Flask, and says so on stderr. (A ``sitecustomize`` or ``usercustomize``
runs after the ``.pth`` files, so its ``import flask`` already gets flaskrs.)

This module is outside the ``flaskrs`` package on purpose: importing anything
in the package runs ``flaskrs/__init__.py``, which loads Werkzeug, and that
must wait for a process that imports flask.
"""

import os
import sys

# With the switch on, every Python process of the environment imports this
# module, so it imports nothing that ``site`` has not imported already: not
# typing (milliseconds), nor even __future__, hence the quoted annotations.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import importlib.machinery
    import types
    from collections.abc import Sequence

__all__ = ["VARIABLE", "install", "is_installed", "setting"]

VARIABLE = "FLASKRS_AS_FLASK"

_ON = frozenset({"1", "true", "yes", "on"})
_OFF = frozenset({"", "0", "false", "no", "off"})


# Each message once per process: in a virtualenv, site reads its .pth files
# twice on some Pythons (CPython 3.11 does), and install() is idempotent.
_reported: "set[str]" = set()


def _report(message: str) -> None:
    if message in _reported:
        return
    _reported.add(message)
    try:
        sys.stderr.write(f"flaskrs: {message}\n")
        sys.stderr.flush()
    except Exception:
        # No usable stderr (closed, or None under pythonw): the report is lost
        # rather than the process.
        pass


def setting(value: "str | None") -> "bool | None":
    """What a value of the variable asks for: True (on), False (off), or
    None for a value that is neither (the switch then stays off)."""
    word = (value or "").strip().lower()
    if word in _ON:
        return True
    if word in _OFF:
        return False
    return None


def _is_flask_name(name: str) -> bool:
    return name == "flask" or name.startswith("flask.")


def _foreign_flask() -> "str | None":
    """The name of a loaded ``flask`` or ``flask.X`` that is not flaskrs's:
    ``flask`` itself if it is one of them, since it sorts first."""
    foreign = []
    for name, module in list(sys.modules.items()):
        if not _is_flask_name(name):
            continue
        real_name = getattr(module, "__name__", None)
        if not (
            isinstance(real_name, str)
            and (real_name == "flaskrs" or real_name.startswith("flaskrs."))
        ):
            foreign.append(name)
    return min(foreign) if foreign else None


class _SwitchFinder:
    """Waits for the first ``import flask`` and turns the alias on for it."""

    # flaskrs.alias and the tests recognise the finder by this, whichever copy
    # of the class made it.
    flaskrs_switch = True

    def find_spec(
        self,
        fullname: str,
        path: "Sequence[str] | None" = None,
        target: "types.ModuleType | None" = None,
    ) -> "importlib.machinery.ModuleSpec | None":
        if not _is_flask_name(fullname):
            return None
        foreign = _foreign_flask()
        if foreign is not None:
            # Only reachable if something put the real Flask in sys.modules
            # behind this finder's back; mixing the two would be worse.
            _uninstall()
            module = sys.modules.get(foreign)
            where = getattr(module, "__file__", None) or repr(module)
            _report(
                f"{VARIABLE} is set, but the real Flask was imported first"
                f" ({foreign} from {where}); this process runs on the real Flask"
            )
            return None
        # Importing it turns the alias on (its finder goes first on
        # sys.meta_path); an error here, such as a broken flaskrs install, is
        # the error of this ``import flask``, and the next one tries again.
        from flaskrs import alias

        _uninstall()
        # The import system is iterating over sys.meta_path right now, and the
        # two changes above shifted it: answering here rather than returning
        # None keeps the alias's finder from being skipped for this name.
        return alias._AliasFinder().find_spec(fullname, path, target)


def _uninstall() -> None:
    sys.meta_path[:] = [f for f in sys.meta_path if not _is_switch(f)]


def _is_switch(finder: object) -> bool:
    return bool(getattr(finder, "flaskrs_switch", False))


def is_installed() -> bool:
    """Whether the switch is waiting for this process's first flask import."""
    return any(_is_switch(f) for f in sys.meta_path)


def install() -> None:
    """Act on the variable: called by the ``.pth`` file at start-up.

    Never raises: see the module's docstring.
    """
    try:
        value = os.environ.get(VARIABLE)
        wanted = setting(value)
        if wanted is None:
            _report(
                f"{VARIABLE}={value!r} is not one of 1/true/yes/on or"
                " 0/false/no/off; 'import flask' loads the real Flask"
            )
            return
        if not wanted or is_installed():
            return
        if any(getattr(f, "flaskrs_alias", False) for f in sys.meta_path):
            return
        foreign = _foreign_flask()
        if foreign is not None:
            module = sys.modules.get(foreign)
            where = getattr(module, "__file__", None) or repr(module)
            _report(
                f"{VARIABLE} is set, but the real Flask was imported before"
                f" flaskrs's start-up hook ran ({foreign} from {where}, by an"
                " earlier .pth file?); this process runs on the real Flask"
            )
            return
        sys.meta_path.insert(0, _SwitchFinder())
    except Exception as e:
        _report(f"{VARIABLE}: the start-up hook failed ({e!r}); flask is not aliased")
