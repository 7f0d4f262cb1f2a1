"""The leaf helpers of ``flaskrs._text``: JSON text read as ``json.loads``
reads it, WSGI strings as the text they carry, and no import of our own."""

from __future__ import annotations

import ast
import json
import math
import pathlib
import typing as t

from hypothesis import given
from hypothesis import strategies as st

import flaskrs._text as text

SOURCE = pathlib.Path(text.__file__)

JSON_TEXTS = st.one_of(
    st.text(),
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False)
        | st.text(),
        lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
        max_leaves=10,
    ).map(json.dumps),
).flatmap(
    lambda s: st.tuples(
        st.sampled_from(["", " ", "\n", "\t\r", "\x0c"]),
        st.just(s),
        st.sampled_from(["", " ", "\n \t", "x", " 1", "\x00"]),
    ).map("".join)
)


def test_the_module_imports_nothing_of_ours() -> None:
    tree = ast.parse(SOURCE.read_text("utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0, ast.unparse(node)
            assert not (node.module or "").startswith("flaskrs")
        elif isinstance(node, ast.Import):
            assert all(not a.name.startswith("flaskrs") for a in node.names)


def _outcome(loads: t.Callable[[str], t.Any], s: str) -> tuple[str, t.Any]:
    try:
        value = loads(s)
    except Exception as e:
        return type(e).__name__, str(e)
    # NaN is not equal to itself: compare its repr.
    if isinstance(value, float) and math.isnan(value):
        return "nan", None
    return "ok", value


@given(JSON_TEXTS)
def test_loads_text_is_json_loads(s: str) -> None:
    assert _outcome(text.loads_text, s) == _outcome(json.loads, s)


def test_wsgi_text() -> None:
    assert text.wsgi_text("/plain") == "/plain"
    assert text.wsgi_text("/caf\xc3\xa9") == "/café"
    assert text.wsgi_text("/bad\xff") == "/bad\ufffd"
