"""Retention procedures against a real server: exactly the due rows go, batches commit,
one run at a time, policy changes and bad values, readers never wait, roles."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from tests.retention_support import (
    TENANT,
    add_event,
    add_notification,
    call,
    descriptions,
    purge_held_mid_batch,
    titles,
    wait_for_advisory_waiter,
)
from tests.support.postgres_server import migrated
from tests.support.roles import login_role

LOCK_KEY = "notifydb._retention_lock_key()"


@pytest.fixture(scope="module")
def migrated_template(pg_server) -> str:
    """Migrated once; each test gets a copy (CREATE DATABASE ... TEMPLATE), much faster than migrating."""
    dsn = migrated(pg_server.create_database("notifydb_test_retention_template"))
    return conninfo_to_dict(dsn)["dbname"]


@pytest.fixture
def dsn(pg_server, migrated_template) -> str:
    return pg_server.create_database("notifydb_test_retention", template=migrated_template)


@pytest.fixture
def db(dsn):
    with psycopg.connect(dsn, autocommit=True) as conn:
        yield conn


def test_purges_exactly_the_due_notifications(dsn, db):
    # Default policy: 90 days max age, 7 days grace after a soft delete.
    add_notification(db, "expired a minute ago", "1 day", expires_in="-1 minute")
    add_notification(db, "expired long ago, young", "2 days", expires_in="-1 day")
    add_notification(db, "created 91 days ago", "91 days")
    add_notification(db, "created 91 days ago, read", "91 days")
    add_notification(db, "soft-deleted 8 days ago", "10 days", deleted_ago="8 days")
    add_notification(db, "keep: expires tomorrow", "1 day", expires_in="1 day")
    add_notification(db, "keep: created 89 days ago", "89 days")
    add_notification(db, "keep: soft-deleted 6 days ago", "80 days", deleted_ago="6 days")
    add_notification(db, "keep: created now", "0 seconds")
    db.execute("UPDATE notifydb.notifications SET is_read = true, read_at = now() WHERE title LIKE '%read'")

    deleted, notices = call(dsn, "CALL notifydb.purge_notifications(p_batch_size => 2)")

    assert deleted == 5
    assert titles(db) == {
        "keep: expires tomorrow",
        "keep: created 89 days ago",
        "keep: soft-deleted 6 days ago",
        "keep: created now",
    }
    assert notices == []


def test_purges_exactly_the_events_whose_last_activity_is_old(dsn, db):
    # Default policy: 180 days since the last activity.
    add_event(db, "created 181 days ago", "181 days")
    add_event(db, "resolved 190 days ago", "200 days", resolved_ago="190 days")
    add_event(db, "last seen 181 days ago", "300 days", seen_ago="181 days")
    add_event(db, "keep: created 179 days ago", "179 days")
    add_event(db, "keep: old but seen 10 days ago", "300 days", seen_ago="10 days")
    add_event(db, "keep: old but resolved 100 days ago", "300 days", seen_ago="250 days", resolved_ago="100 days")

    deleted, _ = call(dsn, "CALL notifydb.purge_events(p_batch_size => 1)")

    assert deleted == 3
    assert descriptions(db) == {
        "keep: created 179 days ago",
        "keep: old but seen 10 days ago",
        "keep: old but resolved 100 days ago",
    }


def test_run_retention_purges_both_tables(dsn, db):
    add_notification(db, "old", "100 days")
    add_notification(db, "keep", "1 day")
    add_event(db, "old", "200 days")
    add_event(db, "keep", "1 day")

    _, notices = call(dsn, "CALL notifydb.run_retention()")

    assert titles(db) == {"keep"}
    assert descriptions(db) == {"keep"}
    assert notices == ["run_retention: deleted 1 notifications and 1 events"]


def test_p_max_batches_and_p_now_bound_the_work(dsn, db):
    for i in range(5):
        add_notification(db, f"old {i}", "100 days")

    deleted, _ = call(dsn, "CALL notifydb.purge_notifications(p_batch_size => 2, p_max_batches => 1)")
    assert deleted == 2
    # As of 20 days ago, a 100-day-old row was only 80 days old: not due.
    deleted, _ = call(dsn, "CALL notifydb.purge_notifications(p_now => now() - interval '20 days')")
    assert deleted == 0
    deleted, _ = call(dsn, "CALL notifydb.purge_notifications()")
    assert deleted == 3


def test_each_batch_commits_and_an_error_releases_the_lock(dsn, db):
    for i in range(3):
        add_notification(db, f"expired {i}", "1 day", expires_in=f"-{3 - i} hours")
    # The third batch (batch size 1, oldest expiry first) fails.
    db.execute(
        """
        CREATE FUNCTION public.refuse_expired_2() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF OLD.title = 'expired 2' THEN RAISE EXCEPTION 'refused'; END IF; RETURN OLD; END $$;
        CREATE TRIGGER refuse_expired_2 BEFORE DELETE ON notifydb.notifications
        FOR EACH ROW EXECUTE FUNCTION public.refuse_expired_2();
        """
    )

    with pytest.raises(psycopg.errors.RaiseException, match="refused"):
        call(dsn, "CALL notifydb.purge_notifications(p_batch_size => 1)")

    assert titles(db) == {"expired 2"}, "the two batches before the failure stay committed"
    assert db.execute(f"SELECT pg_try_advisory_lock({LOCK_KEY})").fetchone()[0], "the failed run released its lock"


def test_a_second_concurrent_run_skips_with_a_notice(dsn, db):
    for i in range(3):
        add_notification(db, f"old {i}", "100 days")
        add_event(db, f"old {i}", "200 days")

    with purge_held_mid_batch(dsn) as first_run:
        started = time.monotonic()
        for statement in ("CALL notifydb.purge_notifications()", "CALL notifydb.purge_events()"):
            deleted, notices = call(dsn, statement)
            assert deleted == 0
            assert len(notices) == 1 and "skipped, another retention run is in progress" in notices[0]
        _, notices = call(dsn, "CALL notifydb.run_retention()")
        assert len(notices) == 3 and notices[-1] == "run_retention: deleted 0 notifications and 0 events"
        assert time.monotonic() - started < 5, "the second run returned at once instead of waiting"
        assert len(titles(db)) == 3 and len(descriptions(db)) == 3

    assert not first_run.is_alive()
    assert first_run.outcome["result"][0] == 3
    assert titles(db) == set()


def test_concurrent_runs_delete_every_row_once(dsn, db):
    db.execute(
        """
        INSERT INTO notifydb.notifications (tenant_id, type, title, message, created_at)
        SELECT gen_random_uuid(), 'T', 'old', 'm', now() - interval '100 days' FROM generate_series(1, 20000)
        """
    )
    results: list[int] = []
    barrier = threading.Barrier(6)

    def run() -> None:
        barrier.wait()
        results.append(call(dsn, "CALL notifydb.purge_notifications(p_batch_size => 500)")[0])

    threads = [threading.Thread(target=run) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sum(results) == 20000
    # Under the lock one run does all the work: the others skipped, or came
    # after it and found nothing. (SKIP LOCKED alone would share it out.)
    assert sorted(results) == [0] * 5 + [20000]
    assert titles(db) == set()


def test_a_policy_change_takes_effect(dsn, db):
    add_notification(db, "40 days old", "40 days")
    add_notification(db, "soft-deleted 2 days ago", "3 days", deleted_ago="2 days")
    add_event(db, "100 days old", "100 days")
    call(dsn, "CALL notifydb.run_retention()")
    assert len(titles(db)) == 2 and len(descriptions(db)) == 1

    db.execute(
        "UPDATE notifydb.retention_policy"
        " SET notification_max_age = '30 days', deleted_grace = '1 day', event_max_age = '90 days'"
    )
    call(dsn, "CALL notifydb.run_retention()")

    assert titles(db) == set() and descriptions(db) == set()


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        ("notification_max_age = '0'", "notification_max_age must be a positive interval, got 00:00:00"),
        ("notification_max_age = '-1 day'", "notification_max_age must be a positive interval, got -1 days"),
        ("deleted_grace = '1 day -25 hours'", "deleted_grace must be a positive interval"),
        ("deleted_grace = '1 month -31 days'", "deleted_grace must be given in days"),
        ("event_max_age = '3 months'", "event_max_age must be given in days (or hours, minutes, seconds), not months"),
        ("event_max_age = '1 year'", "event_max_age must be given in days (or hours, minutes, seconds), not months"),
        ("notification_max_age = '2 months'", "notification_max_age must be given in days"),
        ("event_max_age = '89 days'", "event_max_age must be between 90 days and 365 days, got 89 days"),
        ("event_max_age = '366 days'", "event_max_age must be between 90 days and 365 days, got 366 days"),
    ],
)
def test_bad_policy_values_are_rejected_clearly(db, assignment, message):
    with pytest.raises(psycopg.errors.InvalidParameterValue) as error:
        db.execute(f"UPDATE notifydb.retention_policy SET {assignment}")
    assert error.value.diag.message_primary.startswith(message)
    assert db.execute(
        "SELECT notification_max_age::text, deleted_grace::text, event_max_age::text FROM notifydb.retention_policy"
    ).fetchall() == [("90 days", "7 days", "180 days")]


@pytest.mark.parametrize("statement", ["DELETE FROM notifydb.retention_policy", "TRUNCATE notifydb.retention_policy"])
def test_the_policy_row_cannot_be_removed(db, statement):
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="must keep its one row"):
        db.execute(statement)
    assert db.execute("SELECT count(*) FROM notifydb.retention_policy").fetchone()[0] == 1


@pytest.mark.parametrize(
    ("arguments", "parameter"),
    [
        ("p_batch_size => 0", "p_batch_size"),
        ("p_batch_size => 100001", "p_batch_size"),
        ("p_batch_size => NULL", "p_batch_size"),
        ("p_max_batches => 0", "p_max_batches"),
        ("p_now => now() + interval '1 day'", "p_now"),
        ("p_now => NULL", "p_now"),
    ],
)
@pytest.mark.parametrize("procedure", ["notifydb.purge_notifications", "notifydb.purge_events"])
def test_bad_arguments_raise_22023_and_delete_nothing(dsn, db, procedure, arguments, parameter):
    add_notification(db, "old", "100 days")
    add_event(db, "old", "200 days")
    with pytest.raises(psycopg.errors.InvalidParameterValue) as error:
        call(dsn, f"CALL {procedure}({arguments})")
    assert error.value.diag.message_primary.startswith(parameter)
    assert titles(db) == {"old"} and descriptions(db) == {"old"}
    assert db.execute(f"SELECT pg_try_advisory_lock({LOCK_KEY})").fetchone()[0], "the lock was released"


def test_a_reader_holding_rows_does_not_stall_the_purge(dsn, db):
    for label in ("old 1", "old held", "old 2"):
        add_notification(db, label, "100 days")
    with psycopg.connect(dsn) as reader:
        reader.execute("SELECT * FROM notifydb.notifications WHERE title = 'old held' FOR SHARE")
        started = time.monotonic()
        deleted, _ = call(dsn, "CALL notifydb.purge_notifications(p_batch_size => 1)")
        assert time.monotonic() - started < 5
        assert deleted == 2 and titles(db) == {"old held"}, "the held row is skipped, not waited for"
        reader.rollback()
    assert call(dsn, "CALL notifydb.purge_notifications()")[0] == 1


def test_a_relay_holding_a_job_does_not_stall_the_purge_nor_deadlock_with_it(dsn, db):
    """complete_deliveries, retry_deliveries and claim_deliveries lock jobs, then record the outcome
    on their notifications; a batch locks notifications, and deleting one deletes its job. The batch
    skips a row whose job a relay holds instead of waiting for it, which could deadlock."""
    for label in ("old 1", "old held", "old 2"):
        db.execute(
            "INSERT INTO notifydb.notifications (tenant_id, user_id, type, title, message, channel, created_at) "
            "VALUES (%s, gen_random_uuid(), 'TEST', %s, 'message', 'email', now() - interval '100 days')",
            (TENANT, label),
        )
    held = (
        "SELECT o.job_id FROM notifydb.delivery_outbox AS o "
        "JOIN notifydb.notifications AS n ON n.id = o.notification_id"
    )
    with psycopg.connect(dsn) as relay:
        # Where complete_deliveries is between deleting its job and updating its notification.
        relay.execute(f"{held} WHERE n.title = 'old held' FOR UPDATE OF o")
        # A purge that waited for the job would fail here instead of hanging the suite.
        deleted, _ = call(make_conninfo(dsn, options="-c lock_timeout=5s"), "CALL notifydb.purge_notifications()")
        assert deleted == 2 and titles(db) == {"old held"}, "the row whose job is held is skipped, not waited for"
        relay.execute(
            "UPDATE notifydb.notifications SET delivery_status = 'sent', delivery_finished_at = now() "
            "WHERE title = 'old held'"
        )
        relay.commit()
    assert call(dsn, "CALL notifydb.purge_notifications()")[0] == 1
    assert db.execute("SELECT count(*) FROM notifydb.delivery_outbox").fetchone()[0] == 0


ROW_LOCK_MODES = {"AccessShareLock", "RowShareLock", "RowExclusiveLock"}


def table_lock_modes(conn: psycopg.Connection, pid: int) -> dict[str, set[str]]:
    """Relation lock modes the session `pid` holds, per notifydb table."""
    modes: dict[str, set[str]] = {}
    for table, mode in conn.execute(
        "SELECT c.relname, l.mode FROM pg_locks AS l JOIN pg_class AS c ON c.oid = l.relation"
        " WHERE l.pid = %s AND c.relnamespace = 'notifydb'::regnamespace AND c.relkind = 'r'",
        (pid,),
    ):
        modes.setdefault(table, set()).add(mode)
    return modes


def test_a_purge_in_progress_blocks_no_reader_and_takes_only_row_locks(dsn, db):
    for i in range(3):
        add_notification(db, f"old {i}", "100 days")
    with purge_held_mid_batch(dsn) as purge:
        pid = wait_for_advisory_waiter(db)
        modes = table_lock_modes(db, pid)
        assert modes["notifications"] and modes["notifications"] <= ROW_LOCK_MODES
        with psycopg.connect(dsn, autocommit=True) as reader:
            reader.execute("SET statement_timeout = '2s'")
            assert reader.execute("SELECT count(*) FROM notifydb.notifications").fetchone()[0] == 3
            assert len(reader.execute("SELECT id FROM notifydb.notifications ORDER BY created_at").fetchall()) == 3
    assert purge.outcome["result"][0] == 3


def test_a_batch_with_its_counter_and_outbox_triggers_takes_only_row_locks(dsn, db):
    """Held after the batch's DELETE and its statement triggers: the locks the whole batch takes."""
    db.execute(
        """
        INSERT INTO notifydb.notifications (tenant_id, user_id, type, title, message, channel, created_at)
        SELECT '00000000-0000-0000-0000-00000000000a', gen_random_uuid(), 'T', 'old ' || g, 'm', 'email',
            now() - interval '100 days'
        FROM generate_series(1, 3) AS g
        """
    )
    assert db.execute("SELECT count(*) FROM notifydb.delivery_outbox").fetchone()[0] == 3
    assert db.execute("SELECT sum(unread) FROM notifydb.inbox_counters").fetchone()[0] == 3
    with purge_held_mid_batch(dsn, after_statement=True) as purge:
        modes = table_lock_modes(db, wait_for_advisory_waiter(db))
        assert {"notifications", "inbox_counters", "delivery_outbox"} <= modes.keys(), modes
        for table, held in modes.items():
            assert held <= ROW_LOCK_MODES, f"{table}: {held}"
    assert purge.outcome["result"][0] == 3
    assert db.execute("SELECT count(*) FROM notifydb.delivery_outbox").fetchone()[0] == 0
    assert db.execute("SELECT coalesce(sum(unread), 0) FROM notifydb.inbox_counters").fetchone()[0] == 0


@pytest.mark.parametrize("after_statement", [False, True])
def test_an_events_purge_in_progress_takes_only_row_locks(dsn, db, after_statement):
    for i in range(3):
        add_event(db, f"old {i}", "200 days")
    with purge_held_mid_batch(dsn, "notifydb.purge_events", after_statement) as purge:
        modes = table_lock_modes(db, wait_for_advisory_waiter(db))
        assert modes["admin_system_events"] and modes["admin_system_events"] <= ROW_LOCK_MODES, modes
        for table, held in modes.items():
            assert held <= ROW_LOCK_MODES, f"{table}: {held}"
        with psycopg.connect(dsn, autocommit=True) as reader:
            reader.execute("SET statement_timeout = '2s'")
            assert reader.execute("SELECT count(*) FROM notifydb.admin_system_events").fetchone()[0] == 3
    assert purge.outcome["result"][0] == 3


def test_a_login_role_with_notifydb_retention_may_call_but_not_touch_tables(pg_server, dsn, db):
    add_notification(db, "old", "100 days")
    add_event(db, "old", "200 days")
    with login_role(dsn, "notifydb_retention") as job_dsn:
        assert call(job_dsn, "CALL notifydb.purge_notifications()")[0] == 1
        assert call(job_dsn, "CALL notifydb.purge_events()")[0] == 1
        call(job_dsn, "CALL notifydb.run_retention()")
        with psycopg.connect(job_dsn, autocommit=True) as conn:
            for statement in (
                "SELECT * FROM notifydb.notifications",
                "DELETE FROM notifydb.notifications",
                "SELECT * FROM notifydb.admin_system_events",
                "UPDATE notifydb.retention_policy SET event_max_age = '90 days'",
                "SELECT * FROM notifydb._notifications_due(now(), now(), now(), 1, false)",
                "SELECT * FROM notifydb._events_due(now(), '-infinity', 0, 1, false)",
            ):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(statement)
    with login_role(dsn, "notifydb_app") as app_dsn, psycopg.connect(app_dsn) as conn:
        for procedure in ("purge_notifications()", "purge_events()", "run_retention()"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"CALL notifydb.{procedure}")
            conn.rollback()


@pytest.mark.parametrize("table", ["retention_policy", "admin_system_events", "NULL"])
def test_the_shared_loop_refuses_other_tables(dsn, db, table):
    """_purge_in_batches is granted to notifydb_retention: only the two purges may come through it."""
    add_notification(db, "old", "100 days")
    add_event(db, "old", "200 days")
    literal = "NULL" if table == "NULL" else f"'{table}'"
    with login_role(dsn, "notifydb_retention") as job_dsn, pytest.raises(psycopg.errors.InvalidParameterValue) as error:
        call(job_dsn, f"CALL notifydb._purge_in_batches({literal}, 1, 1, NULL, now())")
    assert error.value.diag.message_primary.startswith("p_table must be notifications or events")
    assert titles(db) == {"old"} and descriptions(db) == {"old"}


def lock_held_by(conn: psycopg.Connection) -> bool:
    return conn.execute("SELECT notifydb._retention_lock_held()").fetchone()[0]


def test_a_failed_commit_leaves_the_lock_and_the_next_call_in_that_session_releases_it(dsn, db):
    """A COMMIT that fails inside the procedure escapes its exception handler, so the session
    (think of a pooled one) keeps the lock; its next retention call takes it back."""
    for i in range(2):
        add_notification(db, f"old {i}", "100 days")
    # A deferred constraint trigger runs at COMMIT, so the procedure's first COMMIT fails.
    db.execute(
        """
        CREATE FUNCTION public.refuse_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'refused at commit'; END $$;
        CREATE CONSTRAINT TRIGGER refuse_at_commit AFTER DELETE ON notifydb.notifications
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION public.refuse_at_commit();
        """
    )
    with psycopg.connect(dsn, autocommit=True) as pooled:
        notices: list[str] = []
        pooled.add_notice_handler(lambda diag: notices.append(diag.message_primary))
        with pytest.raises(psycopg.errors.RaiseException, match="refused at commit"):
            pooled.execute("CALL notifydb.purge_notifications(p_batch_size => 1)")
        assert lock_held_by(pooled), "the failed COMMIT left the lock held"
        deleted, other_notices = call(dsn, "CALL notifydb.purge_notifications()")
        assert deleted == 0 and "another retention run is in progress" in other_notices[0]

        db.execute("DROP TRIGGER refuse_at_commit ON notifydb.notifications")
        (deleted,) = pooled.execute("CALL notifydb.purge_notifications(p_batch_size => 1)").fetchone()

        assert deleted == 2
        assert notices == ["purge_notifications: releasing the retention lock a failed run left in this session"]
        assert not lock_held_by(pooled), "the run released it when done, every hold of it"
    assert call(dsn, "CALL notifydb.run_retention()")[1] == ["run_retention: deleted 0 notifications and 0 events"]


def test_an_events_purge_reads_old_but_active_events_once_per_run(dsn, db):
    """The events purge walks created_at (it never changes, so repeats stay HOT) and rechecks the
    last activity; its keyset cursor starts each batch after the rows the last one passed over."""
    for i in range(50):
        add_event(db, f"keep: created 300 days ago, seen lately {i}", "300 days", seen_ago="1 day")
    for i in range(10):
        add_event(db, f"created 200 days ago {i}", "200 days")

    deleted, _ = call(dsn, "CALL notifydb.purge_events(p_batch_size => 1)")

    assert deleted == 10
    assert len(descriptions(db)) == 50 and all(d.startswith("keep") for d in descriptions(db))
    # The purge's session has ended, so its backend flushes its index statistics as it exits,
    # which may be a moment after the client closed the connection.
    deadline = time.monotonic() + 10
    while True:
        db.execute("SELECT pg_stat_clear_snapshot()")
        (entries_read,) = db.execute(
            "SELECT idx_tup_read FROM pg_stat_user_indexes"
            " WHERE indexrelid = 'notifydb.admin_system_events_created_at_idx'::regclass"
        ).fetchone()
        if entries_read or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    # 60 entries to read; starting every one of the 11 batches at the oldest row would read 500 more.
    assert 60 <= entries_read < 100, entries_read
