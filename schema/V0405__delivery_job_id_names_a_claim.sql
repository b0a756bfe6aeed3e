-- claim_deliveries gives a job a new job_id at every claim, so an id names one
-- claim: a relay whose lease ran out and whose job another relay claimed can
-- no longer complete or retry it (the contract's functions take only ids, so
-- the id is the claim token). Across attempts a delivery is its notification_id.
SET LOCAL ROLE notifydb_owner;

COMMENT ON COLUMN notifydb.delivery_outbox.job_id IS
'Primary key, renewed by every claim: it names the latest claim, and complete/retry_deliveries act only on that one. Increases with time; a delivery across attempts is its notification_id.';
