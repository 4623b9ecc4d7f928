/**
 * The hit-counting and blocking of `@nestjs/throttler` 6.7's in-memory storage
 * (`ThrottlerStorageService.increment`), step for step, in one atomic script so that every
 * app instance sharing the server shares the limit.
 *
 * KEYS[1] one hash per tracker key, as the in-memory record: e = window expiry, b = block
 *         expiry, x = blocked, l = the latest hit expiry of any throttler name, and per name
 *         `h:<name>` = that name's hits, each the hit's own expiry (ms) as 14 digits, sorted.
 * ARGV    ttl (ms), limit, blockDuration (ms), throttler name.
 * Returns { totalHits, timeToExpire (s), isBlocked (0/1), timeToBlockExpire (s) }.
 *
 * Why a packed string rather than a sorted set: the whole call is four commands (TIME, HMGET,
 * HSET, PEXPIREAT) instead of eight, which is what a script's cost on the server is made of;
 * expired hits are found by binary search and cut off the front in one `sub`, and a hit
 * almost always appends (expiries grow with time; only a shorter ttl than before inserts).
 * The string holds at most limit + 1 hits.
 *
 * Time is the server's (TIME), the one clock every instance agrees on. A hit's expiry is
 * rounded up to a whole ms (fractional ttls). The key expires once the in-memory sweep would
 * have evicted the record (window over, no live hit, no block).
 */
export const INCREMENT_SCRIPT = `
if redis.replicate_commands then redis.replicate_commands() end
local key, hitsField = KEYS[1], 'h:' .. ARGV[4]
local ttl, limit, block = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local W = 14

local state = redis.call('HMGET', key, 'e', 'b', 'x', 'l', hitsField)
local expiresAt = tonumber(state[1]) or (now + ttl)
local blockExpiresAt = tonumber(state[2]) or 0
local blocked = state[3] == '1'
local lastHit = tonumber(state[4]) or 0
local hits = state[5] or ''
local n = #hits / W

local function at(i) return tonumber(string.sub(hits, (i - 1) * W + 1, i * W)) end
-- The first hit expiring after v (n + 1 if none).
local function after(v)
  local lo, hi = 1, n + 1
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if at(mid) > v then hi = mid else lo = mid + 1 end
  end
  return lo
end

local live = after(now)
if live > 1 then
  hits = string.sub(hits, (live - 1) * W + 1)
  n = n - (live - 1)
end

local timeToExpire = math.ceil((expiresAt - now) / 1000)
if timeToExpire <= 0 then
  expiresAt = now + ttl
  timeToExpire = math.ceil(ttl / 1000)
end

local function hit()
  local v = math.ceil(now + ttl)
  local entry = string.format('%014d', v)
  if n == 0 or at(n) <= v then
    hits = hits .. entry
  else
    local i = after(v)
    hits = string.sub(hits, 1, (i - 1) * W) .. entry .. string.sub(hits, (i - 1) * W + 1)
  end
  n = n + 1
  if v > lastHit then lastHit = v end
end

local reportedTotal, reportedBlocked, timeToBlockExpire
if block <= 0 then
  reportedBlocked = n >= limit
  if reportedBlocked then
    if n > 0 then timeToBlockExpire = math.ceil((at(1) - now) / 1000) else timeToBlockExpire = timeToExpire end
    reportedTotal = n + 1
  else
    hit()
    timeToBlockExpire = 0
    reportedTotal = n
  end
else
  if not blocked then hit() end
  if n > limit and not blocked then
    blocked = true
    blockExpiresAt = now + block
  end
  timeToBlockExpire = math.ceil((blockExpiresAt - now) / 1000)
  if timeToBlockExpire <= 0 and blocked then
    blocked = false
    hits = ''
    n = 0
    hit()
  end
  reportedTotal = n
  reportedBlocked = blocked
end

redis.call('HSET', key, 'e', expiresAt, 'b', blockExpiresAt, 'x', blocked and 1 or 0, 'l', lastHit, hitsField, hits)
local keepUntil = expiresAt
if blocked and blockExpiresAt > keepUntil then keepUntil = blockExpiresAt end
if lastHit > keepUntil then keepUntil = lastHit end
redis.call('PEXPIREAT', key, math.ceil(keepUntil))
return { reportedTotal, timeToExpire, reportedBlocked and 1 or 0, timeToBlockExpire }
`;
