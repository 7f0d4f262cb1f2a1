"""The benches are scripts, not a package: their tests load them by path."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

BENCHES = Path(__file__).resolve().parent.parent / "benches"


def load_bench(name: str) -> ModuleType:
    """``benches/NAME.py`` as the module ``NAME``."""
    # A bench imports the others by name, as it does when run as a script.
    if str(BENCHES) not in sys.path:
        sys.path.append(str(BENCHES))
    spec = importlib.util.spec_from_file_location(name, BENCHES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up in sys.modules.
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
