"""The relay command's handlers: JSON lines on stdout, or piped to a command."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from typing import TextIO

from notifydb.delivery import DeliveryJob
from notifydb.relay import BatchRejected


def job_line(job: DeliveryJob) -> str:
    return json.dumps(job.as_json(), separators=(",", ":"))


class StdoutHandler:
    """Writes each job as a JSON line and accepts every job whose line was written."""

    def __init__(self, stream: TextIO = sys.stdout) -> None:
        self.stream = stream

    def __call__(self, jobs: Sequence[DeliveryJob]) -> list[int]:
        accepted: list[int] = []
        try:
            for job in jobs:
                self.stream.write(job_line(job) + "\n")
                self.stream.flush()
                accepted.append(job.job_id)
        except BrokenPipeError:
            # The reader went away: what it did not get is retried.
            return accepted
        return accepted


class ExecHandler:
    """Pipes each batch as JSON lines to ``command`` (run by the shell); exit 0 accepts the batch.

    The command runs in a session of its own, so a Ctrl-C meant for the relay does not
    kill it mid-batch; it is killed when it outlives ``timeout`` (keep that below the
    lease, or another relay may claim the jobs while it still runs).
    """

    def __init__(self, command: str, timeout: float) -> None:
        self.command = command
        self.timeout = timeout

    def __call__(self, jobs: Sequence[DeliveryJob]) -> list[int]:
        batch = "".join(job_line(job) + "\n" for job in jobs)
        process = subprocess.Popen(self.command, shell=True, stdin=subprocess.PIPE, text=True, start_new_session=True)
        try:
            process.communicate(batch, timeout=self.timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise BatchRejected(f"command timed out after {self.timeout:g} s") from None
        if process.returncode != 0:
            raise BatchRejected(f"command exited with status {process.returncode}")
        return [job.job_id for job in jobs]
