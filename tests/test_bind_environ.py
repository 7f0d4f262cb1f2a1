"""``Map.bind_to_environ`` on a plain environ takes a native path
(``_core.bind_environ``); an environ reached through a request object takes
the Python one. On generated environs both must give the same adapter, the
same exception and the same warnings, and both the adapter Werkzeug's own
``Map`` gives."""

from __future__ import annotations

import typing as t
import warnings

import werkzeug.routing as wz
from hypothesis import example
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

import flaskrs.routing as rs
from flaskrs import _core

FIELDS = (
    "server_name",
    "script_name",
    "subdomain",
    "url_scheme",
    "path_info",
    "default_method",
    "query_args",
    "websocket",
)

HOSTS = ["example.com", "Example.COM:8080", "api.example.com", "ä.example.com"]
HOSTS += ["a..b", "x" * 70 + ".com", "ex.com:80", "[::1]:5000", "\udcff", ""]
TEXTS = ["/", "", "/app", "/app/", "/ä", "/\xc3\xa4", "/a%20b", "/\udcff", "/\x00"]
QUERIES = ["", "a=1", "q=\xe4", "x=%zz&y"]


def _text_or_missing(values: list[str]) -> st.SearchStrategy[str | None]:
    return st.one_of(st.none(), st.sampled_from(values), st.text(max_size=12))


environs = st.fixed_dictionaries(
    {
        "wsgi.url_scheme": st.sampled_from(["http", "https", "ftp"]),
        "REQUEST_METHOD": st.sampled_from(["GET", "POST", "get", "PATCH"]),
    },
    optional={
        "HTTP_HOST": _text_or_missing(HOSTS),
        "SERVER_NAME": _text_or_missing(HOSTS),
        "SERVER_PORT": st.sampled_from(["80", "443", "8080", ""]),
        "SCRIPT_NAME": _text_or_missing(TEXTS),
        "PATH_INFO": _text_or_missing(TEXTS),
        "QUERY_STRING": _text_or_missing(QUERIES),
        "HTTP_UPGRADE": st.sampled_from(["websocket", "WebSocket", "h2c"]),
        "HTTP_CONNECTION": st.sampled_from(["Upgrade", "keep-alive, upgrade", "x"]),
    },
).map(lambda env: {k: v for k, v in env.items() if v is not None})


class _Holder:
    """Something with an ``environ``, like a request: not a dict, so
    ``bind_to_environ`` takes its Python path."""

    def __init__(self, environ: dict[str, t.Any]) -> None:
        self.environ = environ


def _bind(url_map: t.Any, environ: t.Any, *args: t.Any) -> t.Any:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        try:
            adapter = url_map.bind_to_environ(environ, *args)
            outcome: t.Any = tuple(getattr(adapter, f) for f in FIELDS)
        except Exception as e:  # noqa: BLE001 - the exception is the answer
            outcome = (type(e).__name__, str(e))
    return outcome, [(w.category, str(w.message)) for w in seen]


def _is_wsgi_text(value: str) -> bool:
    """PEP 3333: environ strings hold latin-1 code points."""
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def _maps(module: t.Any, host_matching: bool) -> t.Any:
    return module.Map([module.Rule("/", endpoint="root")], host_matching=host_matching)


@settings(max_examples=300, deadline=None)
@given(
    environ=environs,
    server_name=st.sampled_from([None, "example.com", "EXAMPLE.com:80", "b.c:443"]),
    subdomain=st.sampled_from([None, "", "api"]),
    host_matching=st.booleans(),
)
@example(
    environ={"wsgi.url_scheme": "http", "REQUEST_METHOD": "GET", "PATH_INFO": "/\xe4"},
    server_name=None,
    subdomain="",
    host_matching=False,
)
@example(
    environ={
        "wsgi.url_scheme": "https",
        "REQUEST_METHOD": "GET",
        "HTTP_HOST": "api.example.com",
        "HTTP_UPGRADE": "websocket",
        "HTTP_CONNECTION": "keep-alive, Upgrade",
    },
    server_name="example.com",
    subdomain=None,
    host_matching=False,
)
def test_native_and_python_binding_agree(
    environ: dict[str, t.Any],
    server_name: str | None,
    subdomain: str | None,
    host_matching: bool,
) -> None:
    ours = _maps(rs, host_matching)
    fast = _bind(ours, dict(environ), server_name, subdomain)
    slow = _bind(ours, _Holder(dict(environ)), server_name, subdomain)
    assert fast == slow
    if all(_is_wsgi_text(v) for v in environ.values()):
        # Werkzeug is the oracle for valid environs; with text no WSGI
        # server sends, two errors may be found in another order.
        theirs = _bind(_maps(wz, host_matching), dict(environ), server_name, subdomain)
        assert fast == theirs


def test_native_path_is_taken_for_a_plain_environ() -> None:
    """The fast path answers a plain environ itself (``None`` would mean the
    Python path did the work and the test above compared a path with
    itself), and leaves the rest to Python."""
    url_map = rs.Map([rs.Rule("/", endpoint="root")])
    env = {
        "wsgi.url_scheme": "http",
        "REQUEST_METHOD": "GET",
        "HTTP_HOST": "example.com",
        "PATH_INFO": "/",
    }

    def native(environ: t.Any, server_name: str | None = None) -> t.Any:
        return _core.bind_environ(
            rs.MapAdapter,
            url_map,
            url_map._routes,
            url_map.host_matching,
            environ,
            server_name,
            None,
            rs._host_binding,
        )

    adapter = native(env)
    assert type(adapter) is rs.MapAdapter
    assert (adapter.server_name, adapter.path_info) == ("example.com", "/")
    # Left to Python: latin-1 text, a non-str value, a missing scheme, a
    # request object, and a host outside the server name (it warns).
    assert native({**env, "PATH_INFO": "/\xe4"}) is None
    assert native({**env, "SERVER_PORT": 80}) is None
    assert native({k: v for k, v in env.items() if k != "wsgi.url_scheme"}) is None
    assert native(_Holder(env)) is None
    assert native(env, "other.org") is None
    # A class that is not an adapter is refused before anything is made.
    assert (
        _core.bind_environ(
            dict,  # type: ignore[type-var]
            url_map,
            url_map._routes,
            False,
            env,
            None,
            None,
            rs._host_binding,
        )
        is None
    )
