-- Writes one queue's changes from a committed Postgres transaction, atomically, into its read model (all keys
-- of one queue share a hash tag: one cluster slot).
-- KEYS[1] waiting: sorted set, ticket → join order (ZRANK = exact number of waiting tickets ahead, O(log n))
-- KEYS[2] active: sorted set, ticket → expiry (ms)
-- KEYS[3] tickets: hash, ticket → JSON {userId, status, admittedAtMs, expiresAtMs} of live tickets
-- KEYS[4] meta: hash, capacity, activeSeconds, admittedTotal, admissionRate
-- KEYS[5] aliases: hash, ticket → the live ticket a second join of its user names
-- ARGV[1..4] capacity, activeSeconds, admittedTotal, admissionRate; ARGV[5] n tickets; then 6 per ticket:
-- id, userId, status, joinOrder, admittedAtMs, expiresAtMs ('' when none); then alias pairs
local waiting, active, tickets, meta, aliases = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
redis.call('HSET', meta, 'capacity', ARGV[1], 'activeSeconds', ARGV[2], 'admittedTotal', ARGV[3], 'admissionRate', ARGV[4])
local n = tonumber(ARGV[5])
local i = 6
for _ = 1, n do
  local id, user, status, order, admittedAt, expiresAt = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5]
  i = i + 6
  if status == 'waiting' or status == 'active' then
    redis.call('HSET', tickets, id, cjson.encode({ userId = user, status = status, admittedAtMs = tonumber(admittedAt), expiresAtMs = tonumber(expiresAt) }))
  else
    redis.call('HDEL', tickets, id)
  end
  if status == 'waiting' then redis.call('ZADD', waiting, order, id) else redis.call('ZREM', waiting, id) end
  if status == 'active' then redis.call('ZADD', active, expiresAt, id) else redis.call('ZREM', active, id) end
end
while i <= #ARGV do
  redis.call('HSET', aliases, ARGV[i], ARGV[i + 1])
  i = i + 2
end
return n
