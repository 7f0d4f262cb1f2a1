"""The sdist, end to end: build it as `make wheels` does, unpack it into an
empty directory, let pip build a wheel from it there (with Rust: an sdist
needs it; with no cargo target directory but the one inside the unpacked
tree), install that wheel into a fresh virtualenv, then run a quick part of
the test suite the sdist carries and serve its demo, both against that install.

Slow (a release build from nothing, about a minute here): its name says
"slow", so ``-k "not slow"`` leaves it out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest

from serving import pypi_reachable
from serving import serve_demo_with

REPO = Path(__file__).resolve().parent.parent
MATURIN = Path(sys.executable).parent / "maturin"
# Enough of the suite to show the Rust core at work from the built wheel:
# routing, session cookies (compared with Flask's), JSON, the app object
# (async views too: asgiref, the "async" extra).
QUICK_TESTS = [
    "tests/test_routing.py",
    "tests/test_sessions.py",
    "tests/test_json.py",
    "tests/test_app.py",
]


def _run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kwargs
    )


def _clean_env() -> dict[str, str]:
    """This environment, minus whatever points at the checkout, its build
    directory or another interpreter's packages."""
    return {
        k: v
        for k, v in os.environ.items()
        if k
        not in (
            "PYTHONPATH",
            "PYTHONHOME",
            "VIRTUAL_ENV",
            "FLASKRS_AS_FLASK",
            "CARGO_TARGET_DIR",
        )
        and not k.startswith(("FLASK_", "MATURIN_"))
    }


def _extract(sdist: Path, into: Path) -> None:
    with tarfile.open(sdist) as tf:
        if sys.version_info >= (3, 12):
            tf.extractall(into, filter="data")
        else:
            tf.extractall(into)


def test_slow_sdist_builds_and_passes_tests_from_a_clean_directory(
    tmp_path: Path,
) -> None:
    made = _run(
        [str(MATURIN), "sdist", "--out", str(tmp_path / "sdist")],
        cwd=REPO,
        timeout=300,
    )
    assert made.returncode == 0, made.stdout
    (sdist,) = (tmp_path / "sdist").glob("flaskrs-*.tar.gz")
    version = sdist.name.removeprefix("flaskrs-").removesuffix(".tar.gz")

    src_parent = tmp_path / "src"
    src_parent.mkdir()
    _extract(sdist, src_parent)
    src = src_parent / f"flaskrs-{version}"
    # Only the sources came along: nothing built, nothing of the checkout's.
    assert (src / "Cargo.lock").is_file() and (src / "LICENSE").is_file()
    for absent in ("target", ".venv", ".cache", "dist", ".git"):
        assert not (src / absent).exists(), absent
    assert not list(src.rglob("*.so"))

    venv = tmp_path / "venv"
    created = _run([sys.executable, "-m", "venv", str(venv)], timeout=300)
    assert created.returncode == 0, created.stdout
    python = venv / "bin" / "python"
    env = _clean_env()
    env["PATH"] = os.pathsep.join([str(venv / "bin"), env.get("PATH", "")])

    # pip builds from the unpacked tree through the PEP 517 backend it names
    # (maturin, fetched into an isolated build environment).
    built = _run(
        [
            str(python),
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--wheel-dir",
            str(tmp_path / "wheels"),
            str(src),
        ],
        env=env,
        cwd=tmp_path,
        timeout=1200,
    )
    if built.returncode != 0 and not pypi_reachable():
        pytest.skip(
            "no network: pip cannot fetch the build backend (maturin) from PyPI\n"
            + built.stdout[-2000:]
        )
    assert built.returncode == 0, built.stdout[-4000:]
    (wheel,) = (tmp_path / "wheels").glob("flaskrs-*.whl")
    # pyproject.toml's features: the stable ABI of 3.9.
    assert wheel.name.startswith(f"flaskrs-{version}-cp39-abi3-"), wheel.name
    # The build happened inside the unpacked tree, from nothing.
    assert (src / "target").is_dir()

    installed = _run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            str(wheel),
            "pytest",
            "hypothesis",
            "flask==3.1.3",
            "asgiref>=3.2",
        ],
        env=env,
        cwd=tmp_path,
        timeout=600,
    )
    assert installed.returncode == 0, installed.stdout[-4000:]

    where = _run(
        [
            str(python),
            "-c",
            "import json, flaskrs, flaskrs._core;"
            "print(json.dumps([flaskrs.__file__, flaskrs._core.__file__]))",
        ],
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert where.returncode == 0, where.stdout
    package, core = map(Path, json.loads(where.stdout))
    assert package.is_relative_to(venv) and core.is_relative_to(venv)
    assert core.name == "_core.abi3.so"

    # The sdist's own tests, run in the unpacked tree: python/ is not on
    # sys.path there, so they import the installed wheel.
    tests = _run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", *QUICK_TESTS],
        env=env,
        cwd=src,
        timeout=600,
    )
    assert tests.returncode == 0, tests.stdout[-4000:]
    summary = tests.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "failed" not in summary, summary

    serve_demo_with(venv / "bin" / "flaskrs", src / "demo" / "app.py", env, tmp_path)
