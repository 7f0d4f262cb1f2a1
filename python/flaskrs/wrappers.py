"""Werkzeug's Request and Response with the app's settings: size limits
from the config, the app's JSON provider, the matched route.

The shorter paths these classes take through Werkzeug's own methods live
in ``_werkzeug_compat``, next to the checks that allow them."""

from __future__ import annotations

import typing as t
from json import loads as _stdlib_loads

from werkzeug.exceptions import BadRequest
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request as RequestBase  # noqa: F401  # flask.wrappers.RequestBase
from werkzeug.wrappers import Response as ResponseBase  # noqa: F401  # flask.wrappers.ResponseBase

from . import json
from ._text import loads_text as _loads_text
from ._werkzeug_compat.request import fast_class as _fast_request_class
from ._werkzeug_compat.request import FastRequest as _FastRequest
from ._werkzeug_compat.request import first_cookie as first_cookie
from ._werkzeug_compat.response import fast_class as _fast_response_class
from ._werkzeug_compat.response import FastResponse as _FastResponse
from .globals import _cv_app
from .globals import current_app as current_app  # flask.wrappers.current_app
from .helpers import _split_blueprint_path

if t.TYPE_CHECKING:  # pragma: no cover
    from werkzeug.routing import Rule


class _AppLimit:
    """A size limit of the request, from the first that has one: a value
    assigned on this request, the app's config key, and (outside an app
    context) Werkzeug's class default. A value assigned is kept under the
    name with a leading underscore, whose class default is ``None``."""

    def __init__(self, config_key: str) -> None:
        self.config_key = config_key

    def __set_name__(self, owner: type, name: str) -> None:
        self.owner = owner
        self.name = name
        self.own = "_" + name

    def __get__(self, obj: t.Any, owner: type | None = None) -> t.Any:
        if obj is None:
            return self
        # The class says None unless a subclass sets its own limit there.
        assigned = getattr(obj, self.own)
        if assigned is not None:
            return assigned
        ctx = _cv_app.get(None)
        if ctx is not None:
            return ctx.app.config[self.config_key]
        return getattr(super(self.owner, obj), self.name)

    def __set__(self, obj: t.Any, value: int | None) -> None:
        setattr(obj, self.own, value)


class Request(_FastRequest):
    """The request object: Werkzeug's, plus what routing found and the
    limits set in the app's config."""

    json_module: t.Any = json

    #: The rule that matched, or ``None`` when matching failed.
    url_rule: Rule | None = None

    #: The matched URL values, or ``None`` when matching failed.
    view_args: dict[str, t.Any] | None = None

    #: The exception matching raised (a 404, 405, redirect...), raised
    #: again when the request is dispatched.
    routing_exception: HTTPException | None = None

    # What was assigned to the limits below, on the request or a subclass.
    _max_content_length: int | None = None
    _max_form_memory_size: int | None = None
    _max_form_parts: int | None = None

    #: The largest body accepted.
    max_content_length = _AppLimit("MAX_CONTENT_LENGTH")
    #: The largest non-file form field.
    max_form_memory_size = _AppLimit("MAX_FORM_MEMORY_SIZE")
    #: The most multipart parts parsed.
    max_form_parts = _AppLimit("MAX_FORM_PARTS")

    @property
    def endpoint(self) -> str | None:
        """The endpoint of the matched rule, or ``None``."""
        rule = self.url_rule
        return None if rule is None else rule.endpoint

    @property
    def blueprint(self) -> str | None:
        """The dotted name of the blueprint the endpoint belongs to."""
        name = self.endpoint
        if name is None:
            return None
        owner, dot, _ = name.rpartition(".")
        return owner if dot else None

    @property
    def blueprints(self) -> list[str]:
        """The current blueprint and its parents, innermost first."""
        if self.__class__ is Request:
            # blueprint and endpoint are this class's own: read through at
            # once (the app asks for this in every request with hooks).
            rule = self.url_rule
            if rule is None:
                return []
            owner, dot, _ = rule.endpoint.rpartition(".")
            return _split_blueprint_path(owner) if dot else []
        owner = self.blueprint
        return [] if owner is None else _split_blueprint_path(owner)

    def _load_form_data(self) -> None:
        super()._load_form_data()
        if _app_in_debug():
            # Reading a file field of a form sent without multipart
            # encoding then explains the mistake instead of a bare KeyError.
            from .debughelpers import _watch_file_lookups

            _watch_file_lookups(self)

    def on_json_loading_failed(self, e: ValueError | None) -> t.Any:
        try:
            return super().on_json_loading_failed(e)
        except BadRequest as detailed:
            # The parser's message may quote the body: shown in debug mode
            # only, a plain 400 otherwise.
            if _app_in_debug():
                raise
            raise BadRequest() from detailed


def _loads_body(data: bytes) -> t.Any:
    """``json.loads(data)`` for a body that starts with a JSON value in
    UTF-8 (what clients send), without its encoding detection; anything
    else goes to ``json.loads`` itself so the result and the exception are
    its own."""
    if data and data[0] < 0x80 and (len(data) == 1 or data[1]):
        # No BOM and no NUL in the first two bytes: json reads it as UTF-8.
        try:
            text = data.decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            pass
        else:
            return _loads_text(text)
    return _stdlib_loads(data)


def _app_in_debug() -> bool:
    ctx = _cv_app.get(None)
    return ctx is not None and bool(ctx.app.debug)


class Response(_FastResponse):
    """The response object: Werkzeug's with ``text/html`` by default and
    the cookie size limit from the app's config.

    A text or bytes body with no other argument (what most views return)
    and the WSGI call of a plain buffered response take a shorter path
    than Werkzeug's, with the same result; anything else, and any
    subclass, takes Werkzeug's own.
    """

    default_mimetype: str | None = "text/html"

    json_module = json

    autocorrect_location_header = False

    @property
    def max_cookie_size(self) -> int:  # type: ignore[override]
        """The app's ``MAX_COOKIE_SIZE``, Werkzeug's default outside an app
        context."""
        ctx = _cv_app.get(None)
        if ctx is not None:
            size: int = ctx.app.config["MAX_COOKIE_SIZE"]
            return size
        return super().max_cookie_size


# These exact classes take Werkzeug's shorter paths; their subclasses, which
# may override what those paths skip, take Werkzeug's own.
_fast_request_class(Request, loads_body=_loads_body)
_fast_response_class(Response)
