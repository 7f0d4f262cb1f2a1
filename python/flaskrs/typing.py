"""Type aliases for what views, hooks and handlers take and return.

They exist at run time (not only for type checkers) because extensions
import them.
"""

from __future__ import annotations

import collections.abc as cabc
import typing as t

if t.TYPE_CHECKING:  # pragma: no cover
    from _typeshed.wsgi import WSGIApplication  # noqa: F401
    from werkzeug.datastructures import Headers  # noqa: F401
    from werkzeug.sansio.response import Response  # noqa: F401

# Bodies held in memory, and bodies produced piece by piece.
_BufferedBody = t.Union[str, bytes, list[t.Any], t.Mapping[str, t.Any]]
_StreamedBody = t.Union[
    t.Iterator[str],
    t.Iterator[bytes],
    cabc.AsyncIterable[str],
    cabc.AsyncIterable[bytes],
]

# What a view may return as the body.
ResponseValue = t.Union["Response", _BufferedBody, _StreamedBody]

# A header value: a string, or several for a repeated header.
HeaderValue = t.Union[str, list[str], tuple[str, ...]]

# Headers given with a return value.
HeadersValue = t.Union[
    "Headers", t.Mapping[str, HeaderValue], t.Sequence[tuple[str, HeaderValue]]
]

# A body with a status code, headers, or both (status first).
_BodyWithExtras = t.Union[
    tuple[ResponseValue, HeadersValue],
    tuple[ResponseValue, int],
    tuple[ResponseValue, int, HeadersValue],
]

# What a view may return: a body, a tuple with status and/or headers, or a
# WSGI application.
ResponseReturnValue = t.Union[ResponseValue, _BodyWithExtras, "WSGIApplication"]

# The response class an after_request function gets and returns.
ResponseClass = t.TypeVar("ResponseClass", bound="Response")

# Registry keys: None for the app itself, a blueprint's name otherwise.
AppOrBlueprintKey = t.Optional[str]

# Each hook or handler may be a plain function or a coroutine function:
# the union of the two callables (rather than one callable returning either)
# is what Flask declares, and what typing.get_args shows at run time.

# Request hooks.
BeforeFirstRequestCallable = t.Union[
    t.Callable[[], None], t.Callable[[], t.Awaitable[None]]
]
BeforeRequestCallable = t.Union[
    t.Callable[[], t.Optional[ResponseReturnValue]],
    t.Callable[[], t.Awaitable[t.Optional[ResponseReturnValue]]],
]
AfterRequestCallable = t.Union[
    t.Callable[[ResponseClass], ResponseClass],
    t.Callable[[ResponseClass], t.Awaitable[ResponseClass]],
]
TeardownCallable = t.Union[
    t.Callable[[t.Optional[BaseException]], None],
    t.Callable[[t.Optional[BaseException]], t.Awaitable[None]],
]

# Template and shell context.
ShellContextProcessorCallable = t.Callable[[], dict[str, t.Any]]
TemplateContextProcessorCallable = t.Union[
    t.Callable[[], dict[str, t.Any]],
    t.Callable[[], t.Awaitable[dict[str, t.Any]]],
]
TemplateFilterCallable = t.Callable[..., t.Any]
TemplateGlobalCallable = t.Callable[..., t.Any]
TemplateTestCallable = t.Callable[..., bool]

# URL building and matching.
URLDefaultCallable = t.Callable[[str, dict[str, t.Any]], None]
URLValuePreprocessorCallable = t.Callable[
    [t.Optional[str], t.Optional[dict[str, t.Any]]], None
]

# The error is typed Any: a handler's parameter type narrows it, and
# Callable is contravariant in its parameters.
ErrorHandlerCallable = t.Union[
    t.Callable[[t.Any], ResponseReturnValue],
    t.Callable[[t.Any], t.Awaitable[ResponseReturnValue]],
]

# A view function.
RouteCallable = t.Union[
    t.Callable[..., ResponseReturnValue],
    t.Callable[..., t.Awaitable[ResponseReturnValue]],
]
