-- A queue's public figures, read atomically: the line's length, the active count, what a newcomer's wait is
-- estimated from (the expiry of the active ticket whose slot a join now would get), and the meta.
-- KEYS[1] waiting, KEYS[2] active, KEYS[3] meta (see project-queue.lua)
-- Returns { waiting total, active count, that expiry or false, meta as a flat field/value list }
local waiting = redis.call('ZCARD', KEYS[1])
local activeCount = redis.call('ZCARD', KEYS[2])
local capacity = tonumber(redis.call('HGET', KEYS[3], 'capacity') or '0')
local slot = false
-- slotIndex in domain/outflow.ts, for the position a newcomer would take
if capacity > 0 then
  local k = (waiting % capacity) + activeCount - capacity
  if k >= 0 then slot = redis.call('ZRANGE', KEYS[2], k, k, 'WITHSCORES')[2] or false end
end
return { waiting, activeCount, slot, redis.call('HGETALL', KEYS[3]) }
