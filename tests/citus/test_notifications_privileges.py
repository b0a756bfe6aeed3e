"""tests/test_notifications_privileges.py on the Citus layout (tests/citus/conftest.py gives Citus databases)."""

from __future__ import annotations

from tests.test_notifications_privileges import *  # noqa: F403
