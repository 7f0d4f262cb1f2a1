"""Shortcuts in the runtime of templates compiled by the app's Jinja
environment. Each gives the result Jinja's own code gives, and hands
anything unusual back to Jinja."""

from __future__ import annotations

import typing as t
from collections import ChainMap
from types import BuiltinFunctionType
from types import FunctionType
from types import MethodType

import markupsafe
from jinja2 import Template
from jinja2.runtime import Context
from jinja2.utils import internalcode

if t.TYPE_CHECKING:  # pragma: no cover
    from jinja2 import Environment

# markupsafe's C escaping of text: what its escape() ends in, after checks
# that a str, int or float does not need. None if markupsafe lacks it.
_escape_text: t.Callable[[str], str] | None = getattr(markupsafe, "_escape_inner", None)
_new_str = str.__new__


def _escape(value: t.Any) -> markupsafe.Markup:
    """``markupsafe.escape(value)``: the same Markup, made without its
    Python-level checks and Markup's constructor for the values templates
    print most."""
    kind = type(value)
    if kind is str and _escape_text is not None:
        return _new_str(markupsafe.Markup, _escape_text(value))
    if kind is int or kind is float:
        # Their text has nothing to escape.
        return _new_str(markupsafe.Markup, str(value))
    return markupsafe.escape(value)


class AppTemplate(Template):
    """Jinja's Template, whose compiled code finds :func:`_escape` (the same
    results as ``markupsafe.escape``) under the name ``escape``: the code
    the app's generator writes prints through the native core, and this
    serves what it leaves to Jinja (output whose autoescaping is only
    known at run time), and code made by another generator."""

    @classmethod
    def _from_namespace(
        cls,
        environment: Environment,
        namespace: t.MutableMapping[str, t.Any],
        globals: t.MutableMapping[str, t.Any],
    ) -> Template:
        # The template module's functions read `escape` from this namespace.
        if namespace.get("escape") is markupsafe.escape:
            namespace["escape"] = _escape
        return super()._from_namespace(environment, namespace, globals)

    def new_context(
        self,
        vars: dict[str, t.Any] | None = None,
        shared: bool = False,
        locals: t.Mapping[str, t.Any] | None = None,
    ) -> Context:
        """Jinja's context for a render, with the template's globals read
        once as a dict: Jinja reads the ChainMap twice (for the values and
        for the names), and each ChainMap read is a Python-level loop."""
        environment = self.environment
        flat = None
        if not shared and not locals and environment.context_class is AppContext:
            flat = _flat_globals(self.globals)
        if flat is None:
            return super().new_context(vars, shared, locals)
        parent = dict(flat, **vars) if vars else dict(flat)
        return AppContext(environment, parent, self.name, self.blocks, globals=flat)


def _flat_globals(chain: t.Any) -> dict[str, t.Any] | None:
    """``dict(chain)`` for a ChainMap of plain dicts (what Jinja gives every
    template), the same keys in the same order; None for anything else."""
    if type(chain) is not ChainMap:
        return None
    flat: dict[str, t.Any] = {}
    for layer in reversed(chain.maps):
        if type(layer) is not dict:
            return None
        # Updating from the last layer to the first leaves each name with
        # the value of its first layer, in the order ChainMap iterates.
        flat.update(layer)
    return flat


_UNDEFINED_BY_STOP = (
    "value was undefined because a callable raised a StopIteration exception"
)


class AppContext(Context):
    """Jinja's template Context with a shorter :meth:`call` for what
    templates call most: functions and bound methods (``loop.cycle``,
    ``url_for`` and other plain helpers) that take no context.

    Jinja's own method looks for a ``jinja_pass_arg`` marker on the callable
    and on its ``__call__``; on a bound method each look raises and catches
    an AttributeError, which costs more than the call. (The native
    template_call does the same for compiled templates; this one hands the
    rest to the next class's ``call``, as a subclass mixing in another
    context expects.)
    """

    @internalcode
    def call(
        __self,  # noqa: N805 - positional-only by name, as in Jinja
        __obj: t.Any,  # Jinja's says a callable; the code below checks the kind
        *args: t.Any,
        **kwargs: t.Any,
    ) -> t.Any:
        kind = type(__obj)
        if kind is MethodType:
            # A bound method's __call__ is a method-wrapper, which never
            # carries a marker; attribute reads on it go to its function.
            marker = getattr(__obj.__func__, "jinja_pass_arg", None)
        elif kind is FunctionType:
            attributes = __obj.__dict__
            # A function given its own __call__ is left to Jinja.
            marker = attributes and (
                attributes.get("jinja_pass_arg") or "__call__" in attributes
            )
        elif kind is BuiltinFunctionType:
            marker = None
        else:
            marker = True
        if marker:
            return super().call(__obj, *args, **kwargs)

        if kwargs:
            kwargs.pop("_loop_vars", None)
            kwargs.pop("_block_vars", None)

        try:
            return __obj(*args, **kwargs)
        except StopIteration:
            return __self.environment.undefined(_UNDEFINED_BY_STOP)
