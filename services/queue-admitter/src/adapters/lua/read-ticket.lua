-- One ticket as a client polls it, read atomically: its state, the exact number of waiting tickets ahead of it,
-- the line's length and the queue's admission rate.
-- KEYS[1] waiting, KEYS[2] tickets, KEYS[3] meta, KEYS[4] aliases (see project-queue.lua); ARGV[1] ticket id
-- Returns { ticket id (aliases resolved), ticket JSON or false, position or -1, waiting total, admission rate }
local id = redis.call('HGET', KEYS[4], ARGV[1]) or ARGV[1]
local ticket = redis.call('HGET', KEYS[2], id)
local rank = redis.call('ZRANK', KEYS[1], id)
return { id, ticket, rank or -1, redis.call('ZCARD', KEYS[1]), redis.call('HGET', KEYS[3], 'admissionRate') or '0' }
