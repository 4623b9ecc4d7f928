/**
 * The hit-counting and blocking of `@nestjs/throttler` 6.7's in-memory storage
 * (`ThrottlerStorageService.increment`), step for step, in one atomic script so that every
 * app instance sharing the server shares the limit.
 *
 * KEYS[1] the key's record (hash: e = window expiry, b = block expiry, x = blocked, n = hit
 *         sequence), shared by every throttler name, as the in-memory record is;
 * KEYS[2] the throttler name's hits (sorted set: score = the hit's own expiry, ms). Both keys
 *         carry the same hash tag, so they live on one cluster node.
 * ARGV    ttl (ms), limit, blockDuration (ms).
 * Returns { totalHits, timeToExpire (s), isBlocked (0/1), timeToBlockExpire (s) }.
 *
 * Time is the server's (TIME), the one clock every instance agrees on. Both keys expire once
 * the in-memory sweep would have evicted the record (window over, no live hit, no block).
 */
export const INCREMENT_SCRIPT = `
if redis.replicate_commands then redis.replicate_commands() end
local record, hits = KEYS[1], KEYS[2]
local ttl, limit, block = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function seconds(ms) return math.ceil(ms / 1000) end

local state = redis.call('HMGET', record, 'e', 'b', 'x')
local expiresAt = tonumber(state[1]) or (now + ttl)
local blockExpiresAt = tonumber(state[2]) or 0
local blocked = state[3] == '1'

redis.call('ZREMRANGEBYSCORE', hits, '-inf', now)
local total = redis.call('ZCARD', hits)

local timeToExpire = seconds(expiresAt - now)
if timeToExpire <= 0 then
  expiresAt = now + ttl
  timeToExpire = seconds(expiresAt - now)
end

local function hit()
  redis.call('ZADD', hits, now + ttl, redis.call('HINCRBY', record, 'n', 1))
  total = total + 1
end

local reportedTotal, reportedBlocked, timeToBlockExpire
if block <= 0 then
  reportedBlocked = total >= limit
  if reportedBlocked then
    local first = redis.call('ZRANGE', hits, 0, 0, 'WITHSCORES')
    if #first > 0 then timeToBlockExpire = seconds(tonumber(first[2]) - now) else timeToBlockExpire = timeToExpire end
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
  timeToBlockExpire = seconds(blockExpiresAt - now)
  if timeToBlockExpire <= 0 and blocked then
    blocked = false
    redis.call('DEL', hits)
    total = 0
    hit()
  end
  reportedTotal = total
  reportedBlocked = blocked
end

redis.call('HSET', record, 'e', expiresAt, 'b', blockExpiresAt, 'x', blocked and 1 or 0)
local keepUntil = expiresAt
if blocked and blockExpiresAt > keepUntil then keepUntil = blockExpiresAt end
if total > 0 then
  local last = redis.call('ZRANGE', hits, -1, -1, 'WITHSCORES')
  local lastExpiry = tonumber(last[2])
  if lastExpiry > keepUntil then keepUntil = lastExpiry end
  redis.call('PEXPIRE', hits, math.ceil(lastExpiry - now))
end
-- Other throttler names' hits may need the record longer: never shorten its life.
if redis.call('PTTL', record) < keepUntil - now then redis.call('PEXPIRE', record, math.ceil(keepUntil - now)) end
return { reportedTotal, timeToExpire, reportedBlocked and 1 or 0, timeToBlockExpire }
`;
