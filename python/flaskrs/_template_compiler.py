"""The code generator of the app's Jinja environment: Jinja's own, with
three of its runtime calls made through the native core.

Jinja writes each of these in exactly one place, as a fixed piece of code,
and that is what is swapped:

- ``escape(`` around a value printed with autoescaping on:
  ``template_output``, which gives the same text (a plain str when the value
  is a str, int or float, which joins into the page the same way);
- ``environment.getattr(`` for ``obj.attr``: ``template_getattr``, the
  environment's :meth:`~flaskrs.templating.Environment.getattr`, when that is
  the method in use;
- ``context.call(`` for a call: ``template_call``, which calls plain
  functions and methods directly and hands the rest to
  ``context.call``, when the context class's ``call`` is
  :class:`~flaskrs._template_runtime.AppContext`'s.

Sandboxed and async environments keep Jinja's code for the last two.
"""

from __future__ import annotations

import typing as t

from jinja2 import nodes
from jinja2.compiler import CodeGenerator
from jinja2.compiler import Frame

from ._template_runtime import AppContext

if t.TYPE_CHECKING:  # pragma: no cover
    from jinja2 import Environment

# The names the generated module gives the native functions.
_IMPORT = (
    "from flaskrs._core import template_output as _flaskrs_output,"
    " template_getattr as _flaskrs_getattr, template_call as _flaskrs_call"
)


def _rewrites(environment: Environment) -> dict[str, str]:
    from .templating import Environment as AppEnvironment

    rewrites = {"escape(": "_flaskrs_output("}
    if environment.sandboxed or environment.is_async:
        return rewrites
    if type(environment).getattr is AppEnvironment.getattr:
        rewrites["environment.getattr("] = "_flaskrs_getattr(environment, "
    if environment.context_class.call is AppContext.call:
        rewrites["context.call("] = "_flaskrs_call(context, "
    return rewrites


class AppCodeGenerator(CodeGenerator):
    """Jinja's code generator, writing the native calls described above."""

    def __init__(self, environment: Environment, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(environment, *args, **kwargs)
        self._swaps = _rewrites(environment)
        self._swapped = False

    def write(self, x: str) -> None:
        swap = self._swaps.get(x)
        if swap is not None:
            x = swap
            self._swapped = True
        super().write(x)

    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        super().visit_Template(node, frame)
        if self._swapped:
            # Module level, so the functions find the names when they run.
            self.writeline(_IMPORT)
