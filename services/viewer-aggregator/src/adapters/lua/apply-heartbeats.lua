-- Applies one batch of a stream's heartbeats (the rule of src/domain/viewers.ts) and answers the stream's
-- current viewers. Atomic, and touches only keys of one stream (one hash tag, one cluster slot).
-- KEYS[1] live: sorted set, member sessionId, score event time of its newest heartbeat (playing)
-- KEYS[2] ended: sorted set, member sessionId, score event time of its "ended" heartbeat (a tombstone, so an
--         older heartbeat delivered late cannot bring the session back)
-- ARGV[1] now (ms), ARGV[2] window (ms), then triples: sessionId, event time (ms, already clamped), ended (0/1)
local live, ended = KEYS[1], KEYS[2]
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])

for i = 3, #ARGV, 3 do
  local session, at, isEnd = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2] == '1'
  local liveAt = tonumber(redis.call('ZSCORE', live, session) or '-1')
  local endedAt = tonumber(redis.call('ZSCORE', ended, session) or '-1')
  local newest = math.max(liveAt, endedAt)
  -- older never overrides newer; at equal times only "ended" replaces "playing"
  local applies = at > newest or (at == newest and isEnd and endedAt < at)
  if applies then
    if isEnd then
      redis.call('ZREM', live, session)
      redis.call('ZADD', ended, at, session)
    else
      redis.call('ZREM', ended, session)
      redis.call('ZADD', live, at, session)
    end
  end
end

-- whatever fell out of the window can never count again: drop it, so memory follows current viewers
local horizon = now - window
redis.call('ZREMRANGEBYSCORE', live, '-inf', '(' .. horizon)
redis.call('ZREMRANGEBYSCORE', ended, '-inf', '(' .. horizon)
redis.call('PEXPIRE', live, window * 2)
redis.call('PEXPIRE', ended, window * 2)
return redis.call('ZCOUNT', live, horizon, '+inf')
