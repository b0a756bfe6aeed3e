"""Running a pgTAP file and reading its TAP output (parsed with tap.py)."""

from __future__ import annotations

from pathlib import Path

import psycopg
from tap.line import Result
from tap.parser import Parser


def run_file(dsn: str, path: Path) -> str:
    """Execute the file's statements; return the TAP lines they produced."""
    lines: list[str] = []
    with psycopg.connect(dsn, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(path.read_text())
        while True:
            if cur.description is not None and len(cur.description) == 1:
                lines += [str(value) for (value,) in cur.fetchall() if value is not None]
            if not cur.nextset():
                break
    return "\n".join(lines)


def failures(tap_output: str) -> list[str]:
    """Failed assertions with their diagnostics, plus a plan mismatch; empty when all passed."""
    planned: int | None = None
    results: list[Result] = []
    problems: list[str] = []
    for line in Parser().parse_text(tap_output):
        if line.category == "plan":
            planned = line.expected_tests
        elif line.category == "test":
            results.append(line)
            if not line.ok and not line.todo:
                problems.append(f"not ok {line.number} {line.description}")
        elif line.category == "diagnostic" and problems and results and not results[-1].ok:
            problems[-1] += "\n    " + line.text
    if planned is None:
        problems.append("no plan: the file must SELECT plan(n)")
    elif planned != len(results):
        problems.append(f"planned {planned} tests but ran {len(results)}")
    return problems
