"""tests/test_events_client.py on the Citus layout (tests/citus/conftest.py gives Citus databases)."""

from __future__ import annotations

from tests.test_events_client import *  # noqa: F403
