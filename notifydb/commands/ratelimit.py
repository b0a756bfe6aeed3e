"""`ratelimit check|peek|reset POLICY IDENTITY`: look at or change one identity's rate limit.

Policies come from a TOML file (see notifydb-ratelimit.example.toml); keys are found
with the same secret the applications use (NOTIFYDB_RATELIMIT_SECRET), or they differ.
Exit codes: 0 allowed (or reset), 1 denied, 2 bad usage or config, 3 Redis unavailable
or refusing the command.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from notifydb.ratelimit import Decision, RateLimiter, connect
from notifydb.ratelimit.config import load_policies
from notifydb.redis_connection import DEFAULT_URL, REDIS_ERRORS

DEFAULT_CONFIG = "notifydb-ratelimit.toml"
EXIT_DENIED, EXIT_USAGE, EXIT_REDIS = 1, 2, 3


def register(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "ratelimit",
        help="check, peek at or reset one identity's rate limit",
        description=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("action", choices=("check", "peek", "reset"), help="check consumes one attempt")
    parser.add_argument("policy", help="a policy name from the config file")
    parser.add_argument("identity", help="e.g. an e-mail address (normalised as the library does)")
    parser.add_argument(
        "--config",
        default=os.environ.get("NOTIFYDB_RATELIMIT_CONFIG", DEFAULT_CONFIG),
        help=f"policies file (default: NOTIFYDB_RATELIMIT_CONFIG, else {DEFAULT_CONFIG})",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("NOTIFYDB_REDIS_URL", DEFAULT_URL),
        help=f"Redis to use (default: NOTIFYDB_REDIS_URL, else {DEFAULT_URL})",
    )
    parser.add_argument("--timeout", type=float, default=1.0, help="Redis timeout in seconds (default 1)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        policy = load_policies(args.config)[args.policy]
    except (OSError, ValueError) as exc:
        return _fail(str(exc), EXIT_USAGE)
    except KeyError:
        return _fail(f"{args.config}: no policy named {args.policy!r}", EXIT_USAGE)
    secret = os.environ.get("NOTIFYDB_RATELIMIT_SECRET")
    limiter = RateLimiter(connect(args.redis_url, timeout=args.timeout), secret=secret.encode() if secret else None)
    if args.action == "reset":
        return _reset(limiter, policy, args)
    try:
        decision = getattr(limiter, args.action)(policy, args.identity)
    except REDIS_ERRORS as exc:  # an error reply that is no outage, e.g. WRONGTYPE on the key
        return _fail(f"Redis at {args.redis_url}: {exc}", EXIT_REDIS)
    if decision.degraded:
        return _fail(f"Redis at {args.redis_url} did not answer", EXIT_REDIS)
    _print_decision(decision, args.json)
    return 0 if decision.allowed else EXIT_DENIED


def _reset(limiter: RateLimiter, policy, args: argparse.Namespace) -> int:
    try:
        deleted = limiter.reset(policy, args.identity)
    except REDIS_ERRORS as exc:
        return _fail(f"Redis at {args.redis_url}: {exc}", EXIT_REDIS)
    print(json.dumps({"reset": bool(deleted)}) if args.json else ("reset" if deleted else "nothing to reset"))
    return 0


def _print_decision(decision: Decision, as_json: bool) -> None:
    fields = {
        "allowed": decision.allowed,
        "limit": decision.limit,
        "remaining": decision.remaining,
        "retry_after": round(decision.retry_after, 3),
        "reset_after": round(decision.reset_after, 3),
    }
    if as_json:
        print(json.dumps(fields))
    else:
        print(" ".join(f"{name}={str(value).lower()}" for name, value in fields.items()))


def _fail(message: str, code: int) -> int:
    print(f"notifydb ratelimit: {message}", file=sys.stderr)
    return code
