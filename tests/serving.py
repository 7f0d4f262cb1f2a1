"""Helpers for the tests that start a real server as a subprocess."""

from __future__ import annotations

import os
import signal
import socket
import subprocess


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop_group(process: subprocess.Popen[bytes], timeout: float) -> str:
    """Stop a server started with ``start_new_session=True`` and return
    what it printed. The whole process group gets SIGTERM (a reloader or
    an arbiter runs the server in children), SIGKILL if it outlives
    ``timeout``."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        output = process.communicate(timeout=timeout)[0]
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output = process.communicate()[0]
    return output.decode(errors="replace")
