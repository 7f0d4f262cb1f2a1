"""``Request.cookies`` of flaskrs against Werkzeug's own ``Request``."""

from __future__ import annotations

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request as WerkzeugRequest

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
