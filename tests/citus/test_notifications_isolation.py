"""tests/test_notifications_isolation.py on the Citus layout (tests/citus/conftest.py gives Citus databases)."""

from __future__ import annotations

from tests.test_notifications_isolation import *  # noqa: F403
