"""The pure parts of benches/bench_servers.py: oha's report, /proc
accounting, the answer comparison and the pins. No server, no oha: the
bench itself is run by ``make bench-servers``."""

from __future__ import annotations

import importlib.util
import json
import math
from types import ModuleType

import pytest
from werkzeug.exceptions import NotFound

from bench_scripts import load_bench


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_bench("bench_servers")


def test_stat_cpu_ticks_counts_after_the_command_name(bench: ModuleType) -> None:
    # A command name with spaces and a ")" must not shift the fields.
    line = (
        "4242 (granian (w) x) S 1 4242 4242 0 -1 4194560 1500 0 0 0 "
        "730 121 0 0 20 0 3 0 12345 100000 2000 18446744073709551615\n"
    )
    assert bench.stat_cpu_ticks(line) == 851


def test_stat_children(bench: ModuleType) -> None:
    assert bench.stat_children("12 345 \n") == [12, 345]
    assert bench.stat_children("") == []


def test_cpu_delta_counts_processes_born_in_the_window(bench: ModuleType) -> None:
    assert bench.cpu_delta({1: 10, 2: 5}, {1: 15, 2: 5, 3: 4}) == 9


def oha_report(codes: dict[str, int], errors: dict[str, int]) -> str:
    # The shape of oha 1.16's --output-format json, cut to what is read.
    return json.dumps(
        {
            "summary": {"successRate": 1.0, "total": 2.0, "requestsPerSec": 1.0},
            "statusCodeDistribution": codes,
            "errorDistribution": errors,
        }
    )


def test_parse_oha_counts_the_expected_status_only(bench: ModuleType) -> None:
    load = bench.parse_oha(
        oha_report(
            {"404": 990, "500": 4},
            {"aborted due to deadline": 16, "connection closed": 2},
        ),
        404,
    )
    assert (load.served, load.other, load.errors) == (990, 4, 2)
    assert load.rate == 495.0


def test_parse_oha_without_answers(bench: ModuleType) -> None:
    load = bench.parse_oha(oha_report({}, {}), 200)
    assert load.served == 0 and load.rate == 0.0


def answer(bench: ModuleType, **kwargs: object) -> object:
    fields: dict[str, object] = {
        "status": 200,
        "headers": {"content-type": "text/html", "date": "Mon"},
        "body": b"Hello",
    }
    fields.update(kwargs)
    return bench.Answer(**fields)


def test_compare_answers_same(bench: ModuleType) -> None:
    other = answer(bench, headers={"content-type": "text/html", "date": "Tue"})
    assert bench.compare_answers(answer(bench), other) == []


def test_compare_answers_reports_each_difference(bench: ModuleType) -> None:
    other = answer(
        bench, status=500, headers={"content-type": "text/plain"}, body=b"Oops"
    )
    differences = bench.compare_answers(answer(bench), other)
    assert len(differences) == 3
    assert differences[0] == "status 200 != 500"
    assert differences[1].startswith("content-type")


def test_compare_answers_cookie_ignores_timestamp_not_content(
    bench: ModuleType,
) -> None:
    def with_cookie(value: str) -> object:
        return answer(bench, headers={"set-cookie": value})

    a = with_cookie("session=eyJjIjoxfQ.aAAAAA.sig1; HttpOnly; Path=/")
    b = with_cookie("session=eyJjIjoxfQ.aAAAAB.sig2; HttpOnly; Path=/")
    c = with_cookie("session=eyJjIjoyfQ.aAAAAA.sig1; HttpOnly; Path=/")
    assert bench.compare_answers(a, b) == []
    assert len(bench.compare_answers(a, c)) == 1
    assert len(bench.compare_answers(a, answer(bench, headers={}))) == 1


def test_geomean(bench: ModuleType) -> None:
    assert math.isclose(bench.geomean([2.0, 8.0]), 4.0)
    assert bench.geomean([]) == 0.0


def test_requirement_pins_match_the_file(bench: ModuleType) -> None:
    pins = bench.requirement_pins(bench.REQUIREMENTS.read_text())
    assert set(pins) == {"granian", "gunicorn", "fastapi"}
    assert bench.requirement_pins("a==1  # why\n# b==2\nc>=3\n") == {"a": "1"}


def test_every_timed_route_is_the_apps(bench: ModuleType) -> None:
    # The app module on the real Flask: each timed request reaches the view
    # it is named for (the 404 none), so a renamed route cannot turn a row
    # into a row of 404s.
    spec = importlib.util.spec_from_file_location(
        "bench_servers_app", bench.APPS / "app.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    adapter = module.app.url_map.bind("localhost")
    for route in bench.ROUTES:
        if route.status == 404:
            with pytest.raises(NotFound):
                adapter.match(route.path, method=route.method)
        else:
            endpoint, _ = adapter.match(route.path, method=route.method)
            assert endpoint in module.app.view_functions


def test_geomean_skips_missing_ratios(bench: ModuleType) -> None:
    assert math.isclose(bench.geomean([2.0, math.nan, 8.0, 0.0]), 4.0)


def test_loopback_urls_name_loopback_only(bench: ModuleType) -> None:
    assert bench.loopback_urls(8000, ["/", "/user/1"]) == [
        "http://127.0.0.1:8000/",
        "http://127.0.0.1:8000/user/1",
    ]
    # A path that could move the host or smuggle a request is refused.
    for path in ["@10.0.0.1/", "user", "/a b", "/a\r\nHost: x", "/?q"]:
        with pytest.raises(ValueError):
            bench.loopback_urls(8000, [path])


def test_rate_cell_stars_a_generator_bound_server(bench: ModuleType) -> None:
    def sample(busy: float) -> object:
        return bench.Sample(
            rate=1000.0,
            cpu_us=50.0,
            served=1000,
            other=0,
            errors=0,
            server_busy=busy,
            load_busy=1.0,
        )

    assert bench.rate_cell([sample(0.99)]) == "1000 "
    assert bench.rate_cell([sample(0.5)]) == "1000*"
