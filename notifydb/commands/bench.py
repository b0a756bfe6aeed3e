"""`bench`: the benchmark lives in bench/ of a source checkout, not in the package.

`python -m bench` (or `python runner.py bench`) in a checkout runs it; the installed
`notifydb bench` only says so.
"""

from __future__ import annotations

import argparse
import sys

NEEDS_CHECKOUT = (
    "notifydb bench: needs a source checkout of notifydb: run `python -m bench` in its root (see bench/README.md)"
)


def register(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="the benchmark (from a source checkout: python -m bench)",
        description="The benchmark is not part of the package: run `python -m bench` in a source checkout.",
    )
    parser.set_defaults(run=run, accepts_extra=True)


def run(args: argparse.Namespace) -> int:
    print(NEEDS_CHECKOUT, file=sys.stderr)
    return 2
