"""tests/test_events_repeat.py on the Citus layout (tests/citus/conftest.py gives Citus databases)."""

from __future__ import annotations

from tests.test_events_repeat import *  # noqa: F403
