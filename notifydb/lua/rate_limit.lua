-- Checks one identity against several rate-limit policies atomically, on the server clock.
-- KEYS: one per policy, all with the identity's hash tag (one Cluster slot).
-- ARGV[1]: "consume" (count this attempt if every policy allows it) or "peek" (count nothing).
-- ARGV[2]: a member unique to this attempt (sliding-window sorted sets need unique members).
-- ARGV[3 + 4(i-1) ..]: for KEYS[i]: algorithm ("sw" or "gcra"), limit, window in ms,
--   count_rejected ("1": a denied attempt is recorded too).
-- Returns {allowed (0|1), {own_allowed, remaining, retry_after_us, reset_after_us} per key}:
-- own_allowed says whether that policy had room; the rest describe the state after the call.
-- Times are in microseconds. Lua numbers are doubles: exact for integers below 2^53.

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local consume = ARGV[1] == 'consume'
local member = ARGV[2]

-- Sliding window: a sorted set of attempt times; an attempt counts while now - time < window.
local function sliding_window_state(key, limit, window)
  local first_counted = now - window + 1
  local count = redis.call('ZCOUNT', key, first_counted, '+inf')
  local retry_after = 0
  if count >= limit then
    -- Room for one more once the (count - limit + 1)th oldest counted attempt leaves the window.
    local blocking = redis.call('ZRANGEBYSCORE', key, first_counted, '+inf', 'WITHSCORES', 'LIMIT', count - limit, 1)
    retry_after = tonumber(blocking[2]) + window - now
  end
  local reset_after = 0
  local newest = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  if newest[2] then
    reset_after = math.max(tonumber(newest[2]) + window - now, 0)
  end
  return {math.max(limit - count, 0), retry_after, reset_after}
end

local function sliding_window_record(key, limit, window)
  redis.call('ZADD', key, now, member)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  -- The newest `limit` attempts decide every answer; older ones only cost memory.
  redis.call('ZREMRANGEBYRANK', key, 0, -(limit + 1))
  redis.call('PEXPIRE', key, window / 1000)
end

-- GCRA: the key holds the theoretical arrival time (TAT) of the next attempt; one attempt
-- takes `interval`, and up to `limit` attempts fit between now and now + window.
local function gcra_interval(limit, window)
  return math.floor(window / limit)
end

local function gcra_tat(key)
  return math.max(tonumber(redis.call('GET', key)) or now, now)
end

local function gcra_state(key, limit, window)
  local interval = gcra_interval(limit, window)
  local tat = gcra_tat(key)
  local remaining = math.min(math.floor((now + window - tat) / interval), limit)
  local retry_after = 0
  if remaining < 1 then
    retry_after = tat + interval - window - now
  end
  return {remaining, retry_after, tat - now}
end

local function gcra_record(key, limit, window)
  local tat = gcra_tat(key) + gcra_interval(limit, window)
  redis.call('SET', key, tat, 'PX', math.ceil((tat - now) / 1000))
end

local state = {sw = sliding_window_state, gcra = gcra_state}
local record = {sw = sliding_window_record, gcra = gcra_record}

local policies = {}
local all_allowed = true
for i, key in ipairs(KEYS) do
  local base = 3 + 4 * (i - 1)
  local policy = {
    algorithm = ARGV[base],
    limit = tonumber(ARGV[base + 1]),
    window = tonumber(ARGV[base + 2]) * 1000,
    count_rejected = ARGV[base + 3] == '1',
  }
  policy.allowed = state[policy.algorithm](key, policy.limit, policy.window)[1] >= 1
  all_allowed = all_allowed and policy.allowed
  policies[i] = policy
end

local results = {}
for i, key in ipairs(KEYS) do
  local policy = policies[i]
  if consume and (all_allowed or policy.count_rejected) then
    record[policy.algorithm](key, policy.limit, policy.window)
  end
  local after = state[policy.algorithm](key, policy.limit, policy.window)
  results[i] = {policy.allowed and 1 or 0, after[1], after[2], after[3]}
end
return {all_allowed and 1 or 0, results}
