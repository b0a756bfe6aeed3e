"""tests/test_notifications_property.py on the Citus layout (tests/citus/conftest.py gives Citus databases)."""

from __future__ import annotations

from tests.test_notifications_property import *  # noqa: F403
