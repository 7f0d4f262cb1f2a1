"""The release wheel, end to end: build it as `make wheels` does (zig, for
manylinux2014), install it into a fresh virtualenv on a PATH with no Rust
toolchain, serve the demo app from there, check that
its FLASKRS_AS_FLASK start-up hook works there, and that uninstalling takes
the hook away with the rest.

This is the slow test of the suite (a release build, then a pip install from
PyPI: one to three minutes). Its name says "slow", so ``-k "not slow"``
leaves it out of a quick run; a plain ``pytest -q tests`` runs it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from serving import pypi_reachable
from serving import serve_demo_with

REPO = Path(__file__).resolve().parent.parent
MATURIN = Path(sys.executable).parent / "maturin"
# Not target/ itself: `make build` (possibly running at the same time in
# another shell) builds other features there, and each build would throw the
# other's artifacts away. A directory of its own stays warm between runs.
TARGET_DIR = REPO / "target" / "wheel-test"
# name-version-python-abi-platform.whl, with the manylinux2014 tag and its
# PEP 600 alias (glibc 2.17) that `--compatibility manylinux2014` gives: the
# oldest glibc the wheel installs on, whatever glibc built it.
WHEEL_NAME = re.compile(
    r"flaskrs-(?P<version>[^-]+)-(?P<python>cp39)-(?P<abi>abi3)"
    r"-(?P<platform>manylinux2014_(?P<arch>[a-z0-9_]+)"
    r"\.manylinux_2_17_(?P=arch))\.whl"
)


def _run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kwargs
    )


def _without_rust(venv: Path) -> dict[str, str]:
    """The environment of a machine that only has Python: the venv first,
    then the usual PATH minus every directory holding cargo or rustc."""
    dirs = [
        d
        for d in os.environ.get("PATH", "").split(os.pathsep)
        if d and not any(shutil.which(tool, path=d) for tool in ("cargo", "rustc"))
    ]
    env = {
        k: v
        for k, v in os.environ.items()
        # Nothing that could reach this checkout or another interpreter's
        # packages, nor an app chosen for the command line behind our back.
        if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "FLASKRS_AS_FLASK")
        and not k.startswith(("FLASK_", "CARGO", "RUSTUP"))
    }
    env["PATH"] = os.pathsep.join([str(venv / "bin"), *dirs])
    return env


def _build_wheel(out: Path) -> Path:
    assert MATURIN.exists(), f"maturin is a dev requirement: {MATURIN}"
    # maturin runs zig as `python -m ziglang` (a dev requirement): this
    # virtualenv's python first on PATH.
    env = dict(
        os.environ, PATH=os.pathsep.join([str(MATURIN.parent), os.environ["PATH"]])
    )
    result = _run(
        [
            str(MATURIN),
            "build",
            "--release",
            "--zig",
            "--compatibility",
            "manylinux2014",
            "--out",
            str(out),
            "--target-dir",
            str(TARGET_DIR),
        ],
        cwd=REPO,
        env=env,
        timeout=1200,
    )
    assert result.returncode == 0, result.stdout
    (wheel,) = out.glob("*.whl")
    return wheel


def _check_auditwheel(wheel: Path) -> None:
    """auditwheel agrees: the extension needs nothing newer than glibc 2.17
    and no shared library outside the manylinux2014 policy."""
    auditwheel = MATURIN.parent / "auditwheel"
    shown = _run([str(auditwheel), "show", str(wheel)], timeout=120)
    assert shown.returncode == 0, shown.stdout
    text = " ".join(shown.stdout.split())
    assert 'consistent with the following platform tag: "manylinux_2_17_' in text, text
    assert "external shared libraries are required" not in text, text


def _check_wheel_contents(wheel: Path, tags: list[str]) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        (wheel_meta,) = [n for n in names if n.endswith(".dist-info/WHEEL")]
        meta = zf.read(wheel_meta).decode()
    # The metadata pip reads agrees with the file name.
    assert [
        line.removeprefix("Tag: ")
        for line in meta.splitlines()
        if line.startswith("Tag: ")
    ] == tags, meta
    assert "Root-Is-Purelib: false" in meta
    # One extension module, built for the stable ABI, beside the sources.
    native = [n for n in names if n.endswith(".so")]
    assert native == ["flaskrs/_core.abi3.so"], native
    assert "flaskrs/__init__.py" in names
    # The FLASKRS_AS_FLASK hook, as platlib data: pip puts it at the root of
    # site-packages, where site reads .pth files.
    version = wheel.name.split("-")[1]
    hook = {
        f"flaskrs-{version}.data/platlib/_flaskrs_as_flask{ext}"
        for ext in (".pth", ".py")
    }
    assert hook <= set(names), names
    # The license, where PEP 639 puts it.
    assert f"flaskrs-{version}.dist-info/licenses/LICENSE" in names, names
    top = {n.split("/")[0] for n in names}
    assert top == {
        "flaskrs",
        f"flaskrs-{version}.dist-info",
        f"flaskrs-{version}.data",
    }, top
    # Type checkers of the users' code need these two.
    assert {"flaskrs/_core.pyi", "flaskrs/py.typed"} <= set(names)
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_slow_wheel_installs_and_serves_without_rust(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path / "dist")
    match = WHEEL_NAME.fullmatch(wheel.name)
    assert match, f"not a cp39-abi3 manylinux2014 wheel: {wheel.name}"
    assert match["arch"] == os.uname().machine
    tags = [
        f"{match['python']}-{match['abi']}-{platform}"
        for platform in match["platform"].split(".")
    ]
    _check_wheel_contents(wheel, tags)
    _check_auditwheel(wheel)

    venv = tmp_path / "venv"
    created = _run([sys.executable, "-m", "venv", str(venv)], timeout=300)
    assert created.returncode == 0, created.stdout
    env = _without_rust(venv)
    assert shutil.which("cargo", path=env["PATH"]) is None
    assert shutil.which("rustc", path=env["PATH"]) is None

    python = venv / "bin" / "python"
    # Binary-only: installing must not compile anything, for flaskrs or for
    # its dependencies.
    install = _run(
        [str(python), "-m", "pip", "install", "--only-binary=:all:", str(wheel)],
        env=env,
        cwd=tmp_path,
        timeout=600,
    )
    if install.returncode != 0 and not pypi_reachable():
        pytest.skip(
            "no network: pip cannot fetch flaskrs's dependencies from PyPI\n"
            + install.stdout[-2000:]
        )
    assert install.returncode == 0, install.stdout

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    where = _run(
        [
            str(python),
            "-c",
            "import json, sysconfig, flaskrs, flaskrs._core;"
            "print(json.dumps([flaskrs.__file__, flaskrs._core.__file__,"
            " sysconfig.get_paths()['platlib']]))",
        ],
        env=env,
        cwd=run_dir,
        timeout=60,
    )
    assert where.returncode == 0, where.stdout
    package, core, site_packages = map(Path, json.loads(where.stdout))
    assert site_packages.is_relative_to(venv)
    assert package == site_packages / "flaskrs" / "__init__.py"
    assert core == site_packages / "flaskrs" / "_core.abi3.so"
    assert not package.is_relative_to(REPO)

    serve_demo_with(venv / "bin" / "flaskrs", REPO / "demo" / "app.py", env, run_dir)

    _check_switch(python, env, run_dir, site_packages)


def _check_switch(python: Path, env: dict[str, str], run_dir: Path, site: Path) -> None:
    """FLASKRS_AS_FLASK=1 in the fresh venv, where the real Flask is not even
    installed: without it there is no flask to import, with it flask is
    flaskrs. Uninstalling flaskrs removes the hook too."""
    hook = site / "_flaskrs_as_flask.pth"
    assert hook.is_file()
    assert (site / "_flaskrs_as_flask.py").is_file()
    code = "import flask; print(flask.__name__, flask.Flask.__module__)"

    off = _run([str(python), "-c", code], env=env, cwd=run_dir, timeout=60)
    assert off.returncode == 1
    assert "No module named 'flask'" in off.stdout, off.stdout

    on_env = dict(env, FLASKRS_AS_FLASK="1")
    on = _run([str(python), "-c", code], env=on_env, cwd=run_dir, timeout=60)
    assert (on.returncode, on.stdout) == (0, "flaskrs flaskrs.app\n")

    removed = _run(
        [str(python), "-m", "pip", "uninstall", "-y", "flaskrs"],
        env=env,
        cwd=run_dir,
        timeout=120,
    )
    assert removed.returncode == 0, removed.stdout
    assert not hook.exists()
    assert not (site / "_flaskrs_as_flask.py").exists()
    # No hook left behind to fail at every start-up.
    after = _run(
        [str(python), "-c", "print('started')"], env=on_env, cwd=run_dir, timeout=60
    )
    assert (after.returncode, after.stdout) == (0, "started\n")
