"""Sessions.

This module holds the session types (what ``flaskrs.session`` is), the
:class:`SessionInterface` an application uses to load and store sessions, and
the default :class:`SecureCookieSessionInterface`, which keeps the whole
session in a signed cookie. Those cookies are byte-for-byte the ones Flask
writes, so an app can move between the two without logging anybody out.

For server-side storage, assign an instance of your own
:class:`SessionInterface` subclass to ``app.session_interface``.
"""

from __future__ import annotations

import collections.abc as c
import hashlib
import typing as t
from collections.abc import MutableMapping as MutableMapping  # flask.sessions'
from datetime import datetime
from datetime import timezone

from itsdangerous import BadData
from itsdangerous import BadSignature as BadSignature  # flask.sessions'
from itsdangerous import URLSafeTimedSerializer
from werkzeug.datastructures import CallbackDict

from ._cookies import set_session_cookie
from ._cookies import vary_on_cookie
from ._cookies import write_cookie_and_vary
from ._session_settings import cookie_settings
from ._session_settings import CookieSettings
from ._session_settings import SettingsMemo
from ._signing import SessionSerializer
from .json.tag import TaggedJSONSerializer
from .wrappers import first_cookie

if t.TYPE_CHECKING:  # pragma: no cover
    from .app import Flask
    from .wrappers import Request
    from .wrappers import Response

# Where a session records that it should outlive the browser session.
_PERMANENT_KEY = "_permanent"


class SessionMixin(c.MutableMapping[str, t.Any]):
    """State that every session object carries besides its contents.

    The request context turns :attr:`accessed` on when the session is used,
    and the session interface consults :attr:`modified` and :attr:`accessed`
    when deciding on the cookie and the ``Vary: Cookie`` header.
    """

    #: ``True`` for a session created during this request rather than loaded.
    #: The cookie interface never sets it; other interfaces are free to.
    new = False

    #: Whether the contents changed. Mappings that cannot notice changes keep
    #: this ``True`` so they are always stored. Mutating a value in place
    #: (``session["cart"].append(item)``) goes unnoticed even by those that
    #: can; set it to ``True`` yourself afterwards.
    modified = True

    #: Whether the session was looked at or changed during the request, which
    #: makes the response depend on the ``Cookie`` header.
    accessed = False

    def _get_permanent(self) -> bool:
        permanent: bool = self.get(_PERMANENT_KEY, False)
        return permanent

    def _set_permanent(self, value: bool) -> None:
        self[_PERMANENT_KEY] = bool(value)

    permanent = property(
        _get_permanent,
        _set_permanent,
        doc="Whether the session lasts beyond the browser session (for"
        " ``PERMANENT_SESSION_LIFETIME``). Kept inside the session itself,"
        " under the ``_permanent`` key.",
    )
    del _get_permanent, _set_permanent


def _note_change(session: SecureCookieSession) -> None:
    # The on_update hook of every SecureCookieSession: one shared function
    # instead of a fresh closure per session.
    session.modified = True


class SecureCookieSession(CallbackDict[str, t.Any], SessionMixin):
    """The session of the cookie interface: a dict that turns
    :attr:`modified` on whenever one of its own methods changes it."""

    #: Becomes ``True`` through any change made with the dict's methods.
    modified = False

    def __init__(self, initial: c.Mapping[str, t.Any] | None = None) -> None:
        super().__init__(initial, _note_change)

    # ``self: Self`` as Werkzeug's CallbackDict types on_update's argument.
    def __setitem__(self: t.Self, key: str, value: t.Any) -> None:
        # What CallbackDict's wrapped __setitem__ does, written out: the
        # commonest change to a session, in one frame instead of three.
        dict.__setitem__(self, key, value)
        on_update = self.on_update
        if on_update is _note_change:
            self.modified = True
        elif on_update is not None:
            on_update(self)


_NO_SECRET_KEY = (
    "The session is unavailable because no secret "
    "key was set.  Set the secret_key on the "
    "application to something unique and secret."
)


def _refuse_change(self: NullSession, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
    raise RuntimeError(_NO_SECRET_KEY)


class NullSession(SecureCookieSession):
    """Stand-in session for apps that cannot have sessions (no secret key).

    Reading it is fine and always finds it empty; every attempt to change it
    raises :exc:`RuntimeError` explaining what configuration is missing.
    """

    __setitem__ = _refuse_change
    __delitem__ = _refuse_change
    clear = _refuse_change
    pop = _refuse_change
    popitem = _refuse_change
    update = _refuse_change
    setdefault = _refuse_change


class SessionInterface:
    """The contract between an application and its session storage.

    At the start of a request the app calls :meth:`open_session`; a ``None``
    result means sessions are not possible, and the app falls back to
    :meth:`make_null_session`. At the end it calls :meth:`save_session` with
    the response, except for null sessions. A browser may send several
    requests at once, so both methods can run in parallel for one session and
    must be thread-safe.

    The ``get_cookie_*`` methods report the ``SESSION_COOKIE_*`` settings.
    Override them to decide cookie options in code, per app or per request.
    """

    #: The class :meth:`make_null_session` instantiates.
    null_session_class = NullSession

    #: Tells other code that sessions are pickled, and may therefore hold
    #: arbitrary Python objects.
    pickle_based = False

    def make_null_session(self, app: Flask) -> NullSession:
        """Create the session used when :meth:`open_session` gives
        ``None``, by instantiating :attr:`null_session_class`."""
        return self.null_session_class()

    def is_null_session(self, obj: object) -> bool:
        """Return whether ``obj`` is a null session (those are never
        saved)."""
        cls = self.null_session_class
        if cls is NullSession and type(obj) is SecureCookieSession:
            # The usual answer, without isinstance's walk through the
            # abstract base classes of a mapping.
            return False
        return isinstance(obj, cls)

    def get_cookie_name(self, app: Flask) -> str:
        """Name of the session cookie, ``SESSION_COOKIE_NAME``."""
        name: str = app.config["SESSION_COOKIE_NAME"]
        return name

    def get_cookie_domain(self, app: Flask) -> str | None:
        """``Domain`` attribute, ``SESSION_COOKIE_DOMAIN``. With ``None``
        the browser sends the cookie back to this exact host only."""
        domain: str | None = app.config["SESSION_COOKIE_DOMAIN"]
        return domain

    def get_cookie_path(self, app: Flask) -> str:
        """``Path`` attribute: ``SESSION_COOKIE_PATH`` if set, otherwise
        ``APPLICATION_ROOT``."""
        config = app.config
        path: str = config["SESSION_COOKIE_PATH"] or config["APPLICATION_ROOT"]
        return path

    def get_cookie_httponly(self, app: Flask) -> bool:
        """``HttpOnly`` flag, ``SESSION_COOKIE_HTTPONLY``."""
        httponly: bool = app.config["SESSION_COOKIE_HTTPONLY"]
        return httponly

    def get_cookie_secure(self, app: Flask) -> bool:
        """``Secure`` flag, ``SESSION_COOKIE_SECURE``."""
        secure: bool = app.config["SESSION_COOKIE_SECURE"]
        return secure

    def get_cookie_samesite(self, app: Flask) -> str | None:
        """``SameSite`` attribute, ``SESSION_COOKIE_SAMESITE``."""
        samesite: str | None = app.config["SESSION_COOKIE_SAMESITE"]
        return samesite

    def get_cookie_partitioned(self, app: Flask) -> bool:
        """``Partitioned`` flag (CHIPS), ``SESSION_COOKIE_PARTITIONED``."""
        partitioned: bool = app.config["SESSION_COOKIE_PARTITIONED"]
        return partitioned

    def get_expiration_time(self, app: Flask, session: SessionMixin) -> datetime | None:
        """Expiry date for the cookie: ``PERMANENT_SESSION_LIFETIME`` from
        now for a permanent session; ``None``, meaning "when the browser
        closes", for any other."""
        if not session.permanent:
            return None

        return datetime.now(timezone.utc) + app.permanent_session_lifetime

    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        """Return whether the response must carry the cookie: yes if the
        session changed, and also for a permanent one when
        ``SESSION_REFRESH_EACH_REQUEST`` wants its expiry renewed on every
        response."""
        if session.modified:
            return True

        return bool(session.permanent) and app.config["SESSION_REFRESH_EACH_REQUEST"]

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        """Return the session belonging to ``request``; called as the
        request starts.

        ``None`` signals that sessions are unavailable (for example with no
        secret key), in which case the app uses :meth:`make_null_session`.
        """
        raise NotImplementedError()

    def save_session(
        self, app: Flask, session: SessionMixin, response: Response
    ) -> None:
        """Store ``session`` and give ``response`` what the next request
        needs to find it (typically a cookie). Null sessions are not
        passed here."""
        raise NotImplementedError()

    # Internal to flaskrs: what the app asks of its interface besides Flask's
    # hooks. Every interface inherits these answers, which keep Flask's order
    # of calls; only the stock cookie interface gives others.

    def _is_stock_cookie(self) -> bool:
        """Whether this is the signed cookie interface exactly as flaskrs
        ships it, nothing on it replaced: :meth:`open_session` of a request
        without the cookie then only makes an empty session, and saving
        an unused session does nothing unless :meth:`_unused_may_write`
        says it may. The app then opens the session on first use instead
        of as every request starts. ``False`` here, so any other interface
        is opened and saved on every request, as in Flask."""
        return False

    def _unused_may_write(self, app: Flask, request: Request) -> bool:
        """Asked only when :meth:`_is_stock_cookie` says yes, of a request
        whose session was never used: whether opening and saving it could
        still change the response (so it must be done). ``True`` here."""
        return True


# The cookie attributes shared by setting and deleting the session cookie,
# paired with the SessionInterface methods that supply them.
_COOKIE_ATTRIBUTES = (
    ("domain", "get_cookie_domain"),
    ("path", "get_cookie_path"),
    ("secure", "get_cookie_secure"),
    ("partitioned", "get_cookie_partitioned"),
    ("samesite", "get_cookie_samesite"),
    ("httponly", "get_cookie_httponly"),
)


def _lazy_sha1(string: bytes = b"") -> t.Any:
    # Resolving hashlib.sha1 only when a signature is computed keeps systems
    # that restrict SHA-1 (FIPS mode) from failing at import: only apps that
    # really sign cookies with it are affected.
    return hashlib.sha1(string)


# Digest methods that mean HMAC-SHA1, which the native signer computes.
_SHA1 = (_lazy_sha1, hashlib.sha1)

#: The serializer behind the default session cookie; one instance for all
#: apps.
session_json_serializer = TaggedJSONSerializer()

# Instance attributes the cookie interface keeps for itself (memos), which do
# not count as replaced hooks.
_MEMOS = frozenset({"_signer_memo", "_settings_memo"})


class SecureCookieSessionInterface(SessionInterface):
    """Sessions stored in the cookie itself, as tagged JSON signed by
    :mod:`itsdangerous` with ``SECRET_KEY`` (keys in ``SECRET_KEY_FALLBACKS``
    are accepted when reading). A signature older than
    ``PERMANENT_SESSION_LIFETIME`` is rejected, permanent session or not.
    """

    #: Mixed into key derivation, so that values signed with the same secret
    #: key for another purpose are never accepted as sessions.
    salt = "cookie-session"

    #: Hash of the signature. SHA-1, as existing cookies were made with it.
    digest_method = staticmethod(_lazy_sha1)

    #: How itsdangerous derives the signing key from the secret key.
    key_derivation = "hmac"

    #: Converts the session to a string and back. Register tags on it, or
    #: replace it, to allow more types in sessions.
    serializer = session_json_serializer

    #: The type of session :meth:`open_session` produces.
    session_class = SecureCookieSession

    # Memo of get_signing_serializer for this instance: the inputs it was built
    # from and the result. Building one costs more than checking the inputs,
    # and it is needed twice in most requests.
    _signer_memo: tuple[tuple[t.Any, ...], URLSafeTimedSerializer] | None = None

    # Memo of cookie_settings for this instance (see _session_settings).
    _settings_memo: SettingsMemo | None = None

    def _is_stock_cookie(self) -> bool:
        # This very class, with no attribute set on the instance but its
        # memos, and the shipped serializer (which may be replaced on the
        # class): a subclass, or a hook or serializer set on the instance,
        # has Flask's order of calls.
        return (
            type(self) is SecureCookieSessionInterface
            and self.__dict__.keys() <= _MEMOS
            and self.serializer is session_json_serializer
        )

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """Return the :class:`~itsdangerous.URLSafeTimedSerializer` that
        signs and checks ``app``'s session cookies, or ``None`` if the app has
        no secret key, which makes sessions unavailable.

        New signatures use ``SECRET_KEY``. Checking tries ``SECRET_KEY`` and
        then ``SECRET_KEY_FALLBACKS`` from last to first.
        """
        secret_key = app.secret_key

        if not secret_key:
            return None

        fallbacks = tuple(app.config["SECRET_KEY_FALLBACKS"] or ())
        inputs = (
            secret_key,
            fallbacks,
            self.salt,
            self.key_derivation,
            self.digest_method,
            self.serializer,
        )
        memo = self._signer_memo

        if memo is None or memo[0] != inputs:
            # itsdangerous signs with the last key of the list and verifies
            # with all of them, last first.
            keys = [*fallbacks, secret_key]
            signer: URLSafeTimedSerializer
            if (
                self.key_derivation == "hmac"
                and self.digest_method in _SHA1
                and isinstance(self.salt, (str, bytes))
                and all(isinstance(k, (str, bytes)) for k in keys)
            ):
                # Flask's own format: signed in the native core.
                signer = SessionSerializer(
                    keys,
                    self.salt,
                    self.serializer,
                    self.digest_method,
                )
            else:
                signer = URLSafeTimedSerializer(
                    keys,
                    salt=self.salt,
                    serializer=self.serializer,
                    signer_kwargs={
                        "key_derivation": self.key_derivation,
                        "digest_method": self.digest_method,
                    },
                )
            memo = self._signer_memo = (inputs, signer)

        return memo[1]

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """Restore the session from the request's cookie.

        Without a secret key this gives ``None``. A cookie that is absent,
        wrongly signed, expired or unreadable gives a new, empty session.
        """
        settings = cookie_settings(self, app)
        if settings is not None:
            signer = settings.signer
            token = first_cookie(request, settings.name)
            if not token:
                return self.session_class()
            max_age = settings.max_age
        else:
            found = self.get_signing_serializer(app)
            if found is None:
                return None
            signer = found
            token = first_cookie(request, self.get_cookie_name(app))
            if not token:
                return self.session_class()
            # Read only when there is a cookie, as Flask does.
            max_age = int(app.permanent_session_lifetime.total_seconds())

        try:
            contents = signer.loads(token, max_age=max_age)
        except (BadData, OverflowError, ValueError, OSError):
            # Any BadData, not only a bad signature: a properly signed cookie
            # that no longer decodes (its tag was unregistered, say) costs the
            # user the session but does not break all their requests. The
            # others come from itsdangerous's own serializer (a digest other
            # than SHA-1): a signing time past datetime's range, or a cookie
            # that is not text.
            return self.session_class()
        # A signed payload that is not a mapping (signed by something else
        # with the same key) is no session: an empty one, not an error.
        if type(contents) is not dict and not isinstance(contents, c.Mapping):
            return self.session_class()
        return self.session_class(contents)

    def _unused_may_write(self, app: Flask, request: Request) -> bool:
        # Whether saving the session of this request, opened but not used,
        # could write a cookie. Only a refreshed permanent session can: an
        # unchanged one that is not permanent, or whose cookie does not
        # verify or has expired, writes nothing. For Flask's own format, a
        # cookie that verifies but whose payload does not even mention
        # "_permanent" needs no loading to tell. The signature comes first:
        # nothing of a cookie that is not ours is decoded.
        settings = cookie_settings(self, app)
        if settings is None:
            return self.get_cookie_name(app) in request.cookies
        if not settings.refresh:
            return False
        token = first_cookie(request, settings.name)
        if not token:
            return False
        signer = settings.signer
        if type(signer) is not SessionSerializer:
            return True
        return signer._may_mention(token, settings.max_age, b'"_permanent"')

    def save_session(
        self, app: Flask, session: SessionMixin, response: Response
    ) -> None:
        """Put the session into the response's cookie.

        Emptying a session deletes its cookie; an unchanged session is only
        sent again when :meth:`should_set_cookie` asks for it. ``Vary:
        Cookie`` is added whenever the session was used or its cookie is
        written or deleted, so shared caches never serve one visitor's page
        to another.
        """
        settings = cookie_settings(self, app)
        if settings is not None and type(session) is SecureCookieSession:
            if self._save_plain(settings, session, response):
                return
            # Anything unusual: the hooks' way below, same result.

        if session.accessed:
            vary_on_cookie(response)

        if session:
            if not self.should_set_cookie(app, session):
                return

            token = self._sign(app, session)
            expires = self.get_expiration_time(app, session)
            if expires is None:
                set_session_cookie(
                    response,
                    self.get_cookie_name(app),
                    token,
                    self._cookie_attributes(app),
                )
            else:
                response.set_cookie(
                    self.get_cookie_name(app),
                    token,
                    expires=expires,
                    **self._cookie_attributes(app),
                )
        elif session.modified:
            # It held data before this request and was cleared.
            response.delete_cookie(
                self.get_cookie_name(app), **self._cookie_attributes(app)
            )
        else:
            # Empty and untouched: no cookie to send and none to remove.
            return

        if not session.accessed:
            # (An accessed session added it above already.)
            vary_on_cookie(response)

    def _save_plain(
        self,
        settings: CookieSettings,
        session: SecureCookieSession,
        response: Response,
    ) -> bool:
        # What the hooks decide, from the settings, when no cookie is due
        # or a changed session that is not permanent is due one; False
        # (nothing done) for the rest.
        if session.get(_PERMANENT_KEY, False):
            if session.modified or settings.refresh:
                # Due a cookie with an expiry date: the hooks' way.
                return False
        elif session.modified:
            if not session:
                # Emptied: its cookie is deleted, the hooks' way.
                return False
            if settings.template is None:
                return False
            token = settings.signer.dumps(dict(session))
            return write_cookie_and_vary(
                response, settings.template, token, session.accessed
            )
        # No cookie is due.
        if session.accessed:
            vary_on_cookie(response)
        return True

    def _cookie_attributes(self, app: Flask) -> dict[str, t.Any]:
        settings = cookie_settings(self, app)
        if settings is not None:
            # The getters are this class's own: what they give, worked out.
            return settings.attributes
        return {
            option: getattr(self, getter)(app) for option, getter in _COOKIE_ATTRIBUTES
        }

    def _sign(self, app: Flask, session: SessionMixin) -> str:
        signer = self.get_signing_serializer(app)
        assert signer is not None, "save_session is not called without a secret key"
        return signer.dumps(dict(session))
