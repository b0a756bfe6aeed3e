"""The relay command's handlers: JSON lines on stdout, or piped to a command."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from notifydb.delivery import DeliveryJob, DeliveryMethods
from notifydb.relay import BatchRejected, HandlerClosed

# The JSON object written for each job of a batch, in order.
Describe = Callable[[Sequence[DeliveryJob]], list[dict[str, Any]]]


def describe_jobs(jobs: Sequence[DeliveryJob]) -> list[dict[str, Any]]:
    return [job.as_json() for job in jobs]


def describe_with_content(client: DeliveryMethods) -> Describe:
    """Each job's fields plus its notification's content (one query per batch)."""

    def describe(jobs: Sequence[DeliveryJob]) -> list[dict[str, Any]]:
        contents = {content.job_id: content.as_json() for content in client.delivery_contents(j.job_id for j in jobs)}
        return [{**job.as_json(), **contents.get(job.job_id, {})} for job in jobs]

    return describe


def _line(fields: dict[str, Any]) -> str:
    return json.dumps(fields, separators=(",", ":")) + "\n"


def _discard_further_output(stream: TextIO) -> None:
    """Point the stream's file at /dev/null, so flushing what is left of it (at exit too) cannot fail again."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


class StdoutHandler:
    """Writes each job as a JSON line and accepts every job whose line was written.

    When the reader goes away (``relay | head -1``), the jobs written so far are
    accepted and the relay stops; the others are retried.
    """

    def __init__(self, stream: TextIO = sys.stdout, describe: Describe = describe_jobs) -> None:
        self.stream = stream
        self.describe = describe

    def __call__(self, jobs: Sequence[DeliveryJob]) -> list[int]:
        accepted: list[int] = []
        try:
            for job, fields in zip(jobs, self.describe(jobs), strict=True):
                self.stream.write(_line(fields))
                self.stream.flush()
                accepted.append(job.job_id)
        except BrokenPipeError:
            _discard_further_output(self.stream)
            raise HandlerClosed("stdout was closed by its reader", accepted) from None
        return accepted


class ExecHandler:
    """Pipes each batch as JSON lines to ``command`` (run by the shell); exit 0 accepts the batch.

    The command runs in a session of its own, so a Ctrl-C meant for the relay does not
    kill it mid-batch; it is killed when it outlives ``timeout`` (keep that below the
    lease, or another relay may claim the jobs while it still runs).
    """

    def __init__(self, command: str, timeout: float, describe: Describe = describe_jobs) -> None:
        self.command = command
        self.timeout = timeout
        self.describe = describe

    def __call__(self, jobs: Sequence[DeliveryJob]) -> list[int]:
        batch = "".join(_line(fields) for fields in self.describe(jobs))
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
