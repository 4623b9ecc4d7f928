/**
 * The hit-counting and blocking of `@nestjs/throttler` 6.7's in-memory storage
 * (`ThrottlerStorageService.increment`), step for step, in one atomic script so that every
 * app instance sharing the server shares the limit.
 *
 * KEYS[1] the key's record (hash: e = window expiry, b = block expiry, x = blocked, n = hit
 *         sequence, h = the latest hit expiry of any name), shared by every throttler name, as
 *         the in-memory record is;
 * KEYS[2] the throttler name's hits (sorted set: score = the hit's own expiry, ms). Both keys
 *         carry the same hash tag, so they live on one cluster node.
 * ARGV    ttl (ms), limit, blockDuration (ms).
 * Returns { totalHits, timeToExpire (s), isBlocked (0/1), timeToBlockExpire (s) }.
 *
 * Time is the server's (TIME), the one clock every instance agrees on. Both keys expire once
 * the in-memory sweep would have evicted the record (window over, no live hit, no block).
 * Everything the expiries need is in the record, so the script reads two things (HMGET,
 * ZCARD) and writes back in one HSET and two PEXPIREATs: 8 commands on the common path.
 */
export const INCREMENT_SCRIPT = `
if redis.replicate_commands then redis.replicate_commands() end
local record, hits = KEYS[1], KEYS[2]
local ttl, limit, block = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local state = redis.call('HMGET', record, 'e', 'b', 'x', 'n', 'h')
local expiresAt = tonumber(state[1]) or (now + ttl)
local blockExpiresAt = tonumber(state[2]) or 0
local blocked = state[3] == '1'
local seq = tonumber(state[4]) or 0
local lastHit = tonumber(state[5]) or 0

redis.call('ZREMRANGEBYSCORE', hits, '-inf', now)
local total = redis.call('ZCARD', hits)

local timeToExpire = math.ceil((expiresAt - now) / 1000)
if timeToExpire <= 0 then
  expiresAt = now + ttl
  timeToExpire = math.ceil(ttl / 1000)
end

local hitsExpireAt = nil
local function hit()
  seq = seq + 1
  hitsExpireAt = now + ttl
  redis.call('ZADD', hits, hitsExpireAt, seq)
  if hitsExpireAt > lastHit then lastHit = hitsExpireAt end
  total = total + 1
end

local reportedTotal, reportedBlocked, timeToBlockExpire
if block <= 0 then
  reportedBlocked = total >= limit
  if reportedBlocked then
    local first = redis.call('ZRANGE', hits, 0, 0, 'WITHSCORES')
    if #first > 0 then timeToBlockExpire = math.ceil((tonumber(first[2]) - now) / 1000) else timeToBlockExpire = timeToExpire end
    reportedTotal = total + 1
  else
    hit()
    timeToBlockExpire = 0
    reportedTotal = total
  end
else
  if not blocked then hit() end
  if total > limit and not blocked then
    blocked = true
    blockExpiresAt = now + block
  end
  timeToBlockExpire = math.ceil((blockExpiresAt - now) / 1000)
  if timeToBlockExpire <= 0 and blocked then
    blocked = false
    redis.call('DEL', hits)
    total = 0
    hit()
  end
  reportedTotal = total
  reportedBlocked = blocked
end

redis.call('HSET', record, 'e', expiresAt, 'b', blockExpiresAt, 'x', blocked and 1 or 0, 'n', seq, 'h', lastHit)
-- The record lives while its window, its block or any name's hit does; a name's hits at most as
-- long as the latest hit of any name (a little longer than needed at worst, never shorter).
local keepUntil = expiresAt
if blocked and blockExpiresAt > keepUntil then keepUntil = blockExpiresAt end
if lastHit > keepUntil then keepUntil = lastHit end
redis.call('PEXPIREAT', record, math.ceil(keepUntil))
if hitsExpireAt then redis.call('PEXPIREAT', hits, math.ceil(lastHit)) end
return { reportedTotal, timeToExpire, reportedBlocked and 1 or 0, timeToBlockExpire }
`;
