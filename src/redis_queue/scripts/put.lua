-- put: a new job in tube ARGV[1]. KEYS = the tube's keys (see common.lua), then the
-- slot's id counter "stalk:{<g>}:seq".
-- ARGV: tube, jp, pri, delay_ms, ttr_ms, body.
-- Reply: {'ok', due, now, seq, fresh} (fresh = 1: add the tube to the registry) or
-- {'full', due, now} when the slot's 2^39 ids are used up.
local tube, jp = ARGV[1], ARGV[2]
local delay = tonumber(ARGV[4])
local now = now_ms()
promote(tube, jp, now)
local seq_key = KEYS[6]
local seq = num(redis.call('GET', seq_key)) + 1
if seq >= 549755813888 then return {'full', next_due(tube), now} end
local m = string.format('%012d', seq)
-- The new job's hash is not declared (its name needs the seq): on a migrating source,
-- creating a key is refused mid-script, so ask first, before the first write.
if type(redis.pcall('EXISTS', jp .. m)) ~= 'number' then
  error({err = 'TRYAGAIN job ' .. jp .. m .. ' cannot be created here (slot migrating)'})
end
redis.call('SET', seq_key, seq)
local state, at = 'ready', 0
if delay > 0 then state, at = 'delayed', now + delay end
redis.call('HSET', jp .. m, 'tube', tube, 'pri', ARGV[3], 'delay', delay, 'ttr', ARGV[5],
           'body', ARGV[6], 'state', state, 'created', now, 'born', now_us(), 'deadline', at, 'owner', '',
           'reserves', 0, 'timeouts', 0, 'releases', 0, 'buries', 0, 'kicks', 0)
if delay > 0 then
  redis.call('ZADD', tk(tube, 'delayed'), at, m)
else
  redis.call('ZADD', tk(tube, 'ready'), ARGV[3], m)
  wake(tube, 1)
end
local fresh = touch_meta(tube, now)
redis.call('HINCRBY', tk(tube, 'meta'), 'total_jobs', 1)
return {'ok', next_due(tube), now, seq, fresh}
