"""Errors that explain common mistakes in debug mode, and the template
loading report of ``EXPLAIN_TEMPLATE_LOADING``."""

from __future__ import annotations

import typing as t
from functools import cache

from jinja2.loaders import BaseLoader
from werkzeug.routing import RequestRedirect

from .blueprints import Blueprint
from .globals import _cv_request
from .globals import request_ctx as request_ctx  # flask.debughelpers.request_ctx
from .sansio.app import App

if t.TYPE_CHECKING:  # pragma: no cover
    from werkzeug.datastructures import MultiDict

    from .sansio.scaffold import Scaffold
    from .wrappers import Request


class UnexpectedUnicodeError(AssertionError, UnicodeError):
    """Raised where text was given but bytes were expected, or the other
    way round, with a better explanation than the codec's."""


# The explanations, as templates: the texts are what users read.
_FILES_KEY_HELP = (
    "You tried to access the file {key!r} in the request.files dictionary"
    " but it does not exist. The mimetype for the request is {mimetype!r}"
    " instead of 'multipart/form-data' which means that no file contents"
    " were transmitted. To fix this error you should provide"
    ' enctype="multipart/form-data" in your form.'
)
_FILES_KEY_NAMES_SENT = (
    "\n\nThe browser instead transmitted some file names. This was submitted: {names}"
)
_REDIRECT_HELP = (
    "A request was sent to '{url}', but routing issued a redirect to the"
    " canonical URL '{new_url}'.{slash_note} Send requests to the canonical"
    " URL, or use 307 or 308 for routing redirects. Otherwise, browsers will"
    " drop form data.\n\nThis exception is only raised in debug mode."
)
_REDIRECT_SLASH_NOTE = (
    " The URL was defined with a trailing slash. Flask will redirect to the"
    " URL with a trailing slash if it was accessed without one."
)


class DebugFilesKeyError(KeyError, AssertionError):
    """A missing key in ``request.files`` of a form that was not sent as
    ``multipart/form-data``: the file names went to ``request.form``."""

    def __init__(self, request: Request, key: str) -> None:
        text = _FILES_KEY_HELP.format(key=key, mimetype=request.mimetype)
        sent = request.form.getlist(key)
        if sent:
            text += _FILES_KEY_NAMES_SENT.format(names=", ".join(map(repr, sent)))
        self.msg = text

    def __str__(self) -> str:
        return self.msg


class FormDataRoutingRedirect(AssertionError):
    """A routing redirect (301/302) of a request with a body, which the
    browser would resend without it; raised in debug mode only."""

    def __init__(self, request: Request) -> None:
        redirect = request.routing_exception
        assert isinstance(redirect, RequestRedirect)
        # Only a slash was added: say that the rule ends with one.
        target = redirect.new_url.partition("?")[0]
        added_slash = target == f"{request.base_url}/"
        super().__init__(
            _REDIRECT_HELP.format(
                url=request.url,
                new_url=redirect.new_url,
                slash_note=_REDIRECT_SLASH_NOTE if added_slash else "",
            )
        )


def _watch_file_lookups(request: Request) -> None:
    """After a form was parsed in debug mode: when it was not multipart
    and has no files, explain a missing ``request.files`` key."""
    if request.mimetype != "multipart/form-data" and not request.files:
        attach_enctype_error_multidict(request)


@cache
def _explaining_class(base: type[MultiDict[str, t.Any]]) -> type:
    """``base`` (the class of ``request.files``) with a lookup that raises
    ``DebugFilesKeyError`` for a key that only the form has. The request
    is found on the instance, so one class serves every request."""

    def __getitem__(self: t.Any, key: str) -> t.Any:
        try:
            return base.__getitem__(self, key)
        except KeyError as missing:
            request = getattr(self, "_flaskrs_request", None)
            if request is None or key not in request.form:
                raise
            err = DebugFilesKeyError(request, key)
            raise err.with_traceback(missing.__traceback__) from None

    namespace = {"__getitem__": __getitem__, "__module__": base.__module__}
    return type(base.__name__, (base,), namespace)


def attach_enctype_error_multidict(request: Request) -> None:
    """Make a missing key of ``request.files`` raise
    ``DebugFilesKeyError`` when the form has a field of that name."""
    files = request.files
    # An attribute of the instance that its class does not declare.
    t.cast(t.Any, files)._flaskrs_request = request
    files.__class__ = _explaining_class(type(files))


def _loader_attribute_lines(name: str, value: t.Any) -> list[str]:
    """How one public attribute of a loader is reported: strings, numbers
    and lists of strings; anything else is left out."""
    if isinstance(value, (tuple, list)):
        if all(isinstance(item, str) for item in value):
            return [f"{name}:", *(f"  - {item}" for item in value)]
        return []
    if isinstance(value, (str, int, float, bool)):
        return [f"{name}: {value!r}"]
    return []


def _dump_loader_info(loader: BaseLoader) -> t.Iterator[str]:
    """The lines describing ``loader`` in the report: its class, then its
    public attributes that print well."""
    kind = type(loader)
    yield f"class: {kind.__module__}.{kind.__name__}"
    attrs = vars(loader)
    for name in sorted(attrs):
        if not name.startswith("_"):
            yield from _loader_attribute_lines(name, attrs[name])


def _describe_source(source: t.Any) -> str:
    if isinstance(source, App):
        return f"application {source.import_name!r}"
    if isinstance(source, Blueprint):
        return f"blueprint {source.name!r} ({source.import_name})"
    return repr(source)


# What the report ends with, by how many loaders found the template (two
# standing for two or more).
_OUTCOME_NOTES = {
    0: "Error: the template could not be found.",
    2: "Warning: multiple loaders returned a match for the template.",
}


# One loader asked: the loader, whose it is, and what ``get_source`` gave
# (``None`` for no match).
_Found = tuple[str, t.Optional[str], t.Optional[t.Callable[[], bool]]]
_Attempt = tuple["BaseLoader", "Scaffold", t.Optional[_Found]]


def explain_template_loading_attempts(
    app: App, template: str, attempts: list[_Attempt]
) -> None:
    """Log which loaders were asked for ``template`` and what each found."""
    indent = " " * 7
    report = [f"Locating template {template!r}:"]
    hits = 0
    for number, (loader, source, found) in enumerate(attempts, start=1):
        report.append(f"{number:5}: trying loader of {_describe_source(source)}")
        report.extend(indent + line for line in _dump_loader_info(loader))
        if found is None:
            report.append(f"{indent}-> no match")
        else:
            hits += 1
            report.append(f"{indent}-> found ({found[1] or '<string>'!r})")

    note = _OUTCOME_NOTES.get(min(hits, 2))
    if note is not None:
        report.append(note)
        ctx = _cv_request.get(None)
        blueprint = None if ctx is None else ctx.request.blueprint
        if blueprint is not None:
            report += [
                "  The template was looked up from an endpoint that belongs"
                f" to the blueprint {blueprint!r}.",
                "  Maybe you did not place a template in the right folder?",
                "  See https://flask.palletsprojects.com/blueprints/#templates",
            ]
    app.logger.info("\n".join(report))
