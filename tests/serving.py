"""Helpers for the tests that start a real server as a subprocess."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time

import pytest


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


def start_server(
    cmd: list[str],
    env: dict[str, str] | None = None,
    cwd: object = None,
) -> subprocess.Popen[bytes]:
    """Start a server in a process group of its own (for ``stop_group``),
    unbuffered, its output collected."""
    return subprocess.Popen(
        cmd,
        env=dict(env if env is not None else os.environ, PYTHONUNBUFFERED="1"),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float) -> None:
    """Return once something accepts connections on ``port``; fail the test
    if ``process`` exits first (with what it printed) or after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            printed = process.communicate()[0]
            output = printed.decode(errors="replace") if printed else ""
            pytest.fail(f"the server exited with {process.returncode}:\n{output}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"nothing accepted connections on port {port} within {timeout} s")
