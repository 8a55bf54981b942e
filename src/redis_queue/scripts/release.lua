-- release: job ARGV[2] reserved by ARGV[4] goes back, with priority ARGV[5], ready or delayed by
-- ARGV[6] ms. KEYS = the tube's keys (see common.lua), then the job's key; tube = the tube the node
-- expects (else the reply is {'tube', 0, now, <its tube>}). ARGV: jp, m, tube, owner, pri,
-- delay_ms. Reply: {'ok'|'notfound', due, now, tube}.
local jp, m, owner = ARGV[1], ARGV[2], ARGV[4]
local delay = tonumber(ARGV[6])
local now = now_ms()
local tube, early = job_tube(jp, m, ARGV[3], now)
if not tube then return early end
if not held_by(jp, m, owner) then return {'notfound', next_due(tube), now, tube} end
redis.call('ZREM', tk(tube, 'reserved'), m)
redis.call('HINCRBY', jp .. m, 'releases', 1)
redis.call('HSET', jp .. m, 'pri', ARGV[5], 'delay', delay, 'owner', '')
if delay > 0 then
  redis.call('HSET', jp .. m, 'state', 'delayed', 'deadline', now + delay)
  redis.call('ZADD', tk(tube, 'delayed'), now + delay, m)
else
  to_ready(tube, jp, m)
  wake(tube, 1)
end
return {'ok', next_due(tube), now, tube}
