"""tests/test_delivery.py on the Citus layout (tests/citus/conftest.py gives Citus databases)."""

from __future__ import annotations

from tests.test_delivery import *  # noqa: F403
