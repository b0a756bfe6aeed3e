"""What a SQL file defines, as pglast reads it and as the catalog names it."""

from __future__ import annotations

import psycopg

from notifydb.migrations.objects import Definition, definitions, drop_statement, identities
from tests.support.postgres_server import migrated

SQL = """
SET LOCAL ROLE notifydb_owner;
CREATE TABLE notifydb.zz_items (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at timestamptz);
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS zz_items_at_idx ON notifydb.zz_items (at);
CREATE INDEX ON notifydb.zz_items (id, at);
CREATE VIEW notifydb.zz_recent AS SELECT id FROM notifydb.zz_items;
CREATE MATERIALIZED VIEW notifydb.zz_counts AS SELECT count(*) FROM notifydb.zz_items;
CREATE SEQUENCE notifydb."ZZ seq";
CREATE OR REPLACE FUNCTION notifydb.zz_f(
    p_at timestamptz, p_n integer DEFAULT 1, OUT o_x text, VARIADIC p_rest uuid[] DEFAULT NULL
)
LANGUAGE sql AS $$ SELECT 'x' $$;
CREATE FUNCTION notifydb.zz_t() RETURNS TABLE (x int) LANGUAGE sql AS $$ SELECT 1 $$;
CREATE PROCEDURE notifydb.zz_p(INOUT p_a bigint, OUT p_b text) LANGUAGE plpgsql AS $$ BEGIN p_b := 'b'; END $$;
CREATE FUNCTION notifydb.zz_stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE OR REPLACE TRIGGER "ZZ stamp" BEFORE INSERT ON notifydb.zz_items
FOR EACH ROW EXECUTE FUNCTION notifydb.zz_stamp();
DO $$ BEGIN EXECUTE 'CREATE TABLE notifydb.zz_hidden (x int)'; END $$;
"""


def test_definitions_are_what_the_create_statements_name() -> None:
    assert definitions(SQL) == [
        Definition("table", "notifydb.zz_items"),
        Definition("index", "notifydb.zz_items_at_idx"),
        Definition("view", "notifydb.zz_recent"),
        Definition("materialized view", "notifydb.zz_counts"),
        Definition("sequence", 'notifydb."ZZ seq"'),
        # OUT arguments are not part of a function's call signature; VARIADIC ones are.
        Definition("function", "notifydb.zz_f", args=("timestamptz", "integer", "uuid[]")),
        Definition("function", "notifydb.zz_t"),
        # Nor a procedure's, though CALL passes them.
        Definition("procedure", "notifydb.zz_p", args=("bigint",)),
        Definition("function", "notifydb.zz_stamp"),
        Definition("trigger", "ZZ stamp", table="notifydb.zz_items"),
    ]


def test_identities_are_the_catalogs_names_of_what_exists(fresh_dsn: str) -> None:
    migrated(fresh_dsn)
    with psycopg.connect(fresh_dsn) as conn:
        # Not on the names the catalog prints.
        conn.execute("SET search_path = notifydb, public")
        conn.execute("SET LOCAL ROLE notifydb_owner")
        for statement in SQL.split(";\n"):
            if statement.strip() and "CONCURRENTLY" not in statement:  # not in a transaction
                conn.execute(statement)
        conn.execute("DROP VIEW notifydb.zz_recent")
        found = identities(conn, definitions(SQL))
        assert conn.execute("SHOW search_path").fetchone() == ("notifydb, public",)
    assert found == [
        "table notifydb.zz_items",
        "materialized view notifydb.zz_counts",
        'sequence notifydb."ZZ seq"',
        "function notifydb.zz_f(timestamp with time zone,integer,uuid[])",
        "function notifydb.zz_t()",
        "procedure notifydb.zz_p(bigint)",
        "function notifydb.zz_stamp()",
        'trigger "ZZ stamp" on notifydb.zz_items',
    ]


def test_a_routine_is_found_only_by_its_kind_and_existing_types(fresh_dsn: str) -> None:
    migrated(fresh_dsn)
    wrong = [
        Definition("procedure", "notifydb.unread_count", args=("uuid", "uuid")),
        Definition("function", "notifydb.unread_count", args=("uuid", "notifydb.no_such_type")),
        Definition("function", "no_such_schema.unread_count", args=("uuid", "uuid")),
        Definition("trigger", "no_such_trigger", table="notifydb.notifications"),
    ]
    with psycopg.connect(fresh_dsn) as conn:
        assert identities(conn, wrong) == []


def test_drop_statement_of_an_identity() -> None:
    assert drop_statement('trigger "ZZ stamp" on notifydb.zz_items').as_string(None) == (
        'DROP TRIGGER IF EXISTS "ZZ stamp" on notifydb.zz_items'
    )
    assert drop_statement("function notifydb.f(timestamp with time zone,integer)").as_string(None) == (
        "DROP FUNCTION IF EXISTS notifydb.f(timestamp with time zone,integer)"
    )
