-- notifications.id's default, notifydb._uuid_v7(), carried SET search_path,
-- which keeps the planner from inlining it: every row of a fan-out paid a
-- function call and a search_path switch (about 7 us a row here, a tenth of
-- a 10,000-user fan-out). Its body names only pg_catalog functions, fully
-- qualified, so it needs no search_path of its own.
SET LOCAL ROLE notifydb_owner;

ALTER FUNCTION notifydb._uuid_v7(timestamptz) RESET search_path;
