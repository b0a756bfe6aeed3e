"""The Client's event methods against a real database, and their structured log records."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime

import psycopg
import pytest
from psycopg import errors

from notifydb import Client, SeveritySummary, SystemEvent


@pytest.fixture
def conn(migrated_dsn: str):
    with psycopg.connect(migrated_dsn) as conn:
        yield conn


@pytest.fixture
def client(conn: psycopg.Connection) -> Client:
    return Client(conn)


def stored_times(conn: psycopg.Connection, event_id: int) -> tuple[str, str]:
    with conn.transaction():
        created_at, last_seen_at = conn.execute(
            "SELECT created_at, last_seen_at FROM notifydb.admin_system_events WHERE id = %s", (event_id,)
        ).fetchone()
    return created_at.isoformat(), last_seen_at.isoformat()


def test_record_list_resolve_summarise(client: Client) -> None:
    tenant_id, actor = uuid.uuid4(), uuid.uuid4()
    first = client.record_event("quota_reached", "high", "quota at 95%", {"used": 95}, tenant_id, actor, "quota")
    again = client.record_event("quota_reached", "medium", "quota at 97%", {"used": 97}, tenant_id, actor, "quota")
    other = client.record_event("job_failure", "low", "job failed", tenant_id=tenant_id)

    assert again == first
    events = client.list_events(tenant_id=tenant_id)
    assert [e.id for e in events] == [other, first]
    bumped = events[1]
    assert isinstance(bumped, SystemEvent)
    assert (bumped.severity, bumped.description, bumped.details, bumped.occurrences) == (
        "high",
        "quota at 97%",
        {"used": 97},
        2,
    )
    assert (bumped.tenant_id, bumped.user_id, bumped.fingerprint, bumped.is_resolved) == (
        tenant_id,
        actor,
        "quota",
        False,
    )

    assert [e.id for e in client.list_events(tenant_id=tenant_id, min_severity="high")] == [first]
    assert [e.id for e in client.list_events(tenant_id=tenant_id, limit=1, before_id=other)] == [first]
    assert client.event_summary(tenant_id) == [
        SeveritySummary("low", 1),
        SeveritySummary("medium", 0),
        SeveritySummary("high", 1),
        SeveritySummary("critical", 0),
    ]

    assert client.resolve_event(first, actor) is True
    assert client.resolve_event(first, uuid.uuid4()) is False
    assert [e.id for e in client.list_events(tenant_id=tenant_id, unresolved_only=True)] == [other]
    resolved = client.list_events(tenant_id=tenant_id, min_severity="high")[0]
    assert (resolved.is_resolved, resolved.resolved_by) == (True, actor)


def test_errors_come_through(client: Client) -> None:
    with pytest.raises(errors.InvalidParameterValue, match="p_severity"):
        client.record_event("job_failure", "urgent", "d")
    with pytest.raises(errors.InvalidParameterValue, match="p_details"):
        client.record_event("job_failure", "low", "d", details={"k": "x" * 9000})
    with pytest.raises(errors.NoDataFound):
        client.resolve_event(-1, uuid.uuid4())
    with pytest.raises(errors.InvalidParameterValue, match="p_min_severity"):
        client.list_events(min_severity="urgent")


def log_fields(caplog: pytest.LogCaptureFixture) -> list[dict]:
    names = (
        "event_id",
        "event_type",
        "severity",
        "recorded_severity",
        "description",
        "details",
        "tenant_id",
        "user_id",
        "fingerprint",
        "occurrences",
        "created_at",
        "last_seen_at",
    )
    records = [r for r in caplog.records if r.name == "notifydb.events"]
    assert all(r.levelno == logging.INFO for r in records)
    return [{name: getattr(r, name) for name in names} for r in records]


def test_each_record_writes_one_structured_log_record(
    conn: psycopg.Connection, client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    tenant_id, user_id = uuid.uuid4(), uuid.uuid4()
    caplog.set_level(logging.INFO, logger="notifydb.events")

    event_id = client.record_event("api_key_rotated", "medium", "key rotated", {"key": "k1"}, tenant_id, user_id, "kr")

    [fields] = log_fields(caplog)
    json.dumps(fields)  # JSON-ready as they are
    assert (fields.pop("created_at"), fields.pop("last_seen_at")) == stored_times(conn, event_id)
    assert fields == {
        "event_id": event_id,
        "event_type": "api_key_rotated",
        "severity": "medium",
        "recorded_severity": "medium",
        "description": "key rotated",
        "details": {"key": "k1"},
        "tenant_id": str(tenant_id),
        "user_id": str(user_id),
        "fingerprint": "kr",
        "occurrences": 1,
    }
    assert caplog.records[-1].getMessage() == f"system event {event_id} recorded: api_key_rotated (medium)"


def test_a_repeat_logs_what_the_event_now_is(
    conn: psycopg.Connection, client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    tenant_id = uuid.uuid4()
    caplog.set_level(logging.INFO, logger="notifydb.events")

    event_id = client.record_event("disk_full", "high", "disk 95% full", {"pct": 95}, tenant_id, fingerprint="disk")
    again = client.record_event("disk_full", "low", "disk 97% full", {"pct": 97}, tenant_id, fingerprint="disk")

    first, repeat = log_fields(caplog)
    assert (again, repeat["event_id"], repeat["occurrences"]) == (event_id, event_id, 2)
    assert (repeat["severity"], repeat["recorded_severity"]) == ("high", "low"), "the highest severity seen stands"
    assert (repeat["description"], repeat["details"]) == ("disk 97% full", {"pct": 97})
    assert (repeat["created_at"], repeat["last_seen_at"]) == stored_times(conn, event_id)
    assert repeat["created_at"] == first["created_at"]
    assert datetime.fromisoformat(repeat["last_seen_at"]) > datetime.fromisoformat(first["last_seen_at"])
    assert caplog.records[-1].getMessage() == f"system event {event_id} repeated (2 occurrences): disk_full (high)"
    json.dumps(repeat)


def test_a_refused_record_logs_nothing(client: Client, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="notifydb.events")
    with pytest.raises(errors.InvalidParameterValue):
        client.record_event("", "low", "d")
    assert [r for r in caplog.records if r.name == "notifydb.events"] == []
