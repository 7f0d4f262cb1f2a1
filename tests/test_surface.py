"""Flask 3.1.3's importable surface, name for name, against flaskrs's.

Flask's surface is read from the installed Flask when the tests run; nothing
of it is copied here. What counts as the surface:

* Every module of the ``flask`` package (``flask/sansio`` is a namespace
  package, which ``pkgutil`` does not list, so folders without an
  ``__init__`` are walked too). ``flask.__main__`` runs the CLI when
  imported, so only its existence is compared.
* Every name in each module's namespace after ``import flask`` and the import
  of every module: what the module defines, what it imports (``t``, ``ft``,
  ``request_ctx``, ``BadRequest``...), and the submodules the import system
  set on packages. The attributes the import system gives every module
  (``__file__``, ``__spec__``...) are left out.
* Every attribute of every class defined in Flask (its ``__module__`` is
  Flask's), including those it inherits from other Flask classes; names
  inherited from other libraries' classes come with the base class, so the
  base classes are compared instead: flaskrs's class must be a subclass of
  each non-Flask base of Flask's and of the flaskrs counterpart of each Flask
  base. Attributes Python makes for every class (``__dict__``,
  ``__weakref__``, ``__doc__``, ``__annotations__``, generic and protocol
  bookkeeping) are left out.

Each name must exist in flaskrs with the same kind: class, module, function
(on a class, with the same binding: plain method, classmethod or
staticmethod), property (any other descriptor on a class, such as
``cached_property`` or ``ConfigAttribute``; where Flask's can be assigned,
flaskrs's must be too) or data (anything else). Data is of the same type (or
a subclass; for a Flask class, flaskrs's class of that name), and equal when
it is a plain value (as rule 3 below defines it), except that a class's
``__slots__`` need only include Flask's (a private slot more is invisible to
subclasses). A class attribute that replaces itself when first read is judged
by what it becomes.

Compatible signature, for functions, methods and the classes Flask defines:
every call that Flask's accepts, flaskrs's accepts and binds the same way.
Precisely, with Flask's parameters F and flaskrs's R (``inspect.signature``):

1. The parameters F can take by position are, in order, the first
   positional parameters of R. Where F's can also be given by keyword, R's has
   the same name and can too (a positional-only parameter of F may have any
   name in R).
2. Each keyword-only parameter of F is a parameter of R that takes that name
   by keyword.
3. Where F's parameter has a default, R's has one; when F's default is a
   plain value (None, a bool, number, string, bytes, or a tuple or frozenset
   of them) R's is equal and of the same type. Sentinel objects are compared
   by presence only.
4. F's ``*args`` means R has ``*args``; F's ``**kwargs`` means R has
   ``**kwargs``.
5. Every other parameter of R has a default, so no call of F's is missing an
   argument in R.

Special methods that the interpreter calls with positional arguments only
(``__exit__``, ``__setattr__``, ``__getattr__``..., every ``__x__`` but the
constructors and ``__call__``) are compared by how many positional arguments
they accept: R takes every count that F takes.

A signature ``inspect`` cannot read on Flask's side (some builtins) is not
compared; one it cannot read on flaskrs's side when it can on Flask's is a
failure.

Identity: a name Flask merely imports must be the very object flaskrs uses.
Two locations holding one Flask object (``flask.app.request_ctx`` and
``flask.globals.request_ctx``) hold one flaskrs object; a class, function or
module of another library (``flask.app.BadRequest``, ``flask.cli.click``) is
that object in flaskrs too (a class may be a subclass of it); a class
attribute whose value is a Flask class (``Flask.request_class``) holds the
flaskrs class of that name.

The names flaskrs leaves out on purpose are listed in
``tests/surface_exceptions.txt``, each with its reason. A listed name that
is no longer missing or different fails the test too, so the list stays true.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import inspect
import json
import os
import pkgutil
import subprocess
import sys
import types
import typing as t
from pathlib import Path

import pytest
import werkzeug.test

EXCEPTIONS_FILE = Path(__file__).with_name("surface_exceptions.txt")
MAX_EXCEPTIONS = 10

# Set on every module by the import system or the compiler.
MODULE_IMPLICIT = frozenset(
    {
        "__name__",
        "__doc__",
        "__package__",
        "__loader__",
        "__spec__",
        "__path__",
        "__file__",
        "__cached__",
        "__builtins__",
        "__annotations__",
    }
)

# Made by Python (type, Generic, Protocol, ABCMeta) for classes that never
# wrote them, or documentation only.
CLASS_IMPLICIT = frozenset(
    {
        "__dict__",
        "__weakref__",
        "__doc__",
        "__module__",
        "__qualname__",
        "__annotations__",
        "__parameters__",
        "__orig_bases__",
        "__abstractmethods__",
        "_abc_impl",
        "__protocol_attrs__",
        "__non_callable_proto_members__",
        "__callable_proto_members_only__",
        "_is_protocol",
        "_is_runtime_protocol",
        "__subclasshook__",
        "__static_attributes__",
        "__firstlineno__",
        "__type_params__",
        "__slotnames__",
    }
)

PLAIN_TYPES = (type(None), bool, int, float, str, bytes)


def flaskrs_name(name: str) -> str:
    return "flaskrs" + name[len("flask") :]


def module_names(package: str) -> list[str]:
    """Every module of ``package``, namespace packages included."""
    spec = importlib.util.find_spec(package)
    assert spec is not None and spec.submodule_search_locations is not None
    found: list[str] = []

    def walk(path: str, prefix: str) -> None:
        for info in pkgutil.iter_modules([path], prefix):
            found.append(info.name)
            if info.ispkg:
                walk(os.path.join(path, info.name.rpartition(".")[2]), info.name + ".")
        for entry in sorted(os.scandir(path), key=lambda e: e.name):
            if (
                entry.is_dir()
                and entry.name.isidentifier()
                and not os.path.exists(os.path.join(entry.path, "__init__.py"))
                and any(True for _ in pkgutil.iter_modules([entry.path]))
            ):
                found.append(prefix + entry.name)
                walk(entry.path, prefix + entry.name + ".")

    for location in spec.submodule_search_locations:
        walk(location, package + ".")
    return sorted(set(found))


FLASK_MODULES = module_names("flask")
# Imported, not only found: importing ``__main__`` would run the CLI.
IMPORTED = ["flask"] + [m for m in FLASK_MODULES if not m.endswith(".__main__")]


@functools.cache
def imported(package: str) -> dict[str, types.ModuleType]:
    """``flask`` or ``flaskrs`` and all its modules that Flask has, imported
    in the same order, so the submodule attributes set on packages match."""
    importlib.import_module(package)
    return {
        name: importlib.import_module(
            flaskrs_name(name) if package == "flaskrs" else name
        )
        for name in IMPORTED
    }


def is_flask_object(obj: object) -> bool:
    if isinstance(obj, types.ModuleType):
        home = obj.__name__
    else:
        home = getattr(obj, "__module__", None)
    return isinstance(home, str) and (home == "flask" or home.startswith("flask."))


def module_kind(value: object) -> str:
    if isinstance(value, types.ModuleType):
        return "module"
    if isinstance(value, type):
        return "class"
    if inspect.isroutine(value) or isinstance(value, functools.partial):
        return "function"
    return "data"


def member_kind(raw: object) -> str:
    """The kind of a raw class-dict entry."""
    if isinstance(raw, classmethod):
        return "function (classmethod)"
    if isinstance(raw, staticmethod):
        return "function (staticmethod)"
    if isinstance(raw, type):
        return "class"
    if isinstance(raw, types.ModuleType):
        return "module"
    if inspect.isroutine(raw) or isinstance(raw, functools.partial):
        return "function (method)"
    if hasattr(type(raw), "__get__"):
        return "property" if settable(raw) else "property (read-only)"
    return "data"


def settable(raw: object) -> bool:
    if isinstance(raw, property):
        return raw.fset is not None
    # A descriptor without __set__ (functools.cached_property) lets the
    # instance's own attribute win, so assigning works too.
    return True


def kind_matches(flask_kind: str, ours: str) -> bool:
    # A property flaskrs lets one assign still reads as Flask's read-only one.
    if flask_kind == "property (read-only)" and ours == "property":
        return True
    return flask_kind == ours


def raw_member(cls: type, name: str) -> tuple[type, object] | None:
    for klass in cls.__mro__:
        if name in vars(klass):
            return klass, vars(klass)[name]
    return None


def slot_names(slots: object) -> set[str]:
    if isinstance(slots, str):
        return {slots}
    return set(t.cast(t.Iterable[str], slots))


def callable_for_signature(raw: object) -> object:
    if isinstance(raw, (classmethod, staticmethod)):
        return raw.__func__
    return raw


def read_signature(obj: object) -> inspect.Signature | None:
    try:
        return inspect.signature(obj)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def default_problem(
    name: str, fp: inspect.Parameter, rp: inspect.Parameter
) -> str | None:
    if fp.default is inspect.Parameter.empty:
        return None
    if rp.default is inspect.Parameter.empty:
        return f"{name!r} has no default (Flask's is {fp.default!r})"
    if is_plain(fp.default) and (
        type(rp.default) is not type(fp.default) or rp.default != fp.default
    ):
        return f"{name!r} defaults to {rp.default!r}, Flask's to {fp.default!r}"
    return None


def is_plain(value: object) -> bool:
    if isinstance(value, (tuple, frozenset)):
        return all(is_plain(item) for item in value)
    return type(value) in PLAIN_TYPES


POSITIONAL = (
    inspect.Parameter.POSITIONAL_ONLY,
    inspect.Parameter.POSITIONAL_OR_KEYWORD,
)
BY_KEYWORD = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


# Called by name with keywords, unlike the other special methods.
CALLED_BY_KEYWORD = frozenset(
    {"__init__", "__new__", "__call__", "__init_subclass__", "__class_getitem__"}
)


def is_protocol_method(name: str) -> bool:
    return (
        name.startswith("__") and name.endswith("__") and name not in CALLED_BY_KEYWORD
    )


def positional_range(sig: inspect.Signature) -> tuple[int, float]:
    params = [p for p in sig.parameters.values() if p.kind in POSITIONAL]
    least = sum(1 for p in params if p.default is inspect.Parameter.empty)
    most: float = len(params)
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in sig.parameters.values()):
        most = float("inf")
    return least, most


def signature_problems(flask_obj: object, ours: object, name: str = "") -> list[str]:
    """Where a call Flask's signature accepts would fail or bind otherwise
    in flaskrs's (the rule in the module docstring)."""
    fs = read_signature(flask_obj)
    if fs is None:
        return []
    rs = read_signature(ours)
    if rs is None:
        return [f"no readable signature (Flask's is {fs})"]
    if is_protocol_method(name):
        (f_least, f_most), (r_least, r_most) = (
            positional_range(fs),
            positional_range(rs),
        )
        if r_least > f_least or r_most < f_most:
            return [
                f"signature {rs} does not take the positional calls of Flask's {fs}"
            ]
        return []
    problems: list[str] = []
    fparams = list(fs.parameters.values())
    rparams = list(rs.parameters.values())
    fpos = [p for p in fparams if p.kind in POSITIONAL]
    rpos = [p for p in rparams if p.kind in POSITIONAL]
    matched: set[str] = set()
    for index, fp in enumerate(fpos):
        if index >= len(rpos):
            problems.append(f"positional {fp.name!r} (number {index + 1}) missing")
            continue
        rp = rpos[index]
        matched.add(rp.name)
        if fp.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD and (
            rp.name != fp.name or rp.kind is not fp.kind
        ):
            problems.append(f"positional {index + 1} is {rp}, Flask's is {fp}")
            continue
        problem = default_problem(fp.name, fp, rp)
        if problem:
            problems.append(problem)
    by_name = {p.name: p for p in rparams if p.kind in BY_KEYWORD}
    for fp in fparams:
        if fp.kind is not inspect.Parameter.KEYWORD_ONLY:
            continue
        rp = by_name.get(fp.name)
        if rp is None:
            problems.append(f"keyword {fp.name!r} missing")
            continue
        matched.add(rp.name)
        problem = default_problem(fp.name, fp, rp)
        if problem:
            problems.append(problem)
    for variadic, label in (
        (inspect.Parameter.VAR_POSITIONAL, "*args"),
        (inspect.Parameter.VAR_KEYWORD, "**kwargs"),
    ):
        if any(p.kind is variadic for p in fparams) and not any(
            p.kind is variadic for p in rparams
        ):
            problems.append(f"no {label}")
    for rp in rparams:
        if (
            rp.kind
            not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
            and rp.name not in matched
            and rp.default is inspect.Parameter.empty
        ):
            problems.append(f"extra required parameter {rp.name!r}")
    if problems:
        return [f"signature {rs} vs Flask's {fs}: " + "; ".join(problems)]
    return []


def lookup(obj: object, qualname: str) -> object:
    for part in qualname.split("."):
        obj = getattr(obj, part, None)
    return obj


def home_object(
    package: dict[str, types.ModuleType], module: str, qualname: str
) -> object:
    home = package.get(module)
    return None if home is None else lookup(home, qualname)


class Surface:
    """The differences between Flask's surface and flaskrs's, as
    ``location: problem`` lines."""

    def __init__(self) -> None:
        self.flask = imported("flask")
        self.ours = imported("flaskrs")
        self.problems: dict[str, str] = {}
        # flask classes to check member by member, by home location
        self.classes: dict[tuple[str, str], tuple[type, object]] = {}

    def report(self, location: str, problem: str) -> None:
        self.problems.setdefault(location, problem)

    def run(self) -> dict[str, str]:
        self.check_modules_exist()
        for name, module in self.flask.items():
            self.check_module(name, module)
        self.check_identities()
        for (home, qualname), (flask_cls, ours) in sorted(self.classes.items()):
            self.check_class(f"{home}:{qualname}", flask_cls, ours)
        return self.problems

    def check_modules_exist(self) -> None:
        for name in FLASK_MODULES:
            if importlib.util.find_spec(flaskrs_name(name)) is None:
                self.report(name, "module missing")

    def check_module(self, name: str, module: types.ModuleType) -> None:
        ours_module = self.ours[name]
        for attr, value in sorted(vars(module).items()):
            if attr in MODULE_IMPLICIT:
                continue
            location = f"{name}:{attr}"
            if attr not in vars(ours_module):
                # A module __getattr__ answering is not enough: ``from m
                # import *``, ``vars`` and ``dir`` would not see the name.
                self.report(location, "missing")
                continue
            self.check_value(location, value, vars(ours_module)[attr])

    def check_value(self, location: str, value: object, ours: object) -> None:
        flask_kind, our_kind = module_kind(value), module_kind(ours)
        if flask_kind != our_kind:
            self.report(location, f"is {our_kind}, Flask's is {flask_kind}")
            return
        if flask_kind == "data":
            self.check_data(location, value, ours)
            return
        if isinstance(value, types.ModuleType):
            if is_flask_object(value):
                expected = flaskrs_name(value.__name__)
                if t.cast(types.ModuleType, ours).__name__ != expected:
                    self.report(location, f"is not the module {expected}")
            elif ours is not value:
                self.report(location, f"is not Flask's {value.__name__}")
            return
        if not is_flask_object(value):
            self.check_foreign(location, value, ours)
            return
        if isinstance(value, type):
            self.note_class(value, ours)
        if callable(value) and flask_kind in ("class", "function"):
            for problem in signature_problems(value, ours, location.rpartition(":")[2]):
                self.report(location, problem)

    def check_data(self, location: str, value: object, ours: object) -> None:
        kind = type(value)
        expected = (
            home_object(self.ours, kind.__module__, kind.__qualname__)
            if is_flask_object(kind)
            else kind
        )
        if not (isinstance(expected, type) and issubclass(type(ours), expected)):
            self.report(
                location,
                f"is a {type(ours).__qualname__}, Flask's a {kind.__qualname__}",
            )
        elif is_plain(value) and ours != value:
            self.report(location, f"is {ours!r}, Flask's is {value!r}")

    def check_foreign(self, location: str, value: object, ours: object) -> None:
        if not isinstance(value, (type, types.FunctionType, types.BuiltinFunctionType)):
            return
        home = sys.modules.get(getattr(value, "__module__", None) or "")
        if lookup(home, value.__qualname__) is not value:
            # Made in Flask by another library's factory: Flask's own object.
            return
        if ours is value:
            return
        if (
            isinstance(value, type)
            and isinstance(ours, type)
            and issubclass(ours, value)
        ):
            return
        self.report(location, f"is not {value.__module__}.{value.__qualname__} itself")

    def note_class(self, cls: type, ours: object) -> None:
        key = (cls.__module__, cls.__qualname__)
        if key not in self.classes and "<" not in cls.__qualname__:
            self.classes[key] = (cls, ours)

    def check_identities(self) -> None:
        locations: dict[int, list[tuple[str, str]]] = {}
        for name, module in self.flask.items():
            for attr, value in vars(module).items():
                if attr in MODULE_IMPLICIT or is_plain(value):
                    continue
                locations.setdefault(id(value), []).append((name, attr))
        for places in locations.values():
            if len(places) < 2:
                continue
            values = [vars(self.ours[m]).get(a, None) for m, a in places]
            if any(v is None for v in values):
                continue  # reported as missing
            # The object most places hold is taken as the one meant.
            ids = [id(v) for v in values]
            meant = max(set(ids), key=ids.count)
            shown = ", ".join(f"{m}:{a}" for m, a in places)
            for (module, attr), value_id in zip(places, ids):
                if value_id != meant:
                    self.report(
                        f"{module}:{attr}",
                        f"is not the one object that {shown} share in Flask",
                    )

    def check_class(self, location: str, cls: type, ours: object) -> None:
        if not isinstance(ours, type):
            return  # reported as a kind difference
        for base in cls.__mro__[1:]:
            if base is object:
                continue
            if is_flask_object(base):
                counterpart = home_object(self.ours, base.__module__, base.__qualname__)
                if not (
                    isinstance(counterpart, type) and issubclass(ours, counterpart)
                ):
                    self.report(
                        location, f"is not a subclass of flaskrs's {base.__qualname__}"
                    )
            elif not issubclass(ours, base):
                self.report(
                    location,
                    f"is not a subclass of {base.__module__}.{base.__qualname__}",
                )
        for name in sorted(dir(cls)):
            if name in CLASS_IMPLICIT:
                continue
            found = raw_member(cls, name)
            if found is None or not is_flask_object(found[0]):
                continue
            self.check_member(f"{location}.{name}", found[1], ours, name)

    def check_member(self, location: str, raw: object, ours: type, name: str) -> None:
        if raw_member(ours, name) is None:
            self.report(location, "missing")
            return
        # Reading it lets an attribute that replaces itself on first read do so.
        getattr(ours, name, None)
        found = raw_member(ours, name)
        assert found is not None
        our_raw = found[1]
        flask_kind, our_kind = member_kind(raw), member_kind(our_raw)
        if not kind_matches(flask_kind, our_kind):
            self.report(location, f"is {our_kind}, Flask's is {flask_kind}")
            return
        if flask_kind.startswith("function"):
            for problem in signature_problems(
                callable_for_signature(raw), callable_for_signature(our_raw), name
            ):
                self.report(location, problem)
        elif name == "__slots__":
            missing = slot_names(raw) - slot_names(our_raw)
            if missing:
                self.report(location, f"lacks the slots {sorted(missing)}")
        elif flask_kind == "data":
            self.check_data(location, raw, our_raw)
        elif flask_kind == "class":
            cls = t.cast(type, raw)
            if is_flask_object(cls):
                expected = home_object(self.ours, cls.__module__, cls.__qualname__)
                if our_raw is not expected:
                    self.report(location, f"is not flaskrs's {cls.__qualname__}")
                self.note_class(cls, expected)
            elif not (isinstance(our_raw, type) and issubclass(our_raw, cls)):
                self.report(location, f"is not {cls.__module__}.{cls.__qualname__}")


def read_exceptions() -> dict[str, str]:
    entries: dict[str, str] = {}
    for line in EXCEPTIONS_FILE.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        location, _, reason = line.partition(" ")
        entries[location] = reason.strip()
    return entries


@functools.cache
def surface_problems() -> dict[str, str]:
    return Surface().run()


def test_surface_matches_flask() -> None:
    exceptions = read_exceptions()
    unexpected = {
        location: problem
        for location, problem in surface_problems().items()
        if location not in exceptions
    }
    assert unexpected == {}


def test_exceptions_are_few_explained_and_needed() -> None:
    exceptions = read_exceptions()
    assert len(exceptions) <= MAX_EXCEPTIONS
    assert all(reason for reason in exceptions.values()), exceptions
    problems = surface_problems()
    assert sorted(set(exceptions) - set(problems)) == []


# The rule itself, on small examples: each could pass a wrong flaskrs.


def _flask_f(a, b=1, *, c=None):
    pass


@pytest.mark.parametrize(
    ("ours", "compatible"),
    [
        (lambda a, b=1, *, c=None: None, True),
        (lambda a, b=1, d=2, *, c=None, e=3: None, True),  # more, with defaults
        (lambda a, b=1, c=None: None, True),  # the keyword taken by position too
        (lambda a, b=None, *, c=None: None, False),  # another default value
        (lambda a, b, *, c=None: None, False),  # the default is gone
        (lambda b, a=1, *, c=None: None, False),  # positions swapped
        (lambda a, *, b=1, c=None: None, False),  # b no longer positional
        (lambda a, b=1, *, c=None, d: None, False),  # a new required keyword
        (lambda a, b=1, **kw: None, False),  # c only through **kwargs
        (lambda *args, **kwargs: None, False),  # accepts all, names none
    ],
)
def test_signature_rule(ours: t.Callable[..., t.Any], compatible: bool) -> None:
    assert (signature_problems(_flask_f, ours) == []) is compatible


def test_signature_rule_for_variadics_and_protocol_methods() -> None:
    def takes_rest(a, *args, **kwargs):
        pass

    assert signature_problems(takes_rest, lambda a, *args: None) != []
    assert signature_problems(takes_rest, lambda a, **kwargs: None) != []
    assert signature_problems(takes_rest, lambda a, *rest, **more: None) == []

    def exit_(self, exc_type, exc_value, tb):
        pass

    # Called positionally by the interpreter: only the counts matter.
    assert signature_problems(exit_, lambda self, *exc_info: None, "__exit__") == []
    assert signature_problems(exit_, lambda self, a, b: None, "__exit__") != []
    # __init__ is called with keywords: names matter.
    assert signature_problems(exit_, lambda self, *exc_info: None, "__init__") != []


# ``import flask`` as Flask leaves it, compared in fresh interpreters: this
# process has imported the real Flask, after which the alias refuses to start.

_SUBMODULES_SCRIPT = """
import json
import sys
import types
{setup}
import flask

def reachable(module):
    found = []
    for name, value in vars(module).items():
        if isinstance(value, types.ModuleType) and (
            value.__name__ == module.__name__ + "." + name
        ):
            found.append(name)
            found.extend(name + "." + inner for inner in reachable(value))
    return found

prefix = flask.__name__ + "."
loaded = [name[len(prefix):] for name in sys.modules if name.startswith(prefix)]
print(json.dumps({{"attributes": sorted(reachable(flask)), "loaded": sorted(loaded)}}))
"""


def run_python(code: str) -> t.Any:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


def test_import_flask_leaves_the_same_submodules_as_flask() -> None:
    theirs = run_python(_SUBMODULES_SCRIPT.format(setup=""))
    ours = run_python(_SUBMODULES_SCRIPT.format(setup="import flaskrs.alias"))
    flask_names = {name[len("flask.") :] for name in FLASK_MODULES}
    # The real Flask's own answer must be about Flask's modules, and name
    # those an extension reaches after a plain import (flask-smorest).
    assert {"cli", "logging", "sessions", "templating", "blueprints"} <= set(
        theirs["attributes"]
    )
    for key in ("attributes", "loaded"):
        assert set(theirs[key]) <= flask_names
        # flaskrs's own modules (routing, _core...) may come along.
        assert sorted(set(ours[key]) & flask_names) == theirs[key], key


def test_plain_import_reaches_submodules_under_the_alias() -> None:
    # What flask-smorest does: ``import flask`` and then ``flask.cli.AppGroup``.
    found = run_python(
        """
import json
import sys
import flaskrs.alias
import flask

class Group(flask.cli.AppGroup):
    pass

reached = {
    "cli": flask.cli.AppGroup,
    "logging": flask.logging.create_logger,
    "sessions": flask.sessions.SecureCookieSessionInterface,
    "templating": flask.templating.render_template,
    "blueprints": flask.blueprints.Blueprint,
    "json.provider": flask.json.provider.DefaultJSONProvider,
    "json.tag": flask.json.tag.TaggedJSONSerializer,
    "sansio.scaffold": flask.sansio.scaffold.Scaffold,
    "signals": flask.signals.Namespace,
}
print(json.dumps({
    "homes": {name: value.__module__ for name, value in reached.items()},
    "group_base": Group.__mro__[1].__module__,
    "real_flask_loaded": any(
        not module.__name__.startswith("flaskrs")
        for name, module in sys.modules.items()
        if name == "flask" or name.startswith("flask.")
    ),
}))
"""
    )
    homes = found["homes"]
    assert homes["signals"] == "blinker.base"  # Flask re-exports blinker's
    del homes["signals"]
    assert homes == {name: f"flaskrs.{name}" for name in homes}
    assert found["group_base"] == "flaskrs.cli"
    assert found["real_flask_loaded"] is False


# FlaskClient's private request building, which Flask-SocketIO's test client
# calls directly: the same request as Flask's, and overridable as in Flask.

_BUILDER_KWARGS = {
    "method": "POST",
    "json": {"a": [1, 2]},
    "headers": {"X-Token": "t"},
    "query_string": {"q": "1"},
    "environ_base": {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_EXTRA": "e"},
}


def _request_summary(request: t.Any) -> dict[str, t.Any]:
    environ = request.environ
    return {
        "class": f"{type(request).__module__}.{type(request).__qualname__}",
        "method": request.method,
        "url": request.url,
        "headers": sorted(request.headers.items()),
        "body": request.get_data(),
        "environ": {
            key: value
            for key, value in environ.items()
            if isinstance(value, (str, bytes, int, bool, tuple))
        },
        "environ_keys": sorted(environ),
    }


def _builder_request(fw: types.ModuleType, keep_contexts: bool) -> dict[str, t.Any]:
    app = fw.Flask("surface_app")
    app.config["SERVER_NAME"] = "example.test"
    client = app.test_client()
    client.environ_base["HTTP_X_BASE"] = "b"
    kwargs = dict(_BUILDER_KWARGS)
    if keep_contexts:
        client.__enter__()
    request = client._request_from_builder_args(("/path/x",), kwargs)
    summary = _request_summary(request)
    hook = request.environ.get("werkzeug.debug.preserve_context")
    summary["hook"] = None if hook is None else hook == client._new_contexts.append
    summary["environ_base_after"] = {
        key: value
        for key, value in kwargs["environ_base"].items()
        if key != "werkzeug.debug.preserve_context"
    }
    summary["caller_dict_untouched"] = _BUILDER_KWARGS["environ_base"] == {
        "REMOTE_ADDR": "10.0.0.1",
        "HTTP_X_EXTRA": "e",
    }
    if keep_contexts:
        client.__exit__(None, None, None)
    return summary


@pytest.mark.parametrize("keep_contexts", [False, True])
def test_request_from_builder_args_as_flask(keep_contexts: bool) -> None:
    ours = _builder_request(importlib.import_module("flaskrs"), keep_contexts)
    theirs = _builder_request(importlib.import_module("flask"), keep_contexts)
    assert ours == theirs
    assert ours["hook"] is (True if keep_contexts else None)
    assert ("X-Token", "t") in ours["headers"]


def _overridden_client_calls(fw: types.ModuleType) -> list[t.Any]:
    testing = importlib.import_module(f"{fw.__name__}.testing")
    calls: list[t.Any] = []

    class Recording(testing.FlaskClient):  # type: ignore[name-defined,misc]
        def _copy_environ(self, other: dict[str, t.Any]) -> dict[str, t.Any]:
            calls.append(("copy", sorted(other)))
            merged = super()._copy_environ(other)
            merged["HTTP_X_COPIED"] = "yes"
            return merged

        def _request_from_builder_args(
            self, args: tuple[t.Any, ...], kwargs: dict[str, t.Any]
        ) -> t.Any:
            calls.append(("build", args, sorted(kwargs)))
            return super()._request_from_builder_args(args, kwargs)

    app = fw.Flask("surface_app")
    app.test_client_class = Recording

    @app.route("/echo")
    def echo() -> str:
        return fw.request.headers.get("X-Copied", "no")

    client = app.test_client()
    calls.append(client.get("/echo", headers={"A": "1"}).get_data())
    environ = werkzeug.test.EnvironBuilder(path="/echo").get_environ()
    calls.append(client.get(environ).get_data())
    return calls


def test_client_requests_go_through_the_private_hooks_as_in_flask() -> None:
    ours = _overridden_client_calls(importlib.import_module("flaskrs"))
    theirs = _overridden_client_calls(importlib.import_module("flask"))
    assert ours == theirs
    assert b"yes" in ours


# Instances: what Flask sets on its main objects, flaskrs's answer for
# (flaskrs makes some of it on first read, so hasattr rather than vars).


def _instances(fw: types.ModuleType) -> dict[str, object]:
    cli = importlib.import_module(f"{fw.__name__}.cli")
    testing = importlib.import_module(f"{fw.__name__}.testing")
    sansio_blueprints = importlib.import_module(f"{fw.__name__}.sansio.blueprints")
    sessions = importlib.import_module(f"{fw.__name__}.sessions")
    app = fw.Flask("surface_app")
    app.config["SECRET_KEY"] = "k"
    blueprint = fw.Blueprint("bp", "surface_app")
    req_ctx = app.test_request_context("/?a=1")
    with app.app_context():
        g = fw.g._get_current_object()
    return {
        "app": app,
        "blueprint": blueprint,
        "app_context": app.app_context(),
        "request_context": req_ctx,
        "request": req_ctx.request,
        "response": app.response_class("x"),
        "client": app.test_client(),
        "cli_runner": app.test_cli_runner(),
        "config": app.config,
        "g": g,
        "jinja_env": app.jinja_env,
        "jinja_loader": app.jinja_env.loader,
        "json": app.json,
        "script_info": cli.ScriptInfo(),
        "flask_group": cli.FlaskGroup(),
        "environ_builder": testing.EnvironBuilder(app, "/"),
        "setup_state": sansio_blueprints.BlueprintSetupState(blueprint, app, {}, True),
        "session": sessions.SecureCookieSession({"a": 1}),
    }


def test_instances_have_flasks_attributes() -> None:
    ours = _instances(importlib.import_module("flaskrs"))
    theirs = _instances(importlib.import_module("flask"))
    missing = {
        label: sorted(name for name in vars(obj) if not hasattr(ours[label], name))
        for label, obj in theirs.items()
    }
    assert {label: names for label, names in missing.items() if names} == {}


# Private helpers that extensions call, run on both frameworks: the same
# answers, and (where Flask routes through them) overriding them works.


def both(run: t.Callable[[types.ModuleType], t.Any]) -> tuple[t.Any, t.Any]:
    return run(importlib.import_module("flaskrs")), run(
        importlib.import_module("flask")
    )


def module_of(fw: types.ModuleType, name: str) -> types.ModuleType:
    return importlib.import_module(f"{fw.__name__}.{name}")


def _send_file_kwargs(fw: types.ModuleType) -> dict[str, t.Any]:
    helpers = module_of(fw, "helpers")
    app = fw.Flask("surface_app")
    app.config["USE_X_SENDFILE"] = True
    with app.test_request_context("/file"):
        given = {"path_or_file": "a.txt", "max_age": None, "etag": False}
        got = helpers._prepare_send_file_kwargs(**given)
        kept = helpers._prepare_send_file_kwargs(max_age=7)
        return {
            "keys": sorted(got),
            "max_age": (
                got["max_age"].__func__.__name__,
                got["max_age"].__self__ is app,
            ),
            "environ": got["environ"] is fw.request.environ,
            "use_x_sendfile": got["use_x_sendfile"],
            "response_class": got["response_class"] is app.response_class,
            "root": got["_root_path"] == app.root_path,
            "etag": got["etag"],
            "given_max_age": kept["max_age"],
        }


def test_prepare_send_file_kwargs() -> None:
    ours, theirs = both(_send_file_kwargs)
    assert ours == theirs
    assert ours["use_x_sendfile"] is True and ours["given_max_age"] == 7


def _merged_registries(fw: types.ModuleType) -> dict[str, t.Any]:
    app = fw.Flask("surface_app")
    bp = fw.Blueprint("bp", "surface_app")
    child_key = "inner"

    def before() -> None: ...
    def after(response: t.Any) -> t.Any: ...
    def teardown(error: t.Any) -> None: ...
    def processor() -> dict[str, t.Any]: ...
    def handler(error: t.Any) -> str: ...
    def view() -> str: ...

    bp.before_request(before)
    bp.after_request(after)
    bp.teardown_request(teardown)
    bp.context_processor(processor)
    bp.url_defaults(lambda endpoint, values: None)
    bp.url_value_preprocessor(lambda endpoint, values: None)
    bp.register_error_handler(404, handler)
    bp.register_error_handler(KeyError, handler)
    bp.before_request_funcs[child_key].append(before)
    bp.view_functions["bp.view"] = view
    bp._merge_blueprint_funcs(app, "renamed")

    def names(registry: dict[t.Any, list[t.Any]]) -> dict[t.Any, list[str]]:
        return {key: [f.__name__ for f in funcs] for key, funcs in registry.items()}

    handlers = {
        key: {code: sorted(c.__name__ for c in table) for code, table in spec.items()}
        for key, spec in app.error_handler_spec.items()
    }
    # Copies: a change on the app's side leaves the blueprint's alone.
    app.error_handler_spec["renamed"][None].clear()
    return {
        "before": names(app.before_request_funcs),
        "after": names(app.after_request_funcs),
        "teardown": names(app.teardown_request_funcs),
        "processors": names(app.template_context_processors),
        "defaults": names(app.url_default_functions),
        "preprocessors": names(app.url_value_preprocessors),
        "handlers": handlers,
        "blueprint_handlers_kept": bool(bp.error_handler_spec[None][None]),
        "views": sorted(app.view_functions),
    }


def test_merge_blueprint_funcs() -> None:
    ours, theirs = both(_merged_registries)
    assert ours == theirs
    assert ours["before"]["renamed.inner"] == ["before"]


def _plugin_commands(fw: types.ModuleType) -> dict[str, t.Any]:
    cli = module_of(fw, "cli")
    group = cli.FlaskGroup()
    before = (group._loaded_plugin_commands, sorted(group.commands))
    group._load_plugin_commands()
    loaded = sorted(group.commands)
    group.commands.pop("surface-hello")
    group._load_plugin_commands()  # once only
    return {"before": before, "loaded": loaded, "again": sorted(group.commands)}


def test_load_plugin_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # An installed distribution with a flask.commands entry point.
    (tmp_path / "surface_plugin.py").write_text(
        "import click\n@click.command()\ndef hello():\n    pass\n"
    )
    info = tmp_path / "surface_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Name: surface-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[flask.commands]\nsurface-hello = surface_plugin:hello\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    ours, theirs = both(_plugin_commands)
    assert ours == theirs
    assert "surface-hello" in ours["loaded"] and "surface-hello" not in ours["again"]


def _template_loading(fw: types.ModuleType, tmp_path: Path) -> dict[str, t.Any]:
    for folder, text in (("app_t", "app page"), ("bp_t", "bp page")):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "page.html").write_text(text)
    (tmp_path / "bp_t" / "only_bp.html").write_text("only in bp")
    app = fw.Flask("surface_app", root_path=str(tmp_path), template_folder="app_t")
    bp = fw.Blueprint(
        "bp", "surface_app", root_path=str(tmp_path), template_folder="bp_t"
    )
    app.register_blueprint(bp)
    loader = app.jinja_env.loader
    debughelpers = module_of(fw, "debughelpers")
    env = app.jinja_env

    def relative(text: str) -> str:
        return text.replace(str(tmp_path), "<root>")

    with app.app_context():
        return {
            "iter": [
                (type(owner).__name__, [relative(p) for p in found.searchpath])
                for owner, found in loader._iter_loaders("page.html")
            ],
            "fast": loader._get_source_fast(env, "only_bp.html")[0],
            "explained": loader._get_source_explained(env, "page.html")[0],
            "listed": sorted(loader.list_templates()),
            "dump": [
                relative(line)
                for line in debughelpers._dump_loader_info(app.jinja_loader)
            ],
        }


def test_template_loader_helpers(tmp_path: Path) -> None:
    ours = _template_loading(importlib.import_module("flaskrs"), tmp_path / "rs")
    theirs = _template_loading(importlib.import_module("flask"), tmp_path / "fl")
    assert ours == theirs
    assert [kind for kind, _ in ours["iter"]] == ["Flask", "Blueprint"]
    assert (ours["fast"], ours["explained"]) == ("only in bp", "app page")


def _overridden_loader(fw: types.ModuleType, tmp_path: Path) -> str:
    templating = module_of(fw, "templating")
    (tmp_path / "extra").mkdir(parents=True)
    (tmp_path / "extra" / "x.html").write_text("from the extra loader")
    jinja_loader = importlib.import_module("jinja2").FileSystemLoader(
        str(tmp_path / "extra")
    )

    class Themed(templating.DispatchingJinjaLoader):  # type: ignore[name-defined,misc]
        def _iter_loaders(self, template: str) -> t.Iterator[t.Any]:
            yield self.app, jinja_loader
            yield from super()._iter_loaders(template)

    class App(fw.Flask):  # type: ignore[name-defined,misc]
        def create_global_jinja_loader(self) -> t.Any:
            return Themed(self)

    app = App("surface_app", root_path=str(tmp_path))
    with app.test_request_context():
        return fw.render_template("x.html")  # type: ignore[no-any-return]


def test_iter_loaders_override_is_used(tmp_path: Path) -> None:
    ours = _overridden_loader(importlib.import_module("flaskrs"), tmp_path / "rs")
    theirs = _overridden_loader(importlib.import_module("flask"), tmp_path / "fl")
    assert ours == theirs == "from the extra loader"


def _method_route(fw: types.ModuleType) -> dict[str, t.Any]:
    app = fw.Flask("surface_app")
    app._method_route("PUT", "/thing", {"endpoint": "thing"})(lambda: "put")
    try:
        app._method_route("GET", "/x", {"methods": ["POST"]})
        error = None
    except TypeError as e:
        error = str(e)
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == "thing")
    return {"methods": sorted(rule.methods or ()), "error": error}


def test_method_route() -> None:
    ours, theirs = both(_method_route)
    assert ours == theirs
    assert ours["error"] is not None and "PUT" in ours["methods"]


def _small_helpers(fw: types.ModuleType) -> dict[str, t.Any]:
    cli = module_of(fw, "cli")
    sessions = module_of(fw, "sessions")
    scaffold = module_of(fw, "sansio.scaffold")
    testing = module_of(fw, "testing")

    def factory(a: int) -> None:
        raise TypeError("inside")

    outcomes = []
    for args in ((), (1,)):
        try:
            factory(*args)
        except TypeError:
            outcomes.append(cli._called_with_wrong_args(factory))
    paths = [
        ("/a", "/a/b"),
        ("/a", "/ab"),
        ("/a/", "/a/b"),
        ("/a", "/a"),
        ("/a/b", "/a"),
    ]
    return {
        "wrong_args": outcomes,
        "ancestor": [cli._path_is_ancestor(a, b) for a, b in paths],
        "sha1": sessions._lazy_sha1(b"x").hexdigest(),
        "sha1_empty": sessions._lazy_sha1().hexdigest(),
        "package_path": [
            scaffold._find_package_path(name) == want
            for name, want in (
                ("json", os.path.dirname(os.path.dirname(json.__file__))),
                ("no_such_module_zz", os.getcwd()),
            )
        ],
        "werkzeug_version": testing._get_werkzeug_version(),
    }


def test_small_private_helpers() -> None:
    ours, theirs = both(_small_helpers)
    assert ours == theirs
    assert ours["wrong_args"] == [True, False]
    assert all(ours["package_path"])


def _subclass_limits(fw: types.ModuleType) -> list[t.Any]:
    class Limited(fw.Request):  # type: ignore[name-defined,misc]
        _max_content_length = 10
        _max_form_parts = 3

    app = fw.Flask("surface_app")
    app.request_class = Limited
    app.config["MAX_FORM_MEMORY_SIZE"] = 99
    with app.test_request_context(method="POST", data=b"x" * 20):
        request = fw.request
        seen = [request.max_content_length, request.max_form_parts]
        seen.append(request.max_form_memory_size)
        request.max_content_length = 50
        seen.append((request.max_content_length, request._max_content_length))
    return seen


def test_request_limit_defaults_on_the_class() -> None:
    ours, theirs = both(_subclass_limits)
    assert ours == theirs == [10, 3, 99, (50, 50)]


if __name__ == "__main__":
    for where, what in sorted(surface_problems().items()):
        print(where, "--", what)
    sys.exit(0)
