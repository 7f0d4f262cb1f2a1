"""JSON helpers that respect the active application.

While an application context is pushed, :func:`dumps`, :func:`dump`,
:func:`loads` and :func:`load` delegate to that app's provider
(``current_app.json``, see :mod:`flaskrs.json.provider`), so its settings and
any custom provider take effect. With no application around they use the
standard :mod:`json` module directly; dumping still understands the extra
types of :class:`~flaskrs.json.provider.DefaultJSONProvider`, but none of the
provider's options (such as key sorting) apply.
"""

from __future__ import annotations

import json as _json
import typing as t

from ..globals import _cv_app
from ..globals import current_app
from .provider import _default

if t.TYPE_CHECKING:  # pragma: no cover
    from ..wrappers import Response
    from .provider import JSONProvider


class _Standalone:
    # What the module functions talk to when no app is active: the provider
    # interface, implemented directly on the standard library.

    @staticmethod
    def dumps(obj: t.Any, **kwargs: t.Any) -> str:
        kwargs.setdefault("default", _default)
        return _json.dumps(obj, **kwargs)

    @staticmethod
    def dump(obj: t.Any, fp: t.IO[str], **kwargs: t.Any) -> None:
        kwargs.setdefault("default", _default)
        _json.dump(obj, fp, **kwargs)

    loads = staticmethod(_json.loads)
    load = staticmethod(_json.load)


_STANDALONE = _Standalone()


def _backend() -> JSONProvider | _Standalone:
    # Read the context variable rather than the ``current_app`` proxy: the
    # session serializer calls through here on every request that saves.
    ctx = _cv_app.get(None)
    return _STANDALONE if ctx is None else ctx.app.json


def dumps(obj: t.Any, **kwargs: t.Any) -> str:
    """Encode ``obj`` as a JSON string.

    :param kwargs: options for the app's provider, or for :func:`json.dumps`
        when no app is active.
    """
    return _backend().dumps(obj, **kwargs)


def dump(obj: t.Any, fp: t.IO[str], **kwargs: t.Any) -> None:
    """Encode ``obj`` as JSON and write it to the text stream ``fp``.

    :param kwargs: the same as for :func:`dumps`.
    """
    _backend().dump(obj, fp, **kwargs)


def loads(s: str | bytes, **kwargs: t.Any) -> t.Any:
    """Decode the JSON document ``s`` (text or bytes).

    :param kwargs: options for the app's provider, or for :func:`json.loads`
        when no app is active.
    """
    return _backend().loads(s, **kwargs)


def load(fp: t.IO[t.AnyStr], **kwargs: t.Any) -> t.Any:
    """Decode the JSON document read from the stream ``fp``.

    :param kwargs: the same as for :func:`loads`.
    """
    return _backend().load(fp, **kwargs)


def jsonify(*args: t.Any, **kwargs: t.Any) -> Response:
    """Make an ``application/json`` response with
    ``current_app.json.response``.

    Keyword arguments become an object, a lone positional argument is encoded
    as it is, several become an array, and no arguments give ``null``. In
    debug mode the body is indented (see
    :attr:`~flaskrs.json.provider.DefaultJSONProvider.compact`).

    :raises TypeError: positional and keyword arguments were mixed.
    :raises RuntimeError: there is no active application context.
    """
    ctx = _cv_app.get(None)
    # The proxy raises the "outside of application context" error.
    app = current_app if ctx is None else ctx.app
    # JSONProvider.response is typed (as in Flask) with the sansio Response;
    # the provider makes the app's response_class, as Flask's jsonify says.
    return app.json.response(*args, **kwargs)  # type: ignore[return-value]
