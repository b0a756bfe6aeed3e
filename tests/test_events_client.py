"""The Client's event methods against a real database, and their structured log records."""

from __future__ import annotations

import json
import logging
import uuid

import psycopg
import pytest
from psycopg import errors

from notifydb import Client, SeveritySummary, SystemEvent


@pytest.fixture
def client(migrated_dsn: str):
    with psycopg.connect(migrated_dsn) as conn:
        yield Client(conn)


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


def test_each_record_writes_one_structured_log_record(client: Client, caplog: pytest.LogCaptureFixture) -> None:
    tenant_id, user_id = uuid.uuid4(), uuid.uuid4()
    caplog.set_level(logging.INFO, logger="notifydb.events")

    event_id = client.record_event("api_key_rotated", "medium", "key rotated", {"key": "k1"}, tenant_id, user_id, "kr")

    records = [r for r in caplog.records if r.name == "notifydb.events"]
    assert len(records) == 1
    record = records[0]
    assert record.levelno == logging.INFO
    fields = {
        name: getattr(record, name)
        for name in ("event_id", "event_type", "severity", "tenant_id", "user_id", "fingerprint", "details")
    }
    assert fields == {
        "event_id": event_id,
        "event_type": "api_key_rotated",
        "severity": "medium",
        "tenant_id": str(tenant_id),
        "user_id": str(user_id),
        "fingerprint": "kr",
        "details": {"key": "k1"},
    }
    json.dumps(fields)  # JSON-ready as they are


def test_a_refused_record_logs_nothing(client: Client, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="notifydb.events")
    with pytest.raises(errors.InvalidParameterValue):
        client.record_event("", "low", "d")
    assert [r for r in caplog.records if r.name == "notifydb.events"] == []
