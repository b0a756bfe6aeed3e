-- The severities in rank order: the one place that order is written down.
SET LOCAL ROLE notifydb_owner;

CREATE OR REPLACE FUNCTION notifydb._event_severities()
RETURNS text[]
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
RETURN ARRAY['low', 'medium', 'high', 'critical']::text[];

COMMENT ON FUNCTION notifydb._event_severities() IS
'Event severities from lowest to highest; a severity''s rank is its position. Private.';

REVOKE ALL ON FUNCTION notifydb._event_severities() FROM public;
