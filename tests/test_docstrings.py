"""Every public method of the Python client carries a docstring, and every SQL function has its method."""

from __future__ import annotations

import inspect

import pytest

from notifydb import Client
from notifydb.delivery import DeliveryContent, DeliveryJob
from notifydb.listener import Announcement, AnnouncementListener
from notifydb.relay import Relay
from tests.support.schema_docs import REFERENCE_MD

PUBLIC_CLASSES = (Client, AnnouncementListener, Announcement, Relay, DeliveryJob, DeliveryContent)


def public_members(cls: type):
    for name, member in inspect.getmembers(cls):
        if name.startswith("_"):
            continue
        function = member.fget if isinstance(member, property) else member
        if callable(function) and getattr(function, "__module__", "").startswith("notifydb"):
            yield name, function


@pytest.mark.parametrize("cls", PUBLIC_CLASSES, ids=lambda cls: cls.__name__)
def test_public_methods_have_docstrings(cls: type) -> None:
    missing = [name for name, function in public_members(cls) if not (function.__doc__ or "").strip()]
    assert missing == [], f"{cls.__name__} methods without a docstring: {missing}"


def test_every_function_an_application_calls_has_a_client_method() -> None:
    """One method per SQL function of docs/reference.md, but for retention (the runner's) and record_event_returning
    (record_event's own round trip)."""
    headings = [line for line in REFERENCE_MD.read_text(encoding="utf-8").splitlines() if line.startswith("### ")]
    functions = {line.removeprefix("### notifydb.") for line in headings}
    expected = {
        name
        for name in functions
        if not name.startswith("_") and "retention" not in name and not name.startswith("purge_")
    } - {"record_event_returning"}
    assert len(expected) == 18, sorted(expected)
    assert sorted(expected - {name for name, _ in public_members(Client)}) == []
