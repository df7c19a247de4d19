-- Applies one batch of a stream's heartbeats (the rule of src/domain/viewers.ts) and answers the stream's
-- current viewers. Atomic, and touches only keys of one stream (one hash tag, one cluster slot).
-- KEYS[1] live: sorted set, member sessionId, score the gateway's receipt time of its newest heartbeat (the
--         first receipt when the same heartbeat came more than once: a duplicate changes nothing), while that
--         heartbeat is "playing": presence is judged by the server's clock, the same in any delivery order
-- KEYS[2] marks: hash, sessionId -> "<ordering time>:<1 if ended else 0>" of its newest heartbeat (by the
--         client's own clock), so an older heartbeat delivered late changes nothing, an ended one included
-- KEYS[3] heard: sorted set, member sessionId, score the receipt time of its newest heartbeat: marks are
--         forgotten once nothing was heard of a session for the window plus the clock tolerance
-- ARGV[1] now (ms), ARGV[2] window (ms), ARGV[3] clock tolerance (ms: how long marks are remembered beyond the
--         window), then quintuples: sessionId, the client's at (ms, its own order), receipt time (ms),
--         ended (0/1), within the clock tolerance (0/1: judged in TypeScript by @tally/event-time's rule)
local live, marks, heard = KEYS[1], KEYS[2], KEYS[3]
local now, window, tolerance = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local memory = window + tolerance

for i = 4, #ARGV, 5 do
  local session, atText, received, isEnd = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2]), ARGV[i + 3] == '1'
  local withinTolerance = ARGV[i + 4] == '1'
  local at = tonumber(atText)
  local markAt, markEnded = -1, false
  local mark = redis.call('HGET', marks, session)
  if mark then
    local sep = string.find(mark, ':', 1, true)
    markAt, markEnded = tonumber(string.sub(mark, 1, sep - 1)), string.sub(mark, sep + 1) == '1'
  end
  -- older never overrides newer; at equal times only "ended" replaces "playing"
  local newer = at > markAt or (at == markAt and isEnd and not markEnded)
  -- the same heartbeat time again (a duplicate, or the retry of a try that did reach Kafka): presence is the
  -- first receipt of the newest heartbeat, so a duplicate never extends it, whatever order they come in
  local again = at == markAt and not isEnd and not markEnded
  -- a playing heartbeat from long before its receipt is a retry of the past: it makes no one present
  local eligible = isEnd or withinTolerance
  if newer and eligible then
    redis.call('HSET', marks, session, atText .. (isEnd and ':1' or ':0'))
    redis.call('ZADD', heard, 'GT', received, session)
    if isEnd then
      redis.call('ZREM', live, session)
    else
      redis.call('ZADD', live, received, session)
    end
  elseif again and eligible then
    -- XX: a session already gone from the window (its first receipt is too old) is not brought back by a copy
    redis.call('ZADD', live, 'XX', 'LT', received, session)
  end
end

-- whatever fell out of the window can never count again: drop it, so memory follows current viewers
local horizon = now - window
redis.call('ZREMRANGEBYSCORE', live, '-inf', '(' .. horizon)
local forgotten = redis.call('ZRANGEBYSCORE', heard, '-inf', '(' .. (now - memory), 'LIMIT', 0, 1000)
if #forgotten > 0 then
  redis.call('HDEL', marks, unpack(forgotten))
  redis.call('ZREM', heard, unpack(forgotten))
end
for _, key in ipairs(KEYS) do redis.call('PEXPIRE', key, memory) end
return redis.call('ZCOUNT', live, horizon, '+inf')
