"""Deadlock and counter stress: 16 connections call the notification functions at random, same inboxes.

Each thread has its own autocommit connection and seeded RNG and, until the deadline, picks one of
the same 7 inboxes of each of 2 tenants (6 users' and the tenant-level one) and one public function:
creates (some expiring a few seconds ahead, some with a dedupe key), fan-outs to shuffled recipient
lists with repeats and NULLs, mark_read / mark_unread / delete_notifications with mixed id lists
(the inbox's, other inboxes', the other tenant's, random ones), mark_all_read and mark_seen (some
with p_up_to a little in the past), lists and counts. Any error fails the test, a deadlock (40P01)
included; so does counter drift, or a count that differs from the rows its list pages through.

Only public functions and notifydb._inbox_counter_drift() are used, so the test holds for any
implementation of the functions.

NOTIFYDB_STRESS_SECONDS sets the duration (default 10); NOTIFYDB_STRESS_SEED the base seed (default
random; printed, thread i uses seed + i: that repeats each thread's choices, not the interleaving).
Ten runs of a minute each:

    for i in $(seq 10); do NOTIFYDB_STRESS_SECONDS=60 python3 -m pytest tests/test_notifications_stress.py -q; done
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter, deque
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from itertools import pairwise
from uuid import UUID, uuid4

import psycopg
import pytest

SECONDS = float(os.environ.get("NOTIFYDB_STRESS_SECONDS", "10"))
THREADS = 16
USERS_PER_TENANT = 6
MAX_EXPIRY = 3.0  # seconds ahead; the final checks wait this long, so no row expires under them
DEDUPE_KEYS = ["k1", "k2", "k3"]
CHANNELS = ["in_app", "email", "push"]

Inbox = tuple[UUID, UUID | None]  # (tenant, user); user None is the tenant-level inbox

# Operation and weight: writes dominate, so that locks are contended.
OPERATIONS = {
    "create": 20,
    "fan_out": 8,
    "mark_read": 14,
    "mark_unread": 12,
    "delete": 6,
    "mark_all_read": 8,
    "mark_seen": 8,
    "list": 14,
    "unread_count": 5,
    "unseen_count": 5,
}


class World:
    """The inboxes, and the ids recently seen in each (shared by all threads, so they collide)."""

    def __init__(self) -> None:
        self.tenants = [uuid4(), uuid4()]
        self.users = {t: [uuid4() for _ in range(USERS_PER_TENANT)] for t in self.tenants}
        self.inboxes: list[Inbox] = [(t, u) for t in self.tenants for u in [*self.users[t], None]]
        self._recent: dict[Inbox, deque[UUID]] = {inbox: deque(maxlen=64) for inbox in self.inboxes}
        self._lock = threading.Lock()

    def remember(self, inbox: Inbox, ids: list[UUID]) -> None:
        with self._lock:
            self._recent[inbox].extend(ids)

    def recent(self, inbox: Inbox) -> list[UUID]:
        with self._lock:
            return list(self._recent[inbox])


class Worker:
    def __init__(self, dsn: str, world: World, seed: int) -> None:
        # A statement stuck on a lock fails (57014) instead of hanging the run.
        self.conn = psycopg.connect(dsn, autocommit=True, options="-c statement_timeout=60s")
        self.world = world
        self.rng = random.Random(seed)
        self.calls: Counter[str] = Counter()
        self.errors: Counter[tuple[str, str | None]] = Counter()  # (operation, SQLSTATE)
        self.messages: dict[str | None, str] = {}  # an example per SQLSTATE (its DETAIL names the locks)

    def run(self, start: threading.Barrier, deadline: list[float]) -> None:
        names, weights = list(OPERATIONS), list(OPERATIONS.values())
        with self.conn:
            start.wait()
            while time.monotonic() < deadline[0] and not self.conn.broken:
                op = self.rng.choices(names, weights)[0]
                self.calls[op] += 1
                try:
                    getattr(self, op)(self.rng.choice(self.world.inboxes))
                except psycopg.Error as exc:
                    self.errors[(op, exc.sqlstate)] += 1
                    self.messages.setdefault(
                        exc.sqlstate, f"{op}: {exc.diag.message_primary} {exc.diag.message_detail}"
                    )

    def sql(self, query: str, *params: object) -> list[tuple]:
        return self.conn.execute(query, params).fetchall()

    def create(self, inbox: Inbox) -> None:
        expiry = self.rng.choice([None, None, self.rng.uniform(1, MAX_EXPIRY)])
        key = self.rng.choice([None, None, *DEDUPE_KEYS])
        [(nid,)] = self.sql(
            "SELECT notifydb.create_notification(%s, %s, 'STRESS', 'title', 'message', %s,"
            " now() + make_interval(secs => %s::float8), NULL, %s)",
            *inbox,
            self.rng.choice(CHANNELS),
            expiry,
            key,
        )
        self.world.remember(inbox, [nid])

    def fan_out(self, inbox: Inbox) -> None:
        tenant = inbox[0]
        users = self.world.users[tenant]
        # Some users once, some again, some NULLs (the tenant-level inbox), in a random order.
        targets: list[UUID | None] = self.rng.sample(users, self.rng.randint(1, len(users)))
        targets += self.rng.choices([*targets, None], k=self.rng.randint(0, 3))
        self.rng.shuffle(targets)
        expiry = self.rng.choice([None, None, self.rng.uniform(1, MAX_EXPIRY)])
        self.sql(
            "SELECT notifydb.fan_out_notification(%s, %s::uuid[], 'STRESS', 'title', 'message', %s,"
            " now() + make_interval(secs => %s::float8), NULL, %s)",
            tenant,
            targets,
            self.rng.choice(CHANNELS),
            expiry,
            self.rng.choice([None, *DEDUPE_KEYS]),
        )

    def mixed_ids(self, inbox: Inbox) -> list[UUID]:
        """Ids of the inbox, of another inbox of its tenant, of the other tenant, and unknown ones."""
        tenant = inbox[0]
        same = [i for i in self.world.inboxes if i[0] == tenant and i != inbox]
        other = [i for i in self.world.inboxes if i[0] != tenant]
        ids: list[UUID] = []
        for source, most in ((inbox, 5), (self.rng.choice(same), 2), (self.rng.choice(other), 1)):
            pool = self.world.recent(source)
            ids += self.rng.sample(pool, min(len(pool), self.rng.randint(0, most)))
        ids += [uuid4() for _ in range(self.rng.randint(0, 1))]
        self.rng.shuffle(ids)
        return ids

    def mark_read(self, inbox: Inbox) -> None:
        self.sql("SELECT notifydb.mark_read(%s, %s, %s::uuid[])", *inbox, self.mixed_ids(inbox))

    def mark_unread(self, inbox: Inbox) -> None:
        self.sql("SELECT notifydb.mark_unread(%s, %s, %s::uuid[])", *inbox, self.mixed_ids(inbox))

    def delete(self, inbox: Inbox) -> None:
        self.sql("SELECT notifydb.delete_notifications(%s, %s, %s::uuid[])", *inbox, self.mixed_ids(inbox))

    def lag(self) -> float:
        """How far before now() p_up_to is: mostly not at all (the default), sometimes up to 2 s."""
        return self.rng.choice([0.0, 0.0, self.rng.uniform(0, 2)])

    def mark_all_read(self, inbox: Inbox) -> None:
        self.sql("SELECT notifydb.mark_all_read(%s, %s, now() - make_interval(secs => %s::float8))", *inbox, self.lag())

    def mark_seen(self, inbox: Inbox) -> None:
        self.sql("SELECT notifydb.mark_seen(%s, %s, now() - make_interval(secs => %s::float8))", *inbox, self.lag())

    def list(self, inbox: Inbox) -> None:
        unread_only, limit = self.rng.random() < 0.5, self.rng.choice([1, 5, 20, 100])
        rows = self.sql(
            "SELECT id, created_at FROM notifydb.list_notifications(%s, %s, %s, %s)", *inbox, unread_only, limit
        )
        if rows and self.rng.random() < 0.3:  # and the next page
            rows += self.sql(
                "SELECT id, created_at FROM notifydb.list_notifications(%s, %s, %s, %s, %s, %s)",
                *inbox,
                unread_only,
                limit,
                rows[-1][1],
                rows[-1][0],
            )
        self.world.remember(inbox, [nid for nid, _ in rows])

    def unread_count(self, inbox: Inbox) -> None:
        self.sql("SELECT notifydb.unread_count(%s, %s)", *inbox)

    def unseen_count(self, inbox: Inbox) -> None:
        self.sql("SELECT notifydb.unseen_count(%s, %s)", *inbox)


def walk(conn: psycopg.Connection, inbox: Inbox, unread_only: bool) -> list[tuple[UUID, bool, datetime]]:
    """Every (id, is_read, created_at) of the inbox's list, page by page of 100 through the cursor."""
    rows: list[tuple] = []
    while True:
        before = (rows[-1][2], rows[-1][0]) if rows else (None, None)
        page = conn.execute(
            "SELECT id, is_read, created_at FROM notifydb.list_notifications(%s, %s, %s, 100, %s, %s)",
            (*inbox, unread_only, *before),
        ).fetchall()
        rows += page
        # A page that does not go on older would repeat itself forever (in_order reports it).
        if not page or not in_order(rows[-len(page) - 1 :]):
            return rows


def in_order(rows: list[tuple]) -> bool:
    """Strictly newest first: created_at DESC, id DESC, no row twice."""
    keys = [(created_at, nid) for nid, _, created_at in rows]
    return all(a > b for a, b in pairwise(keys))


def inbox_mismatches(conn: psycopg.Connection, inbox: Inbox) -> list[str]:
    """How the inbox's counts disagree with its lists (none: they agree)."""
    unread_list = walk(conn, inbox, unread_only=True)
    full_list = walk(conn, inbox, unread_only=False)
    unread = conn.execute("SELECT notifydb.unread_count(%s, %s)", inbox).fetchone()[0]
    unseen = conn.execute("SELECT notifydb.unseen_count(%s, %s)", inbox).fetchone()[0]
    unread_in_full = [nid for nid, is_read, _ in full_list if not is_read]
    problems = [
        f"the {name} list is not newest first"
        for name, rows in (("unread-only", unread_list), ("full", full_list))
        if not in_order(rows)
    ]
    if unread != len(unread_list):
        problems.append(f"unread_count {unread}, unread-only list {len(unread_list)} rows")
    if unread != len(unread_in_full):
        problems.append(f"unread_count {unread}, full list {len(unread_in_full)} unread of {len(full_list)} rows")
    if unread_in_full != [nid for nid, _, _ in unread_list]:
        problems.append("the full list's unread rows are not the unread-only list")
    if not 0 <= unseen <= unread:
        problems.append(f"unseen_count {unseen} outside 0..unread_count {unread}")
    return [f"{inbox}: {p}" for p in problems]


@pytest.mark.slow
def test_random_concurrent_calls_never_deadlock_or_drift(migrated_dsn: str, capsys: pytest.CaptureFixture) -> None:
    seed = int(os.environ.get("NOTIFYDB_STRESS_SEED") or random.randrange(2**32))
    world = World()
    workers = [Worker(migrated_dsn, world, seed + i) for i in range(THREADS)]
    deadline = [0.0]
    # The last thread through the barrier starts the clock, after every connection is open.
    start = threading.Barrier(THREADS, action=lambda: deadline.__setitem__(0, time.monotonic() + SECONDS))
    with ThreadPoolExecutor(THREADS) as pool:
        for future in [pool.submit(w.run, start, deadline) for w in workers]:
            future.result()  # re-raises a bug in the test itself

    calls = sum((w.calls for w in workers), Counter())
    errors = sum((w.errors for w in workers), Counter())
    by_sqlstate = Counter()
    for (_, sqlstate), n in errors.items():
        by_sqlstate[sqlstate] += n
    by_call = {f"{op} {sqlstate}": n for (op, sqlstate), n in sorted(errors.items(), key=str)}
    messages = {state: msg for w in workers for state, msg in w.messages.items()}

    # Let every row created with an expiry expire, so none expires between a count and its list.
    time.sleep(MAX_EXPIRY + 0.2)
    with psycopg.connect(migrated_dsn, autocommit=True) as conn:
        drift = conn.execute(
            "SELECT * FROM notifydb._inbox_counter_drift() WHERE tenant_id = ANY(%s)", (world.tenants,)
        ).fetchall()
        mismatches = [m for inbox in world.inboxes for m in inbox_mismatches(conn, inbox)]

    report = (
        f"seed {seed} (NOTIFYDB_STRESS_SEED), {SECONDS:g} s, {THREADS} threads:"
        f" {calls.total()} calls {dict(sorted(calls.items()))};"
        f" errors by SQLSTATE {dict(by_sqlstate)}, by call {by_call};"
        f" drift {len(drift)} inboxes, count/list mismatches {len(mismatches)}"
    )
    with capsys.disabled():  # shown on success too, so that repeated runs can be compared
        print(f"\n{report}")
    assert by_sqlstate["40P01"] == 0, f"deadlocks: {report}\n{messages.get('40P01')}"
    assert not errors, f"errors: {report}\n" + "\n".join(f"{s}: {m}" for s, m in messages.items())
    assert drift == [], f"counter drift {drift}: {report}"
    assert mismatches == [], "\n".join([report, *mismatches])
