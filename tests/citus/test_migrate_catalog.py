"""tests/test_migrate_catalog.py on the Citus layout: one file per object there too."""

from __future__ import annotations

from tests.test_migrate_catalog import test_every_object_is_defined_in_exactly_one_file  # noqa: F401
