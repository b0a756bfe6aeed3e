"""notifydb: a Postgres notifications and system-events database, and a thin client for it."""
