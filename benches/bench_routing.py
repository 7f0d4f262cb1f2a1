"""The router against Werkzeug's, side by side in one process.

A 300-rule table in the shape of a REST API is added to a Werkzeug ``Map``
and to a ``flaskrs.routing.Map``; both are bound the way Flask binds them,
then ``match`` (a spread of paths over the table) and ``build`` (the rule
with a path converter and one with a query string, with the same
arguments each time; and one with a new value each time) are timed in
alternating rounds. CPU time of this process is measured, so being
descheduled does not count. Prints the median per-call time of each and the
median of the per-round speed-ups with their spread.

    python benches/bench_routing.py [--rounds 9] [--seconds 0.2]
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time
import typing as t
import uuid

from werkzeug import routing as wz

from flaskrs import routing as rs

NOUNS = ["repos", "orgs", "users", "gists", "teams"]
NOUNS += ["issues", "pulls", "projects", "apps", "markets"]
CHILDREN = ["comments", "events", "labels", "milestones", "hooks"]
CHILDREN += ["keys", "branches", "commits", "releases", "assets"]


def rule_table() -> list[str]:
    """Thirty rules for each of ten top-level nouns: 300 in all."""

    rules = []
    for noun in NOUNS:
        base = f"/{noun}/<owner>/<name>"
        rules += [f"/{noun}", f"/{noun}/<int:id>", f"/{noun}/<int:id>/events"]
        rules += [base, f"{base}/contents", f"{base}/compare/<left>...<right>"]
        rules += [f"{base}/stats/<int:year>/<int(fixed_digits=2):month>"]
        for child in CHILDREN:
            rules += [f"{base}/{child}", f"{base}/{child}/<int:child_id>"]
        rules += [
            f"{base}/contents/<path:path>",
            f"{base}/runs/<uuid:run>",
            f"{base}/state/<any(open,closed,all):state>",
        ]
    return rules


def request_paths() -> list[str]:
    run = uuid.UUID(int=5)
    paths = []
    for noun in NOUNS[::3] + NOUNS[-1:]:
        base = f"/{noun}/pallets/flask"
        paths += [
            f"/{noun}/42",
            f"{base}/releases/7",
            f"{base}/contents/src/a/b.py",
            f"{base}/runs/{run}",
            f"{base}/state/open",
            f"{base}/hooks",
            f"{base}/compare/main...dev",
            f"{base}/stats/2026/07",
        ]
    return paths


def bound(module: t.Any) -> t.Any:
    url_map = module.Map()
    for i, rule in enumerate(rule_table()):
        url_map.add(module.Rule(rule, endpoint=f"r{i}"))
    return url_map.bind("localhost", "/")


def cases(adapter: t.Any) -> dict[str, t.Callable[[], object]]:
    paths = request_paths()
    table = rule_table()
    contents = f"r{table.index('/markets/<owner>/<name>/contents/<path:path>')}"
    by_id = f"r{table.index('/markets/<int:id>')}"

    def match() -> object:
        return [adapter.match(p) for p in paths]

    def build() -> object:
        return adapter.build(
            contents, {"owner": "pallets", "name": "flask", "path": "a/b.py"}
        )

    def build_query() -> object:
        return adapter.build(by_id, {"id": 42, "page": 3})

    ids = itertools.count()

    def build_new() -> object:
        return adapter.build(by_id, {"id": next(ids)})

    return {
        "match": match,
        "build": build,
        "build+query": build_query,
        "build, new": build_new,
    }


def per_call(fn: t.Callable[[], object], seconds: float) -> float:
    """Seconds of CPU per call, over batches filling ``seconds``."""
    batch = 1
    while True:
        start = time.process_time()
        for _ in range(batch):
            fn()
        spent = time.process_time() - start
        if spent >= seconds:
            return spent / batch
        # Aim a little past the target, growing at most tenfold a step.
        wanted = int(batch * 1.2 * seconds / max(spent, 1e-9))
        batch = min(max(batch * 2, wanted), batch * 10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--seconds", type=float, default=0.2)
    args = parser.parse_args()

    werkzeug_cases = cases(bound(wz))
    our_cases = cases(bound(rs))
    for name, fn in werkzeug_cases.items():
        if name != "build, new" and fn() != our_cases[name]():
            raise SystemExit(f"{name}: flaskrs and Werkzeug disagree")

    per_match = len(request_paths())
    print(f"{'case':<12} {'werkzeug us':>12} {'flaskrs us':>11} {'speed-up':>9}")
    for name in werkzeug_cases:
        theirs, ours, ratios = [], [], []
        for _ in range(args.rounds):
            a = per_call(werkzeug_cases[name], args.seconds)
            b = per_call(our_cases[name], args.seconds)
            theirs.append(a)
            ours.append(b)
            ratios.append(a / b)
        scale = 1e6 / (per_match if name == "match" else 1)
        print(
            f"{name:<12} {statistics.median(theirs) * scale:12.3f}"
            f" {statistics.median(ours) * scale:11.3f}"
            f" {statistics.median(ratios):8.2f}x"
            f"  ({min(ratios):.2f}-{max(ratios):.2f})",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
