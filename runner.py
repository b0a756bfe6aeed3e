"""notifydb's runner: `python runner.py COMMAND` (also installed as `notifydb`)."""

import sys

from notifydb.cli import main

if __name__ == "__main__":
    sys.exit(main())
