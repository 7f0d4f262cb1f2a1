"""``Request.cookies`` of flaskrs against Werkzeug's own ``Request``."""

from __future__ import annotations

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request as WerkzeugRequest

from flaskrs.wrappers import first_cookie
from flaskrs.wrappers import Request

PIECES = ["a=1", "b=", "=c", ' d = "q\\"x" ', "e=\\303\\251", ";", " ", "f", "g=1=2"]


@settings(max_examples=1000, deadline=None)
@given(
    header=st.none()
    | st.lists(st.sampled_from(PIECES), max_size=6).map("; ".join)
    | st.text(max_size=30)
    # Few characters, so that the separators meet in every arrangement.
    | st.text(alphabet=' =;ab"\t\\é\r\n,', max_size=24)
)
def test_cookies_parse_as_in_werkzeug(header: str | None) -> None:
    env = EnvironBuilder().get_environ()
    if header is not None:
        env["HTTP_COOKIE"] = header
    ours = Request(dict(env)).cookies
    theirs = WerkzeugRequest(dict(env)).cookies
    assert type(ours) is type(theirs)
    assert list(ours.items(multi=True)) == list(theirs.items(multi=True))


# Repeated and spaced names, for looking one up.
LOOKUP_PIECES = [*PIECES, "a=2", " a = 3 ", "a b=4", "a=5 6"]


@settings(max_examples=1000, deadline=None)
@given(
    header=st.none()
    | st.lists(st.sampled_from(LOOKUP_PIECES), max_size=6).map("; ".join)
    | st.text(alphabet=' =;ab"\t\\é', max_size=24),
    name=st.sampled_from(["a", "b", "f", "a b", "", "z"]),
    parsed_first=st.booleans(),
)
def test_first_cookie_is_cookies_get(
    header: str | None, name: str, parsed_first: bool
) -> None:
    env = EnvironBuilder().get_environ()
    if header is not None:
        env["HTTP_COOKIE"] = header
    request = Request(dict(env))
    if parsed_first:
        request.cookies  # noqa: B018 - parsed before the lookup
    assert first_cookie(request, name) == WerkzeugRequest(dict(env)).cookies.get(name)
