"""JSON providers.

An application's ``app.json`` is a provider, and every piece of the framework
that reads or writes JSON (``jsonify``, ``request.get_json``, the
:mod:`flaskrs.json` functions, the cookie session) calls it. To use another
JSON library, subclass :class:`JSONProvider`; to adjust the standard one,
subclass :class:`DefaultJSONProvider` or change attributes on ``app.json``.
Install a class with ``app.json_provider_class`` or an instance by assigning
``app.json``.
"""

from __future__ import annotations

import dataclasses
import decimal
import functools
import json
import typing as t
import uuid
import weakref
from datetime import date

from werkzeug.http import http_date

from .._core import json_body

if t.TYPE_CHECKING:  # pragma: no cover
    from werkzeug.sansio.response import Response

    from ..sansio.app import App


class JSONProvider:
    """Base class of JSON providers.

    Subclasses must implement :meth:`dumps` and :meth:`loads`. The file
    variants and :meth:`response` are derived from those two.

    :param app: the owning application. Only a weak proxy is kept, so the
        provider never holds the application alive.
    """

    def __init__(self, app: App) -> None:
        self._app: App = weakref.proxy(app)

    def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        """Encode ``obj`` as a JSON document and return it as ``str``.

        :param kwargs: passed on to the JSON library.
        """
        raise NotImplementedError

    def dump(self, obj: t.Any, fp: t.IO[str], **kwargs: t.Any) -> None:
        """Encode ``obj`` with :meth:`dumps` and write the text to ``fp``."""
        fp.write(self.dumps(obj, **kwargs))

    def loads(self, s: str | bytes, **kwargs: t.Any) -> t.Any:
        """Decode the JSON document ``s`` into Python values.

        :param kwargs: passed on to the JSON library.
        """
        raise NotImplementedError

    def load(self, fp: t.IO[t.AnyStr], **kwargs: t.Any) -> t.Any:
        """Read all of ``fp`` and decode it with :meth:`loads`."""
        return self.loads(fp.read(), **kwargs)

    def _prepare_response_obj(
        self, args: tuple[t.Any, ...], kwargs: dict[str, t.Any]
    ) -> t.Any:
        # What a jsonify() call means: keywords are an object, a single
        # positional value stands for itself, several make an array, and an
        # empty call is null. Mixing the two kinds is a usage error.
        if kwargs:
            if args:
                raise TypeError(
                    "app.json.response() takes either args or kwargs, not both"
                )

            return kwargs

        if len(args) == 1:
            return args[0]

        return args if args else None

    def response(self, *args: t.Any, **kwargs: t.Any) -> Response:
        """Build an ``application/json`` response (of the app's
        ``response_class``) from the arguments, interpreted as by
        :func:`~flaskrs.json.jsonify`.

        :raises TypeError: positional and keyword arguments were mixed.
        """
        payload = self._prepare_response_obj(args, kwargs)
        return self._app.response_class(
            self.dumps(payload), mimetype="application/json"
        )


def _html_of(obj: t.Any) -> str:
    # The markup of an object following the ``__html__`` protocol (Markup,
    # or a template library's safe strings), as a plain str.
    return str(obj.__html__())


@functools.singledispatch
def _default(o: t.Any) -> t.Any:
    # The ``default`` hook of the encoder: it is only consulted for objects
    # json cannot encode itself. Registered types are dispatched below; this
    # body handles what cannot be expressed as a type.
    if dataclasses.is_dataclass(o):
        # Given a dataclass class rather than an instance, asdict raises its
        # own TypeError, which is what callers get from Flask as well.
        return dataclasses.asdict(t.cast(t.Any, o))

    if hasattr(o, "__html__"):
        return _html_of(o)

    raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


# Dates and datetimes (a subclass) become HTTP dates; exact decimal values and
# UUIDs become their usual string forms.
_default.register(date, http_date)
_default.register(decimal.Decimal, str)
_default.register(uuid.UUID, str)

# The options json.dumps hands to JSONEncoder itself (anything else, such as
# ``cls``, goes through json.dumps), and how many encoders a provider keeps.
_ENCODER_OPTIONS = frozenset(
    {
        "skipkeys",
        "ensure_ascii",
        "check_circular",
        "allow_nan",
        "indent",
        "separators",
        "default",
        "sort_keys",
    }
)
_MOST_ENCODERS = 16

# The two ways DefaultJSONProvider.response lays out its body.
_INDENTED: dict[str, t.Any] = {"indent": 2}
_COMPACT: dict[str, t.Any] = {"separators": (",", ":")}


class DefaultJSONProvider(JSONProvider):
    """The standard library's :mod:`json`, taught a few more types:

    - :class:`datetime.date` and :class:`datetime.datetime` give an HTTP date;
    - :class:`decimal.Decimal` and :class:`uuid.UUID` give their ``str()``;
    - dataclass instances give :func:`dataclasses.asdict`;
    - objects with ``__html__`` (``Markup``...) give that markup as a string.

    The class attributes below are the knobs; override them in a subclass or
    set them on ``app.json``.
    """

    #: The encoder's fallback for unknown objects. It returns an encodable
    #: replacement or raises :exc:`TypeError`.
    default: t.Callable[[t.Any], t.Any] = staticmethod(_default)

    #: Write non-ASCII characters as ``\\uXXXX`` escapes.
    ensure_ascii = True

    #: Emit object keys in sorted order, so that the same data always gives
    #: the same bytes (useful for caching and for signed session cookies).
    sort_keys = True

    #: Layout of :meth:`response` bodies: ``True`` compact, ``False``
    #: indented, ``None`` indented only when the app is in debug mode.
    compact: bool | None = None

    #: Content type used by :meth:`response`.
    mimetype = "application/json"

    def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        """Encode with :func:`json.dumps`; :attr:`default`,
        :attr:`ensure_ascii` and :attr:`sort_keys` apply unless given in
        ``kwargs``."""
        options: dict[str, t.Any] = {
            "default": self.default,
            "ensure_ascii": self.ensure_ascii,
            "sort_keys": self.sort_keys,
        }
        options.update(kwargs)
        encoder = self._encoder_for(options)
        if encoder is None:
            return json.dumps(obj, **options)
        return encoder.encode(obj)

    def _encoder_for(self, options: dict[str, t.Any]) -> json.JSONEncoder | None:
        # json.dumps builds a new JSONEncoder whenever an option differs from
        # its defaults, which is always the case here: that construction was
        # half the cost of a jsonify(). Encoders hold only their options, so
        # one per set of options is kept and reused.
        if not _ENCODER_OPTIONS.issuperset(options):
            return None
        return self._kept_encoder(tuple(options.items()), lambda: options)

    def _kept_encoder(
        self, key: tuple[t.Any, ...], options: t.Callable[[], dict[str, t.Any]]
    ) -> json.JSONEncoder | None:
        # The encoder kept under ``key``, made from ``options()`` the first
        # time; None when a value in the key cannot be hashed.
        try:
            return self._encoders[key]
        except TypeError:
            return None
        except AttributeError:
            self._encoders: dict[tuple[t.Any, ...], json.JSONEncoder] = {}
        except KeyError:
            pass
        if len(self._encoders) >= _MOST_ENCODERS:
            self._encoders.clear()
        encoder = self._encoders[key] = json.JSONEncoder(**options())
        return encoder

    def loads(self, s: str | bytes, **kwargs: t.Any) -> t.Any:
        """Decode with :func:`json.loads`, which also detects the UTF
        encoding of ``bytes``."""
        return json.loads(s, **kwargs)

    def response(self, *args: t.Any, **kwargs: t.Any) -> Response:
        """Build a :attr:`mimetype` response from the arguments, read as by
        :func:`~flaskrs.json.jsonify`. The body ends with a newline.

        It is indented by two spaces if :attr:`compact` is ``False``, or is
        ``None`` while the app runs in debug mode; otherwise it carries no
        whitespace at all.

        :raises TypeError: positional and keyword arguments were mixed.
        """
        if kwargs and not args:
            payload: t.Any = kwargs
        else:
            payload = self._prepare_response_obj(args, kwargs)
        app = self._app
        compact = self.compact
        wants_indent = app.debug if compact is None else compact is False
        body = None
        if type(self).dumps is DefaultJSONProvider.dumps:
            if not wants_indent and self.ensure_ascii is True:
                # The usual body (plain data) is written by the native core;
                # None when something in it needs the ``default`` hook.
                data = json_body(payload, bool(self.sort_keys))
                if data is not None:
                    return app.response_class(data, mimetype=self.mimetype)
            encoder = self._layout_encoder(wants_indent)
            if encoder is not None:
                body = encoder.encode(payload)
        if body is None:
            body = self.dumps(payload, **(_INDENTED if wants_indent else _COMPACT))
        return app.response_class(f"{body}\n", mimetype=self.mimetype)

    def _layout_encoder(self, indented: bool) -> json.JSONEncoder | None:
        # Every JSON response comes through here: its encoder is looked up
        # by the four settings that decide it, without building the option
        # dict dumps() needs. A subclass with its own dumps() is not served
        # from here (response() calls its dumps()).
        default, ensure_ascii, sort_keys = (
            self.default,
            self.ensure_ascii,
            self.sort_keys,
        )
        return self._kept_encoder(
            # The leading name keeps these keys apart from dumps() options.
            ("response", default, ensure_ascii, sort_keys, indented),
            lambda: {
                "default": default,
                "ensure_ascii": ensure_ascii,
                "sort_keys": sort_keys,
                **(_INDENTED if indented else _COMPACT),
            },
        )
