"""notifydb's runner in a source checkout: `python runner.py COMMAND`.

The commands of the installed `notifydb` console script, where `test` and `bench`
(which there only say that they need a checkout) run this checkout's tests/ and bench/.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import bench.cli
from notifydb.cli import COMMANDS, main
from notifydb.commands import bench as installed_bench
from notifydb.commands import test as installed_test

CHECKOUT = Path(__file__).resolve().parent


class TestCommand:
    """`test [pytest args]`: pytest on this checkout's tests/ (pgTAP files included)."""

    @staticmethod
    def register(subparsers, common: argparse.ArgumentParser) -> None:
        parser = subparsers.add_parser(
            "test",
            help="run the test suite; extra arguments go to pytest",
            description="Runs pytest on tests/ (pgTAP files included), or on the test files or node ids given."
            " Extra arguments are passed to pytest.",
        )
        parser.set_defaults(run=TestCommand.run, accepts_extra=True)

    @staticmethod
    def run(args: argparse.Namespace) -> int:
        import pytest

        # Given files replace tests/ rather than add to it (which would run everything).
        selection = [] if any(_selects_tests(arg) for arg in args.extra) else [str(CHECKOUT / "tests")]
        # pytest's own exit codes, including 5 when no test ran, pass through.
        return int(pytest.main([*selection, *args.extra]))


def _selects_tests(arg: str) -> bool:
    """A test file, folder or node id (tests/test_x.py::test_y), rather than an option or its value."""
    return not arg.startswith("-") and Path(arg.split("::", 1)[0]).exists()


CHECKOUT_COMMANDS = {installed_test: TestCommand, installed_bench: bench.cli}

if __name__ == "__main__":
    sys.exit(main(commands=tuple(CHECKOUT_COMMANDS.get(command, command) for command in COMMANDS)))
