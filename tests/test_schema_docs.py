"""docs/schema.sql, docs/er.md and docs/reference.md match what the current scripts build,
and every example of the reference runs in psql as the role it names."""

from __future__ import annotations

import copy
import difflib
import subprocess
from pathlib import Path

import psycopg
import pytest

from tests.support.postgres_server import migrated
from tests.support.psql import psql
from tests.support.reference import StaleNotes, catalog_routines, check_notes, examples, load_notes
from tests.support.schema_docs import (
    ER_MD,
    REFERENCE_MD,
    REGENERATE,
    SCHEMA_SQL,
    er_markdown,
    recorded_major,
    reference,
    schema_sql,
    server_major,
)


def assert_current(path: Path, generated: str) -> None:
    committed = path.read_text(encoding="utf-8") if path.exists() else ""
    if committed != generated:
        name = f"docs/{path.name}"
        diff = difflib.unified_diff(committed.splitlines(), generated.splitlines(), name, "generated", lineterm="")
        shown = "\n".join(list(diff)[:60])
        pytest.fail(f"{name} is stale; regenerate it with: {REGENERATE}\n{shown}", pytrace=False)


def test_er_diagram_is_current(fresh_dsn: str) -> None:
    assert_current(ER_MD, er_markdown(migrated(fresh_dsn)))


def test_schema_dump_is_current(fresh_dsn: str) -> None:
    # pg_dump's output differs between majors; the ER diagram above does not.
    recorded = recorded_major(SCHEMA_SQL.read_text(encoding="utf-8")) if SCHEMA_SQL.exists() else None
    running = server_major(fresh_dsn)
    if recorded is not None and recorded != running:
        pytest.skip(
            f"docs/schema.sql was dumped from PostgreSQL {recorded}, this server is PostgreSQL {running}:"
            " only docs/er.md is compared"
        )
    assert_current(SCHEMA_SQL, schema_sql(migrated(fresh_dsn)))


def test_reference_is_current(fresh_dsn: str) -> None:
    assert_current(REFERENCE_MD, reference(migrated(fresh_dsn)))


def test_reference_examples_run_in_psql_as_their_role(fresh_dsn: str) -> None:
    """Each example, in the reference's order, under SET ROLE to the first role it lists."""
    dsn = migrated(fresh_dsn)
    with psycopg.connect(dsn) as conn:
        runs = examples(catalog_routines(conn), load_notes())
    script = [
        "\\set ON_ERROR_STOP on",
        "\\set tenant 9f1c3e52-5d3a-4f7e-8a61-2b0d4c7e9a10",
        "\\set user 3b7e1d2c-8a4f-4e6b-9c0d-1f2a3b4c5d6e",
        # The variables the examples name: a notification (e-mail, so it has a job), an event, a claimed job.
        "SELECT notifydb.create_notification(:'tenant', :'user', 'T', 'title', 'message', 'email') AS id \\gset",
        "SELECT notifydb.record_event('setup', 'low', 'an event to resolve') AS event \\gset",
        "SELECT job_id AS job FROM notifydb.claim_deliveries(1) \\gset",
    ]
    for name, role, example in runs:
        script += [f"\\echo example {name}", f"SET ROLE {role};", example, "RESET ROLE;"]
    result = subprocess.run(
        [str(psql()), "-X", "-q", "-d", dsn, "-f", "-"],
        input="\n".join(script) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    ran = [line.removeprefix("example ") for line in result.stdout.splitlines() if line.startswith("example ")]
    assert result.returncode == 0, f"the example of {ran[-1] if ran else '(setup)'} failed:\n{result.stderr}"
    assert ran == [name for name, _, _ in runs]


def test_notes_that_do_not_match_the_catalog_are_refused(migrated_dsn: str) -> None:
    with psycopg.connect(migrated_dsn) as conn:
        routines = catalog_routines(conn)
    notes = load_notes()
    check_notes(routines, notes)  # as committed: consistent

    missing = copy.deepcopy(notes)
    del missing["routines"]["mark_read"]
    with pytest.raises(StaleNotes, match=r"no notes for notifydb\.mark_read"):
        check_notes(routines, missing)

    renamed = copy.deepcopy(notes)
    renamed["routines"]["mark_read"]["params"]["p_id"] = renamed["routines"]["mark_read"]["params"].pop("p_ids")
    with pytest.raises(StaleNotes, match=r"notifydb\.mark_read: params in the notes"):
        check_notes(routines, renamed)

    unplaced = copy.deepcopy(notes)
    unplaced["sections"][0]["routines"].remove("mark_read")
    with pytest.raises(StaleNotes, match=r"notifydb\.mark_read is in no section"):
        check_notes(routines, unplaced)
