-- Writes one item's counts into its hash, unless the hash already holds a newer version (a slower writer,
-- e.g. the previous owner of the partition finishing late, must not put older counts over newer ones).
-- KEYS[1] the item's hash
-- ARGV[1] version, ARGV[2] asOf (ms), then field/value pairs (absolute values)
-- Returns 1 if written, 0 if the stored version is newer.
local stored = tonumber(redis.call('HGET', KEYS[1], 'version') or '-1')
local version = tonumber(ARGV[1])
if stored > version then
  return 0
end
local fields = { 'version', ARGV[1], 'asOf', ARGV[2] }
for i = 3, #ARGV do
  fields[#fields + 1] = ARGV[i]
end
redis.call('HSET', KEYS[1], unpack(fields))
return 1
