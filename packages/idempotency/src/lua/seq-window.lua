-- Included into service scripts with `--@include @tally/idempotency/seq-window.lua`.
-- The Redis twin of src/seq-window.ts: per (scope, source) the highest seq seen (hash field `h`) and a bitmap
-- of the `size` seqs below it (field-less string key). Returns 1 new, 0 duplicate, -1 stale.
-- Both keys must share a hash tag with the state they guard, so one script touches one cluster slot.
local function tally_admit_seq(highKey, bitsKey, seq, size, ttlSeconds)
  local highest = tonumber(redis.call('GET', highKey) or '-1')
  local verdict
  if seq > highest then
    if seq - highest >= size then
      redis.call('DEL', bitsKey)
    else
      for s = highest + 1, seq - 1 do
        redis.call('SETBIT', bitsKey, s % size, 0)
      end
    end
    redis.call('SETBIT', bitsKey, seq % size, 1)
    redis.call('SET', highKey, seq)
    verdict = 1
  elseif seq <= highest - size then
    verdict = -1
  elseif redis.call('GETBIT', bitsKey, seq % size) == 1 then
    verdict = 0
  else
    redis.call('SETBIT', bitsKey, seq % size, 1)
    verdict = 1
  end
  if ttlSeconds > 0 then
    redis.call('EXPIRE', highKey, ttlSeconds)
    redis.call('EXPIRE', bitsKey, ttlSeconds)
  end
  return verdict
end
