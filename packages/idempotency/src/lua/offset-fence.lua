-- Included into service scripts with `--@include @tally/idempotency/offset-fence.lua`.
-- The last Kafka offset applied to this state, per topic-partition, kept in the same slot as the state and
-- moved in the same script as the state change, so "applied" and "remembered as applied" cannot diverge.
-- Returns true when `offset` is past the fence (not yet applied); call tally_advance_fence after applying.
local function tally_past_fence(fenceKey, field, offset)
  local applied = tonumber(redis.call('HGET', fenceKey, field) or '-1')
  return offset > applied
end

local function tally_advance_fence(fenceKey, field, offset)
  local applied = tonumber(redis.call('HGET', fenceKey, field) or '-1')
  if offset > applied then
    redis.call('HSET', fenceKey, field, offset)
  end
end
