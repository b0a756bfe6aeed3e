"""What the CREATE statements of a SQL file define (read with pglast), and the
catalog's name for each of those objects.

The catalog's names are what schema_history records: a file may write
``timestamptz`` or ``timestamp with time zone``, the catalog prints one of them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pglast
import psycopg
from pglast import ast, enums
from pglast.stream import RawStream
from psycopg import sql
from psycopg.types.json import Jsonb

ROUTINES = ("function", "procedure")

# Argument modes that are not part of a routine's signature (proargtypes).
_NOT_IN_SIGNATURE = {enums.FunctionParameterMode.FUNC_PARAM_OUT, enums.FunctionParameterMode.FUNC_PARAM_TABLE}


@dataclass(frozen=True)
class Definition:
    """One object a CREATE statement defines, named as the statement names it."""

    kind: str  # table, materialized view, view, sequence, index, function, procedure, trigger
    # Quoted, schema-qualified if the statement qualifies it (an index: as its
    # table); a trigger's is bare, as pg_trigger has it.
    name: str
    table: str | None = None  # triggers: their table, quoted
    args: tuple[str, ...] = ()  # functions and procedures: the argument types of the call signature

    @property
    def target(self) -> str:
        """What to_regclass or to_regprocedure finds it by (triggers: their table)."""
        if self.kind in ROUTINES:
            return f"{self.name}({', '.join(self.args)})"
        return self.table if self.kind == "trigger" else self.name


def _relation(node: ast.RangeVar, name: str | None = None) -> str:
    return RawStream()(ast.RangeVar(schemaname=node.schemaname, relname=name or node.relname, inh=True))


def _routine(stmt: ast.CreateFunctionStmt) -> Definition:
    kind = "procedure" if stmt.is_procedure else "function"
    args = tuple(RawStream()(p.argType) for p in stmt.parameters or () if p.mode not in _NOT_IN_SIGNATURE)
    name = RawStream()(ast.ObjectWithArgs(objname=stmt.funcname, args_unspecified=True))
    return Definition(kind, name, args=args)


def _definition(stmt: ast.Node) -> Definition | None:
    match stmt:
        case ast.CreateStmt():
            return Definition("table", _relation(stmt.relation))
        case ast.CreateTableAsStmt(objtype=enums.ObjectType.OBJECT_MATVIEW):
            return Definition("materialized view", _relation(stmt.into.rel))
        case ast.CreateTableAsStmt():
            return Definition("table", _relation(stmt.into.rel))
        case ast.ViewStmt():
            return Definition("view", _relation(stmt.view))
        case ast.CreateSeqStmt():
            return Definition("sequence", _relation(stmt.sequence))
        case ast.IndexStmt(idxname=str()):
            # An index lives in its table's schema.
            return Definition("index", _relation(stmt.relation, stmt.idxname))
        case ast.CreateFunctionStmt():
            return _routine(stmt)
        case ast.CreateTrigStmt():
            return Definition("trigger", stmt.trigname, table=_relation(stmt.relation))
    return None


def definitions(sql_text: str) -> list[Definition]:
    """The objects ``sql_text`` creates, in order; raises pglast's ParseError.

    Only what CREATE statements name: not what a DO block creates, nor the
    indexes and sequences a table creates for its constraints and identity
    columns, nor an index created without a name.
    """
    found = (_definition(raw.stmt) for raw in pglast.parse_sql(sql_text))
    return [d for d in found if d is not None]


# Found as the session finds names, so as the file's own statements found
# them. to_regprocedure raises (not NULL) for an unknown argument type: a
# routine whose types do not all exist does not exist either.
_FIND = """
SELECT CASE
    WHEN o.kind = 'trigger' THEN 'pg_trigger'
    WHEN o.kind IN ('function', 'procedure') THEN 'pg_proc'
    ELSE 'pg_class'
END, CASE
    WHEN o.kind = 'trigger' THEN (
        SELECT t.oid FROM pg_catalog.pg_trigger AS t
        WHERE t.tgrelid = pg_catalog.to_regclass(o.target) AND t.tgname = o.name
    )
    WHEN o.kind IN ('function', 'procedure') THEN (
        SELECT p.oid FROM pg_catalog.pg_proc AS p
        WHERE
            NOT EXISTS (SELECT FROM pg_catalog.unnest(o.args) AS a (t) WHERE pg_catalog.to_regtype(a.t) IS NULL)
            AND p.oid = pg_catalog.to_regprocedure(o.target)
            AND (p.prokind = 'p') = (o.kind = 'procedure')
    )
    ELSE pg_catalog.to_regclass(o.target)::pg_catalog.oid
END
FROM pg_catalog.jsonb_to_recordset(%s) AS o (n integer, kind text, name text, target text, args text[])
ORDER BY o.n
"""

_NAME = """
SELECT CASE o.catalog
    WHEN 'pg_trigger' THEN (
        SELECT pg_catalog.format('trigger %%I on %%s', t.tgname, t.tgrelid::pg_catalog.regclass)
        FROM pg_catalog.pg_trigger AS t WHERE t.oid = o.oid
    )
    WHEN 'pg_proc' THEN (
        SELECT CASE p.prokind WHEN 'p' THEN 'procedure ' ELSE 'function ' END || p.oid::pg_catalog.regprocedure
        FROM pg_catalog.pg_proc AS p WHERE p.oid = o.oid
    )
    ELSE (
        SELECT CASE c.relkind
            WHEN 'v' THEN 'view '
            WHEN 'm' THEN 'materialized view '
            WHEN 'S' THEN 'sequence '
            WHEN 'i' THEN 'index '
            WHEN 'I' THEN 'index '
            ELSE 'table '
        END || c.oid::pg_catalog.regclass
        FROM pg_catalog.pg_class AS c WHERE c.oid = o.oid
    )
END
FROM ROWS FROM (pg_catalog.unnest(%s::text[]), pg_catalog.unnest(%s::oid[])) WITH ORDINALITY AS o (catalog, oid, n)
ORDER BY o.n
"""


def names(conn: psycopg.Connection, objects: list[tuple[str, int]]) -> list[str]:
    """Identities of catalog objects, given as (pg_class, pg_proc or pg_trigger, oid).

    Printed with only pg_catalog on the search_path, so that every other
    schema is named whatever the session's search_path: ``function
    notifydb.mark_read(uuid,uuid,uuid[])``, ``trigger t on notifydb.notifications``.
    Needs a transaction: the search_path is changed for it alone, and put back.
    """
    (path,) = conn.execute("SELECT pg_catalog.current_setting('search_path')").fetchone()
    conn.execute("SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true)")
    rows = conn.execute(_NAME, ([c for c, _ in objects], [oid for _, oid in objects])).fetchall()
    conn.execute("SELECT pg_catalog.set_config('search_path', %s, true)", (path,))
    return [name for (name,) in rows]


def identities(conn: psycopg.Connection, defined: list[Definition]) -> list[str]:
    """The catalog's identities of those of ``defined`` that exist now, in order
    (a routine only if one of that kind has that signature). Needs a transaction."""
    if not defined:
        return []
    wanted = [
        {"n": n, "kind": d.kind, "name": d.name, "target": d.target, "args": list(d.args)}
        for n, d in enumerate(defined)
    ]
    rows = conn.execute(_FIND, (Jsonb(wanted),)).fetchall()
    found = names(conn, [(catalog, oid) for catalog, oid in rows if oid is not None])
    return list(dict.fromkeys(found))  # once each, though a file may create an object twice


def drop_statement(identity: str) -> sql.Composable:
    """DROP ... IF EXISTS of a function, procedure or trigger named as :func:`identities`
    names it, without CASCADE: an object something still depends on is not dropped."""
    kind, _, name = identity.partition(" ")
    # The catalog quoted the identity's names, so it is SQL as it stands.
    return sql.SQL("DROP {} IF EXISTS {}").format(sql.SQL(kind.upper()), sql.SQL(name))
