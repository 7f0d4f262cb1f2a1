# One way to do each thing; the README and .ci/run call these targets.
# `make help` lists them.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 5000

.DEFAULT_GOAL := help

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(VENV)/.ready: pyproject.toml requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

venv: $(VENV)/.ready  ## create the virtualenv with the build and test tools

# The stable ABI of 3.10 calls into the core without an argument tuple.
ABI3 := $(shell $(PYTHON) -c 'import sys; print("abi3-py310" if sys.version_info >= (3, 10) else "abi3-py39")')

build: venv  ## build the Rust core and install flaskrs into the virtualenv (editable)
	# A version-specific build left behind would be imported before this one.
	rm -f python/flaskrs/_core.cpython-*.so
	$(VENV)/bin/maturin develop --release --quiet -F extension-module,$(ABI3)

serve: build  ## build, then serve the demo app on http://127.0.0.1:$(PORT) with `flaskrs run`
	$(VENV)/bin/flaskrs --app demo/app.py run --port $(PORT)

lint: build  ## rustfmt, clippy, ruff, mypy, the native module's stub against the module, the workflows (GitHub's schema)
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings
	$(VENV)/bin/ruff check python tests benches demo
	$(VENV)/bin/ruff format --check python tests benches demo
	$(PY) -m mypy
	$(PY) -m mypy.stubtest flaskrs._core
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml

test: build lint  ## build, lint, and run every test (Rust and Python)
	cargo test
	$(PY) -m pytest -q

bench: build  ## router benchmarks against Werkzeug, and the shared WSGI bench against Flask
	$(PY) benches/bench_routing.py
	cd ../shared/bench && $(CURDIR)/$(PY) wsgi-bench --micro

# `make bench-servers BENCH_ARGS="--quick"` to check the harness in a few seconds.
BENCH_ARGS ?=

bench-servers: build  ## Flask and flaskrs behind Granian and gunicorn, loaded by oha (built into .cache/tools), FastAPI beside
	$(PY) benches/bench_servers.py $(BENCH_ARGS)

# `make bench-apps BENCH_APPS="fava"` for some of the apps.
BENCH_APPS ?=

bench-instructions: build  ## the scenarios in CPU instructions per request (valgrind's callgrind), Flask and flaskrs and a bare WSGI floor
	$(PY) benches/bench_instructions.py

bench-apps: build  ## real Flask apps from PyPI (benches/apps/apps.toml) on SQLite and files, by `flaskrs bench --profile` on Flask and flaskrs
	$(PY) benches/bench_apps.py $(BENCH_APPS)

# The release artifacts. .github/workflows/release.yml builds the same feature
# sets and tags (and more platforms): keep the two in step. zig links against
# glibc 2.17 (manylinux2014) and musl 1.2; maturin finds it as `python -m
# ziglang`, hence the virtualenv first on PATH.
MUSL_TARGET := x86_64-unknown-linux-musl
ZIG_MATURIN := PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/maturin build --release --zig --out dist

wheels: venv  ## dist/: abi3 wheels for CPython 3.9+ and 3.10+ (manylinux2014, musllinux_1_2), the sdist, checked
	rm -f dist/flaskrs-*
	$(ZIG_MATURIN) --compatibility manylinux2014 -F extension-module,abi3-py39
	$(ZIG_MATURIN) --compatibility manylinux2014 -F extension-module,abi3-py310
	$(VENV)/bin/maturin sdist --out dist
	# musl's Rust standard library comes from rustup's server, which a
	# machine that reaches only crates.io, PyPI and Debian cannot fetch: then
	# there is no musllinux wheel, said loudly (the release workflow builds it).
	if rustup target list --installed | grep -qx $(MUSL_TARGET) || rustup target add $(MUSL_TARGET); then \
		$(ZIG_MATURIN) --target $(MUSL_TARGET) --compatibility musllinux_1_2 -F extension-module,abi3-py39 && \
		$(ZIG_MATURIN) --target $(MUSL_TARGET) --compatibility musllinux_1_2 -F extension-module,abi3-py310 && \
		$(MAKE) --no-print-directory check-wheels; \
	else \
		echo "make wheels: NO musllinux wheel: rustup could not add $(MUSL_TARGET) here" >&2; \
		$(MAKE) --no-print-directory check-wheels CHECK_WHEELS_ARGS=--no-musl; \
	fi

check-wheels: venv  ## the artifacts in dist/: platform tags and libraries (auditwheel), contents, metadata (twine)
	$(PY) tests/check_wheels.py dist $(CHECK_WHEELS_ARGS)
	$(VENV)/bin/twine check --strict dist/flaskrs-*

# `make fuzz FUZZ_INPUTS=...` for a shorter or longer run.
FUZZ_INPUTS ?= 1000000
FUZZ_EXAMPLES ?= 20000

fuzz: build  ## the differential fuzzers: 1,000,000 router and cookie inputs each against Werkzeug and Flask, regexes against Python's re
	$(PY) tests/fuzz_router.py --inputs $(FUZZ_INPUTS)
	$(PY) tests/fuzz_cookies.py --inputs $(FUZZ_INPUTS)
	FLASKRS_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest -q \
		tests/test_pyregex.py tests/test_routing_differential.py

conformance: build  ## Flask 3.1.3's own test suite against flaskrs
	$(PY) ../shared/conformance/flask-suite --python $(CURDIR)/$(PY) --install-deps

# `make corpus CORPUS="flask-login flask-wtf"` for some of the projects.
CORPUS ?=

corpus: build  ## extensions' and apps' own test suites (corpus/projects.toml), each on Flask and then on flaskrs
	$(PY) corpus/run $(CORPUS)

.PHONY: help venv build serve lint test bench bench-servers bench-instructions bench-apps wheels check-wheels fuzz conformance corpus
