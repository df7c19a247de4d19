-- Writes one queue's changes from a committed Postgres transaction, atomically, into its read model (all keys
-- of one queue share a hash tag: one cluster slot).
-- KEYS[1] waiting: sorted set, ticket → join order (ZRANK = exact number of waiting tickets ahead, O(log n))
-- KEYS[2] active: sorted set, ticket → expiry (ms)
-- KEYS[3] tickets: hash, ticket → JSON {userId, status, admittedAtMs, expiresAtMs} of live tickets
-- KEYS[4] meta: hash, the settings (capacity, activeSeconds, admitPerMinute, opensAtMs, abandonSeconds, paused,
--         settingsVersion; '' for a setting not set) and observedHoldMs, admittedTotal, admittedLastMinute
-- KEYS[5] aliases: hash, ticket → the live ticket a second join of its user names
-- KEYS[6] seen: sorted set, waiting ticket → when its holder was last seen (ms): joined, or read it
-- ARGV[1..10] capacity, activeSeconds, admitPerMinute, opensAtMs, abandonSeconds, paused, settingsVersion,
-- observedHoldMs, admittedTotal, admittedLastMinute; ARGV[11] now (ms); ARGV[12] n tickets; then 6 per ticket:
-- id, userId, status, joinOrder, admittedAtMs, expiresAtMs ('' when none); then alias pairs
local waiting, active, tickets, meta, aliases, seen = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
redis.call('HSET', meta, 'capacity', ARGV[1], 'activeSeconds', ARGV[2], 'admitPerMinute', ARGV[3], 'opensAtMs', ARGV[4],
  'abandonSeconds', ARGV[5], 'paused', ARGV[6], 'settingsVersion', ARGV[7], 'observedHoldMs', ARGV[8],
  'admittedTotal', ARGV[9], 'admittedLastMinute', ARGV[10])
local now = ARGV[11]
local n = tonumber(ARGV[12])
local i = 13
for _ = 1, n do
  local id, user, status, order, admittedAt, expiresAt = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5]
  i = i + 6
  if status == 'waiting' or status == 'active' then
    redis.call('HSET', tickets, id, cjson.encode({ userId = user, status = status, admittedAtMs = tonumber(admittedAt), expiresAtMs = tonumber(expiresAt) }))
  else
    redis.call('HDEL', tickets, id)
  end
  if status == 'waiting' then
    redis.call('ZADD', waiting, order, id)
    -- joining counts as being seen; a ticket already waiting keeps when it was last seen
    redis.call('ZADD', seen, 'NX', now, id)
  else
    redis.call('ZREM', waiting, id)
    redis.call('ZREM', seen, id)
  end
  if status == 'active' then redis.call('ZADD', active, expiresAt, id) else redis.call('ZREM', active, id) end
end
while i <= #ARGV do
  redis.call('HSET', aliases, ARGV[i], ARGV[i + 1])
  i = i + 2
end
return n
