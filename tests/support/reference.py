"""docs/reference.md: every routine granted to a notifydb_* role, from the catalog plus hand-written notes.

The catalog of a freshly migrated database gives what must not drift: each
signature, its parameters' types and defaults, the return type, the roles that
may call it and its COMMENT ON text. tests/support/reference_notes.toml gives
what the catalog cannot: bounds, errors, the meaning of the result, an example.
`reference_markdown` refuses notes that are missing, left over or name
parameters the routine does not have, so neither half can go stale unseen.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import psycopg

NOTES = Path(__file__).with_name("reference_notes.toml")

# The roles of the public contract, created by schema/V0001 (notifydb_owner owns; nobody calls as it).
CALLER_ROLES = ("notifydb_app", "notifydb_admin", "notifydb_retention", "notifydb_delivery")

ROUTINES = """
SELECT p.oid, p.proname, p.prokind, coalesce(obj_description(p.oid, 'pg_proc'), '(no COMMENT)'),
       array(SELECT r FROM unnest(%(roles)s::text[]) WITH ORDINALITY AS u (r, i)
             WHERE has_function_privilege(r, p.oid, 'EXECUTE') ORDER BY i) AS roles
FROM pg_proc AS p
WHERE p.pronamespace = 'notifydb'::regnamespace
ORDER BY p.proname
"""
# Every argument in declaration order: IN (i), OUT (o), INOUT (b), VARIADIC (v), TABLE column (t).
ARGUMENTS = """
SELECT coalesce(p.proargnames[a.n], ''), coalesce(p.proargmodes[a.n], 'i'), format_type(a.type, NULL),
       pg_get_function_arg_default(p.oid, a.n::int)
FROM pg_proc AS p
CROSS JOIN LATERAL unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) WITH ORDINALITY AS a (type, n)
WHERE p.oid = %s
ORDER BY a.n
"""
RESULT = """
SELECT pg_get_function_result(p.oid), p.proretset, t.typtype, t.typrelid,
       p.prorettype = 'record'::regtype OR t.typtype = 'c'
FROM pg_proc AS p JOIN pg_type AS t ON t.oid = p.prorettype
WHERE p.oid = %s
"""
COMPOSITE_COLUMNS = """
SELECT a.attname, format_type(a.atttypid, a.atttypmod)
FROM pg_attribute AS a
WHERE a.attrelid = %s AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""

MODES = {"i": "IN", "o": "OUT", "b": "INOUT", "v": "VARIADIC", "t": "TABLE"}


class StaleNotes(ValueError):
    """reference_notes.toml does not match the catalog."""


@dataclass(frozen=True)
class Argument:
    name: str
    mode: str  # a key of MODES
    type: str
    default: str | None

    @property
    def is_input(self) -> bool:
        return self.mode in "ibv"

    @property
    def is_output(self) -> bool:
        return self.mode in "obt"


@dataclass(frozen=True)
class Routine:
    name: str
    procedure: bool
    comment: str
    roles: tuple[str, ...]
    arguments: tuple[Argument, ...]
    result: str  # pg_get_function_result; '' for a procedure
    returns_set: bool
    columns: tuple[tuple[str, str], ...]  # of a row result: TABLE, OUT parameters or a composite type

    @property
    def inputs(self) -> list[Argument]:
        return [arg for arg in self.arguments if arg.is_input]


def catalog_routines(conn: psycopg.Connection) -> list[Routine]:
    """Every routine of schema notifydb that one of CALLER_ROLES may execute."""
    routines = []
    for oid, name, kind, comment, roles in conn.execute(ROUTINES, {"roles": list(CALLER_ROLES)}).fetchall():
        if not roles:
            continue
        arguments = tuple(Argument(*row) for row in conn.execute(ARGUMENTS, (oid,)).fetchall())
        result, returns_set, typtype, typrelid, is_row = conn.execute(RESULT, (oid,)).fetchone()
        if kind == "p":
            columns: tuple[tuple[str, str], ...] = ()
        elif typtype == "c" and typrelid:
            columns = tuple(conn.execute(COMPOSITE_COLUMNS, (typrelid,)).fetchall())
        elif is_row:
            columns = tuple((arg.name, arg.type) for arg in arguments if arg.mode in "obt")
        else:
            columns = ()
        routines.append(
            Routine(
                name=name,
                procedure=kind == "p",
                comment=" ".join(comment.split()),
                roles=tuple(roles),
                arguments=arguments,
                result="" if kind == "p" else result,
                returns_set=returns_set,
                columns=columns,
            )
        )
    return routines


def load_notes(path: Path = NOTES) -> dict:
    with path.open("rb") as file:
        return tomllib.load(file)


def check_notes(routines: list[Routine], notes: dict) -> None:
    """Refuse notes that do not match the catalog: the message says what to change."""
    by_name = {routine.name: routine for routine in routines}
    if len(by_name) != len(routines):
        raise StaleNotes("two granted routines share a name: the reference keys notes by name")
    described = notes.get("routines", {})
    placed = [name for section in notes["sections"] for name in section["routines"]]
    granted = by_name.keys()
    problems = []
    problems += [f"no notes for notifydb.{name}" for name in sorted(granted - described.keys())]
    problems += [f"notes for notifydb.{name}, which no notifydb role may call" for name in described.keys() - granted]
    problems += [f"notifydb.{name} is in no section" for name in sorted(granted - set(placed))]
    problems += [f"a section lists notifydb.{name}, which no notifydb role may call" for name in set(placed) - granted]
    problems += [f"notifydb.{name} is in more than one section" for name in {n for n in placed if placed.count(n) > 1}]
    for name in sorted(by_name.keys() & described.keys()):
        routine, note = by_name[name], described[name]
        given, actual = set(note.get("params", {})), {arg.name for arg in routine.inputs}
        if given != actual:
            problems.append(
                f"notifydb.{name}: params in the notes {sorted(given)} are not its parameters {sorted(actual)}"
            )
        for key in ("returns", "example", "errors"):
            if key not in note:
                problems.append(f"notifydb.{name}: the notes have no {key}")
        if f"notifydb.{name}(" not in note.get("example", ""):
            problems.append(f"notifydb.{name}: the example does not call it")
    if problems:
        raise StaleNotes(f"{NOTES.name} does not match the catalog:\n" + "\n".join(problems))


def _default(text: str) -> str:
    """A default as the catalog deparses it, without the cast on NULL (`NULL::timestamp with time zone`)."""
    return "NULL" if text.startswith("NULL::") else text


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _anchor(name: str) -> str:
    """GitHub's heading anchor for `### notifydb.<name>`."""
    return "notifydb" + name


def _signature(routine: Routine) -> list[str]:
    declared = [arg for arg in routine.arguments if arg.mode != "t"]
    lines = [f"{'PROCEDURE' if routine.procedure else 'FUNCTION'} notifydb.{routine.name}("]
    for i, arg in enumerate(declared):
        mode = "" if arg.mode == "i" else MODES[arg.mode] + " "
        default = f" DEFAULT {_default(arg.default)}" if arg.default is not None else ""
        lines.append(f"    {mode}{arg.name} {arg.type}{default}{',' if i < len(declared) - 1 else ''}")
    if not declared:
        lines[0] += ")"
    else:
        lines.append(")")
    if routine.result:
        if routine.result.startswith("TABLE("):
            columns = [f"    {name} {sql_type}" for name, sql_type in routine.columns]
            lines += ["RETURNS TABLE (", *[c + ("," if i < len(columns) - 1 else "") for i, c in enumerate(columns)]]
            lines.append(")")
        else:
            lines.append(f"RETURNS {routine.result}")
    return lines


def _returns(routine: Routine, note: dict) -> list[str]:
    if routine.procedure:
        shape = "nothing (a procedure: `CALL` it)"
        if any(arg.mode == "b" for arg in routine.arguments):
            shape = "its INOUT parameters, as one row (a procedure: `CALL` it)"
    elif routine.columns:
        shape = (
            ("rows" if routine.returns_set else "one row")
            + " of "
            + ", ".join(f"`{name}` {sql_type}" for name, sql_type in routine.columns)
        )
    else:
        shape = f"`{routine.result}`"
    return [f"**Returns** {shape}. {note['returns']}", ""]


def _routine(routine: Routine, note: dict) -> list[str]:
    roles = ", ".join(f"`{role}`" for role in routine.roles)
    lines = [
        f"### notifydb.{routine.name}",
        "",
        routine.comment,
        "",
        "```sql",
        *_signature(routine),
        "```",
        "",
        f"**Who may call it:** {roles}.",
        "",
    ]
    inputs = routine.inputs
    if inputs:
        lines += ["| parameter | type | default | bounds |", "|---|---|---|---|"]
        for arg in inputs:
            default = "none" if arg.default is None else f"`{_cell(_default(arg.default))}`"
            name = arg.name + (" (INOUT)" if arg.mode == "b" else "")
            lines.append(f"| `{name}` | {arg.type} | {default} | {_cell(note['params'][arg.name])} |")
        lines.append("")
    lines += _returns(routine, note)
    if note.get("notes"):
        lines += [" ".join(note["notes"].split()), ""]
    lines += ["| SQLSTATE | when |", "|---|---|"]
    lines += [f"| {code} | {_cell(when)} |" for code, when in note["errors"]]
    lines += ["| 42501 | the caller holds none of the roles above |", ""]
    lines += ["```sql", note["example"], "```", ""]
    return lines


def reference_markdown(routines: list[Routine], notes: dict, regenerate: str) -> str:
    check_notes(routines, notes)
    by_name = {routine.name: routine for routine in routines}
    lines = [
        "# notifydb reference",
        "",
        f"Generated by `{regenerate}`: do not edit by hand. Signatures, defaults, return",
        "types, the roles that may call each routine and its description come from the catalog of",
        "a freshly migrated database; bounds, errors and examples from",
        "[tests/support/reference_notes.toml](../tests/support/reference_notes.toml).",
        "",
        *notes["intro"].strip().splitlines(),
        "",
        "## Contents",
        "",
    ]
    for section in notes["sections"]:
        entries = ", ".join(f"[{name}](#{_anchor(name)})" for name in section["routines"])
        lines.append(f"- {section['title']}: {entries}")
    lines.append("")
    for section in notes["sections"]:
        lines += [f"## {section['title']}", "", *section["text"].strip().splitlines(), ""]
        for name in section["routines"]:
            lines += _routine(by_name[name], notes["routines"][name])
    return "\n".join(lines).rstrip("\n") + "\n"


def examples(routines: list[Routine], notes: dict) -> list[tuple[str, str, str]]:
    """(routine, the first role that may call it, its example) in the reference's order."""
    check_notes(routines, notes)
    by_name = {routine.name: routine for routine in routines}
    return [
        (name, by_name[name].roles[0], notes["routines"][name]["example"])
        for section in notes["sections"]
        for name in section["routines"]
    ]
