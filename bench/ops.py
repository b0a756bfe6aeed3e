"""Every measured operation, one small entry each: notifydb's call and the seed baseline's hand-written SQL.

An entry names its parameters (a generator over the sample), the notifydb side
and the seed side (or None when the seed has nothing comparable), the floor it
is compared with and the targets the issues set. A side whose SQL calls a
notifydb function that the migrated database does not have is reported as not
available instead of failing the run; so is a Python side whose library or
server is missing.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from random import Random
from typing import Any

from bench.sample import WRITER_TENANT, Inbox, Sample
from bench.targets import Relative, Speedup, Target, VersusSeed, WalVersusSeed

Params = dict[str, Any]
ParamsFactory = Callable[[Sample, str], Callable[[Random], Params]]

SEED_VISIBLE = "deleted_at IS NULL AND (expires_at IS NULL OR expires_at > now())"
SEED_INBOX_COLUMNS = "id, type, title, message, channel, is_read, created_at, read_at, expires_at"
_NOTIFYDB_CALL = re.compile(r"\bnotifydb\.(\w+)\s*\(")


@dataclass(frozen=True)
class Side:
    """One way of doing the operation: a SQL statement with %(name)s parameters, or a Python call.

    ``call`` builds, once per session, the function timed on each iteration. ``restore``
    runs untimed after each iteration, so committed work is measured and the data set
    stays as it was. ``needs`` names what a Python side requires beyond SQL functions.
    """

    sql: str | None = None
    call: Callable[[Any], Callable[[Params], object]] | None = None
    restore: str | None = None
    needs: tuple[str, ...] = ()

    def functions(self) -> set[str]:
        text = " ".join(part for part in (self.sql, self.restore) if part)
        return set(_NOTIFYDB_CALL.findall(text))


@dataclass(frozen=True)
class Operation:
    name: str
    label: str
    group: str
    params: ParamsFactory
    notifydb: Side
    seed: Side | None = None
    floor: str | None = "floor.select1"
    heavy: bool = False  # costly per iteration: measured fewer times
    growth: bool = False  # also measured at 0.2 N rows
    targets: tuple[Target, ...] = field(default_factory=tuple)

    @property
    def writes(self) -> bool:
        """Commits a change: WAL bytes per call are measured beside its latency."""
        return self.floor == "floor.commit" or self.name == "floor.commit"

    def sides(self) -> dict[str, Side]:
        return {"notifydb": self.notifydb} | ({"seed": self.seed} if self.seed else {})


# -- parameter generators ---------------------------------------------------------------------


def nothing(_sample: Sample, _side: str) -> Callable[[Random], Params]:
    return lambda _rng: {}


def inbox_of(kind: str, **extra: Any) -> ParamsFactory:
    def factory(sample: Sample, _side: str) -> Callable[[Random], Params]:
        pool: list[Inbox] = getattr(sample, kind)

        def draw(rng: Random) -> Params:
            inbox = rng.choice(pool)
            return {"tenant": inbox.tenant_id, "user": inbox.user_id, **extra}

        return draw

    return factory


def deep_page_of(kind: str) -> ParamsFactory:
    def factory(sample: Sample, _side: str) -> Callable[[Random], Params]:
        pool = [inbox for inbox in getattr(sample, kind) if inbox.deep_cursor]

        def draw(rng: Random) -> Params:
            inbox = rng.choice(pool)
            before_at, before_id = inbox.deep_cursor
            return {"tenant": inbox.tenant_id, "user": inbox.user_id, "before_at": before_at, "before_id": before_id}

        return draw

    return factory


def one_unread(sample: Sample, _side: str) -> Callable[[Random], Params]:
    pool = [inbox for inbox in sample.typical if inbox.visible_unread_ids]

    def draw(rng: Random) -> Params:
        inbox = rng.choice(pool)
        return {"tenant": inbox.tenant_id, "user": inbox.user_id, "ids": [rng.choice(inbox.visible_unread_ids)]}

    return draw


def all_unread_of(kind: str) -> ParamsFactory:
    def factory(sample: Sample, _side: str) -> Callable[[Random], Params]:
        pool = [inbox for inbox in getattr(sample, kind) if inbox.unread_ids]

        def draw(rng: Random) -> Params:
            inbox = rng.choice(pool)
            return {"tenant": inbox.tenant_id, "user": inbox.user_id, "ids": inbox.unread_ids}

        return draw

    return factory


def new_notification(channel: str) -> ParamsFactory:
    def factory(sample: Sample, _side: str) -> Callable[[Random], Params]:
        def draw(rng: Random) -> Params:
            return {"tenant": WRITER_TENANT, "user": rng.choice(sample.writer_users), "channel": channel}

        return draw

    return factory


def new_event(fingerprint: bool) -> ParamsFactory:
    def factory(sample: Sample, _side: str) -> Callable[[Random], Params]:
        def draw(rng: Random) -> Params:
            return {
                "tenant": rng.choice(sample.tenants),
                "fingerprint": f"bench-repeat-{sample.worker}" if fingerprint else None,
            }

        return draw

    return factory


def open_event(sample: Sample, side: str) -> Callable[[Random], Params]:
    resolver = uuid.UUID(int=WRITER_TENANT.int + 1)
    return lambda _rng: {"id": sample.take_event(side), "by": resolver}


def tenant_of(sample: Sample, _side: str) -> Callable[[Random], Params]:
    return lambda rng: {"tenant": rng.choice(sample.tenants)}


def identity(_sample: Sample, _side: str) -> Callable[[Random], Params]:
    return lambda rng: {"identity": f"User{rng.randrange(IDENTITIES)}@Example.com"}


# -- Python sides (Redis) -----------------------------------------------------------------------

# Both sides check the seed's verification-email policy, 10 per address per day (notifydb
# with its exact sliding window, the seed with INCR + EXPIRE); identities come from a pool
# large enough that a run stays within each quota.
RATE_POLICY = "verification-email"
RATE_LIMIT = 10
RATE_WINDOW_S = 86400
IDENTITIES = 100_000


def redis_get(session: Any) -> Callable[[Params], object]:
    session.redis.set("notifydb-bench:floor", "1")
    return lambda _params: session.redis.get("notifydb-bench:floor")


def rate_limit_check(session: Any) -> Callable[[Params], object]:
    import notifydb

    limiter = notifydb.RateLimiter(session.redis, secret=b"notifydb-bench")
    policy = notifydb.Policy(
        name=f"notifydb-bench:{RATE_POLICY}", limit=RATE_LIMIT, window_seconds=RATE_WINDOW_S, on_redis_error="open"
    )
    return lambda params: limiter.check(policy, params["identity"])


def seed_rate_limit(session: Any) -> Callable[[Params], object]:
    """The same policy as the seed describes it (auth:{policy}:{email}:tries): a fixed-window counter."""

    def check(params: Params) -> object:
        key = f"notifydb-bench:auth:{RATE_POLICY}:{params['identity'].lower()}:tries"
        pipe = session.redis.pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, RATE_WINDOW_S, nx=True)
        return pipe.execute()[0] <= RATE_LIMIT

    return check


def cached_count(session: Any) -> Callable[[Params], object]:
    import notifydb

    cache = notifydb.UnreadCountCache(notifydb.Client(session.conn), session.redis, ttl_seconds=3600)
    return lambda params: cache.get(params["tenant"], params["user"])


# -- the operations -----------------------------------------------------------------------------

# Issue 15's targets: notifydb against the hand-written SQL on the reference schema, same run.
READ = VersusSeed(1.1)
WAL = WalVersusSeed(1.5)
BIG_WIN = Speedup(10.0)
LIST = "SELECT * FROM notifydb.list_notifications(%(tenant)s, %(user)s"
SEED_LIST = f"SELECT {SEED_INBOX_COLUMNS} FROM seed.notifications WHERE user_id = %(user)s AND tenant_id = %(tenant)s"
SEED_COUNT = (
    "SELECT count(*) FROM seed.notifications WHERE user_id = %(user)s AND tenant_id = %(tenant)s "
    f"AND is_read = false AND {SEED_VISIBLE}"
)
SEED_EVENTS = "SELECT * FROM seed.admin_system_events"


def _inbox_ops(kind: str) -> list[Operation]:
    return [
        Operation(
            f"inbox.first.{kind}",
            f"inbox, first page of 20 ({kind} user)",
            "notifications",
            inbox_of(kind),
            Side(f"{LIST})"),
            Side(f"{SEED_LIST} AND {SEED_VISIBLE} ORDER BY created_at DESC LIMIT 20"),
            growth=True,
            targets=(READ,),
        ),
        Operation(
            f"inbox.deep.{kind}",
            f"inbox, deep keyset page ({kind} user)",
            "notifications",
            deep_page_of(kind),
            Side(f"{LIST}, p_before_created_at => %(before_at)s, p_before_id => %(before_id)s)"),
            Side(
                f"{SEED_LIST} AND {SEED_VISIBLE} AND (created_at, id) < (%(before_at)s, %(before_id)s) "
                "ORDER BY created_at DESC, id DESC LIMIT 20"
            ),
            targets=(READ, BIG_WIN) if kind == "heavy" else (READ,),
        ),
        Operation(
            f"inbox.unread.{kind}",
            f"inbox, unread only ({kind} user)",
            "notifications",
            inbox_of(kind),
            Side(f"{LIST}, p_unread_only => true)"),
            Side(f"{SEED_LIST} AND is_read = false AND {SEED_VISIBLE} ORDER BY created_at DESC LIMIT 20"),
            targets=(READ,),
        ),
        Operation(
            f"count.{kind}",
            f"unread count ({kind} user)",
            "notifications",
            inbox_of(kind),
            Side("SELECT notifydb.unread_count(%(tenant)s, %(user)s)"),
            Side(SEED_COUNT),
            growth=True,
            targets=(READ, BIG_WIN) if kind == "heavy" else (READ,),
        ),
        Operation(
            f"mark_all_read.{kind}",
            f"mark all read, commit ({kind} user)",
            "notifications",
            all_unread_of(kind),
            Side(
                "SELECT notifydb.mark_all_read(%(tenant)s, %(user)s)",
                restore="SELECT notifydb.mark_unread(%(tenant)s, %(user)s, %(ids)s)",
            ),
            Side(
                "UPDATE seed.notifications SET is_read = true, read_at = now() "
                "WHERE user_id = %(user)s AND tenant_id = %(tenant)s AND is_read = false",
                restore="UPDATE seed.notifications SET is_read = false, read_at = NULL WHERE id = ANY(%(ids)s)",
            ),
            floor="floor.commit",
            heavy=kind == "heavy",
            targets=(BIG_WIN,) if kind == "heavy" else (),
        ),
    ]


OPERATIONS: tuple[Operation, ...] = (
    Operation("floor.select1", "SELECT 1 (the floor)", "floor", nothing, Side("SELECT 1"), floor=None),
    Operation(
        "floor.commit",
        "round trip + commit flush (one-row UPDATE)",
        "floor",
        nothing,
        Side("UPDATE bench_meta.commit_probe SET beats = beats + 1"),
        floor="floor.select1",
    ),
    Operation("floor.redis_get", "Redis GET", "floor", nothing, Side(call=redis_get, needs=("redis",)), floor=None),
    *_inbox_ops("typical"),
    *_inbox_ops("heavy"),
    Operation(
        "mark_read",
        "mark one read, commit",
        "notifications",
        one_unread,
        Side(
            "SELECT notifydb.mark_read(%(tenant)s, %(user)s, %(ids)s)",
            restore="SELECT notifydb.mark_unread(%(tenant)s, %(user)s, %(ids)s)",
        ),
        Side(
            "UPDATE seed.notifications SET is_read = true, read_at = now() "
            "WHERE id = ANY(%(ids)s) AND user_id = %(user)s AND tenant_id = %(tenant)s AND is_read = false",
            restore="UPDATE seed.notifications SET is_read = false, read_at = NULL WHERE id = ANY(%(ids)s)",
        ),
        floor="floor.commit",
        targets=(VersusSeed(1.25), WAL),
    ),
    *(
        Operation(
            f"create.{channel}",
            f"create one notification, {channel}, commit",
            "notifications",
            new_notification(channel),
            Side(
                "SELECT notifydb.create_notification(%(tenant)s, %(user)s, 'BENCH_CREATE', "
                "'Bench notification', 'Created by the benchmark.', %(channel)s)"
            ),
            Side(
                "INSERT INTO seed.notifications (user_id, tenant_id, type, title, message, channel) "
                "VALUES (%(user)s, %(tenant)s, 'BENCH_CREATE', 'Bench notification', "
                "'Created by the benchmark.', %(channel)s) RETURNING id"
            ),
            floor="floor.commit",
            targets=(VersusSeed(1.25), WAL) if channel == "in_app" else (Relative("create.in_app", 1.2),),
        )
        for channel in ("in_app", "email")
    ),
    Operation(
        "event.record",
        "record an event, commit",
        "events",
        new_event(fingerprint=False),
        Side(
            "SELECT notifydb.record_event('quota_reached', 'low', 'Recorded by the benchmark.', "
            "p_tenant_id => %(tenant)s, p_fingerprint => %(fingerprint)s)"
        ),
        Side(
            "INSERT INTO seed.admin_system_events (event_type, severity, description, tenant_id) "
            "VALUES ('quota_reached', 'low', 'Recorded by the benchmark.', %(tenant)s) RETURNING id"
        ),
        floor="floor.commit",
        targets=(VersusSeed(1.15), WAL),
    ),
    Operation(
        "event.record_repeat",
        "record a repeated event (fingerprint bump), commit",
        "events",
        new_event(fingerprint=True),
        Side(
            "SELECT notifydb.record_event('quota_reached', 'low', 'Recorded by the benchmark.', "
            "p_tenant_id => %(tenant)s, p_fingerprint => %(fingerprint)s)"
        ),
        floor="floor.commit",
    ),
    Operation(
        "event.resolve",
        "resolve an event, commit",
        "events",
        open_event,
        Side("SELECT notifydb.resolve_event(%(id)s, %(by)s)"),
        Side(
            "UPDATE seed.admin_system_events SET is_resolved = true, resolved_at = now(), resolved_by = %(by)s "
            "WHERE id = %(id)s AND is_resolved = false"
        ),
        floor="floor.commit",
        targets=(VersusSeed(1.0), WAL),
    ),
    Operation(
        "events.tenant",
        "events, 50 latest for a tenant",
        "events",
        tenant_of,
        Side("SELECT * FROM notifydb.list_events(p_tenant_id => %(tenant)s)"),
        Side(f"{SEED_EVENTS} WHERE tenant_id = %(tenant)s ORDER BY created_at DESC LIMIT 50"),
    ),
    Operation(
        "events.severity",
        "events, 50 latest high or critical (all tenants)",
        "events",
        nothing,
        Side("SELECT * FROM notifydb.list_events(p_min_severity => 'high')"),
        Side(f"{SEED_EVENTS} WHERE severity IN ('high', 'critical') ORDER BY created_at DESC LIMIT 50"),
    ),
    Operation(
        "events.unresolved",
        "events, 50 latest unresolved for a tenant",
        "events",
        tenant_of,
        Side("SELECT * FROM notifydb.list_events(p_tenant_id => %(tenant)s, p_unresolved_only => true)"),
        Side(f"{SEED_EVENTS} WHERE tenant_id = %(tenant)s AND is_resolved = false ORDER BY created_at DESC LIMIT 50"),
    ),
    Operation(
        "redis.rate_limit",
        "rate-limit check (Redis)",
        "redis",
        identity,
        Side(call=rate_limit_check, needs=("redis", "notifydb.RateLimiter", "notifydb.Policy")),
        Side(call=seed_rate_limit, needs=("redis",)),
        floor="floor.redis_get",
    ),
    Operation(
        "redis.cached_count",
        "cached unread count, warm (Redis)",
        "redis",
        inbox_of("typical"),
        Side(
            call=cached_count,
            needs=("redis", "notifydb.UnreadCountCache", "notifydb.Client", "sql:unread_count"),
        ),
        floor="floor.redis_get",
    ),
)

BY_NAME = {op.name: op for op in OPERATIONS}
