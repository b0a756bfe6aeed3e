"""What migrate does differently on a Citus coordinator (the citus extension
is in the database): docs/citus.md.

Citus runs the DDL of a function or distributed table on the workers over a
connection of its own, as the role executing it: the scripts run as
notifydb_owner (`SET LOCAL ROLE`), so that role must be able to log in on the
workers, and that connection cannot see what the same run did as another role
until it commits. So on Citus each script commits on its own, and before the
run notifydb_owner is made a LOGIN role (created so, if the first script has
not created it yet; Citus creates it on the workers too). Roles another
database's install created are not yet Citus objects in this database, and
Citus would create them on the workers as whoever first needs them there
(notifydb_owner, who may not): the superuser migrating here does it first.
On Citus, migrate runs as a superuser.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from notifydb.migrations.roles import ROLES

# No password: how workers authenticate it is pg_hba's (and
# pg_dist_authinfo's) business, as for any Citus node-to-node connection.
OWNER_CAN_LOG_IN = """
DO $login$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles AS r WHERE r.rolname = 'notifydb_owner') THEN
        CREATE ROLE notifydb_owner NOLOGIN;
    END IF;
    IF NOT (SELECT r.rolcanlogin FROM pg_catalog.pg_roles AS r WHERE r.rolname = 'notifydb_owner') THEN
        ALTER ROLE notifydb_owner LOGIN;
    END IF;
END
$login$
"""


def present(conn: psycopg.Connection) -> bool:
    """Whether the database is a Citus node (the citus extension is installed in it)."""
    return conn.execute("SELECT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'citus')").fetchone()[0]


# notifydb roles that exist but are not Citus objects of this database yet.
NOT_DISTRIBUTED = """
SELECT r.rolname
FROM pg_catalog.pg_roles AS r
WHERE r.rolname = ANY(%s)
    AND NOT EXISTS (
        SELECT FROM pg_catalog.pg_dist_object AS o
        WHERE o.classid = 'pg_catalog.pg_authid'::regclass AND o.objid = r.oid
    )
"""


def prepare(conn: psycopg.Connection) -> None:
    """Let DDL propagate as notifydb_owner: a LOGIN role that Citus knows on
    every node, as are the other notifydb roles; committed before the run."""
    with conn.transaction():
        conn.execute(OWNER_CAN_LOG_IN)
    # In ROLES order, each committed before the next: Citus creates a role's
    # groups (notifydb_admin's notifydb_app) on the workers over connections
    # of its own, which must see them.
    not_distributed = {name for (name,) in conn.execute(NOT_DISTRIBUTED, (list(ROLES),)).fetchall()}
    for role in (name for name in ROLES if name in not_distributed):
        # Citus creates a role on the workers, and records it as its own,
        # when a role it knows (the migrating superuser) joins it.
        with conn.transaction():
            conn.execute(sql.SQL("GRANT {} TO CURRENT_USER").format(sql.Identifier(role)))
            conn.execute(sql.SQL("REVOKE {} FROM CURRENT_USER").format(sql.Identifier(role)))
