"""Questions about a function answered from its code object."""

from __future__ import annotations

import typing as t
from inspect import CO_COROUTINE
from types import FunctionType
from types import TracebackType


def plainly_sync(func: t.Any) -> bool:
    """True only for a plain function that ``inspect.iscoroutinefunction``
    would call not async: read from its code flags, several times faster
    than ``inspect`` (this runs for every view and hook). False means "ask
    ``inspect``", not "async"."""
    return (
        type(func) is FunctionType
        and not func.__code__.co_flags & CO_COROUTINE
        # inspect.markcoroutinefunction (Python 3.12) marks sync functions.
        and "_is_coroutine_marker" not in func.__dict__
    )


def ran_in(func: t.Any, tb: TracebackType | None) -> bool:
    """Whether a frame of the traceback ``tb`` ran ``func``'s own code (so
    a ``TypeError`` came from inside it, not from the call)."""
    code = getattr(func, "__code__", None)
    while tb is not None:
        if tb.tb_frame.f_code is code:
            return True
        tb = tb.tb_next
    return False
