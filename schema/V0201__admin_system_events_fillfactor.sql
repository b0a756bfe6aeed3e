-- A repeat of an open event's fingerprint updates occurrences, last_seen_at,
-- details and description, none of them indexed: room on the page lets that
-- update stay HOT (no new index entries). The table is new in this release,
-- so every page gets the setting.
SET LOCAL ROLE notifydb_owner;

ALTER TABLE notifydb.admin_system_events SET (fillfactor = 90);
