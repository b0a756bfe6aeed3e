"""Every tests/pgtap/*.sql file is one test item; it fails with its failing assertions.

The harness itself is tested on small pgTAP files written here: a harness that
let failures through would make every pgTAP file a test that cannot fail.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import pgtap

PGTAP_FILES = sorted((Path(__file__).parent / "pgtap").glob("*.sql"))


def test_pgtap_files_exist() -> None:
    assert PGTAP_FILES, "tests/pgtap/ holds no .sql files"


@pytest.mark.parametrize("path", PGTAP_FILES, ids=lambda p: p.name)
def test_pgtap(path: Path, migrated_dsn: str) -> None:
    problems = pgtap.check_file(migrated_dsn, path)
    if problems:
        pytest.fail(f"{path.name}:\n" + "\n".join(problems), pytrace=False)


def check(dsn: str, tmp_path: Path, planned: int, *assertions: str) -> list[str]:
    """Run a pgTAP file made of `assertions` (one SQL statement each) through the harness."""
    path = tmp_path / "probe.sql"
    body = "\n".join(f"{assertion};" for assertion in assertions)
    path.write_text(f"BEGIN;\nSELECT plan({planned});\n{body}\nSELECT * FROM finish();\nROLLBACK;\n")
    return pgtap.check_file(dsn, path)


def test_harness_passes_a_file_whose_assertions_all_pass(migrated_dsn: str, tmp_path: Path) -> None:
    assert check(migrated_dsn, tmp_path, 2, "SELECT ok(true, 'first')", "SELECT is(1, 1, 'second')") == []


def test_harness_fails_with_the_failing_assertion_and_its_diagnostics(migrated_dsn: str, tmp_path: Path) -> None:
    problems = check(
        migrated_dsn, tmp_path, 3, "SELECT ok(true, 'fine')", "SELECT is(1, 2, 'one is two')", "SELECT pass('after')"
    )
    assert len(problems) == 1, problems
    assert problems[0].startswith("not ok 2 - one is two")
    assert "have: 1" in problems[0] and "want: 2" in problems[0]


def test_a_failing_todo_passes_and_keeps_its_diagnostics_to_itself(migrated_dsn: str, tmp_path: Path) -> None:
    problems = check(
        migrated_dsn,
        tmp_path,
        3,
        "SELECT is(1, 2, 'a real failure')",
        "SELECT todo('not built yet', 1)",
        "SELECT is(3, 4, 'an expected failure')",
        "SELECT pass('last')",
    )
    assert len(problems) == 1, problems
    assert problems[0].startswith("not ok 1 - a real failure")
    assert "expected failure" not in problems[0] and "have: 3" not in problems[0]


def test_a_skipped_assertion_is_reported(migrated_dsn: str, tmp_path: Path) -> None:
    problems = check(migrated_dsn, tmp_path, 2, "SELECT pass('ran')", "SELECT skip('no reason to skip', 1)")
    assert problems == ["skipped 2: no reason to skip"], problems


def test_harness_reports_a_plan_mismatch(migrated_dsn: str, tmp_path: Path) -> None:
    problems = check(migrated_dsn, tmp_path, 3, "SELECT pass('one')", "SELECT pass('two')")
    assert problems == ["planned 3 tests but ran 2"]


def test_harness_reports_a_file_without_a_plan(migrated_dsn: str, tmp_path: Path) -> None:
    # (pgTAP itself raises when an assertion runs before plan(): an SQL error.)
    path = tmp_path / "no_plan.sql"
    path.write_text("BEGIN;\nSELECT 'no TAP here';\nROLLBACK;\n")
    assert pgtap.check_file(migrated_dsn, path) == ["no plan: the file must SELECT plan(n)"]


def test_harness_reports_an_sql_error(migrated_dsn: str, tmp_path: Path) -> None:
    problems = check(migrated_dsn, tmp_path, 2, "SELECT pass('before')", "SELECT notifydb.no_such_function()")
    assert len(problems) == 1 and problems[0].startswith("SQL error (SQLSTATE 42883)"), problems
    assert "no_such_function" in problems[0]


def test_harness_ignores_results_that_are_not_tap(migrated_dsn: str, tmp_path: Path) -> None:
    """A file may call functions for their effect: a count such as 10450 is not the plan "1..50"."""
    problems = check(migrated_dsn, tmp_path, 2, "SELECT pass('one')", "SELECT 10450::bigint", "SELECT pass('two')")
    assert problems == []
