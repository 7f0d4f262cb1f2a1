"""The data folder of an app of bench_apps.py, for its NAME_entry module.

``setup()`` fills the folder ``BENCH_APP_DIR`` names. An app that writes
to its data as it answers (an audit row per request, a login's time) would
then hand the second framework's run the rows of the first's: the entry
calls ``fresh_copy()`` before building the app, so that each run starts
from a copy of the data as setup left it. ``BENCH_APP_SETUP`` is set while
setup() runs.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path


def folder() -> Path:
    return Path(os.environ["BENCH_APP_DIR"])


def fresh_copy() -> Path:
    """Copy the data folder for this process, and make it the data folder."""
    copy = Path(tempfile.mkdtemp(prefix="bench-app-data-")) / "data"
    shutil.copytree(folder(), copy)
    atexit.register(shutil.rmtree, copy.parent, ignore_errors=True)
    os.environ["BENCH_APP_DIR"] = str(copy)
    return copy
