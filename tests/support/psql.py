"""The psql client, for tests that run SQL files and examples as a DBA would."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

from tests.support.cluster import ClusterUnavailable, find_bindir


def psql() -> Path:
    """The psql of the suite's PostgreSQL binaries, else the one on PATH."""
    with contextlib.suppress(ClusterUnavailable):
        candidate = find_bindir() / "psql"
        if candidate.exists():
            return candidate
    found = shutil.which("psql")
    if found is None:
        raise FileNotFoundError("no psql: not beside initdb (PG_BINDIR, pg_config) and not on PATH")
    return Path(found)
