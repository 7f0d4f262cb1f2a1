"""benches/bench_instructions.py: reading callgrind's total, the ratio of the
frameworks' own parts, the bare floor's answer, and one real count (valgrind
is on every machine this project builds on; without it the count is
skipped, saying so)."""

from __future__ import annotations

import shutil
from types import ModuleType
from types import SimpleNamespace

import pytest

from bench_scripts import load_bench


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_bench("bench_instructions")


def test_read_total_takes_the_summary_line(bench: ModuleType) -> None:
    out = "creator: callgrind-3.19.0\nevents: Ir\nsummary: 238852261\nfl=x\n"
    assert bench.read_total(out) == 238852261
    with pytest.raises(ValueError):
        bench.read_total("events: Ir\ntotals: 12\n")


def test_framework_ratio_takes_the_floor_off_both(bench: ModuleType) -> None:
    # 110 and 30 over a floor of 10: the frameworks' own parts are 100 and 20.
    assert bench.framework_ratio(110.0, 30.0, 10.0) == 5.0
    assert bench.framework_ratio(110.0, 30.0, 0.0) == pytest.approx(110 / 30)


def test_bare_app_answers_the_scenarios_status_and_body(bench: ModuleType) -> None:
    scenario = SimpleNamespace(expect=b"Hello", status=404)
    seen = []
    body = bench.bare_app(scenario)({}, lambda s, h: seen.append((s, h)))
    assert body == [b"Hello"]
    assert seen == [("404 X", [("Content-Length", "5")])]


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind not on PATH")
def test_counts_fewer_instructions_for_a_bare_callable_than_for_flaskrs(
    bench: ModuleType,
) -> None:
    floor = bench.count("bare", "hello", 50)
    flaskrs = bench.count("flaskrs", "hello", 50)
    # The floor is a dict copy, a BytesIO and a join: thousands of
    # instructions; a flaskrs request is tens of thousands more.
    assert 1_000 < floor < flaskrs
    assert flaskrs - floor > 20_000
