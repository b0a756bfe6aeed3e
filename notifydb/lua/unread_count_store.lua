-- Caches an unread count read from Postgres, unless an invalidation happened since the
-- reader looked: a slow reader must never write back a count that is already stale.
-- KEYS[1]: the count; KEYS[2]: the inbox's generation (same hash tag).
-- ARGV[1]: the generation the reader saw before reading Postgres ("0" when there was none);
-- ARGV[2]: the count; ARGV[3]: the count's TTL in seconds; ARGV[4]: the generation's TTL.
-- Returns 1 when stored, 0 when the generation moved on.
if (redis.call('GET', KEYS[2]) or '0') ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
if ARGV[1] ~= '0' then
  redis.call('EXPIRE', KEYS[2], ARGV[4])
end
return 1
