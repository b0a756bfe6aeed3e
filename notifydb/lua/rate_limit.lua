-- Checks one identity against several rate-limit policies atomically, on the server clock.
-- KEYS: one per policy, all with the identity's hash tag (one Cluster slot).
-- ARGV[1]: "consume" (count this attempt if every policy allows it) or "peek" (count nothing).
-- ARGV[2 + 4(i-1) ..]: for KEYS[i]: algorithm ("sw" or "gcra"), limit, window in ms,
--   count_rejected ("1": a denied attempt is recorded too).
-- Returns {allowed (0|1), {own_allowed, remaining, retry_after_us, reset_after_us} per key}:
-- own_allowed says whether that policy had room; the rest describe the state after the call.
-- Times are in microseconds. Lua numbers are doubles: exact for integers below 2^53.
-- Each key is read with one GET and written with at most one SET, always with a TTL.
--
-- Sliding window, layout sw2: a string of the counted attempts' times, oldest first, each an
-- 8-byte little-endian double, at most `limit` of them (the newest `limit` decide every
-- answer). An attempt counts while now - time < window. (Layout sw1, a sorted set, took five
-- calls where a string takes a GET and a SET.)
-- GCRA, layout gcra1: the theoretical arrival time (TAT) of the next attempt, never before
-- now. One attempt takes `interval`, window / limit rounded up (so the steady rate never
-- exceeds limit per window); an attempt fits while the TAT after it is at most limit
-- intervals ahead of now, so a burst admits exactly `limit`.
--
-- Written as two flat loops over parallel arrays: EVALSHA runs the whole chunk each call,
-- and helper closures and per-policy tables cost a fifth of the script's time.

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local consume = ARGV[1] == 'consume'
local WIDTH = 8
local unpack_time = struct.unpack -- (format, string, position): the time, then the next position

-- Read every key once and decide: all_allowed only if every policy has room.
local sliding, limits, windows, states, own_allowed = {}, {}, {}, {}, {}
local all_allowed = true
for i = 1, #KEYS do
  local base = 4 * i - 2
  local limit = tonumber(ARGV[base + 1])
  local window = tonumber(ARGV[base + 2]) * 1000
  local value = redis.call('GET', KEYS[i])
  local allowed
  if ARGV[base] == 'sw' then
    -- The counted attempts follow the expired ones: bisect, as the times are sorted.
    local times = value or ''
    local low, high = 0, #times / WIDTH
    while low < high do
      local middle = math.floor((low + high) / 2)
      if unpack_time('<d', times, middle * WIDTH + 1) > now - window then
        high = middle
      else
        low = middle + 1
      end
    end
    times = string.sub(times, low * WIDTH + 1)
    states[i] = times
    allowed = #times / WIDTH < limit
  else
    local tat = math.max(tonumber(value) or now, now)
    states[i] = tat
    allowed = tat - now <= (limit - 1) * math.ceil(window / limit)
  end
  sliding[i], limits[i], windows[i], own_allowed[i] = ARGV[base] == 'sw', limit, window, allowed
  all_allowed = all_allowed and allowed
end

-- Record the attempt where it counts, and describe each policy's state afterwards from what
-- was read and written (no second read).
local results = {}
for i = 1, #KEYS do
  local limit, window, state = limits[i], windows[i], states[i]
  local record = consume and (all_allowed or ARGV[4 * i + 1] == '1')
  local remaining, retry_after, reset_after = 0, 0, 0
  if sliding[i] then
    local count = #state / WIDTH
    if record then
      local at = now
      if count > 0 then
        -- Never before the newest: if the server clock stepped back, the times stay sorted.
        at = math.max(now, (unpack_time('<d', state, (count - 1) * WIDTH + 1)))
      end
      state = state .. struct.pack('<d', at)
      count = count + 1
      if count > limit then
        state = string.sub(state, (count - limit) * WIDTH + 1)
        count = limit
      end
      redis.call('SET', KEYS[i], state, 'PX', math.ceil((at + window - now) / 1000))
    end
    remaining = math.max(limit - count, 0)
    if count >= limit then
      -- Room for one more once the (count - limit + 1)th oldest counted attempt leaves the window.
      retry_after = unpack_time('<d', state, (count - limit) * WIDTH + 1) + window - now
    end
    if count > 0 then
      reset_after = unpack_time('<d', state, (count - 1) * WIDTH + 1) + window - now
    end
  else
    local interval = math.ceil(window / limit)
    if record then
      state = state + interval
      redis.call('SET', KEYS[i], state, 'PX', math.ceil((state - now) / 1000))
    end
    remaining = math.min(math.floor((now + limit * interval - state) / interval), limit)
    if remaining < 1 then
      retry_after = state - now - (limit - 1) * interval
    end
    reset_after = state - now
  end
  results[i] = {own_allowed[i] and 1 or 0, remaining, retry_after, reset_after}
end
return {all_allowed and 1 or 0, results}
