"""What the session cookie's settings come to for the cookie interface as
Flask ships it, worked out once per change of configuration instead of
through a dozen hook calls on every request.

Only the interface that says it is the stock one
(:meth:`~flaskrs.sessions.SessionInterface._is_stock_cookie`) takes this
path: a subclass, or an instance that overrides a hook, has its hooks called,
as in Flask.
"""

from __future__ import annotations

import typing as t
from operator import itemgetter

from ._cookies import _cookie_template

if t.TYPE_CHECKING:  # pragma: no cover
    from itsdangerous import URLSafeTimedSerializer

    from .app import Flask
    from .sessions import SecureCookieSessionInterface

# Everything in the configuration the cookie depends on, read in one call.
_read_config = itemgetter(
    "SECRET_KEY",
    "PERMANENT_SESSION_LIFETIME",
    "SESSION_COOKIE_NAME",
    "SESSION_COOKIE_DOMAIN",
    "SESSION_COOKIE_PATH",
    "APPLICATION_ROOT",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_PARTITIONED",
    "SESSION_COOKIE_SAMESITE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_REFRESH_EACH_REQUEST",
    "SECRET_KEY_FALLBACKS",
)
# Where the fallback keys sit in what _read_config gives.
_FALLBACKS = 11


class CookieSettings:
    """The values the interface's hooks give for one configuration."""

    __slots__ = ("signer", "name", "max_age", "refresh", "attributes", "template")

    def __init__(
        self, signer: URLSafeTimedSerializer, config: tuple[t.Any, ...], max_age: int
    ) -> None:
        name, domain, path, root, secure, partitioned, samesite, httponly = config[2:10]
        self.signer = signer
        self.name: str = name
        self.max_age = max_age
        self.refresh: bool = config[10]
        #: What the get_cookie_* hooks give, as set_cookie's keywords.
        self.attributes: dict[str, t.Any] = {
            "domain": domain,
            "path": path or root,
            "secure": secure,
            "partitioned": partitioned,
            "samesite": samesite,
            "httponly": httponly,
        }
        try:
            self.template = _cookie_template(
                name, path or root, domain, secure, httponly, samesite, partitioned
            )
        except Exception:
            # Settings Werkzeug refuses (a SameSite it does not know, say) or
            # cannot cache: its set_cookie says what is wrong, and only when
            # a cookie is written, as in Flask.
            self.template = None


def _reads_config(cls: type[Flask]) -> bool:
    # Whether the app class's secret_key and permanent_session_lifetime are
    # Flask's own (the config values, the latter as a timedelta).
    from .sansio.app import App

    own = App.__dict__
    return (
        cls.secret_key is own["secret_key"]
        and cls.permanent_session_lifetime is own["permanent_session_lifetime"]
    )


#: What the interface remembers of the last call: the configuration, the app
#: class, the class attributes the signer is built from, and the settings.
SettingsMemo = tuple[
    tuple[t.Any, ...], type, t.Any, t.Any, t.Any, t.Any, "CookieSettings | None"
]


def cookie_settings(
    interface: SecureCookieSessionInterface, app: Flask
) -> CookieSettings | None:
    """The settings of ``interface`` for ``app`` when it is the stock cookie
    interface; None otherwise, without a secret key, or when the app class
    computes the key or the lifetime its own way."""
    if not interface._is_stock_cookie():
        return None
    try:
        config = _read_config(app.config)
    except KeyError:
        # A setting was removed from the config: the hooks raise for it.
        return None
    memo = interface._settings_memo
    if (
        memo is not None
        and memo[0] == config
        and memo[1] is type(app)
        # Class attributes, replaceable on the class: by identity.
        and memo[2] is interface.serializer
        and memo[3] is interface.salt
        and memo[4] is interface.digest_method
        and memo[5] is interface.key_derivation
    ):
        return memo[6]
    settings = None
    if _reads_config(type(app)):
        signer = interface.get_signing_serializer(app)
        try:
            max_age = int(app.permanent_session_lifetime.total_seconds())
        except Exception:
            # A lifetime that is no number of seconds: the hooks' way fails
            # as Flask does, when a cookie needs it.
            signer = None
        if signer is not None:
            settings = CookieSettings(signer, config, max_age)
    # Kept with a copy of a fallback list, so that changing the list in
    # place is noticed next time.
    kept = list(config)
    if type(kept[_FALLBACKS]) is list:
        kept[_FALLBACKS] = list(kept[_FALLBACKS])
    interface._settings_memo = (
        tuple(kept),
        type(app),
        interface.serializer,
        interface.salt,
        interface.digest_method,
        interface.key_derivation,
        settings,
    )
    return settings
