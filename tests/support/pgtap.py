"""Running a pgTAP file and reading its TAP output (parsed with tap.py)."""

from __future__ import annotations

from pathlib import Path

import psycopg
from tap.parser import Parser

# pgTAP's functions return text. Other results (a count, a new id) are left
# out: tap.py would read a number such as 10450 as the plan "1..50".
TEXT_OID = 25


def run_file(dsn: str, path: Path) -> str:
    """Execute the file's statements; return the TAP lines they produced."""
    lines: list[str] = []
    with psycopg.connect(dsn, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(path.read_text())
        while True:
            if cur.description is not None and len(cur.description) == 1 and cur.description[0].type_code == TEXT_OID:
                lines += [value for (value,) in cur.fetchall() if value is not None]
            if not cur.nextset():
                break
    return "\n".join(lines)


def failures(tap_output: str) -> list[str]:
    """Failed and skipped assertions, the failures with their diagnostics, plus
    a plan mismatch; empty when all passed. A failing TODO is expected to fail."""
    planned: int | None = None
    ran = 0
    problems: list[str] = []
    # Diagnostics follow the assertion they explain; only a reported one keeps them.
    explains_problem = False
    for line in Parser().parse_text(tap_output):
        if line.category == "plan":
            planned = line.expected_tests
            if line.skip:
                problems.append(f"the whole file was skipped: {line.directive.reason}")
        elif line.category == "test":
            ran += 1
            explains_problem = False
            if line.skip:  # the developer guide allows no silent skips
                problems.append(f"skipped {line.number}: {line.directive.reason}")
            elif not line.ok and not line.todo:
                problems.append(f"not ok {line.number} {line.description}")
                explains_problem = True
        elif line.category == "diagnostic" and explains_problem:
            problems[-1] += "\n    " + line.text
    if planned is None:
        problems.append("no plan: the file must SELECT plan(n)")
    elif planned != ran:
        problems.append(f"planned {planned} tests but ran {ran}")
    return problems


def check_file(dsn: str, path: Path) -> list[str]:
    """What is wrong with a pgTAP file's run: its failures, or the SQL error that stopped it."""
    try:
        output = run_file(dsn, path)
    except psycopg.Error as exc:
        return [f"SQL error (SQLSTATE {exc.sqlstate}): {str(exc).strip()}"]
    return failures(output)
