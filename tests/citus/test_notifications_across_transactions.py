"""tests/test_notifications_across_transactions.py on the Citus layout (tests/citus/conftest.py
gives Citus databases)."""

from __future__ import annotations

from tests.test_notifications_across_transactions import *  # noqa: F403
