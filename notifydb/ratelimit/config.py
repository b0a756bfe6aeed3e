"""Rate-limit policies from a TOML file, for operators' tools.

[policies."auth:password-reset"]
limit = 3
window_seconds = 3600
on_redis_error = "closed"      # optional; also algorithm, count_rejected
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from notifydb.ratelimit.policy import Policy


def load_policies(path: str | Path) -> dict[str, Policy]:
    with open(path, "rb") as file:
        document = tomllib.load(file)
    tables = document.get("policies")
    if not isinstance(tables, dict) or not tables:
        raise ValueError(f'{path}: no [policies."NAME"] tables')
    try:
        return {name: Policy(name=name, **settings) for name, settings in tables.items()}
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{path}: {exc}") from exc
