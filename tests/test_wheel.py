"""The release wheel, end to end: build it, install it into a fresh virtualenv
on a PATH with no Rust toolchain, serve the demo app from there, check that
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
import socket
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

import pytest

from serving import free_port
from serving import start_server
from serving import stop_group
from serving import wait_for_port

REPO = Path(__file__).resolve().parent.parent
MATURIN = Path(sys.executable).parent / "maturin"
# Not target/ itself: `make build` (possibly running at the same time in
# another shell) builds other features there, and each build would throw the
# other's artifacts away. A directory of its own stays warm between runs.
TARGET_DIR = REPO / "target" / "wheel-test"
# name-version-python-abi-platform.whl, with maturin's default (lowest
# compatible) manylinux tag as auditwheel spells it.
WHEEL_NAME = re.compile(
    r"flaskrs-(?P<version>[^-]+)-(?P<python>cp39)-(?P<abi>abi3)"
    r"-(?P<platform>manylinux_2_(?P<glibc>\d+)_(?P<arch>[a-z0-9_]+))\.whl"
)


def _run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kwargs
    )


def _pypi_reachable() -> bool:
    try:
        with socket.create_connection(("pypi.org", 443), timeout=5):
            return True
    except OSError:
        return False


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
    result = _run(
        [
            str(MATURIN),
            "build",
            "--release",
            "--out",
            str(out),
            "--target-dir",
            str(TARGET_DIR),
        ],
        cwd=REPO,
        timeout=1200,
    )
    assert result.returncode == 0, result.stdout
    (wheel,) = out.glob("*.whl")
    return wheel


def _check_wheel_contents(wheel: Path, tags: str) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        (wheel_meta,) = [n for n in names if n.endswith(".dist-info/WHEEL")]
        meta = zf.read(wheel_meta).decode()
    # The metadata pip reads agrees with the file name.
    assert f"Tag: {tags}\n" in meta
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
    assert match, f"not a cp39-abi3 manylinux wheel: {wheel.name}"
    assert match["arch"] == os.uname().machine
    tags = f"{match['python']}-{match['abi']}-{match['platform']}"
    _check_wheel_contents(wheel, tags)

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
    if install.returncode != 0 and not _pypi_reachable():
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

    port = free_port()
    server = start_server(
        [
            str(venv / "bin" / "flaskrs"),
            "--app",
            str(REPO / "demo" / "app.py"),
            "run",
            "--port",
            str(port),
        ],
        env=env,
        cwd=run_dir,
    )
    try:
        wait_for_port(port, server, timeout=30)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            status, body = response.status, response.read()
    finally:
        output = stop_group(server, timeout=15)
    assert status == 200 and b"<h1>flaskrs</h1>" in body  # the landing page
    assert f"Running on http://127.0.0.1:{port}" in output, output

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
