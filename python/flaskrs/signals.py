"""The signals sent by the framework, built on blinker.

All of them belong to one :class:`~blinker.Namespace`, under the names Flask
gives them. Emitting a signal nobody listens to is almost free, so the core
sends them without checking for receivers first.
"""

from __future__ import annotations

import typing as t

# Re-exported so that extensions can create their own namespaces from here.
from blinker import Namespace as Namespace

if t.TYPE_CHECKING:  # pragma: no cover
    from blinker import NamedSignal

_signals = Namespace()


def _declare(attribute: str) -> NamedSignal:
    # A signal's blinker name is its module attribute name with hyphens in
    # place of underscores ("request_started" is "request-started").
    return _signals.signal(attribute.replace("_", "-"))


#: After a template was rendered; receives ``template`` and ``context``.
template_rendered = _declare("template_rendered")

#: Before a template is rendered; receives ``template`` and ``context``.
before_render_template = _declare("before_render_template")

#: Once the request context exists, before the request is handled.
request_started = _declare("request_started")

#: Just before the response is sent; receives ``response``.
request_finished = _declare("request_finished")

#: While the request context is torn down; receives ``exc``.
request_tearing_down = _declare("request_tearing_down")

#: When an exception escapes request handling; receives ``exception``.
got_request_exception = _declare("got_request_exception")

#: While the application context is torn down; receives ``exc``.
appcontext_tearing_down = _declare("appcontext_tearing_down")

#: After an application context is pushed.
appcontext_pushed = _declare("appcontext_pushed")

#: After an application context is popped.
appcontext_popped = _declare("appcontext_popped")

#: When :func:`flash` records a message; receives ``message`` and
#: ``category``.
message_flashed = _declare("message_flashed")
