"""tests/test_notifications_concurrency.py on the Citus layout (tests/citus/conftest.py gives Citus databases)."""

from __future__ import annotations

from tests.test_notifications_concurrency import *  # noqa: F403
