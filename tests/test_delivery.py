"""The delivery outbox through real connections: atomicity, leases, exhaustion, roles, 4 relays at once."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import psycopg
import pytest

from notifydb import Client, DeliveryJob, Relay
from tests.support.delivery import (
    clear,
    delivery_statuses,
    drain_with_relays,
    insert_notifications,
    outbox,
)
from tests.support.postgres_server import migrated
from tests.support.roles import login_role


@pytest.fixture(scope="module")
def dsn(pg_server) -> str:
    return migrated(pg_server.create_database("notifydb_test_delivery"))


@pytest.fixture(scope="module")
def relay_dsn(dsn: str) -> Iterator[str]:
    with login_role(dsn, "notifydb_delivery") as role_dsn:
        yield role_dsn


@pytest.fixture(autouse=True)
def empty_tables(dsn: str) -> None:
    clear(dsn)


def counts(dsn: str) -> tuple[int, int]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "SELECT (SELECT count(*) FROM notifydb.notifications), (SELECT count(*) FROM notifydb.delivery_outbox)"
        ).fetchone()


def test_rolled_back_insert_leaves_neither_row(dsn: str) -> None:
    with psycopg.connect(dsn) as conn:
        conn.execute(
            "INSERT INTO notifydb.notifications (tenant_id, type, title, message, channel)"
            " VALUES (gen_random_uuid(), 'T', 't', 'm', 'email')"
        )
        assert conn.execute("SELECT count(*) FROM notifydb.delivery_outbox").fetchone()[0] == 1
        conn.rollback()
    assert counts(dsn) == (0, 0)


def test_failing_outbox_write_leaves_neither_row(dsn: str) -> None:
    """The job cannot be written (the outbox is locked away): the notification is not kept either."""
    with psycopg.connect(dsn) as blocker, psycopg.connect(dsn) as writer:
        blocker.execute("LOCK TABLE notifydb.delivery_outbox IN ACCESS EXCLUSIVE MODE")
        writer.execute("SET lock_timeout = '200ms'")
        with pytest.raises(psycopg.errors.LockNotAvailable):
            writer.execute(
                "INSERT INTO notifydb.notifications (tenant_id, type, title, message, channel)"
                " VALUES (gen_random_uuid(), 'T', 't', 'm', 'push')"
            )
        writer.rollback()
        blocker.rollback()
    assert counts(dsn) == (0, 0)


def test_failing_row_in_a_bulk_insert_leaves_no_job(dsn: str) -> None:
    with psycopg.connect(dsn) as conn, pytest.raises(psycopg.errors.CheckViolation):
        conn.execute(
            """INSERT INTO notifydb.notifications (tenant_id, type, title, message, channel)
               SELECT gen_random_uuid(), 'T', CASE WHEN i = 500 THEN '' ELSE 't' END, 'm', 'email'
               FROM generate_series(1, 1000) AS i"""
        )
    assert counts(dsn) == (0, 0)


def test_expired_lease_is_redelivered_and_the_stale_relay_settles_nothing(dsn: str, relay_dsn: str) -> None:
    [notification_id] = insert_notifications(dsn, 1)
    with psycopg.connect(dsn) as conn:
        conn.execute("UPDATE notifydb.delivery_policy SET max_attempts = 2")
    with psycopg.connect(relay_dsn, autocommit=True) as first, psycopg.connect(relay_dsn, autocommit=True) as second:
        stale, current = Client(first), Client(second)
        [job] = stale.claim_deliveries(lease=timedelta(milliseconds=300))
        assert (job.notification_id, job.attempts) == (notification_id, 1)
        assert current.claim_deliveries() == [], "a job is not handed out twice while its lease runs"
        time.sleep(0.5)
        [again] = current.claim_deliveries(lease=timedelta(minutes=5))
        assert (again.notification_id, again.attempts) == (notification_id, 2)
        assert again.job_id > job.job_id, "the new claim renamed the job"
        # The first relay comes back late. Its retry would give the job up (2 of 2 attempts used)
        # and its complete would settle it: neither may touch the job the second relay holds.
        assert stale.retry_deliveries([job.job_id], error="late failure") == 0
        assert stale.complete_deliveries([job.job_id], status="failed") == 0
        assert stale.delivery_contents([job.job_id]) == []
        assert outbox(dsn) == [(again.job_id, notification_id, 2, True, None)]
        assert delivery_statuses(dsn) == {None: 1}
        with psycopg.connect(dsn) as conn:
            lease_left = conn.execute("SELECT leased_until - now() FROM notifydb.delivery_outbox").fetchone()[0]
        assert lease_left > timedelta(minutes=4), "the second relay's lease is intact"
        assert current.complete_deliveries([again.job_id]) == 1
    assert outbox(dsn) == []
    assert delivery_statuses(dsn) == {"sent": 1}


def test_late_success_nobody_reclaimed_is_recorded_as_sent(dsn: str, relay_dsn: str) -> None:
    insert_notifications(dsn, 1)
    with psycopg.connect(relay_dsn, autocommit=True) as conn:
        client = Client(conn)
        [job] = client.claim_deliveries(lease=timedelta(milliseconds=100))
        time.sleep(0.2)
        assert client.complete_deliveries([job.job_id]) == 1, "the message went out: sent is the truth"
    assert outbox(dsn) == []
    assert delivery_statuses(dsn) == {"sent": 1}


def test_exhausted_jobs_show_as_failed(dsn: str, relay_dsn: str) -> None:
    with psycopg.connect(dsn) as conn:
        conn.execute("UPDATE notifydb.delivery_policy SET max_attempts = 3")
    insert_notifications(dsn, 4)
    rejections: Counter[uuid.UUID] = Counter()

    def reject_all(jobs):
        rejections.update(job.notification_id for job in jobs)
        return []

    with psycopg.connect(relay_dsn, autocommit=True) as conn:
        relay = Relay(Client(conn), reject_all, retry_delay=timedelta(0))
        relay.run(once=True)
        # A relay that dies holding its lease: the job comes back, uses its last attempt, dies again.
        [dying_job] = insert_notifications(dsn, 1)
        client = Client(conn)
        for attempt in (1, 2, 3):
            [job] = client.claim_deliveries(lease=timedelta(milliseconds=100))
            assert job.attempts == attempt
            time.sleep(0.15)
        assert client.claim_deliveries() == [], "out of attempts: not handed out again"
    assert sorted(rejections.values()) == [3, 3, 3, 3]
    assert outbox(dsn) == []
    assert delivery_statuses(dsn) == {"failed": 5}
    with psycopg.connect(dsn) as conn:
        assert conn.execute(
            "SELECT delivery_status FROM notifydb.notifications WHERE id = %s", (dying_job,)
        ).fetchone() == ("failed",)


def test_a_batch_of_exhausted_jobs_does_not_end_a_drain(dsn: str, relay_dsn: str) -> None:
    """The jobs due first are all out of attempts: run(once=True) still delivers the ones behind them."""
    notification_ids = insert_notifications(dsn, 5)
    exhausted, fresh = notification_ids[:3], notification_ids[3:]
    with psycopg.connect(dsn) as conn:
        # Out of attempts (the default policy allows 5) and due before the others.
        conn.execute(
            """UPDATE notifydb.delivery_outbox SET attempts = 5, available_at = now() - interval '1 hour'
               WHERE notification_id = ANY (%s)""",
            (exhausted,),
        )
    delivered: list[DeliveryJob] = []

    def accept(jobs):
        delivered.extend(jobs)
        return [job.job_id for job in jobs]

    with psycopg.connect(relay_dsn, autocommit=True) as conn:
        stats = Relay(Client(conn), accept, batch_size=2).run(once=True)
    assert sorted(job.notification_id for job in delivered) == sorted(fresh)
    assert (stats.claimed, stats.completed) == (2, 2)
    assert outbox(dsn) == []
    assert delivery_statuses(dsn) == {"failed": 3, "sent": 2}


def test_only_notifydb_delivery_may_drain(dsn: str, relay_dsn: str) -> None:
    insert_notifications(dsn, 2)
    for other_role in ("notifydb_app", "notifydb_admin", "notifydb_retention"):
        with login_role(dsn, other_role) as other_dsn, psycopg.connect(other_dsn, autocommit=True) as conn:
            client = Client(conn)
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                client.claim_deliveries()
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                client.complete_deliveries([1])
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                client.retry_deliveries([1], error="x")
    with psycopg.connect(relay_dsn, autocommit=True) as conn:
        client = Client(conn)
        jobs = client.claim_deliveries()
        assert len(jobs) == 2
        assert client.retry_deliveries([jobs[0].job_id], error="smtp 451") == 1
        assert client.complete_deliveries([jobs[1].job_id]) == 1
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT * FROM notifydb.delivery_outbox")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT * FROM notifydb.notifications")


def test_bad_input_is_22023_naming_the_parameter(relay_dsn: str) -> None:
    with psycopg.connect(relay_dsn, autocommit=True) as conn:
        client = Client(conn)
        with pytest.raises(psycopg.errors.InvalidParameterValue, match="p_lease"):
            client.claim_deliveries(lease=timedelta(0))
        with pytest.raises(psycopg.errors.InvalidParameterValue, match="p_status"):
            client.complete_deliveries([1], status="bounced")
        with pytest.raises(psycopg.errors.InvalidParameterValue, match="p_error"):
            client.retry_deliveries([1], error="x" * 2001)
        with pytest.raises(psycopg.errors.InvalidParameterValue, match="p_delay"):
            client.retry_deliveries([1], error="x", delay=timedelta(seconds=-1))


def test_four_relays_deliver_10000_jobs_exactly_once(dsn: str, relay_dsn: str) -> None:
    notification_ids = insert_notifications(dsn, 10_000)
    delivered = drain_with_relays(relay_dsn, relays=4, batch_size=100)
    jobs = [job for relay_jobs in delivered for job in relay_jobs]
    assert len(jobs) == 10_000
    assert len({job.job_id for job in jobs}) == 10_000, "some job was handed to two relays"
    assert {job.notification_id for job in jobs} == set(notification_ids)
    assert all(job.attempts == 1 for job in jobs)
    assert sum(1 for relay_jobs in delivered if relay_jobs) > 1, "the relays did not share the work"
    assert outbox(dsn) == []
    assert delivery_statuses(dsn) == {"sent": 10_000}


def test_lease_is_sent_as_given(dsn: str, relay_dsn: str) -> None:
    insert_notifications(dsn, 1)
    with psycopg.connect(relay_dsn, autocommit=True) as conn:
        [job] = Client(conn).claim_deliveries(lease=timedelta(hours=2))
    with psycopg.connect(dsn) as conn:
        lease = conn.execute(
            "SELECT leased_until - now() FROM notifydb.delivery_outbox WHERE job_id = %s", (job.job_id,)
        ).fetchone()[0]
    assert timedelta(hours=1, minutes=59) < lease <= timedelta(hours=2)


def test_relay_completes_what_the_handler_accepted_and_retries_the_rest(dsn: str, relay_dsn: str) -> None:
    insert_notifications(dsn, 6)

    def accept_even(jobs):
        return [job.job_id for job in jobs if job.job_id % 2 == 0]

    def explode(_jobs):
        raise ValueError("smtp down")

    with psycopg.connect(relay_dsn, autocommit=True) as conn:
        stats = Relay(Client(conn), accept_even, retry_delay=timedelta(hours=1)).run(once=True)
        assert (stats.claimed, stats.completed, stats.retried, stats.rejected) == (6, 3, 3, 3)
        insert_notifications(dsn, 2)
        stats = Relay(Client(conn), explode, retry_delay=timedelta(hours=1)).run(once=True)
        assert (stats.claimed, stats.completed, stats.retried, stats.rejected) == (2, 0, 2, 2)
    errors = Counter(error for *_, error in outbox(dsn))
    assert errors == {"not accepted by the handler": 3, "ValueError: smtp down": 2}
    assert all(job_id % 2 == 1 for job_id, *_ in outbox(dsn)[:3])
    assert delivery_statuses(dsn) == {"sent": 3, None: 5}
