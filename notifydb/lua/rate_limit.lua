-- Checks one identity against several rate-limit policies atomically, on the server clock.
-- KEYS: one per policy, all with the identity's hash tag (one Cluster slot).
-- ARGV[1]: "consume" (count this attempt if every policy allows it) or "peek" (count nothing).
-- ARGV[2]: a member unique to this attempt (sliding-window sorted sets need unique members).
-- ARGV[3 + 4(i-1) ..]: for KEYS[i]: algorithm ("sw" or "gcra"), limit, window in ms,
--   count_rejected ("1": a denied attempt is recorded too).
-- Returns {allowed (0|1), {own_allowed, remaining, retry_after_us, reset_after_us} per key}:
-- own_allowed says whether that policy had room; the rest describe the state after the call.
-- Times are in microseconds. Lua numbers are doubles: exact for integers below 2^53.
-- Each key is read once; after a write its new state follows from what was read, so the
-- script only asks Redis again for what arithmetic cannot know (the scores of attempts).

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local consume = ARGV[1] == 'consume'
local member = ARGV[2]

-- Sliding window: a sorted set of attempt times; an attempt counts while now - time < window.
-- Its observed value is the number of counted attempts.
local function sliding_window_observe(key, window)
  return redis.call('ZCOUNT', key, now - window + 1, '+inf')
end

local function sliding_window_state(key, limit, window, count)
  local retry_after = 0
  if count >= limit then
    -- Room for one more once the (count - limit + 1)th oldest counted attempt leaves the window.
    local blocking = redis.call('ZRANGEBYSCORE', key, now - window + 1, '+inf', 'WITHSCORES', 'LIMIT', count - limit, 1)
    retry_after = tonumber(blocking[2]) + window - now
  end
  local reset_after = 0
  local newest = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  if newest[2] then
    reset_after = math.max(tonumber(newest[2]) + window - now, 0)
  end
  return {math.max(limit - count, 0), retry_after, reset_after}
end

-- Returns the number of counted attempts afterwards.
local function sliding_window_record(key, limit, window, count)
  redis.call('ZADD', key, now, member)
  -- Drops exactly the attempts ZCOUNT did not count: every kept member is counted.
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  count = count + 1
  if count > limit then
    -- The newest `limit` attempts decide every answer; older ones only cost memory.
    redis.call('ZREMRANGEBYRANK', key, 0, -(limit + 1))
    count = limit
  end
  redis.call('PEXPIRE', key, window / 1000)
  return count
end

-- GCRA: the key holds the theoretical arrival time (TAT) of the next attempt; one attempt
-- takes `interval`, and up to `limit` attempts fit between now and now + window.
-- Its observed value is the TAT, never before now.
local function gcra_interval(limit, window)
  return math.floor(window / limit)
end

local function gcra_observe(key)
  return math.max(tonumber(redis.call('GET', key)) or now, now)
end

local function gcra_state(_, limit, window, tat)
  local interval = gcra_interval(limit, window)
  local remaining = math.min(math.floor((now + window - tat) / interval), limit)
  local retry_after = 0
  if remaining < 1 then
    retry_after = tat + interval - window - now
  end
  return {remaining, retry_after, tat - now}
end

-- Returns the TAT afterwards.
local function gcra_record(key, limit, window, tat)
  tat = tat + gcra_interval(limit, window)
  redis.call('SET', key, tat, 'PX', math.ceil((tat - now) / 1000))
  return tat
end

local function sliding_window_has_room(limit, _, count)
  return count < limit
end

local function gcra_has_room(limit, window, tat)
  return math.floor((now + window - tat) / gcra_interval(limit, window)) >= 1
end

local observe = {sw = sliding_window_observe, gcra = gcra_observe}
local has_room = {sw = sliding_window_has_room, gcra = gcra_has_room}
local state = {sw = sliding_window_state, gcra = gcra_state}
local record = {sw = sliding_window_record, gcra = gcra_record}

local policies = {}
local all_allowed = true
for i, key in ipairs(KEYS) do
  local base = 3 + 4 * (i - 1)
  local algorithm = ARGV[base]
  local policy = {
    algorithm = algorithm,
    limit = tonumber(ARGV[base + 1]),
    window = tonumber(ARGV[base + 2]) * 1000,
    count_rejected = ARGV[base + 3] == '1',
  }
  policy.observed = observe[algorithm](key, policy.window)
  policy.allowed = has_room[algorithm](policy.limit, policy.window, policy.observed)
  all_allowed = all_allowed and policy.allowed
  policies[i] = policy
end

local results = {}
for i, key in ipairs(KEYS) do
  local policy = policies[i]
  local algorithm = policy.algorithm
  local observed = policy.observed
  if consume and (all_allowed or policy.count_rejected) then
    observed = record[algorithm](key, policy.limit, policy.window, observed)
  end
  local after = state[algorithm](key, policy.limit, policy.window, observed)
  results[i] = {policy.allowed and 1 or 0, after[1], after[2], after[3]}
end
return {all_allowed and 1 or 0, results}
