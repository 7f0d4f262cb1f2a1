"""Views written as classes: :class:`View`, and :class:`MethodView`, which
routes each HTTP method to the method of the same name."""

from __future__ import annotations

import typing as t

from . import typing as ft
from .globals import current_app
from .globals import request

# Flask's name for the type of a view function, kept for typed callers.
F = t.TypeVar("F", bound=t.Callable[..., t.Any])

#: Lower-cased HTTP methods that a :class:`MethodView` serves with the
#: instance method of that name.
http_method_funcs = frozenset(
    ["get", "post", "head", "options", "delete", "put", "trace", "patch"]
)

# Handlers to try when a MethodView lacks the one named after the method: a
# HEAD request is answered like a GET, minus the body.
_STAND_INS = {"head": "get"}


class View:
    """Base class for views written as classes.

    Implement :meth:`dispatch_request`, then route the function returned by
    :meth:`as_view`. Arguments given to :meth:`as_view` after the name go to
    the constructor::

        class Report(View):
            methods = ["GET"]

            def __init__(self, fmt):
                self.fmt = fmt

            def dispatch_request(self, year):
                return render_report(year, self.fmt)

        app.add_url_rule(
            "/report/<int:year>.csv", view_func=Report.as_view("csv", "csv")
        )

    Decorators belong on the generated function, not on the class; list them
    in :attr:`decorators` to have :meth:`as_view` apply them.
    """

    #: HTTP methods for the rule, unless the rule is given its own. With
    #: ``None`` the rule's default applies (``GET``).
    methods: t.ClassVar[t.Collection[str] | None] = None

    #: Whether the rule answers ``OPTIONS`` by itself; ``None`` leaves it to
    #: the ``PROVIDE_AUTOMATIC_OPTIONS`` setting.
    provide_automatic_options: t.ClassVar[bool | None] = None

    #: Decorators for the generated function, applied first to last. The
    #: class is not decorated, since each instance lives only for a request.
    decorators: t.ClassVar[list[t.Callable[..., t.Any]]] = []

    #: With the default ``True`` every request gets a fresh instance. With
    #: ``False`` :meth:`as_view` builds a single instance that serves all
    #: requests, which saves an expensive constructor but means request data
    #: must not be stored on ``self`` (use ``g``).
    init_every_request: t.ClassVar[bool] = True

    def dispatch_request(self) -> ft.ResponseReturnValue:
        """Produce the response. Called with the URL's variables as keyword
        arguments; may return anything a view function may."""
        raise NotImplementedError()

    @classmethod
    def as_view(
        cls, name: str, *class_args: t.Any, **class_kwargs: t.Any
    ) -> ft.RouteCallable:
        """Make the view function to pass to
        :meth:`~flaskrs.Flask.add_url_rule`.

        :param name: ``__name__`` of the function, which is the endpoint when
            the rule names none.
        :param class_args: positional arguments for the constructor.
        :param class_kwargs: keyword arguments for the constructor.

        The function exposes the class as ``view_class``, copies its
        ``methods`` and ``provide_automatic_options`` for the routing, and
        takes over its ``__doc__`` and ``__module__``.
        """
        # With init_every_request off, one instance is made now and shared.
        shared = None if cls.init_every_request else cls(*class_args, **class_kwargs)
        # The function the app ends up calling; per-request instances are made
        # from *its* view_class, so reassigning that attribute takes effect.
        outermost: t.Any = None

        def view(**kwargs: t.Any) -> ft.ResponseReturnValue:
            handler = shared

            if handler is None:
                handler = outermost.view_class(*class_args, **class_kwargs)

            rv: ft.ResponseReturnValue = current_app.ensure_sync(
                handler.dispatch_request
            )(**kwargs)
            return rv

        outermost = view

        if cls.decorators:
            # Name the function before decorating it, so the decorators (and
            # any functools.wraps inside them) see the endpoint's name.
            _label(view, name, cls)

            for decorate in cls.decorators:
                outermost = decorate(outermost)

        _label(outermost, name, cls)
        outermost.view_class = cls
        outermost.__doc__ = cls.__doc__
        outermost.methods = cls.methods
        outermost.provide_automatic_options = cls.provide_automatic_options
        return t.cast("ft.RouteCallable", outermost)


def _label(func: t.Any, name: str, cls: type[View]) -> None:
    func.__name__ = name
    func.__module__ = cls.__module__


class MethodView(View):
    """A view that hands each request to the method named after its HTTP
    method, lower-cased, passing the URL's variables::

        class Item(MethodView):
            def get(self, item_id):
                return jsonify(store.fetch(item_id))

            def delete(self, item_id):
                store.remove(item_id)
                return "", 204

        app.add_url_rule("/items/<int:item_id>", view_func=Item.as_view("item"))

    :attr:`methods` is derived automatically, unless the subclass sets it:
    the HTTP methods the class implements, plus those its bases declare. A
    ``HEAD`` request is served by ``get`` if there is no ``head``.
    """

    def __init_subclass__(cls, **kwargs: t.Any) -> None:
        super().__init_subclass__(**kwargs)

        if "methods" in cls.__dict__:
            return

        inherited = {
            verb
            for base in cls.__bases__
            for verb in getattr(base, "methods", None) or ()
        }
        implemented = {verb.upper() for verb in http_method_funcs if hasattr(cls, verb)}
        found = inherited | implemented

        if found:
            cls.methods = found

    def dispatch_request(self, **kwargs: t.Any) -> ft.ResponseReturnValue:
        verb = request.method.lower()
        handler = getattr(self, verb, None)

        if handler is None and verb in _STAND_INS:
            handler = getattr(self, _STAND_INS[verb], None)

        assert handler is not None, f"Unimplemented method {request.method!r}"
        rv: ft.ResponseReturnValue = current_app.ensure_sync(handler)(**kwargs)
        return rv
