"""`test`: run the whole test suite (pgTAP files and pytest) with pytest."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "test",
        help="run the test suite; extra arguments go to pytest",
        description="Runs pytest on tests/ (pgTAP files included), or on the test files or node ids given."
        " Extra arguments are passed to pytest.",
    )
    parser.set_defaults(run=run, accepts_extra=True)


def _selects_tests(arg: str) -> bool:
    """A test file, folder or node id (tests/test_x.py::test_y), rather than an option or its value."""
    return not arg.startswith("-") and Path(arg.split("::", 1)[0]).exists()


def run(args: argparse.Namespace) -> int:
    import pytest

    tests_dir = Path(__file__).resolve().parents[2] / "tests"
    # Given files replace tests/ rather than add to it (which would run everything).
    selection = [] if any(_selects_tests(arg) for arg in args.extra) else [str(tests_dir)]
    # pytest's own exit codes, including 5 when no test ran, pass through.
    return int(pytest.main([*selection, *args.extra]))
