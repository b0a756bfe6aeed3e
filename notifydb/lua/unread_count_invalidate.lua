-- Forgets an inbox's cached count and moves its generation on, so readers that started
-- before this write cannot store what they read.
-- KEYS[1]: the count; KEYS[2]: the generation. ARGV[1]: the generation's TTL in seconds.
redis.call('DEL', KEYS[1])
redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[1])
return 1
