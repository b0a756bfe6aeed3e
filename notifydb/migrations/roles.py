"""What a run needs of the role that migrates, checked before anything changes.

The first versioned script creates the cluster-wide NOLOGIN roles below
(those that do not exist yet) and, run by a role that is not a superuser,
grants notifydb_owner to that role (every later script works as
notifydb_owner) and notifydb_app to notifydb_admin. Since PostgreSQL 16
only a role with ADMIN OPTION on a role may grant it, CREATEROLE or not: when
another install (a superuser, or another database's installer) created the
roles, that script would stop half-way with a detail a DBA has to decode.
Checked up front, the refusal is one line holding the statement to run.
"""

from __future__ import annotations

import psycopg

ROLES = ("notifydb_owner", "notifydb_app", "notifydb_admin", "notifydb_retention", "notifydb_delivery")
# What the first script GRANTs, so the migrating role must be able to grant.
GRANTED_BY_FIRST_SCRIPT = ("notifydb_owner", "notifydb_app")

# The migrating role (quoted, for the statements shown), what it may do, and
# whether it may create the schema the runner creates first.
INSTALLER = """
SELECT
    pg_catalog.quote_ident(r.rolname),
    pg_catalog.quote_ident(pg_catalog.current_database()),
    r.rolsuper,
    r.rolcreaterole,
    pg_catalog.to_regnamespace('notifydb') IS NOT NULL
    OR pg_catalog.has_database_privilege(pg_catalog.current_database(), 'CREATE')
FROM pg_catalog.pg_roles AS r WHERE r.rolname = current_user
"""

# Each notifydb role that exists, and whether the current role may grant it:
# PostgreSQL 15 lets CREATEROLE grant any role but a superuser one, 16 and
# later only a role with ADMIN OPTION on it.
EXISTING = """
SELECT
    r.rolname,
    pg_catalog.pg_has_role(r.oid, 'MEMBER WITH ADMIN OPTION')
    OR (
        pg_catalog.current_setting('server_version_num')::integer < 160000
        AND NOT r.rolsuper
        AND (SELECT me.rolcreaterole FROM pg_catalog.pg_roles AS me WHERE me.rolname = current_user)
    )
FROM pg_catalog.pg_roles AS r
WHERE r.rolname = ANY(%s)
"""


def refusal(conn: psycopg.Connection) -> str | None:
    """What the current role lacks to run the first script, and the statements
    a superuser runs to fix it, in one line; None when it lacks nothing."""
    user, database, superuser, createrole, may_create_schema = conn.execute(INSTALLER).fetchone()
    if superuser:
        return None
    grantable = dict(conn.execute(EXISTING, (list(ROLES),)).fetchall())
    lacks, fixes = [], []
    if not may_create_schema:
        lacks.append(f"may not create schemas in database {database}")
        fixes.append(f"GRANT CREATE ON DATABASE {database} TO {user};")
    missing = [name for name in ROLES if name not in grantable]
    if missing and not createrole:
        lacks.append(f"may not create the roles {', '.join(missing)}")
        fixes.append(f"ALTER ROLE {user} CREATEROLE;")
    not_grantable = [name for name in ROLES if grantable.get(name) is False]
    if set(not_grantable) & set(GRANTED_BY_FIRST_SCRIPT):
        lacks.append(
            f"may not grant the roles {', '.join(not_grantable)}, which exist already"
            " (that takes ADMIN OPTION on a role, or CREATEROLE before PostgreSQL 16)"
        )
        # ADMIN OPTION on all of them, not only the two the script grants: the
        # installer's next step is granting them to the applications' roles.
        fixes.append(f"GRANT {', '.join(not_grantable)} TO {user} WITH ADMIN OPTION;")
    if not lacks:
        return None
    return f"{user} {'; '.join(lacks)}: a superuser must run {' '.join(fixes)}"
