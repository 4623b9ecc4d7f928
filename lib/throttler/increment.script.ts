/**
 * The hit-counting and blocking of `@nestjs/throttler` 6.7's in-memory storage
 * (`ThrottlerStorageService.increment`), step for step, in one atomic script so that every
 * app instance sharing the server shares the limit.
 *
 * KEYS[1] one hash per tracker key, as the in-memory record: e = window expiry, b = block
 *         expiry, x = blocked, l = the latest hit expiry of any throttler name, and per name
 *         `p:<name>` = that name's hits, each the hit's own expiry (ms) packed as a 6-byte
 *         big-endian integer (`struct.pack('>I6')`, good until the year 10,000 and far
 *         beyond), sorted.
 * ARGV    ttl (ms), limit, blockDuration (ms), throttler name.
 * Returns { totalHits, timeToExpire (s), isBlocked (0/1), timeToBlockExpire (s) }.
 *
 * Why a packed string rather than a sorted set: the whole call is four commands (TIME, HMGET,
 * HSET, PEXPIREAT) instead of eight, which is what a script's cost on the server is made of;
 * expired hits are found by binary search (only when the oldest one has expired) and cut off
 * the front in one `sub`, and a hit almost always appends (expiries grow with time; only a
 * shorter ttl than before inserts). The string holds at most limit + 1 hits.
 *
 * What the server spends beyond the four commands grows with the bytes the hits string moves
 * through Lua (read by HMGET, copied by the append, written by HSET, then collected by Lua's
 * GC), hence 6 bytes a hit rather than 14 digits, and no `tonumber` of a substring per probe.
 * The field was `h:<name>` (14 digits) before: the new name means a record an older version
 * wrote is never misread. HSET writes e, b and x only when they changed (they rarely do).
 *
 * Time is the server's (TIME), the one clock every instance agrees on. A hit's expiry is
 * rounded up to a whole ms (fractional ttls). The key expires once the in-memory sweep would
 * have evicted the record (window over, no live hit, no block).
 */
export const INCREMENT_SCRIPT = `
if redis.replicate_commands then redis.replicate_commands() end
local key, hitsField = KEYS[1], 'p:' .. ARGV[4]
local ttl, limit, block = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local W, unpackHit, packHit = 6, struct.unpack, struct.pack

local state = redis.call('HMGET', key, 'e', 'b', 'x', 'l', hitsField)
local storedExpiresAt, storedBlockExpiresAt, storedBlocked = tonumber(state[1]), tonumber(state[2]), state[3]
local expiresAt = storedExpiresAt or (now + ttl)
local blockExpiresAt = storedBlockExpiresAt or 0
local blocked = storedBlocked == '1'
local lastHit = tonumber(state[4]) or 0
local hits = state[5] or ''
local n = #hits / W

local function at(i) return (unpackHit('>I6', hits, (i - 1) * W + 1)) end
-- The first hit expiring after v (n + 1 if none).
local function after(v)
  local lo, hi = 1, n + 1
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if at(mid) > v then hi = mid else lo = mid + 1 end
  end
  return lo
end

if n > 0 and at(1) <= now then
  local live = after(now)
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
  local entry = packHit('>I6', v)
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

local write = { 'HSET', key, 'l', lastHit, hitsField, hits }
if expiresAt ~= storedExpiresAt then write[#write + 1] = 'e'; write[#write + 1] = expiresAt end
if blockExpiresAt ~= storedBlockExpiresAt then write[#write + 1] = 'b'; write[#write + 1] = blockExpiresAt end
if storedBlocked ~= (blocked and '1' or '0') then write[#write + 1] = 'x'; write[#write + 1] = blocked and 1 or 0 end
redis.call(unpack(write))
local keepUntil = expiresAt
if blocked and blockExpiresAt > keepUntil then keepUntil = blockExpiresAt end
if lastHit > keepUntil then keepUntil = lastHit end
redis.call('PEXPIREAT', key, math.ceil(keepUntil))
return { reportedTotal, timeToExpire, reportedBlocked and 1 or 0, timeToBlockExpire }
`;
