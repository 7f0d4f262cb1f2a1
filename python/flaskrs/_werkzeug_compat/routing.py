"""The URL builder Werkzeug compiles for each rule."""

from __future__ import annotations

import typing as t

if t.TYPE_CHECKING:  # pragma: no cover
    from werkzeug.routing import Rule


def builder_arguments(rule: Rule) -> tuple[list[str], list[str]] | None:
    """The arguments of the builder Werkzeug compiled for ``rule``: the
    variables it needs, and the names it takes but has defaults for (the
    rule's defaults when it was bound). Read from the function itself, whose
    first argument, named ``.self``, ``inspect.signature`` refuses. ``None``
    when the rule has no such builder (not a Werkzeug 3.1 rule) or it takes
    keyword-only arguments."""
    func = getattr(getattr(rule, "_build_unknown", None), "__func__", None)
    code = getattr(func, "__code__", None)
    if func is None or code is None:
        return None
    names = list(code.co_varnames[1 : code.co_argcount])
    optional = len(func.__defaults__ or ())
    split = len(names) - optional
    if split < 0 or code.co_kwonlyargcount:
        return None
    return names[:split], names[split:]
