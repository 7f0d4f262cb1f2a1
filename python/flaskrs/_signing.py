"""The session cookie's serializer, with signing, verification and the
tagged JSON done by the native core.

It is an itsdangerous ``URLSafeTimedSerializer`` (every attribute and method
of one is there, for code that uses the serializer directly), configured as
Flask configures it; ``dumps`` and ``loads`` without a salt of their own go
through ``flaskrs._core`` and give the same cookies and the same results.
"""

from __future__ import annotations

import time
import typing as t
from datetime import datetime
from datetime import timezone

from itsdangerous import BadPayload
from itsdangerous import BadSignature
from itsdangerous import BadTimeSignature
from itsdangerous import Serializer
from itsdangerous import SignatureExpired
from itsdangerous import URLSafeTimedSerializer

from ._core import SessionSigner
from ._core import SignatureError
from ._core import untag
from ._text import loads_text
from .globals import _cv_app
from .json.provider import _default
from .json.provider import DefaultJSONProvider
from .json.tag import TaggedJSONSerializer

# The last second datetime holds: 9999-12-31 23:59:59 UTC.
_LAST_DATETIME = 253_402_300_799


def _native_sorting(serializer: t.Any) -> bool | None:
    """How the native functions must encode tagged JSON to give what
    ``serializer`` gives right now: with sorted keys (True) or not (False);
    None when only the serializer itself can (tags of its own, or an app
    JSON provider that is not the default one as configured by default)."""
    if (
        type(serializer) is not TaggedJSONSerializer
        or serializer._fast_order is None
        or serializer.order != serializer._fast_order
    ):
        return None
    ctx = _cv_app.get(None)
    if ctx is None:
        return False
    provider = ctx.app.json
    if type(provider) is not DefaultJSONProvider:
        return None
    own = provider.__dict__
    if (
        "dumps" not in own
        and "loads" not in own
        and provider.default is _default
        and provider.ensure_ascii is True
    ):
        return bool(provider.sort_keys)
    return None


class SessionSerializer(URLSafeTimedSerializer):
    """``URLSafeTimedSerializer(secret_keys, salt, serializer=..., signer
    _kwargs={"key_derivation": "hmac", "digest_method": sha1})``."""

    def __init__(
        self,
        secret_keys: list[str] | list[bytes],
        salt: str | bytes,
        serializer: t.Any,
        digest_method: t.Any,
    ) -> None:
        super().__init__(
            secret_keys,
            salt=salt,
            serializer=serializer,
            signer_kwargs={"key_derivation": "hmac", "digest_method": digest_method},
        )
        self._native = SessionSigner(self.secret_keys, salt)

    def dumps(self, obj: t.Any, salt: str | bytes | None = None) -> str:
        if salt is not None:
            return super().dumps(obj, salt)
        now = int(time.time())
        sort = _native_sorting(self.serializer)
        if sort is not None:
            cookie = self._native.sign_value(obj, sort, now)
            if cookie is not None:
                return cookie
        return self._native.sign(self.serializer.dumps(obj).encode("utf-8"), now)

    # TimedSerializer.loads's signature (max_age before salt), not Serializer's.
    def loads(  # type: ignore[override]
        self,
        s: str | bytes,
        max_age: int | None = None,
        return_timestamp: bool = False,
        salt: str | bytes | None = None,
    ) -> t.Any:
        if salt is not None or (max_age is not None and type(max_age) is not int):
            # Another salt, or an age limit that is not a plain int (a float
            # from total_seconds(), say): itsdangerous's own steps.
            return self._loads_itsdangerous(s, max_age, return_timestamp, salt)
        native = self._native
        now = int(time.time())
        if _native_sorting(self.serializer) is not None:
            try:
                value, stamp = native.unsign_value(s, max_age, now)
            except SignatureError as e:
                if e.kind != "payload":
                    raise _itsdangerous_error(e) from None
                # Unusual JSON: the text and json.loads give the exact error.
                value, stamp = self._from_text(s, max_age, now)
            except Exception as e:
                raise BadPayload(
                    "The session payload is not tagged JSON.", original_error=e
                ) from e
        else:
            try:
                payload, stamp = native.unsign(s, max_age, now)
            except SignatureError as e:
                raise _itsdangerous_error(e) from None
            # itsdangerous's own step from verified bytes to the value.
            value = Serializer.load_payload(self, payload)
        if stamp > _LAST_DATETIME:
            # itsdangerous makes a datetime of every signing time, and fails
            # on one past year 9999 with the conversion's own error.
            raise BadTimeSignature("Malformed timestamp")
        if return_timestamp:
            signed_at = _utc(stamp)
            if signed_at is None:
                raise BadTimeSignature("Malformed timestamp")
            return value, signed_at
        return value

    def _may_mention(self, s: str | bytes, max_age: int, needle: bytes) -> bool:
        """Whether the payload of ``s``, if signed and not expired, may hold
        ``needle`` as written by this serializer: False only when the native
        core verified it and found no such bytes in it. The signature comes
        first, so nothing of a cookie that is not ours is decoded."""
        if _native_sorting(self.serializer) is None:
            # Tags or a JSON provider of the app's own may write it otherwise.
            return True
        return self._native.signed_payload_contains(
            s, max_age, int(time.time()), needle
        )

    def _loads_itsdangerous(
        self,
        s: str | bytes,
        max_age: t.Any,
        return_timestamp: bool,
        salt: str | bytes | None,
    ) -> t.Any:
        try:
            return super().loads(s, max_age, return_timestamp, salt)
        except UnicodeError as e:
            # A str with lone surrogates: no key can have signed it.
            raise BadSignature("The cookie is not valid text") from e
        except (OverflowError, ValueError, OSError) as e:
            # A signing time past what datetime holds, which itsdangerous
            # lets through as the conversion's own error.
            raise BadTimeSignature("Malformed timestamp") from e

    def _from_text(self, s: str | bytes, max_age: int | None, now: int) -> t.Any:
        try:
            text, stamp = self._native.unsign_text(s, max_age, now)
        except SignatureError as e:
            raise _itsdangerous_error(e) from None
        try:
            return untag(loads_text(text)), stamp
        except Exception as e:
            raise BadPayload(
                "The session payload is not tagged JSON.", original_error=e
            ) from e


def _utc(stamp: int | None) -> datetime | None:
    """The signing time as itsdangerous gives it (an aware UTC datetime), or
    None when datetime cannot hold it."""
    if stamp is None:
        return None
    try:
        return datetime.fromtimestamp(stamp, tz=timezone.utc)
    except (OverflowError, ValueError, OSError):
        return None


def _itsdangerous_error(e: SignatureError) -> Exception:
    # The exception itsdangerous raises for the same failure; one whose
    # signing time is out of datetime's range has no date_signed, where
    # itsdangerous raises the conversion's OverflowError or ValueError.
    message = str(e)
    if e.kind == "payload":
        return BadPayload(message)
    if e.kind == "expired":
        return SignatureExpired(message, date_signed=_utc(e.timestamp))
    return BadTimeSignature(message)
