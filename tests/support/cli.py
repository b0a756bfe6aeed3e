"""Running the real CLI (`python runner.py ...`) in a subprocess, as a DBA would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def run_cli(
    *args: str, timeout: float = 120, env: dict[str, str] | None = None, unset: tuple[str, ...] = ()
) -> subprocess.CompletedProcess:
    """`env` is added to this process's environment, after the variables in `unset` are removed."""
    inherited = {name: value for name, value in os.environ.items() if name not in unset}
    return subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "runner.py"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**inherited, **(env or {})},
        cwd=PROJECT_ROOT,
    )


def start_cli(*args: str) -> subprocess.Popen:
    """Unbuffered, so that a test can act on each line as the command prints it (read_until)."""
    return subprocess.Popen(
        [sys.executable, str(PROJECT_ROOT / "runner.py"), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def read_until(process: subprocess.Popen, text: str) -> str:
    """What `process` printed up to the first line holding `text` (everything, if it exits first)."""
    seen = []
    for line in process.stdout:
        seen.append(line)
        if text in line:
            break
    return "".join(seen)
