"""tests/test_relay_cli.py on the Citus layout (tests/citus/conftest.py gives Citus databases)."""

from __future__ import annotations

from tests.test_relay_cli import *  # noqa: F403
