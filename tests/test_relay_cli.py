"""`python runner.py relay` as an operator runs it: stdout, --exec, SIGKILL mid-batch, SIGTERM."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from notifydb import Client
from notifydb.commands.relay import EXIT_REJECTED
from tests.support.cli import PROJECT_ROOT, run_cli, start_cli
from tests.support.delivery import (
    clear,
    delivery_statuses,
    insert_notifications,
    outbox,
)
from tests.support.postgres_server import migrated
from tests.support.roles import login_role


@pytest.fixture(scope="module")
def dsn(pg_server) -> str:
    return migrated(pg_server.create_database("notifydb_test_relay_cli"))


@pytest.fixture(scope="module")
def relay_dsn(dsn: str) -> Iterator[str]:
    with login_role(dsn, "notifydb_delivery") as role_dsn:
        yield role_dsn


@pytest.fixture(autouse=True)
def empty_tables(dsn: str) -> None:
    clear(dsn)


def wait_for(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def read_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_stdout_relay_writes_every_job_once_and_completes_it(dsn: str, relay_dsn: str) -> None:
    notification_ids = insert_notifications(dsn, 250)
    insert_notifications(dsn, 10, channel="in_app")
    result = run_cli("relay", "--dsn", relay_dsn, "--once", "--batch-size", "100")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted(line["notification_id"] for line in lines) == sorted(str(i) for i in notification_ids)
    assert {line["job_type"] for line in lines} == {"SEND_NOTIFICATION"}
    assert set(lines[0]) == {"job_id", "job_type", "notification_id", "tenant_id", "user_id", "channel", "attempts"}
    assert outbox(dsn) == []
    assert delivery_statuses(dsn) == {"sent": 250}
    assert "completed 250" in result.stderr


def test_exec_failure_retries_the_batch_and_once_exits_3(dsn: str, relay_dsn: str, tmp_path: Path) -> None:
    insert_notifications(dsn, 3)
    received = tmp_path / "batch.jsonl"
    result = run_cli(
        "relay", "--dsn", relay_dsn, "--once", "--retry-delay", "3600", "--exec", f"cat >> {received}; exit 7"
    )
    assert result.returncode == EXIT_REJECTED, result.stderr
    assert "the handler rejected 3 job(s)" in result.stderr
    assert len(read_lines(received)) == 3
    jobs = outbox(dsn)
    assert [(attempts, leased, error) for _, _, attempts, leased, error in jobs] == [
        (1, False, "command exited with status 7")
    ] * 3
    assert delivery_statuses(dsn) == {None: 3}


def test_exec_success_completes_the_batch(dsn: str, relay_dsn: str, tmp_path: Path) -> None:
    insert_notifications(dsn, 30, channel="push")
    received = tmp_path / "batch.jsonl"
    result = run_cli("relay", "--dsn", relay_dsn, "--once", "--batch-size", "7", "--exec", f"cat >> {received}")
    assert result.returncode == 0, result.stderr
    assert len({line["job_id"] for line in read_lines(received)}) == 30
    assert delivery_statuses(dsn) == {"sent": 30}


def test_a_role_without_notifydb_delivery_is_told_which_role_it_needs(dsn: str) -> None:
    insert_notifications(dsn, 2)
    with login_role(dsn, "notifydb_app") as app_dsn:
        user = conninfo_to_dict(app_dsn)["user"]
        result = run_cli("relay", "--dsn", app_dsn, "--once")
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1].endswith(
        f"permission denied: the relay needs the notifydb_delivery role (GRANT notifydb_delivery TO {user};)"
    ), result.stderr
    assert len(outbox(dsn)) == 2


def test_relay_killed_mid_batch_loses_nothing(dsn: str, relay_dsn: str, tmp_path: Path) -> None:
    insert_notifications(dsn, 20)
    received, pid_file = tmp_path / "batch.jsonl", tmp_path / "handler.pid"
    # The handler records its batch, then takes far longer than the test waits.
    handler = f"echo $$ > {pid_file}; cat > {received}; exec sleep 60"
    relay = start_cli("relay", "--dsn", relay_dsn, "--batch-size", "5", "--lease", "2", "--exec", handler)
    try:
        wait_for(lambda: len(read_lines(received)) == 5)
        relay.send_signal(signal.SIGKILL)
        relay.wait(timeout=10)
    finally:
        if pid_file.exists():
            os.kill(int(pid_file.read_text()), signal.SIGKILL)
    in_flight = {line["notification_id"] for line in read_lines(received)}
    jobs = outbox(dsn)
    assert len(jobs) == 20, "no job was lost or completed"
    assert {str(nid) for _, nid, attempts, leased, _ in jobs if attempts == 1 and leased} == in_flight
    assert delivery_statuses(dsn) == {None: 20}
    time.sleep(2.1)
    with psycopg.connect(relay_dsn, autocommit=True) as conn:
        again = Client(conn).claim_deliveries(limit=1000)
    assert {str(job.notification_id) for job in again if job.attempts == 2} == in_flight
    assert len(again) == 20


def test_stdout_closed_by_its_reader_stops_cleanly_and_acks_only_what_was_written(dsn: str, relay_dsn: str) -> None:
    """`relay | head -1`: far more output than a pipe holds, so the relay must meet the closed pipe."""
    insert_notifications(dsn, 3000)
    pipeline = subprocess.run(
        [
            "bash",
            "-c",
            'set -o pipefail; "$0" runner.py relay --dsn "$1" --once --batch-size 1000 | head -1',
            sys.executable,
            relay_dsn,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=PROJECT_ROOT,
    )
    assert pipeline.returncode == 0, pipeline.stderr
    for noise in ("Traceback", "Exception", "BrokenPipe"):
        assert noise not in pipeline.stderr
    [first] = [json.loads(line) for line in pipeline.stdout.splitlines()]
    reported = re.search(r"claimed (\d+), completed (\d+), retried (\d+)", pipeline.stderr)
    assert reported, pipeline.stderr
    claimed, completed, retried = map(int, reported.groups())
    assert (claimed, completed + retried) == (1000, 1000), "it stopped after the batch in hand"
    assert 1 <= completed < 1000
    statuses = delivery_statuses(dsn)
    assert statuses == {"sent": completed, None: 3000 - completed}
    jobs = outbox(dsn)
    assert str(first["notification_id"]) not in {str(nid) for _, nid, *_ in jobs}, "the line read was acked"
    assert not any(leased for *_, leased, _ in jobs), "the lines not written were put back"
    assert sum(1 for *_, error in jobs if error == "stdout was closed by its reader") == retried


def test_sigterm_finishes_the_batch_in_hand_and_exits_0(dsn: str, relay_dsn: str, tmp_path: Path) -> None:
    insert_notifications(dsn, 20)
    received = tmp_path / "batches.jsonl"
    relay = start_cli("relay", "--dsn", relay_dsn, "--batch-size", "5", "--exec", f"cat >> {received}; sleep 1.5")
    try:
        wait_for(lambda: len(read_lines(received)) == 5)
        relay.send_signal(signal.SIGTERM)
        _, stderr = relay.communicate(timeout=30)
    finally:
        if relay.poll() is None:
            relay.kill()
    assert relay.returncode == 0, stderr
    delivered = [line["job_id"] for line in read_lines(received)]
    assert len(delivered) == len(set(delivered)) == 5, "one batch, handed over once"
    jobs = outbox(dsn)
    assert len(jobs) == 15 and all(attempts == 0 for _, _, attempts, _, _ in jobs), "nothing else was claimed"
    assert not {job_id for job_id, *_ in jobs} & set(delivered), "the batch in hand was completed"
    assert delivery_statuses(dsn) == {"sent": 5, None: 15}
    assert "completed 5" in stderr


def test_sigterm_while_idle_exits_promptly(relay_dsn: str) -> None:
    relay = start_cli("relay", "--dsn", relay_dsn, "--idle-sleep", "60")
    try:
        assert relay.stderr.readline().startswith("relay: draining the outbox"), "the relay did not start"
        time.sleep(0.5)  # into its idle wait: nothing is due
        relay.send_signal(signal.SIGTERM)
        relay.wait(timeout=10)
    except subprocess.TimeoutExpired:
        relay.kill()
        raise
    assert relay.returncode == 0


def test_with_content_adds_what_to_send(dsn: str, relay_dsn: str) -> None:
    with psycopg.connect(dsn) as conn:
        conn.execute(
            """INSERT INTO notifydb.notifications (tenant_id, user_id, type, title, message, channel, data)
               VALUES (gen_random_uuid(), NULL, 'QUOTA_WARNING', 'Quota at 91 %', 'Upgrade soon', 'push',
                       '{"percent": 91}')"""
        )
    result = run_cli("relay", "--dsn", relay_dsn, "--once", "--with-content")
    assert result.returncode == 0, result.stderr
    [line] = [json.loads(text) for text in result.stdout.splitlines()]
    assert (line["type"], line["title"], line["message"], line["data"]) == (
        "QUOTA_WARNING",
        "Quota at 91 %",
        "Upgrade soon",
        {"percent": 91},
    )
    assert (line["channel"], line["user_id"], line["attempts"], line["deleted_at"]) == ("push", None, 1, None)


def test_exec_command_outliving_its_lease_is_killed_and_retried(dsn: str, relay_dsn: str, tmp_path: Path) -> None:
    insert_notifications(dsn, 2)
    pid_file = tmp_path / "handler.pid"
    started = time.monotonic()
    result = run_cli(
        "relay",
        "--dsn",
        relay_dsn,
        "--once",
        "--lease",
        "1",
        "--retry-delay",
        "3600",
        "--exec",
        f"echo $$ > {pid_file}; cat > /dev/null; exec sleep 30",
    )
    assert result.returncode == EXIT_REJECTED, result.stderr
    assert time.monotonic() - started < 15, "the command was not cut off at the lease"
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid_file.read_text()), 0)
    assert [(attempts, leased, error) for _, _, attempts, leased, error in outbox(dsn)] == [
        (1, False, "command timed out after 0.9 s")
    ] * 2
