-- Postgres delivers identical NOTIFY payloads of one transaction once, so two
-- equal announcements in a transaction (mark_read, mark_unread, then mark_read
-- again of the same ids) would arrive as one. Each payload carries the next
-- value of this sequence, so none equals another.
SET LOCAL ROLE notifydb_owner;

CREATE SEQUENCE notifydb.announcement_seq AS bigint;

COMMENT ON SEQUENCE notifydb.announcement_seq IS
'Numbers the NOTIFY notifydb announcements (the payload''s seq), so Postgres never folds two of them into one. Unique, increasing within a session, not gap-free. Private.';
