"""The Citus suite: the same fixtures as the single-node suite (migrated_dsn,
fresh_dsn), on a coordinator and two workers started for the session
(tests/support/citus_cluster.py). Every test here is marked `citus`: the
default run leaves them out, and `pytest -m citus tests/citus` runs them,
failing (never skipping) where the binaries have no Citus."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.citus_cluster import CitusCluster, CitusServer
from tests.support.postgres_server import PgServer

HERE = Path(__file__).resolve().parent

# Tests of the single-node suite collected here that do not apply to Citus by
# nature, each with the reason (docs/citus.md lists them too). They are left
# out by name, and the run's summary says so: never skipped silently.
LEFT_OUT = {
    "test_delivery.py::test_failing_outbox_write_leaves_neither_row": (
        "locks the outbox with LOCK TABLE and relies on the writer's lock_timeout, which Citus does not pass on"
        " to the worker that writes the job: the worker waits for the coordinator's lock for ever"
    ),
    "test_delivery.py::test_failing_row_in_a_bulk_insert_leaves_no_job": (
        "expects SQLSTATE 23514 from a multi-row INSERT ... SELECT: Citus copies such rows to the workers and"
        " reports a worker's CHECK violation as XX000 (with the shard's name); nothing is kept, as on one node"
    ),
    "test_delivery.py::test_four_relays_deliver_10000_jobs_exactly_once": (
        "asserts that four relays share the work: on Citus a claim waits for a concurrent claim of the same"
        " jobs instead of skipping them (docs/citus.md); exactly once is tested in test_layout.py"
    ),
    "test_notifications_property.py::test_matches_the_model": (
        "its model reads the transaction's now() on the coordinator as the time of every call in it, but a"
        " delegated call runs in the worker's transaction, whose now() is a little later (docs/citus.md)"
    ),
    # pgTAP files whose own setup or checks Citus refuses: what they test runs
    # in the functional modules here (client, concurrency, isolation, delivery,
    # relay) and in test_layout.py and test_one_shard.py.
    "test_pgtap.py::test_pgtap[003_constraints.sql]": (
        "compares constraint violations' messages literally, and on Citus they name the shard"
        ' ("notifications_102008"): same SQLSTATE and constraint'
    ),
    "test_pgtap.py::test_pgtap[101_notifications_inbox.sql]": (
        "backdates rows with UPDATE ... SET created_at = now() - (i || ' minutes')::interval, which Citus refuses"
        " (a stable function over a column in a distributed UPDATE)"
    ),
    "test_pgtap.py::test_pgtap[103_inbox_counters.sql]": (
        "joins its temporary tables to the distributed tables in UPDATEs, which Citus refuses"
    ),
    "test_pgtap.py::test_pgtap[105_inbox_horizons.sql]": (
        "passes values of its pg_temp functions into statements Citus runs on the workers, where they do not exist"
    ),
    "test_pgtap.py::test_pgtap[400_delivery_outbox.sql]": (
        "joins jobs to notifications by id alone and calls pgTAP inside statements Citus runs on the workers"
    ),
    "test_pgtap.py::test_pgtap[401_delivery_claims.sql]": (
        "sets due times with UPDATE ... FROM notifications joined by id alone and now() over a column, which Citus"
        " refuses; claims are tested in test_delivery.py, test_relay_cli.py and test_layout.py here"
    ),
    "test_pgtap.py::test_pgtap[402_delivery_security.sql]": (
        "writes a notification directly, then claims under SET ROLE in the same transaction: Citus refuses to"
        " read shards as one role that another wrote (docs/citus.md); the roles' rights are tested in"
        " test_delivery.py and test_relay_cli.py here"
    ),
    "test_notifications_across_transactions.py::test_bad_input_commits_nothing[p_tenant_id]": (
        "calls a per-tenant function with a NULL tenant: Citus 13.2.2 crashes the coordinator routing it"
        " (the Python client refuses None before calling; tests/citus/test_one_shard.py)"
    ),
}
LEFT_OUT_REPORT = pytest.StashKey[list[str]]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    left_out = []
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.citus)
            if "citus" not in (config.option.markexpr or ""):
                continue  # the run leaves out the whole Citus suite (tests/conftest.py)
            name = f"{Path(str(item.fspath)).name}::{item.name}"
            reason = LEFT_OUT.get(name) or LEFT_OUT.get(name.split("[")[0])
            if reason:
                left_out.append((item, reason))
    if left_out:
        config.hook.pytest_deselected(items=[item for item, _ in left_out])
        chosen = {id(item) for item, _ in left_out}
        items[:] = [item for item in items if id(item) not in chosen]
        config.stash[LEFT_OUT_REPORT] = [f"{item.nodeid}: {reason}" for item, reason in left_out]


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    for line in config.stash.get(LEFT_OUT_REPORT, []):
        terminalreporter.write_line(f"left out on Citus: {line}")


@pytest.fixture(scope="session")
def citus_cluster() -> Iterator[CitusCluster]:
    try:
        cluster = CitusCluster().start()
    except Exception as exc:
        pytest.fail(f"no Citus cluster for the Citus suite: {exc}", pytrace=False)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def pg_server(citus_cluster: CitusCluster) -> Iterator[PgServer]:
    """Overrides the single-node suite's server: its databases are Citus databases."""
    server = CitusServer(citus_cluster)
    try:
        yield server
    finally:
        server.drop_created()
