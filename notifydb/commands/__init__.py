"""Subcommands of the notifydb CLI: each module has register(subparsers, common)."""
