"""Every object in schema notifydb is defined in exactly one file, so that
reading that file tells what the object is."""

from __future__ import annotations

from collections import defaultdict

import psycopg

from notifydb.migrations.objects import definitions, identities, names
from notifydb.migrations.scripts import CITUS_DIR, REPEATABLE_DIRS, VERSIONED_DIR
from tests.support.cli import PROJECT_ROOT
from tests.support.postgres_server import migrated

# The runner's own history table comes from its bootstrap script. citus/
# defines objects only on Citus (tests/citus/ runs these tests there too).
FILES = [
    PROJECT_ROOT / "notifydb" / "migrations" / "bootstrap.sql",
    *(
        path
        for folder in (VERSIONED_DIR, *REPEATABLE_DIRS, CITUS_DIR)
        for path in sorted((PROJECT_ROOT / folder).glob("*.sql"))
    ),
]

# Relations, routines and triggers of notifydb, but not what a table makes
# for itself: the indexes of its primary key, unique and exclusion
# constraints, and the sequences of its identity and serial columns.
CATALOG_OBJECTS = """
SELECT 'pg_class', c.oid
FROM pg_catalog.pg_class AS c
WHERE
    c.relnamespace = 'notifydb'::regnamespace
    AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'i', 'I')
    AND NOT EXISTS (
        SELECT FROM pg_catalog.pg_constraint AS k WHERE k.conindid = c.oid AND k.contype IN ('p', 'u', 'x')
    )
    AND NOT EXISTS (
        SELECT FROM pg_catalog.pg_depend AS d
        WHERE
            c.relkind = 'S' AND d.classid = 'pg_class'::regclass AND d.objid = c.oid
            AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
    )
UNION ALL
SELECT 'pg_proc', p.oid FROM pg_catalog.pg_proc AS p WHERE p.pronamespace = 'notifydb'::regnamespace
UNION ALL
SELECT 'pg_trigger', t.oid
FROM pg_catalog.pg_trigger AS t
JOIN pg_catalog.pg_class AS c ON c.oid = t.tgrelid
WHERE c.relnamespace = 'notifydb'::regnamespace AND NOT t.tgisinternal
"""


def not_in_one_file(dsn: str) -> list[str]:
    """Each object of notifydb not defined in exactly one file, with the files that define it."""
    defined_by: dict[str, set[str]] = defaultdict(set)
    with psycopg.connect(dsn) as conn:
        for path in FILES:
            # What the file defines that still exists: a later file may have dropped the rest.
            for identity in identities(conn, definitions(path.read_text())):
                defined_by[identity].add(path.relative_to(PROJECT_ROOT).as_posix())
        catalog = names(conn, conn.execute(CATALOG_OBJECTS).fetchall())
    assert catalog, "the query finds notifydb's objects"
    return [
        f"{identity}: {', '.join(sorted(defined_by[identity])) or 'no file'}"
        for identity in catalog
        if len(defined_by[identity]) != 1
    ]


def test_every_object_is_defined_in_exactly_one_file(fresh_dsn: str) -> None:
    wrong = not_in_one_file(migrated(fresh_dsn))
    assert not wrong, "objects not defined in exactly one file:\n" + "\n".join(wrong)


def test_an_object_no_file_defines_is_found(fresh_dsn: str) -> None:
    migrated(fresh_dsn)
    with psycopg.connect(fresh_dsn) as conn:
        conn.execute("CREATE TABLE notifydb.zz_stray (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, x int UNIQUE)")
        conn.execute(
            "CREATE TRIGGER zz_stray AFTER INSERT ON notifydb.zz_stray EXECUTE FUNCTION notifydb._delete_all_jobs()"
        )
    stray = [line for line in not_in_one_file(fresh_dsn) if "zz_stray" in line]
    # Its key indexes and identity sequence are the table's.
    assert stray == ["table notifydb.zz_stray: no file", "trigger zz_stray on notifydb.zz_stray: no file"]
