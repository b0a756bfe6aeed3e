"""Every public method of the Python client carries a docstring."""

from __future__ import annotations

import inspect

import pytest

from notifydb import Client
from notifydb.delivery import DeliveryContent, DeliveryJob
from notifydb.listener import Announcement, AnnouncementListener
from notifydb.relay import Relay

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
