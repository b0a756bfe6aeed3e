"""`test`: run the whole test suite (pgTAP files and pytest) with pytest."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "test",
        help="run the test suite; extra arguments go to pytest",
        description="Runs pytest on tests/ (pgTAP files included). Extra arguments are passed to pytest.",
    )
    parser.set_defaults(run=run, accepts_extra=True)


def run(args: argparse.Namespace) -> int:
    import pytest

    tests_dir = Path(__file__).resolve().parents[2] / "tests"
    # pytest's own exit codes, including 5 when no test ran, pass through.
    return int(pytest.main([str(tests_dir), *args.extra]))
