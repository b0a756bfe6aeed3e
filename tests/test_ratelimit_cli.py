"""`python runner.py ratelimit` end to end, as an operator runs it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from tests.ratelimit_helpers import all_keys

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def ratelimit(redis_client: redis.Redis, redis_url: str, tmp_path: Path):
    """run(*args, env=None) -> CompletedProcess of `runner.py ratelimit` against the test Redis."""
    shutil.copy(PROJECT_ROOT / "notifydb" / "ratelimit" / "example.toml", tmp_path / "notifydb-ratelimit.toml")

    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        environment = {**os.environ, "NOTIFYDB_REDIS_URL": redis_url}
        environment.pop("NOTIFYDB_RATELIMIT_SECRET", None)
        environment.update(env or {})
        command = [sys.executable, str(PROJECT_ROOT / "runner.py"), "ratelimit", *args]
        return subprocess.run(command, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=30)

    return run


def test_check_counts_until_denied_then_reset_clears(ratelimit) -> None:
    codes = [ratelimit("check", "auth:password-reset", "Op@Example.com").returncode for _ in range(4)]
    assert codes == [0, 0, 0, 1]
    peek = ratelimit("peek", "auth:password-reset", "op@example.com", "--json")
    assert peek.returncode == 1
    peeked = json.loads(peek.stdout)
    assert (peeked["allowed"], peeked["limit"], peeked["remaining"]) == (False, 3, 0)
    assert 3500 < peeked["retry_after"] <= 3600
    reset = ratelimit("reset", "auth:password-reset", "OP@example.com")
    assert (reset.returncode, reset.stdout.strip()) == (0, "reset")
    check = ratelimit("check", "auth:password-reset", "op@example.com")
    assert check.returncode == 0
    assert check.stdout.startswith("allowed=true limit=3 remaining=2 ")


def test_the_secret_from_the_environment_hashes_keys(ratelimit, redis_client: redis.Redis) -> None:
    result = ratelimit("check", "auth:verification-email", "op@example.com", env={"NOTIFYDB_RATELIMIT_SECRET": "s3"})
    assert result.returncode == 0
    (key,) = all_keys(redis_client)
    assert key.startswith("auth:verification-email:{h") and "example" not in key


def test_an_unknown_policy_is_a_usage_error(ratelimit) -> None:
    result = ratelimit("check", "auth:nope", "op@example.com")
    assert result.returncode == 2
    assert "no policy named 'auth:nope'" in result.stderr


def test_an_unreachable_redis_is_reported(ratelimit, stopped_redis_url: str) -> None:
    result = ratelimit("check", "auth:password-reset", "op@example.com", "--redis-url", stopped_redis_url)
    assert result.returncode == 3
    assert "did not answer" in result.stderr


def test_an_error_reply_is_reported(ratelimit, redis_client: redis.Redis) -> None:
    redis_client.rpush("auth:password-reset:{op@example.com}:tries:sw2", "not a string")
    result = ratelimit("check", "auth:password-reset", "op@example.com")
    assert result.returncode == 3
    assert "WRONGTYPE" in result.stderr and "Traceback" not in result.stderr


def test_bad_input_is_one_line_and_exit_2(ratelimit) -> None:
    cases = {
        ("check", "auth:password-reset", ""): "identity '': ",
        ("check", "auth:password-reset", "a@b.c", "--redis-url", "http://x"): "--redis-url http://x: ",
        ("check", "auth:password-reset", "a@b.c", "--config", "missing.toml"): "no policies file at ",
        ("check",): "give ACTION POLICY IDENTITY",
    }
    for args, says in cases.items():
        result = ratelimit(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stdout == "" and result.stderr.count("\n") == 1, (args, result.stderr)
        assert result.stderr.startswith("notifydb ratelimit: ") and says in result.stderr, (args, result.stderr)
    assert "--example-config" in ratelimit("check", "p", "i", "--config", "missing.toml").stderr


def test_the_example_config_is_shipped_and_loads(ratelimit, tmp_path: Path) -> None:
    from notifydb.ratelimit.config import load_policies

    printed = ratelimit("--example-config")
    assert printed.returncode == 0 and printed.stderr == ""
    (tmp_path / "printed.toml").write_text(printed.stdout)
    assert "auth:password-reset" in load_policies(tmp_path / "printed.toml")
