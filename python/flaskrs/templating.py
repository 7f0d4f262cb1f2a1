"""Jinja integration: the app's template environment and loader, and the
``render_template`` family of functions."""

from __future__ import annotations

import typing as t
from itertools import chain

from jinja2 import BaseLoader
from jinja2 import Environment as BaseEnvironment
from jinja2 import Template
from jinja2 import TemplateNotFound

from ._template_compiler import AppCodeGenerator
from ._template_runtime import AppContext
from ._template_runtime import AppTemplate
from .globals import _cv_app
from .globals import _cv_request
from .globals import _no_app_msg
from .globals import current_app as current_app  # flask.templating.current_app
from .globals import request as request  # flask.templating.request, for callers
from .helpers import stream_with_context
from .signals import before_render_template
from .signals import template_rendered

if t.TYPE_CHECKING:  # pragma: no cover
    from .app import Flask
    from .sansio.app import App
    from .sansio.scaffold import Scaffold

# What a Jinja loader's ``get_source`` returns: source, filename, uptodate.
_Source = tuple[str, t.Optional[str], t.Optional[t.Callable[[], bool]]]
# One loader's answer when loading is explained: loader, owner, result.
_Attempt = tuple[BaseLoader, "Scaffold", t.Optional[_Source]]


def _default_template_ctx_processor() -> dict[str, t.Any]:
    """The context processor every app starts with: it puts ``g`` and, in a
    request, ``request`` into templates as the concrete objects rather than
    proxies, so lookups in templates are cheap.

    ``session`` is left to the environment's globals: reading it here would
    open the session, and mark it accessed, on every render.
    """
    app_ctx = _cv_app.get(None)
    values: dict[str, t.Any] = {} if app_ctx is None else {"g": app_ctx.g}
    request_ctx = _cv_request.get(None)

    if request_ctx is not None:
        values["request"] = request_ctx.request

    return values


class Environment(BaseEnvironment):
    """A Jinja :class:`~jinja2.Environment` that belongs to an app.

    Unless a ``loader`` is given, templates are loaded through the app's
    :meth:`~Flask.create_global_jinja_loader`, which searches the app's
    template folder and then its blueprints'.
    """

    template_class = AppTemplate
    context_class = AppContext
    code_generator_class = AppCodeGenerator

    def __init__(self, app: App, **options: t.Any) -> None:
        self.app = app
        # An explicit loader, even None, is respected.
        loader = (
            options.pop("loader")
            if "loader" in options
            else app.create_global_jinja_loader()
        )
        super().__init__(loader=loader, **options)

    def getattr(self, obj: t.Any, attribute: str) -> t.Any:
        """``obj.attribute`` in a template: the attribute, else the item.

        For a plain dict (what views pass most: ``{{ item.name }}``) with a
        key that is no dict attribute, the item is read directly: Jinja's
        own method first tries the attribute, which raises and catches an
        AttributeError for every such lookup. (The native template_getattr
        does the same for compiled templates; this one defers to the next
        class's getattr otherwise, which a sandboxed subclass relies on.)
        """
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


# Names a dict has as attributes: `{{ d.items }}` is the method, as in Jinja.
_DICT_ATTRIBUTES = frozenset(dir(dict))


class DispatchingJinjaLoader(BaseLoader):
    """Finds a template in the app's template folder first, then in each
    blueprint's, in the order the blueprints were registered; the first one
    that has it wins.

    With ``EXPLAIN_TEMPLATE_LOADING`` on, every loader is asked and the
    attempts are logged through ``app.logger``.
    """

    def __init__(self, app: App) -> None:
        self.app = app

    def get_source(self, environment: BaseEnvironment, template: str) -> _Source:
        if self.app.config["EXPLAIN_TEMPLATE_LOADING"]:
            return self._get_source_explained(environment, template)
        return self._get_source_fast(environment, template)

    def _get_source_fast(self, environment: BaseEnvironment, template: str) -> _Source:
        """The first loader's answer that has the template."""
        for _owner, loader in self._iter_loaders(template):
            try:
                return loader.get_source(environment, template)
            except TemplateNotFound:
                continue
        raise TemplateNotFound(template)

    def _get_source_explained(
        self, environment: BaseEnvironment, template: str
    ) -> _Source:
        """Ask every loader, log the attempts, and answer as the fast path
        would have (the first hit)."""
        attempts: list[_Attempt] = []
        first_hit: _Source | None = None
        for owner, loader in self._iter_loaders(template):
            try:
                hit: _Source | None = loader.get_source(environment, template)
            except TemplateNotFound:
                hit = None
            attempts.append((loader, owner, hit))
            if first_hit is None:
                first_hit = hit

        # Imported here: the debug helpers import the blueprints, which
        # import this module.
        from .debughelpers import explain_template_loading_attempts

        explain_template_loading_attempts(self.app, template, attempts)

        if first_hit is None:
            raise TemplateNotFound(template)
        return first_hit

    def _iter_loaders(self, template: str) -> t.Iterator[tuple[Scaffold, BaseLoader]]:
        """``(owner, loader)`` for the app, then its blueprints in
        registration order; those without a template folder are left out.
        ``template`` is there for subclasses that pick loaders by name."""
        return self._owned_loaders()

    def _owned_loaders(self) -> t.Iterator[tuple[Scaffold, BaseLoader]]:
        app = self.app
        for owner in chain((app,), app.iter_blueprints()):
            loader = owner.jinja_loader
            if loader is not None:
                yield owner, loader

    def list_templates(self) -> list[str]:
        names: set[str] = set()
        # Not through _iter_loaders, which is per template.
        for _owner, loader in self._owned_loaders():
            names.update(loader.list_templates())
        return list(names)


def _send(
    signal: t.Any, app: Flask, template: Template, context: dict[str, t.Any]
) -> None:
    """Send a template signal, skipping the work when nobody listens."""
    if signal.receivers:
        signal.send(
            app, _async_wrapper=app.ensure_sync, template=template, context=context
        )


def _render(app: Flask, template: Template, context: dict[str, t.Any]) -> str:
    app.update_template_context(context)
    _send(before_render_template, app, template, context)
    rv = template.render(context)
    _send(template_rendered, app, template, context)
    return rv


def _stream(
    app: Flask, template: Template, context: dict[str, t.Any]
) -> t.Iterator[str]:
    app.update_template_context(context)
    _send(before_render_template, app, template, context)

    def generate() -> t.Iterator[str]:
        yield from template.generate(context)
        _send(template_rendered, app, template, context)

    stream = generate()

    # Rendering happens while the response is sent, after the view returned;
    # keep the request context alive for templates that use it.
    if _cv_request.get(None) is not None:
        return t.cast("t.Iterator[str]", stream_with_context(stream))

    return stream


def _current_app() -> Flask:
    # What ``current_app._get_current_object()`` does, without the proxy.
    ctx = _cv_app.get(None)
    if ctx is None:
        raise RuntimeError(_no_app_msg)
    return ctx.app


def render_template(
    template_name_or_list: str | Template | list[str | Template],
    **context: t.Any,
) -> str:
    """Render a template found through the current app's Jinja environment.

    :param template_name_or_list: The template's name, a
        :class:`~jinja2.Template`, or a list of these: the first that exists
        is used.
    :param context: Variables for the template, added to those of the app's
        context processors.
    """
    app = _current_app()
    template = app.jinja_env.get_or_select_template(template_name_or_list)
    return _render(app, template, context)


def render_template_string(source: str, **context: t.Any) -> str:
    """Render a template given as source code, with the current app's Jinja
    environment and context processors.

    :param source: The template's source.
    :param context: Variables for the template.
    """
    app = _current_app()
    template = app.jinja_env.from_string(source)
    return _render(app, template, context)


def stream_template(
    template_name_or_list: str | Template | list[str | Template],
    **context: t.Any,
) -> t.Iterator[str]:
    """Like :func:`render_template`, but return an iterator of strings that
    renders the template piece by piece, to be returned from a view as a
    streamed response. In a request, the request context stays available
    while the stream is consumed.
    """
    app = _current_app()
    template = app.jinja_env.get_or_select_template(template_name_or_list)
    return _stream(app, template, context)


def stream_template_string(source: str, **context: t.Any) -> t.Iterator[str]:
    """Like :func:`render_template_string`, but as a stream of strings; see
    :func:`stream_template`."""
    app = _current_app()
    template = app.jinja_env.from_string(source)
    return _stream(app, template, context)
