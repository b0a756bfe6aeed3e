"""tests/test_notifications_client.py on the Citus layout (tests/citus/conftest.py gives Citus databases)."""

from __future__ import annotations

from tests.test_notifications_client import *  # noqa: F403
