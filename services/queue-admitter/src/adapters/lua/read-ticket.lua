-- One ticket as its holder polls it, read atomically: its state, the exact number of waiting tickets ahead of it,
-- the line's length, what its wait is estimated from; and, if it waits, the read counts as its holder being seen.
-- KEYS[1] waiting, KEYS[2] tickets, KEYS[3] meta, KEYS[4] aliases, KEYS[5] active, KEYS[6] seen (see
-- project-queue.lua); ARGV[1] ticket id, ARGV[2] now (ms)
-- Returns { ticket id (aliases resolved), ticket JSON or false, position or -1, waiting total, active count,
-- expiry of the active ticket whose slot it gets or false, meta as a flat field/value list }
local id = redis.call('HGET', KEYS[4], ARGV[1]) or ARGV[1]
local ticket = redis.call('HGET', KEYS[2], id)
local rank = redis.call('ZRANK', KEYS[1], id)
local activeCount = redis.call('ZCARD', KEYS[5])
local capacity = tonumber(redis.call('HGET', KEYS[3], 'capacity') or '0')
local slot = false
if rank then
  redis.call('ZADD', KEYS[6], 'XX', ARGV[2], id)
  -- which active ticket's expiry frees the slot it gets (slotIndex in domain/outflow.ts)
  if capacity > 0 then
    local k = (rank % capacity) + activeCount - capacity
    if k >= 0 then slot = redis.call('ZRANGE', KEYS[5], k, k, 'WITHSCORES')[2] or false end
  end
end
return { id, ticket, rank or -1, redis.call('ZCARD', KEYS[1]), activeCount, slot, redis.call('HGETALL', KEYS[3]) }
