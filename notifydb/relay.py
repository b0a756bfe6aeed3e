"""Draining the delivery outbox to a handler, acking only what the handler accepted.

Delivery is at-least-once: a job is completed after its handler accepted it, so a
relay that dies between the two leaves the job to come back when its lease runs out.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

import psycopg

from notifydb.delivery import DeliveryJob, DeliveryMethods

log = logging.getLogger("notifydb.relay")

# Given a batch, returns the job ids it accepted (delivered or handed on);
# the others are retried. Raising retries the whole batch with the error.
Handler = Callable[[Sequence[DeliveryJob]], Iterable[int]]

REJECTED_ERROR = "not accepted by the handler"


class BatchRejected(Exception):
    """Raised by a handler to retry its whole batch; the message becomes the jobs' error."""


class HandlerClosed(Exception):
    """Raised by a handler that can take no more jobs (say, its reader went away).

    The jobs in ``accepted`` are completed, the rest of the batch is retried with the
    message as its error, and the relay stops.
    """

    def __init__(self, message: str, accepted: Iterable[int]) -> None:
        super().__init__(message)
        self.accepted = set(accepted)


# Deadlocks and serialization failures roll the ack back whole; it is safe to repeat.
_ACK_ATTEMPTS = 3


@dataclass
class RelayStats:
    """Jobs claimed, completed and put back; ``rejected`` counts those put back because the handler
    refused them or failed (not those left unhandled when it closed)."""

    claimed: int = 0
    completed: int = 0
    retried: int = 0
    rejected: int = 0
    batches: int = 0


class Relay:
    """Claims batches, hands each to ``handler``, completes what it accepted and retries the rest.

    ``stop()`` (or SIGTERM/SIGINT after ``install_signal_handlers()``) ends the loop after
    the batch in hand has been acknowledged; a batch is never abandoned half-acked.
    """

    def __init__(
        self,
        client: DeliveryMethods,
        handler: Handler,
        *,
        batch_size: int = 100,
        lease: timedelta = timedelta(minutes=5),
        retry_delay: timedelta = timedelta(minutes=1),
        idle_sleep: float = 1.0,
    ) -> None:
        self.client = client
        self.handler = handler
        self.batch_size = batch_size
        self.lease = lease
        self.retry_delay = retry_delay
        self.idle_sleep = idle_sleep
        self.stats = RelayStats()
        self._stopping = threading.Event()

    def stop(self) -> None:
        """Stop after the batch in hand has been acknowledged (thread- and signal-safe)."""
        self._stopping.set()

    @property
    def stopping(self) -> bool:
        """Whether ``stop()`` was called."""
        return self._stopping.is_set()

    def install_signal_handlers(self) -> None:
        """Stop cleanly on SIGTERM and SIGINT (main thread only)."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda _signum, _frame: self.stop())

    def run(self, *, once: bool = False) -> RelayStats:
        """Process batches until stopped; with ``once``, until the outbox has nothing due."""
        while not self.stopping:
            if self.run_batch():
                continue
            if once:
                break
            self._stopping.wait(self.idle_sleep)
        return self.stats

    def run_batch(self) -> int:
        """Claim one batch and settle it; returns how many jobs were claimed."""
        jobs = self.client.claim_deliveries(limit=self.batch_size, lease=self.lease)
        if not jobs:
            return 0
        self.stats.claimed += len(jobs)
        self.stats.batches += 1
        accepted, error, closed = self._hand_over(jobs)
        done = [job.job_id for job in jobs if job.job_id in accepted]
        rejected = [job.job_id for job in jobs if job.job_id not in accepted]
        if done:
            self.stats.completed += self._ack(lambda: self.client.complete_deliveries(done))
        if rejected:
            self.stats.retried += self._ack(
                lambda: self.client.retry_deliveries(rejected, error=error, delay=self.retry_delay)
            )
            if not closed:
                self.stats.rejected += len(rejected)
        return len(jobs)

    def _hand_over(self, jobs: Sequence[DeliveryJob]) -> tuple[set[int], str, bool]:
        """The job ids the handler accepted, the error to keep on the others, and whether it closed."""
        try:
            return set(self.handler(jobs)), REJECTED_ERROR, False
        except HandlerClosed as exc:
            log.warning("handler closed: %s; stopping after this batch", exc)
            self.stop()
            return exc.accepted, str(exc)[:2000] or REJECTED_ERROR, True
        except BatchRejected as exc:
            log.warning("handler rejected a batch of %d job(s): %s", len(jobs), exc)
            return set(), str(exc)[:2000] or REJECTED_ERROR, False
        except Exception as exc:
            log.exception("delivery handler failed; retrying %d job(s)", len(jobs))
            return set(), f"{type(exc).__name__}: {exc}"[:2000], False

    @staticmethod
    def _ack(call: Callable[[], int]) -> int:
        for attempt in range(1, _ACK_ATTEMPTS):
            try:
                return call()
            except (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure):
                log.warning("acknowledging a batch hit a deadlock; repeating (attempt %d)", attempt)
        return call()
