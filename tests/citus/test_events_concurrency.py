"""tests/test_events_concurrency.py on the Citus layout (tests/citus/conftest.py gives Citus databases)."""

from __future__ import annotations

from tests.test_events_concurrency import *  # noqa: F403
