"""The pgTAP files of tests/pgtap/ on the Citus layout, each one test item
(tests/test_pgtap.py, with migrated_dsn a Citus database)."""

from __future__ import annotations

from tests.test_pgtap import test_pgtap  # noqa: F401  (collected here, on Citus)
