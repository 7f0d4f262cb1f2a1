"""``python -m flaskrs``: the ``flask`` command line."""

from __future__ import annotations

try:
    from .cli import main
except ImportError as e:  # pragma: no cover
    raise SystemExit(f"flaskrs: the command line is not available ({e})") from e

main()
