"""Check the release artifacts that `make wheels` leaves in dist/ (`make
check-wheels` runs this, then `twine check --strict`).

    python tests/check_wheels.py [DIST] [--no-musl]

(``--no-musl``: `make wheels` could not add Rust's musl target here, so no
musllinux wheel is expected.)

Exits non-zero, naming every problem, unless DIST holds exactly:

- two manylinux2014 abi3 wheels (cp39-abi3, cp310-abi3) that `auditwheel show`
  finds consistent with manylinux_2_17_x86_64 (= manylinux2014) and that need
  no shared library outside that policy;
- the same two as musllinux_1_2 wheels. auditwheel cannot pass these on a glibc
  machine: its musl policy names Alpine's soname for the C library
  (libc.musl-x86_64.so.1) while the extension, linked by zig as by musl-gcc,
  asks for ``libc.so``, which musl's loader maps to itself. So auditwheel is
  run with no library path and must name ``libc.so`` as the only library and
  no versioned (glibc) symbol, and the ELF itself is read for the same;
- the sdist, with what a source build needs and nothing big.

Each artifact's metadata carries the license expression and the LICENSE file.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

from elftools.elf.dynamic import DynamicSection
from elftools.elf.elffile import ELFFile
from elftools.elf.gnuversions import GNUVerNeedSection

REPO = Path(__file__).resolve().parent.parent
AUDITWHEEL = Path(sys.executable).parent / "auditwheel"
MANYLINUX = "manylinux2014_x86_64.manylinux_2_17_x86_64"
MUSLLINUX = "musllinux_1_2_x86_64"
PYTHONS = ("cp39", "cp310")
# What a build from the sdist needs.
SDIST_NEEDS = (
    "PKG-INFO",
    "pyproject.toml",
    "Cargo.toml",
    "Cargo.lock",
    "README.md",
    "LICENSE",
    "rust/lib.rs",
    "python/flaskrs/__init__.py",
    "python/flaskrs/_core.pyi",
    "python/flaskrs/py.typed",
    "python/flaskrs.data/platlib/_flaskrs_as_flask.pth",
)
# Nothing a checkout has that is not source.
SDIST_NEVER = re.compile(
    r"(^|/)(target|\.venv|\.cache|dist|__pycache__|\.git|\.hypothesis|"
    r"\.pytest_cache|\.mypy_cache|\.ruff_cache)(/|$)|\.(so|pyd|whl|pyc)$"
)
SDIST_MAX_BYTES = 2_000_000


def version() -> str:
    text = (REPO / "pyproject.toml").read_text()
    match = re.search(r'^version = "([^"]+)"$', text, re.MULTILINE)
    assert match, "no version in pyproject.toml"
    return match[1]


def expected_names(ver: str, musl: bool = True) -> set[str]:
    names = {f"flaskrs-{ver}.tar.gz"}
    for py in PYTHONS:
        names.add(f"flaskrs-{ver}-{py}-abi3-{MANYLINUX}.whl")
        if musl:
            names.add(f"flaskrs-{ver}-{py}-abi3-{MUSLLINUX}.whl")
    return names


def auditwheel_show(wheel: Path, *args: str) -> str:
    result = subprocess.run(
        [str(AUDITWHEEL), "show", *args, str(wheel)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=120,
    )
    # One line: auditwheel wraps its sentences at any word.
    text = " ".join(result.stdout.split())
    if result.returncode != 0:
        raise AssertionError(f"auditwheel show failed: {text[-600:]}")
    return text


def check_metadata(names: list[str], read: dict[str, bytes], where: str) -> list[str]:
    problems = []
    (meta_name,) = [n for n in names if n.endswith(("dist-info/METADATA", "PKG-INFO"))]
    meta = read[meta_name].decode()
    for line in (
        "License-Expression: BSD-3-Clause",
        "License-File: LICENSE",
        "Requires-Python: >=3.9",
        "Description-Content-Type: text/markdown",
        "Classifier: Framework :: Flask",
        "Project-URL: Source, https://github.com/flaskrs/flaskrs",
    ):
        if f"\n{line}" not in meta:
            problems.append(f"{where}: metadata has no {line!r}")
    if not any(n.endswith("LICENSE") for n in names):
        problems.append(f"{where}: no LICENSE file")
    return problems


def check_wheel(wheel: Path, platform: str) -> list[str]:
    problems = []
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        wanted = [
            n for n in names if n.endswith((".dist-info/METADATA", ".dist-info/WHEEL"))
        ]
        read = {n: zf.read(n) for n in wanted}
        so = zf.read("flaskrs/_core.abi3.so")
    problems += check_metadata(names, read, wheel.name)
    if not any(n.endswith(".dist-info/licenses/LICENSE") for n in names):
        problems.append(f"{wheel.name}: LICENSE is not in .dist-info/licenses/")
    (wheel_meta,) = [n for n in read if n.endswith("WHEEL")]
    py = wheel.name.split("-")[2]
    tags = {
        line.removeprefix("Tag: ")
        for line in read[wheel_meta].decode().splitlines()
        if line.startswith("Tag: ")
    }
    want = {f"{py}-abi3-{p}" for p in platform.split(".")}
    if tags != want:
        problems.append(f"{wheel.name}: WHEEL tags {sorted(tags)}, not {sorted(want)}")

    with tempfile.TemporaryDirectory() as tmp:
        lib = Path(tmp) / "_core.abi3.so"
        lib.write_bytes(so)
        with lib.open("rb") as f:
            elf = ELFFile(f)
            if elf["e_machine"] != "EM_X86_64":
                problems.append(f"{wheel.name}: built for {elf['e_machine']}")
            needed = sorted(
                tag.needed
                for section in elf.iter_sections()
                if isinstance(section, DynamicSection)
                for tag in section.iter_tags()
                if tag.entry.d_tag == "DT_NEEDED"
            )
            versioned = sorted(
                aux.name
                for section in elf.iter_sections()
                if isinstance(section, GNUVerNeedSection)
                for _, auxes in section.iter_versions()
                for aux in auxes
            )
        empty = Path(tmp) / "no-libraries"
        empty.mkdir()

        if platform == MANYLINUX:
            shown = auditwheel_show(wheel)
            consistent = (
                'consistent with the following platform tag: "manylinux_2_17_x86_64"'
            )
            if consistent not in shown:
                problems.append(f"{wheel.name}: not manylinux_2_17 to auditwheel")
            if "external shared libraries are required" in shown:
                problems.append(f"{wheel.name}: needs libraries outside the policy")
            glibc = [v for v in versioned if v.startswith("GLIBC_")]
            newest = max((tuple(map(int, v[6:].split("."))) for v in glibc), default=())
            if newest > (2, 17):
                problems.append(f"{wheel.name}: needs {glibc}, above glibc 2.17")
        else:
            shown = auditwheel_show(wheel, "--ldpaths", str(empty))
            if "'musllinux_1_2_x86_64'" not in shown:
                problems.append(f"{wheel.name}: auditwheel does not see musllinux_1_2")
            if 'required by the wheel: { "libc.so": null }' not in shown:
                problems.append(f"{wheel.name}: needs more than musl's libc.so")
            if "references no external versioned symbols" not in shown:
                problems.append(f"{wheel.name}: references versioned symbols")
            if needed != ["libc.so"] or versioned:
                problems.append(f"{wheel.name}: NEEDED {needed}, versions {versioned}")
    print(f"{wheel.name}: NEEDED {needed}; auditwheel: {shown}")
    return problems


def check_sdist(sdist: Path, ver: str) -> list[str]:
    problems = []
    size = sdist.stat().st_size
    if size > SDIST_MAX_BYTES:
        problems.append(f"{sdist.name}: {size} bytes, more than {SDIST_MAX_BYTES}")
    prefix = f"flaskrs-{ver}/"
    with tarfile.open(sdist) as tf:
        members = tf.getnames()
        read = {}
        for name in members:
            if name == f"{prefix}PKG-INFO":
                extracted = tf.extractfile(name)
                assert extracted is not None
                read[name] = extracted.read()
    outside = [m for m in members if not m.startswith(prefix)]
    if outside:
        problems.append(f"{sdist.name}: outside {prefix}: {outside[:5]}")
    inside = {m.removeprefix(prefix) for m in members}
    for need in SDIST_NEEDS:
        if need not in inside:
            problems.append(f"{sdist.name}: no {need}")
    never = sorted(m for m in inside if SDIST_NEVER.search(m))
    if never:
        problems.append(f"{sdist.name}: should not hold {never[:10]}")
    problems += check_metadata(members, read, sdist.name)
    print(f"{sdist.name}: {len(members)} files, {size} bytes")
    return problems


def main(dist: Path, musl: bool = True) -> int:
    ver = version()
    found = {p.name for p in dist.glob("flaskrs-*")}
    want = expected_names(ver, musl)
    problems = []
    if found != want:
        problems.append(
            f"dist/ holds {sorted(found)}; expected exactly {sorted(want)}"
            f" (missing {sorted(want - found)}, extra {sorted(found - want)})"
        )
    for name in sorted(found & want):
        path = dist / name
        if name.endswith(".tar.gz"):
            problems += check_sdist(path, ver)
        else:
            platform = MANYLINUX if MANYLINUX in name else MUSLLINUX
            try:
                problems += check_wheel(path, platform)
            except (AssertionError, KeyError, ValueError) as error:
                problems.append(f"{name}: {error}")
    for problem in problems:
        print(f"check-wheels: FAIL: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"check-wheels: {len(found)} artifacts OK")
    return 0


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--no-musl"]
    sys.exit(
        main(Path(args[0]) if args else REPO / "dist", "--no-musl" not in sys.argv)
    )
