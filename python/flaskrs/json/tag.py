"""Tagged JSON, the format of the default session cookie.

Plain JSON turns a tuple into a list, and has no bytes, ``Markup``, UUIDs or
datetimes at all. Tagged JSON keeps them apart by wrapping such a value in a
single-key object whose key names its type: ``(1, 2)`` is written
``{" t":[1,2]}``. Tag keys begin with a space, which ordinary keys seldom do;
a genuine single-key dict whose key is a tag name is itself wrapped (under
``" di"``) so it cannot be mistaken for a tagged value.

New types are supported by registering a :class:`JSONTag` subclass. For
example, to keep sets apart from lists::

    class TagSet(JSONTag):
        __slots__ = ()
        key = " set"

        def check(self, value):
            return isinstance(value, set)

        def to_json(self, value):
            return [self.serializer.tag(item) for item in sorted(value)]

        def to_python(self, value):
            return set(value)

    app.session_interface.serializer.register(TagSet)
"""

from __future__ import annotations

import typing as t
from base64 import b64decode
from base64 import b64encode
from datetime import datetime
from uuid import UUID

from markupsafe import Markup
from werkzeug.http import http_date
from werkzeug.http import parse_date

from . import dumps
from . import loads
from .provider import _html_of


class JSONTag:
    """One kind of tagged value, as handled by :class:`TaggedJSONSerializer`.

    A subclass gives a :attr:`key` and implements :meth:`check`,
    :meth:`to_json` and :meth:`to_python`. With an empty key the tag only
    rewrites values while dumping (the container pass-throughs do this) and
    plays no part in loading.
    """

    __slots__ = ("serializer",)

    #: The object key marking this tag in the output. Empty: no marker.
    key: str = ""

    def __init__(self, serializer: TaggedJSONSerializer) -> None:
        #: The owning serializer; use its ``tag`` method on nested values.
        self.serializer = serializer

    def check(self, value: t.Any) -> bool:
        """Return whether ``value`` is for this tag to convert."""
        raise NotImplementedError

    def to_json(self, value: t.Any) -> t.Any:
        """Return a JSON-compatible stand-in for ``value``. Contained values
        must be passed through ``self.serializer.tag`` themselves."""
        raise NotImplementedError

    def to_python(self, value: t.Any) -> t.Any:
        """Rebuild the original value from the output of :meth:`to_json`."""
        raise NotImplementedError

    def tag(self, value: t.Any) -> dict[str, t.Any]:
        """Return the tagged form of ``value``: ``{key: to_json(value)}``."""
        return {self.key: self.to_json(value)}


# The built-in tag classes, in precedence order, as _builtin records them
# while they are defined below. TagDict must precede PassDict; the other
# built-in tags accept disjoint sets of values.
_BUILTIN_TAGS: list[type[JSONTag]] = []

_Tag = t.TypeVar("_Tag", bound=type[JSONTag])


def _builtin(tag_class: _Tag) -> _Tag:
    _BUILTIN_TAGS.append(tag_class)
    return tag_class


# The built-in tags share a few patterns, factored into private bases: most
# accept the instances of one type, the containers convert their members
# through the serializer, and the key-less ones emit their output bare.
# Every to_json and to_python is a plain method, as in Flask, so a subclass
# may call them unbound (``TagUUID.to_python(self, value)``).


class _OfType(JSONTag):
    # Accepts instances of ``accepts``.
    __slots__ = ()
    accepts: t.ClassVar[type | tuple[type, ...]] = ()

    def check(self, value: t.Any) -> bool:
        return isinstance(value, self.accepts)


class _Members(_OfType):
    # A sequence type whose items are tagged one by one into a JSON array.
    __slots__ = ()

    def to_json(self, value: t.Any) -> t.Any:
        return list(map(self.serializer.tag, value))


class _Bare(JSONTag):
    # Key-less: the converted value is emitted without a wrapper object.
    __slots__ = ()

    def tag(self, value: t.Any) -> t.Any:
        return self.to_json(value)


def _first_entry(mapping: dict[str, t.Any]) -> tuple[str, t.Any]:
    return next(iter(mapping.items()))


@_builtin
class TagDict(JSONTag):
    """Escape a single-key dict whose key is a registered tag key.

    Such a dict would otherwise load back as the tagged type (``{" t": [1]}``
    as ``(1,)``). It is written as ``{" di": {key + "__": value}}`` and the two
    underscores are dropped again when loading.
    """

    __slots__ = ()
    key = " di"

    def check(self, value: t.Any) -> bool:
        if not isinstance(value, dict) or len(value) != 1:
            return False

        return next(iter(value)) in self.serializer.tags

    def to_json(self, value: t.Any) -> t.Any:
        name, member = _first_entry(value)
        return {name + "__": self.serializer.tag(member)}

    def to_python(self, value: t.Any) -> t.Any:
        name, member = _first_entry(value)
        return {name[:-2]: member}


@_builtin
class PassDict(_Bare, _OfType):
    """Write a dict as a JSON object with each of its values tagged; keys are
    strings in JSON already and stay as they are."""

    __slots__ = ()
    accepts = dict

    def to_json(self, value: t.Any) -> t.Any:
        convert = self.serializer.tag
        return {name: convert(member) for name, member in value.items()}


@_builtin
class TagTuple(_Members):
    """Write a tuple as an array of tagged items under ``" t"``."""

    __slots__ = ()
    key = " t"
    accepts = tuple

    def to_python(self, value: t.Any) -> t.Any:
        return tuple(value)


@_builtin
class PassList(_Bare, _Members):
    """Write a list as a plain array of tagged items."""

    __slots__ = ()
    accepts = list


@_builtin
class TagBytes(_OfType):
    """Write bytes as padded standard base64 under ``" b"``."""

    __slots__ = ()
    key = " b"
    accepts = bytes

    def to_json(self, value: t.Any) -> t.Any:
        return b64encode(value).decode("ascii")

    def to_python(self, value: t.Any) -> t.Any:
        return b64decode(value)


@_builtin
class TagMarkup(JSONTag):
    """Write any object having an ``__html__`` method as its markup under
    ``" m"``; it loads back as :class:`~markupsafe.Markup`."""

    __slots__ = ()
    key = " m"

    def check(self, value: t.Any) -> bool:
        return callable(getattr(value, "__html__", None))

    def to_json(self, value: t.Any) -> t.Any:
        return _html_of(value)

    def to_python(self, value: t.Any) -> t.Any:
        return Markup(value)


@_builtin
class TagUUID(_OfType):
    """Write a UUID as 32 hex digits under ``" u"``."""

    __slots__ = ()
    key = " u"
    accepts = UUID

    def to_json(self, value: t.Any) -> t.Any:
        return value.hex

    def to_python(self, value: t.Any) -> t.Any:
        return UUID(value)


@_builtin
class TagDateTime(_OfType):
    """Write a datetime as an HTTP date under ``" d"``: UTC, to the second,
    naive values being read as UTC. It loads back timezone-aware, in UTC."""

    __slots__ = ()
    key = " d"
    accepts = datetime

    def to_json(self, value: t.Any) -> t.Any:
        return http_date(value)

    def to_python(self, value: t.Any) -> t.Any:
        return parse_date(value)


# Exact types that no built-in tag touches, so the fast path returns them as is.
_UNTAGGED = frozenset({str, int, float, bool, type(None)})


class TaggedJSONSerializer:
    """Dump values to tagged JSON and load them back.

    When dumping, each value is offered to the tags in :attr:`order` and the
    first whose ``check`` accepts it converts it; values no tag accepts are
    left to the JSON encoder, so they must be JSON types or types
    :mod:`flaskrs.json` can encode. Out of the box, dicts, tuples, lists,
    bytes, ``Markup`` (indeed any ``__html__`` object), UUIDs and datetimes
    are covered.

    Add tags with :meth:`register`. As long as the built-in tags are the only
    ones, the common containers are converted by a specialised path that
    gives the same output without going through the tag objects.
    """

    # ``_fast_order`` is our own: a snapshot of ``order`` taken when it held just
    # the built-in tags, or None if this serializer never matched that.
    __slots__ = ("tags", "order", "_fast_order")

    #: The tag classes a new serializer registers, first to last.
    default_tags: t.ClassVar[list[type[JSONTag]]] = _BUILTIN_TAGS.copy()

    def __init__(self) -> None:
        self.tags: dict[str, JSONTag] = {}
        self.order: list[JSONTag] = []
        self._fast_order: list[JSONTag] | None = None

        for tag_class in self.default_tags:
            self.register(tag_class)

        if type(self) is TaggedJSONSerializer and self.default_tags == _BUILTIN_TAGS:
            self._fast_order = self.order.copy()

    def register(
        self,
        tag_class: type[JSONTag],
        force: bool = False,
        index: int | None = None,
    ) -> None:
        """Create an instance of ``tag_class`` bound to this serializer and
        put it in use.

        :param force: let the tag replace one already using its key, rather
            than raise :exc:`KeyError`.
        :param index: its position in :attr:`order`; appended when ``None``.
            ``0`` puts it before every built-in tag.
        :raises KeyError: another tag has the key and ``force`` is false.
        """
        new_tag = tag_class(self)
        marker = new_tag.key

        if marker and marker in self.tags and not force:
            raise KeyError(f"Tag '{marker}' is already registered.")

        if marker:
            self.tags[marker] = new_tag

        self.order.insert(len(self.order) if index is None else index, new_tag)

    def tag(self, value: t.Any) -> t.Any:
        """Return ``value`` converted by the first tag that accepts it, or
        unchanged when none does."""
        # Any registration alters ``order``, which switches the specialised
        # path off: from then on every value goes through the tag objects.
        if self._fast_order is not None and self.order == self._fast_order:
            return self._tag_builtin(value)

        return self._tag_generic(value)

    def _tag_generic(self, value: t.Any) -> t.Any:
        chosen = next((tag for tag in self.order if tag.check(value)), None)
        return value if chosen is None else chosen.tag(value)

    def _tag_builtin(self, value: t.Any) -> t.Any:
        # Same output as _tag_generic with the built-in tags, for the types
        # sessions mostly hold. The type is compared exactly: subclasses
        # (Markup of str, namedtuples of tuple, sessions of dict) go the
        # generic way so that every tag gets its say.
        kind = type(value)

        if kind in _UNTAGGED:
            return value

        if kind is list:
            return [self._tag_builtin(item) for item in value]

        if kind is tuple:
            return {" t": [self._tag_builtin(item) for item in value]}

        if kind is not dict:
            return self._tag_generic(value)

        if len(value) == 1 and next(iter(value)) in self.tags:
            # A dict that looks like a tagged value: TagDict is order[0].
            return self.order[0].tag(value)

        return {name: self._tag_builtin(member) for name, member in value.items()}

    def untag(self, value: dict[str, t.Any]) -> t.Any:
        """Turn a tagged object back into its Python value; dicts that are not
        tagged objects come back unchanged."""
        if len(value) == 1:
            marker, payload = next(iter(value.items()))
            owner = self.tags.get(marker)

            if owner is not None:
                return owner.to_python(payload)

        return value

    def _untag_scan(self, value: t.Any) -> t.Any:
        # Depth first, so that to_python receives already restored members.
        if isinstance(value, list):
            return [self._untag_scan(item) for item in value]

        if not isinstance(value, dict):
            return value

        return self.untag({name: self._untag_scan(v) for name, v in value.items()})

    def dumps(self, value: t.Any) -> str:
        """Convert ``value`` and encode it as JSON without whitespace. Inside
        an application context the app's JSON provider does the encoding,
        with its settings (sorted keys by default)."""
        return dumps(self.tag(value), separators=(",", ":"))

    def loads(self, value: str) -> t.Any:
        """Decode JSON written by :meth:`dumps`, restoring tagged values."""
        return self._untag_scan(loads(value))
