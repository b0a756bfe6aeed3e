"""`test`: the test suite lives in tests/ of a source checkout, not in the package.

`python runner.py test` (or `pytest`) in a checkout runs it; the installed
`notifydb test` only says so.
"""

from __future__ import annotations

import argparse
import sys

NEEDS_CHECKOUT = (
    "notifydb test: needs a source checkout of notifydb: run `python runner.py test` (or `pytest`) in its root"
)


def register(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "test",
        help="the test suite (from a source checkout: python runner.py test)",
        description="The tests are not part of the package: run `python runner.py test` in a source checkout.",
    )
    parser.set_defaults(run=run, accepts_extra=True)


def run(args: argparse.Namespace) -> int:
    print(NEEDS_CHECKOUT, file=sys.stderr)
    return 2
