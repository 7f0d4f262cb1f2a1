"""Every place flaskrs relies on how Werkzeug (or CPython) is built inside.

flaskrs keeps Werkzeug's ``Request``, ``Response`` and HTTP exceptions, and
takes shorter paths than Werkzeug's own methods where most requests go.
Each shorter path sits here, next to the check that allows it: the check
reads the Werkzeug method it reproduces (the names its code uses, its
parameters) and turns the shorter path off, so that Werkzeug's own method
answers, when Werkzeug is not the one the path was written for.

Tested on Werkzeug >= 3.1.0, < 3.2 (the range ``pyproject.toml`` pins);
``tests/test_werkzeug_compat.py`` checks each path against the method it
reproduces, and that each check holds on the installed Werkzeug.

- ``request``: the request constructor, body, JSON and cookies.
- ``response``: the response constructor and its WSGI call.
- ``errors``: HTTP exceptions and redirects as responses.
- ``routing``: the arguments of the URL builder Werkzeug compiles per rule.
- ``code``: what a function's code object says (async or not, and whether
  a traceback ran it), read faster than ``inspect`` does.
"""

from __future__ import annotations

import typing as t


def names_used(func: t.Any) -> frozenset[str]:
    """The global and attribute names ``func``'s code refers to: a change to
    a reproduced Werkzeug method almost always changes them. Empty for
    anything that is not a plain function."""
    code = getattr(func, "__code__", None)
    return frozenset(code.co_names) if code is not None else frozenset()


def parameters(func: t.Any) -> tuple[str, ...]:
    """The names of ``func``'s positional parameters, in order."""
    code = getattr(func, "__code__", None)
    if code is None:
        return ()
    return tuple(code.co_varnames[: code.co_argcount])
