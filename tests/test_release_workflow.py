"""The release workflow (.github/workflows/release.yml) cannot run here, so
what can be read off it is checked: it builds the abi3 feature sets and the
Linux tags that `make wheels` builds, pins every action to a release, and
publishes only on a version tag, by trusted publishing, after every build and
test job. (`make lint` checks it against GitHub's workflow schema.)"""

from __future__ import annotations

import re
import typing as t
from pathlib import Path

import pytest
from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parent.parent
BUILD_JOBS = ("linux", "macos", "windows")


@pytest.fixture(scope="module")
def workflow() -> dict[str, t.Any]:
    loaded: dict[str, t.Any] = YAML(typ="safe").load(
        (REPO / ".github" / "workflows" / "release.yml").read_text()
    )
    return loaded


def _wheels_recipe() -> str:
    makefile = (REPO / "Makefile").read_text()
    found = re.search(r"^wheels:.*\n((?:\t.*\n|#.*\n)+)", makefile, re.MULTILINE)
    assert found is not None, "no wheels target in the Makefile"
    return found.group(1)


def _make_wheels_features() -> set[str]:
    return set(re.findall(r"-F extension-module,(abi3-py\d+)", _wheels_recipe()))


def _abis_of(job: dict[str, t.Any]) -> set[str]:
    matrix = job["strategy"]["matrix"]
    if "abi" in matrix:
        return set(matrix["abi"])
    return {entry["abi"] for entry in matrix["include"]}


def test_make_wheels_builds_both_abi3_feature_sets() -> None:
    assert _make_wheels_features() == {"abi3-py39", "abi3-py310"}


@pytest.mark.parametrize("job", BUILD_JOBS)
def test_each_platform_builds_the_feature_sets_of_make_wheels(
    workflow: dict[str, t.Any], job: str
) -> None:
    built = workflow["jobs"][job]
    assert _abis_of(built) == _make_wheels_features()
    args = " ".join(
        step["with"]["args"]
        for step in built["steps"]
        if str(step.get("uses", "")).startswith("PyO3/maturin-action@")
    )
    assert "-F extension-module,${{ matrix.abi }}" in args
    assert "--release" in args


def test_linux_builds_the_tags_of_make_wheels(workflow: dict[str, t.Any]) -> None:
    recipe = _wheels_recipe()
    local = set(re.findall(r"--compatibility (\S+)", recipe))
    assert local == {"manylinux2014", "musllinux_1_2"}
    linux = workflow["jobs"]["linux"]["strategy"]["matrix"]
    # maturin-action takes "2014" for manylinux2014.
    assert {f"manylinux{v}" if v == "2014" else v for v in linux["libc"]} == local
    assert set(linux["target"]) == {"x86_64", "aarch64"}


def test_every_action_is_pinned_to_a_release(workflow: dict[str, t.Any]) -> None:
    uses = [
        step["uses"]
        for job in workflow["jobs"].values()
        for step in job.get("steps", [])
        if "uses" in step
    ]
    assert uses
    for action in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+\.\d+\.\d+", action), action


def test_publishes_only_a_tag_by_trusted_publishing_after_every_job(
    workflow: dict[str, t.Any],
) -> None:
    jobs = workflow["jobs"]
    publish = jobs["publish"]
    assert publish["if"] == "startsWith(github.ref, 'refs/tags/v')"
    assert publish["permissions"] == {"id-token": "write"}
    assert publish["environment"]["name"] == "pypi"
    assert set(publish["needs"]) == set(jobs) - {"publish"}
    steps = [str(step.get("uses", "")) for step in publish["steps"]]
    assert any(s.startswith("pypa/gh-action-pypi-publish@") for s in steps)
    # No API token anywhere: trusted publishing needs none.
    assert "password" not in str(publish)
    # Nothing else may mint an OIDC token.
    for name, job in jobs.items():
        if name != "publish":
            assert "id-token" not in str(job.get("permissions", {})), name
