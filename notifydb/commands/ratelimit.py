"""`ratelimit check|peek|reset POLICY IDENTITY`: look at or change one identity's rate limit.

Policies come from a TOML file (`notifydb ratelimit --example-config` prints one to
start from); keys are found with the same secret the applications use
(NOTIFYDB_RATELIMIT_SECRET), or they differ. Exit codes: 0 allowed (or reset),
1 denied, 2 bad usage or config, 3 Redis unavailable or refusing the command.
Needs Redis support: pip install 'notifydb[redis]'.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from importlib.resources import files
from pathlib import Path

DEFAULT_CONFIG = "notifydb-ratelimit.toml"
EXAMPLE_CONFIG = files("notifydb") / "ratelimit" / "example.toml"  # files("notifydb.ratelimit") would load redis-py
EXIT_DENIED, EXIT_USAGE, EXIT_REDIS = 1, 2, 3


def register(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "ratelimit",
        help="check, peek at or reset one identity's rate limit",
        description=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("action", nargs="?", choices=("check", "peek", "reset"), help="check consumes one attempt")
    parser.add_argument("policy", nargs="?", help="a policy name from the config file")
    parser.add_argument("identity", nargs="?", help="e.g. an e-mail address (normalised as the library does)")
    parser.add_argument(
        "--example-config", action="store_true", help="print an example policies file to start from, and exit"
    )
    parser.add_argument(
        "--config",
        default=os.environ.get("NOTIFYDB_RATELIMIT_CONFIG", DEFAULT_CONFIG),
        help=f"policies file (default: NOTIFYDB_RATELIMIT_CONFIG, else {DEFAULT_CONFIG})",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("NOTIFYDB_REDIS_URL"),
        help="Redis to use (default: NOTIFYDB_REDIS_URL, else redis://127.0.0.1:6379/0)",
    )
    parser.add_argument("--timeout", type=float, default=1.0, help="Redis timeout in seconds (default 1)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.example_config:
        print(EXAMPLE_CONFIG.read_text(), end="")
        return 0
    if args.identity is None:
        return _fail("give ACTION POLICY IDENTITY, e.g. check auth:password-reset user@example.com", EXIT_USAGE)
    try:
        from notifydb.ratelimit import RateLimiter, connect
        from notifydb.ratelimit.config import load_policies
        from notifydb.redis_connection import DEFAULT_URL, REDIS_ERRORS
    except ModuleNotFoundError as exc:
        return _fail(f"needs Redis support ({exc.name} is not installed): pip install 'notifydb[redis]'", EXIT_USAGE)
    if not Path(args.config).is_file():
        return _fail(
            f"no policies file at {Path(args.config).resolve()} (--config, else NOTIFYDB_RATELIMIT_CONFIG, else"
            f" ./{DEFAULT_CONFIG}); start from the example: notifydb ratelimit --example-config > {DEFAULT_CONFIG}",
            EXIT_USAGE,
        )
    try:
        policy = load_policies(args.config)[args.policy]
    except (OSError, ValueError) as exc:
        return _fail(str(exc), EXIT_USAGE)
    except KeyError:
        return _fail(f"{args.config}: no policy named {args.policy!r}", EXIT_USAGE)
    secret = os.environ.get("NOTIFYDB_RATELIMIT_SECRET")
    args.redis_url = args.redis_url or DEFAULT_URL
    try:
        redis_client = connect(args.redis_url, timeout=args.timeout)
    except ValueError as exc:  # redis-py's word on a URL it cannot use, e.g. http://
        return _fail(f"--redis-url {args.redis_url}: {exc}", EXIT_USAGE)
    limiter = RateLimiter(redis_client, secret=secret.encode() if secret else None)
    try:
        if args.action == "reset":
            return _reset(limiter, policy, args, REDIS_ERRORS)
        decision = getattr(limiter, args.action)(policy, args.identity)
    except REDIS_ERRORS as exc:  # an error reply that is no outage, e.g. WRONGTYPE on the key
        return _fail(f"Redis at {args.redis_url}: {exc}", EXIT_REDIS)
    except ValueError as exc:  # an identity that normalises to nothing
        return _fail(f"identity {args.identity!r}: {exc}", EXIT_USAGE)
    if decision.degraded:
        return _fail(f"Redis at {args.redis_url} did not answer", EXIT_REDIS)
    _print_decision(decision, args.json)
    return 0 if decision.allowed else EXIT_DENIED


def _reset(limiter, policy, args: argparse.Namespace, redis_errors: tuple) -> int:
    try:
        deleted = limiter.reset(policy, args.identity)
    except redis_errors as exc:
        return _fail(f"Redis at {args.redis_url}: {exc}", EXIT_REDIS)
    print(json.dumps({"reset": bool(deleted)}) if args.json else ("reset" if deleted else "nothing to reset"))
    return 0


def _print_decision(decision, as_json: bool) -> None:
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
