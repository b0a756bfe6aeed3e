"""`python -m bench`: run the benchmark from a source checkout (see bench/README.md)."""

import sys

from bench.cli import main

sys.exit(main())
